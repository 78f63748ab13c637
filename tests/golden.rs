//! Golden event logs: every scenario in `scenarios/` has its expected JSON-lines
//! log under `tests/golden/`, and the run must reproduce it byte for byte.
//!
//! A changed log is a reviewed change: run
//! `TLSIM_UPDATE_GOLDEN=1 cargo test --test golden`, which rewrites the logs
//! that differ, names each, and fails so that the rewrite cannot pass
//! unnoticed; read the diff of `tests/golden/`, and commit it only if every
//! change is intended. Any other value of the variable is refused, and so is
//! an update where `CI` is set: CI checks the logs, it never writes them.

use std::path::{Path, PathBuf};

use tlsim::output::{JsonLines, Sequenced};
use tlsim_net::NoTap;
use tlsim_scenario::{End, RunOptions, load_file, run_in};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

fn jsonl_log(path: &Path, seed: Option<u64>) -> Vec<u8> {
    jsonl_log_with(path, seed, RunOptions::default())
}

fn jsonl_log_with(path: &Path, seed: Option<u64>, opts: RunOptions) -> Vec<u8> {
    let scenario = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let mut log = Sequenced::new(JsonLines::new(Vec::new()));
    let base = path.parent().expect("scenario folder");
    let outcome = run_in(
        &scenario,
        base,
        seed.unwrap_or(scenario.seed),
        opts,
        &mut log,
        &mut NoTap,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        outcome.end,
        End::Quiescent,
        "{} must finish within its limits",
        path.display()
    );
    log.into_inner()
        .finish()
        .expect("writing to memory cannot fail")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Whether this run rewrites the golden logs: only `TLSIM_UPDATE_GOLDEN=1`
/// does, and never under CI.
fn update_requested() -> bool {
    let Some(value) = std::env::var_os("TLSIM_UPDATE_GOLDEN") else {
        return false;
    };
    assert!(
        value == "1",
        "TLSIM_UPDATE_GOLDEN={value:?} is not understood: set it to 1 to rewrite the golden logs, or unset it"
    );
    assert!(
        std::env::var_os("CI").is_none(),
        "TLSIM_UPDATE_GOLDEN=1 is refused where CI is set: golden logs are rewritten by hand and reviewed"
    );
    true
}

#[test]
fn every_scenario_reproduces_its_golden_log() {
    let update = update_requested();
    let mut mismatched = Vec::new();
    let mut rewritten = Vec::new();
    for path in scenarios() {
        let name = path
            .file_stem()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let golden = golden_dir().join(format!("{name}.jsonl"));
        let actual = jsonl_log(&path, None);
        let expected = std::fs::read(&golden).ok();
        if expected.as_deref() == Some(actual.as_slice()) {
            continue;
        }
        if update {
            std::fs::write(&golden, &actual).expect("write golden log");
            eprintln!("rewrote {}", golden.display());
            rewritten.push(golden.display().to_string());
            continue;
        }
        let Some(expected) = expected else {
            mismatched.push(format!(
                "{} has no golden log; create it with TLSIM_UPDATE_GOLDEN=1 and review it",
                path.display()
            ));
            continue;
        };
        let first_diff = expected
            .split(|b| *b == b'\n')
            .zip(actual.split(|b| *b == b'\n'))
            .position(|(a, b)| a != b)
            .map_or_else(
                || "a different length".to_string(),
                |line| format!("line {}", line + 1),
            );
        mismatched.push(format!(
            "{name}: differs from {} at {first_diff}",
            golden.display()
        ));
    }
    assert!(
        rewritten.is_empty(),
        "rewrote {} golden logs; review `git diff tests/golden`, then run again without TLSIM_UPDATE_GOLDEN:\n{}",
        rewritten.len(),
        rewritten.join("\n")
    );
    assert!(
        mismatched.is_empty(),
        "golden logs differ:\n{}",
        mismatched.join("\n")
    );
}

#[test]
fn every_golden_log_has_its_scenario() {
    let scenario_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut orphans: Vec<String> = std::fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|golden| {
            let scenario = golden
                .file_stem()
                .map(|stem| scenario_dir.join(format!("{}.ron", stem.to_string_lossy())));
            golden.extension().is_none_or(|e| e != "jsonl") || scenario.is_none_or(|s| !s.is_file())
        })
        .map(|golden| golden.display().to_string())
        .collect();
    orphans.sort();
    assert!(
        orphans.is_empty(),
        "golden files without a scenario in scenarios/ (remove them, or restore the scenario):\n{}",
        orphans.join("\n")
    );
}

/// The second run has its handshakes rehearsed on two other threads,
/// which must change nothing.
#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let rehearsed = RunOptions {
        crypto_threads: 2,
        ..RunOptions::default()
    };
    for path in scenarios() {
        let a = jsonl_log(&path, Some(11));
        assert_eq!(
            a,
            jsonl_log_with(&path, Some(11), rehearsed),
            "{} is not deterministic",
            path.display()
        );
        assert_ne!(
            a,
            jsonl_log(&path, Some(12)),
            "{}: the seed changes nothing",
            path.display()
        );
    }
}
