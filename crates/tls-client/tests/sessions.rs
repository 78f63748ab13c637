//! Resumption by session ID, extensions, pins and key log lines.

use std::sync::{Arc, Mutex};

use tlsim_test_support::{LeafKey, Pair, client_config, pki, server_config};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls_client::{ClientConfig, ClientPins, ClientSessionStore};
use tlsim_tls_server::{ServerConfig, ServerPins, ServerSessionCache};

/// ECDSA configurations that keep sessions: the client's in the store
/// returned, the server's in the cache.
fn resumable() -> (
    ClientConfig,
    ServerConfig,
    Arc<Mutex<ClientSessionStore>>,
    Arc<Mutex<ServerSessionCache>>,
) {
    let pki = pki(LeafKey::Ecdsa);
    let store = Arc::new(Mutex::new(ClientSessionStore::default()));
    let cache = Arc::new(Mutex::new(ServerSessionCache::default()));
    let mut client = client_config(&pki);
    client.session_store = Some(store.clone());
    let mut server = server_config(&pki);
    server.session_cache = Some(cache.clone());
    (client, server, store, cache)
}

#[test]
fn second_connection_resumes_the_session() {
    let (client, server, store, cache) = resumable();

    let mut first = Pair::with_seed(client.clone(), server.clone(), 1);
    first.handshake();
    first.assert_complete();
    let first_id = first.client.negotiated().unwrap().session_id.clone();
    assert_eq!(first_id.len(), 32);
    assert_eq!(store.lock().unwrap().len(), 1);
    assert_eq!(cache.lock().unwrap().len(), 1);

    let mut second = Pair::with_seed(client, server, 2);
    second.handshake();
    assert!(
        second
            .client_events
            .contains(&TlsEvent::HandshakeComplete { resumed: true })
    );
    assert!(
        second
            .server_events
            .contains(&TlsEvent::HandshakeComplete { resumed: true })
    );
    let n = second.client.negotiated().unwrap();
    assert!(n.resumed);
    assert_eq!(n.session_id, first_id);
    assert_eq!(second.client.keylog_lines(), second.server.keylog_lines());
    let titles = Pair::titles(&second.server_log);
    assert!(titles.contains(&"Resume session".to_owned()));
    assert!(titles.contains(&"TLS Server Hello + Change Cipher Spec + Finished".to_owned()));
    let now = second.now;
    second
        .client
        .send_application_data(now, b"again", &mut second.client_log);
    second.drive();
    let mut got = Vec::new();
    second.server.read_application_data(&mut got);
    assert_eq!(got, b"again");
}

#[test]
fn forgotten_session_falls_back_to_a_full_handshake() {
    let (client, server, store, cache) = resumable();

    let mut first = Pair::with_seed(client.clone(), server.clone(), 1);
    first.handshake();
    let first_id = first.client.negotiated().unwrap().session_id.clone();
    cache.lock().unwrap().clear();

    let mut second = Pair::with_seed(client, server, 2);
    second.handshake();
    assert!(
        second
            .client_events
            .contains(&TlsEvent::HandshakeComplete { resumed: false })
    );
    let n = second.client.negotiated().unwrap();
    assert!(!n.resumed);
    assert_ne!(n.session_id, first_id);
    assert_eq!(
        store
            .lock()
            .unwrap()
            .get("www.google.com")
            .unwrap()
            .session_id,
        n.session_id
    );
}

#[test]
fn alpn_picks_the_servers_preference_among_offered() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.alpn = vec![b"http/1.1".to_vec(), b"spdy/3.1".to_vec()];
    let mut server = server_config(&pki);
    server.alpn = vec![b"spdy/3.1".to_vec(), b"http/1.1".to_vec()];
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.client.negotiated().unwrap().alpn.as_deref(),
        Some(&b"spdy/3.1"[..])
    );
}

#[test]
fn npn_choice_travels_encrypted_before_finished() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.npn = true;
    client.alpn = vec![b"spdy/3.1".to_vec()];
    let mut server = server_config(&pki);
    server.npn = vec![b"spdy/2".to_vec(), b"spdy/3.1".to_vec()];
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.server.negotiated().unwrap().alpn.as_deref(),
        Some(&b"spdy/3.1"[..])
    );
    assert!(Pair::titles(&pair.client_log).contains(
        &"TLS Client Key Exchange + Change Cipher Spec + Next Protocol + Finished".to_owned()
    ));
}

