//! RFC 8446 §4.6.3 KeyUpdate between the client and server actors, in
//! memory: both directions, the answer to update_requested, the secrets
//! `application_traffic_secret_N+1` (§7.2) in the key log, and the alerts
//! for a KeyUpdate that breaks the rules.

use tlsim_test_support::{Direction, LeafKey, Pair, alert_sent, client_config, pki, server_config};
use tlsim_tls::crypto::cipher::tls13::Tls13Encrypter;
use tlsim_tls::crypto::key_schedule::{HkdfHash, TrafficKeys, next_traffic_secret};
use tlsim_tls::crypto::suites::BulkCipher;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, ContentType, HandshakeType, ProtocolVersion, SignatureScheme,
};

fn tls13_pair() -> Pair {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.max_version = ProtocolVersion::Tls13;
    client.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    client.signature_algorithms = Some(vec![SignatureScheme::EcdsaSecp256r1Sha256]);
    let mut server = server_config(&pki);
    server.max_version = ProtocolVersion::Tls13;
    server.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    Pair::new(client, server)
}

/// The secret of the key log line labelled `label`.
#[track_caller]
fn secret(lines: &[String], label: &str) -> Vec<u8> {
    let line = lines
        .iter()
        .find(|l| l.split(' ').next() == Some(label))
        .unwrap_or_else(|| panic!("no {label} in {lines:?}"));
    hex::decode(line.rsplit(' ').next().unwrap()).unwrap()
}

fn labels(lines: &[String]) -> Vec<&str> {
    lines.iter().map(|l| l.split(' ').next().unwrap()).collect()
}

/// A TLS 1.3 record (RFC 8446 §5.2) of `typ` holding `content`,
/// protected with the keys of `traffic_secret` (TLS_AES_128_GCM_SHA256)
/// at sequence number 0.
fn protected(traffic_secret: &[u8], typ: ContentType, content: &[u8]) -> Vec<u8> {
    let keys = TrafficKeys::derive(HkdfHash::Sha256, BulkCipher::Aes128Gcm, traffic_secret);
    let mut encrypter = Tls13Encrypter::new(BulkCipher::Aes128Gcm, &keys).unwrap();
    let fragment = encrypter.encrypt(typ, content, 0);
    let mut record = vec![23, 3, 3];
    record.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
    record.extend_from_slice(&fragment);
    record
}

fn key_update(request_update: u8) -> Vec<u8> {
    vec![HandshakeType::KeyUpdate.get(), 0, 0, 1, request_update]
}

#[test]
fn update_requested_is_answered_and_data_flows_under_the_new_keys() {
    let mut pair = tls13_pair();
    pair.handshake();
    pair.assert_complete();
    let before = pair.client.keylog_lines();
    assert_eq!(pair.server.keylog_lines(), before);
    let now = pair.now;
    assert!(pair.client.key_update(now, &mut pair.client_log, true));
    pair.drive();
    let client_lines = pair.client.keylog_lines();
    let server_lines = pair.server.keylog_lines();
    // The client rolls its own secret, then reads the server's answer.
    assert_eq!(
        labels(&client_lines),
        ["CLIENT_TRAFFIC_SECRET_1", "SERVER_TRAFFIC_SECRET_1"]
    );
    assert_eq!(
        labels(&server_lines),
        ["CLIENT_TRAFFIC_SECRET_1", "SERVER_TRAFFIC_SECRET_1"]
    );
    assert_eq!(client_lines, server_lines, "both sides derive the same");
    for side in ["CLIENT", "SERVER"] {
        assert_eq!(
            secret(&client_lines, &format!("{side}_TRAFFIC_SECRET_1")),
            next_traffic_secret(
                HkdfHash::Sha256,
                &secret(&before, &format!("{side}_TRAFFIC_SECRET_0"))
            ),
            "RFC 8446 §7.2: HKDF-Expand-Label(secret_0, \"traffic upd\", \"\", 32)"
        );
    }
    assert_eq!(pair.transfer(Direction::ToServer, b"ping"), b"ping");
    assert_eq!(pair.transfer(Direction::ToClient, b"pong"), b"pong");
    let titles = Pair::titles(&pair.server_log);
    assert!(titles.contains(&"Next traffic secret".to_owned()));
    assert!(titles.contains(&"Updated server application traffic keys".to_owned()));
}

