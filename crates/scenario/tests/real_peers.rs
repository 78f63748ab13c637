//! tlsim's client and server against each other over real loopback
//! sockets, through `real::serve` and `real::connect`: the same ends the
//! simulator drives, with no other TLS stack needed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use tlsim_net::NoTap;
use tlsim_scenario::ends::TlsOutcome;
use tlsim_scenario::real::{self, Clock, Ending, RealConn, RealOptions, Sinks};
use tlsim_sim::Event;

/// TLS 1.2 with an ECDSA certificate valid for decades around today: a
/// request, and a response after which the server closes.
const SCENARIO: &str = r#"Scenario(
    name: "real-loopback",
    seed: 3,
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms"))],
    pki: (
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: P256)],
        certificates: [
            Cert(name: "root", subject: (cn: "Loopback Root"), key: "root", ca: true,
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
            Cert(name: "server", subject: (cn: "localhost"), key: "leaf", issuer: "root",
                 dns_names: ["localhost"],
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [TlsClient(name: "client", min_version: "TLS 1.2", server_name: "localhost",
                            trust: ["root"], extended_master_secret: true)],
        servers: [TlsServer(name: "server", chain: ["server"], key: "leaf", extended_master_secret: true)],
    ),
    listen: [Listen(host: "server", port: 443, tls: "server")],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "client")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))),
        At("0ms", Send(conn: "c1", from: "server", data: Text("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))),
        At("0ms", Close(conn: "c1", from: "server")),
    ],
)"#;

fn options(seed: u64) -> RealOptions {
    RealOptions {
        clock: Clock::start(),
        timeout: Duration::from_secs(20),
        allow_remote: false,
        seed,
    }
}

/// Runs one side, returning its connections, its events and its key log.
fn run_side(
    side: impl FnOnce(Sinks<'_>) -> Result<Vec<RealConn>, real::RealError>,
) -> (Vec<RealConn>, Vec<Event>, Vec<String>) {
    let mut events = Vec::new();
    let mut keylog = Vec::new();
    let conns = side(Sinks {
        tracer: &mut events,
        tap: &mut NoTap,
        keylog: &mut |line| keylog.push(line.to_string()),
        ended: &mut |_| {},
    })
    .unwrap();
    (conns, events, keylog)
}

#[test]
fn client_and_server_complete_a_session_over_loopback_with_the_same_keys() {
    let scenario = tlsim_scenario::parse(SCENARIO, "real-loopback.ron").unwrap();
    let base = Path::new(".");
    let (port_tx, port_rx) = mpsc::channel::<SocketAddr>();
    let server_scenario = scenario.clone();
    let server = std::thread::spawn(move || {
        run_side(|sinks| {
            real::serve(
                &server_scenario,
                Path::new("."),
                "127.0.0.1:0",
                1,
                options(1),
                &mut |addr| port_tx.send(addr).unwrap(),
                sinks,
            )
        })
    });
    let addr = port_rx.recv().unwrap().to_string();
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
    let scenario = tlsim_scenario::parse(SCENARIO, "real-loopback.ron").unwrap();
    let result = real::connect(
        &scenario,
        Path::new("."),
        "192.0.2.1:443",
        options(1),
        Sinks {
            tracer: &mut Vec::new(),
            tap: &mut NoTap,
            keylog: &mut |_| {},
            ended: &mut |_| {},
        },
    );
    assert!(matches!(result, Err(real::RealError::NotLoopback(_))));
}
