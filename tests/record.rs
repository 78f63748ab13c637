//! A session with a real server (`openssl s_server`, `gnutls-serv`),
//! recorded by `tlsim connect --record` and replayed offline by
//! `tlsim run`: every TLS record of the replay, both ways, is the
//! recorded session's (read from the pcaps of both, connection by
//! connection), two runs write the same bytes, and `tlsim sweep` passes
//! over a lossy link. TLS 1.2 with AES-GCM and with a CBC suite, TLS 1.3,
//! a client certificate, a second connection resuming the first's
//! session by ID and by ticket, and in TLS 1.3 from the first's ticket,
//! with and without 0-RTT data.
//!
//! Skips with a printed reason where a tool is missing, unless
//! `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` (as CI sets).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod external;
use external::tool_or_skip;

#[path = "support/pcap.rs"]
mod pcap;

#[path = "support/peer.rs"]
mod peer;
use pcap::{assert_same_records, connections, streams};
use peer::{Peer, free_port};

/// The port the recorded scenario's server listens on in the simulator.
const REPLAY_PORT: u16 = 443;

fn run_ok(command: &mut Command) -> Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn tlsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tlsim"))
}

/// Starts a server and waits until it listens. Its input is open and
/// silent while it runs: `s_server` without `-www` would stop at its end.
fn start_server(command: &mut Command, port: u16) -> Peer {
    peer::start_server(command, port, Stdio::piped())
}

/// One case's scenario: its client offers `suite` up to `version`.
struct Case<'a> {
    name: &'a str,
    version: &'a str,
    suite: &'a str,
    /// More fields of the client profile.
    client: &'a str,
    /// More keys and certificates.
    keys: &'a str,
    certs: &'a str,
    /// How many connections, one after another, each with a request.
    connections: usize,
    /// How many milliseconds after it opened each connection's client
    /// closes (default: never; the server closes).
    closes_after_ms: Option<usize>,
}

impl<'a> Case<'a> {
    fn new(name: &'a str, version: &'a str, suite: &'a str) -> Self {
        Case {
            name,
            version,
            suite,
            client: "",
            keys: "",
            certs: "",
            connections: 1,
            closes_after_ms: None,
        }
    }
}

/// A self-signed P-256 certificate for `cn` and its key, made by OpenSSL
/// in `dir` as `FILE.pem` and `FILE-key.pem`.
fn self_signed(dir: &Path, cn: &str, file: &str) {
    run_ok(Command::new("openssl").current_dir(dir).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        &format!("{file}-key.pem"),
        "-out",
        &format!("{file}.pem"),
        "-days",
        "3650",
        "-subj",
        &format!("/CN={cn}"),
        "-addext",
        &format!("subjectAltName=DNS:{cn}"),
    ]));
}

/// A folder for one case: an OpenSSL P-256 key, a self-signed
/// certificate for `localhost` (the server's, and the client's root), and
/// the case's scenario.
fn case_folder(case: &Case) -> PathBuf {
    let Case {
        name,
        version,
        suite,
        client,
        keys,
        certs,
        connections,
        closes_after_ms,
    } = case;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("record")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    self_signed(&dir, "localhost", "cert");
    let timeline: String = (1..=*connections)
        .map(|n| {
            format!(
                r#"
        At("{n}s", Connect(conn: "c{n}", from: "client", to: "server", port: {REPLAY_PORT}, tls: "client")),
        At("{n}s", Send(conn: "c{n}", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),"#
            ) + &closes_after_ms.map_or(String::new(), |after| {
                format!(
                    r#"
        At("{}ms", Close(conn: "c{n}", from: "client")),"#,
                    n * 1000 + after
                )
            })
        })
        .collect();
    let scenario = format!(
        r#"Scenario(
    name: "record-{name}",
    seed: 3,
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms"))],
    pki: (
        epoch: "2026-01-01T00:00:00Z",
        keys: [Key(name: "key", kind: RsaPem("cert-key.pem")), {keys}],
        certificates: [Cert(name: "root", file: "cert.pem", key: "key"), {certs}],
    ),
    tls: (
        clients: [TlsClient(name: "client", max_version: "{version}", cipher_suites: ["{suite}"],
                            groups: ["x25519", "secp256r1"], server_name: "localhost", trust: ["root"]{client})],
        servers: [TlsServer(name: "server", chain: ["root"], key: "key")],
    ),
    listen: [Listen(host: "server", port: {REPLAY_PORT}, tls: "server")],
    timeline: [{timeline}
    ],
)"#
    );
    std::fs::write(dir.join("scenario.ron"), scenario).unwrap();
    dir
}

/// Records a session with the server at `port` in `dir/session.ron`,
/// with its pcap; returns the recorded pcap's connections.
fn record(dir: &Path, port: u16) -> Vec<[Vec<u8>; 2]> {
    let out = run_ok(
        tlsim()
            .current_dir(dir)
            .args([
                "connect",
                &format!("127.0.0.1:{port}"),
                "scenario.ron",
                "--seed",
                "11",
            ])
            .args([
                "--out",
                "real.log",
                "--pcap",
                "real.pcap",
                "--keylog",
                "real.keys",
            ])
            .args(["--record", "session.ron"]),
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("TLS handshake complete"), "{said}");
    let pcap = std::fs::read(dir.join("real.pcap")).unwrap();
    (connections(&pcap).into_iter())
        .map(|c| c.streams)
        .collect()
}