#[test]
fn extended_master_secret_is_used_when_both_offer_it() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.extended_master_secret = true;
    let mut pair = Pair::new(client, server_config(&pki));
    pair.handshake();
    pair.assert_complete();
    assert!(pair.client.negotiated().unwrap().extended_master_secret);
    assert_eq!(pair.client.keylog_lines(), pair.server.keylog_lines());
    let master = pair
        .client_log
        .iter()
        .find(|e| e.title == "Master secret")
        .unwrap();
    assert_eq!(master.field_value("Label"), Some("extended master secret"));
}

#[test]
fn keylog_line_is_nss_client_random_format() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    let lines = pair.client.keylog_lines();
    let parts: Vec<&str> = lines[0].split(' ').collect();
    assert_eq!(parts[0], "CLIENT_RANDOM");
    assert_eq!(parts[1].len(), 64);
    assert_eq!(parts[2].len(), 96);
    assert!(
        pair.client.keylog_lines().is_empty(),
        "lines are taken once"
    );
}

fn pinned_transcript(seed: u64, suite: u16, version: u16) -> (Vec<u8>, Vec<u8>) {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.cipher_suites = vec![tlsim_tls::enums::CipherSuite::from(suite)];
    client.max_version = tlsim_tls::enums::ProtocolVersion::from(version);
    client.pins = ClientPins {
        client_random: Some([1; 32]),
        ephemeral_private_key: Some(vec![2; 32]),
        cbc_ivs: Some(vec![[3; 16]; 8]),
        ..ClientPins::default()
    };
    let mut server = server_config(&pki);
    server.pins = ServerPins {
        server_random: Some([4; 32]),
        session_id: Some(vec![5; 32]),
        ephemeral_private_key: Some(vec![6; 32]),
        cbc_ivs: Some(vec![[7; 16]; 8]),
        ..ServerPins::default()
    };
    let mut pair = Pair::with_seed(client, server, seed);
    pair.handshake();
    pair.assert_complete();
    let now = pair.now;
    pair.client
        .send_application_data(now, b"hello", &mut pair.client_log);
    pair.drive();
    (pair.client_wire, pair.server_wire)
}

#[test]
fn pins_reproduce_byte_identical_transcripts() {
    for (suite, version) in [(0xc02b, 0x0303), (0xc023, 0x0303), (0xc009, 0x0302)] {
        assert_eq!(
            pinned_transcript(1, suite, version),
            pinned_transcript(2, suite, version)
        );
    }
}

#[test]
fn same_seed_gives_the_same_event_log() {
    let run = || {
        let pki = pki(LeafKey::Ecdsa);
        let mut pair = Pair::with_seed(client_config(&pki), server_config(&pki), 9);
        pair.handshake();
        (pair.client_log, pair.server_log)
    };
    assert_eq!(run(), run());
}

#[test]
fn shared_verification_cache_answers_the_second_chain() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.verification_cache = Some(Arc::new(Mutex::new(
        tlsim_tls::cert::VerificationCache::new(),
    )));
    let verify_event = |seed| {
        let mut pair = Pair::with_seed(client.clone(), server_config(&pki), seed);
        pair.handshake();
        pair.assert_complete();
        pair.client_log
            .into_iter()
            .find(|e| e.title == "Verify the certificate chain")
            .unwrap()
    };
    assert_eq!(verify_event(1).field_value("From Cache"), None);
    assert_eq!(verify_event(2).field_value("From Cache"), Some("true"));
}

#[test]
fn received_finished_shows_its_decrypted_content() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    let finished = pair
        .client_log
        .iter()
        .find(|e| e.title == "TLS Change Cipher Spec + Finished" && e.kind == tlsim_sim::Kind::Recv)
        .unwrap();
    assert_eq!(finished.field_value("Decrypted"), Some("Finished"));
    assert!(finished.field_value("Verify Data").is_some());
}
