//! Handshake edge cases between the two actors: renegotiation refused,
//! handshake messages past the record size, a certificate curve the client
//! did not list, and misplaced messages at the client.

use tlsim_test_support::flight::tamper_units;
use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, error_of, pki, server_config,
};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::enums::{AlertDescription, CipherSuite, ContentType, HandshakeType, NamedGroup};
use tlsim_tls::error::{Error, InvalidMessage, PeerIncompatible};
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
            .contains(&TlsEvent::AlertReceived(AlertDescription::NoRenegotiation))
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
    cipher_suites.extend(0x1000..0x1000 + 20_000);
    ClientConfig {
        cipher_suites,
        opaque_extensions: vec![(21, vec![0; 63_000])],
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
            .contains(&TlsEvent::AlertReceived(AlertDescription::DecodeError))
    );
}

#[test]
fn an_ecdsa_certificate_on_a_curve_the_client_did_not_list_is_not_chosen() {
    let pki = pki(LeafKey::Ecdsa);
    // RFC 8422 §5.3: x25519 for ECDHE, but nothing for a P-256 signature.
    let client = ClientConfig {
        groups: vec![NamedGroup::X25519.get()],
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
            PeerIncompatible::NoCipherSuiteInCommon
        ))
    );
    // With secp256r1 listed as well, the ECDSA suite runs over x25519.
    let client = ClientConfig {
        groups: vec![NamedGroup::X25519.get(), NamedGroup::Secp256r1.get()],
        ..client
    };
    let mut server = server_config(&pki);
    server.groups = vec![NamedGroup::X25519.get()];
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
        groups: vec![NamedGroup::X25519.get()],
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
