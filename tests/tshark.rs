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

/// Runs `scenario` with every export on, into a folder of its own per test
/// (`test`), since tests run in parallel.
fn export(scenario: &Path, test: &str) -> Export {
    let name = scenario.file_stem().unwrap().to_string_lossy().into_owned();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("tshark")
        .join(test)
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
        let export = export(&scenario, "dissect");
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

/// How many records our own log says were decrypted by their receivers.
fn decrypted_records_in_log(export: &Export) -> usize {
    let log = std::fs::read_to_string(export.pcap.with_file_name("run.jsonl")).unwrap();
    log.lines()
        .map(|line| serde_json::from_str::<tlsim_sim::Event>(line).unwrap())
        .filter(|e| e.layer == tlsim_sim::Layer::Tls && e.kind == tlsim_sim::Kind::Recv)
        .map(|e| e.fields.iter().filter(|f| f.name == "Decrypted").count())
        .sum()
}

#[test]
fn tshark_decrypts_every_protected_record_with_the_key_log() {
    if !tshark_or_skip() {
        return;
    }
    let mut tls_scenarios = 0;
    for scenario in scenarios() {
        let export = export(&scenario, "decrypt");
        let expected = decrypted_records_in_log(&export);
        if expected == 0 {
            continue;
        }
        tls_scenarios += 1;
        let keys = std::fs::read_to_string(&export.keys).unwrap();
        assert!(
            keys.lines()
                .all(|l| l.starts_with("CLIENT_RANDOM ") && l.len() == 14 + 64 + 1 + 96),
            "{keys}"
        );
        let debug = export.pcap.with_file_name("tls-debug.txt");
        tshark(
            &export,
            &["-o", &format!("tls.debug_file:{}", debug.display())],
        );
        let debug = std::fs::read_to_string(&debug).unwrap();
        // Wireshark's TLS debug log: "mac ok" after a CBC record's MAC
        // check, "auth_tag(OK)" after a GCM record's tag check.
        let decrypted = debug.matches("ssl_decrypt_record: mac ok").count()
            + debug.matches("auth_tag(OK)").count();
        let failed =
            debug.matches("mac failed").count() + debug.matches("auth tag mismatch").count();
        assert_eq!(
            failed,
            0,
            "{}: tshark failed to decrypt {failed} records",
            scenario.display()
        );
        assert_eq!(
            decrypted,
            expected,
            "{}: tshark decrypted {decrypted} records, the run protected {expected}",
            scenario.display()
        );
    }
    assert!(tls_scenarios > 0, "no scenario exercised TLS decryption");
}