/// Runs `session.ron` in `dir`: its pcap, key log and event log.
fn replay(dir: &Path, run: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (pcap, keys, log) = (
        format!("{run}.pcap"),
        format!("{run}.keys"),
        format!("{run}.jsonl"),
    );
    run_ok(
        tlsim()
            .current_dir(dir)
            .args(["run", "session.ron", "--format", "jsonl", "--out", &log])
            .args(["--pcap", &pcap, "--keylog", &keys]),
    );
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    (read(&pcap), read(&keys), read(&log))
}

/// The whole check of one recorded session (see the module doc); returns
/// the recorded connections.
fn records_and_replays(dir: &Path, port: u16) -> Vec<[Vec<u8>; 2]> {
    let recorded = record(dir, port);
    run_ok(tlsim().current_dir(dir).args(["check", "session.ron"]));
    let (pcap, keys, log) = replay(dir, "replay");
    assert_eq!(recorded.len(), connections(&pcap).len(), "connections");
    // Each connection replays from a listener of its own, on the next port.
    for (recorded, port) in recorded.iter().zip(REPLAY_PORT..) {
        assert_same_records(recorded, &streams(&pcap, port), 3);
    }
    assert_eq!(
        std::fs::read(dir.join("real.keys")).unwrap(),
        keys,
        "the same secrets"
    );
    assert!(
        (replay(dir, "again") == (pcap, keys, log)),
        "a second run differs"
    );

    let text = std::fs::read_to_string(dir.join("session.ron")).unwrap();
    let lossy = text.replace(r#"(latency: "5ms")"#, r#"(latency: "5ms", loss: 0.1)"#);
    assert_ne!(lossy, text);
    std::fs::write(dir.join("lossy.ron"), lossy).unwrap();
    let swept = run_ok(
        tlsim()
            .current_dir(dir)
            .args(["sweep", "lossy.ron", "--count", "3"]),
    );
    let said = String::from_utf8_lossy(&swept.stdout);
    assert!(said.contains("PASS lossy.ron: all 3 seeds"), "{said}");
    recorded
}

fn openssl_or_skip() -> bool {
    tool_or_skip("openssl", &["version"], "openssl")
}

/// `openssl s_server` with the case's certificate, answering a GET with
/// its status page and closing.
fn openssl_server(dir: &Path, port: u16, extra: &[&str]) -> Peer {
    s_server(dir, port, &[&["-www"], extra].concat())
}

/// `openssl s_server` with the case's certificate and `options`.
fn s_server(dir: &Path, port: u16, options: &[&str]) -> Peer {
    let mut command = Command::new("openssl");
    (command.current_dir(dir))
        .args(["s_server", "-accept", &port.to_string()])
        .args(["-cert", "cert.pem", "-key", "cert-key.pem"])
        .args(options);
    start_server(&mut command, port)
}

#[test]
fn a_tls12_gcm_session_with_openssl_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(&Case::new(
        "openssl-gcm",
        "TLS 1.2",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ));
    let port = free_port();
    let _server = openssl_server(&dir, port, &["-tls1_2"]);
    records_and_replays(&dir, port);
}

#[test]
fn a_tls12_cbc_session_with_openssl_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(&Case::new(
        "openssl-cbc",
        "TLS 1.2",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    ));
    let port = free_port();
    let _server = openssl_server(&dir, port, &["-tls1_2"]);
    records_and_replays(&dir, port);
}

#[test]
fn a_tls13_session_with_openssl_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(&Case::new(
        "openssl-tls13",
        "TLS 1.3",
        "TLS_AES_128_GCM_SHA256",
    ));
    let port = free_port();
    let _server = openssl_server(&dir, port, &["-tls1_3"]);
    records_and_replays(&dir, port);
}

#[test]
fn a_tls12_session_with_gnutls_replays_record_for_record() {
    if !openssl_or_skip() || !tool_or_skip("gnutls-serv", &["--version"], "gnutls-bin") {
        return;
    }
    let dir = case_folder(&Case::new(
        "gnutls-gcm",
        "TLS 1.2",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ));
    let port = free_port();
    let mut command = Command::new("gnutls-serv");
    (command.current_dir(&dir))
        .args([
            "--http",
            "--port",
            &port.to_string(),
            "--disable-client-cert",
        ])
        .args([
            "--x509certfile",
            "cert.pem",
            "--x509keyfile",
            "cert-key.pem",
        ])
        .arg("--priority=NORMAL:-VERS-TLS1.3");
    let _server = start_server(&mut command, port);
    records_and_replays(&dir, port);
}

/// The certificate in `dir/FILE.pem`, DER.
fn der_of(dir: &Path, file: &str) -> Vec<u8> {
    let out = run_ok(Command::new("openssl").current_dir(dir).args([
        "x509",
        "-in",
        &format!("{file}.pem"),
        "-outform",
        "DER",
    ]));
    out.stdout
}

