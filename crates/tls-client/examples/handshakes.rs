//! Runs many full handshakes in memory with events disabled, as a rough
//! measure of the handshake cost: `cargo run --release --example handshakes -- 1000`.

use tlsim_sim::{Instant, NullTracer};
use tlsim_test_support::{LeafKey, client_config, pki, server_config};
use tlsim_tls::conn::EventContext;
use tlsim_tls_client::ClientConnection;
use tlsim_tls_server::ServerConnection;

fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let leaf = if std::env::args().nth(2).as_deref() == Some("rsa") {
        LeafKey::Rsa
    } else {
        LeafKey::Ecdsa
    };
    let pki = pki(leaf);
    let client_config = std::sync::Arc::new(client_config(&pki));
    let server_config = std::sync::Arc::new(server_config(&pki));
    let mut completed = 0u64;
    for seed in 0..count {
        let ctx = EventContext::default();
        let mut client = ClientConnection::new(
            client_config.clone(),
            tlsim_sim::RngStream::new(seed, "client"),
            ctx.clone(),
        );
        let mut server = ServerConnection::new(
            server_config.clone(),
            tlsim_sim::RngStream::new(seed, "server"),
            ctx,
        );
        client.start(Instant::ZERO, &mut NullTracer);
        let mut bytes = Vec::new();
        for _ in 0..10 {
            bytes.clear();
            client.write_tls(&mut bytes);
            server.handle_bytes(Instant::ZERO, &bytes, &mut NullTracer);
            bytes.clear();
            server.write_tls(&mut bytes);
            client.handle_bytes(Instant::ZERO, &bytes, &mut NullTracer);
        }
        if !client.is_handshaking() && !client.has_failed() {
            completed += 1;
        }
    }
    println!("{completed} of {count} handshakes completed");
}
