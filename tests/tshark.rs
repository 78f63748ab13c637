//! tshark, an oracle nobody here wrote, must dissect every exported pcap
//! with checksum validation on, find no malformed packet and no expert
//! error, and, given the key log, decrypt every TLS record; and its TCP
//! analysis must label every packet as tlsim does.
//!
//! Skips with a printed reason where tshark is missing, unless
//! `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` (as CI sets), which turns a skip into a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use tlsim_net::Label;
use tlsim_sim::{Event, Kind, Layer};
use tlsim_tls::crypto::suites::{Authentication, KeyExchange, SUPPORTED_SUITES};
use tlsim_tls::crypto::{TLS10, TLS11, TLS12};

#[allow(dead_code, reason = "replay, for the replay tests")]
#[path = "support/capture.rs"]
mod capture;
mod external;

use capture::{Replayed, run_into};

fn tshark_or_skip() -> bool {
    external::tool_or_skip("tshark", &["--version"], "tshark")
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

/// Runs `scenario` with every export on, into a folder of its own per test
/// (`test`), since tests run in parallel.
fn export(scenario: &Path, test: &str) -> Replayed {
    let name = scenario.file_stem().unwrap().to_string_lossy().into_owned();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("tshark")
        .join(test)
        .join(&name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_into(scenario, &dir)
}

/// tshark the strict way: checksums validated, TLS reassembly on, the key log given.
fn tshark(export: &Replayed, extra: &[&str]) -> String {
    let mut command = Command::new("tshark");
    command
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
        .args(extra);
    stdout_of(&mut command)
}

/// What `command` wrote to its standard output, once it has succeeded.
#[track_caller]
fn stdout_of(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
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

#[test]
fn tshark_reads_the_documented_certificate_chain() {
    if !tshark_or_skip() {
        return;
    }
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/google-spdy.ron");
    let export = export(&scenario, "chain");
    let fields = [
        "tls.handshake.certificate_length",
        "x509af.serialNumber",
        "x509ce.KeyPurposeId",
        "x509ce.uniformResourceIdentifier",
        "x509ce.policyIdentifier",
        // The CPS pointer qualifier.
        "pkix1explicit.DirectoryString",
    ];
    let mut args = vec![
        "-Y",
        "tls.handshake.type == 11",
        "-T",
        "fields",
        "-E",
        "separator=|",
    ];
    for field in fields {
        args.extend(["-e", field]);
    }
    let out = tshark(&export, &args);
    let row: Vec<&str> = out.trim().split('|').collect();
    assert_eq!(
        row,
        [
            // The lengths the documented session shows.
            "1146,1032,897",
            "1f3c5a7e9b2d4c6e,023a69,12bbe6",
            "1.3.6.1.5.5.7.3.1,1.3.6.1.5.5.7.3.2",
            "http://pki.google.com/GIAG2.crl,http://pki.google.com/GIAG2.crt,\
             http://clients1.google.com/ocsp,http://crl.geotrust.com/crls/gtglobal.crl,\
             http://gtglobal-ocsp.geotrust.com,http://crl.geotrust.com/crls/secureca.crl",
            "1.3.6.1.4.1.11129.2.5.1,1.3.6.1.4.1.11129.2.5.1,2.5.29.32.0",
            "https://www.geotrust.com/resources/repository",
        ],
        "tshark's reading of the Certificate message:\n{out}"
    );
}

/// How many records our own log says their senders protected (each shows
/// its plaintext as `Decrypted`). The pcap holds packets as sent, so this
/// counts a record an attacker changed on the way, too.
fn protected_records_in_log(export: &Replayed) -> usize {
    let log = std::fs::read_to_string(export.pcap.with_file_name("run.jsonl")).unwrap();
    log.lines()
        .map(|line| serde_json::from_str::<tlsim_sim::Event>(line).unwrap())
        .filter(|e| e.layer == tlsim_sim::Layer::Tls && e.kind == tlsim_sim::Kind::Send)
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
        let expected = protected_records_in_log(&export);
        if expected == 0 {
            continue;
        }
        tls_scenarios += 1;
        assert_decrypted(&export, expected, &scenario.display().to_string());
    }
    assert!(tls_scenarios > 0, "no scenario exercised TLS decryption");
}

/// The "… Record Layer" label of every record the log shows sent, in order.
fn record_labels_in_log(export: &Replayed) -> Vec<String> {
    let log = std::fs::read_to_string(export.pcap.with_file_name("run.jsonl")).unwrap();
    log.lines()
        .map(|line| serde_json::from_str::<Event>(line).unwrap())
        .filter(|e| e.layer == Layer::Tls && e.kind == Kind::Send)
        .flat_map(|e| e.fields)
        .filter(|f| f.depth == 0 && f.name.ends_with(" Record Layer"))
        .map(|f| f.name.into_owned())
        .collect()
}

#[test]
fn tls13_records_are_labelled_as_tsharks_two_pass_dissection_labels_them() {
    if !tshark_or_skip() {
        return;
    }
    for name in ["tls13", "tls13-hrr"] {
        let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.ron"));
        let export = export(&scenario, "labels");
        // The second pass labels every record with the negotiated version.
        let text = tshark(&export, &["-2", "-V"]);
        let theirs: Vec<String> = (text.lines())
            .filter_map(|line| line.strip_prefix("    "))
            .filter_map(|line| line.split_once(": ").map(|(label, _)| label))
            .filter(|label| label.ends_with(" Record Layer"))
            .map(str::to_owned)
            .collect();
        let ours = record_labels_in_log(&export);
        assert!(!ours.is_empty(), "{name}: no record in the log");
        assert_eq!(ours, theirs, "{name}");
        let retry = "Handshake Protocol: Hello Retry Request";
        let log = std::fs::read_to_string(export.pcap.with_file_name("run.jsonl")).unwrap();
        for (who, shown) in [
            ("tshark", text.contains(retry)),
            ("log", log.contains(retry)),
        ] {
            assert_eq!(
                shown,
                name == "tls13-hrr",
                "{name}: {who}'s HelloRetryRequest"
            );
        }
    }
}

/// A line of the NSS key log format: a TLS 1.2 master secret (48 bytes),
/// or a TLS 1.3 secret (32 or 48 bytes, the suite's hash), after the
/// 32-byte client random.
fn is_key_log_line(line: &str) -> bool {
    const TLS13_LABELS: [&str; 6] = [
        "CLIENT_EARLY_TRAFFIC_SECRET",
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ];
    let parts: Vec<&str> = line.split(' ').collect();
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    match parts.as_slice() {
        ["CLIENT_RANDOM", random, secret] => random.len() == 64 && secret.len() == 96,
        [label, random, secret]
            if TLS13_LABELS.contains(label) || is_updated_traffic_secret(label) =>
        {
            random.len() == 64 && [64, 96].contains(&secret.len()) && hex(random) && hex(secret)
        }
        _ => false,
    }
}

/// `CLIENT_TRAFFIC_SECRET_N` or `SERVER_TRAFFIC_SECRET_N` for N ≥ 1: the
/// secrets of a KeyUpdate (RFC 8446 §7.2).
fn is_updated_traffic_secret(label: &str) -> bool {
    ["CLIENT_TRAFFIC_SECRET_", "SERVER_TRAFFIC_SECRET_"]
        .iter()
        .filter_map(|prefix| label.strip_prefix(prefix))
        .any(|n| n.parse::<u64>().is_ok_and(|n| n >= 1))
}

/// tshark, given the key log, decrypts exactly the `expected` records the run
/// protected, and fails on none (read from its TLS debug log: "mac ok" after
/// a CBC record's MAC check, "auth_tag(OK)" after a GCM record's tag check).
fn assert_decrypted(export: &Replayed, expected: usize, what: &str) {
    let keys = std::fs::read_to_string(&export.keys).unwrap();
    assert!(
        !keys.is_empty() && keys.lines().all(is_key_log_line),
        "{what}: {keys}"
    );
    let debug = export.pcap.with_file_name("tls-debug.txt");
    tshark(
        export,
        &["-o", &format!("tls.debug_file:{}", debug.display())],
    );
    let debug = std::fs::read_to_string(&debug).unwrap();
    let decrypted =
        debug.matches("ssl_decrypt_record: mac ok").count() + debug.matches("auth_tag(OK)").count();
    let failed = debug.matches("mac failed").count() + debug.matches("auth tag mismatch").count();
    assert_eq!(
        failed, 0,
        "{what}: tshark failed to decrypt {failed} records"
    );
    assert_eq!(
        decrypted, expected,
        "{what}: tshark decrypted {decrypted} records, the run protected {expected}"
    );
}

/// Every cipher suite tlsim runs at every version it allows, the groups
/// taken in turn: a scenario each, exported and decrypted by tshark.
#[test]
fn tshark_decrypts_every_suite_and_version() {
    if !tshark_or_skip() {
        return;
    }
    let rsa_key = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/keys/www.google.com.pem");
    let groups = ["x25519", "secp256r1", "secp384r1"].iter().cycle();
    let versions = [(TLS10, "TLS 1.0"), (TLS11, "TLS 1.1"), (TLS12, "TLS 1.2")];
    let cases: Vec<_> = SUPPORTED_SUITES
        .iter()
        .flat_map(|suite| {
            versions
                .iter()
                .filter(|(v, _)| suite.supports_version(*v))
                .map(move |(_, name)| (suite, *name))
        })
        .zip(groups)
        .map(|((suite, version), group)| {
            // DHE takes an RFC 7919 group in place of the curve.
            let group = match (suite.key_exchange, *group) {
                (KeyExchange::Dhe, "secp256r1") => &"ffdhe3072",
                (KeyExchange::Dhe, _) => &"ffdhe2048",
                _ => group,
            };
            let auth = match suite.authentication {
                Authentication::Ecdsa => "ecdsa",
                Authentication::Rsa => "rsa",
            };
            (suite.name, version, auth, *group)
        })
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tshark-suites");
    std::fs::create_dir_all(&dir).unwrap();
    for (suite, version, auth, group) in cases {
        let leaf_key = match auth {
            "rsa" => format!("RsaPem({:?})", rsa_key.display().to_string()),
            _ => "P256".to_string(),
        };
        // RFC 8422 §5.3: an ECDSA certificate needs its curve among the
        // client's groups; the server's own list still picks the key exchange.
        let client_groups = match (auth, group) {
            ("ecdsa", g) if g != "secp256r1" => format!(r#""{g}", "secp256r1""#),
            (_, g) => format!(r#""{g}""#),
        };
        let text = format!(
            r#"Scenario(
    name: "suite",
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "2ms"))],
    pki: (
        keys: [Key(name: "root", kind: P256), Key(name: "leaf", kind: {leaf_key})],
        certificates: [
            Cert(name: "root", subject: (cn: "Root"), key: "root", ca: true,
                 not_before: "2010-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z"),
            Cert(name: "leaf", subject: (cn: "server.test"), key: "leaf", issuer: "root", dns_names: ["server.test"],
                 not_before: "2010-01-01T00:00:00Z", not_after: "2030-01-01T00:00:00Z"),
        ],
    ),
    tls: (
        clients: [TlsClient(name: "c", min_version: "{version}", max_version: "{version}", cipher_suites: ["{suite}"],
                            groups: [{client_groups}], server_name: "server.test", trust: ["root"])],
        servers: [TlsServer(name: "s", cipher_suites: ["{suite}"], groups: ["{group}"], chain: ["leaf"], key: "leaf")],
    ),
    listen: [Listen(host: "server", port: 443, tls: "s")],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "c")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.1\r\nHost: server.test\r\n\r\n"))),
        At("50ms", Send(conn: "c1", from: "server", data: Pattern(40000))),
        At("500ms", Close(conn: "c1", from: "client")),
    ],
)"#
        );
        let what = format!("{suite} {version} {group}");
        let file = dir.join(format!(
            "{}-{}-{group}.ron",
            suite.to_lowercase(),
            version.replace(' ', "")
        ));
        std::fs::write(&file, text).unwrap();
        let export = export(&file, "suites");
        let expected = protected_records_in_log(&export);
        assert!(
            expected >= 6,
            "{what}: the run protected only {expected} records"
        );
        assert_decrypted(&export, expected, &what);
        let bad = tshark(
            &export,
            &["-Y", "_ws.malformed || _ws.expert.severity >= 8388608"],
        );
        assert!(
            bad.trim().is_empty(),
            "{what}: tshark reports problems:\n{bad}"
        );
    }
}

