//! Application data over TLS in the runner: what is written before a close
//! goes out before close_notify, and bulk data is handed to TLS a window at
//! a time as TCP takes it, never all at once.

use tlsim_net::NoTap;
use tlsim_scenario::expect::{EventChecker, check};
use tlsim_scenario::{End, RunOptions, parse, run};
use tlsim_sim::{Event, Kind, Layer};

/// A TLS 1.2 client and server over `conditions`, with `timeline` steps.
fn tls_scenario(conditions: &str, tcp: &str, timeline: &str, expect: &str) -> String {
    format!(
        r#"Scenario(
    name: "tls-data",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: ({conditions}))],
    tcp: ({tcp}),
    pki: (
        epoch: "2026-01-01T00:00:00Z",
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
        clients: [TlsClient(name: "client", min_version: "TLS 1.2", max_version: "TLS 1.2",
                            server_name: "server.test", trust: ["root"])],
        servers: [TlsServer(name: "server", chain: ["server"], key: "leaf")],
    ),
    listen: [Listen(host: "server", port: 443, tls: "server")],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "client")),
        {timeline}
    ],
    expect: ({expect}),
)"#
    )
}

/// The client's TLS send events and the server's TLS receive events, with
/// their record bytes.
fn tls_events<'a>(events: &'a [Event], actor: &str, kind: Kind) -> Vec<&'a Event> {
    events
        .iter()
        .filter(|e| e.layer == Layer::Tls && e.actor == actor && e.kind == kind)
        .collect()
}

#[test]
fn data_written_before_a_close_mid_handshake_is_sent_before_close_notify() {
    // The close comes at 10 ms; the handshake needs about 40.
    let text = tls_scenario(
        r#"latency: "5ms", bandwidth: "100Mbit/s""#,
        "",
        r#"At("0ms", Send(conn: "c1", from: "client", data: Pattern(200000))),
        At("10ms", Close(conn: "c1", from: "client")),"#,
        r#"delivered: [(conn: "c1", to: "server", bytes: 200000)],
        states: [(conn: "c1", host: "client", state: "CLOSED"), (conn: "c1", host: "server", state: "CLOSED")],"#,
    );
    let scenario = parse(&text, "close.ron").unwrap();
    let mut events: Vec<Event> = Vec::new();
    let outcome = run(&scenario, 1, RunOptions::default(), &mut events, &mut NoTap);
    assert_eq!(outcome.end, End::Quiescent);
    let failures = check(
        &scenario.expect,
        &outcome,
        &EventChecker::new(&scenario.expect),
    );
    assert!(failures.is_empty(), "{failures:?}");
    // The client's records: handshake, application data, then close_notify.
    let sent: Vec<&str> = tls_events(&events, "client", Kind::Send)
        .iter()
        .map(|e| e.title.as_ref())
        .collect();
    let data = sent.iter().position(|t| t.contains("Application Data"));
    let close = sent.iter().position(|t| *t == "TLS Alert (close_notify)");
    assert!(data.unwrap() < close.unwrap(), "{sent:?}");
    assert_eq!(close, Some(sent.len() - 1), "{sent:?}");
    // And the FIN after close_notify.
    let close_at = events
        .iter()
        .position(|e| e.actor == "client" && e.title == "TLS Alert (close_notify)")
        .unwrap();
    let fin_at = events
        .iter()
        .position(|e| e.actor == "client" && e.kind == Kind::Send && e.title.contains("FIN"))
        .unwrap();
    assert!(close_at < fin_at);
}

/// Bytes of TLS records the client has written, less the bytes of records
/// the server has read, at each client send: what sits in buffers between
/// the two TLS layers.
fn most_tls_bytes_in_between(events: &[Event]) -> usize {
    let mut written = 0usize;
    let mut read = 0usize;
    let mut most = 0usize;
    for e in events.iter().filter(|e| e.layer == Layer::Tls) {
        let len = e.bytes.as_ref().map_or(0, Vec::len);
        match (e.actor.as_str(), e.kind) {
            ("client", Kind::Send) => {
                written += len;
                most = most.max(written - read);
            }
            ("server", Kind::Recv) => read += len,
            _ => {}
        }
    }
    most
}

