//! The scenario of many TLS connections in flight at once, at any count:
//! the shipped `benches/scenarios/concurrent-tls.ron` is its 1,000, the
//! `scale` bench runs its 100,000, and the `concurrent-tls` binary writes
//! any other for `tlsim run` or `tlsim check`.
//!
//! Every connection opens within the first simulated second: a full TLS
//! 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 handshake on X25519 (the client's
//! verification cache on: one chain check for the run), 100 bytes each
//! way, then it idles until the client closes it two seconds after it
//! opened (close_notify and FIN both ways). From 1 s to 2 s every
//! connection is open.

use std::fmt::Write as _;

/// Connections per server port: one client host has 16,384 ephemeral
/// ports towards each port of the server.
const CONNECTIONS_PER_PORT: u32 = 10_000;

/// The first server port.
const FIRST_PORT: u32 = 4430;

/// The scenario, as RON text, with `count` connections (at least 1).
pub fn concurrent_tls_scenario(count: u32) -> String {
    let ports = count.div_ceil(CONNECTIONS_PER_PORT).max(1);
    let listen: String = (0..ports)
        .map(|p| {
            format!(
                "        Listen(host: \"server\", port: {}, tls: \"server\"),\n",
                FIRST_PORT + p
            )
        })
        .collect();
    let opened_at = |i: u32| u64::from(i) * 1_000_000 / u64::from(count.max(1));
    let mut timeline = String::new();
    for i in 0..count {
        let (at, port) = (opened_at(i), FIRST_PORT + i % ports);
        let _ = write!(
            timeline,
            "        At(\"{at}us\", Connect(conn: \"c{i}\", from: \"client\", to: \"server\", port: {port}, tls: \"client\")),\n\
             \x20       At(\"{at}us\", Send(conn: \"c{i}\", from: \"client\", data: Pattern(100))),\n\
             \x20       At(\"{at}us\", Send(conn: \"c{i}\", from: \"server\", data: Pattern(100))),\n"
        );
    }
    for i in 0..count {
        let at = 2_000_000 + opened_at(i);
        let _ = writeln!(
            timeline,
            "        At(\"{at}us\", Close(conn: \"c{i}\", from: \"client\")),"
        );
    }
    format!(
        r#"// {count} TLS 1.2 connections in flight at once: all open within the first
// second (ECDHE-ECDSA-AES128-GCM-SHA256 on X25519, 100 bytes each way),
// idle, and close two seconds after they opened. Written by
// `cargo run -p tlsim-test-support --bin concurrent-tls -- {count}`.
Scenario(
    name: "concurrent-tls",
    description: "{count} TLS 1.2 connections open at once, each with 100 bytes each way, idle, then closed.",
    seed: 6,
    hosts: [
        Host(name: "client", addr: "10.0.0.1"),
        Host(name: "server", addr: "10.0.0.2"),
    ],
    links: [
        Link(between: ("client", "server"), conditions: (latency: "10ms", bandwidth: "10Gbit/s")),
    ],
    pki: (
        epoch: "2026-01-01T00:00:00Z",
        keys: [
            Key(name: "root", kind: P256),
            Key(name: "leaf", kind: P256),
        ],
        certificates: [
            Cert(name: "root", subject: (cn: "tlsim Concurrent Root"), key: "root", ca: true,
                 not_before: "2025-01-01T00:00:00Z", not_after: "2035-01-01T00:00:00Z"),
            Cert(name: "server", subject: (cn: "server.test"), key: "leaf", issuer: "root",
                 dns_names: ["server.test"],
                 not_before: "2025-06-01T00:00:00Z", not_after: "2027-06-01T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [
            TlsClient(
                name: "client",
                min_version: "TLS 1.2",
                max_version: "TLS 1.2",
                cipher_suites: ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
                // RFC 4492 §5.1: a client that lists no secp256r1 takes no P-256 certificate.
                groups: ["x25519", "secp256r1"],
                server_name: "server.test",
                trust: ["root"],
                verification_cache: true,
            ),
        ],
        servers: [
            TlsServer(
                name: "server",
                cipher_suites: ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
                groups: ["x25519", "secp256r1"],
                chain: ["server"],
                key: "leaf",
                session_cache: false,
            ),
        ],
    ),
    // A short TIME-WAIT keeps the run's end near its last close.
    tcp: (time_wait: "1s"),
    listen: [
{listen}    ],
    timeline: [
{timeline}    ],
    limits: (max_events: 1000000000),
)
"#
    )
}