/// The pcap of `scenario` captured at `point`, as tshark lists it with `fields`.
fn capture_fields(scenario: &str, point: &str, fields: &[&str]) -> Vec<String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("tshark")
        .join(format!("capture-{point}"));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join(format!("{}.pcap", scenario.replace('/', "-")));
    stdout_of(
        Command::new(env!("CARGO_BIN_EXE_tlsim"))
            .args(["run", scenario, "--out", "/dev/null", "--capture-at", point])
            .arg("--pcap")
            .arg(&pcap),
    );
    let mut args = vec!["-T", "fields"];
    for field in fields {
        args.extend(["-e", field]);
    }
    stdout_of(Command::new("tshark").arg("-r").arg(&pcap).args(&args))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn pcap_timestamps_start_at_the_scenarios_epoch() {
    if !tshark_or_skip() {
        return;
    }
    // google-spdy's epoch is 2013-09-01T12:00:00Z; its SYN leaves at 0 ms, its SYN, ACK at 10.044 ms.
    let times = capture_fields("scenarios/google-spdy.ron", "sender", &["frame.time_epoch"]);
    assert_eq!(times[0], "1378036800.000000000");
    assert_eq!(times[1], "1378036800.010044000");
}

#[test]
fn a_receiver_capture_shows_the_tampered_segment_as_it_arrived() {
    if !tshark_or_skip() {
        return;
    }
    let fields = ["ip.src", "tcp.seq", "tcp.len", "tcp.payload"];
    let sent = capture_fields("scenarios/tls12-tamper.ron", "sender", &fields);
    let received = capture_fields("scenarios/tls12-tamper.ron", "receiver", &fields);
    assert_eq!(sent.len(), received.len(), "the link loses nothing here");
    let changed: Vec<(&String, &String)> = (sent.iter())
        .zip(&received)
        .filter(|(s, r)| s != r)
        .collect();
    // One segment of the server's, with the same header and length, other bytes.
    assert_eq!(changed.len(), 1, "{changed:?}");
    let (sent, received) = changed[0];
    let header = |line: &str| line.rsplit_once('\t').unwrap().0.to_string();
    assert_eq!(header(sent), header(received));
    assert!(sent.starts_with("10.0.0.2\t"), "{sent}");
}

