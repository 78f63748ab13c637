//! Full handshakes between the client and server actors, in memory.

use tlsim_test_support::{LeafKey, Pair, client_config, pki, server_config};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::crypto::suites::{Authentication, SUPPORTED_SUITES};
use tlsim_tls::enums::{CipherSuite, EcPointFormat, NamedGroup, ProtocolVersion};

fn exchange_and_close(pair: &mut Pair) {
    let now = pair.now;
    pair.client
        .send_application_data(now, b"GET / HTTP/1.1\r\n\r\n", &mut pair.client_log);
    pair.drive();
    let mut got = Vec::new();
    pair.server.read_application_data(&mut got);
    assert_eq!(got, b"GET / HTTP/1.1\r\n\r\n");
    let big = vec![0x5a; 40_000];
    let now = pair.now;
    pair.server
        .send_application_data(now, &big, &mut pair.server_log);
    pair.drive();
    let mut got = Vec::new();
    pair.client.read_application_data(&mut got);
    assert_eq!(got, big);
    let now = pair.now;
    pair.client.close(now, &mut pair.client_log);
    pair.drive();
    assert!(pair.server_events.contains(&TlsEvent::PeerClosed));
    assert!(pair.client_events.contains(&TlsEvent::PeerClosed));
}

#[track_caller]
fn full_handshake(suite: u16, version: u16, leaf: LeafKey) -> Pair {
    let pki = pki(leaf);
    let mut client = client_config(&pki);
    client.max_version = ProtocolVersion::from(version);
    client.cipher_suites = vec![CipherSuite::from(suite)];
    let mut server = server_config(&pki);
    server.cipher_suites = vec![CipherSuite::from(suite)];
    // RFC 7919 §4: a DHE suite needs an FFDHE group both sides list; an
    // ECDHE suite passes over it.
    client.groups.push(NamedGroup::Ffdhe2048);
    server.groups.push(NamedGroup::Ffdhe2048);
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let client_keys = pair.client.keylog_lines();
    let server_keys = pair.server.keylog_lines();
    assert_eq!(client_keys.len(), 1);
    assert_eq!(
        client_keys, server_keys,
        "both sides hold the same master secret"
    );
    let n = pair.client.negotiated().unwrap().clone();
    assert_eq!(n.version, ProtocolVersion::from(version));
    assert_eq!(n.suite, CipherSuite::from(suite));
    assert_eq!(pair.server.negotiated().unwrap(), &n);
    exchange_and_close(&mut pair);
    pair
}

#[test]
fn tls12_ecdhe_ecdsa_aes128_gcm_completes() {
    let pair = full_handshake(0xc02b, 0x0303, LeafKey::Ecdsa);
    assert_eq!(
        pair.client.negotiated().unwrap().group,
        Some(NamedGroup::Secp256r1)
    );
}

#[test]
fn tls12_ecdhe_ecdsa_aes128_cbc_sha256_completes() {
    full_handshake(0xc023, 0x0303, LeafKey::Ecdsa);
}

#[test]
fn every_supported_suite_completes_at_every_legal_version() {
    for params in &SUPPORTED_SUITES {
        let leaf = match params.authentication {
            Authentication::Ecdsa => LeafKey::Ecdsa,
            Authentication::Rsa => LeafKey::Rsa,
        };
        for version in [0x0301, 0x0302, 0x0303] {
            if params.supports_version(version) {
                full_handshake(params.value, version, leaf);
            }
        }
    }
}

#[test]
fn every_supported_group_completes() {
    for group in [
        NamedGroup::Secp256r1,
        NamedGroup::Secp384r1,
        NamedGroup::X25519,
    ] {
        let pki = pki(LeafKey::Ecdsa);
        let mut client = client_config(&pki);
        // RFC 8422 §5.3: the ECDSA leaf's curve must be among the client's
        // groups; the server's single group decides the key exchange.
        client.groups = vec![group];
        if group != NamedGroup::Secp256r1 {
            client.groups.push(NamedGroup::Secp256r1);
        }
        let mut server = server_config(&pki);
        server.groups = vec![group];
        let mut pair = Pair::new(client, server);
        pair.handshake();
        pair.assert_complete();
        assert_eq!(pair.client.negotiated().unwrap().group, Some(group));
        assert_eq!(pair.client.keylog_lines(), pair.server.keylog_lines());
        exchange_and_close(&mut pair);
    }
}

#[test]
fn logs_the_documented_flight_titles() {
    let pair = full_handshake(0xc02b, 0x0303, LeafKey::Ecdsa);
    let client = Pair::titles(&pair.client_log);
    let server = Pair::titles(&pair.server_log);
    let expected_client = [
        "Select a Client Random Number",
        "TLS Client Hello",
        "TLS Server Hello + Certificate + Server Key Exchange + Server Hello Done",
        "Verify the certificate chain",
        "Verify the Server Key Exchange signature",
        "Client: Setup Elliptic Curve Cryptography",
        "Pre-master secret",
        "Master secret",
        "Key block",
        "TLS Client Key Exchange + Change Cipher Spec + Finished",
        "TLS Change Cipher Spec + Finished",
        "Verify Finished",
        "TLS handshake complete",
    ];
    assert_eq!(&client[..expected_client.len()], &expected_client);
    let expected_server = [
        "TLS Client Hello",
        "Compare the client crypto parameters with server crypto parameters and finalize the crypto",
        "Allocate a Session Identifier",
        "Select a Server Random Number",
        "Server: Setup Elliptic Curve Cryptography",
        "Sign the Server Key Exchange",
        "TLS Server Hello + Certificate + Server Key Exchange + Server Hello Done",
        "TLS Client Key Exchange + Change Cipher Spec + Finished",
        "Pre-master secret",
        "Master secret",
        "Key block",
        "Verify Finished",
        "TLS Change Cipher Spec + Finished",
        "TLS handshake complete",
    ];
    assert_eq!(&server[..expected_server.len()], &expected_server);
    assert!(client.contains(&"TLS Alert (close_notify)".to_owned()));
    assert!(server.contains(&"TLS Application Data".to_owned()));
}

