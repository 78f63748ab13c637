//! Handshake edge cases between the two actors: renegotiation refused,
//! handshake messages past the record size, a certificate curve the client
//! did not list, a Certificate Request, and misplaced messages at the
//! client.

use tlsim_test_support::flight::{Unit, split, tamper_units};
use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, error_of, pki, server_config,
};
use tlsim_tls::codec::Codec;
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, ClientCertificateType, ContentType, ExtensionType,
    HandshakeType, NamedGroup, SignatureScheme,
};
use tlsim_tls::error::{Error, InvalidMessage, PeerIncompatible};
use tlsim_tls::msgs::{Alert, CertificateRequest, HandshakeMessage};
use tlsim_tls_client::ClientConfig;

#[test]
fn a_hello_request_after_the_handshake_gets_a_no_renegotiation_warning() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    pair.assert_complete();
    let hello_request = [HandshakeType::HelloRequest.get(), 0, 0, 0];
    let record = pair.record_after_finished(Side::Server, ContentType::Handshake, &hello_request);
    let now = pair.now;
    pair.client.handle_bytes(now, &record, &mut pair.client_log);
    pair.drive();
    assert!(pair.client_failure().is_none(), "{:?}", pair.client_events);
    assert!(
        pair.server_events
            .contains(&TlsEvent::AlertReceived(Alert::warning(
                AlertDescription::NoRenegotiation
            )))
    );
    assert!(Pair::titles(&pair.client_log).contains(&"TLS Alert (no_renegotiation)".to_owned()));
    // The connection goes on: the warning took the client's next sequence
    // number, and the server read it, so data still flows both ways.
    assert_eq!(pair.transfer(Direction::ToServer, b"request"), b"request");
    assert!(pair.server_failure().is_none(), "{:?}", pair.server_events);
}

#[test]
fn a_hello_request_with_a_body_after_the_handshake_is_decode_error() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    let hello_request = [HandshakeType::HelloRequest.get(), 0, 0, 1, 0];
    let record = pair.record_after_finished(Side::Server, ContentType::Handshake, &hello_request);
    let now = pair.now;
    pair.client.handle_bytes(now, &record, &mut pair.client_log);
    pair.collect();
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::DecodeError)
    );
}

/// A client whose Client Hello is over 100 KiB: 20,000 suites tlsim does
/// not know (40,000 bytes) and a 63,000-byte padding extension (RFC 7685).
fn client_with_a_large_hello(client: ClientConfig) -> ClientConfig {
    let mut cipher_suites = client.cipher_suites.clone();
    cipher_suites.extend((0x1000..0x1000 + 20_000).map(CipherSuite::from));
    ClientConfig {
        cipher_suites,
        opaque_extensions: vec![(ExtensionType::Padding, vec![0; 63_000])],
        ..client
    }
}

#[test]
fn a_client_hello_of_over_100_kib_completes_the_handshake() {
    let pki = pki(LeafKey::Ecdsa);
    let client = client_with_a_large_hello(client_config(&pki));
    let mut pair = Pair::new(client, server_config(&pki));
    pair.handshake();
    pair.assert_complete();
    // RFC 5246 §6.2.1: the message spans seven records of at most 2^14
    // bytes.
    let hello_len = u32::from_be_bytes([
        0,
        pair.client_wire[6],
        pair.client_wire[7],
        pair.client_wire[8],
    ]);
    assert!(hello_len > 100 * 1024, "{hello_len}");
    assert_eq!(
        pair.server.negotiated().unwrap().suite,
        CipherSuite::from(0xc02b)
    );
}

#[test]
fn a_handshake_message_past_the_configured_limit_is_decode_error() {
    let pki = pki(LeafKey::Ecdsa);
    let client = client_with_a_large_hello(client_config(&pki));
    let mut server = server_config(&pki);
    server.max_handshake_len = 64 * 1024;
    let mut pair = Pair::new(client, server);
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::DecodeError)
    );
    assert!(matches!(
        error_of(&pair.server_events),
        Some(Error::InvalidMessage(InvalidMessage::HandshakeTooLarge(len))) if *len > 100 * 1024
    ));
    assert!(
        pair.client_events
            .contains(&TlsEvent::AlertReceived(Alert::fatal(
                AlertDescription::DecodeError
            )))
    );
}