#[test]
fn the_readmes_decode_hint_shows_the_spdy_frames() {
    if !tshark_or_skip() {
        return;
    }
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/google-spdy.ron");
    let export = export(&scenario, "spdy");
    let hint = [
        "-d",
        "tls.port==443,spdy",
        "-T",
        "fields",
        "-e",
        "spdy.type",
    ];
    let types = tshark(&export, &hint)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // SETTINGS 4, WINDOW_UPDATE 9, SYN_STREAM 1, PING 6; SYN_REPLY 2, (DATA,
    // a data frame, has no type) PING; GOAWAY 7.
    assert_eq!(types, "4,9,1,6 2,6 7");
}

/// Every scenario that ships: `scenarios/*.ron` and `scenarios/edge/*.ron`.
fn shipped_scenarios() -> Vec<PathBuf> {
    let edge = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/edge");
    let mut files: Vec<PathBuf> = std::fs::read_dir(edge)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    scenarios().into_iter().chain(files).collect()
}

/// One packet's labels, as `tcp.stream` then one cell per [`Label::ALL`]
/// (the duplicate ACK's cell holds its number).
type Row = Vec<String>;

/// tlsim's labels, from the fields of each TCP send event.
fn our_rows(log: &str) -> Vec<(u64, Row)> {
    log.lines()
        .map(|line| serde_json::from_str::<Event>(line).unwrap())
        .filter(|e| e.layer == Layer::Tcp && e.kind == Kind::Send)
        .map(|e| {
            let mut row = vec![e.field_value("Stream index").unwrap_or("").to_string()];
            for label in Label::ALL {
                let cell = match e.field_value(label.title()) {
                    None => String::new(),
                    // "Duplicate ACK (#3)": the number.
                    Some(v) if label == Label::DuplicateAck => v
                        .trim_start_matches("Duplicate ACK (#")
                        .trim_end_matches(')')
                        .to_string(),
                    Some(_) => "1".to_string(),
                };
                row.push(cell);
            }
            (e.seq, row)
        })
        .collect()
}

