//! tshark, an oracle nobody here wrote, must dissect every exported pcap
//! with checksum validation on, find no malformed packet and no expert
//! error, and, given the key log, decrypt every TLS record.
//!
//! Skips with a printed reason where tshark is missing, unless
//! `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` (as CI sets), which turns a skip into a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tshark_or_skip() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("TLSIM_REQUIRE_EXTERNAL_TOOLS").is_none_or(|v| v != "1"),
            "tshark is required (TLSIM_REQUIRE_EXTERNAL_TOOLS=1) but was not found: apt-get install tshark"
        );
        eprintln!("skipped: tshark not found (apt-get install tshark)");
    }
    found
}

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

struct Export {
    pcap: PathBuf,
    keys: PathBuf,
}

fn export(scenario: &Path) -> Export {
    let name = scenario.file_stem().unwrap().to_string_lossy().into_owned();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("tshark")
        .join(&name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (pcap, keys) = (dir.join("run.pcap"), dir.join("run.keys"));
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--format",
            "jsonl",
            "--out",
        ])
        .arg(dir.join("run.jsonl"))
        .arg("--pcap")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        scenario.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Export { pcap, keys }
}

/// tshark the strict way: checksums validated, TLS reassembly on, the key log given.
fn tshark(export: &Export, extra: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&export.pcap)
        .args([
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
        ])
        .args([
            "-o",
            "tls.desegment_ssl_records:TRUE",
            "-o",
            "tls.desegment_ssl_application_data:TRUE",
        ])
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", export.keys.display()))
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_export_dissects_without_malformed_packets_or_expert_errors() {
    if !tshark_or_skip() {
        return;
    }
    for scenario in scenarios() {
        let export = export(&scenario);
        let all = tshark(&export, &[]);
        assert!(
            all.lines().count() > 0,
            "{}: tshark read no packet",
            scenario.display()
        );
        // Expert severity "error" is 0x00800000 (epan/proto.h PI_ERROR).
        let bad = tshark(
            &export,
            &["-Y", "_ws.malformed || _ws.expert.severity >= 8388608"],
        );
        assert!(
            bad.trim().is_empty(),
            "{}: tshark reports problems:\n{bad}",
            scenario.display()
        );
    }
}
