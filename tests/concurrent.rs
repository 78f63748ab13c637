//! Many TLS connections in flight at once: the shipped
//! `benches/scenarios/concurrent-tls.ron` (1,000 connections, the `scale`
//! bench's scenario at a smaller count) runs with every connection open at
//! the same time, and every one completes.

use std::path::Path;

use tlsim_net::{NoTap, State};
use tlsim_scenario::ends::TlsOutcome;
use tlsim_scenario::{End, RunOptions, load_file, run_in};
use tlsim_sim::{Duration, Instant, NullTracer};
use tlsim_test_support::concurrent::concurrent_tls_scenario;

const COUNT: u32 = 1_000;

fn shipped() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scenarios/concurrent-tls.ron")
}

#[test]
fn the_shipped_file_is_the_generators_output() {
    let file = std::fs::read_to_string(shipped()).expect("the shipped scenario is readable");
    assert!(
        file == concurrent_tls_scenario(COUNT),
        "benches/scenarios/concurrent-tls.ron differs from what \
         `cargo run -p tlsim-test-support --bin concurrent-tls -- {COUNT}` writes"
    );
}

#[test]
fn every_connection_is_open_at_once_and_completes() {
    let path = shipped();
    let scenario = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
    let base = path.parent().expect("the file is in a folder");
    let seed = scenario.seed;
    let outcome = run_in(
        &scenario,
        base,
        seed,
        RunOptions::default(),
        &mut NullTracer,
        &mut NoTap,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.end, End::Quiescent);
    assert_eq!(outcome.conns.len(), COUNT as usize);
    // Every connection opened before the first second ended, and the
    // first close came at two seconds.
    let first_close = Instant::ZERO + Duration::from_secs(2);
    for conn in &outcome.conns {
        let name = &conn.name;
        for end in [&conn.client_end, &conn.server_end] {
            assert_eq!(end.tls, Some(TlsOutcome::Complete), "{name}");
            let handshake_at = end.handshake_at.expect("the handshake completed");
            assert!(
                handshake_at < first_close,
                "{name}: handshake at {handshake_at}"
            );
            let closed_at = end.closed_at.expect("both ends closed");
            assert!(closed_at >= first_close, "{name}: closed at {closed_at}");
            assert!(
                end.alerts_sent.is_empty() && end.alerts_received.is_empty(),
                "{name}"
            );
        }
        for flow in [conn.upstream(), conn.downstream()] {
            assert!(flow.intact() && flow.received.len() == 100, "{name}");
        }
        assert_eq!(
            (conn.client_state, conn.server_state),
            (State::Closed, State::Closed),
            "{name}"
        );
    }
    assert_eq!(outcome.keylog.len(), COUNT as usize);
}
