//! Key exchange messages for ECDHE (RFC 4492 §5.4, §5.7), DHE (RFC 5246
//! §7.4.3, §7.4.7.2), RSA key transport (RFC 5246 §7.4.7.1) and the
//! `digitally-signed` element (RFC 5246 §4.7, §7.4.3).
//!
//! Read first: RFC 4492 §5.4 (ServerKeyExchange), §5.7
//! (ClientKeyExchange); RFC 5246 §4.7 and §7.4.3 for how TLS 1.2 added the
//! signature algorithm in front of the signature.
//!
//! The body of a ServerKeyExchange or ClientKeyExchange depends on the
//! negotiated key exchange, which the wire does not repeat, so
//! [`HandshakeMessage`](super::HandshakeMessage) keeps those bodies as
//! bytes and the state machine decodes them with the types here.
//!
//! Deviation: only `named_curve` parameters are supported. RFC 8422 §5.4
//! deprecates explicit curves, and no 2013 server sent them.

use crate::codec::{Codec, Reader, VecBounds};
use crate::enums::{EcCurveType, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::error::InvalidMessage;

/// RFC 4492 §5.4: `opaque point <1..2^8-1>;`
pub const EC_POINT: VecBounds = VecBounds::new(1, 0xff, "ECPoint");
/// RFC 5246 §4.7: a `digitally-signed` element is `opaque signature
/// <0..2^16-1>` after its algorithm.
pub const SIGNATURE: VecBounds = VecBounds::new(0, 0xffff, "signature");

/// `ServerECDHParams` (RFC 4492 §5.4): the curve and the server's
/// ephemeral public point. These exact bytes are what the server signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerEcdhParams {
    /// Always `named_curve` here.
    pub curve_type: EcCurveType,
    /// The curve of the ephemeral key.
    pub named_curve: NamedGroup,
    /// The public point, uncompressed (`04 || x || y`) for prime curves.
    pub public: Vec<u8>,
}

impl Codec for ServerEcdhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        self.curve_type.encode(out);
        self.named_curve.encode(out);
        EC_POINT.encode_opaque(out, &self.public);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let curve_type = EcCurveType::read(r)?;
        if curve_type != EcCurveType::NamedCurve {
            return Err(InvalidMessage::IllegalValue("ECParameters.curve_type"));
        }
        Ok(ServerEcdhParams {
            curve_type,
            named_curve: NamedGroup::read(r)?,
            public: EC_POINT.read_opaque(r)?,
        })
    }
}

/// A `digitally-signed` element (RFC 5246 §4.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// The TLS 1.2 `SignatureAndHashAlgorithm`; `None` in TLS 1.0 and 1.1,
    /// where the algorithm follows from the certificate (RFC 4346 §7.4.3).
    pub algorithm: Option<SignatureScheme>,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

impl DigitallySigned {
    /// Appends the element; the algorithm is written only if present.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if let Some(algorithm) = self.algorithm {
            algorithm.encode(out);
        }
        SIGNATURE.encode_opaque(out, &self.signature);
    }

    /// Reads the element as `version` lays it out.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] or [`InvalidMessage::LengthOutOfBounds`].
    pub fn read_versioned(
        r: &mut Reader<'_>,
        version: ProtocolVersion,
    ) -> Result<Self, InvalidMessage> {
        let algorithm = if has_signature_algorithm(version) {
            Some(SignatureScheme::read(r)?)
        } else {
            None
        };
        Ok(DigitallySigned {
            algorithm,
            signature: SIGNATURE.read_opaque(r)?,
        })
    }
}

/// RFC 5246 §4.7: TLS 1.2 put the `SignatureAndHashAlgorithm` in front of
/// every `digitally-signed` element; earlier versions had none.
fn has_signature_algorithm(version: ProtocolVersion) -> bool {
    version.get() >= ProtocolVersion::Tls12.get()
}

/// A ServerKeyExchange body that signs its key-exchange parameters:
/// `params`, then their signature (RFC 5246 §7.4.3, RFC 4492 §5.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedServerParams<P> {
    /// The signed parameters.
    pub params: P,
    /// The signature over `client_random + server_random + params`.
    pub signed: DigitallySigned,
}