/// tshark's, one row per frame.
fn tshark_rows(pcap: &Path) -> Vec<Row> {
    let mut args = vec!["-r".to_string(), pcap.display().to_string()];
    args.extend(["-T", "fields", "-e", "tcp.stream"].map(String::from));
    for label in Label::ALL {
        let field = match label {
            Label::DuplicateAck => "tcp.analysis.duplicate_ack_num",
            other => other.tshark_field(),
        };
        args.extend(["-e".to_string(), field.to_string()]);
    }
    stdout_of(Command::new("tshark").args(&args))
        .lines()
        .map(|line| {
            line.split('\t')
                .enumerate()
                .map(|(i, cell)| {
                    // A flag field prints its (empty) value as "1" when set,
                    // except the dup ACK number and the stream, kept as they are.
                    let keep = i == 0 || Label::ALL[i - 1] == Label::DuplicateAck;
                    if cell.is_empty() || keep {
                        cell.to_string()
                    } else {
                        "1".to_string()
                    }
                })
                .collect()
        })
        .collect()
}

/// tshark's TCP sequence analysis (`tcp.analysis`) and tlsim's labels agree
/// on every packet of every shipped scenario's pcap, and so do the stream
/// indices. The pcap is captured at the sender, so its frame N is the N-th
/// TCP send event of the log.
#[test]
fn tcp_analysis_labels_match_tshark_on_every_shipped_scenario() {
    if !tshark_or_skip() {
        return;
    }
    let mut headers = vec!["tcp.stream".to_string()];
    headers.extend(Label::ALL.iter().map(|l| l.tshark_field().to_string()));
    let mut labelled = 0;
    for scenario in shipped_scenarios() {
        let name = scenario.file_stem().unwrap().to_string_lossy().into_owned();
        let export = export(&scenario, "analysis");
        let log = export.pcap.with_file_name("run.jsonl");
        let ours = our_rows(&std::fs::read_to_string(&log).unwrap());
        let theirs = tshark_rows(&export.pcap);
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{name}: {} TCP send events, {} frames in the pcap",
            ours.len(),
            theirs.len()
        );
        for (frame, ((seq, our), their)) in ours.iter().zip(&theirs).enumerate() {
            let differ: Vec<String> = (headers.iter().zip(our.iter().zip(their)))
                .filter(|(_, (a, b))| a != b)
                .map(|(h, (a, b))| format!("{h}: tlsim {a:?}, tshark {b:?}"))
                .collect();
            assert!(
                differ.is_empty(),
                "{name}: frame {} (event #{seq}): {}",
                frame + 1,
                differ.join("; ")
            );
            labelled += usize::from(our[1..].iter().any(|c| !c.is_empty()));
        }
    }
    assert!(labelled > 0, "no scenario gave tshark anything to label");
}
