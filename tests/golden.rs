//! Golden event logs: every scenario in `scenarios/` has its expected JSON-lines
//! log under `tests/golden/`, and the run must reproduce it byte for byte.
//!
//! A changed log is a reviewed change: run
//! `TLSIM_UPDATE_GOLDEN=1 cargo test --test golden`, read the diff of
//! `tests/golden/`, and commit it only if every change is intended.
//! CI never sets the variable.

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
    let scenario = load_file(path).unwrap_or_else(|e| panic!("{e}"));
    let mut log = Sequenced::new(JsonLines::new(Vec::new()));
    let base = path.parent().expect("scenario folder");
    let outcome = run_in(
        &scenario,
        base,
        seed.unwrap_or(scenario.seed),
        RunOptions::default(),
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

#[test]
fn every_scenario_reproduces_its_golden_log() {
    let update = std::env::var_os("TLSIM_UPDATE_GOLDEN").is_some();
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut mismatched = Vec::new();
    for path in scenarios() {
        let name = path
            .file_stem()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let golden = golden_dir.join(format!("{name}.jsonl"));
        let actual = jsonl_log(&path, None);
        if update {
            std::fs::write(&golden, &actual).expect("write golden log");
            continue;
        }
        let expected = std::fs::read(&golden).unwrap_or_else(|_| {
            panic!(
                "{} has no golden log; create it with TLSIM_UPDATE_GOLDEN=1 and review it",
                path.display()
            )
        });
        if expected != actual {
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
    }
    assert!(
        mismatched.is_empty(),
        "golden logs differ:\n{}",
        mismatched.join("\n")
    );
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    for path in scenarios() {
        let a = jsonl_log(&path, Some(11));
        assert_eq!(
            a,
            jsonl_log(&path, Some(11)),
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
