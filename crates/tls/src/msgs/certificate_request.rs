//! CertificateRequest (RFC 5246 §7.4.4; RFC 4346 §7.4.4 and RFC 2246
//! §7.4.4 without the signature algorithms; RFC 8446 §4.3.2 for TLS 1.3).
//!
//! Read first: RFC 5246 §7.4.4, §7.4.6 (the client's answer); RFC 8422
//! §5.5 (the ECDSA certificate types); RFC 8446 §4.3.2 and §4.2.4 (the
//! TLS 1.3 request and its certificate_authorities extension).

use crate::codec::{Codec, Reader, VecBounds};
use crate::enums::{ClientCertificateType, ExtensionType, ProtocolVersion, SignatureScheme};
use crate::error::InvalidMessage;

use super::extensions::{SUPPORTED_SIGNATURE_ALGORITHMS, ServerExtension};
use super::tls13::{CERTIFICATE_REQUEST_CONTEXT, Tls13Extension};

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
        encode_names(CERTIFICATE_AUTHORITIES, out, &self.certificate_authorities);
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
        let certificate_authorities = read_names(CERTIFICATE_AUTHORITIES, &mut r)?;
        r.expect_empty("CertificateRequest")?;
        Ok(CertificateRequest {
            certificate_types,
            signature_algorithms,
            certificate_authorities,
        })
    }
}

/// A list of DER names, each with its 16-bit length, in a list whose
/// length `bounds` limit.
fn encode_names(bounds: VecBounds, out: &mut Vec<u8>, names: &[Vec<u8>]) {
    bounds.encode_with(out, |out| {
        for name in names {
            DISTINGUISHED_NAME.encode_opaque(out, name);
        }
    });
}

fn read_names(bounds: VecBounds, r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, InvalidMessage> {
    let mut list = bounds.read_body(r)?;
    let mut names = Vec::new();
    while !list.is_empty() {
        names.push(DISTINGUISHED_NAME.read_opaque(&mut list)?);
    }
    Ok(names)
}

/// RFC 8446 §4.3.2: `Extension extensions<2..2^16-1>;`
pub const CERTIFICATE_REQUEST_EXTENSIONS: VecBounds = VecBounds::new(2, 0xffff, "extensions");
/// RFC 8446 §4.2.4: `DistinguishedName authorities<3..2^16-1>;`
pub const AUTHORITIES_13: VecBounds = VecBounds::new(3, 0xffff, "authorities");

/// RFC 8446 §4.3.2 `CertificateRequest`: in TLS 1.3 the request is a
/// context and extensions; signature_algorithms "MUST be specified".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest13 {
    /// `certificate_request_context`: empty during the handshake.
    pub context: Vec<u8>,
    /// The extensions, in order.
    pub extensions: Vec<ServerExtension>,
}

impl CertificateRequest13 {
    /// A request during the handshake: an empty context, the schemes the
    /// server verifies, and the authorities it trusts if any.
    pub fn new(schemes: Vec<SignatureScheme>, authorities: Vec<Vec<u8>>) -> Self {
        let mut extensions = vec![SignatureAlgorithms13(schemes).to_server_extension()];
        if !authorities.is_empty() {
            extensions.push(CertificateAuthorities13(authorities).to_server_extension());
        }
        CertificateRequest13 {
            context: Vec::new(),
            extensions,
        }
    }

    /// The signature schemes the server verifies; `None` when the request
    /// lacks the extension it must carry.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`] if the extension does not decode.
    pub fn signature_algorithms(&self) -> Option<Result<Vec<SignatureScheme>, InvalidMessage>> {
        super::tls13::find_server_extension::<SignatureAlgorithms13>(&self.extensions)
            .map(|found| found.map(|schemes| schemes.0))
    }

    /// The DER names of the authorities the server trusts; empty: any.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`] if the extension does not decode.
    pub fn certificate_authorities(&self) -> Result<Vec<Vec<u8>>, InvalidMessage> {
        match super::tls13::find_server_extension::<CertificateAuthorities13>(&self.extensions) {
            Some(found) => Ok(found?.0),
            None => Ok(Vec::new()),
        }
    }
}

impl Codec for CertificateRequest13 {
    fn encode(&self, out: &mut Vec<u8>) {
        CERTIFICATE_REQUEST_CONTEXT.encode_opaque(out, &self.context);
        CERTIFICATE_REQUEST_EXTENSIONS.encode_list(out, &self.extensions);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(CertificateRequest13 {
            context: CERTIFICATE_REQUEST_CONTEXT.read_opaque(r)?,
            extensions: super::tls13::read_extension_list(CERTIFICATE_REQUEST_EXTENSIONS, r)?,
        })
    }
}

/// RFC 8446 §4.2.3: signature_algorithms, as a CertificateRequest carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureAlgorithms13(pub Vec<SignatureScheme>);

impl Codec for SignatureAlgorithms13 {
    fn encode(&self, out: &mut Vec<u8>) {
        SUPPORTED_SIGNATURE_ALGORITHMS.encode_list(out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(SignatureAlgorithms13(
            SUPPORTED_SIGNATURE_ALGORITHMS.read_list(r)?,
        ))
    }
}

impl Tls13Extension for SignatureAlgorithms13 {
    const TYPE: ExtensionType = ExtensionType::SignatureAlgorithms;
}

/// RFC 8446 §4.2.4: certificate_authorities, the DER names of the
/// authorities the sender trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateAuthorities13(pub Vec<Vec<u8>>);

impl Codec for CertificateAuthorities13 {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_names(AUTHORITIES_13, out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(CertificateAuthorities13(read_names(AUTHORITIES_13, r)?))
    }
}

impl Tls13Extension for CertificateAuthorities13 {
    const TYPE: ExtensionType = ExtensionType::CertificateAuthorities;
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

    #[test]
    fn tls13_request_carries_schemes_and_authorities_as_extensions() {
        let request = CertificateRequest13::new(
            vec![SignatureScheme::EcdsaSecp256r1Sha256],
            vec![vec![0x30, 0]],
        );
        let bytes = request.to_bytes();
        // Empty context; signature_algorithms (13), then
        // certificate_authorities (47) with one 2-byte name.
        assert_eq!(
            bytes,
            [
                0, 0, 18, 0, 13, 0, 4, 0, 2, 4, 3, 0, 47, 0, 6, 0, 4, 0, 2, 0x30, 0
            ]
        );
        let read = CertificateRequest13::from_bytes(&bytes).unwrap();
        assert_eq!(
            read.signature_algorithms(),
            Some(Ok(vec![SignatureScheme::EcdsaSecp256r1Sha256]))
        );
        assert_eq!(read.certificate_authorities(), Ok(vec![vec![0x30, 0]]));
    }

    #[test]
    fn tls13_request_without_signature_algorithms_says_so() {
        let request = CertificateRequest13 {
            context: Vec::new(),
            extensions: vec![CertificateAuthorities13(vec![vec![0x30, 0]]).to_server_extension()],
        };
        let read = CertificateRequest13::from_bytes(&request.to_bytes()).unwrap();
        assert_eq!(read.signature_algorithms(), None);
        // RFC 8446 §4.3.2: the extensions list is at least 2 bytes long.
        assert_eq!(
            CertificateRequest13::from_bytes(&[0, 0, 0]),
            Err(InvalidMessage::LengthOutOfBounds("extensions"))
        );
    }
}
