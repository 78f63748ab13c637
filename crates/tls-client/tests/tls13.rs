//! TLS 1.3 full handshakes (RFC 8446 §2) between the client and server
//! actors, in memory.

use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, error_of, pki, server_config,
};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme,
};
use tlsim_tls::error::{Error, PeerMisbehaved};

const TLS13: ProtocolVersion = ProtocolVersion::Tls13;

#[track_caller]
fn tls13_pair(suite: CipherSuite, group: NamedGroup) -> Pair {
    tls13_pair_with(suite, group, |_| {})
}

/// [`tls13_pair`] with the client's configuration changed by `change`.
#[track_caller]
fn tls13_pair_with(
    suite: CipherSuite,
    group: NamedGroup,
    change: impl FnOnce(&mut tlsim_tls_client::ClientConfig),
) -> Pair {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.max_version = TLS13;
    client.cipher_suites = vec![suite];
    client.groups = vec![group];
    client.signature_algorithms = Some(vec![SignatureScheme::EcdsaSecp256r1Sha256]);
    let mut server = server_config(&pki);
    server.max_version = TLS13;
    server.cipher_suites = vec![suite];
    server.groups = vec![group];
    change(&mut client);
    Pair::new(client, server)
}

#[track_caller]
fn complete_and_exchange(suite: CipherSuite, group: NamedGroup) {
    let mut pair = tls13_pair(suite, group);
    pair.handshake();
    pair.assert_complete();
    let n = pair.client.negotiated().unwrap().clone();
    assert_eq!(n.version, ProtocolVersion::Tls13);
    assert_eq!(n.suite, suite);
    assert_eq!(n.group, Some(group));
    assert_eq!(pair.server.negotiated().unwrap(), &n);
    let client_keys = pair.client.keylog_lines();
    let labels: Vec<&str> = client_keys
        .iter()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0",
            "EXPORTER_SECRET",
        ]
    );
    assert_eq!(
        client_keys,
        pair.server.keylog_lines(),
        "both sides derive the same secrets"
    );
    let request = b"GET / HTTP/1.1\r\n\r\n";
    assert_eq!(pair.transfer(Direction::ToServer, request), request);
    let big = vec![0x5a; 40_000];
    assert_eq!(pair.transfer(Direction::ToClient, &big), big);
    let now = pair.now;
    pair.client.close(now, &mut pair.client_log);
    pair.drive();
    assert!(pair.server_events.contains(&TlsEvent::PeerClosed));
    assert!(pair.client_events.contains(&TlsEvent::PeerClosed));
}

#[test]
fn aes128_gcm_over_x25519_completes() {
    complete_and_exchange(CipherSuite::TLS_AES_128_GCM_SHA256, NamedGroup::X25519);
}

#[test]
fn aes256_gcm_over_secp384r1_completes() {
    complete_and_exchange(CipherSuite::TLS_AES_256_GCM_SHA384, NamedGroup::Secp384r1);
}

#[test]
fn chacha20_poly1305_over_secp256r1_completes() {
    complete_and_exchange(
        CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        NamedGroup::Secp256r1,
    );
}

#[test]
fn a_tls13_server_marks_a_tls12_answer_and_the_client_refuses_it() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.max_version = TLS13;
    client.cipher_suites = vec![
        CipherSuite::TLS_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ];
    let mut server = server_config(&pki);
    server.max_version = TLS13;
    server.cipher_suites = vec![CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
    // An attacker strips supported_versions from the Client Hello, so the
    // server answers with TLS 1.2 and its random carries the sentinel.
    let mut pair = Pair::new(client, server);
    pair.tamper(|direction, bytes| {
        if direction == Direction::ToServer && bytes[0] == 22 {
            // supported_versions (0x002b) renamed to an unknown type.
            if let Some(at) = bytes.windows(3).position(|w| w == [0x00, 0x2b, 0x00]) {
                bytes[at + 1] = 0xfe;
            }
        }
    });
    pair.handshake();
    assert_eq!(
        error_of(&pair.client_events),
        Some(&Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter(
            "downgrade sentinel"
        )))
    );
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::IllegalParameter)
    );
}

#[test]
fn a_flipped_bit_in_the_server_flight_is_bad_record_mac() {
    let mut pair = tls13_pair(CipherSuite::TLS_AES_128_GCM_SHA256, NamedGroup::X25519);
    pair.tamper(|direction, bytes| {
        // The first protected record of the server: flip its last byte.
        if direction == Direction::ToClient {
            if let Some(at) = bytes.windows(3).position(|w| w == [23, 3, 3]) {
                let len = usize::from(u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]));
                bytes[at + 4 + len] ^= 1;
            }
        }
    });
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::BadRecordMac)
    );
}

/// A client that rejects the server's flight has no write keys yet (RFC
/// 8446 Appendix A.1: they change after the server's Finished), so its
/// alert goes in the clear; the server, whose read keys are set but which
/// has opened nothing under them, takes it as the client's alert rather
/// than answering with unexpected_message.
#[test]
fn a_plaintext_alert_before_the_client_has_keys_reaches_the_server() {
    let mut pair = tls13_pair_with(
        CipherSuite::TLS_AES_128_GCM_SHA256,
        NamedGroup::X25519,
        |client| client.server_name = Some("other.example".into()),
    );
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.client_events),
        Some(AlertDescription::BadCertificate)
    );
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::AlertReceived(AlertDescription::BadCertificate))
    );
    assert_eq!(alert_sent(&pair.server_events), None);
}

#[test]
fn a_share_on_the_wrong_group_gets_a_hello_retry_request_and_completes() {
    // The client shares x25519 first; the server takes secp256r1 only.
    let mut pair = {
        let pki = pki(LeafKey::Ecdsa);
        let mut client = client_config(&pki);
        client.max_version = TLS13;
        client.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        client.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
        let mut server = server_config(&pki);
        server.max_version = TLS13;
        server.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        server.groups = vec![NamedGroup::Secp256r1];
        Pair::new(client, server)
    };
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.client.negotiated().unwrap().group,
        Some(NamedGroup::Secp256r1)
    );
    let titles = Pair::titles(&pair.server_log);
    assert!(
        titles.iter().any(|t| t == "Send a HelloRetryRequest"),
        "{titles:?}"
    );
    assert_eq!(
        pair.client.keylog_lines(),
        pair.server.keylog_lines(),
        "both transcripts start with the same message_hash"
    );
    assert_eq!(
        pair.transfer(Direction::ToServer, b"after a retry"),
        b"after a retry"
    );
}
