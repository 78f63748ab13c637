//! What the two actor targets share: the configurations (the test PKI,
//! built once), the raw-bytes drive and the mutated-handshake check.

use std::sync::{Arc, OnceLock};

use tlsim_sim::{Instant, NullTracer, RngStream};
use tlsim_test_support::flight::{check_offered, decode_mutations, mutated_handshake};
use tlsim_test_support::{Direction, LeafKey, client_config, pki, server_config};
use tlsim_tls::conn::{EventContext, TlsEvent};
use tlsim_tls_client::{ClientConfig, ClientConnection};
use tlsim_tls_server::{ServerConfig, ServerConnection};

/// Mutations read from one input, at most.
const MAX_MUTATIONS: usize = 8;

/// The client and server configurations, built once per process.
pub fn configs() -> &'static (ClientConfig, ServerConfig) {
    static CONFIGS: OnceLock<(ClientConfig, ServerConfig)> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let pki = pki(LeafKey::Ecdsa);
        (client_config(&pki), server_config(&pki))
    })
}

/// Whether the events report a complete handshake.
fn completed(events: impl IntoIterator<Item = TlsEvent>) -> bool {
    events
        .into_iter()
        .any(|e| matches!(e, TlsEvent::HandshakeComplete { .. }))
}

/// Feeds `bytes` to the end that receives in `direction`: a fresh server,
/// or a client that has sent its hello. Unauthenticated bytes can never
/// complete a handshake.
pub fn raw(direction: Direction, bytes: &[u8]) {
    match direction {
        Direction::ToServer => raw_server(bytes),
        Direction::ToClient => raw_client(bytes),
    }
}

fn raw_server(bytes: &[u8]) {
    let (_, server) = configs();
    let mut conn = ServerConnection::new(
        Arc::new(server.clone()),
        RngStream::new(1, "server"),
        EventContext::default(),
    );
    conn.start(Instant::ZERO, &mut NullTracer);
    conn.handle_bytes(Instant::ZERO, bytes, &mut NullTracer);
    let mut out = Vec::new();
    conn.write_tls(&mut out);
    assert!(!completed(std::iter::from_fn(|| conn.poll_event())));
}

fn raw_client(bytes: &[u8]) {
    let (client, _) = configs();
    let mut conn = ClientConnection::new(
        Arc::new(client.clone()),
        RngStream::new(1, "client"),
        EventContext::default(),
    );
    conn.start(Instant::ZERO, &mut NullTracer);
    let mut out = Vec::new();
    conn.write_tls(&mut out);
    conn.handle_bytes(Instant::ZERO, bytes, &mut NullTracer);
    conn.write_tls(&mut out);
    assert!(!completed(std::iter::from_fn(|| conn.poll_event())));
}

/// Runs a handshake whose flights in `direction` are mutated as `input`
/// says, and checks that a changed exchange never completes on both ends
/// without either failing, and that whatever an end settled on was
/// offered.
pub fn mutated(direction: Direction, input: &[u8]) {
    let (client, server) = configs();
    let run = mutated_handshake(
        client.clone(),
        server.clone(),
        direction,
        decode_mutations(input, MAX_MUTATIONS),
    );
    let pair = &run.pair;
    // A unit added after the last Finished (a duplicate, say) arrives once
    // both ends have completed: it must then fail the connection.
    let unharmed =
        pair.is_complete() && pair.client_failure().is_none() && pair.server_failure().is_none();
    assert!(
        !(run.changed && unharmed),
        "a changed exchange completed on both ends without a failure"
    );
    for negotiated in [pair.client.negotiated(), pair.server.negotiated()]
        .into_iter()
        .flatten()
    {
        if let Err(e) = check_offered(negotiated, client, server) {
            panic!("{e}");
        }
    }
}