/// An ECDHE ServerKeyExchange body (RFC 4492 §5.4).
pub type EcdheServerKeyExchange = SignedServerParams<ServerEcdhParams>;

/// A DHE ServerKeyExchange body (RFC 5246 §7.4.3).
pub type DheServerKeyExchange = SignedServerParams<ServerDhParams>;

impl<P: Codec> SignedServerParams<P> {
    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.params.encode(out);
        self.signed.encode(out);
    }

    /// The body as bytes, ready for
    /// [`HandshakeMessage::ServerKeyExchange`](super::HandshakeMessage::ServerKeyExchange).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads a whole body as `version` lays it out.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`]; [`InvalidMessage::TrailingData`] if bytes
    /// follow the signature.
    pub fn from_body(body: &[u8], version: ProtocolVersion) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(body);
        let ske = Self::read_versioned(&mut r, version)?;
        r.expect_empty("ServerKeyExchange")?;
        Ok(ske)
    }

    /// Reads a body as `version` lays it out, leaving any following bytes.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`].
    pub fn read_versioned(
        r: &mut Reader<'_>,
        version: ProtocolVersion,
    ) -> Result<Self, InvalidMessage> {
        Ok(SignedServerParams {
            params: P::read(r)?,
            signed: DigitallySigned::read_versioned(r, version)?,
        })
    }
}

/// RFC 5246 §7.4.3: `opaque dh_p<1..2^16-1>;` and likewise `dh_g`,
/// `dh_Ys`; RFC 5246 §7.4.7.2: `opaque dh_Yc<1..2^16-1>;`.
pub const DH_VALUE: VecBounds = VecBounds::new(1, 0xffff, "DH value");

/// `ServerDHParams` (RFC 5246 §7.4.3): the group and the server's public
/// value, big-endian integers. These exact bytes are what the server signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerDhParams {
    /// `dh_p`, the prime modulus.
    pub p: Vec<u8>,
    /// `dh_g`, the generator.
    pub g: Vec<u8>,
    /// `dh_Ys`, the server's public value `g^X mod p`.
    pub public: Vec<u8>,
}

impl Codec for ServerDhParams {
    fn encode(&self, out: &mut Vec<u8>) {
        DH_VALUE.encode_opaque(out, &self.p);
        DH_VALUE.encode_opaque(out, &self.g);
        DH_VALUE.encode_opaque(out, &self.public);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(ServerDhParams {
            p: DH_VALUE.read_opaque(r)?,
            g: DH_VALUE.read_opaque(r)?,
            public: DH_VALUE.read_opaque(r)?,
        })
    }
}

/// A DH ClientKeyExchange body (RFC 5246 §7.4.7.2): the client's public
/// value, always `explicit` here (`implicit` is for fixed-DH client
/// certificates, which are not supported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientDhPublic {
    /// `dh_Yc`, big-endian.
    pub public: Vec<u8>,
}

impl Codec for ClientDhPublic {
    fn encode(&self, out: &mut Vec<u8>) {
        DH_VALUE.encode_opaque(out, &self.public);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        DH_VALUE
            .read_opaque(r)
            .map(|public| ClientDhPublic { public })
    }
}

/// An ECDH ClientKeyExchange body (RFC 4492 §5.7): the client's ephemeral
/// public point (`explicit` encoding; `implicit` is for fixed-ECDH client
/// certificates, which are not supported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEcdhPublic {
    /// The public point, uncompressed for prime curves.
    pub public: Vec<u8>,
}

impl Codec for ClientEcdhPublic {
    fn encode(&self, out: &mut Vec<u8>) {
        EC_POINT.encode_opaque(out, &self.public);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        EC_POINT
            .read_opaque(r)
            .map(|public| ClientEcdhPublic { public })
    }
}

/// RFC 5246 §4.7: public-key-encrypted data is `opaque <0..2^16-1>`.
pub const ENCRYPTED_PRE_MASTER_SECRET: VecBounds =
    VecBounds::new(0, 0xffff, "EncryptedPreMasterSecret");

/// An RSA ClientKeyExchange body (RFC 5246 §7.4.7.1): the premaster
/// secret encrypted to the server certificate's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedPreMasterSecret {
    /// The RSAES-PKCS1-v1_5 ciphertext.
    pub ciphertext: Vec<u8>,
}

