//! Proptest strategies for every message type, shared by the unit tests.

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::enums::{
    AlertDescription, AlertLevel, CipherSuite, CompressionMethod, EcCurveType, EcPointFormat,
    ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};

fn bytes(len: core::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), len)
}

pub(crate) fn version() -> impl Strategy<Value = ProtocolVersion> {
    any::<u16>().prop_map(ProtocolVersion::from)
}

pub(crate) fn random() -> impl Strategy<Value = Random> {
    any::<[u8; 32]>().prop_map(Random)
}

pub(crate) fn session_id() -> impl Strategy<Value = SessionId> {
    bytes(0..33).prop_map(|b| SessionId::new(&b).expect("at most 32 bytes"))
}

fn protocol_names() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(bytes(1..12), 1..4)
}

/// Extension types no variant interprets, so `Unknown` round-trips.
fn uninterpreted_type() -> impl Strategy<Value = ExtensionType> {
    prop_oneof![Just(5u16), Just(21), Just(30032), 40u16..13000].prop_map(ExtensionType::from)
}

pub(crate) fn client_extension() -> impl Strategy<Value = ClientExtension> {
    prop_oneof![
        vec("[a-z0-9.-]{1,20}", 1..3).prop_map(ClientExtension::ServerName),
        vec(any::<u16>().prop_map(NamedGroup::from), 1..30)
            .prop_map(ClientExtension::SupportedGroups),
        vec(any::<u8>().prop_map(EcPointFormat::from), 1..4)
            .prop_map(ClientExtension::EcPointFormats),
        vec(any::<u16>().prop_map(SignatureScheme::from), 1..10)
            .prop_map(ClientExtension::SignatureAlgorithms),
        bytes(0..40).prop_map(ClientExtension::RenegotiationInfo),
        Just(ClientExtension::ExtendedMasterSecret),
        Just(ClientExtension::EncryptThenMac),
        protocol_names().prop_map(ClientExtension::Alpn),
        Just(ClientExtension::NextProtocolNegotiation),
        bytes(0..60).prop_map(ClientExtension::SessionTicket),
        (uninterpreted_type(), bytes(0..20))
            .prop_map(|(typ, data)| ClientExtension::Unknown { typ, data }),
    ]
}

pub(crate) fn server_extension() -> impl Strategy<Value = ServerExtension> {
    prop_oneof![
        Just(ServerExtension::ServerNameAck),
        vec(any::<u8>().prop_map(EcPointFormat::from), 1..4)
            .prop_map(ServerExtension::EcPointFormats),
        bytes(0..40).prop_map(ServerExtension::RenegotiationInfo),
        Just(ServerExtension::ExtendedMasterSecret),
        Just(ServerExtension::EncryptThenMac),
        protocol_names().prop_map(ServerExtension::Alpn),
        vec(bytes(1..12), 0..4).prop_map(ServerExtension::NextProtocolNegotiation),
        Just(ServerExtension::SessionTicketAck),
        (uninterpreted_type(), bytes(0..20))
            .prop_map(|(typ, data)| ServerExtension::Unknown { typ, data }),
    ]
}

/// Extensions with distinct types, as a well-formed hello carries them.
fn distinct<E: HelloExtension>(mut exts: Vec<E>) -> Vec<E> {
    let mut seen = Vec::new();
    exts.retain(|e| {
        let fresh = !seen.contains(&e.ext_type());
        seen.push(e.ext_type());
        fresh
    });
    exts
}

pub(crate) fn client_hello() -> impl Strategy<Value = ClientHello> {
    (
        version(),
        random(),
        session_id(),
        vec(any::<u16>().prop_map(CipherSuite::from), 1..60),
        vec(any::<u8>().prop_map(CompressionMethod::from), 1..3),
        vec(client_extension(), 0..8),
    )
        .prop_map(
            |(client_version, random, session_id, cipher_suites, compression_methods, exts)| {
                ClientHello {
                    client_version,
                    random,
                    session_id,
                    cipher_suites,
                    compression_methods,
                    extensions: distinct(exts),
                }
            },
        )
}

pub(crate) fn server_hello() -> impl Strategy<Value = ServerHello> {
    (
        version(),
        random(),
        session_id(),
        any::<u16>().prop_map(CipherSuite::from),
        any::<u8>().prop_map(CompressionMethod::from),
        vec(server_extension(), 0..6),
    )
        .prop_map(
            |(server_version, random, session_id, cipher_suite, compression_method, exts)| {
                ServerHello {
                    server_version,
                    random,
                    session_id,
                    cipher_suite,
                    compression_method,
                    extensions: distinct(exts),
                }
            },
        )
}

pub(crate) fn certificate() -> impl Strategy<Value = Certificate> {
    vec(bytes(1..200), 0..4).prop_map(|chain| Certificate { chain })
}

pub(crate) fn ecdhe_server_key_exchange() -> impl Strategy<Value = EcdheServerKeyExchange> {
    (
        any::<u16>().prop_map(NamedGroup::from),
        bytes(1..100),
        proptest::option::of(any::<u16>().prop_map(SignatureScheme::from)),
        bytes(0..300),
    )
        .prop_map(
            |(named_curve, public, algorithm, signature)| EcdheServerKeyExchange {
                params: ServerEcdhParams {
                    curve_type: EcCurveType::NamedCurve,
                    named_curve,
                    public,
                },
                signed: DigitallySigned {
                    algorithm,
                    signature,
                },
            },
        )
}

/// Handshake types neither the envelope nor the dissector interprets
/// (Certificate Request, 13, is dissected by version).
fn uninterpreted_handshake_type() -> impl Strategy<Value = HandshakeType> {
    prop_oneof![Just(15u8), Just(22), Just(67), 100u8..=255].prop_map(HandshakeType::from)
}

pub(crate) fn handshake_message() -> impl Strategy<Value = HandshakeMessage> {
    prop_oneof![
        Just(HandshakeMessage::HelloRequest),
        client_hello().prop_map(HandshakeMessage::ClientHello),
        server_hello().prop_map(HandshakeMessage::ServerHello),
        (any::<u32>(), bytes(0..100)).prop_map(|(lifetime_hint, ticket)| {
            HandshakeMessage::NewSessionTicket(NewSessionTicket {
                lifetime_hint,
                ticket,
            })
        }),
        certificate().prop_map(HandshakeMessage::Certificate),
        bytes(0..300).prop_map(HandshakeMessage::ServerKeyExchange),
        Just(HandshakeMessage::ServerHelloDone),
        bytes(0..100).prop_map(HandshakeMessage::ClientKeyExchange),
        any::<[u8; 12]>()
            .prop_map(|verify_data| HandshakeMessage::Finished(Finished { verify_data })),
        (uninterpreted_handshake_type(), bytes(0..50))
            .prop_map(|(typ, body)| HandshakeMessage::Unknown { typ, body }),
    ]
}

pub(crate) fn alert() -> impl Strategy<Value = Alert> {
    (any::<u8>(), any::<u8>()).prop_map(|(level, description)| Alert {
        level: AlertLevel::from(level),
        description: AlertDescription::from(description),
    })
}
