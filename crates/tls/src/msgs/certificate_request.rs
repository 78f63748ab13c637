//! CertificateRequest (RFC 5246 §7.4.4; RFC 4346 §7.4.4 and RFC 2246
//! §7.4.4 without the signature algorithms).
//!
//! Read first: RFC 5246 §7.4.4, §7.4.6 (the client's answer); RFC 8422
//! §5.5 (the ECDSA certificate types).

use crate::codec::{Reader, VecBounds};
use crate::enums::{ClientCertificateType, ProtocolVersion, SignatureScheme};
use crate::error::InvalidMessage;

use super::extensions::SUPPORTED_SIGNATURE_ALGORITHMS;

/// RFC 5246 §7.4.4: `ClientCertificateType certificate_types<1..2^8-1>;`
pub const CERTIFICATE_TYPES: VecBounds = VecBounds::new(1, 0xff, "certificate_types");
/// RFC 5246 §7.4.4: `DistinguishedName certificate_authorities<0..2^16-1>;`
pub const CERTIFICATE_AUTHORITIES: VecBounds = VecBounds::new(0, 0xffff, "certificate_authorities");
/// RFC 5246 §7.4.4: `opaque DistinguishedName<1..2^16-1>;`
pub const DISTINGUISHED_NAME: VecBounds = VecBounds::new(1, 0xffff, "DistinguishedName");

/// A CertificateRequest body: what kind of client certificate the server
/// would take, signed how, and issued by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// The certificate types, in the server's order of preference.
    pub certificate_types: Vec<ClientCertificateType>,
    /// `supported_signature_algorithms`: TLS 1.2 only, `None` before.
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    /// The DER `Name`s of acceptable certificate authorities; empty: any.
    pub certificate_authorities: Vec<Vec<u8>>,
}

impl CertificateRequest {
    /// Appends the body; the signature algorithms only when set (TLS 1.2).
    pub fn encode(&self, out: &mut Vec<u8>) {
        CERTIFICATE_TYPES.encode_list(out, &self.certificate_types);
        if let Some(schemes) = &self.signature_algorithms {
            SUPPORTED_SIGNATURE_ALGORITHMS.encode_list(out, schemes);
        }
        CERTIFICATE_AUTHORITIES.encode_with(out, |out| {
            for name in &self.certificate_authorities {
                DISTINGUISHED_NAME.encode_opaque(out, name);
            }
        });
    }

    /// The body as bytes, for a handshake message of type
    /// CertificateRequest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads a whole body as `version` lays it out (RFC 5246 §7.4.4: the
    /// signature algorithms come in TLS 1.2 only).
    ///
    /// # Errors
    /// A typed [`InvalidMessage`]; [`InvalidMessage::TrailingData`] if bytes
    /// follow the certificate authorities.
    pub fn from_body(body: &[u8], version: ProtocolVersion) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let certificate_types = CERTIFICATE_TYPES.read_list(&mut r)?;
        let signature_algorithms = (version.get() >= ProtocolVersion::Tls12.get())
            .then(|| SUPPORTED_SIGNATURE_ALGORITHMS.read_list(&mut r))
            .transpose()?;
        let mut list = CERTIFICATE_AUTHORITIES.read_body(&mut r)?;
        let mut certificate_authorities = Vec::new();
        while !list.is_empty() {
            certificate_authorities.push(DISTINGUISHED_NAME.read_opaque(&mut list)?);
        }
        r.expect_empty("CertificateRequest")?;
        Ok(CertificateRequest {
            certificate_types,
            signature_algorithms,
            certificate_authorities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CertificateRequest {
        CertificateRequest {
            certificate_types: vec![
                ClientCertificateType::RsaSign,
                ClientCertificateType::EcdsaSign,
            ],
            signature_algorithms: Some(vec![SignatureScheme::RsaPkcs1Sha256]),
            certificate_authorities: vec![vec![0x30, 0]],
        }
    }

    #[test]
    fn tls12_request_round_trips_with_its_signature_algorithms() {
        let bytes = request().to_bytes();
        assert_eq!(bytes, [2, 1, 64, 0, 2, 4, 1, 0, 4, 0, 2, 0x30, 0]);
        assert_eq!(
            CertificateRequest::from_body(&bytes, ProtocolVersion::Tls12),
            Ok(request())
        );
    }

    #[test]
    fn earlier_versions_have_no_signature_algorithms() {
        let tls11 = CertificateRequest {
            signature_algorithms: None,
            certificate_authorities: Vec::new(),
            ..request()
        };
        let bytes = tls11.to_bytes();
        assert_eq!(bytes, [2, 1, 64, 0, 0]);
        assert_eq!(
            CertificateRequest::from_body(&bytes, ProtocolVersion::Tls11),
            Ok(tls11)
        );
        // Read as TLS 1.2, the empty authorities are taken for algorithms.
        assert!(CertificateRequest::from_body(&bytes, ProtocolVersion::Tls12).is_err());
    }

    #[test]
    fn rejects_empty_lists_the_rfc_bounds_forbid() {
        let no_types = [0, 0, 2, 4, 1, 0, 0];
        assert_eq!(
            CertificateRequest::from_body(&no_types, ProtocolVersion::Tls12),
            Err(InvalidMessage::LengthOutOfBounds("certificate_types"))
        );
        let empty_name = [1, 1, 0, 2, 4, 1, 0, 2, 0, 0];
        assert_eq!(
            CertificateRequest::from_body(&empty_name, ProtocolVersion::Tls12),
            Err(InvalidMessage::LengthOutOfBounds("DistinguishedName"))
        );
        let trailing = [1, 1, 0, 2, 4, 1, 0, 0, 9];
        assert_eq!(
            CertificateRequest::from_body(&trailing, ProtocolVersion::Tls12),
            Err(InvalidMessage::TrailingData("CertificateRequest"))
        );
    }
}
