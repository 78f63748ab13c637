//! Every numeric field of the schema, given zero, the largest and the
//! negative values and the wrong type: each scenario either loads and its run
//! ends, or is refused with an error at the line of the value, never a panic.

use tlsim_net::NoTap;
use tlsim_scenario::{RunOptions, parse, run};

/// Every numeric field, each on its own line as `{name}`.
const TEMPLATE: &str = r#"Scenario(
    name: "extreme",
    seed: {seed},
    hosts: [
        Host(name: "client", addr: "10.0.0.1", tcp: (
            mss: {host_mss},
        )),
        Host(name: "server", addr: "10.0.0.2"),
    ],
    links: [Link(between: ("client", "server"), conditions: (
        latency: {latency},
        bandwidth: {bandwidth},
        queue_bytes: {queue_bytes},
        jitter: {jitter},
        loss: {loss},
        duplicate: {duplicate},
        reorder: {reorder},
        reorder_delay: {reorder_delay},
        corrupt: {corrupt},
        mtu: {mtu},
    ), reverse: (
        mtu: {reverse_mtu},
    ))],
    tcp: (
        mss: {mss},
        recv_buffer: {recv_buffer},
        send_buffer: {send_buffer},
        delayed_ack: {delayed_ack},
        initial_rto: {initial_rto},
        min_rto: {min_rto},
        max_rto: {max_rto},
        time_wait: {time_wait},
        initial_cwnd: {initial_cwnd},
        max_retransmissions: {max_retransmissions},
    ),
    pki: (keys: [Key(name: "k", kind: P256)], certificates: [Cert(
        name: "c", subject: (cn: "s"), key: "k", ca: true, dns_names: ["s"],
        not_before: "2025-01-01", not_after: "2030-01-01",
        serial: {serial},
        path_len: {path_len},
    )]),
    tls: (
        clients: [TlsClient(name: "tc", server_name: "s", trust: ["c"],
            processing_time: {client_processing_time},
        )],
        servers: [TlsServer(name: "ts", chain: ["c"], key: "k",
            processing_time: {server_processing_time},
        )],
    ),
    listen: [Listen(host: "server", port: 80), Listen(host: "server", tls: "ts",
        port: {listen_port},
    )],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 80)),
        At("0ms", Send(conn: "c1", from: "client", data: Pattern(
            {pattern},
        ))),
        At("0ms", Connect(conn: "c2", from: "client", to: "server", tls: "tc",
            port: {connect_port},
        )),
        At("0ms", Fault(action: Delay(
            {fault_delay},
        ), nth: 2)),
        At("0ms", Fault(action: Drop,
            nth: {nth},
        )),
        At("0ms", Fault(action: Tamper(
            byte: {tamper_byte},
            xor: {tamper_xor},
        ), nth: 9)),
        At("0ms", CutLink(between: ("client", "server"),
            duration: {cut},
        )),
        At("1s", Close(conn: "c1", from: "client")),
        At(
            {at},
            Close(conn: "c2", from: "client"),
        ),
    ],
    limits: (
        max_time: {max_time},
        max_events: {max_events},
    ),
    expect: (delivered: [(conn: "c1", to: "server",
        bytes: {bytes},
    )]),
)"#;

/// A value that loads, for each field while another is varied.
const FIELDS: &[(&str, &str)] = &[
    ("seed", "1"),
    ("host_mss", "1400"),
    ("latency", "\"5ms\""),
    ("bandwidth", "\"10Mbit/s\""),
    ("queue_bytes", "100000"),
    ("jitter", "\"1ms\""),
    ("loss", "0.01"),
    ("duplicate", "0.01"),
    ("reorder", "0.01"),
    ("reorder_delay", "\"2ms\""),
    ("corrupt", "0.01"),
    ("mtu", "1500"),
    ("reverse_mtu", "1500"),
    ("mss", "1460"),
    ("recv_buffer", "65535"),
    ("send_buffer", "65536"),
    ("delayed_ack", "\"40ms\""),
    ("initial_rto", "\"1s\""),
    ("min_rto", "\"200ms\""),
    ("max_rto", "\"60s\""),
    ("time_wait", "\"60s\""),
    ("initial_cwnd", "10"),
    ("max_retransmissions", "15"),
    ("serial", "7"),
    ("path_len", "1"),
    ("client_processing_time", "\"1ms\""),
    ("server_processing_time", "\"2ms\""),
    ("listen_port", "443"),
    ("pattern", "3000"),
    ("connect_port", "443"),
    ("fault_delay", "\"10ms\""),
    ("nth", "3"),
    ("tamper_byte", "4"),
    ("tamper_xor", "1"),
    ("cut", "\"5ms\""),
    ("at", "\"2s\""),
    ("max_time", "\"10min\""),
    // Enough for every run here to finish or stop soon.
    ("max_events", "200000"),
    ("bytes", "3000"),
];

/// Values every field is given in turn: zero, the extremes, negatives, the
/// wrong type, and durations, rates and probabilities at and past their ends.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "65535",
    "65536",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "1e300",
    "0.5",
    "NaN",
    "true",
    "\"5\"",
    "\"5%\"",
    "[]",
    "(a: 1)",
    "\"0\"",
    "\"1ns\"",
    "\"1.5ns\"",
    "\"24h\"",
    "\"24.000000001h\"",
    "\"168h\"",
    "\"168.000000001h\"",
    "\"18446744073709551615ns\"",
    "\"99999999999999min\"",
    "\"-1ms\"",
    "\"1bit/s\"",
    "\"1kbit/s\"",
    "\"1000Gbit/s\"",
    "\"18446744073709551615Gbit/s\"",
];

fn scenario_with(field: &str, value: &str) -> String {
    FIELDS
        .iter()
        .fold(TEMPLATE.to_string(), |text, (name, default)| {
            let v = if *name == field { value } else { default };
            text.replace(&format!("{{{name}}}"), v)
        })
}

#[test]
fn the_template_covers_every_field_once_and_loads() {
    for (name, _) in FIELDS {
        assert_eq!(
            TEMPLATE.matches(&format!("{{{name}}}")).count(),
            1,
            "{name}"
        );
    }
    let text = scenario_with("", "");
    assert!(!text.contains('{'), "a field is missing from FIELDS");
    parse(&text, "x.ron").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn every_numeric_field_loads_and_ends_or_is_refused_at_its_line() {
    let mut refused = 0;
    for (field, _) in FIELDS {
        let line = TEMPLATE
            .lines()
            .position(|l| l.contains(&format!("{{{field}}}")))
            .unwrap()
            + 1;
        for value in VALUES {
            let text = scenario_with(field, value);
            match parse(&text, "x.ron") {
                Ok(scenario) => {
                    // Loaded: the run must end (finished or at a limit).
                    let outcome = run(
                        &scenario,
                        scenario.seed,
                        RunOptions::default(),
                        &mut tlsim_sim::NullTracer,
                        &mut NoTap,
                    );
                    assert!(outcome.steps > 0, "{field}: {value}");
                }
                Err(e) => {
                    refused += 1;
                    assert!(
                        e.line == line && e.col > 0,
                        "{field} = {value}: expected an error on line {line}, got {e}"
                    );
                    assert!(e.to_string().starts_with(&format!("x.ron:{line}:")), "{e}");
                }
            }
        }
    }
    assert!(refused > FIELDS.len() * VALUES.len() / 2, "{refused}");
}
