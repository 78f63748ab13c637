//! Conversation ends in the runner: a scripted peer against tlsim's TLS
//! actors, its verdict in the end's report and in `check`, its secrets in
//! the run's key log.

use tlsim_net::NoTap;
use tlsim_scenario::ends::TlsOutcome;
use tlsim_scenario::expect::{EventChecker, Failure, check};
use tlsim_scenario::{End, Outcome, RunOptions, parse, run};
use tlsim_sim::{Event, Tracer};
use tlsim_tls_script::Verdict;

/// tlsim's TLS client and server, with a conversation in place of one of
/// them: `client` and `server` are what follows `tls: "…"` on each end.
fn scenario(client: &str, server: &str) -> String {
    format!(
        r#"Scenario(
    name: "conversation",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "5ms"))],
    pki: (
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: P256)],
        certificates: [
            Cert(name: "root", subject: (cn: "Root"), key: "root", ca: true,
                 not_before: "2025-01-01T00:00:00Z", not_after: "2035-01-01T00:00:00Z"),
            Cert(name: "server", subject: (cn: "server.test"), key: "leaf", issuer: "root",
                 dns_names: ["server.test"],
                 not_before: "2025-06-01T00:00:00Z", not_after: "2027-06-01T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [TlsClient(name: "client", server_name: "server.test", trust: ["root"])],
        servers: [TlsServer(name: "server", chain: ["server"], key: "leaf")],
    ),
    listen: [Listen(host: "server", port: 443, tls: "server"{server})],
    timeline: [At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "client"{client}))],
)"#
    )
}

const FULL_HANDSHAKE: &str = r#", conversation: (steps: [
    Send(message: ClientHello(version: 0x0303)),
    Expect(ServerHello(version: 0x0303)), Expect(Certificate), Expect(ServerKeyExchange), Expect(ServerHelloDone),
    Send(message: ClientKeyExchange()), Send(message: ChangeCipherSpec()), Send(message: Finished()),
    Expect(ChangeCipherSpec), Expect(Finished),
])"#;

fn run_and_check(text: &str) -> (Outcome, Vec<Failure>) {
    let scenario = parse(text, "conversation.ron").unwrap_or_else(|e| panic!("{e}"));
    let mut events: Vec<Event> = Vec::new();
    let outcome = run(&scenario, 3, RunOptions::default(), &mut events, &mut NoTap);
    assert_eq!(outcome.end, End::Quiescent);
    let mut checker = EventChecker::new(&scenario.expect);
    for event in events {
        checker.record(event);
    }
    let failures = check(&scenario.expect, &outcome, &checker);
    (outcome, failures)
}

#[test]
fn a_client_conversation_completes_a_handshake_with_tlsims_server() {
    let (outcome, failures) = run_and_check(&scenario(FULL_HANDSHAKE, ""));
    assert!(failures.is_empty(), "{failures:?}");
    let conn = &outcome.conns[0];
    let report = conn
        .client_end
        .conversation
        .as_ref()
        .expect("a conversation end");
    assert_eq!(report.verdict, Verdict::Passed);
    assert_eq!(report.step, 10);
    assert_eq!(conn.server_end.tls, Some(TlsOutcome::Complete));
    // The scripted client's secrets, once: the server does not log its own.
    assert_eq!(outcome.keylog.len(), 1, "{:?}", outcome.keylog);
    assert!(outcome.keylog[0].starts_with("CLIENT_RANDOM "));
}

#[test]
fn a_server_conversation_that_fails_is_reported_with_its_step() {
    // tlsim's client answers a spoiled signature with decrypt_error, not
    // with its key exchange.
    let server = r#", conversation: (steps: [
        Expect(ClientHello()),
        Send(message: ServerHello()), Send(message: Certificate()),
        Send(message: ServerKeyExchange(signature_xor: "01")), Send(message: ServerHelloDone),
        Expect(ClientKeyExchange),
    ])"#;
    let (outcome, failures) = run_and_check(&scenario("", server));
    assert_eq!(
        failures,
        [Failure::Conversation {
            conn: "c1".into(),
            host: "server".into(),
            step: 5,
            expected: "Client Key Exchange".into(),
            observed: "a fatal decrypt_error alert".into(),
        }]
    );
    assert_eq!(outcome.conns[0].client_end.tls, Some(TlsOutcome::Failed));
}

#[test]
fn a_conversation_still_waiting_when_the_run_ends_fails_at_that_step() {
    // The server sends nothing after its flight, and no patience is given.
    let client = r#", conversation: (steps: [
        Send(message: ClientHello(version: 0x0303)),
        Expect(ServerHello()), Expect(Certificate), Expect(ServerKeyExchange), Expect(ServerHelloDone),
        Expect(Finished),
    ])"#;
    let (_, failures) = run_and_check(&scenario(client, ""));
    assert_eq!(
        failures,
        [Failure::Conversation {
            conn: "c1".into(),
            host: "client".into(),
            step: 5,
            expected: "the step to complete".into(),
            observed: "the run ended while it waited".into(),
        }]
    );
}

#[test]
fn a_step_failure_is_in_the_event_log() {
    let text = scenario(
        &FULL_HANDSHAKE.replace("Finished()", r#"Finished(xor: "01")"#),
        "",
    );
    let scenario = parse(&text, "conversation.ron").unwrap();
    let mut events: Vec<Event> = Vec::new();
    run(&scenario, 3, RunOptions::default(), &mut events, &mut NoTap);
    let failed = events
        .iter()
        .find(|e| e.title == "Conversation step failed")
        .expect("the failure is logged");
    assert_eq!(failed.actor, "client");
    assert_eq!(failed.field_value("Step"), Some("8"));
}