fn holds(stream: &[u8], part: &[u8]) -> bool {
    stream.windows(part.len()).any(|w| w == part)
}

/// The client's certificate and CertificateVerify replay too: its key is
/// the scenario's (a file here), its ECDSA signature deterministic.
#[test]
fn a_tls12_session_with_a_client_certificate_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(&Case {
        client: r#", key: "client-key", chain: ["client"]"#,
        keys: r#"Key(name: "client-key", kind: File("client-key.pem"))"#,
        certs: r#"Cert(name: "client", file: "client.pem", key: "client-key")"#,
        ..Case::new(
            "openssl-client-cert",
            "TLS 1.2",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        )
    });
    self_signed(&dir, "client", "client");
    let port = free_port();
    let _server = openssl_server(
        &dir,
        port,
        &["-tls1_2", "-Verify", "1", "-CAfile", "client.pem"],
    );
    let recorded = records_and_replays(&dir, port);
    assert!(
        holds(&recorded[0][0], &der_of(&dir, "client")),
        "the client sent its certificate"
    );
}

/// A client key made from the scenario's seed is written as its scalar,
/// so the replay signs alike on every seed.
#[test]
fn a_client_certificate_made_from_the_seed_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(&Case {
        client: r#", key: "client-key", chain: ["client"]"#,
        keys: r#"Key(name: "client-key", kind: P256)"#,
        certs: r#"Cert(name: "client", subject: (cn: "client"), key: "client-key",
                        not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z")"#,
        ..Case::new(
            "openssl-seeded-client-cert",
            "TLS 1.2",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        )
    });
    let port = free_port();
    // `-Verify 1` asks for a certificate and, without -verify_return_error,
    // goes on with one it cannot verify.
    let _server = openssl_server(&dir, port, &["-tls1_2", "-Verify", "1"]);
    records_and_replays(&dir, port);
    let text = std::fs::read_to_string(dir.join("session.ron")).unwrap();
    assert!(text.contains("P256Scalar("), "{text}");
}

/// Two connections: the second resumes the first's session, and each
/// replays from its own listener, the second after the first.
fn resumes(name: &str, client: &str) {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(&Case {
        client,
        connections: 2,
        ..Case::new(name, "TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
    });
    let port = free_port();
    let _server = openssl_server(&dir, port, &["-tls1_2"]);
    let recorded = records_and_replays(&dir, port);
    let certificate = der_of(&dir, "cert");
    assert!(
        holds(&recorded[0][1], &certificate),
        "a full handshake first"
    );
    assert!(!holds(&recorded[1][1], &certificate), "then a resumed one");
}

#[test]
fn a_session_resumed_by_id_replays_record_for_record() {
    resumes("openssl-resume-id", "");
}

#[test]
fn a_session_resumed_by_ticket_replays_record_for_record() {
    resumes("openssl-resume-ticket", ", session_ticket: true");
}

/// Two TLS 1.3 connections with `s_server` (`extra` added to its
/// options), the second resuming from the first's ticket (RFC 8446 §2.2):
/// the obfuscated ticket age it sent, the real clock's, is pinned in the
/// recorded scenario, on a profile of its own for that connection.
fn resumes_tls13(
    name: &str,
    client: &str,
    closes_after_ms: Option<usize>,
    extra: &[&str],
) -> PathBuf {
    let dir = case_folder(&Case {
        client,
        connections: 2,
        closes_after_ms,
        ..Case::new(name, "TLS 1.3", "TLS_AES_128_GCM_SHA256")
    });
    let port = free_port();
    let _server = s_server(&dir, port, &[&["-tls1_3"], extra].concat());
    let recorded = records_and_replays(&dir, port);
    let certificate = der_of(&dir, "cert");
    // TLS 1.3 encrypts the certificate: a resumed handshake is the
    // shorter one.
    assert!(
        recorded[1][1].len() + certificate.len() < recorded[0][1].len(),
        "the second handshake resumed: {} then {} bytes from the server",
        recorded[0][1].len(),
        recorded[1][1].len()
    );
    let text = std::fs::read_to_string(dir.join("session.ron")).unwrap();
    assert!(text.contains("obfuscated_ticket_ages: ["), "{text}");
    assert!(text.contains(r#"tls: "client@c2""#), "{text}");
    dir
}

#[test]
fn a_tls13_session_resumed_by_ticket_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    resumes_tls13("openssl-tls13-resume", "", None, &["-www"]);
}

/// s_server takes 0-RTT data only without `-www`: it prints the request
/// and answers nothing, so the client closes.
#[test]
fn a_tls13_session_resumed_with_early_data_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = resumes_tls13(
        "openssl-tls13-early-data",
        ", early_data: true",
        Some(500),
        &["-early_data"],
    );
    let log = std::fs::read_to_string(dir.join("replay.jsonl")).unwrap();
    let taken = (log.lines()).any(|l| {
        l.contains(r#""title":"Early data""#) && l.contains(r#"{"name":"Accepted","value":"true"}"#)
    });
    assert!(taken, "the replayed server took the 0-RTT data");
}
