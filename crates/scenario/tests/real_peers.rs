//! tlsim's client and server against each other over real loopback
//! sockets, through `real::serve` and `real::connect`: the same ends the
//! simulator drives, with no other TLS stack needed.

use std::path::Path;

use tlsim_scenario::ends::TlsOutcome;
use tlsim_scenario::real::{self, Ending};

#[path = "support/loopback.rs"]
mod loopback;
use loopback::{options, quietly, run_side, serve_one};

/// TLS 1.2 with extended master secret, over loopback.
fn scenario() -> tlsim_scenario::Scenario {
    loopback::scenario(
        "real-loopback",
        3,
        r#", min_version: "TLS 1.2", extended_master_secret: true"#,
        ", extended_master_secret: true",
    )
}

#[test]
fn client_and_server_complete_a_session_over_loopback_with_the_same_keys() {
    let scenario = scenario();
    let base = Path::new(".");
    let (addr, server) = serve_one(&scenario);
    let (client_conns, client_events, client_keys) =
        run_side(|sinks| real::connect(&scenario, base, &addr, options(2), sinks));
    let (server_conns, _, server_keys) = server.join().unwrap();

    let (client, server) = (&client_conns[0], &server_conns[0]);
    for conn in [client, server] {
        assert_eq!(conn.end.tls, Some(TlsOutcome::Complete), "{conn:?}");
        assert_eq!(conn.ending, Ending::Closed, "{conn:?}");
        assert!(conn.end.alerts_sent.is_empty() && conn.end.alerts_received.is_empty());
    }
    assert_eq!(
        (client.end.sent, server.end.received.len()),
        (server.end.received, 35)
    );
    assert_eq!(
        (server.end.sent, client.end.received.len()),
        (client.end.received, 43)
    );
    // Both ends wrote the key log: the same session, the same secret.
    assert_eq!(client_keys.len(), 1);
    assert_eq!(client_keys, server_keys);
    // The certificate was checked at today's date, and held.
    let verify = (client_events.iter())
        .find(|e| e.title == "Verify the certificate chain")
        .unwrap();
    assert_eq!(verify.field_value("Result"), Some("trusted"));
    assert!(verify.field_value("Time").unwrap() > "2026-");
}

#[test]
fn connect_refuses_a_remote_address_unless_allowed() {
    let scenario = scenario();
    let result = quietly(|sinks| {
        real::connect(
            &scenario,
            Path::new("."),
            "192.0.2.1:443",
            options(1),
            sinks,
        )
    });
    assert!(matches!(result, Err(real::RealError::NotLoopback(_))));
}
