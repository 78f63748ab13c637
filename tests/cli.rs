//! The command line as a user meets it: exit statuses, error messages, and
//! outputs that appear whole or not at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tlsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("tlsim runs")
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_passes_on_every_shipped_scenario() {
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
    {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let out = tlsim(&["check", path.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "{}: {}{}",
                path.display(),
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            );
        }
    }
}

#[test]
fn run_writes_the_text_ladder_to_stdout() {
    let out = tlsim(&["run", "scenarios/tcp-basic.ron"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("client") && l.contains("TCP SYN") && l.contains("Seq=0")),
        "{text}"
    );
}

#[test]
fn bad_scenario_reports_file_line_column_and_writes_nothing() {
    let dir = scratch_dir("bad_scenario");
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tcp-basic.ron"),
    )
    .unwrap();
    let bad = dir.join("bad.ron");
    std::fs::write(
        &bad,
        source.replace("latency: \"10ms\"", "latency: \"-10ms\""),
    )
    .unwrap();
    let log = dir.join("log.txt");
    let out = tlsim(&["run", bad.to_str().unwrap(), "--out", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let line = source
        .lines()
        .position(|l| l.contains("latency: \"10ms\""))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("bad.ron:{line}:")), "{err}");
    assert!(err.contains("expected a number and a unit"), "{err}");
    assert!(
        std::fs::read_dir(&dir)
            .unwrap()
            .all(|e| e.unwrap().path() == bad),
        "no output may be left behind"
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = tlsim(&["check", "scenarios/no-such-file.ron"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no-such-file.ron: cannot read the scenario"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_reports_each_failed_expectation() {
    let dir = scratch_dir("failed_expectation");
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tcp-basic.ron"),
    )
    .unwrap();
    let changed = dir.join("changed.ron");
    std::fs::write(
        &changed,
        source.replace("to: \"server\", bytes: 10240", "to: \"server\", bytes: 999"),
    )
    .unwrap();
    let out = tlsim(&["check", changed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("bytes delivered to server on c1: expected 999, found 10240"),
        "{text}"
    );
}

#[test]
fn a_run_that_hits_its_limit_says_so_in_log_and_status() {
    let dir = scratch_dir("limit");
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tcp-basic.ron"),
    )
    .unwrap();
    let limited = dir.join("limited.ron");
    std::fs::write(
        &limited,
        source.replace("max_time: \"5min\"", "max_time: \"15ms\""),
    )
    .unwrap();
    let out = tlsim(&["run", limited.to_str().unwrap(), "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(3));
    let last = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(last.contains("Run stopped: max_time reached"), "{last}");
    let err = stderr(&out);
    assert!(
        err.starts_with("error: ") && err.contains("reached max_time (15ms)"),
        "{err}"
    );

    // `check` too: the expectations of a run that never ended say nothing.
    let out = tlsim(&["check", limited.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.starts_with("LIMIT ") && report.contains("reached max_time (15ms)"),
        "{report}"
    );
    let out = tlsim(&["sweep", limited.to_str().unwrap(), "--count", "2"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn sweep_refuses_no_seeds_and_seeds_past_the_largest() {
    for args in [
        ["--count", "0", "--from", "1"],
        ["--count", "2", "--from", "18446744073709551615"],
        ["--count", "-1", "--from", "1"],
        ["--count", "1", "--from", "18446744073709551616"],
    ] {
        let mut all = vec!["sweep", "scenarios/tcp-basic.ron"];
        all.extend(args);
        let out = tlsim(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("error: "),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing was checked");
    }
    let out = tlsim(&[
        "sweep",
        "scenarios/tcp-basic.ron",
        "--count",
        "1",
        "--from",
        "18446744073709551615",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("all 1 seeds from 18446744073709551615"));
}

#[test]
fn shrink_refuses_zero_runs_and_run_refuses_a_bad_seed() {
    let out = tlsim(&[
        "shrink",
        "scenarios/tcp-basic.ron",
        "--out",
        "min.ron",
        "--max-runs",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--max-runs"), "{}", stderr(&out));
    for seed in ["-1", "18446744073709551616", "0x10", "seven"] {
        let out = tlsim(&["run", "scenarios/tcp-basic.ron", "--seed", seed]);
        assert_eq!(out.status.code(), Some(2), "--seed {seed}");
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    }
}

#[test]
fn run_writes_a_pcap_that_starts_with_the_pcap_magic() {
    let dir = scratch_dir("pcap");
    let pcap = dir.join("out.pcap");
    let out = tlsim(&[
        "run",
        "scenarios/tcp-basic.ron",
        "--format",
        "jsonl",
        "--out",
        dir.join("log.jsonl").to_str().unwrap(),
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = std::fs::read(&pcap).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian microsecond pcap magic"
    );
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
        101,
        "LINKTYPE_RAW"
    );
}

#[test]
fn a_dash_writes_an_output_to_standard_output() {
    let dir = scratch_dir("dash");
    let (log, keys) = (dir.join("log.txt"), dir.join("run.keys"));
    let (log, keys) = (log.to_str().unwrap(), keys.to_str().unwrap());
    let scenario = "scenarios/tls12-ecdsa.ron";
    let pcap = tlsim(&[
        "run", scenario, "--out", log, "--pcap", "-", "--keylog", keys,
    ]);
    assert!(pcap.status.success(), "{}", stderr(&pcap));
    assert_eq!(&pcap.stdout[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "the pcap");
    let written = std::fs::read_to_string(log).unwrap();
    assert!(written.contains("TLS Client Hello"), "{written}");

    let keylog = tlsim(&["run", scenario, "--out", log, "--keylog", "-"]);
    assert!(keylog.status.success(), "{}", stderr(&keylog));
    assert_eq!(
        String::from_utf8(keylog.stdout).unwrap(),
        std::fs::read_to_string(keys).unwrap()
    );

    let plain = tlsim(&["run", scenario]);
    let dash = tlsim(&["run", scenario, "--out", "-"]);
    assert!(dash.status.success(), "{}", stderr(&dash));
    assert_eq!(dash.stdout, plain.stdout);
}

#[test]
fn two_outputs_on_standard_output_are_refused_before_the_run() {
    let dir = scratch_dir("two_dashes");
    let keys = dir.join("run.keys");
    for args in [
        vec!["--pcap", "-"],
        vec!["--out", "-", "--keylog", "-"],
        vec![
            "--out",
            keys.to_str().unwrap(),
            "--pcap",
            "-",
            "--keylog",
            "-",
        ],
    ] {
        let mut all = vec!["run", "scenarios/tcp-basic.ron"];
        all.extend(&args);
        let out = tlsim(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing is written");
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ") && err.contains("would both write to standard output"),
            "{err}"
        );
    }
    assert!(!keys.exists());
}

#[test]
fn mermaid_draws_one_connection_and_layer_when_asked() {
    let scenario = "scenarios/google-spdy-resume.ron";
    let record = tlsim(&["run", scenario, "--format", "jsonl"]);
    let wanted: Vec<String> = String::from_utf8(record.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| (e["conn"] == 2 && e["layer"] == "tls") || e["layer"] == "sim")
        .filter(|e| e["kind"] != "recv")
        .map(|e| format!("#35;{} · ", e["seq"]))
        .collect();
    let out = tlsim(&[
        "run",
        scenario,
        "--format",
        "mermaid",
        "--connection",
        "second",
        "--layer",
        "tls",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let diagram = String::from_utf8(out.stdout).unwrap();
    let drawn: Vec<String> = (diagram.lines())
        .filter_map(|l| {
            Some(
                l[l.find("#35;")?..]
                    .split_inclusive(" · ")
                    .next()?
                    .to_string(),
            )
        })
        .collect();
    assert!(wanted.len() > 10, "{wanted:?}");
    assert_eq!(drawn, wanted);

    let unknown = tlsim(&[
        "run",
        scenario,
        "--format",
        "mermaid",
        "--connection",
        "third",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("expected one of first, second"),
        "{}",
        stderr(&unknown)
    );
    let text = tlsim(&["run", scenario, "--layer", "tls"]);
    assert_eq!(text.status.code(), Some(2));
    assert!(
        stderr(&text).contains("--format mermaid or html"),
        "{}",
        stderr(&text)
    );
}

#[test]
fn a_mermaid_diagram_past_mermaids_limit_comes_with_a_warning() {
    let big = std::fs::read_to_string("scenarios/tcp-basic.ron")
        .unwrap()
        .replace("Pattern(10240)", "Pattern(300000)");
    let dir = scratch_dir("mermaid_limit");
    let file = dir.join("big.ron");
    std::fs::write(&file, big).unwrap();
    let file = file.to_str().unwrap();
    let out = tlsim(&["run", file, "--format", "mermaid"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let length = String::from_utf8_lossy(&out.stdout).chars().count();
    assert!(length > 50_000, "{length}");
    assert_eq!(
        stderr(&out),
        format!(
            "warning: the Mermaid diagram is {length} characters, more than the 50000 Mermaid \
             renders by default (maxTextSize): draw less with --connection NAME (one of: c1) \
             or --layer tls, or use --format html\n"
        )
    );
    let small = tlsim(&["run", file, "--format", "mermaid", "--layer", "link"]);
    assert!(small.status.success(), "{}", stderr(&small));
    assert!(stderr(&small).is_empty(), "{}", stderr(&small));
}

/// The `ron` block of README.md that starts with `start`.
fn readme_block(start: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let open = format!("```ron\n{start}");
    let from = readme.find(&open).expect("README has the block") + "```ron\n".len();
    readme[from..from + readme[from..].find("```").unwrap()].to_owned()
}

/// Writes `scenario` to a scratch file and runs `tlsim check` on it.
fn check_passes(scenario: &str, test: &str) {
    let dir = scratch_dir(test);
    let file = dir.join("example.ron");
    std::fs::write(&file, scenario).unwrap();
    let out = tlsim(&["check", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

#[test]
fn the_readme_example_scenario_passes_its_own_checks() {
    check_passes(&readme_block("Scenario("), "readme_example");
}

#[test]
fn the_readme_pki_and_tls_example_runs_between_two_hosts() {
    let fragment = readme_block("    pki: (");
    let scenario = format!(
        r#"Scenario(
    name: "readme-tls",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "10ms"))],
{fragment}
    expect: (events: [(title: "Verify the certificate chain", actor: "client", fields: {{"Result": "trusted"}})]),
)"#
    );
    check_passes(&scenario, "readme_tls_example");
}

#[test]
fn a_tls_scenario_needs_only_names_keys_and_trust() {
    check_passes(
        r#"Scenario(
    name: "minimal-tls",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "10ms"))],
    pki: (
        keys: [Key(name: "ca", kind: P256), Key(name: "leaf", kind: P256)],
        certificates: [
            Cert(name: "ca", subject: (cn: "CA"), key: "ca", ca: true,
                 not_before: "2025-01-01", not_after: "2030-01-01"),
            Cert(name: "leaf", subject: (cn: "server.test"), key: "leaf", issuer: "ca",
                 dns_names: ["server.test"], not_before: "2025-01-01", not_after: "2030-01-01"),
        ],
    ),
    tls: (
        clients: [TlsClient(name: "c", server_name: "server.test", trust: ["ca"])],
        servers: [TlsServer(name: "s", chain: ["leaf"], key: "leaf")],
    ),
    listen: [Listen(host: "server", port: 443, tls: "s")],
    timeline: [At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "c"))],
    expect: (events: [(title: "TLS handshake complete", actor: "client",
                       fields: {"Cipher Suite": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (0xc02b)"})]),
)"#,
        "minimal_tls",
    );
}

#[test]
fn the_readme_shows_the_current_ladder_of_the_documented_session() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let out = tlsim(&["run", "scenarios/google-spdy.ron"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ladder = String::from_utf8(out.stdout).unwrap();
    assert!(
        readme.contains(ladder.trim_end()),
        "README.md shows an outdated ladder: paste the output of `tlsim run scenarios/google-spdy.ron`"
    );
}

#[test]
fn out_to_a_device_writes_to_it_and_leaves_it_a_device() {
    let null = Path::new("/dev/null");
    if !null.exists() {
        return;
    }
    let out = tlsim(&["run", "scenarios/tcp-basic.ron", "--out", "/dev/null"]);
    assert!(out.status.success(), "{}", stderr(&out));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata(null)
            .unwrap()
            .file_type()
            .is_char_device(),
        "/dev/null must stay a device"
    );
}

#[test]
fn shrink_writes_a_smaller_scenario_that_fails_the_same_way() {
    // tls12-tamper, with a link that jitters and loses, and an expectation
    // the tampering breaks: the response never reaches the client.
    let noisy = std::fs::read_to_string("scenarios/tls12-tamper.ron")
        .unwrap()
        .replace(
            r#"conditions: (latency: "5ms", bandwidth: "100Mbit/s")"#,
            r#"conditions: (latency: "5ms", bandwidth: "100Mbit/s", jitter: "1ms", loss: 0.02)"#,
        )
        .replace(
            r#"delivered: [(conn: "c1", to: "server", bytes: 37)],"#,
            r#"delivered: [(conn: "c1", to: "server", bytes: 37), (conn: "c1", to: "client", bytes: 43)],"#,
        );
    let dir = scratch_dir("shrink");
    let (file, min) = (dir.join("noisy.ron"), dir.join("min.ron"));
    std::fs::write(&file, noisy).unwrap();
    let failure = "bytes delivered to client on c1: expected 43, found 0";
    let before = tlsim(&["check", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&before.stdout).contains(failure));

    let out = tlsim(&[
        "shrink",
        file.to_str().unwrap(),
        "--out",
        min.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The summary lists each thing cut; the file leaves out defaults (the
    // randomness, now off, among them), keeps "0ms" as written, and ends
    // with a newline.
    let summary = String::from_utf8_lossy(&out.stdout);
    for cut in [
        "  cut the loss of link client->server\n",
        "  cut the jitter of link client->server\n",
    ] {
        assert!(summary.contains(cut), "{summary}");
    }
    let text = std::fs::read_to_string(&min).unwrap();
    assert!(
        text.contains("Tamper(") && text.contains(r#"At("0ms", "#),
        "{text}"
    );
    for default in ["loss", "jitter", "tcp:", "limits:", "npn:", "pins:"] {
        assert!(!text.contains(default), "{default}: {text}");
    }
    assert!(text.ends_with(")\n"), "{text}");
    let after = tlsim(&["check", min.to_str().unwrap()]);
    assert_eq!(after.status.code(), Some(1));
    let report = String::from_utf8_lossy(&after.stdout);
    assert_eq!(
        report
            .lines()
            .filter(|l| l.starts_with("  - "))
            .collect::<Vec<_>>(),
        [format!("  - {failure}")],
        "{report}"
    );
}

#[test]
fn shrink_names_key_files_from_where_it_writes() {
    // google-spdy, in a folder of its own with its keys, with an expectation
    // it cannot meet; a few runs suffice.
    let failing = std::fs::read_to_string("scenarios/google-spdy.ron")
        .unwrap()
        .replacen(r#"state: "CLOSED""#, r#"state: "LISTEN""#, 1);
    let dir = scratch_dir("shrink_keys");
    let (src, dst) = (dir.join("src"), dir.join("out"));
    std::fs::create_dir_all(src.join("keys")).unwrap();
    std::fs::create_dir_all(&dst).unwrap();
    for key in std::fs::read_dir("scenarios/keys").unwrap() {
        let key = key.unwrap().path();
        std::fs::copy(&key, src.join("keys").join(key.file_name().unwrap())).unwrap();
    }
    let (file, min) = (src.join("spdy.ron"), dst.join("min.ron"));
    std::fs::write(&file, failing).unwrap();
    let (file, min) = (file.to_str().unwrap(), min.to_str().unwrap());
    let out = tlsim(&["shrink", file, "--out", min, "--max-runs", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(min)
            .unwrap()
            .contains("../src/keys/")
    );
    // The result, elsewhere, still finds the keys: it runs and fails (1), not 2.
    let after = tlsim(&["check", min]);
    assert_eq!(after.status.code(), Some(1), "{}", stderr(&after));
}

#[test]
fn shrink_refuses_a_scenario_that_passes() {
    let dir = scratch_dir("shrink_passing");
    let min = dir.join("min.ron");
    let out = tlsim(&[
        "shrink",
        "scenarios/tcp-basic.ron",
        "--out",
        min.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nothing to shrink"),
        "{}",
        stderr(&out)
    );
    assert!(!min.exists());
}

#[test]
fn sweep_lists_the_seeds_a_scenario_fails_with() {
    let flaky = FLAKY;
    let dir = scratch_dir("sweep");
    let file = dir.join("flaky.ron");
    std::fs::write(&file, flaky).unwrap();
    let file = file.to_str().unwrap();
    let out = tlsim(&["sweep", file, "--from", "0", "--count", "10"]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    let failing: Vec<&str> = (report.lines())
        .filter_map(|l| l.strip_prefix("seed ")?.split(':').next())
        .collect();
    assert!(!failing.is_empty() && failing.len() < 10, "{report}");
    // Each seed it names fails `check` on its own, and the others pass.
    for seed in 0..10 {
        let seed = seed.to_string();
        let check = tlsim(&["check", file, "--seed", &seed]);
        let expected = if failing.contains(&seed.as_str()) {
            1
        } else {
            0
        };
        assert_eq!(check.status.code(), Some(expected), "seed {seed}");
    }
    assert!(
        report.contains(&format!("--seed {} --out min.ron", failing[0])),
        "{report}"
    );
}

#[test]
fn the_readme_edge_case_passes_and_its_wrong_alert_fails_at_its_step() {
    let probe = readme_block("// Edge case (tlsim's server): finished-one-bit-flipped.");
    assert_eq!(
        probe,
        std::fs::read_to_string("scenarios/edge/finished-one-bit-flipped.ron").unwrap(),
        "README.md shows another probe than scenarios/edge/finished-one-bit-flipped.ron"
    );
    check_passes(&probe, "readme_edge_case");

    let dir = scratch_dir("readme_edge_case_wrong");
    let (wrong, min) = (dir.join("wrong.ron"), dir.join("min.ron"));
    std::fs::write(
        &wrong,
        probe.replace(r#""decrypt_error""#, r#""bad_record_mac""#),
    )
    .unwrap();
    let failure = "  - conversation of client on c1, step 8: expected a fatal bad_record_mac alert; \
                   observed a fatal decrypt_error alert";
    let out = tlsim(&["check", wrong.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(failure),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let shrunk = tlsim(&[
        "shrink",
        wrong.to_str().unwrap(),
        "--out",
        min.to_str().unwrap(),
    ]);
    assert!(shrunk.status.success(), "{}", stderr(&shrunk));
    let after = tlsim(&["check", min.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&after.stdout).contains(failure));
}

/// A scenario that holds only for seeds where some segment from a is lost.
const FLAKY: &str = r#"Scenario(
    name: "flaky",
    hosts: [Host(name: "a", addr: "10.0.0.1"), Host(name: "b", addr: "10.0.0.2")],
    links: [Link(between: ("a", "b"), conditions: (latency: "5ms", loss: 0.1))],
    listen: [Listen(host: "b", port: 80)],
    timeline: [
        At("0ms", Connect(conn: "c", from: "a", to: "b", port: 80)),
        At("0ms", Send(conn: "c", from: "a", data: Pattern(3000))),
        At("1s", Close(conn: "c", from: "a")),
    ],
    expect: (events: [(title: "TCP Retransmission", actor: "a")]),
)"#;

#[test]
fn sweep_prints_the_same_bytes_on_any_number_of_threads() {
    let dir = scratch_dir("sweep_jobs");
    let file = dir.join("flaky.ron");
    std::fs::write(&file, FLAKY).unwrap();
    let file = file.to_str().unwrap();
    for format in ["text", "jsonl"] {
        let sweep = |jobs: &str| {
            let args = [
                "sweep", file, "--from", "0", "--count", "24", "--jobs", jobs,
            ];
            tlsim(&[&args[..], &["--format", format]].concat())
        };
        let one = sweep("1");
        assert_eq!(one.status.code(), Some(1), "{}", stderr(&one));
        assert!(one.stderr.is_empty(), "no progress bar off a terminal");
        for jobs in ["2", "5"] {
            let many = sweep(jobs);
            assert_eq!(many.status, one.status);
            assert_eq!(
                String::from_utf8_lossy(&many.stdout),
                String::from_utf8_lossy(&one.stdout),
                "--jobs {jobs} --format {format}"
            );
        }
    }
}

/// Eight TLS connections, TLS 1.2 and 1.3 in turn, over a lossy link to a
/// server that resumes nothing: every handshake can be rehearsed.
const REHEARSED: &str = r#"Scenario(
    name: "rehearsed",
    seed: 3,
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "5ms", loss: 0.02))],
    pki: (
        epoch: "2026-01-01T00:00:00Z",
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: P256)],
        certificates: [
            Cert(name: "root", subject: (cn: "Root"), key: "root", ca: true,
                 not_before: "2025-01-01T00:00:00Z", not_after: "2035-01-01T00:00:00Z"),
            Cert(name: "server", subject: (cn: "server.test"), key: "leaf", issuer: "root",
                 dns_names: ["server.test"],
                 not_before: "2025-06-01T00:00:00Z", not_after: "2027-06-01T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [
            TlsClient(name: "tls12", max_version: "TLS 1.2", groups: ["secp256r1"],
                      server_name: "server.test", trust: ["root"]),
            TlsClient(name: "tls13", max_version: "TLS 1.3", groups: ["x25519"],
                      server_name: "server.test", trust: ["root"]),
        ],
        servers: [
            TlsServer(name: "server", max_version: "TLS 1.3", groups: ["secp256r1", "x25519"],
                      chain: ["server"], key: "leaf",
                      session_cache: false),
        ],
    ),
    listen: [Listen(host: "server", port: 443, tls: "server")],
    timeline: [
TIMELINE
    ],
)"#;

#[test]
fn run_writes_the_same_bytes_whether_or_not_threads_rehearse_its_handshakes() {
    let dir = scratch_dir("run_jobs");
    let file = dir.join("rehearsed.ron");
    let timeline: String = (0..8)
        .map(|i| {
            let (at, tls) = (3 * i, ["tls12", "tls13"][i % 2]);
            format!(
                "At(\"{at}ms\", Connect(conn: \"c{i}\", from: \"client\", to: \"server\", port: 443, tls: \"{tls}\")),\n\
                 At(\"{at}ms\", Send(conn: \"c{i}\", from: \"client\", data: Pattern(3000))),\n"
            )
        })
        .collect();
    std::fs::write(&file, REHEARSED.replace("TIMELINE", &timeline)).unwrap();
    let outputs = |jobs: &str| {
        let [log, pcap, keys] =
            ["jsonl", "pcap", "keys"].map(|ext| dir.join(format!("{jobs}.{ext}")));
        let out = tlsim(&[
            "run",
            file.to_str().unwrap(),
            "--format",
            "jsonl",
            "--out",
            log.to_str().unwrap(),
            "--pcap",
            pcap.to_str().unwrap(),
            "--keylog",
            keys.to_str().unwrap(),
            "--jobs",
            jobs,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        [log, pcap, keys].map(|path| std::fs::read(path).unwrap())
    };
    let one = outputs("1");
    let keys = String::from_utf8_lossy(&one[2]);
    assert_eq!(
        keys.matches("CLIENT_RANDOM").count(),
        4,
        "four TLS 1.2 sessions"
    );
    assert_eq!(
        keys.matches("CLIENT_TRAFFIC_SECRET_0").count(),
        4,
        "four TLS 1.3 sessions"
    );
    for jobs in ["2", "3"] {
        assert!(outputs(jobs) == one, "--jobs {jobs} changed an output");
    }
    let none = tlsim(&["run", file.to_str().unwrap(), "--jobs", "0"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("at least 1"), "{}", stderr(&none));
}

#[test]
fn sweep_jsonl_gives_each_seed_its_verdict_first_failure_and_times() {
    let out = tlsim(&[
        "sweep",
        "scenarios/tls12-ecdsa.ron",
        "--count",
        "3",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["seed"], lines[0]["seed"].as_u64().unwrap() + i as u64);
        assert_eq!(line["verdict"], "pass");
        assert!(line["first_failure"].is_null());
        assert!(line["steps"].as_u64().unwrap() > 0);
        let handshake = &line["handshakes"][0];
        let (client, server) = (
            handshake["client_ns"].as_u64(),
            handshake["server_ns"].as_u64(),
        );
        assert!(client.is_some() && server.is_some(), "{line}");
        assert!(client < line["end_ns"].as_u64(), "{line}");
    }

    let dir = scratch_dir("sweep_jsonl");
    let file = dir.join("flaky.ron");
    std::fs::write(&file, FLAKY).unwrap();
    let out = tlsim(&[
        "sweep",
        file.to_str().unwrap(),
        "--from",
        "0",
        "--count",
        "10",
        "--format",
        "jsonl",
    ]);
    let failed: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["verdict"] == "fail")
        .collect();
    assert!(!failed.is_empty());
    let first = failed[0]["first_failure"].as_str().unwrap();
    assert!(first.contains("TCP Retransmission"), "{first}");
}

#[test]
fn merged_shards_print_exactly_what_the_whole_sweep_prints() {
    let dir = scratch_dir("sweep_shards");
    let file = dir.join("flaky.ron");
    std::fs::write(&file, FLAKY).unwrap();
    let file = file.to_str().unwrap();
    let whole = |format: &str| {
        let args = [
            "sweep", file, "--from", "3", "--count", "20", "--format", format,
        ];
        tlsim(&args)
    };
    let mut shards = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let args = [
            "sweep", file, "--from", "3", "--count", "20", "--shard", &shard, "--format", "jsonl",
        ];
        let out = tlsim(&args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        let path = dir.join(format!("shard-{k}.jsonl"));
        std::fs::write(&path, &out.stdout).unwrap();
        shards.push(path.to_str().unwrap().to_string());
    }
    for format in ["text", "jsonl"] {
        let mut args = vec!["sweep", "--format", format, "--merge"];
        // Shards in any order.
        args.extend(shards.iter().rev().map(String::as_str));
        let merged = tlsim(&args);
        let expected = whole(format);
        assert_eq!(merged.status, expected.status, "{}", stderr(&merged));
        assert_eq!(
            String::from_utf8_lossy(&merged.stdout),
            String::from_utf8_lossy(&expected.stdout),
            "--format {format}"
        );
    }
    // A missing shard, or one given twice, is an error, not a smaller sweep.
    for files in [&shards[..2], &[&shards[..], &shards[..1]].concat()[..]] {
        let mut args = vec!["sweep", "--merge"];
        args.extend(files.iter().map(String::as_str));
        let out = tlsim(&args);
        assert_eq!(out.status.code(), Some(2), "{files:?}");
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    }
}

#[test]
fn a_grid_summarises_each_combination_of_the_values_it_varies() {
    let out = tlsim(&[
        "sweep",
        "scenarios/tls12-ecdsa.ron",
        "--count",
        "4",
        "--vary",
        "links[0].conditions.latency=5ms,\"20ms\"",
        "--vary",
        "links[0].conditions.loss=0,0.5",
        "--format",
        "csv",
    ]);
    let csv = String::from_utf8(out.stdout.clone()).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 5, "a header and four points:\n{csv}");
    assert_eq!(rows[0][0], "point");
    assert_eq!(
        rows[1][0],
        "\"links[0].conditions.latency=5ms links[0].conditions.loss=0\""
    );
    let handshake_p50 = |row: &[&str]| row[5].parse::<u64>().unwrap();
    // Without loss every seed passes, and a longer link takes longer.
    assert_eq!(rows[1][2], "4", "{csv}");
    assert!(handshake_p50(&rows[3]) > handshake_p50(&rows[1]), "{csv}");
    // Losing half the packets fails some seeds: the sweep fails.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    for (vary, message) in [
        ("links[3].conditions.loss=0", "index 3 of a list of 1"),
        ("links[0].conditions.lss=0", "unknown field `lss`"),
        ("links[0].conditions.loss=2", "out of range"),
    ] {
        let out = tlsim(&["sweep", "scenarios/tcp-basic.ron", "--vary", vary]);
        assert_eq!(out.status.code(), Some(2), "{vary}");
        assert!(stderr(&out).contains(message), "{vary}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_grid_plot_draws_handshake_time_against_the_first_value_as_svg() {
    let dir = scratch_dir("grid_plot");
    let svg = dir.join("grid.svg");
    let args = [
        "sweep",
        "scenarios/tls12-ecdsa.ron",
        "--count",
        "2",
        "--vary",
        "links[0].conditions.loss=0,0.01",
        "--vary",
        "links[0].conditions.latency=5ms,10ms",
        "--plot",
        svg.to_str().unwrap(),
    ];
    let out = tlsim(&args);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(drawn.starts_with("<svg"), "{drawn}");
    for text in [
        "links[0].conditions.loss",
        "links[0].conditions.latency=10ms",
        "0.01",
    ] {
        assert!(drawn.contains(text), "{text} missing from the plot");
    }
    // The same sweep draws the same bytes.
    let again = dir.join("again.svg");
    let mut args = args;
    args[args.len() - 1] = again.to_str().unwrap();
    tlsim(&args);
    assert_eq!(std::fs::read(&again).unwrap(), drawn.as_bytes());
}

#[test]
fn shrink_writes_to_standard_output_for_a_dash_and_reports_on_standard_error() {
    let failing = std::fs::read_to_string("scenarios/tcp-basic.ron")
        .unwrap()
        .replacen("bytes: 10240", "bytes: 10241", 1);
    let dir = scratch_dir("shrink_stdout");
    let file = dir.join("failing.ron");
    std::fs::write(&file, failing).unwrap();
    let out = tlsim(&[
        "shrink",
        file.to_str().unwrap(),
        "--out",
        "-",
        "--max-runs",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let min = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(min.contains("Scenario(") && min.ends_with(")\n"), "{min}");
    assert!(stderr(&out).starts_with("FAIL "), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote it to standard output"));
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
    // What it wrote is the scenario: saved, it fails the same way.
    let saved = dir.join("min.ron");
    std::fs::write(&saved, &min).unwrap();
    assert_eq!(
        tlsim(&["check", saved.to_str().unwrap()]).status.code(),
        Some(1)
    );
}
