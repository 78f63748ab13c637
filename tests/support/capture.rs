//! Running a scenario into a pcap and a key log, for the replay tests.

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
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("replay")
        .join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("replay.ron");
    std::fs::write(&scenario, text).unwrap();
    let (pcap, keys) = (dir.join("replay.pcap"), dir.join("replay.keys"));
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.join("replay.txt"))
        .arg("--pcap")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Replayed { pcap, keys }
}
