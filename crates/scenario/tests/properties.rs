//! Properties of whole runs over generated networks. On failure, proptest
//! shrinks to a minimal case and the assertion message carries the scenario
//! as RON, seed included, ready to save as a file and replay with
//! `tlsim check` (which then fails the same way).

use proptest::prelude::*;
use tlsim_net::NoTap;
use tlsim_scenario::digest::StreamDigest;
use tlsim_scenario::expect::{EventChecker, check};
use tlsim_scenario::{End, RunOptions, parse, run};
use tlsim_sim::{Event, NullTracer};

/// Link conditions and TCP settings to generate.
#[derive(Clone, Debug)]
struct Net {
    latency_us: u32,
    mbit: u32,
    loss: f64,
    duplicate: f64,
    reorder: f64,
    mss: u16,
    delayed_ack: bool,
}

fn net() -> impl Strategy<Value = Net> {
    (
        100u32..20_000,
        1u32..200,
        0.0..0.2f64,
        0.0..0.1f64,
        0.0..0.2f64,
        536u16..1460,
        any::<bool>(),
    )
        .prop_map(
            |(latency_us, mbit, loss, duplicate, reorder, mss, delayed_ack)| Net {
                latency_us,
                mbit,
                loss,
                duplicate,
                reorder,
                mss,
                delayed_ack,
            },
        )
}

fn tls_scenario(
    net: &Net,
    suite: &str,
    version: &str,
    request: usize,
    response: usize,
    seed: u64,
) -> String {
    format!(
        r#"Scenario(
    name: "generated",
    seed: {seed},
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "{lat}us", bandwidth: "{mbit}Mbit/s",
        loss: {loss}, duplicate: {dup}, reorder: {reorder}, reorder_delay: "3ms"))],
    tcp: (mss: {mss}, delayed_ack: "{dack}"),
    pki: (
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: P256)],
        certificates: [
            Cert(name: "root", subject: (cn: "Root"), key: "root", ca: true,
                 not_before: "2010-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z"),
            Cert(name: "leaf", subject: (cn: "server.test"), key: "leaf", issuer: "root", dns_names: ["server.test"],
                 not_before: "2010-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [TlsClient(name: "c", min_version: "{version}", max_version: "{version}", cipher_suites: ["{suite}"],
                            groups: ["x25519", "secp256r1"], server_name: "server.test", trust: ["root"])],
        servers: [TlsServer(name: "s", cipher_suites: ["{suite}"], groups: ["secp256r1", "x25519"],
                            chain: ["leaf"], key: "leaf")],
    ),
    listen: [Listen(host: "server", port: 443, tls: "s")],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "c")),
        At("0ms", Send(conn: "c1", from: "client", data: Pattern({request}))),
        At("0ms", Send(conn: "c1", from: "server", data: Pattern({response}))),
        At("30s", Close(conn: "c1", from: "client")),
    ],
    expect: (
        delivered: [(conn: "c1", to: "server", bytes: {request}), (conn: "c1", to: "client", bytes: {response})],
        states: [(conn: "c1", host: "client", state: "CLOSED"), (conn: "c1", host: "server", state: "CLOSED")],
        // In a full handshake the server completes first: the client waits for its Finished.
        events: [(title: "TLS handshake complete", actor: "server"), (title: "TLS handshake complete", actor: "client")],
    ),
)"#,
        lat = net.latency_us,
        mbit = net.mbit,
        loss = net.loss,
        dup = net.duplicate,
        reorder = net.reorder,
        mss = net.mss,
        dack = if net.delayed_ack { "40ms" } else { "0" },
    )
}

