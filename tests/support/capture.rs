//! Running a scenario into an event log, a pcap and a key log, for the
//! replay and tshark tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files a scenario run wrote.
pub(crate) struct Replayed {
    pub(crate) pcap: PathBuf,
    pub(crate) keys: PathBuf,
}

/// Runs scenario `text` into a folder of its own per test (`test`), since
/// tests run in parallel.
pub(crate) fn replay(test: &str, text: &str) -> Replayed {
    let scenario = scenario_file(test, text);
    run_into(&scenario, scenario.parent().unwrap())
}

/// Writes scenario `text` into the folder of test `test`, and names it.
pub(crate) fn scenario_file(test: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("replay")
        .join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("replay.ron");
    std::fs::write(&scenario, text).unwrap();
    scenario
}

/// Runs the scenario file `scenario` with every export on: its event log
/// as JSON lines (`run.jsonl`), capture (`run.pcap`) and key log
/// (`run.keys`), written into `dir`.
pub(crate) fn run_into(scenario: &Path, dir: &Path) -> Replayed {
    let (pcap, keys) = (dir.join("run.pcap"), dir.join("run.keys"));
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .arg("run")
        .arg(scenario)
        .args(["--format", "jsonl", "--out"])
        .arg(dir.join("run.jsonl"))
        .arg("--pcap")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}{}",
        scenario.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Replayed { pcap, keys }
}
