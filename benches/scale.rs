//! Many TLS connections in one run, all in flight at once.
//!
//! `concurrent_tls/N` runs N TLS 1.2 connections that all open within the
//! first simulated second, each a full ECDHE-ECDSA handshake on X25519, 100
//! bytes each way, then idle until it closes (see
//! `tlsim_test_support::concurrent`; `benches/scenarios/concurrent-tls.ron`
//! is N = 1,000). A run of 100,000 takes about a minute, too long for
//! criterion's samples: it is run once and printed, clearly labelled, with
//! its wall time and how far it raised the resident set at its highest,
//! both per connection; criterion times N = 1,000.
//!
//! Like `benches/tcp.rs`, it runs with no event log and no pcap.
//!
//! Run: `cargo bench --bench scale` (`-- --test` runs 1,000 only).

mod memory;

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tlsim_net::NoTap;
use tlsim_scenario::ends::TlsOutcome;
use tlsim_scenario::{Outcome, RunOptions, Scenario, parse, run};
use tlsim_sim::NullTracer;
use tlsim_test_support::concurrent::concurrent_tls_scenario;

const FAST: RunOptions = RunOptions {
    verify_data: false,
    crypto_threads: 0,
    keylog: false,
};

fn scenario(count: u32) -> Scenario {
    parse(&concurrent_tls_scenario(count), "concurrent-tls").expect("bench scenario is valid")
}

fn assert_complete(outcome: &Outcome, count: u32) {
    assert_eq!(outcome.conns.len(), count as usize);
    let incomplete = (outcome.conns.iter()).find(|c| {
        c.client_end.tls != Some(TlsOutcome::Complete)
            || c.server_end.tls != Some(TlsOutcome::Complete)
            || c.downstream().received.len() != 100
    });
    assert!(
        incomplete.is_none(),
        "every connection must complete: {incomplete:?}"
    );
}

fn concurrent_tls(c: &mut Criterion) {
    // `cargo bench -- --test` checks that the bench runs, not what it costs.
    let testing = std::env::args().any(|a| a == "--test");
    let counts: &[u32] = if testing { &[1_000] } else { &[1_000, 100_000] };
    for &count in counts {
        let scenario = scenario(count);
        let seed = scenario.seed;
        let measured = memory::measure(|| run(&scenario, seed, FAST, &mut NullTracer, &mut NoTap));
        assert_complete(&measured.value, count);
        measured.print_per_connection(&format!("concurrent_tls/{count}"), count);
    }
    let scenario = scenario(1_000);
    let seed = scenario.seed;
    let mut group = c.benchmark_group("concurrent_tls");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("1000", |b| {
        b.iter(|| black_box(run(&scenario, seed, FAST, &mut NullTracer, &mut NoTap)));
    });
    group.finish();
}

criterion_group!(benches, concurrent_tls);
criterion_main!(benches);