#[test]
fn server_chooses_by_its_own_preference() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    let [cbc_sha, cbc_sha256, gcm] = [0xc009, 0xc023, 0xc02b].map(CipherSuite::from);
    client.cipher_suites = vec![cbc_sha, cbc_sha256, gcm];
    let mut server = server_config(&pki);
    server.cipher_suites = vec![cbc_sha256, gcm, cbc_sha];
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.client.negotiated().unwrap().suite,
        CipherSuite::from(0xc023)
    );
}

#[test]
fn documented_client_hello_is_244_bytes_with_record_version_tls10() {
    let pki = pki(LeafKey::Rsa);
    let mut client = client_config(&pki);
    client.cipher_suites = tlsim_tls::enums::DOCUMENTED_CLIENT_SUITES.to_vec();
    client.groups = tlsim_tls::enums::DOCUMENTED_CLIENT_CURVES.to_vec();
    client.ec_point_formats = EcPointFormat::ALL.to_vec();
    client.signature_algorithms = None;
    client.max_version = ProtocolVersion::Tls11;
    let mut server = server_config(&pki);
    server.max_version = ProtocolVersion::Tls11;
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let hello = &pair.client_log[1];
    assert_eq!(hello.title, "TLS Client Hello");
    let bytes = hello.bytes.as_ref().unwrap();
    assert_eq!(bytes.len(), 244);
    assert_eq!(&bytes[..3], &[22, 3, 1]);
    assert_eq!(hello.field_value("Cipher Suites"), Some("51 suites"));
    let flight = pair
        .server_log
        .iter()
        .find(|e| e.title.starts_with("TLS Server Hello"))
        .unwrap();
    assert_eq!(&flight.bytes.as_ref().unwrap()[..3], &[22, 3, 2]);
    assert_eq!(
        pair.client.negotiated().unwrap().suite,
        CipherSuite::from(0xc013)
    );
}

#[test]
fn application_data_written_early_waits_for_the_handshake() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    let now = pair.now;
    pair.client
        .send_application_data(now, b"early", &mut pair.client_log);
    pair.handshake();
    pair.assert_complete();
    let mut got = Vec::new();
    pair.server.read_application_data(&mut got);
    assert_eq!(got, b"early");
}

#[test]
fn x25519_is_used_when_the_server_prefers_it() {
    let pki = pki(LeafKey::Ecdsa);
    let mut server = server_config(&pki);
    server.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
    let mut pair = Pair::new(client_config(&pki), server);
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.server.negotiated().unwrap().group,
        Some(NamedGroup::X25519)
    );
    assert_eq!(pair.client.keylog_lines(), pair.server.keylog_lines());
}

#[test]
fn writes_after_the_peers_close_notify_are_discarded() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    let now = pair.now;
    pair.client.close(now, &mut pair.client_log);
    let mut close_notify = Vec::new();
    pair.client.write_tls(&mut close_notify);
    pair.server
        .handle_bytes(now, &close_notify, &mut pair.server_log);
    assert_eq!(pair.server.poll_event(), Some(TlsEvent::PeerClosed));
    // RFC 5246 §7.2.1: pending writes are discarded; only close_notify may follow.
    pair.server
        .send_application_data(now, b"too late", &mut pair.server_log);
    let mut out = Vec::new();
    pair.server.write_tls(&mut out);
    assert!(
        out.is_empty(),
        "{} bytes left after close_notify",
        out.len()
    );
    pair.server.close(now, &mut pair.server_log);
    pair.server.write_tls(&mut out);
    assert_eq!(out[0], 21, "an alert record");
}

#[test]
fn data_written_before_close_goes_out_before_close_notify_even_mid_handshake() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let now = pair.now;
    pair.client
        .send_application_data(now, &data, &mut pair.client_log);
    pair.start();
    // The close comes while the handshake is still running.
    pair.client.close(now, &mut pair.client_log);
    assert!(pair.client.is_handshaking());
    assert!(!pair.client.is_done_writing());
    pair.drive();
    pair.assert_complete();
    let mut received = Vec::new();
    pair.server.read_application_data(&mut received);
    assert_eq!(received.len(), data.len());
    assert!(received == data);
    let data_at = pair
        .server_events
        .iter()
        .position(|e| *e == TlsEvent::ApplicationData);
    let closed_at = pair
        .server_events
        .iter()
        .position(|e| *e == TlsEvent::PeerClosed);
    assert!(data_at.unwrap() < closed_at.unwrap());
    assert!(pair.client.is_done_writing());
    assert_eq!(pair.client_failure(), None);
    assert_eq!(pair.server_failure(), None);
}
