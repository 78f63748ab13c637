//! Resumption by session ticket (RFC 5077) between the two actors.

use std::sync::{Arc, Mutex};

use tlsim_test_support::{LeafKey, Pair, Pki, client_config, pki, server_config};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::conn::ticket::TicketKey;
use tlsim_tls_client::{ClientConfig, ClientSessionStore};
use tlsim_tls_server::{ServerConfig, TicketPolicy};

fn ticket_key(name: u8) -> TicketKey {
    TicketKey {
        name: [name; 16],
        aes_key: [2; 16],
        hmac_key: [3; 32],
    }
}

/// A client that offers tickets and keeps sessions in `store`, and a
/// server without a session cache that issues tickets under `key`.
fn configs(
    pki: &Pki,
    store: &Arc<Mutex<ClientSessionStore>>,
    key: TicketKey,
) -> (ClientConfig, ServerConfig) {
    let client = ClientConfig {
        session_ticket: true,
        session_store: Some(store.clone()),
        ..client_config(pki)
    };
    let server = ServerConfig {
        tickets: Some(TicketPolicy {
            key,
            lifetime: 3600,
            lifetime_hint: 3600,
            now_unix: 0,
        }),
        ..server_config(pki)
    };
    (client, server)
}

fn stored_ticket(store: &Arc<Mutex<ClientSessionStore>>) -> Vec<u8> {
    let store = store.lock().unwrap();
    let session = store.get(tlsim_test_support::SERVER_NAME).unwrap();
    session.ticket.as_ref().unwrap().ticket.clone()
}

#[test]
fn resumes_by_ticket_echoing_the_clients_session_id_and_renews_the_ticket() {
    let pki = pki(LeafKey::Ecdsa);
    let store = Arc::new(Mutex::new(ClientSessionStore::default()));
    let (client, server) = configs(&pki, &store, ticket_key(1));

    let mut first = Pair::with_seed(client.clone(), server.clone(), 1);
    first.handshake();
    first.assert_complete();
    // RFC 5077 §3.4: issuing a ticket to a client that presented none, the
    // server sends an empty session ID.
    assert!(first.client.negotiated().unwrap().session_id.is_empty());
    let first_ticket = stored_ticket(&store);
    // key_name ‖ IV ‖ length ‖ 64 bytes of state ‖ MAC.
    assert_eq!(first_ticket.len(), 16 + 16 + 2 + 64 + 32);
    assert_eq!(first_ticket[..16], [1; 16]);

    let mut second = Pair::with_seed(client, server, 2);
    second.handshake();
    for events in [&second.client_events, &second.server_events] {
        assert!(events.contains(&TlsEvent::HandshakeComplete { resumed: true }));
    }
    // The client made up a session ID to go with the ticket; the server
    // echoed it.
    assert_eq!(second.client.negotiated().unwrap().session_id.len(), 32);
    assert_eq!(
        second.client.negotiated().unwrap().session_id,
        second.server.negotiated().unwrap().session_id
    );
    assert_eq!(second.client.keylog_lines(), second.server.keylog_lines());
    assert_eq!(
        Pair::titles(&second.server_log)
            .iter()
            .filter(|t| t.as_str()
                == "TLS Server Hello + New Session Ticket + Change Cipher Spec + Finished")
            .count(),
        1
    );
    assert_ne!(
        stored_ticket(&store),
        first_ticket,
        "the ticket was renewed"
    );
}

#[test]
fn a_ticket_under_another_key_gets_a_full_handshake_and_a_new_ticket() {
    let pki = pki(LeafKey::Ecdsa);
    let store = Arc::new(Mutex::new(ClientSessionStore::default()));
    let (client, server) = configs(&pki, &store, ticket_key(1));
    let mut first = Pair::with_seed(client.clone(), server, 1);
    first.handshake();

    let (_, other_server) = configs(&pki, &store, ticket_key(9));
    let mut second = Pair::with_seed(client, other_server, 2);
    second.handshake();
    for events in [&second.client_events, &second.server_events] {
        assert!(events.contains(&TlsEvent::HandshakeComplete { resumed: false }));
    }
    assert!(second.server_failure().is_none());
    assert_eq!(stored_ticket(&store)[..16], [9; 16]);
}

#[test]
fn a_client_offering_tls13_resumes_a_tls12_ticket_by_its_legacy_session_id() {
    let pki = pki(LeafKey::Ecdsa);
    let store = Arc::new(Mutex::new(ClientSessionStore::default()));
    let (client, server) = configs(&pki, &store, ticket_key(1));
    let client = ClientConfig {
        max_version: tlsim_tls::enums::ProtocolVersion::Tls13,
        ..client
    };
    let mut first = Pair::with_seed(client.clone(), server.clone(), 1);
    first.handshake();
    first.assert_complete();

    let mut second = Pair::with_seed(client, server, 2);
    second.handshake();
    for events in [&second.client_events, &second.server_events] {
        assert!(events.contains(&TlsEvent::HandshakeComplete { resumed: true }));
    }
}
