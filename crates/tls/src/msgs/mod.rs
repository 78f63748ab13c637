//! Typed TLS 1.0–1.2 messages: handshake messages, hello extensions,
//! alerts and ChangeCipherSpec, each with a [`Codec`](crate::codec::Codec);
//! [`tls13`] holds the TLS 1.3 messages and extension bodies, [`psk`] those
//! of resumption and 0-RTT.
//!
//! Start with [`HandshakeMessage`], the envelope every handshake message
//! travels in; [`dissect`] turns records and messages into the ordered,
//! byte-located fields of the event log, and [`explain`] gives each
//! message, record and alert its explanation for learners.

mod alert;
mod certificate_request;
pub mod dissect;
pub mod explain;
mod extensions;
mod handshake;
mod hello;
mod kx;
pub mod psk;
pub mod tls13;

#[cfg(test)]
pub(crate) mod strategies;

pub use alert::{Alert, ChangeCipherSpec};
pub use certificate_request::{
    AUTHORITIES_13, CERTIFICATE_AUTHORITIES, CERTIFICATE_REQUEST_EXTENSIONS, CERTIFICATE_TYPES,
    CertificateAuthorities13, CertificateRequest, CertificateRequest13, DISTINGUISHED_NAME,
    SignatureAlgorithms13,
};
pub use extensions::{
    ClientExtension, EC_POINT_FORMAT_LIST, ELLIPTIC_CURVE_LIST, EXTENSION_DATA, EXTENSIONS,
    HOST_NAME, HelloExtension, PROTOCOL_NAME, PROTOCOL_NAME_LIST, RENEGOTIATED_CONNECTION,
    SERVER_NAME_LIST, SUPPORTED_SIGNATURE_ALGORITHMS, ServerExtension,
};
pub use handshake::{
    ASN1_CERT, CERTIFICATE_LIST, Certificate, Finished, HANDSHAKE_BODY, HANDSHAKE_HEADER_LEN,
    HandshakeMessage, NewSessionTicket, TICKET, VERIFY_DATA_LEN,
};
pub use hello::{
    CIPHER_SUITES, COMPRESSION_METHODS, ClientHello, Random, SESSION_ID, ServerHello, SessionId,
};
pub use kx::{
    ClientDhPublic, ClientEcdhPublic, DH_VALUE, DheServerKeyExchange, DigitallySigned, EC_POINT,
    ENCRYPTED_PRE_MASTER_SECRET, EcdheServerKeyExchange, EncryptedPreMasterSecret, SIGNATURE,
    ServerDhParams, ServerEcdhParams, SignedServerParams,
};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::strategies;
    use super::*;
    use crate::codec::{Codec, Reader};
    use crate::enums::ProtocolVersion;

    proptest! {
        #[test]
        fn client_extension_round_trips(ext in strategies::client_extension()) {
            prop_assert_eq!(ClientExtension::from_bytes(&ext.to_bytes()).unwrap(), ext);
        }

        #[test]
        fn server_extension_round_trips(ext in strategies::server_extension()) {
            prop_assert_eq!(ServerExtension::from_bytes(&ext.to_bytes()).unwrap(), ext);
        }

        #[test]
        fn client_hello_round_trips(hello in strategies::client_hello()) {
            prop_assert_eq!(ClientHello::from_bytes(&hello.to_bytes()).unwrap(), hello);
        }

        #[test]
        fn server_hello_round_trips(hello in strategies::server_hello()) {
            prop_assert_eq!(ServerHello::from_bytes(&hello.to_bytes()).unwrap(), hello);
        }

        #[test]
        fn certificate_round_trips(cert in strategies::certificate()) {
            prop_assert_eq!(Certificate::from_bytes(&cert.to_bytes()).unwrap(), cert);
        }

        #[test]
        fn handshake_message_round_trips(msg in strategies::handshake_message()) {
            let bytes = msg.to_bytes();
            prop_assert_eq!(bytes.len(), HANDSHAKE_HEADER_LEN + (u32::from_be_bytes([0, bytes[1], bytes[2], bytes[3]]) as usize));
            prop_assert_eq!(HandshakeMessage::from_bytes(&bytes).unwrap(), msg);
        }

        #[test]
        fn ecdhe_server_key_exchange_round_trips(ske in strategies::ecdhe_server_key_exchange()) {
            let version = if ske.signed.algorithm.is_some() {
                ProtocolVersion::Tls12
            } else {
                ProtocolVersion::Tls11
            };
            prop_assert_eq!(EcdheServerKeyExchange::from_body(&ske.to_bytes(), version).unwrap(), ske);
        }

        #[test]
        fn client_ecdh_public_round_trips(public in proptest::collection::vec(any::<u8>(), 1..255)) {
            let cke = ClientEcdhPublic { public };
            prop_assert_eq!(ClientEcdhPublic::from_bytes(&cke.to_bytes()).unwrap(), cke);
        }

        #[test]
        fn alert_round_trips(alert in strategies::alert()) {
            prop_assert_eq!(Alert::from_bytes(&alert.to_bytes()).unwrap(), alert);
        }

        #[test]
        fn readers_never_panic_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = HandshakeMessage::from_bytes(&bytes);
            let _ = ClientHello::from_bytes(&bytes);
            let _ = ServerHello::from_bytes(&bytes);
            let _ = Certificate::from_bytes(&bytes);
            let _ = ClientExtension::from_bytes(&bytes);
            let _ = ServerExtension::from_bytes(&bytes);
            let _ = Alert::from_bytes(&bytes);
            let _ = ChangeCipherSpec::from_bytes(&bytes);
            let _ = ClientEcdhPublic::from_bytes(&bytes);
            let _ = NewSessionTicket::from_bytes(&bytes);
            let _ = tls13::Tls13Message::from_bytes(&bytes);
            let _ = tls13::ClientKeyShares::from_bytes(&bytes);
            let _ = tls13::Certificate13::from_bytes(&bytes);
            let _ = tls13::NewSessionTicket13::from_bytes(&bytes);
            for version in [ProtocolVersion::Tls10, ProtocolVersion::Tls12] {
                let _ = EcdheServerKeyExchange::from_body(&bytes, version);
            }
        }

        #[test]
        fn readers_never_panic_on_mutated_messages(
            msg in strategies::handshake_message(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = msg.to_bytes();
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            let _ = HandshakeMessage::from_bytes(&bytes);
            let _ = HandshakeMessage::read(&mut Reader::new(&bytes[..cut.index(bytes.len() + 1)]));
        }
    }
}
