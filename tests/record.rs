//! A session with a real server (`openssl s_server`, `gnutls-serv`),
//! recorded by `tlsim connect --record` and replayed offline by
//! `tlsim run`: every TLS record of the replay, both ways, is the
//! recorded session's (read from the pcaps of both), two runs write the
//! same bytes, and `tlsim sweep` passes over a lossy link. TLS 1.2 with
//! AES-GCM and with a CBC suite, and TLS 1.3.
//!
//! Skips with a printed reason where a tool is missing, unless
//! `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` (as CI sets).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod external;
use external::tool_or_skip;

#[path = "support/pcap.rs"]
mod pcap;
use pcap::{assert_same_records, streams};

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

/// A server process, killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    (TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap())
    .port()
}

/// Starts a server and waits until it accepts connections.
fn start_server(command: &mut Command, port: u16) -> Peer {
    let peer = Peer(
        (command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()))
        .spawn()
        .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{command:?} never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    peer
}

/// A folder for one case: an OpenSSL P-256 key, a self-signed
/// certificate for `localhost` (the server's, and the client's root), and
/// the scenario whose client offers `suite` up to `version`.
fn case_folder(name: &str, version: &str, suite: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("record")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    run_ok(Command::new("openssl").current_dir(&dir).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "3650",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost",
    ]));
    let scenario = format!(
        r#"Scenario(
    name: "record-{name}",
    seed: 3,
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms"))],
    pki: (
        epoch: "2026-01-01T00:00:00Z",
        keys: [Key(name: "key", kind: RsaPem("key.pem"))],
        certificates: [Cert(name: "root", file: "cert.pem", key: "key")],
    ),
    tls: (
        clients: [TlsClient(name: "client", max_version: "{version}", cipher_suites: ["{suite}"],
                            groups: ["x25519", "secp256r1"], server_name: "localhost", trust: ["root"])],
        servers: [TlsServer(name: "server", chain: ["root"], key: "key")],
    ),
    listen: [Listen(host: "server", port: {REPLAY_PORT}, tls: "server")],
    timeline: [
        At("0ms", Connect(conn: "c1", from: "client", to: "server", port: {REPLAY_PORT}, tls: "client")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),
    ],
)"#
    );
    std::fs::write(dir.join("scenario.ron"), scenario).unwrap();
    dir
}

/// Records a session with the server at `port` in `dir/session.ron`,
/// with its pcap; returns the recorded pcap's streams.
fn record(dir: &Path, port: u16) -> [Vec<u8>; 2] {
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
    streams(&std::fs::read(dir.join("real.pcap")).unwrap(), port)
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

/// The whole check of one recorded session (see the module doc).
fn records_and_replays(dir: &Path, port: u16) {
    let recorded = record(dir, port);
    run_ok(tlsim().current_dir(dir).args(["check", "session.ron"]));
    let (pcap, keys, log) = replay(dir, "replay");
    let replayed = streams(&pcap, REPLAY_PORT);
    assert_same_records(&recorded, &replayed, 3);
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
}

fn openssl_or_skip() -> bool {
    tool_or_skip("openssl", &["version"], "openssl")
}

/// `openssl s_server` with the case's certificate, answering a GET with
/// its status page and closing.
fn openssl_server(dir: &Path, port: u16, extra: &[&str]) -> Peer {
    let mut command = Command::new("openssl");
    (command.current_dir(dir))
        .args(["s_server", "-accept", &port.to_string(), "-www"])
        .args(["-cert", "cert.pem", "-key", "key.pem"])
        .args(extra);
    start_server(&mut command, port)
}

#[test]
fn a_tls12_gcm_session_with_openssl_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(
        "openssl-gcm",
        "TLS 1.2",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    );
    let port = free_port();
    let _server = openssl_server(&dir, port, &["-tls1_2"]);
    records_and_replays(&dir, port);
}

#[test]
fn a_tls12_cbc_session_with_openssl_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder(
        "openssl-cbc",
        "TLS 1.2",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    );
    let port = free_port();
    let _server = openssl_server(&dir, port, &["-tls1_2"]);
    records_and_replays(&dir, port);
}

#[test]
fn a_tls13_session_with_openssl_replays_record_for_record() {
    if !openssl_or_skip() {
        return;
    }
    let dir = case_folder("openssl-tls13", "TLS 1.3", "TLS_AES_128_GCM_SHA256");
    let port = free_port();
    let _server = openssl_server(&dir, port, &["-tls1_3"]);
    records_and_replays(&dir, port);
}

#[test]
fn a_tls12_session_with_gnutls_replays_record_for_record() {
    if !openssl_or_skip() || !tool_or_skip("gnutls-serv", &["--version"], "gnutls-bin") {
        return;
    }
    let dir = case_folder(
        "gnutls-gcm",
        "TLS 1.2",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    );
    let port = free_port();
    let mut command = Command::new("gnutls-serv");
    (command.current_dir(&dir))
        .args([
            "--http",
            "--port",
            &port.to_string(),
            "--disable-client-cert",
        ])
        .args(["--x509certfile", "cert.pem", "--x509keyfile", "key.pem"])
        .arg("--priority=NORMAL:-VERS-TLS1.3");
    let _server = start_server(&mut command, port);
    records_and_replays(&dir, port);
}