#[test]
fn an_ecdsa_certificate_on_a_curve_the_client_did_not_list_is_not_chosen() {
    let pki = pki(LeafKey::Ecdsa);
    // RFC 8422 §5.3: x25519 for ECDHE, but nothing for a P-256 signature.
    let client = ClientConfig {
        groups: vec![NamedGroup::X25519],
        ..client_config(&pki)
    };
    let mut pair = Pair::new(client.clone(), server_config(&pki));
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::HandshakeFailure)
    );
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::PeerIncompatible(
            PeerIncompatible::CertificateCurveNotOffered
        ))
    );
    // With secp256r1 listed as well, the ECDSA suite runs over x25519.
    let client = ClientConfig {
        groups: vec![NamedGroup::X25519, NamedGroup::Secp256r1],
        ..client
    };
    let mut server = server_config(&pki);
    server.groups = vec![NamedGroup::X25519];
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let negotiated = pair.client.negotiated().unwrap();
    assert_eq!(negotiated.suite, CipherSuite::from(0xc02b));
    assert_eq!(negotiated.group, Some(NamedGroup::X25519));
}

#[test]
fn an_ecdsa_certificate_leaves_an_rsa_server_unaffected_by_the_curve_list() {
    let pki = pki(LeafKey::Rsa);
    let client = ClientConfig {
        groups: vec![NamedGroup::X25519],
        ..client_config(&pki)
    };
    let mut pair = Pair::new(client, server_config(&pki));
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.client.negotiated().unwrap().suite,
        CipherSuite::from(0xc02f)
    );
}

#[test]
fn any_other_type_in_place_of_the_server_hello_is_unexpected_message() {
    // ClientHello, Certificate, ServerHelloDone, Finished, unknown.
    for typ in [1, 11, 14, 20, 99] {
        let pki = pki(LeafKey::Ecdsa);
        let mut pair = Pair::new(client_config(&pki), server_config(&pki));
        tamper_units(&mut pair, Direction::ToClient, move |delivery, units| {
            if delivery == 0 {
                units[0].body[0] = typ;
            }
        });
        pair.handshake();
        assert_eq!(
            alert_sent(&pair.client_events),
            Some(AlertDescription::UnexpectedMessage),
            "type {typ}"
        );
        assert_eq!(
            error_of(&pair.client_events),
            Some(&Error::InappropriateHandshakeMessage {
                expected: &[HandshakeType::ServerHello],
                got: HandshakeType::from(typ),
            })
        );
    }
}

#[test]
fn a_two_byte_change_cipher_spec_from_the_server_is_unexpected_message() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    tamper_units(&mut pair, Direction::ToClient, |delivery, units| {
        if delivery == 1 {
            units[0].body = vec![1, 1];
        }
    });
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::UnexpectedMessage)
    );
}

/// A handshake in which `requests` (Certificate Request bodies) go into
/// the server's first flight just before its Server Hello Done.
fn handshake_with_certificate_requests(requests: Vec<Vec<u8>>) -> Pair {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    tamper_units(&mut pair, Direction::ToClient, move |delivery, units| {
        if delivery == 0 {
            let done = units.len() - 1;
            for body in requests.iter().rev() {
                let message = HandshakeMessage::Unknown {
                    typ: HandshakeType::CertificateRequest,
                    body: body.clone(),
                };
                let unit = Unit {
                    body: message.to_bytes(),
                    ..units[done].clone()
                };
                units.insert(done, unit);
            }
        }
    });
    pair.handshake();
    pair
}

fn certificate_request() -> CertificateRequest {
    let pki = pki(LeafKey::Ecdsa);
    let root = tlsim_tls::cert::Certificate::parse(&pki.root).unwrap();
    CertificateRequest {
        certificate_types: vec![
            ClientCertificateType::RsaSign,
            ClientCertificateType::EcdsaSign,
        ],
        signature_algorithms: Some(vec![
            SignatureScheme::EcdsaSecp256r1Sha256,
            SignatureScheme::RsaPkcs1Sha256,
        ]),
        certificate_authorities: vec![root.subject.to_der()],
    }
}

