//! Incompatible configurations, bad certificates and tampering: each ends
//! with the exact alert RFC 5246 §7.2 prescribes, on both sides.

use tlsim_sim::Instant;
use tlsim_test_support::{
    Direction, LeafKey, NOW, Pair, alert_sent, client_config, error_of, pki, pki_with,
    server_config,
};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion,
};
use tlsim_tls::error::{CertificateError, Error, PeerIncompatible};
use tlsim_tls::msgs::Alert;
use tlsim_tls_client::ClientConfig;
use tlsim_tls_server::ServerConfig;

#[track_caller]
fn assert_server_alerted(pair: &Pair, alert: AlertDescription) {
    assert_alerted(pair, &pair.server_events, &pair.client_events, alert);
}

#[track_caller]
fn assert_client_alerted(pair: &Pair, alert: AlertDescription) {
    assert_alerted(pair, &pair.client_events, &pair.server_events, alert);
}

/// The end whose events are `sender` sent the fatal `alert` and the other
/// end, `receiver`, failed on it without an alert of its own; both ended.
#[track_caller]
fn assert_alerted(
    pair: &Pair,
    sender: &[TlsEvent],
    receiver: &[TlsEvent],
    alert: AlertDescription,
) {
    assert_eq!(alert_sent(sender), Some(alert));
    assert!(receiver.contains(&TlsEvent::AlertReceived(Alert::fatal(alert))));
    assert_eq!(error_of(receiver), Some(&Error::AlertReceived(alert)));
    assert_eq!(alert_sent(receiver), None);
    assert!(pair.client.has_failed() && pair.server.has_failed());
}

/// A handshake between the ECDSA configurations as `adjust` leaves them.
fn handshake_after(adjust: impl FnOnce(&mut ClientConfig, &mut ServerConfig)) -> Pair {
    let pki = pki(LeafKey::Ecdsa);
    let (mut client, mut server) = (client_config(&pki), server_config(&pki));
    adjust(&mut client, &mut server);
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair
}

/// Rewrites the handshake messages of the leading plaintext records in
/// `bytes` with `edit`, fixing the record lengths.
fn edit_handshake_records(bytes: &mut Vec<u8>, edit: impl FnOnce(&mut Vec<(u8, Vec<u8>)>)) {
    // The flight's leading plaintext handshake records, one or more messages each.
    let mut messages = Vec::new();
    let mut at = 0;
    while at + 5 <= bytes.len() && bytes[at] == 22 {
        let len = usize::from(u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]));
        let mut rest = &bytes[at + 5..at + 5 + len];
        while !rest.is_empty() {
            let body_len = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) as usize;
            messages.push((rest[0], rest[4..4 + body_len].to_vec()));
            rest = &rest[4 + body_len..];
        }
        at += 5 + len;
    }
    edit(&mut messages);
    // Written back one message per record, as the server writes them.
    let mut out = Vec::new();
    for (typ, body) in &messages {
        out.extend_from_slice(&bytes[..3]);
        out.extend_from_slice(&((4 + body.len()) as u16).to_be_bytes());
        out.push(*typ);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
    }
    out.extend_from_slice(&bytes[at..]);
    *bytes = out;
}

#[test]
fn no_common_suite_is_handshake_failure_on_both_sides() {
    let pair = handshake_after(|client, _| {
        client.cipher_suites = vec![
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
            CipherSuite::TLS_RSA_WITH_CAMELLIA_128_CBC_SHA,
        ];
    });
    assert_server_alerted(&pair, AlertDescription::HandshakeFailure);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::PeerIncompatible(
            PeerIncompatible::NoCipherSuiteInCommon
        ))
    );
    assert!(Pair::titles(&pair.client_log).contains(&"TLS Alert (handshake_failure)".to_owned()));
    assert!(Pair::titles(&pair.server_log).contains(&"TLS Alert (handshake_failure)".to_owned()));
}

