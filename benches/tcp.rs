//! TCP throughput and per-connection cost of the simulator.
//!
//! - `bulk_100MB`: one 100 MB transfer over a 100 Mbit/s, 10 ms link; the
//!   figure to read is delivered segments per wall-clock second
//!   (criterion's throughput, in elements/s, counts segments).
//! - `short_connections/N`: N connections to one server, each a three-way
//!   handshake, 16 KiB from the client, and close; criterion's
//!   time per element is the wall time per connection. Comparing N = 1,000,
//!   10,000, 100,000 and 1,000,000 shows whether the cost stays flat.
//!   Before timing, each N prints the wall time of one run and how far it
//!   raised the resident set at its highest, both per connection (the
//!   memory on Linux only).
//!
//! Both run with no event log and no pcap, and without digesting the data,
//! so they measure the simulator itself.
//!
//! Run: `cargo bench --bench tcp`

mod memory;

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tlsim_net::NoTap;
use tlsim_scenario::{RunOptions, Scenario, parse, run};
use tlsim_sim::NullTracer;

const FAST: RunOptions = RunOptions {
    verify_data: false,
    crypto_threads: 0,
    keylog: false,
};

fn bulk_scenario(bytes: u64) -> Scenario {
    let text = format!(
        r#"Scenario(
    name: "bulk",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "10ms", bandwidth: "100Mbit/s"))],
    tcp: (recv_buffer: 4194304, send_buffer: 4194304),
    listen: [Listen(host: "server", port: 5001)],
    timeline: [
        At("0ms", Connect(conn: "bulk", from: "client", to: "server", port: 5001)),
        At("0ms", Send(conn: "bulk", from: "client", data: Pattern({bytes}))),
        At("0ms", Close(conn: "bulk", from: "client")),
    ],
)"#
    );
    parse(&text, "bulk").expect("bench scenario is valid")
}

fn short_connections_scenario(count: u32) -> Scenario {
    let mut timeline = String::new();
    for i in 0..count {
        // A new connection every 50 µs: many are open at once.
        let at = u64::from(i) * 50;
        let _ = write!(
            timeline,
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
    // A short TIME-WAIT: at one connection every 50 µs, 60 s of TIME-WAIT
    // would hold more than the 16,384 ephemeral ports of one client host.
    tcp: (time_wait: "100ms"),
    listen: [Listen(host: "server", port: 443)],
    timeline: [{timeline}],
    limits: (max_events: 1000000000),
)"#
    );
    parse(&text, "short").expect("bench scenario is valid")
}

fn bulk(c: &mut Criterion) {
    const BYTES: u64 = 100_000_000;
    let scenario = bulk_scenario(BYTES);
    // Count the segments once, outside the timed loop.
    let outcome = run(&scenario, 1, FAST, &mut NullTracer, &mut NoTap);
    assert_eq!(
        outcome.conns[0].upstream().received.len(),
        BYTES,
        "the bulk transfer must complete"
    );
    let segments = BYTES.div_ceil(1460);
    let mut group = c.benchmark_group("tcp");
    group.sample_size(10);
    group.throughput(Throughput::Elements(segments));
    group.bench_function("bulk_100MB", |b| {
        b.iter(|| black_box(run(&scenario, 1, FAST, &mut NullTracer, &mut NoTap)));
    });
    group.finish();
}

fn short_connections(c: &mut Criterion) {
    let mut group = c.benchmark_group("short_connections");
    group.sample_size(10);
    // A run of a million takes seconds: one iteration per sample.
    group.sampling_mode(SamplingMode::Flat);
    for count in [1_000u32, 10_000, 100_000, 1_000_000] {
        let scenario = short_connections_scenario(count);
        let measured = memory::measure(|| run(&scenario, 1, FAST, &mut NullTracer, &mut NoTap));
        assert!(
            (measured.value.conns.iter()).all(|c| c.upstream().received.len() == 16384),
            "every connection must complete"
        );
        measured.print_per_connection(&format!("short_connections/{count}"), count);
        drop(measured);
        group.throughput(Throughput::Elements(u64::from(count)));
        group.bench_function(count.to_string(), |b| {
            b.iter(|| black_box(run(&scenario, 1, FAST, &mut NullTracer, &mut NoTap)));
        });
    }
    group.finish();
}

criterion_group!(benches, bulk, short_connections);
criterion_main!(benches);