#[test]
fn a_certificate_request_is_answered_with_an_empty_certificate() {
    let pair = handshake_with_certificate_requests(vec![certificate_request().to_bytes()]);
    // The client raised nothing; it fails only by the server's alert below.
    assert_eq!(alert_sent(&pair.client_events), None);
    // RFC 5246 §7.4.6: the client's flight opens with a Certificate that
    // holds no certificates, then the Client Key Exchange; no
    // CertificateVerify.
    let units = split(&pair.client_wire, &mut false);
    let types: Vec<u8> = units.iter().map(|u| u.body[0]).collect();
    assert_eq!(&types[..3], &[1, 11, 16]);
    assert_eq!(units[1].body, [11, 0, 0, 3, 0, 0, 0]);
    assert_eq!(units[3].content_type, ContentType::ChangeCipherSpec.get());
    let titles = Pair::titles(&pair.client_log);
    assert!(titles.contains(
        &"TLS Server Hello + Certificate + Server Key Exchange + Certificate Request + Server Hello Done"
            .to_owned()
    ));
    assert!(titles.contains(&"Answer the Certificate Request".to_owned()));
    let answer = pair
        .client_log
        .iter()
        .find(|e| {
            e.title == "TLS Certificate + Client Key Exchange + Change Cipher Spec + Finished"
        })
        .expect("the client's flight");
    assert!(
        answer
            .fields
            .iter()
            .any(|f| f.name == "Certificates Length" && f.value == "0")
    );
    // This server asked for nothing, so it finds a Certificate where it
    // waits for the Client Key Exchange.
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::ClientKeyExchange],
            got: HandshakeType::Certificate,
        })
    );
}

#[test]
fn a_certificate_request_that_does_not_decode_is_decode_error() {
    // TLS 1.2 requires the signature algorithms, which this one lacks.
    let tls11_layout = CertificateRequest {
        signature_algorithms: None,
        ..certificate_request()
    };
    let pair = handshake_with_certificate_requests(vec![tls11_layout.to_bytes()]);
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::DecodeError)
    );
}

#[test]
fn a_second_certificate_request_is_unexpected_message() {
    let body = certificate_request().to_bytes();
    let pair = handshake_with_certificate_requests(vec![body.clone(), body]);
    assert_eq!(
        error_of(&pair.client_events),
        Some(&Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::ServerHelloDone],
            got: HandshakeType::CertificateRequest,
        })
    );
}

/// A handshake whose Server Hello `edit` rewrites.
fn edited_server_hello(edit: impl Fn(&mut Vec<u8>) + 'static) -> Pair {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    tamper_units(&mut pair, Direction::ToClient, move |delivery, units| {
        if delivery == 0 {
            edit(&mut units[0].body);
        }
    });
    pair.handshake();
    pair
}

/// In a Server Hello: type (1), length (3), version (2), random (32),
/// then the session ID's length; the server sends 32-byte IDs.
const SESSION_ID_LEN_AT: usize = 38;

#[test]
fn a_server_session_id_longer_than_32_bytes_is_decode_error() {
    // RFC 5246 §7.4.1.3: `SessionID session_id`, at most 32 bytes.
    let pair = edited_server_hello(|hello| {
        hello[SESSION_ID_LEN_AT] = 33;
        hello.insert(SESSION_ID_LEN_AT + 1, 0);
        let len = (hello.len() - 4) as u32;
        hello[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
    });
    assert_eq!(
        error_of(&pair.client_events),
        Some(&Error::InvalidMessage(InvalidMessage::LengthOutOfBounds(
            "SessionID"
        )))
    );
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::DecodeError)
    );
}

#[test]
fn a_compression_method_the_client_did_not_offer_is_illegal_parameter() {
    // RFC 5246 §7.4.1.3: "compression_method: The single compression
    // algorithm selected by the server from the list in
    // ClientHello.compression_methods."
    let pair = edited_server_hello(|hello| {
        let method_at = SESSION_ID_LEN_AT + 1 + 32 + 2;
        assert_eq!(hello[method_at], 0);
        hello[method_at] = 1;
    });
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::IllegalParameter)
    );
}

#[test]
fn a_hello_request_during_the_handshake_is_ignored() {
    // RFC 5246 §7.4.1.1: ignored while negotiating, and kept out of the
    // transcript, so the Finished messages still agree.
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    tamper_units(&mut pair, Direction::ToClient, |delivery, units| {
        if delivery == 0 {
            let hello_request = Unit {
                body: vec![HandshakeType::HelloRequest.get(), 0, 0, 0],
                ..units[0].clone()
            };
            units.insert(2, hello_request);
        }
    });
    pair.handshake();
    pair.assert_complete();
}

#[test]
fn a_hello_request_with_a_body_during_the_handshake_is_decode_error() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    tamper_units(&mut pair, Direction::ToClient, |delivery, units| {
        if delivery == 0 {
            let hello_request = Unit {
                body: vec![HandshakeType::HelloRequest.get(), 0, 0, 1, 0],
                ..units[0].clone()
            };
            units.insert(2, hello_request);
        }
    });
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::DecodeError)
    );
}