#[test]
fn no_common_group_is_handshake_failure() {
    let pair = handshake_after(|client, _| {
        client.groups = vec![NamedGroup::Secp384r1, NamedGroup::Secp521r1];
    });
    assert_server_alerted(&pair, AlertDescription::HandshakeFailure);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::PeerIncompatible(PeerIncompatible::NoCurveInCommon))
    );
}

#[test]
fn client_below_the_server_floor_is_protocol_version() {
    let pair = handshake_after(|client, server| {
        client.max_version = ProtocolVersion::Tls10;
        server.min_version = ProtocolVersion::Tls11;
    });
    assert_server_alerted(&pair, AlertDescription::ProtocolVersion);
}

#[test]
fn server_version_below_the_client_floor_is_protocol_version() {
    let pair = handshake_after(|client, server| {
        client.min_version = ProtocolVersion::Tls12;
        server.max_version = ProtocolVersion::Tls11;
    });
    assert_client_alerted(&pair, AlertDescription::ProtocolVersion);
}

#[test]
fn wrong_host_name_is_bad_certificate() {
    let pair = handshake_after(|client, _| client.server_name = Some("www.example.com".into()));
    assert_client_alerted(&pair, AlertDescription::BadCertificate);
    assert_eq!(
        error_of(&pair.client_events),
        Some(&Error::Certificate(CertificateError::NameMismatch))
    );
}

#[test]
fn expired_certificate_is_certificate_expired() {
    let pki = pki_with(LeafKey::Ecdsa, (NOW - 1000, NOW - 10), 7);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    assert_client_alerted(&pair, AlertDescription::CertificateExpired);
}

#[test]
fn unknown_root_is_unknown_ca() {
    // The chain ends in its own self-signed root, which nobody trusts.
    let pair = handshake_after(|client, _| client.trust_anchors = Default::default());
    assert_client_alerted(&pair, AlertDescription::UnknownCa);
}

#[test]
fn flipped_server_key_exchange_signature_is_decrypt_error() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    let mut done = false;
    pair.tamper(move |direction, bytes| {
        if direction == Direction::ToClient && !done {
            done = true;
            edit_handshake_records(bytes, |messages| {
                let (_, body) = messages
                    .iter_mut()
                    .find(|(t, _)| *t == HandshakeType::ServerKeyExchange.get())
                    .unwrap();
                *body.last_mut().unwrap() ^= 0x01;
            });
        }
    });
    pair.handshake();
    assert_client_alerted(&pair, AlertDescription::DecryptError);
}

#[test]
fn flipped_finished_ciphertext_is_bad_record_mac() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.tamper(|direction, bytes| {
        // The client's second flight ends with the encrypted Finished.
        if direction == Direction::ToServer && bytes[0] == ContentType::Handshake.get() {
            let has_ccs = bytes
                .windows(3)
                .any(|w| w == [ContentType::ChangeCipherSpec.get(), 3, 3]);
            if has_ccs {
                *bytes.last_mut().unwrap() ^= 0x80;
            }
        }
    });
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::BadRecordMac)
    );
    assert!(
        pair.client_events
            .contains(&TlsEvent::AlertReceived(Alert::fatal(
                AlertDescription::BadRecordMac
            )))
    );
}

#[test]
fn missing_certificate_is_unexpected_message_listing_the_expected_type() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    let mut done = false;
    pair.tamper(move |direction, bytes| {
        if direction == Direction::ToClient && !done {
            done = true;
            edit_handshake_records(bytes, |messages| {
                messages.retain(|(t, _)| *t != HandshakeType::Certificate.get());
            });
        }
    });
    pair.handshake();
    assert_client_alerted(&pair, AlertDescription::UnexpectedMessage);
    assert_eq!(
        error_of(&pair.client_events),
        Some(&Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::Certificate],
            got: HandshakeType::ServerKeyExchange,
        })
    );
}