#[test]
fn update_not_requested_moves_one_direction_only() {
    let mut pair = tls13_pair();
    pair.handshake();
    pair.client.keylog_lines();
    pair.server.keylog_lines();
    for _ in 0..2 {
        let now = pair.now;
        assert!(pair.server.key_update(now, &mut pair.server_log, false));
        pair.drive();
    }
    assert_eq!(
        labels(&pair.client.keylog_lines()),
        ["SERVER_TRAFFIC_SECRET_1", "SERVER_TRAFFIC_SECRET_2"]
    );
    assert_eq!(pair.transfer(Direction::ToClient, b"data"), b"data");
    assert_eq!(pair.transfer(Direction::ToServer, b"back"), b"back");
    assert!(pair.client_failure().is_none() && pair.server_failure().is_none());
}

#[test]
fn key_update_is_refused_before_the_handshake_completes_and_on_tls12() {
    let mut pair = tls13_pair();
    let now = pair.now;
    assert!(!pair.client.key_update(now, &mut pair.client_log, false));
    let pki = pki(LeafKey::Ecdsa);
    let mut tls12 = Pair::new(client_config(&pki), server_config(&pki));
    tls12.handshake();
    tls12.assert_complete();
    let now = tls12.now;
    assert!(!tls12.client.key_update(now, &mut tls12.client_log, true));
    assert!(!tls12.client.wants_write());
}

#[test]
fn an_illegal_request_update_is_illegal_parameter() {
    let mut pair = tls13_pair();
    pair.handshake();
    let lines = pair.client.keylog_lines();
    // The client has written nothing under its application keys yet.
    let record = protected(
        &secret(&lines, "CLIENT_TRAFFIC_SECRET_0"),
        ContentType::Handshake,
        &key_update(2),
    );
    let now = pair.now;
    pair.server.handle_bytes(now, &record, &mut pair.server_log);
    pair.collect();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::IllegalParameter)
    );
}

#[test]
fn a_key_update_that_does_not_end_its_record_is_unexpected_message() {
    let mut pair = tls13_pair();
    pair.handshake();
    let lines = pair.client.keylog_lines();
    // RFC 8446 §5.1: a KeyUpdate must align with a record boundary.
    let mut content = key_update(0);
    content.extend_from_slice(&key_update(0)[..2]);
    let record = protected(
        &secret(&lines, "CLIENT_TRAFFIC_SECRET_0"),
        ContentType::Handshake,
        &content,
    );
    let now = pair.now;
    pair.server.handle_bytes(now, &record, &mut pair.server_log);
    pair.collect();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn a_key_update_before_the_finished_is_unexpected_message() {
    // The server, waiting for the client's Finished under the client's
    // handshake keys, gets a KeyUpdate there instead (RFC 8446 §4.6.3).
    let mut pair = tls13_pair();
    pair.start();
    let mut hello = Vec::new();
    pair.client.write_tls(&mut hello);
    let now = pair.now;
    pair.server.handle_bytes(now, &hello, &mut pair.server_log);
    let mut flight = Vec::new();
    pair.server.write_tls(&mut flight);
    pair.client.handle_bytes(now, &flight, &mut pair.client_log);
    let lines = pair.client.keylog_lines();
    let record = protected(
        &secret(&lines, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
        ContentType::Handshake,
        &key_update(0),
    );
    pair.server.handle_bytes(now, &record, &mut pair.server_log);
    pair.collect();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::UnexpectedMessage)
    );

    // The client, waiting for EncryptedExtensions, gets one too.
    let mut pair = tls13_pair();
    pair.start();
    let mut hello = Vec::new();
    pair.client.write_tls(&mut hello);
    pair.server.handle_bytes(now, &hello, &mut pair.server_log);
    let server_lines = pair.server.keylog_lines();
    let mut flight = Vec::new();
    pair.server.write_tls(&mut flight);
    // Keep the plaintext records (Server Hello, change_cipher_spec).
    let mut plain = Vec::new();
    let mut rest = flight.as_slice();
    while rest.len() >= 5 && rest[0] != 23 {
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        plain.extend_from_slice(&rest[..len]);
        rest = &rest[len..];
    }
    plain.extend(protected(
        &secret(&server_lines, "SERVER_HANDSHAKE_TRAFFIC_SECRET"),
        ContentType::Handshake,
        &key_update(1),
    ));
    pair.client.handle_bytes(now, &plain, &mut pair.client_log);
    pair.collect();
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::UnexpectedMessage)
    );
}
