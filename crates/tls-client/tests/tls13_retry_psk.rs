//! TLS 1.3 resumption through a HelloRetryRequest (RFC 8446 §4.1.2,
//! §4.2.11): the second Client Hello offers the ticket again with a
//! binder over the first hello's message_hash, the HelloRetryRequest and
//! the truncated second hello, and the server resumes from it.

use std::sync::{Arc, Mutex};

use tlsim_sim::Event;
use tlsim_test_support::{Direction, LeafKey, Pair, client_config, pki, server_config};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::crypto::ticket::Tls13TicketKey;
use tlsim_tls::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use tlsim_tls_client::ClientConfig;
use tlsim_tls_client::config::TicketStore;
use tlsim_tls_server::ServerConfig;
use tlsim_tls_server::config::Tls13TicketConfig;

/// A client keeping tickets and a server issuing them, both TLS 1.3 on
/// `suites`; the server takes secp256r1 only. A first handshake, whose
/// client shares secp256r1, leaves a ticket in the client's store.
fn after_first_handshake(suites: &[CipherSuite], early_data: bool) -> (ClientConfig, ServerConfig) {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.max_version = ProtocolVersion::Tls13;
    client.cipher_suites = suites.to_vec();
    client.signature_algorithms = Some(vec![SignatureScheme::EcdsaSecp256r1Sha256]);
    client.groups = vec![NamedGroup::Secp256r1, NamedGroup::X25519];
    client.tickets = Some(Arc::new(Mutex::new(TicketStore::default())));
    client.early_data = early_data;
    let mut server = server_config(&pki);
    server.max_version = ProtocolVersion::Tls13;
    server.cipher_suites = suites.to_vec();
    server.groups = vec![NamedGroup::Secp256r1];
    server.tls13_tickets = Some(Tls13TicketConfig {
        count: 1,
        lifetime: 7200,
        max_early_data_size: 1024,
        key: Tls13TicketKey::new(&[7; 16]),
        pinned: None,
    });
    let mut first = Pair::with_seed(client.clone(), server.clone(), 1);
    first.handshake();
    first.assert_complete();
    assert_eq!(client.tickets.as_ref().unwrap().lock().unwrap().len(), 1);
    // Now the client shares x25519 first: the server asks for secp256r1.
    client.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
    (client, server)
}

/// How many events of `log` have `title`.
fn count(log: &[Event], title: &str) -> usize {
    Pair::titles(log).iter().filter(|t| *t == title).count()
}

#[test]
fn a_ticket_offered_again_after_a_hello_retry_request_resumes() {
    let (client, server) = after_first_handshake(&[CipherSuite::TLS_AES_128_GCM_SHA256], false);
    let mut pair = Pair::with_seed(client, server, 2);
    pair.handshake();
    pair.assert_complete();
    for events in [&pair.client_events, &pair.server_events] {
        assert!(
            events.contains(&TlsEvent::HandshakeComplete { resumed: true }),
            "{events:?}"
        );
    }
    assert_eq!(count(&pair.server_log, "Send a HelloRetryRequest"), 1);
    // One binder per Client Hello; the server checks the second one's.
    assert_eq!(count(&pair.client_log, "Compute the PSK binder"), 2);
    assert_eq!(count(&pair.server_log, "Verify the PSK binder"), 1);
    assert_eq!(count(&pair.server_log, "Resume with a ticket"), 1);
    // psk_dhe_ke on the group asked for; no certificate.
    assert_eq!(
        pair.client.negotiated().unwrap().group,
        Some(NamedGroup::Secp256r1)
    );
    assert_eq!(count(&pair.server_log, "Sign the Certificate Verify"), 0);
    assert_eq!(pair.client.keylog_lines(), pair.server.keylog_lines());
    assert_eq!(pair.transfer(Direction::ToServer, b"ping"), b"ping");
}

#[test]
fn early_data_is_lost_to_a_hello_retry_request_but_the_ticket_resumes() {
    let (client, server) = after_first_handshake(&[CipherSuite::TLS_AES_128_GCM_SHA256], true);
    let mut pair = Pair::with_seed(client, server, 2);
    // Written before the Client Hello: it goes out as 0-RTT data.
    let now = pair.now;
    pair.client
        .send_application_data(now, b"early", &mut pair.client_log);
    pair.handshake();
    pair.assert_complete();
    assert!(
        pair.server_events
            .contains(&TlsEvent::HandshakeComplete { resumed: true })
    );
    // RFC 8446 §4.1.2: the second hello leaves early_data out; the server
    // skipped the 0-RTT record, and the client sends the data again.
    let offers: Vec<_> = (pair.client_log.iter())
        .filter(|e| e.title == "Offer a session ticket")
        .map(|e| e.field_value("Early Data"))
        .collect();
    assert_eq!(offers, [Some("true"), Some("false")]);
    let mut read = Vec::new();
    pair.server.read_application_data(&mut read);
    assert_eq!(read, b"early");
}

#[test]
fn a_ticket_of_another_hash_than_the_retried_suite_is_not_offered_again() {
    // The ticket comes from a SHA-384 connection; the server then picks
    // TLS_AES_128_GCM_SHA256 in its HelloRetryRequest.
    let (mut client, mut server) =
        after_first_handshake(&[CipherSuite::TLS_AES_256_GCM_SHA384], false);
    let suites = vec![
        CipherSuite::TLS_AES_128_GCM_SHA256,
        CipherSuite::TLS_AES_256_GCM_SHA384,
    ];
    client.cipher_suites = suites.clone();
    server.cipher_suites = suites;
    let mut pair = Pair::with_seed(client, server, 2);
    pair.handshake();
    pair.assert_complete();
    assert!(
        pair.server_events
            .contains(&TlsEvent::HandshakeComplete { resumed: false })
    );
    assert_eq!(count(&pair.client_log, "Compute the PSK binder"), 1);
    assert_eq!(count(&pair.server_log, "Sign the Certificate Verify"), 1);
}

/// Pinned obfuscated ticket ages go out as given, one per Client Hello
/// in order (RFC 8446 §4.2.11), as a capture shows them: the first
/// hello's, then the one after the HelloRetryRequest.
#[test]
fn pinned_obfuscated_ticket_ages_are_sent_one_per_client_hello() {
    let (mut client, server) = after_first_handshake(&[CipherSuite::TLS_AES_128_GCM_SHA256], false);
    client.pins.obfuscated_ticket_ages = vec![0x0102_0304, 0xfffe_fdfc];
    let mut pair = Pair::with_seed(client, server, 2);
    pair.handshake();
    pair.assert_complete();
    let sent: Vec<&str> = (pair.client_log.iter())
        .filter(|e| e.title == "Offer a session ticket")
        .filter_map(|e| e.field_value("Obfuscated Ticket Age"))
        .collect();
    assert_eq!(sent, ["16909060", "4294901244"]);
}
