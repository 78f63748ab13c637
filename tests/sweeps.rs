//! Every shipped scenario passes its expectations under many seeds, checked
//! as `tlsim sweep` checks them: TCP scenarios (`scenarios/tcp-*.ron`) over
//! 2,000 seeds each, the TLS ones over 300, from each scenario's own seed.
//!
//! A failure names the scenario and its failing seeds; replay one with
//! `tlsim run <scenario> --seed <seed>`, shrink it with `tlsim shrink`.

use std::path::{Path, PathBuf};

use tlsim::output::{Sequenced, Tee};
use tlsim_net::NoTap;
use tlsim_scenario::expect::{EventChecker, check};
use tlsim_scenario::{RunOptions, load_file, run_in};
use tlsim_sim::NullTracer;

const TCP_SEEDS: u64 = 2_000;
const TLS_SEEDS: u64 = 300;

/// The shipped scenarios, sorted, whose file name does (or does not) start with `tcp-`.
fn scenarios(tcp: bool) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .filter(|p| {
            let name = p.file_name().expect("file name").to_string_lossy();
            name.starts_with("tcp-") == tcp
        })
        .collect();
    files.sort();
    files
}

/// The first failure of each failing seed in `count` seeds from the scenario's own.
fn sweep(path: &Path, count: u64) -> Vec<String> {
    let scenario = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let base = path.parent().expect("scenario folder");
    let mut failed = Vec::new();
    for seed in scenario.seed..scenario.seed + count {
        let mut tracer = Sequenced::new(Tee(EventChecker::new(&scenario.expect), NullTracer));
        let outcome = run_in(
            &scenario,
            base,
            seed,
            RunOptions::default(),
            &mut tracer,
            &mut NoTap,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Tee(events, _) = tracer.into_inner();
        if let Some(first) = check(&scenario.expect, &outcome, &events).first() {
            failed.push(format!("{} seed {seed}: {first}", path.display()));
        }
    }
    failed
}

fn sweep_all(tcp: bool, count: u64) {
    let files = scenarios(tcp);
    assert!(!files.is_empty(), "no scenario to sweep");
    let failed: Vec<String> = files.iter().flat_map(|f| sweep(f, count)).collect();
    assert!(failed.is_empty(), "failing seeds:\n{}", failed.join("\n"));
}

#[test]
fn every_tcp_scenario_passes_2000_seeds() {
    sweep_all(true, TCP_SEEDS);
}

#[test]
fn every_tls_scenario_passes_300_seeds() {
    sweep_all(false, TLS_SEEDS);
}