impl Codec for EncryptedPreMasterSecret {
    fn encode(&self, out: &mut Vec<u8>) {
        ENCRYPTED_PRE_MASTER_SECRET.encode_opaque(out, &self.ciphertext);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        ENCRYPTED_PRE_MASTER_SECRET
            .read_opaque(r)
            .map(|ciphertext| EncryptedPreMasterSecret { ciphertext })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> ServerEcdhParams {
        ServerEcdhParams {
            curve_type: EcCurveType::NamedCurve,
            named_curve: NamedGroup::Secp256r1,
            public: vec![4; 65],
        }
    }

    #[test]
    fn tls12_signature_carries_its_algorithm() {
        let ske = EcdheServerKeyExchange {
            params: params(),
            signed: DigitallySigned {
                algorithm: Some(SignatureScheme::RsaPkcs1Sha256),
                signature: vec![9; 256],
            },
        };
        let bytes = ske.to_bytes();
        assert_eq!(&bytes[..5], &[3, 0, 23, 65, 4]);
        assert_eq!(&bytes[69..73], &[4, 1, 1, 0]);
        assert_eq!(
            EcdheServerKeyExchange::from_body(&bytes, ProtocolVersion::Tls12).unwrap(),
            ske
        );
    }

    #[test]
    fn tls10_and_tls11_signatures_have_no_algorithm() {
        let ske = EcdheServerKeyExchange {
            params: params(),
            signed: DigitallySigned {
                algorithm: None,
                signature: vec![9; 128],
            },
        };
        let bytes = ske.to_bytes();
        assert_eq!(&bytes[69..71], &[0, 128]);
        for version in [ProtocolVersion::Tls10, ProtocolVersion::Tls11] {
            assert_eq!(
                EcdheServerKeyExchange::from_body(&bytes, version).unwrap(),
                ske
            );
        }
        // Read as TLS 1.2, the length bytes would be taken for an algorithm.
        assert!(EcdheServerKeyExchange::from_body(&bytes, ProtocolVersion::Tls12).is_err());
    }

    #[test]
    fn rejects_explicit_curves() {
        let bytes = [1, 0, 23, 1, 4, 0, 0];
        assert_eq!(
            EcdheServerKeyExchange::from_body(&bytes, ProtocolVersion::Tls11).unwrap_err(),
            InvalidMessage::IllegalValue("ECParameters.curve_type")
        );
    }

    #[test]
    fn dhe_params_are_three_length_prefixed_integers() {
        let ske = DheServerKeyExchange {
            params: ServerDhParams {
                p: vec![0xff; 3],
                g: vec![2],
                public: vec![7, 8],
            },
            signed: DigitallySigned {
                algorithm: Some(SignatureScheme::RsaPkcs1Sha256),
                signature: vec![9; 4],
            },
        };
        let bytes = ske.to_bytes();
        assert_eq!(
            bytes,
            [
                0, 3, 0xff, 0xff, 0xff, 0, 1, 2, 0, 2, 7, 8, 4, 1, 0, 4, 9, 9, 9, 9
            ]
        );
        assert_eq!(
            DheServerKeyExchange::from_body(&bytes, ProtocolVersion::Tls12).unwrap(),
            ske
        );
        // RFC 5246 §7.4.3: each value has at least one byte.
        assert_eq!(
            DheServerKeyExchange::from_body(
                &[0, 0, 0, 1, 2, 0, 1, 5, 0, 0],
                ProtocolVersion::Tls11
            )
            .unwrap_err(),
            InvalidMessage::LengthOutOfBounds("DH value")
        );
        assert_eq!(
            DheServerKeyExchange::from_body(&bytes[..11], ProtocolVersion::Tls12).unwrap_err(),
            InvalidMessage::Truncated("DH value")
        );
    }

    #[test]
    fn client_dh_public_is_length_prefixed() {
        let body = ClientDhPublic {
            public: vec![1, 2, 3],
        }
        .to_bytes();
        assert_eq!(body, [0, 3, 1, 2, 3]);
        assert_eq!(
            ClientDhPublic::from_bytes(&[0, 0]).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("DH value")
        );
    }

    #[test]
    fn rejects_empty_client_point() {
        assert_eq!(
            ClientEcdhPublic::from_bytes(&[0]).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("ECPoint")
        );
    }
}