#[test]
fn application_data_before_the_handshake_is_unexpected_message() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    let now = pair.now;
    pair.server
        .handle_bytes(now, &[23, 3, 1, 0, 2, 0xab, 0xcd], &mut pair.server_log);
    pair.drive();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn errors_are_sticky() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.cipher_suites = vec![CipherSuite::TLS_RSA_WITH_CAMELLIA_128_CBC_SHA];
    let mut pair = Pair::new(client.clone(), server_config(&pki));
    pair.handshake();
    assert!(pair.server.has_failed());
    let events_before = pair.server_events.len();
    let log_before = pair.server_log.len();
    // A perfectly good Client Hello is now ignored.
    let mut fresh = Pair::new(client_config(&pki), server_config(&pki));
    fresh.start();
    let mut hello = Vec::new();
    fresh.client.write_tls(&mut hello);
    pair.server
        .handle_bytes(Instant::from_nanos(1), &hello, &mut pair.server_log);
    assert!(!pair.server.wants_write());
    assert!(pair.server.poll_event().is_none());
    assert_eq!(pair.server_events.len(), events_before);
    assert_eq!(pair.server_log.len(), log_before);
    let now = pair.now;
    pair.server
        .send_application_data(now, b"late", &mut pair.server_log);
    assert!(!pair.server.wants_write());
    assert!(!pair.server.is_handshaking());
}

#[test]
fn garbage_is_a_decode_or_protocol_alert_not_a_panic() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    let now = pair.now;
    pair.server
        .handle_bytes(now, b"GET / HTTP/1.1\r\n\r\n", &mut pair.server_log);
    pair.collect();
    assert!(pair.server.has_failed());
}

/// Records a server might send before the client has spoken: a
/// HelloRequest (handshake type 0, empty body), a warning close_notify, a
/// ChangeCipherSpec.
const RECORDS_BEFORE_START: [(&[u8], ContentType); 3] = [
    (&[22, 3, 1, 0, 4, 0, 0, 0, 0], ContentType::Handshake),
    (&[21, 3, 1, 0, 2, 1, 0], ContentType::Alert),
    (&[20, 3, 1, 0, 1, 1], ContentType::ChangeCipherSpec),
];

#[test]
fn any_record_before_start_is_unexpected_message() {
    let pki = pki(LeafKey::Ecdsa);
    for (record, typ) in RECORDS_BEFORE_START {
        let mut pair = Pair::new(client_config(&pki), server_config(&pki));
        let now = pair.now;
        pair.client.handle_bytes(now, record, &mut pair.client_log);
        pair.collect();
        assert_eq!(
            alert_sent(&pair.client_events),
            Some(AlertDescription::UnexpectedMessage),
            "{typ}"
        );
        assert_eq!(
            error_of(&pair.client_events),
            Some(&Error::InappropriateMessage {
                expected: &[],
                got: typ
            })
        );
        assert!(!pair.client.is_handshaking());
    }
}

#[test]
fn start_after_a_rejected_record_sends_no_client_hello() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    let now = pair.now;
    let (hello_request, _) = RECORDS_BEFORE_START[0];
    pair.client
        .handle_bytes(now, hello_request, &mut pair.client_log);
    let mut alert = Vec::new();
    pair.client.write_tls(&mut alert);
    pair.start();
    assert!(!pair.client.wants_write());
    assert!(pair.client.has_failed());
    // The fatal unexpected_message alert, in the clear.
    assert_eq!(alert, [21, 3, 1, 0, 2, 2, 10]);
}

#[test]
fn a_second_start_sends_nothing_more() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.start();
    let mut hello = Vec::new();
    pair.client.write_tls(&mut hello);
    assert_eq!(hello[5], 1, "a Client Hello");
    pair.start();
    assert!(!pair.client.wants_write());
    pair.server
        .handle_bytes(pair.now, &hello, &mut pair.server_log);
    pair.drive();
    pair.assert_complete();
}