const SUITES: [(&str, &str); 4] = [
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS 1.2"),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS 1.2"),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS 1.1"),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS 1.0"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Over any generated network, the handshake completes on both sides,
    /// every application byte arrives intact, both ends close, and the run
    /// ends on its own.
    #[test]
    fn tls_over_random_networks_completes_and_delivers_every_byte(
        net in net(),
        suite in 0..SUITES.len(),
        request in 1usize..40_000,
        response in 1usize..40_000,
        seed in any::<u64>(),
    ) {
        let (suite, version) = SUITES[suite];
        let text = tls_scenario(&net, suite, version, request, response, seed);
        let scenario = parse(&text, "generated.ron").unwrap();
        let mut events = EventChecker::new(&scenario.expect);
        let outcome = run(&scenario, scenario.seed, RunOptions::default(), &mut events, &mut NoTap);
        prop_assert_eq!(outcome.end, End::Quiescent, "scenario:\n{}", text);
        let failures = check(&scenario.expect, &outcome, &events);
        prop_assert!(failures.is_empty(), "{:?}\nscenario:\n{}", failures, text);
    }

    /// An on-path attacker flips bits in one of the server's segments and
    /// fixes the TCP checksum. Whatever it hits (a handshake message, a
    /// record header, ciphertext, a MAC), the run ends and the client's
    /// application never reads a byte the server did not send: what it
    /// reads is a prefix of the response, all of it only if nothing was
    /// changed that mattered.
    #[test]
    fn tampering_never_reaches_the_application(
        suite in 0..SUITES.len(),
        nth in 1u32..6,
        byte in 0u32..1500,
        xor in 1u8..=255,
        seed in any::<u64>(),
    ) {
        let (suite, version) = SUITES[suite];
        let quiet = Net { latency_us: 5000, mbit: 100, loss: 0.0, duplicate: 0.0, reorder: 0.0, mss: 1460, delayed_ack: true };
        let text = tls_scenario(&quiet, suite, version, 300, 9000, seed).replace(
            r#"At("30s", Close"#,
            &format!(
                r#"At("0ms", Fault(action: Tamper(byte: {byte}, xor: {xor}), nth: {nth}, matching: (from: "server", payload: true))),
        At("30s", Close"#
            ),
        );
        let scenario = parse(&text, "tampered.ron").unwrap();
        let outcome = run(&scenario, scenario.seed, RunOptions::default(), &mut NullTracer, &mut NoTap);
        prop_assert_eq!(outcome.end, End::Quiescent, "scenario:\n{}", text);
        let read = outcome.conns[0].downstream.received;
        // Pattern data: byte i of a stream is i mod 251.
        let prefix: Vec<u8> = (0..read.len()).map(|i| (i % 251) as u8).collect();
        let mut expected = StreamDigest::default();
        expected.update(&prefix);
        prop_assert!(read.len() <= 9000 && read == expected, "{} bytes read, not a prefix of the response\nscenario:\n{}", read.len(), text);
    }

    /// The same scenario and seed give the same log, byte for byte.
    #[test]
    fn the_same_seed_gives_the_same_log(net in net(), seed in any::<u64>()) {
        let text = tls_scenario(&net, SUITES[0].0, SUITES[0].1, 1000, 2000, seed);
        let scenario = parse(&text, "generated.ron").unwrap();
        let log = |seed| {
            let mut events: Vec<Event> = Vec::new();
            run(&scenario, seed, RunOptions::default(), &mut events, &mut NoTap);
            serde_json::to_string(&events).unwrap()
        };
        prop_assert_eq!(log(seed), log(seed));
        prop_assert_ne!(log(seed), log(seed.wrapping_add(1)));
    }
}

#[test]
fn null_tracer_runs_reach_the_same_outcome_as_logged_runs() {
    let text = tls_scenario(
        &Net {
            latency_us: 5000,
            mbit: 10,
            loss: 0.05,
            duplicate: 0.0,
            reorder: 0.05,
            mss: 1000,
            delayed_ack: true,
        },
        SUITES[0].0,
        SUITES[0].1,
        5000,
        7000,
        3,
    );
    let scenario = parse(&text, "generated.ron").unwrap();
    let quiet = run(
        &scenario,
        3,
        RunOptions::default(),
        &mut NullTracer,
        &mut NoTap,
    );
    let mut events: Vec<Event> = Vec::new();
    let logged = run(&scenario, 3, RunOptions::default(), &mut events, &mut NoTap);
    assert_eq!((quiet.time, quiet.steps), (logged.time, logged.steps));
    assert_eq!(quiet.keylog, logged.keylog);
}
