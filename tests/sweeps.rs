//! Every shipped scenario passes its expectations under many seeds, checked
//! as `tlsim sweep` checks them: TCP scenarios (`scenarios/tcp-*.ron`) over
//! 2,000 seeds each, the TLS ones over 300, and each handshake edge case of
//! `scenarios/edge/` on its own seed and 50 more.
//!
//! A failure names the scenario and its failing seeds; replay one with
//! `tlsim run <scenario> --seed <seed>`, shrink it with `tlsim shrink`.

use std::path::{Path, PathBuf};

use tlsim::output::{Sequenced, Tee};
use tlsim_net::NoTap;
use tlsim_scenario::expect::{EventChecker, check, run_and_check};
use tlsim_scenario::{RunOptions, Scenario, load_file, run_in};

const TCP_SEEDS: u64 = 2_000;
const TLS_SEEDS: u64 = 300;
/// An edge case's own seed and 50 others, as `tlsim sweep --count 50` after
/// `tlsim check`.
const EDGE_SEEDS: u64 = 51;
/// The edge cases shipped: the catalogue may grow, never shrink unnoticed.
const EDGE_CASES: usize = 119;

/// The scenario files of `folder`, sorted.
fn scenario_files(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{folder}: {e}"))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

/// The shipped scenarios, sorted, whose file name does (or does not) start with `tcp-`.
fn scenarios(tcp: bool) -> Vec<PathBuf> {
    let mut files = scenario_files("scenarios");
    files.retain(|p| {
        let name = p.file_name().expect("file name").to_string_lossy();
        name.starts_with("tcp-") == tcp
    });
    files
}

/// The first failure of each failing seed in `count` seeds from the scenario's own.
fn sweep(path: &Path, count: u64) -> Vec<String> {
    let scenario = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let base = path.parent().expect("scenario folder");
    let mut failed = Vec::new();
    for seed in scenario.seed..scenario.seed + count {
        let (_, failures) = run_and_check(&scenario, base, seed, RunOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(first) = failures.first() {
            failed.push(format!("{} seed {seed}: {first}", path.display()));
        }
    }
    failed
}

fn sweep_all(files: &[PathBuf], count: u64) {
    assert!(!files.is_empty(), "no scenario to sweep");
    let failed: Vec<String> = files.iter().flat_map(|f| sweep(f, count)).collect();
    assert!(failed.is_empty(), "failing seeds:\n{}", failed.join("\n"));
}

#[test]
fn every_tcp_scenario_passes_2000_seeds() {
    sweep_all(&scenarios(true), TCP_SEEDS);
}

#[test]
fn every_tls_scenario_passes_300_seeds() {
    sweep_all(&scenarios(false), TLS_SEEDS);
}

#[test]
fn every_edge_case_passes_its_seed_and_50_more() {
    let files = scenario_files("scenarios/edge");
    assert!(
        files.len() >= EDGE_CASES,
        "scenarios/edge has {} files, fewer than the {EDGE_CASES} shipped",
        files.len()
    );
    for file in &files {
        let scenario = load_file(file).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            scenario.description.contains("RFC "),
            "{}: the description names no RFC rule",
            file.display()
        );
    }
    sweep_all(&files, EDGE_SEEDS);
}

/// What a run of `scenario` under `seed` did, checked, with every event
/// built and dissected whether or not the expectations want them.
fn traced_run(scenario: &Scenario, base: &Path, seed: u64) -> String {
    let mut tracer = Sequenced::new(Tee(EventChecker::new(&scenario.expect), Vec::new()));
    let outcome = run_in(
        scenario,
        base,
        seed,
        RunOptions::default(),
        &mut tracer,
        &mut NoTap,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let Tee(events, log) = tracer.into_inner();
    assert!(!log.is_empty(), "the run was traced");
    format!(
        "{outcome:?}\n{:?}",
        check(&scenario.expect, &outcome, &events)
    )
}

#[test]
fn a_run_untraced_ends_and_is_judged_as_a_traced_one() {
    let mut files = scenario_files("scenarios");
    files.extend(scenario_files("scenarios/edge"));
    for file in &files {
        let scenario = load_file(file).unwrap_or_else(|e| panic!("{e}"));
        let base = file.parent().expect("scenario folder");
        for seed in [scenario.seed, scenario.seed + 1] {
            let (outcome, failures) = run_and_check(&scenario, base, seed, RunOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                format!("{outcome:?}\n{failures:?}"),
                traced_run(&scenario, base, seed),
                "{} seed {seed}",
                file.display()
            );
        }
    }
}

/// `tlsim ARGS`, run from the repository root.
fn tlsim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("tlsim runs")
}

const GRID: [&str; 8] = [
    "sweep",
    "scenarios/tls12-ecdsa.ron",
    "--count",
    "5",
    "--vary",
    "links[0].conditions.loss=0,0.2",
    "--vary",
    "links[0].conditions.latency=5ms,20ms",
];

#[test]
fn a_grid_counts_retransmissions_and_bytes_on_the_wire_at_each_point() {
    let out = tlsim(&[&GRID[..], &["--format", "csv"]].concat());
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let column = |name: &str| {
        (rows[0].iter().position(|c| *c == name)).unwrap_or_else(|| panic!("no {name}: {csv}"))
    };
    let (retx_p50, retx_max, wire) = (
        column("retransmissions_p50"),
        column("retransmissions_max"),
        column("wire_bytes_p50"),
    );
    let number = |row: usize, col: usize| rows[row][col].parse::<u64>().unwrap();
    for row in 1..=2 {
        // Without loss nothing is sent twice.
        assert_eq!(
            (number(row, retx_p50), number(row, retx_max)),
            (0, 0),
            "{csv}"
        );
    }
    for row in 3..=4 {
        // Losing a fifth of the packets makes some run retransmit, and costs bytes.
        assert!(number(row, retx_max) > 0, "{csv}");
        assert!(number(row, wire) >= number(row - 2, wire), "{csv}");
    }
    // A handshake with a certificate chain takes more than a few packets.
    assert!(number(1, wire) > 1000, "{csv}");

    // Each seed's line carries its own counts, and the table shows them.
    let out = tlsim(&[&GRID[..], &["--format", "jsonl"]].concat());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 20);
    assert!(lines.iter().all(|l| l["wire_bytes"].as_u64() > Some(1000)));
    let max_retx = (lines[10..].iter())
        .map(|l| l["retransmissions"].as_u64().unwrap())
        .max();
    assert_eq!(max_retx, Some(number(3, retx_max).max(number(4, retx_max))));
    let table = String::from_utf8(tlsim(&GRID).stdout).unwrap();
    assert!(
        table.contains("retx p50") && table.contains("wire B p50"),
        "{table}"
    );
}

#[test]
fn a_sharded_grid_merges_into_exactly_the_whole_grid() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sharded_grid");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Three shards of twenty runs: not a multiple of the points or the seeds.
    let mut shards = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = tlsim(&[&GRID[..], &["--shard", &shard, "--format", "jsonl"]].concat());
        assert!(out.status.code().is_some_and(|c| c <= 1));
        let path = dir.join(format!("shard-{k}.jsonl"));
        std::fs::write(&path, &out.stdout).unwrap();
        shards.push(path.to_str().unwrap().to_string());
    }
    for format in ["text", "csv", "jsonl"] {
        let whole = tlsim(&[&GRID[..], &["--format", format]].concat());
        let mut merge = vec!["sweep", "--format", format, "--merge"];
        merge.extend(shards.iter().rev().map(String::as_str));
        let merged = tlsim(&merge);
        assert_eq!(merged.status, whole.status, "--format {format}");
        assert_eq!(
            String::from_utf8_lossy(&merged.stdout),
            String::from_utf8_lossy(&whole.stdout),
            "--format {format}"
        );
    }
    // Without one shard some point lacks seeds: an error, not a smaller grid.
    let out = tlsim(&["sweep", "--merge", &shards[0], &shards[1]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
}
