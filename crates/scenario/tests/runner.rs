//! The runner end to end, on scenarios written here.

use tlsim_net::NoTap;
use tlsim_scenario::expect::{EventChecker, check};
use tlsim_scenario::{End, RunOptions, parse, run};
use tlsim_sim::NullTracer;

fn bulk(bytes: u64, conditions: &str) -> String {
    format!(
        r#"Scenario(
    name: "bulk",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: ({conditions}))],
    tcp: (recv_buffer: 65535, send_buffer: 262144),
    listen: [Listen(host: "server", port: 5001)],
    timeline: [
        At("0ms", Connect(conn: "bulk", from: "client", to: "server", port: 5001)),
        At("0ms", Send(conn: "bulk", from: "client", data: Pattern({bytes}))),
        At("0ms", Close(conn: "bulk", from: "client")),
    ],
    expect: (
        delivered: [(conn: "bulk", to: "server", bytes: {bytes})],
        states: [(conn: "bulk", host: "client", state: "CLOSED"), (conn: "bulk", host: "server", state: "CLOSED")],
    ),
)"#
    )
}

#[test]
fn a_send_larger_than_the_send_buffer_is_delivered_whole_and_closed() {
    let scenario = parse(
        &bulk(1_000_000, r#"latency: "10ms", bandwidth: "100Mbit/s""#),
        "bulk.ron",
    )
    .unwrap();
    let outcome = run(
        &scenario,
        1,
        RunOptions::default(),
        &mut NullTracer,
        &mut NoTap,
    );
    assert_eq!(outcome.end, End::Quiescent);
    let failures = check(
        &scenario.expect,
        &outcome,
        &EventChecker::new(&scenario.expect),
    );
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn a_lossy_reordering_duplicating_link_still_delivers_every_byte_once_in_order() {
    let conditions = r#"latency: "5ms", bandwidth: "20Mbit/s", loss: 0.1, duplicate: 0.05, reorder: 0.1, jitter: "1ms""#;
    let scenario = parse(&bulk(300_000, conditions), "lossy.ron").unwrap();
    for seed in 1..=5 {
        let outcome = run(
            &scenario,
            seed,
            RunOptions::default(),
            &mut NullTracer,
            &mut NoTap,
        );
        let failures = check(
            &scenario.expect,
            &outcome,
            &EventChecker::new(&scenario.expect),
        );
        assert!(failures.is_empty(), "seed {seed}: {failures:?}");
    }
}

#[test]
fn thousands_of_short_connections_all_deliver_and_close() {
    // Enough connections that socket slots, ephemeral ports and timers are
    // reused many times over while thousands sit in TIME-WAIT.
    let mut timeline = String::new();
    for i in 0..3000u32 {
        let at = u64::from(i) * 50;
        timeline += &format!(
            r#"At("{at}us", Connect(conn: "c{i}", from: "client", to: "server", port: 443)),
At("{at}us", Send(conn: "c{i}", from: "client", data: Pattern(16384))),
At("{at}us", Close(conn: "c{i}", from: "client")),
"#
        );
    }
    let text = format!(
        r#"Scenario(
    name: "short",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms", bandwidth: "10Gbit/s"))],
    tcp: (time_wait: "100ms"),
    listen: [Listen(host: "server", port: 443)],
    timeline: [{timeline}],
)"#
    );
    let scenario = parse(&text, "short.ron").unwrap();
    let outcome = run(
        &scenario,
        1,
        RunOptions::default(),
        &mut NullTracer,
        &mut NoTap,
    );
    assert_eq!(outcome.end, End::Quiescent);
    for conn in &outcome.conns {
        assert_eq!(conn.upstream().received.len(), 16384, "{}", conn.name);
        assert!(conn.upstream().intact(), "{}", conn.name);
        assert_eq!(conn.client_state.to_string(), "CLOSED", "{}", conn.name);
        assert_eq!(conn.server_state.to_string(), "CLOSED", "{}", conn.name);
    }
}

/// One exchange, then both ends close at once: a simultaneous close, so
/// both sockets wait out TIME-WAIT (5 s here, RFC 9293 §3.6) long after
/// their ends are done.
fn closed_exchange(max_time: &str) -> String {
    format!(
        r#"Scenario(
    name: "linger",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms"))],
    tcp: (time_wait: "5s"),
    listen: [Listen(host: "server", port: 80)],
    timeline: [
        At("0ms", Connect(conn: "c", from: "client", to: "server", port: 80)),
        At("0ms", Send(conn: "c", from: "client", data: Pattern(1000))),
        At("10ms", Send(conn: "c", from: "server", data: Pattern(2000))),
        At("20ms", Close(conn: "c", from: "client")),
        At("20ms", Close(conn: "c", from: "server")),
    ],
    limits: (max_time: "{max_time}"),
)"#
    )
}

#[test]
fn a_connection_in_time_wait_reports_what_its_ends_did_and_its_state_when_the_run_stops() {
    let report = |max_time: &str| {
        let scenario = parse(&closed_exchange(max_time), "linger.ron").unwrap();
        let outcome = run(
            &scenario,
            1,
            RunOptions::default(),
            &mut NullTracer,
            &mut NoTap,
        );
        let conn = &outcome.conns[0];
        (
            outcome.end,
            conn.client_state.to_string(),
            conn.server_state.to_string(),
            conn.upstream().received.len(),
            conn.downstream().received.len(),
        )
    };
    // Stopped while both sockets are in TIME-WAIT: the ends are long done,
    // and their report is whole.
    assert_eq!(
        report("1s"),
        (
            End::MaxTime,
            "TIME-WAIT".into(),
            "TIME-WAIT".into(),
            1000,
            2000
        )
    );
    // Run to the end: TIME-WAIT over, the same report.
    assert_eq!(
        report("60s"),
        (End::Quiescent, "CLOSED".into(), "CLOSED".into(), 1000, 2000)
    );
}