#[test]
fn bulk_data_is_encrypted_only_as_fast_as_tcp_takes_it() {
    const BYTES: usize = 4_000_000;
    let text = tls_scenario(
        r#"latency: "5ms", bandwidth: "10Mbit/s""#,
        "recv_buffer: 65535, send_buffer: 65536",
        &format!(
            r#"At("0ms", Send(conn: "c1", from: "client", data: Pattern({BYTES}))),
        At("0ms", Close(conn: "c1", from: "client")),"#
        ),
        &format!(r#"delivered: [(conn: "c1", to: "server", bytes: {BYTES})],"#),
    );
    let scenario = parse(&text, "bulk.ron").unwrap();
    let mut events: Vec<Event> = Vec::new();
    let outcome = run(&scenario, 1, RunOptions::default(), &mut events, &mut NoTap);
    let failures = check(
        &scenario.expect,
        &outcome,
        &EventChecker::new(&scenario.expect),
    );
    assert!(failures.is_empty(), "{failures:?}");
    // TCP's send buffer, its receive window in flight, and one window of
    // records waiting for TCP: about 200 KB, whatever the size of the send.
    let bound = 65_536 + 65_535 + 2 * 70_000;
    let between = most_tls_bytes_in_between(&events);
    assert!(between <= bound, "{between} bytes between the TLS layers");
    // Each write to TLS is a window of whole records at most.
    for e in tls_events(&events, "client", Kind::Send) {
        assert!(
            e.bytes.as_ref().map_or(0, Vec::len) <= 70_000,
            "{}",
            e.title
        );
    }
}

#[test]
fn profiles_up_to_tls13_with_default_suites_negotiate_tls13() {
    // RFC 8446 §4.1.1: a client that offers TLS 1.3 offers its suites too.
    let text = tls_scenario("", "", "", "")
        .replace(r#"max_version: "TLS 1.2""#, r#"max_version: "TLS 1.3""#)
        .replace(r#"key: "leaf")"#, r#"key: "leaf", max_version: "TLS 1.3")"#);
    let scenario = parse(&text, "tls13-defaults.ron").unwrap();
    let mut events: Vec<Event> = Vec::new();
    let outcome = run(&scenario, 1, RunOptions::default(), &mut events, &mut NoTap);
    assert_eq!(outcome.end, End::Quiescent);
    let hello = (events.iter())
        .find(|e| e.title.starts_with("TLS Server Hello"))
        .expect("a Server Hello");
    assert_eq!(
        hello.field_value("Cipher Suite"),
        Some("TLS_AES_128_GCM_SHA256 (0x1301)")
    );
    let versions = (hello.fields.iter())
        .position(|f| f.value == "supported_versions (len=2)")
        .expect("supported_versions in the Server Hello");
    assert_eq!(hello.fields[versions + 3].value, "0304");
}

#[test]
fn key_log_lines_are_made_only_when_asked_for_and_change_nothing_else() {
    let text = tls_scenario(
        r#"latency: "5ms""#,
        "",
        r#"At("50ms", Send(conn: "c1", from: "client", data: Pattern(1000))),"#,
        "",
    );
    let scenario = parse(&text, "keylog.ron").unwrap();
    let mut kept_log: Vec<Event> = Vec::new();
    let kept = run(
        &scenario,
        1,
        RunOptions::default(),
        &mut kept_log,
        &mut NoTap,
    );
    let mut skipped_log: Vec<Event> = Vec::new();
    let without_keylog = RunOptions {
        keylog: false,
        ..RunOptions::default()
    };
    let skipped = run(&scenario, 1, without_keylog, &mut skipped_log, &mut NoTap);
    // One TLS 1.2 session: one CLIENT_RANDOM line, the client's.
    assert_eq!(kept.keylog.len(), 1);
    assert!(kept.keylog[0].starts_with("CLIENT_RANDOM "));
    assert!(skipped.keylog.is_empty());
    assert!(kept_log.len() > 20);
    assert_eq!(kept_log, skipped_log);
}
