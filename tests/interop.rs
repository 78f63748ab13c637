//! tlsim against real TLS stacks on 127.0.0.1: OpenSSL (`s_server`,
//! `s_client`) and GnuTLS (`gnutls-serv`, `gnutls-cli`), in both roles,
//! over every version, suite and group both support, with session
//! resumption by ID and by ticket, extended master secret and ALPN; client
//! certificates in TLS 1.2 and 1.3 both ways; TLS 1.3 with a
//! HelloRetryRequest, resumption (psk_dhe_ke, psk_ke), 0-RTT taken and
//! rejected, and KeyUpdate; `curl` against `tlsim serve` with an HTTP/1.1
//! answer. Each case asserts the version and suite both sides agreed on,
//! and that data crossed both ways; the newer rows also that the peer's
//! own key log holds tlsim's secrets.
//!
//! Skips with a printed reason where a tool is missing, unless
//! `TLSIM_REQUIRE_EXTERNAL_TOOLS=1` (as CI sets), which turns a skip into a
//! failure.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tlsim_sim::{Event, Kind};
use tlsim_tls::crypto::pem;
use tlsim_tls::crypto::suites::{Authentication, SUPPORTED_SUITES};

mod external;
use external::tool_or_skip;

#[path = "support/peer.rs"]
mod peer;
use peer::{PATIENCE, Peer, free_port};

fn openssl_or_skip() -> bool {
    tool_or_skip("openssl", &["version"], "openssl")
}

fn gnutls_or_skip() -> bool {
    tool_or_skip("gnutls-cli", &["--version"], "gnutls-bin")
        && tool_or_skip("gnutls-serv", &["--version"], "gnutls-bin")
}

/// A suite by its IANA name, OpenSSL's name, and GnuTLS's priority
/// keywords (key exchange, cipher, MAC).
struct SuiteNames {
    iana: &'static str,
    openssl: &'static str,
    gnutls: (&'static str, &'static str, &'static str),
}

/// Every suite tlsim runs, by the names the peers know it by.
const SUITES: [SuiteNames; 27] = {
    const fn s(
        iana: &'static str,
        openssl: &'static str,
        gnutls: (&'static str, &'static str, &'static str),
    ) -> SuiteNames {
        SuiteNames {
            iana,
            openssl,
            gnutls,
        }
    }
    const EE: &str = "ECDHE-ECDSA";
    const ER: &str = "ECDHE-RSA";
    const RK: &str = "RSA";
    const DR: &str = "DHE-RSA";
    [
        s(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            (EE, "AES-128-GCM", "AEAD"),
        ),
        s(
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
            (ER, "AES-128-GCM", "AEAD"),
        ),
        s(
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            (EE, "AES-256-GCM", "AEAD"),
        ),
        s(
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
            (ER, "AES-256-GCM", "AEAD"),
        ),
        s(
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            (EE, "CHACHA20-POLY1305", "AEAD"),
        ),
        s(
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "ECDHE-RSA-CHACHA20-POLY1305",
            (ER, "CHACHA20-POLY1305", "AEAD"),
        ),
        s(
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
            "ECDHE-ECDSA-AES128-SHA256",
            (EE, "AES-128-CBC", "SHA256"),
        ),
        s(
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            "ECDHE-RSA-AES128-SHA256",
            (ER, "AES-128-CBC", "SHA256"),
        ),
        s(
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
            "ECDHE-ECDSA-AES256-SHA384",
            (EE, "AES-256-CBC", "SHA384"),
        ),
        s(
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
            "ECDHE-RSA-AES256-SHA384",
            (ER, "AES-256-CBC", "SHA384"),
        ),
        s(
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            "ECDHE-ECDSA-AES128-SHA",
            (EE, "AES-128-CBC", "SHA1"),
        ),
        s(
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            "ECDHE-RSA-AES128-SHA",
            (ER, "AES-128-CBC", "SHA1"),
        ),
        s(
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            "ECDHE-ECDSA-AES256-SHA",
            (EE, "AES-256-CBC", "SHA1"),
        ),
        s(
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "ECDHE-RSA-AES256-SHA",
            (ER, "AES-256-CBC", "SHA1"),
        ),
        s(
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            "AES128-SHA",
            (RK, "AES-128-CBC", "SHA1"),
        ),
        s(
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            "AES256-SHA",
            (RK, "AES-256-CBC", "SHA1"),
        ),
        s(
            "TLS_RSA_WITH_AES_128_CBC_SHA256",
            "AES128-SHA256",
            (RK, "AES-128-CBC", "SHA256"),
        ),
        s(
            "TLS_RSA_WITH_AES_256_CBC_SHA256",
            "AES256-SHA256",
            (RK, "AES-256-CBC", "SHA256"),
        ),
        s(
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "AES128-GCM-SHA256",
            (RK, "AES-128-GCM", "AEAD"),
        ),
        s(
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            "AES256-GCM-SHA384",
            (RK, "AES-256-GCM", "AEAD"),
        ),
        s(
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "DHE-RSA-AES128-GCM-SHA256",
            (DR, "AES-128-GCM", "AEAD"),
        ),
        s(
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "DHE-RSA-AES256-GCM-SHA384",
            (DR, "AES-256-GCM", "AEAD"),
        ),
        s(
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
            "DHE-RSA-AES128-SHA",
            (DR, "AES-128-CBC", "SHA1"),
        ),
        s(
            "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
            "DHE-RSA-AES256-SHA",
            (DR, "AES-256-CBC", "SHA1"),
        ),
        s(
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
            "DHE-RSA-AES128-SHA256",
            (DR, "AES-128-CBC", "SHA256"),
        ),
        s(
            "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
            "DHE-RSA-AES256-SHA256",
            (DR, "AES-256-CBC", "SHA256"),
        ),
        s(
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "DHE-RSA-CHACHA20-POLY1305",
            (DR, "CHACHA20-POLY1305", "AEAD"),
        ),
    ]
};

/// A version by tlsim's name, its number, OpenSSL's flag and protocol
/// name, and GnuTLS's keyword.
struct VersionNames {
    tlsim: &'static str,
    number: u16,
    openssl_flag: &'static str,
    openssl: &'static str,
    gnutls: &'static str,
}

const VERSIONS: [VersionNames; 3] = [
    VersionNames {
        tlsim: "TLS 1.0",
        number: 0x0301,
        openssl_flag: "-tls1",
        openssl: "TLSv1",
        gnutls: "TLS1.0",
    },
    VersionNames {
        tlsim: "TLS 1.1",
        number: 0x0302,
        openssl_flag: "-tls1_1",
        openssl: "TLSv1.1",
        gnutls: "TLS1.1",
    },
    VersionNames {
        tlsim: "TLS 1.2",
        number: 0x0303,
        openssl_flag: "-tls1_2",
        openssl: "TLSv1.2",
        gnutls: "TLS1.2",
    },
];

/// A group by tlsim's name, OpenSSL's and GnuTLS's.
const GROUPS: [(&str, &str, &str); 3] = [
    ("secp256r1", "P-256", "SECP256R1"),
    ("secp384r1", "P-384", "SECP384R1"),
    ("x25519", "X25519", "X25519"),
];

/// One handshake of the matrix.
struct Case {
    version: &'static VersionNames,
    suite: &'static SuiteNames,
    group: (&'static str, &'static str, &'static str),
}

impl Case {
    fn ecdsa(&self) -> bool {
        self.suite.iana.contains("_ECDSA_")
    }
}

/// Every suite in every version it runs in (on P-256), and every other
/// group in every version. The other groups go with RSA suites: RFC 8422
/// §5.3 makes the ECDSA certificate's curve (P-256) one of the groups
/// offered, and the two ends may prefer different ones.
fn matrix() -> Vec<Case> {
    assert_eq!(
        SUITES.len(),
        SUPPORTED_SUITES.len(),
        "a suite has no peer names"
    );
    let mut cases = Vec::new();
    // DHE is left out here: OpenSSL's server picks DH parameters of its
    // own unless given the RFC 7919 group, which tlsim's client alone
    // accepts (insufficient_security, RFC 7919 §3); `dhe_cases` runs it.
    for params in SUPPORTED_SUITES
        .iter()
        .filter(|p| !p.name.starts_with("TLS_DHE_"))
    {
        let suite = (SUITES.iter())
            .find(|s| s.iana == params.name)
            .unwrap_or_else(|| panic!("{}: no peer names", params.name));
        for version in VERSIONS
            .iter()
            .filter(|v| params.supports_version(v.number))
        {
            cases.push(Case {
                version,
                suite,
                group: GROUPS[0],
            });
        }
    }
    for version in &VERSIONS {
        let params = (SUPPORTED_SUITES.iter())
            .find(|s| s.authentication == Authentication::Rsa && s.supports_version(version.number))
            .expect("an RSA suite in each version");
        let suite = SUITES.iter().find(|s| s.iana == params.name).unwrap();
        for group in &GROUPS[1..] {
            cases.push(Case {
                version,
                suite,
                group: *group,
            });
        }
    }
    cases
}

/// The test PKI: keys made by OpenSSL, certificates by tlsim from the
/// scenario's `pki` section, written as PEM for the peers.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn file(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }
}

/// The `pki` section every interop scenario shares: an ECDSA and an RSA
/// leaf for `localhost`, valid for decades around the real date.
const PKI: &str = r#"pki: (
        keys: [
            Key(name: "root", kind: P256),
            Key(name: "ec", kind: RsaPem("ec.key")),
            Key(name: "rsa", kind: RsaPem("rsa.key")),
            Key(name: "p384", kind: File("p384.key")),
            Key(name: "ed25519", kind: File("ed25519.key")),
        ],
        certificates: [
            Cert(name: "root", subject: (cn: "tlsim Interop Root", o: "tlsim"), key: "root", ca: true,
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
            Cert(name: "ec", subject: (cn: "localhost", o: "tlsim"), key: "ec", issuer: "root",
                 dns_names: ["localhost"],
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
            Cert(name: "rsa", subject: (cn: "localhost", o: "tlsim"), key: "rsa", issuer: "root",
                 dns_names: ["localhost"],
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
            Cert(name: "p384", subject: (cn: "localhost", o: "tlsim"), key: "p384", issuer: "root",
                 dns_names: ["localhost"],
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
            Cert(name: "ed25519", subject: (cn: "localhost", o: "tlsim"), key: "ed25519", issuer: "root",
                 dns_names: ["localhost"],
                 not_before: "2020-01-01T00:00:00Z", not_after: "2049-12-31T00:00:00Z"),
        ],
    )"#;

fn run_ok(command: &mut Command) -> Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Made once per test binary: OpenSSL keys, tlsim's certificates.
fn pki() -> &'static Pki {
    static PKI_DIR: OnceLock<Pki> = OnceLock::new();
    PKI_DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        run_ok(Command::new("openssl").current_dir(&dir).args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.key",
        ]));
        run_ok(Command::new("openssl").current_dir(&dir).args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.key",
        ]));
        for (out, options) in [
            ("p384.key", ["EC", "ec_paramgen_curve:P-384"]),
            ("ed25519.key", ["ED25519", ""]),
        ] {
            let mut genpkey = Command::new("openssl");
            genpkey
                .current_dir(&dir)
                .args(["genpkey", "-algorithm", options[0], "-out", out]);
            if !options[1].is_empty() {
                genpkey.args(["-pkeyopt", options[1]]);
            }
            run_ok(&mut genpkey);
        }
        let file = dir.join("pki.ron");
        std::fs::write(&file, scenario("pki", "", "", "", "")).unwrap();
        let scenario = tlsim_scenario::load_file(&file).unwrap();
        let built = tlsim_scenario::pki::build(&scenario.pki, scenario.seed, &dir).unwrap();
        for (name, chain) in &built.certs {
            let pem: String = chain
                .iter()
                .map(|der| pem::encode("CERTIFICATE", der))
                .collect();
            std::fs::write(dir.join(format!("{name}.pem")), pem).unwrap();
        }
        Pki { dir }
    })
}

/// A scenario with the shared PKI, in the PKI's folder so that its key
/// files resolve.
fn scenario(name: &str, clients: &str, servers: &str, listen: &str, timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "{name}",
    seed: 7,
    hosts: [Host(name: "client", addr: "10.0.0.1"), Host(name: "server", addr: "10.0.0.2")],
    links: [Link(between: ("client", "server"), conditions: (latency: "1ms"))],
    {PKI},
    tls: (clients: [{clients}], servers: [{servers}]),
    listen: [{listen}],
    timeline: [{timeline}],
)"#
    )
}

fn write_scenario(name: &str, text: String) -> PathBuf {
    let path = pki().dir.join(format!("{name}.ron"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts a server, its input empty, and waits until it listens.
fn start_server(command: &mut Command, port: u16) -> Peer {
    peer::start_server(command, port, Stdio::null())
}

/// A client profile offering exactly `case`.
fn client_profile(name: &str, case: &Case, extra: &str) -> String {
    format!(
        r#"TlsClient(name: "{name}", min_version: "{v}", max_version: "{v}", cipher_suites: ["{s}"],
            groups: ["{g}"], server_name: "localhost", trust: ["root"]{extra})"#,
        v = case.version.tlsim,
        s = case.suite.iana,
        g = case.group.0,
    )
}

/// What `tlsim connect` or `tlsim serve` said and logged.
struct Session {
    /// One line per connection, from standard error.
    lines: Vec<String>,
    events: Vec<Event>,
    /// The key log beside the event log (`NAME.keys`), lowercase.
    keylog: Vec<String>,
}

impl Session {
    fn read(stderr: &[u8], log: &Path) -> Session {
        let text = std::fs::read_to_string(log).unwrap();
        Session {
            keylog: key_log_lines(&log.with_extension("keys")),
            lines: String::from_utf8_lossy(stderr)
                .lines()
                .filter(|l| !l.starts_with("listening on"))
                .map(str::to_string)
                .collect(),
            events: text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        }
    }

    fn events_of(&self, conn: u32) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| e.conn == Some(conn))
    }

    /// The version and suite of connection `conn`'s Server Hello, and the
    /// curve of its Server Key Exchange.
    fn agreed(&self, conn: u32) -> (String, String, String) {
        let hello = self
            .events_of(conn)
            .find(|e| e.title.starts_with("TLS Server Hello"))
            .unwrap_or_else(|| panic!("c{conn}: no Server Hello in the log"));
        let last = |name: &str| {
            (hello.fields.iter())
                .rfind(|f| f.name == name)
                .map(|f| f.value.clone())
                .unwrap_or_default()
        };
        let curve = (self.events_of(conn))
            .flat_map(|e| &e.fields)
            .find(|f| f.name == "Named Curve")
            .map(|f| f.value.clone())
            .unwrap_or_default();
        (last("Version"), last("Cipher Suite"), curve)
    }
}

/// Asserts connection `n` of `session` (its line on standard error) agreed
/// on `case`, sent and received bytes, and closed.
fn assert_connection(session: &Session, n: u32, case: &Case, peer: &str) {
    let line = &session.lines[n as usize - 1];
    let what = format!(
        "{peer}, {} {} {}: {line}",
        case.version.tlsim, case.suite.iana, case.group.0
    );
    assert!(
        line.contains("TLS handshake complete") && line.ends_with("closed"),
        "{what}"
    );
    let count = |label: &str| -> u64 {
        let at = line.find(label).unwrap_or_else(|| panic!("{what}")) + label.len();
        line[at..].split(' ').next().unwrap().parse().unwrap()
    };
    assert!(
        count("sent ") > 0 && count("received ") > 0,
        "no data both ways: {what}"
    );
    let (version, suite, curve) = session.agreed(n);
    assert!(
        version.ends_with(&format!("(0x{:04x})", case.version.number)),
        "{what}: version {version}"
    );
    assert!(suite.starts_with(case.suite.iana), "{what}: suite {suite}");
    // A resumed session has no key exchange; RSA key transport no curve.
    let resumed = session.events_of(n).any(|e| e.title == "Resume session");
    let rsa_transport = case.suite.iana.starts_with("TLS_RSA_");
    // A DHE Server Key Exchange names no group: its prime is checked by
    // tlsim's client against the RFC 7919 groups it offers.
    let dhe = case.suite.iana.starts_with("TLS_DHE_");
    assert!(
        resumed || rsa_transport || dhe || curve.starts_with(case.group.0),
        "{what}: curve {curve}"
    );
}

/// Runs `tlsim connect` with `scenario` against the server on `port`;
/// its key log goes beside the scenario (`NAME.keys`).
fn tlsim_connect(scenario: &Path, port: u16) -> Session {
    let log = scenario.with_extension("jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(["connect", &format!("127.0.0.1:{port}")])
        .arg(scenario)
        .args(["--format", "jsonl", "--timeout", "10s", "--out"])
        .arg(&log)
        .arg("--keylog")
        .arg(scenario.with_extension("keys"))
        .output()
        .unwrap();
    let session = Session::read(&out.stderr, &log);
    assert!(
        out.status.success(),
        "tlsim connect failed:\n{}",
        session.lines.join("\n")
    );
    session
}

/// The matrix as one scenario of connections, one client profile each,
/// every one sending `request`.
fn client_matrix(name: &str, cases: &[Case], request: &str) -> PathBuf {
    client_matrix_with(name, cases, request, "")
}

/// [`client_matrix`] with `extra` added to every profile.
fn client_matrix_with(name: &str, cases: &[Case], request: &str, extra: &str) -> PathBuf {
    let clients: Vec<String> = (cases.iter().enumerate())
        .map(|(i, case)| client_profile(&format!("p{}", i + 1), case, extra))
        .collect();
    let timeline: Vec<String> = (1..=cases.len())
        .map(|i| {
            format!(
                r#"At("0ms", Connect(conn: "c{i}", from: "client", to: "server", port: 443, tls: "p{i}")),
        At("0ms", Send(conn: "c{i}", from: "client", data: Text("{request}"))),"#
            )
        })
        .collect();
    write_scenario(
        name,
        scenario(name, &clients.join(",\n"), "", "", &timeline.join("\n")),
    )
}

/// OpenSSL's `s_server` with both certificates, answering HTTP GETs with
/// a status page (`-www`); `extra` adds options.
fn openssl_server(port: u16, extra: &[&str]) -> Peer {
    let pki = pki();
    start_server(
        Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                &port.to_string(),
                "-www",
                "-naccept",
                "1000",
            ])
            .args(["-cert", &pki.file("ec.pem"), "-key", &pki.file("ec.key")])
            .args([
                "-dcert",
                &pki.file("rsa.pem"),
                "-dkey",
                &pki.file("rsa.key"),
            ])
            // TLS 1.0 and 1.1 sign with SHA-1: only security level 0 allows them.
            .args(["-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1"])
            .args(extra),
        port,
    )
}

#[test]
fn tlsim_client_against_openssl_server() {
    if !openssl_or_skip() {
        return;
    }
    let port = free_port();
    let _server = openssl_server(port, &[]);
    let cases = matrix();
    let file = client_matrix("client-openssl", &cases, r"GET / HTTP/1.0\r\n\r\n");
    let session = tlsim_connect(&file, port);
    assert_eq!(session.lines.len(), cases.len());
    for (n, case) in (1..).zip(&cases) {
        assert_connection(&session, n, case, "openssl s_server");
    }
}

/// A tlsim server that answers every client with `reply`, on the
/// certificate `cert` (`ec` or `rsa`), offering every version, suite and
/// group it runs; `extra` adds to its profile.
fn server_scenario(name: &str, cert: &str, reply: &str, extra: &str) -> PathBuf {
    let suites: Vec<String> = SUITES.iter().map(|s| format!("\"{}\"", s.iana)).collect();
    let server = format!(
        r#"TlsServer(name: "server", min_version: "TLS 1.0", max_version: "TLS 1.2",
            cipher_suites: [{}], groups: ["secp256r1", "secp384r1", "x25519"],
            chain: ["{cert}"], key: "{cert}"{extra})"#,
        suites.join(", ")
    );
    let timeline = format!(
        r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443)),
        At("0ms", Send(conn: "c1", from: "server", data: Text("{reply}"))),"#
    );
    write_scenario(
        name,
        scenario(
            name,
            "",
            &server,
            r#"Listen(host: "server", port: 443, tls: "server")"#,
            &timeline,
        ),
    )
}

/// `tlsim serve` for `count` clients on a free port, and that port.
fn tlsim_serve(scenario: &Path, count: usize) -> (Child, u16) {
    let log = scenario.with_extension("jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(["serve", "127.0.0.1:0"])
        .arg(scenario)
        .args(["--count", &count.to_string()])
        .args(["--format", "jsonl", "--timeout", "10s", "--out"])
        .arg(&log)
        .arg("--keylog")
        .arg(scenario.with_extension("keys"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let stderr = child.stderr.as_mut().unwrap();
    let mut byte = [0u8; 1];
    while !first.ends_with('\n') {
        assert_eq!(
            std::io::Read::read(stderr, &mut byte).unwrap(),
            1,
            "tlsim serve: {first}"
        );
        first.push(byte[0] as char);
    }
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("tlsim serve said {first:?}"));
    (child, port)
}

/// Waits for `tlsim serve` and reads its session.
fn finish_serve(child: Child, scenario: &Path) -> Session {
    let out = child.wait_with_output().unwrap();
    let session = Session::read(&out.stderr, &scenario.with_extension("jsonl"));
    assert!(
        out.status.success(),
        "tlsim serve failed:\n{}",
        session.lines.join("\n")
    );
    session
}

/// Runs a client that reads standard input: writes `send`, waits until its
/// output shows `reply`, then ends its input; returns everything it printed.
fn interactive_client(command: &mut Command, send: &str, reply: &str) -> String {
    let mut client = Console::spawn(command);
    client.write(send);
    client.await_text(reply);
    client.finish()
}

/// The matrix's cases on one certificate: the ECDSA or the RSA one.
fn cases_on(cert: &str) -> Vec<Case> {
    matrix()
        .into_iter()
        .filter(|c| c.ecdsa() == (cert == "ec"))
        .collect()
}

fn openssl_client(port: u16, case: &Case) -> Command {
    let mut command = Command::new("openssl");
    command
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args([
            "-servername",
            "localhost",
            "-CAfile",
            &pki().file("root.pem"),
        ])
        .args([case.version.openssl_flag, "-groups", case.group.1])
        .args(["-cipher", &format!("{}:@SECLEVEL=0", case.suite.openssl)]);
    command
}

#[test]
fn openssl_client_against_tlsim_server() {
    if !openssl_or_skip() {
        return;
    }
    for cert in ["ec", "rsa"] {
        let cases = cases_on(cert);
        let name = format!("server-openssl-{cert}");
        let file = server_scenario(&name, cert, r"hello from tlsim\n", "");
        let (server, port) = tlsim_serve(&file, cases.len());
        for case in &cases {
            let printed = interactive_client(
                &mut openssl_client(port, case),
                "ping\n",
                "hello from tlsim",
            );
            let what = format!(
                "{} {} {}:\n{printed}",
                case.version.tlsim, case.suite.iana, case.group.0
            );
            assert!(printed.contains("hello from tlsim"), "no reply: {what}");
            assert!(
                printed.contains(&format!("Protocol  : {}\n", case.version.openssl)),
                "{what}"
            );
            assert!(
                printed.contains(&format!("Cipher    : {}\n", case.suite.openssl)),
                "{what}"
            );
            assert!(printed.contains("Verify return code: 0 (ok)"), "{what}");
        }
        let session = finish_serve(server, &file);
        for (n, case) in (1..).zip(&cases) {
            assert_connection(&session, n, case, "openssl s_client");
        }
    }
}

#[test]
fn resumption_ems_and_alpn_with_openssl() {
    if !openssl_or_skip() {
        return;
    }
    // tlsim's client resumes with s_server by session ID, with EMS and ALPN.
    let port = free_port();
    let _server = openssl_server(port, &["-alpn", "http/1.1"]);
    let case = &matrix()[0];
    let extra = r#", resume: true, extended_master_secret: true, alpn: ["http/1.1"]"#;
    let file = two_connections("resume-openssl", case, extra);
    let session = tlsim_connect(&file, port);
    for n in 1..=2 {
        assert_connection(&session, n, case, "openssl s_server");
        let has = |title: &str| session.events_of(n).any(|e| e.title == title);
        assert_eq!(
            has("Resume session"),
            n == 2,
            "c{n}: resumed only the second time"
        );
        let field = |name: &str, value: &str| {
            session
                .events_of(n)
                .any(|e| e.fields.iter().any(|f| f.name == name && f.value == value))
        };
        assert!(
            field("Label", "extended master secret") || n == 2,
            "c{n}: EMS"
        );
        assert!(
            field("ALPN Next Protocol", "http/1.1"),
            "c{n}: ALPN in the Server Hello"
        );
    }

    // s_client resumes with tlsim's server by session ID, with EMS and ALPN.
    let file = server_scenario(
        "resume-server-openssl",
        "ec",
        r"hello from tlsim\n",
        r#", session_cache: true, extended_master_secret: true, alpn: ["http/1.1"]"#,
    );
    let (server, port) = tlsim_serve(&file, 2);
    for printed in s_client_resuming(port, case, "openssl.session", &["-alpn", "http/1.1"]) {
        assert!(printed.contains("Extended master secret: yes"), "{printed}");
        assert!(printed.contains("ALPN protocol: http/1.1"), "{printed}");
    }
    let session = finish_serve(server, &file);
    assert!(session.events_of(2).any(|e| e.title == "Resume session"));
}

/// The DHE suites in TLS 1.2 on ffdhe2048 (RFC 7919).
fn dhe_cases() -> Vec<Case> {
    let tls12 = &VERSIONS[2];
    (SUITES.iter())
        .filter(|s| s.iana.starts_with("TLS_DHE_"))
        .map(|suite| Case {
            version: tls12,
            suite,
            group: ("ffdhe2048", "ffdhe2048", "FFDHE2048"),
        })
        .collect()
}

#[test]
fn tlsim_client_dhe_against_openssl_server() {
    if !openssl_or_skip() {
        return;
    }
    // s_server's DH parameters are the RFC 7919 group, the only kind
    // tlsim's client accepts (RFC 7919 §3).
    let port = free_port();
    let _server = openssl_server(port, &["-dhparam", ffdhe2048_params()]);
    let cases = dhe_cases();
    let file = client_matrix("client-openssl-dhe", &cases, r"GET / HTTP/1.0\r\n\r\n");
    let session = tlsim_connect(&file, port);
    assert_eq!(session.lines.len(), cases.len());
    for (n, case) in (1..).zip(&cases) {
        assert_connection(&session, n, case, "openssl s_server");
    }
}

#[test]
fn secure_renegotiation_with_openssl() {
    if !openssl_or_skip() {
        return;
    }
    // tlsim's client renegotiates (RFC 5746) with s_server once connected,
    // then sends its request under the new keys. OpenSSL 3.0 refuses a
    // client's renegotiation unless told otherwise.
    let port = free_port();
    let _server = openssl_server(port, &["-client_renegotiation"]);
    let case = &matrix()[0];
    let client = client_profile("p1", case, "");
    let timeline = r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "p1")),
        At("300ms", Renegotiate(conn: "c1", from: "client")),
        At("600ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),"#;
    let file = write_scenario(
        "renegotiate-openssl",
        scenario("renegotiate-openssl", &client, "", "", timeline),
    );
    let session = tlsim_connect(&file, port);
    assert_connection(&session, 1, case, "openssl s_server");
    let count = |title: &str| session.events_of(1).filter(|e| e.title == title).count();
    assert_eq!(count("TLS renegotiation complete"), 1);
    assert_eq!(count("Master secret"), 2);

    // Without it, s_server's warning no_renegotiation leaves the
    // connection going on.
    let port = free_port();
    let _server = openssl_server(port, &[]);
    let line = &tlsim_connect(&file, port).lines[0];
    assert!(
        line.contains("TLS handshake complete")
            && line.contains("; closed")
            && line.ends_with("alerts received: warning no_renegotiation"),
        "{line}"
    );
}

/// Two `s_client` runs against the tlsim server on `port` with `extra`
/// options, the first saving its session to `file` and the second resuming
/// it; asserts that only the second resumed and returns what each printed.
fn s_client_resuming(port: u16, case: &Case, file: &str, extra: &[&str]) -> Vec<String> {
    let sessions = pki().dir.join(file);
    [(1, "-sess_out"), (2, "-sess_in")]
        .into_iter()
        .map(|(n, reuse)| {
            let mut client = openssl_client(port, case);
            client.args([reuse, sessions.to_str().unwrap()]).args(extra);
            let printed = interactive_client(&mut client, "ping\n", "hello from tlsim");
            let expected = if n == 1 {
                "New, TLSv1.2"
            } else {
                "Reused, TLSv1.2"
            };
            assert!(printed.contains(expected), "s_client c{n}:\n{printed}");
            printed
        })
        .collect()
}

/// A client scenario named `name` of the one client profile `profile`
/// and `timeline`.
fn client_scenario(name: &str, profile: &str, timeline: &str) -> PathBuf {
    write_scenario(name, scenario(name, profile, "", "", timeline))
}

/// Two connections of the profile `p` (offering `case` with `extra`), each
/// sending an HTTP GET.
fn two_connections(name: &str, case: &Case, extra: &str) -> PathBuf {
    let timeline: Vec<String> = (1..=2)
        .map(|i| {
            format!(
                r#"At("0ms", Connect(conn: "c{i}", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "c{i}", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),"#
            )
        })
        .collect();
    client_scenario(
        name,
        &client_profile("p", case, extra),
        &timeline.join("\n"),
    )
}

/// Asserts that the second connection of `session` resumed by the ticket the
/// first one kept (RFC 5077).
fn assert_resumed_by_ticket(session: &Session, case: &Case, peer: &str) {
    for n in 1..=2 {
        assert_connection(session, n, case, peer);
        let has = |title: &str| session.events_of(n).any(|e| e.title == title);
        assert_eq!(
            has("Resume session"),
            n == 2,
            "{peer} c{n}: resumed only the second time"
        );
        assert_eq!(
            has("Present the Session Ticket"),
            n == 2,
            "{peer} c{n}: ticket presented"
        );
    }
    assert!(
        session
            .events_of(1)
            .any(|e| e.title == "Keep the Session Ticket"),
        "{peer}: no ticket issued"
    );
}

#[test]
fn resumption_by_ticket_with_openssl_and_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = &matrix()[0];
    let extra = ", resume: true, session_ticket: true";
    // tlsim's client resumes by ticket with s_server, whose session ID
    // cache is off, so only the ticket can resume.
    let port = free_port();
    let server = openssl_server(port, &["-no_cache"]);
    let file = two_connections("ticket-openssl", case, extra);
    assert_resumed_by_ticket(&tlsim_connect(&file, port), case, "openssl s_server");
    drop(server);
    // And with gnutls-serv, which issues tickets by default.
    let port = free_port();
    let _server = gnutls_server(port, "NORMAL");
    let file = two_connections("ticket-gnutls", case, extra);
    assert_resumed_by_ticket(&tlsim_connect(&file, port), case, "gnutls-serv");

    // s_client resumes by ticket with tlsim's server, which keeps no
    // session cache.
    let file = server_scenario(
        "ticket-server-openssl",
        "ec",
        r"hello from tlsim\n",
        r#", session_cache: false, tickets: (lifetime: "10min")"#,
    );
    let (server, port) = tlsim_serve(&file, 2);
    for printed in s_client_resuming(port, case, "openssl-ticket.session", &[]) {
        assert!(
            printed.contains("TLS session ticket lifetime hint: 600 (seconds)"),
            "{printed}"
        );
    }
    let session = finish_serve(server, &file);
    let opened = session.events_of(2).any(|e| {
        e.title == "Decrypt the Session Ticket"
            && e.fields
                .iter()
                .any(|f| f.name == "Result" && f.value == "valid: resume the session")
    });
    assert!(opened, "tlsim serve did not resume by the ticket");
}

/// A GnuTLS priority string allowing exactly `case`.
fn gnutls_priority(case: &Case) -> String {
    let (kx, cipher, mac) = case.suite.gnutls;
    format!(
        "NONE:+VERS-{}:+{kx}:+{cipher}:+{mac}:+GROUP-{}:+SIGN-ALL:+COMP-NULL:+CTYPE-X509",
        case.version.gnutls, case.group.2
    )
}

/// `gnutls-serv` with both certificates, answering HTTP GETs with a page,
/// on the versions of `priority` and every suite and group tlsim runs.
fn gnutls_server(port: u16, priority: &str) -> Peer {
    start_server(&mut gnutls_serv(port, priority), port)
}

/// The command [`gnutls_server`] starts.
fn gnutls_serv(port: u16, priority: &str) -> Command {
    let pki = pki();
    let mut command = Command::new("gnutls-serv");
    command
        .args([
            "--http",
            "--port",
            &port.to_string(),
            "--disable-client-cert",
        ])
        .args([
            "--x509certfile",
            &pki.file("ec.pem"),
            "--x509keyfile",
            &pki.file("ec.key"),
        ])
        .args([
            "--x509certfile",
            &pki.file("rsa.pem"),
            "--x509keyfile",
            &pki.file("rsa.key"),
        ])
        .arg("--priority")
        .arg(format!(
            "{priority}:+SHA1:+SHA256:+SHA384:+AES-256-CBC:+GROUP-ALL:%VERIFY_ALLOW_SIGN_WITH_SHA1"
        ));
    command
}

#[test]
fn tlsim_client_against_gnutls_server() {
    if !gnutls_or_skip() || !openssl_or_skip() {
        return;
    }
    let port = free_port();
    // gnutls-serv takes the RFC 7919 group that tlsim's client lists in
    // supported_groups for DHE (RFC 7919 §4).
    let _server = gnutls_server(port, "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+DHE-RSA");
    let cases: Vec<Case> = matrix().into_iter().chain(dhe_cases()).collect();
    let file = client_matrix("client-gnutls", &cases, r"GET / HTTP/1.0\r\n\r\n");
    let session = tlsim_connect(&file, port);
    assert_eq!(session.lines.len(), cases.len());
    for (n, case) in (1..).zip(&cases) {
        assert_connection(&session, n, case, "gnutls-serv");
    }
}

#[test]
fn gnutls_client_against_tlsim_server() {
    if !gnutls_or_skip() || !openssl_or_skip() {
        return;
    }
    for cert in ["ec", "rsa"] {
        let cases = cases_on(cert);
        let name = format!("server-gnutls-{cert}");
        let file = server_scenario(&name, cert, r"hello from tlsim\n", "");
        let (server, port) = tlsim_serve(&file, cases.len());
        for case in &cases {
            let mut client = Command::new("gnutls-cli");
            client
                .args([
                    "--port",
                    &port.to_string(),
                    "--x509cafile",
                    &pki().file("root.pem"),
                ])
                .args(["--priority", &gnutls_priority(case), "localhost"]);
            let printed = interactive_client(&mut client, "ping\n", "hello from tlsim");
            let what = format!(
                "{} {} {}:\n{printed}",
                case.version.tlsim, case.suite.iana, case.group.0
            );
            assert!(printed.contains("hello from tlsim"), "no reply: {what}");
            let (_, cipher, _) = case.suite.gnutls;
            // RSA key transport has no group: GnuTLS names the key exchange alone.
            let key_exchange = match case.suite.gnutls.0 {
                "RSA" => "RSA".to_string(),
                _ => format!("ECDHE-{}", case.group.2),
            };
            let description = format!(
                "- Description: ({}-X.509)-({key_exchange})-",
                case.version.gnutls
            );
            assert!(printed.contains(&description), "{what}");
            assert!(printed.contains(&format!("-({cipher})")), "{what}");
            assert!(
                printed.contains("- Status: The certificate is trusted."),
                "{what}"
            );
        }
        let session = finish_serve(server, &file);
        for (n, case) in (1..).zip(&cases) {
            assert_connection(&session, n, case, "gnutls-cli");
        }
    }
}

#[test]
fn curl_fetches_a_page_from_tlsim_server() {
    if !tool_or_skip("curl", &["--version"], "curl") || !openssl_or_skip() {
        return;
    }
    let page = r"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nConnection: close\r\n\r\nhello from tlsim\n";
    let file = server_scenario("server-curl", "ec", page, "");
    let (server, port) = tlsim_serve(&file, 1);
    let out = run_ok(
        Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "20", "--http1.1"])
            .args(["--cacert", &pki().file("root.pem")])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/")),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello from tlsim\n");
    let session = finish_serve(server, &file);
    let line = &session.lines[0];
    assert!(
        line.contains("TLS handshake complete") && line.ends_with("closed"),
        "{line}"
    );
}

/// The section of `docs/real-peers.md` under the heading `title`.
fn documented(title: &str) -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/real-peers.md"))
            .unwrap();
    let start = doc
        .find(&format!("## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let section = &doc[start + 3..];
    section[..section.find("\n## ").unwrap_or(section.len())].to_string()
}

/// Probes the server on `port` with the whole catalogue, and asserts that
/// every probe but those the `section` of the docs lists passes.
fn probe_catalogue(port: u16, peer: &str, section: &str) {
    let catalogue = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/edge");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(["probe", &format!("127.0.0.1:{port}")])
        .arg(&catalogue)
        .args(["--format", "jsonl", "--timeout", "5s"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let probes: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let files = std::fs::read_dir(&catalogue).unwrap().count();
    assert_eq!(probes.len(), files, "one line per probe: {stderr}");
    let verdicts = |v: &str| -> Vec<&str> {
        (probes.iter())
            .filter(|p| p["verdict"] == v)
            .map(|p| p["probe"].as_str().unwrap())
            .collect()
    };
    let (passed, differs) = (verdicts("pass"), verdicts("differs"));
    assert!(passed.len() > files / 2, "most probes pass: {probes:?}");
    let status = out.status.code();
    assert_eq!(
        status,
        Some(if differs.is_empty() { 0 } else { 1 }),
        "{stderr}"
    );
    let documented = documented(section);
    let undocumented: Vec<String> = (differs.iter())
        .filter(|name| !documented.contains(&format!("| `{name}` |")))
        .map(|name| {
            probes
                .iter()
                .find(|p| p["probe"] == *name)
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "{peer} answers these probes differently, and docs/real-peers.md does not say so:\n{}",
        undocumented.join("\n")
    );
}

#[test]
fn edge_catalogue_against_openssl_server_differs_only_where_documented() {
    if !openssl_or_skip() {
        return;
    }
    let port = free_port();
    // TLS 1.2 at most, as tlsim's server: an offer of TLS 1.2 with the
    // fallback SCSV is then no fallback (RFC 7507 §3).
    let _server = openssl_server(port, &["-max_protocol", "TLSv1.2"]);
    probe_catalogue(
        port,
        "OpenSSL",
        "Where OpenSSL's server answers differently",
    );
}

#[test]
fn edge_catalogue_against_gnutls_server_differs_only_where_documented() {
    if !gnutls_or_skip() || !openssl_or_skip() {
        return;
    }
    let port = free_port();
    let _server = gnutls_server(port, "NORMAL:-VERS-TLS1.3:+VERS-TLS1.0:+VERS-TLS1.1");
    probe_catalogue(port, "GnuTLS", "Where GnuTLS's server answers differently");
}

/// The records of a classic pcap file, checked to end on a whole one.
fn pcap_records(bytes: &[u8]) -> usize {
    assert!(bytes.len() >= 24, "no global header");
    let mut at = 24;
    let mut records = 0;
    while at < bytes.len() {
        assert!(
            at + 16 <= bytes.len(),
            "a record header cut short at byte {at}"
        );
        let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
        assert!(at <= bytes.len(), "a record cut short");
        records += 1;
    }
    records
}

#[test]
fn interrupting_serve_leaves_whole_outputs() {
    if !tool_or_skip("curl", &["--version"], "curl") || !openssl_or_skip() {
        return;
    }
    let page = r"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n";
    let file = server_scenario("server-interrupted", "ec", page, "");
    let (pcap, keys) = (file.with_extension("pcap"), file.with_extension("keys"));
    let log = file.with_extension("jsonl");
    let mut server = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(["serve", "127.0.0.1:0"])
        .arg(&file)
        .args([
            "--count",
            "2",
            "--format",
            "jsonl",
            "--timeout",
            "20s",
            "--out",
        ])
        .arg(&log)
        .arg("--pcap")
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keys)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let port = first.trim().rsplit(':').next().unwrap();
    run_ok(
        Command::new("curl")
            .args([
                "--silent",
                "--max-time",
                "20",
                "--cacert",
                &pki().file("root.pem"),
            ])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/")),
    );
    // The first client is served (the log says so as it happens); the
    // second is awaited when Ctrl-C comes.
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("Connection c1 over")
    {
        assert!(Instant::now() < deadline, "c1 never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
    run_ok(Command::new("kill").args(["-INT", &server.id().to_string()]));
    let status = server.wait().unwrap();
    assert!(!status.success(), "tlsim serve ended by SIGINT");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'), "the log ends on a whole event");
    let events: Vec<Event> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events.iter().any(|e| e.title == "TLS handshake complete"));
    let keylog = std::fs::read_to_string(&keys).unwrap();
    assert!(
        keylog.starts_with("CLIENT_RANDOM ") && keylog.ends_with('\n'),
        "{keylog}"
    );
    assert!(
        pcap_records(&std::fs::read(&pcap).unwrap()) >= 5,
        "handshake, data and close"
    );
}

#[test]
fn refuses_a_remote_address_without_allow_remote() {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(["connect", "192.0.2.1:443", "scenarios/tls12-ecdsa.ron"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("192.0.2.1:443 is not a loopback address: give --allow-remote"),
        "{stderr}"
    );
}

#[test]
fn a_silent_server_times_out_and_is_reset() {
    // Accepts, then never answers the Client Hello.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = std::thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args([
            "connect",
            &format!("127.0.0.1:{port}"),
            "scenarios/tls12-ecdsa.ron",
        ])
        .args(["--timeout", "300ms", "--out", "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    drop(silent.join().unwrap());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("TLS handshake unfinished") && stderr.contains("timed out"),
        "{stderr}"
    );
}

#[test]
fn the_pcap_of_a_real_session_decrypts_in_tshark() {
    if !openssl_or_skip() || !tool_or_skip("tshark", &["--version"], "tshark") {
        return;
    }
    let port = free_port();
    let _server = openssl_server(port, &[]);
    let cases = &matrix()[..1];
    let file = client_matrix("pcap-openssl", cases, r"GET / HTTP/1.0\r\n\r\n");
    let (pcap, keys) = (file.with_extension("pcap"), file.with_extension("keys"));
    let out = Command::new(env!("CARGO_BIN_EXE_tlsim"))
        .args(["connect", &format!("127.0.0.1:{port}")])
        .arg(&file)
        .args(["--out", "/dev/null", "--pcap"])
        .arg(&pcap)
        .arg("--keylog")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dissected = run_ok(
        Command::new("tshark")
            .arg("-r")
            .arg(&pcap)
            .args([
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
            ])
            .arg("-o")
            .arg(format!("tls.keylog_file:{}", keys.display()))
            .args(["-d", &format!("tcp.port=={port},tls")])
            .args(["-q", "-z", "follow,tls,ascii,0"]),
    );
    let stream = String::from_utf8_lossy(&dissected.stdout);
    assert!(
        stream.contains("GET / HTTP/1.0") && stream.contains("HTTP/1.0 200 ok"),
        "the request and the response, decrypted:\n{stream}"
    );
}

/// Client certificates with real peers (RFC 5246 §7.4.4–§7.4.8, RFC 8446
/// §4.3.2, §4.4.2–§4.4.3), TLS 1.2 and 1.3: the `ec` certificate, issued
/// by the interop root, is the client's certificate too, and each side
/// trusts the root. tlsim's name of each version, OpenSSL's flag, GnuTLS's
/// keyword and the suite offered.
const MUTUAL_VERSIONS: [(&str, &str, &str, &str); 2] = [
    (
        "TLS 1.2",
        "-tls1_2",
        "TLS1.2",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    ),
    ("TLS 1.3", "-tls1_3", "TLS1.3", "TLS_AES_128_GCM_SHA256"),
];

/// A tlsim server that requires a client certificate under the root and
/// answers every client with `reply`.
fn mutual_server_scenario(name: &str, reply: &str) -> PathBuf {
    let suites: Vec<String> = (MUTUAL_VERSIONS.iter())
        .map(|(.., suite)| format!("\"{suite}\""))
        .collect();
    let server = format!(
        r#"TlsServer(name: "server", min_version: "TLS 1.2", max_version: "TLS 1.3",
            cipher_suites: [{}], groups: ["x25519", "secp256r1"], chain: ["ec"], key: "ec",
            client_auth: Required, client_trust: ["root"])"#,
        suites.join(", ")
    );
    let timeline = format!(
        r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443)),
        At("0ms", Send(conn: "c1", from: "server", data: Text("{reply}"))),"#
    );
    write_scenario(
        name,
        scenario(
            name,
            "",
            &server,
            r#"Listen(host: "server", port: 443, tls: "server")"#,
            &timeline,
        ),
    )
}

/// The value of the field `name` of connection `conn`'s event `title`.
fn field_of(session: &Session, conn: u32, title: &str, name: &str) -> String {
    let event = (session.events_of(conn))
        .find(|e| e.title == title)
        .unwrap_or_else(|| panic!("c{conn}: no {title:?} in the log"));
    (event.fields.iter())
        .find(|f| f.name == name)
        .map(|f| f.value.clone())
        .unwrap_or_else(|| panic!("c{conn}: {title:?} has no {name:?}"))
}

#[test]
fn real_clients_with_certificates_against_a_tlsim_server_that_requires_one() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let pki = pki();
    let file = mutual_server_scenario("server-mutual", r"hello from tlsim\n");
    let (server, port) = tlsim_serve(&file, 2 * MUTUAL_VERSIONS.len());
    let mut peers = Vec::new();
    for (version, openssl_flag, gnutls, _) in MUTUAL_VERSIONS {
        let mut openssl = Command::new("openssl");
        openssl
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(["-servername", "localhost", "-CAfile", &pki.file("root.pem")])
            .args([openssl_flag, "-cert", &pki.file("ec.pem")])
            .args(["-key", &pki.file("ec.key")]);
        let mut gnutls_cli = Command::new("gnutls-cli");
        gnutls_cli
            .args(["--port", &port.to_string()])
            .args(["--x509cafile", &pki.file("root.pem")])
            .args(["--x509certfile", &pki.file("ec.pem")])
            .args(["--x509keyfile", &pki.file("ec.key")])
            .args(["--priority", &format!("NORMAL:-VERS-ALL:+VERS-{gnutls}")])
            .arg("localhost");
        for (peer, command) in [("openssl s_client", openssl), ("gnutls-cli", gnutls_cli)] {
            let mut command = command;
            let printed = interactive_client(&mut command, "ping\n", "hello from tlsim");
            assert!(
                printed.contains("hello from tlsim"),
                "{peer} {version}: no reply:\n{printed}"
            );
            peers.push(format!("{peer} {version}"));
        }
    }
    let session = finish_serve(server, &file);
    for (n, peer) in (1..).zip(&peers) {
        let line = &session.lines[n as usize - 1];
        assert!(line.contains("TLS handshake complete"), "{peer}: {line}");
        let chain = field_of(&session, n, "Verify the client certificate chain", "Result");
        assert_eq!(chain, "trusted", "{peer}");
        let signature = field_of(
            &session,
            n,
            "Verify the client Certificate Verify signature",
            "Result",
        );
        assert_eq!(signature, "valid", "{peer}");
    }
}

#[test]
fn tlsim_client_with_a_certificate_against_servers_that_require_one() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let pki = pki();
    let clients: Vec<String> = (MUTUAL_VERSIONS.iter().enumerate())
        .map(|(i, (version, .., suite))| {
            format!(
                r#"TlsClient(name: "p{}", min_version: "{version}", max_version: "{version}",
            cipher_suites: ["{suite}"], groups: ["x25519", "secp256r1"], server_name: "localhost",
            trust: ["root"], chain: ["ec"], key: "ec")"#,
                i + 1
            )
        })
        .collect();
    let timeline: Vec<String> = (1..=MUTUAL_VERSIONS.len())
        .map(|i| {
            format!(
                r#"At("0ms", Connect(conn: "c{i}", from: "client", to: "server", port: 443, tls: "p{i}")),
        At("0ms", Send(conn: "c{i}", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),"#
            )
        })
        .collect();
    let file = write_scenario(
        "client-mutual",
        scenario(
            "client-mutual",
            &clients.join(",\n"),
            "",
            "",
            &timeline.join("\n"),
        ),
    );
    let openssl_port = free_port();
    let mut openssl = Command::new("openssl");
    openssl
        .args(["s_server", "-accept", &openssl_port.to_string(), "-www"])
        .args(["-naccept", "100", "-Verify", "1", "-verify_return_error"])
        .args(["-CAfile", &pki.file("root.pem")])
        .args(["-cert", &pki.file("ec.pem"), "-key", &pki.file("ec.key")]);
    let gnutls_port = free_port();
    let mut gnutls = Command::new("gnutls-serv");
    gnutls
        .args(["--http", "--port", &gnutls_port.to_string()])
        .args(["--require-client-cert", "--verify-client-cert"])
        .args(["--x509cafile", &pki.file("root.pem")])
        .args(["--x509certfile", &pki.file("ec.pem")])
        .args(["--x509keyfile", &pki.file("ec.key")]);
    for (peer, mut command, port) in [
        ("openssl s_server -Verify 1", openssl, openssl_port),
        ("gnutls-serv --require-client-cert", gnutls, gnutls_port),
    ] {
        let _server = start_server(&mut command, port);
        let session = tlsim_connect(&file, port);
        assert_eq!(session.lines.len(), MUTUAL_VERSIONS.len(), "{peer}");
        for (n, (version, ..)) in (1..).zip(MUTUAL_VERSIONS) {
            let line = &session.lines[n as usize - 1];
            let what = format!("{peer}, {version}: {line}");
            assert!(
                line.contains("TLS handshake complete") && line.contains("received "),
                "{what}"
            );
            let answer = field_of(&session, n, "Answer the Certificate Request", "Answer");
            assert_eq!(
                answer, "its Certificate, then a Certificate Verify",
                "{what}"
            );
            let scheme = field_of(
                &session,
                n,
                "Sign the client Certificate Verify",
                "Signature Algorithm",
            );
            assert_eq!(scheme, "ecdsa_secp256r1_sha256", "{what}");
        }
    }
}

/// The TLS 1.3 CertificateVerify schemes of a P-384 and an Ed25519 leaf
/// (RFC 8446 §4.2.3), by tlsim's name, OpenSSL's `-sigalgs` name, and
/// GnuTLS's priority keyword.
const TLS13_KEY_SCHEMES: [(&str, &str, &str, &str); 2] = [
    (
        "p384",
        "ecdsa_secp384r1_sha384",
        "ecdsa_secp384r1_sha384",
        "SIGN-ECDSA-SECP384R1-SHA384",
    ),
    ("ed25519", "ed25519", "ed25519", "SIGN-EDDSA-ED25519"),
];

/// A tlsim server with the certificate `cert`, TLS 1.3 only, greeting
/// each client.
fn tls13_server_scenario(name: &str, cert: &str) -> PathBuf {
    let server = format!(
        r#"TlsServer(name: "server", min_version: "TLS 1.3", max_version: "TLS 1.3",
            cipher_suites: ["TLS_AES_128_GCM_SHA256"], groups: ["x25519"],
            chain: ["{cert}"], key: "{cert}")"#
    );
    let timeline = r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443)),
        At("0ms", Send(conn: "c1", from: "server", data: Text("hello from tlsim\n"))),"#;
    write_scenario(
        name,
        scenario(
            name,
            "",
            &server,
            r#"Listen(host: "server", port: 443, tls: "server")"#,
            timeline,
        ),
    )
}

/// A tlsim client offering TLS 1.3 and the one signature scheme `scheme`.
fn tls13_client_scenario(name: &str, scheme: &str) -> PathBuf {
    let client = format!(
        r#"TlsClient(name: "p1", min_version: "TLS 1.3", max_version: "TLS 1.3",
            cipher_suites: ["TLS_AES_128_GCM_SHA256"], groups: ["x25519"],
            signature_algorithms: ["{scheme}"], server_name: "localhost", trust: ["root"])"#
    );
    let timeline = r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "p1")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),"#;
    client_scenario(name, &client, timeline)
}

/// Asserts that tlsim's client verified a CertificateVerify made with
/// `scheme` over TLS 1.3.
fn assert_verified_tls13_scheme(session: &Session, scheme: &str, peer: &str) {
    let line = &session.lines[0];
    assert!(
        line.contains("TLS handshake complete") && line.ends_with("closed"),
        "{peer}, {scheme}: {line}"
    );
    let verified = session
        .events_of(1)
        .find(|e| e.title == "Verify the Certificate Verify signature")
        .unwrap_or_else(|| panic!("{peer}, {scheme}: no CertificateVerify check"));
    assert!(
        verified
            .field_value("Signature Scheme")
            .is_some_and(|v| v.starts_with(scheme)),
        "{peer}: {verified:?}"
    );
    assert_eq!(verified.field_value("Result"), Some("valid"), "{peer}");
}

/// tlsim's client against the peer's server (`server` on a port), then
/// the peer's client (`client` to a port) against tlsim's server, both on
/// the leaf `cert` signing with `scheme`; the peer's client must print
/// each of `printed`.
fn tls13_certificate_both_ways(
    (cert, scheme): (&str, &str),
    peer: &str,
    server: impl Fn(u16) -> Command,
    client: impl Fn(u16) -> Command,
    printed: &[String],
) {
    let port = free_port();
    let peer_server = start_server(&mut server(port), port);
    let file = tls13_client_scenario(&format!("client-{peer}-{cert}"), scheme);
    assert_verified_tls13_scheme(&tlsim_connect(&file, port), scheme, peer);
    drop(peer_server);
    let file = tls13_server_scenario(&format!("server-{peer}-{cert}"), cert);
    let (tlsim_server, port) = tlsim_serve(&file, 1);
    let output = interactive_client(&mut client(port), "ping\n", "hello from tlsim");
    for expected in printed
        .iter()
        .map(String::as_str)
        .chain(["hello from tlsim"])
    {
        assert!(output.contains(expected), "{peer}, {cert}: {output}");
    }
    let session = finish_serve(tlsim_server, &file);
    assert!(
        session.lines[0].contains("TLS handshake complete"),
        "{peer}, {cert}: {}",
        session.lines[0]
    );
}

#[test]
fn tls13_p384_and_ed25519_certificates_with_openssl() {
    if !openssl_or_skip() {
        return;
    }
    for (cert, scheme, sigalg, _) in TLS13_KEY_SCHEMES {
        tls13_certificate_both_ways(
            (cert, scheme),
            "openssl",
            |port| {
                let mut server = Command::new("openssl");
                server
                    .args(["s_server", "-accept", &port.to_string(), "-www"])
                    .args(["-cert", &pki().file(&format!("{cert}.pem"))])
                    .args(["-key", &pki().file(&format!("{cert}.key"))])
                    .args(["-tls1_3", "-sigalgs", sigalg]);
                server
            },
            |port| {
                let mut client = Command::new("openssl");
                client
                    .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
                    .args(["-servername", "localhost"])
                    .args(["-CAfile", &pki().file("root.pem")])
                    .arg("-tls1_3");
                client
            },
            &[
                "New, TLSv1.3, Cipher is ".to_string(),
                "Verify return code: 0 (ok)".to_string(),
            ],
        );
    }
}

#[test]
fn tls13_p384_and_ed25519_certificates_with_gnutls() {
    if !gnutls_or_skip() || !openssl_or_skip() {
        return;
    }
    for (cert, scheme, _, sign) in TLS13_KEY_SCHEMES {
        let priority = format!(
            "NONE:+VERS-TLS1.3:+AES-128-GCM:+AEAD:+GROUP-X25519:+{sign}:+COMP-NULL:+CTYPE-X509"
        );
        tls13_certificate_both_ways(
            (cert, scheme),
            "gnutls",
            |port| {
                let mut server = Command::new("gnutls-serv");
                server
                    .args(["--http", "--port", &port.to_string()])
                    .arg("--disable-client-cert")
                    .args(["--x509certfile", &pki().file(&format!("{cert}.pem"))])
                    .args(["--x509keyfile", &pki().file(&format!("{cert}.key"))])
                    .args(["--priority", &priority]);
                server
            },
            |port| {
                let mut client = Command::new("gnutls-cli");
                client
                    .args(["--port", &port.to_string()])
                    .args(["--x509cafile", &pki().file("root.pem")])
                    .args(["--priority", &priority, "localhost"]);
                client
            },
            &[
                "- Description: (TLS1.3-X.509)".to_string(),
                "- Status: The certificate is trusted.".to_string(),
            ],
        );
    }
}

// Renegotiation begun by the real peer, in both roles.

/// A peer driven through its standard input, whose standard output and
/// error arrive as lines in the order it printed them; killed when dropped.
struct Console {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    printed: String,
    /// How much of `printed` a `wait_for` has matched.
    matched: usize,
}

impl Console {
    fn spawn(command: &mut Command) -> Console {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, lines) = mpsc::channel();
        let streams: [Box<dyn std::io::Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for stream in streams {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Console {
            stdin: child.stdin.take(),
            child,
            lines,
            printed: String::new(),
            matched: 0,
        }
    }

    fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("the peer's input is open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits until the peer prints `text` after what the last wait matched.
    #[track_caller]
    fn wait_for(&mut self, text: &str) {
        if !self.await_text(text) {
            panic!("never printed {text:?}; printed:\n{}", self.printed);
        }
    }

    /// Reads the peer's output until it shows `text` after what the last
    /// wait matched, or for the patience; whether it came.
    fn await_text(&mut self, text: &str) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(at) = self.printed[self.matched..].find(text) {
                self.matched += at + text.len();
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                return false;
            };
            self.printed += &line;
            self.printed.push('\n');
        }
    }

    /// Ends the peer's input, waits for it to exit and returns everything
    /// it printed.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + PATIENCE;
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the peer did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Both readers end at end of file, and the channel with them.
        self.printed.extend(self.lines.iter().map(|l| l + "\n"));
        std::mem::take(&mut self.printed)
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The master secrets of the `CLIENT_RANDOM` lines of a peer's key log.
fn peer_master_secrets(keylog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(keylog).unwrap_or_default();
    (text.lines())
        .filter(|l| l.starts_with("CLIENT_RANDOM "))
        .filter_map(|l| l.rsplit(' ').next())
        .map(str::to_lowercase)
        .collect()
}

/// Asserts that connection `n` ran one renegotiation begun by `initiator`
/// that completed, that data crossed both ways after it, and that the
/// peer's key log holds the master secret of both handshakes.
fn assert_renegotiated(session: &Session, n: u32, initiator: &str, keylog: &Path, peer: &str) {
    let events: Vec<&Event> = session.events_of(n).collect();
    let what = format!("{peer} c{n}: {}", session.lines[n as usize - 1]);
    let begun: Vec<&Event> = (events.iter().copied())
        .filter(|e| e.title == "Begin renegotiation")
        .collect();
    assert_eq!(begun.len(), 1, "{what}");
    assert!(
        (begun[0].fields.iter()).any(|f| f.name == "Initiator" && f.value == initiator),
        "{what}: begun by {initiator}"
    );
    let complete = (events.iter())
        .position(|e| e.title == "TLS renegotiation complete")
        .unwrap_or_else(|| panic!("{what}: the renegotiation never completed"));
    for kind in [Kind::Send, Kind::Recv] {
        assert!(
            events[complete..]
                .iter()
                .any(|e| e.kind == kind && e.title.contains("Application Data")),
            "{what}: no data {kind:?} after the renegotiation"
        );
    }
    let ours: Vec<String> = (events.iter())
        .filter(|e| e.title == "Master secret")
        .flat_map(|e| &e.fields)
        .filter(|f| f.name == "Master Secret")
        .map(|f| f.value.clone())
        .collect();
    assert_eq!(ours.len(), 2, "{what}: two master secrets");
    let theirs = peer_master_secrets(keylog);
    assert!(
        ours.iter().all(|m| theirs.contains(m)),
        "{what}: the peer's key log lacks a master secret: {ours:?} / {theirs:?}"
    );
}

/// A tlsim client scenario of one connection on `case` whose end takes
/// part in renegotiation by `policy`, and the timeline `steps` after
/// connecting.
fn renegotiating_client(name: &str, case: &Case, policy: &str, steps: &str) -> PathBuf {
    let client = client_profile("p1", case, &format!(", renegotiation: {policy}"));
    let timeline = format!(
        r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "p1")),
        {steps}"#
    );
    client_scenario(name, &client, &timeline)
}

/// A tlsim server scenario on `case` whose end takes part in renegotiation
/// by `policy`: after `steps` it greets the client at 1.5 s, once any
/// renegotiation is over.
fn renegotiating_server(name: &str, case: &Case, policy: &str, steps: &str) -> PathBuf {
    let server = format!(
        r#"TlsServer(name: "server", min_version: "TLS 1.2", cipher_suites: ["{}"],
            groups: ["{}"], chain: ["ec"], key: "ec", renegotiation: {policy})"#,
        case.suite.iana, case.group.0
    );
    let timeline = format!(
        r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443)),
        {steps}
        At("1500ms", Send(conn: "c1", from: "server", data: Text("again from tlsim\n"))),"#
    );
    let listen = r#"Listen(host: "server", port: 443, tls: "server")"#;
    write_scenario(name, scenario(name, "", &server, listen, &timeline))
}

/// `openssl s_server` reading commands from its standard input (no
/// `-www`), writing its key log to `keylog`.
fn openssl_console_server(port: u16, keylog: &Path) -> Console {
    let pki = pki();
    let mut server = Console::spawn(
        Command::new("openssl")
            .args(["s_server", "-accept", &port.to_string()])
            .args(["-cert", &pki.file("ec.pem"), "-key", &pki.file("ec.key")])
            .args(["-cipher", "ALL:@SECLEVEL=0", "-keylogfile"])
            .arg(keylog),
    );
    server.wait_for("ACCEPT");
    server
}

/// Runs `tlsim connect` with `scenario` on a thread of its own.
fn tlsim_connect_in_background(scenario: PathBuf, port: u16) -> std::thread::JoinHandle<Session> {
    std::thread::spawn(move || tlsim_connect(&scenario, port))
}

#[test]
fn openssl_s_server_asks_tlsim_client_to_renegotiate() {
    if !openssl_or_skip() {
        return;
    }
    let case = &matrix()[0];
    // s_server's command `R` sends a Hello Request once the client has
    // spoken; tlsim's client writes again after it, and s_server answers.
    let keylog = pki().dir.join("s_server-renegotiates.keys");
    let port = free_port();
    let mut server = openssl_console_server(port, &keylog);
    let file = renegotiating_client(
        "s_server-renegotiates",
        case,
        "Accept",
        r#"At("0ms", Send(conn: "c1", from: "client", data: Text("before\n"))),
        At("1500ms", Send(conn: "c1", from: "client", data: Text("after\n"))),"#,
    );
    let client = tlsim_connect_in_background(file, port);
    server.wait_for("before");
    server.write("R\n");
    server.wait_for("after");
    server.write("reply\n");
    server.finish();
    let session = client.join().unwrap();
    assert_connection(&session, 1, case, "openssl s_server");
    assert_renegotiated(&session, 1, "server", &keylog, "openssl s_server");
}

#[test]
fn openssl_s_client_renegotiates_with_tlsim_server() {
    if !openssl_or_skip() {
        return;
    }
    let case = &matrix()[0];
    // s_client's command `R` sends a new Client Hello; its next line goes
    // under the new keys, and so does the server's second greeting.
    let file = renegotiating_server(
        "s_client-renegotiates",
        case,
        "Accept",
        r#"At("0ms", Send(conn: "c1", from: "server", data: Text("hello from tlsim\n"))),"#,
    );
    let (server, port) = tlsim_serve(&file, 1);
    let keylog = pki().dir.join("s_client-renegotiates.keys");
    let mut client = openssl_client(port, case);
    client.arg("-keylogfile").arg(&keylog);
    let mut client = Console::spawn(&mut client);
    // s_client reads its input once connected: a line written earlier
    // would come with the command in one read, and hide it.
    client.wait_for("hello from tlsim");
    client.write("R\n");
    client.wait_for("RENEGOTIATING");
    client.write("after\n");
    client.wait_for("again from tlsim");
    client.finish();
    let session = finish_serve(server, &file);
    assert_connection(&session, 1, case, "openssl s_client");
    assert_renegotiated(&session, 1, "client", &keylog, "openssl s_client");
}

/// `gnutls-serv` echoing what it reads (`--echo`): a line
/// `**REHANDSHAKE**` makes it send a Hello Request. Its key log goes to
/// `keylog`.
fn gnutls_echo_server(port: u16, keylog: &Path) -> Console {
    let pki = pki();
    let mut server = Console::spawn(
        Command::new("gnutls-serv")
            .env("SSLKEYLOGFILE", keylog)
            .args([
                "--echo",
                "--port",
                &port.to_string(),
                "--disable-client-cert",
            ])
            .args([
                "--x509certfile",
                &pki.file("ec.pem"),
                "--x509keyfile",
                &pki.file("ec.key"),
            ]),
    );
    server.wait_for("listening");
    server
}

#[test]
fn gnutls_server_renegotiates_with_tlsim_client() {
    if !gnutls_or_skip() || !openssl_or_skip() {
        return;
    }
    let case = &matrix()[0];
    let keylog = pki().dir.join("gnutls-serv-renegotiates.keys");
    let port = free_port();
    let server = gnutls_echo_server(port, &keylog);
    // c1 asks gnutls-serv for a Hello Request and accepts it; c2
    // renegotiates itself; each then writes a line that comes back. c3
    // refuses the Hello Request.
    let profiles = [("p1", "Accept"), ("p2", "Accept"), ("p3", "Refuse")]
        .map(|(name, policy)| client_profile(name, case, &format!(", renegotiation: {policy}")));
    let mut timeline = String::new();
    for i in 1..=3 {
        timeline += &format!(
            r#"At("0ms", Connect(conn: "c{i}", from: "client", to: "server", port: 443, tls: "p{i}")),"#
        );
    }
    timeline += r#"At("0ms", Send(conn: "c1", from: "client", data: Text("**REHANDSHAKE**\n"))),
        At("0ms", Send(conn: "c3", from: "client", data: Text("**REHANDSHAKE**\n"))),
        At("300ms", Renegotiate(conn: "c2", from: "client")),"#;
    for (at, step) in [
        (
            "1000ms",
            r#"Send(conn: "c{}", from: "client", data: Text("after\n"))"#,
        ),
        ("2000ms", r#"Close(conn: "c{}", from: "client")"#),
    ] {
        for i in 1..=3 {
            timeline += &format!(r#"At("{at}", {}),"#, step.replace("{}", &i.to_string()));
        }
    }
    let name = "gnutls-serv-renegotiates";
    let text = scenario(name, &profiles.join(",\n"), "", "", &timeline);
    let session = tlsim_connect(&write_scenario(name, text), port);
    drop(server);
    for n in 1..=2 {
        assert_connection(&session, n, case, "gnutls-serv");
    }
    assert_renegotiated(&session, 1, "server", &keylog, "gnutls-serv");
    assert_renegotiated(&session, 2, "client", &keylog, "gnutls-serv");
    // gnutls-serv closes the connection when its Hello Request is refused.
    let refused = &session.lines[2];
    assert!(
        refused.contains("TLS handshake complete")
            && refused.ends_with("; closed; alerts sent: warning no_renegotiation"),
        "{refused}"
    );
}

#[test]
fn gnutls_client_renegotiates_with_tlsim_server() {
    if !gnutls_or_skip() || !openssl_or_skip() {
        return;
    }
    let case = &matrix()[0];
    // `--rehandshake` has gnutls-cli renegotiate as soon as it is
    // connected; without it, tlsim's Hello Request at 500 ms asks it to.
    // GnuTLS 3.7 takes no application data while it renegotiates (it
    // fails with "Application data were received, while expecting
    // handshake data"), so tlsim writes only once it is over.
    for (name, policy, option, steps, done) in [
        (
            "gnutls-cli-renegotiates",
            "Accept",
            Some("--rehandshake"),
            "",
            "ReHandshake was completed",
        ),
        (
            "gnutls-cli-asked-to-renegotiate",
            "Refuse",
            None,
            r#"At("500ms", Renegotiate(conn: "c1", from: "server")),"#,
            "Rehandshake was performed",
        ),
    ] {
        let file = renegotiating_server(name, case, policy, steps);
        let (server, port) = tlsim_serve(&file, 1);
        let keylog = pki().dir.join(format!("{name}.keys"));
        let mut client = Command::new("gnutls-cli");
        client
            .env("SSLKEYLOGFILE", &keylog)
            .args([
                "--port",
                &port.to_string(),
                "--x509cafile",
                &pki().file("root.pem"),
            ])
            .args(["--priority", &gnutls_priority(case), "localhost"])
            .args(option);
        let mut client = Console::spawn(&mut client);
        client.wait_for(done);
        client.write("after\n");
        client.wait_for("again from tlsim");
        client.finish();
        let session = finish_serve(server, &file);
        assert_connection(&session, 1, case, "gnutls-cli");
        let initiator = if option.is_some() { "client" } else { "server" };
        assert_renegotiated(&session, 1, initiator, &keylog, "gnutls-cli");
    }
}

// DHE with tlsim as server and against gnutls-serv; encrypt_then_mac both
// ways.

/// A tlsim server on the RSA certificate offering `cases`' suites on the
/// curves and ffdhe2048, answering each client with a greeting; `extra`
/// adds to its profile.
fn rsa_server(name: &str, cases: &[Case], extra: &str) -> PathBuf {
    let suites: Vec<String> = (cases.iter())
        .map(|c| format!("\"{}\"", c.suite.iana))
        .collect();
    let server = format!(
        r#"TlsServer(name: "server", min_version: "TLS 1.0", cipher_suites: [{}],
            groups: ["ffdhe2048", "secp256r1", "secp384r1", "x25519"],
            chain: ["rsa"], key: "rsa"{extra})"#,
        suites.join(", ")
    );
    let timeline = r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443)),
        At("0ms", Send(conn: "c1", from: "server", data: Text("hello from tlsim\n"))),"#;
    let listen = r#"Listen(host: "server", port: 443, tls: "server")"#;
    write_scenario(name, scenario(name, "", &server, listen, timeline))
}

fn gnutls_client(port: u16, priority: &str) -> Command {
    let mut client = Command::new("gnutls-cli");
    client
        .args(["--port", &port.to_string()])
        .args(["--x509cafile", &pki().file("root.pem")])
        .args(["--priority", priority, "localhost"]);
    client
}

#[test]
fn real_clients_run_dhe_with_tlsim_server() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let cases = dhe_cases();
    let file = rsa_server("server-dhe", &cases, "");
    let (server, port) = tlsim_serve(&file, 2 * cases.len());
    for case in &cases {
        let what = case.suite.iana;
        let printed = interactive_client(
            &mut openssl_client(port, case),
            "ping\n",
            "hello from tlsim",
        );
        assert!(
            printed.contains(&format!("Cipher    : {}\n", case.suite.openssl))
                && printed.contains("Server Temp Key: DH, 2048 bits"),
            "s_client {what}:\n{printed}"
        );
        let printed = interactive_client(
            &mut gnutls_client(port, &gnutls_priority(case)),
            "ping\n",
            "hello from tlsim",
        );
        let (_, cipher, _) = case.suite.gnutls;
        assert!(
            printed.contains("-(DHE-FFDHE2048)-") && printed.contains(&format!("-({cipher})")),
            "gnutls-cli {what}:\n{printed}"
        );
    }
    let session = finish_serve(server, &file);
    for (n, case) in (1..).zip(cases.iter().flat_map(|c| [c, c])) {
        assert_connection(&session, n, case, "s_client and gnutls-cli");
    }
}

/// A file of the RFC 7919 group ffdhe2048 as DH parameters, made once:
/// s_server's DH parameters must be it, the only kind tlsim's client
/// accepts (RFC 7919 §3).
fn ffdhe2048_params() -> &'static str {
    static FILE: OnceLock<String> = OnceLock::new();
    FILE.get_or_init(|| {
        let file = pki().file("ffdhe2048.pem");
        run_ok(Command::new("openssl").args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
            "-out",
            &file,
        ]));
        file
    })
}

/// One CBC suite of each key exchange, in the oldest version it runs in:
/// encrypt_then_mac (RFC 7366) applies to every one of them.
fn etm_cases() -> Vec<Case> {
    let find = |iana: &str, version: usize| Case {
        version: &VERSIONS[version],
        suite: SUITES.iter().find(|s| s.iana == iana).unwrap(),
        group: GROUPS[0],
    };
    vec![
        find("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0),
        find("TLS_RSA_WITH_AES_256_CBC_SHA256", 2),
        Case {
            group: ("ffdhe2048", "ffdhe2048", "FFDHE2048"),
            ..find("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 1)
        },
    ]
}

/// Whether connection `n`'s Server Hello carried encrypt_then_mac.
fn etm_negotiated(session: &Session, n: u32) -> bool {
    (session.events_of(n))
        .filter(|e| e.title.starts_with("TLS Server Hello"))
        .flat_map(|e| &e.fields)
        .any(|f| f.name == "Extension" && f.value.starts_with("encrypt_then_mac"))
}

#[test]
fn encrypt_then_mac_with_real_servers() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    // OpenSSL and GnuTLS negotiate encrypt_then_mac for CBC suites by
    // default; `-no_etm` and `%NO_ETM` turn it off.
    let cases = etm_cases();
    let file = client_matrix_with(
        "client-etm",
        &cases,
        r"GET / HTTP/1.0\r\n\r\n",
        ", encrypt_then_mac: true",
    );
    for (peer, etm) in [
        ("openssl s_server", true),
        ("openssl s_server -no_etm", false),
        ("gnutls-serv", true),
        ("gnutls-serv %NO_ETM", false),
    ] {
        let port = free_port();
        let no_etm = if etm { "" } else { ":%NO_ETM" };
        let mut options = vec!["-dhparam", ffdhe2048_params()];
        if !etm {
            options.push("-no_etm");
        }
        let _server = match peer.starts_with("openssl") {
            true => openssl_server(port, &options),
            false => gnutls_server(
                port,
                &format!("NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+DHE-RSA{no_etm}"),
            ),
        };
        let session = tlsim_connect(&file, port);
        for (n, case) in (1..).zip(&cases) {
            assert_connection(&session, n, case, peer);
            assert_eq!(
                etm_negotiated(&session, n),
                etm,
                "{peer} {}",
                case.suite.iana
            );
        }
    }
}

#[test]
fn encrypt_then_mac_with_real_clients() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let cases = etm_cases();
    let file = rsa_server("server-etm", &cases, ", encrypt_then_mac: true");
    let (server, port) = tlsim_serve(&file, 4 * cases.len());
    // Each case from s_client and gnutls-cli, with encrypt_then_mac
    // offered (their default) and without.
    let mut expected = Vec::new();
    for case in &cases {
        for etm in [true, false] {
            let mut s_client = openssl_client(port, case);
            if !etm {
                s_client.arg("-no_etm");
            }
            let no_etm = if etm { "" } else { ":%NO_ETM" };
            let mut gnutls_cli = gnutls_client(port, &format!("{}{no_etm}", gnutls_priority(case)));
            for (peer, client) in [("s_client", &mut s_client), ("gnutls-cli", &mut gnutls_cli)] {
                let printed = interactive_client(client, "ping\n", "hello from tlsim");
                assert!(
                    printed.contains("hello from tlsim"),
                    "{peer} {}:\n{printed}",
                    case.suite.iana
                );
                expected.push((case, etm, peer));
            }
        }
    }
    let session = finish_serve(server, &file);
    for (n, (case, etm, peer)) in (1..).zip(expected) {
        assert_connection(&session, n, case, peer);
        assert_eq!(
            etm_negotiated(&session, n),
            etm,
            "{peer} {}",
            case.suite.iana
        );
    }
}

/// TLS 1.3 by tlsim's name, its number, OpenSSL's flag and protocol name,
/// and GnuTLS's keyword.
const TLS13: VersionNames = VersionNames {
    tlsim: "TLS 1.3",
    number: 0x0304,
    openssl_flag: "-tls1_3",
    openssl: "TLSv1.3",
    gnutls: "TLS1.3",
};

/// The TLS 1.3 suites (RFC 8446 §B.4): a cipher and a hash, no key
/// exchange, so GnuTLS's keywords are the cipher and `AEAD`.
const TLS13_SUITES: [SuiteNames; 3] = [
    SuiteNames {
        iana: "TLS_AES_128_GCM_SHA256",
        openssl: "TLS_AES_128_GCM_SHA256",
        gnutls: ("", "AES-128-GCM", "AEAD"),
    },
    SuiteNames {
        iana: "TLS_AES_256_GCM_SHA384",
        openssl: "TLS_AES_256_GCM_SHA384",
        gnutls: ("", "AES-256-GCM", "AEAD"),
    },
    SuiteNames {
        iana: "TLS_CHACHA20_POLY1305_SHA256",
        openssl: "TLS_CHACHA20_POLY1305_SHA256",
        gnutls: ("", "CHACHA20-POLY1305", "AEAD"),
    },
];

/// Each TLS 1.3 suite on x25519, and the first on each other group: in
/// TLS 1.3 the suite and the group are chosen apart (RFC 8446 §4.1.1).
fn tls13_cases() -> Vec<Case> {
    let (all, x25519): (&'static [SuiteNames; 3], _) = (&TLS13_SUITES, GROUPS[2]);
    let suites = all.iter().map(|suite| (suite, x25519));
    let groups = GROUPS[..2].iter().map(|group| (&all[0], *group));
    suites
        .chain(groups)
        .map(|(suite, group)| Case {
            version: &TLS13,
            suite,
            group,
        })
        .collect()
}

/// Runs `tlsim connect` with `scenario` against `s_server` with
/// `openssl_extra`, then against the `gnutls-serv` that `gnutls` starts on
/// a port; each session with its peer's name.
fn connect_to_both(
    scenario: &Path,
    openssl_extra: &[&str],
    gnutls: impl FnOnce(u16) -> Peer,
) -> [(&'static str, Session); 2] {
    let port = free_port();
    let openssl = openssl_server(port, openssl_extra);
    let openssl_session = tlsim_connect(scenario, port);
    drop(openssl);
    let port = free_port();
    let _gnutls = gnutls(port);
    [
        ("openssl s_server", openssl_session),
        ("gnutls-serv", tlsim_connect(scenario, port)),
    ]
}

/// TLS_AES_128_GCM_SHA256 on `group`.
fn tls13_case(group: (&'static str, &'static str, &'static str)) -> Case {
    let suites: &'static [SuiteNames; 3] = &TLS13_SUITES;
    Case {
        version: &TLS13,
        suite: &suites[0],
        group,
    }
}

/// Asserts that connection `n` of `session` completed a TLS 1.3
/// handshake on `case`'s suite and group, carried data both ways and
/// closed; returns its "Resumed" field.
fn assert_tls13_connection(session: &Session, n: u32, case: &Case, peer: &str) -> String {
    let what = assert_tls13_suite_and_data(session, n, case, peer);
    // The group the shares met on: the client's shared secret, or the
    // server's choice.
    let group = (session.events_of(n))
        .find_map(|e| match &*e.title {
            "Client: Shared Secret" => e.field_value("Group"),
            title if title.starts_with("Compare the client crypto parameters") => {
                e.field_value("Key Share Group")
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{what}: no key share group"));
    assert_eq!(group, case.group.0, "{what}");
    field_of(session, n, "TLS handshake complete", "Resumed")
}

/// Asserts that connection `n` of `session` completed a TLS 1.3
/// handshake on `case`'s suite, carried data both ways and closed;
/// returns what to say of it.
fn assert_tls13_suite_and_data(session: &Session, n: u32, case: &Case, peer: &str) -> String {
    let line = &session.lines[n as usize - 1];
    let what = format!(
        "{peer}, TLS 1.3 {} {}: {line}",
        case.suite.iana, case.group.0
    );
    let bytes = |label: &str| {
        (line.split(label).nth(1))
            .and_then(|rest| rest.split(' ').next())
            .and_then(|count| count.parse::<u64>().ok())
    };
    assert!(
        line.contains("TLS handshake complete") && line.ends_with("closed"),
        "{what}"
    );
    assert!(
        bytes("sent ") > Some(0) && bytes("received ") > Some(0),
        "no data both ways: {what}"
    );
    let complete = |name: &str| field_of(session, n, "TLS handshake complete", name);
    assert_eq!(complete("Version"), "TLS 1.3 (0x0304)", "{what}");
    assert!(
        complete("Cipher Suite").starts_with(case.suite.iana),
        "{what}"
    );
    what
}

/// The server's step that sends `text` at `at` after the connection.
fn server_sends(at: &str, text: &str) -> String {
    format!(r#"At("{at}", Send(conn: "c1", from: "server", data: Text("{text}"))),"#)
}

/// A tlsim server speaking only TLS 1.3, every suite, on `groups`, with
/// the ECDSA certificate; `extra` adds to its profile. Its timeline steps
/// for each client are `steps`.
fn tls13_serving(name: &str, groups: &str, extra: &str, steps: &str) -> PathBuf {
    let suites: Vec<String> = (TLS13_SUITES.iter())
        .map(|s| format!("\"{}\"", s.iana))
        .collect();
    let server = format!(
        r#"TlsServer(name: "server", min_version: "TLS 1.3", max_version: "TLS 1.3",
            cipher_suites: [{}], groups: [{groups}], chain: ["ec"], key: "ec"{extra})"#,
        suites.join(", ")
    );
    let timeline = format!(
        r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443)),
        {steps}"#
    );
    write_scenario(
        name,
        scenario(
            name,
            "",
            &server,
            r#"Listen(host: "server", port: 443, tls: "server")"#,
            &timeline,
        ),
    )
}

/// `s_client` offering TLS 1.3 alone, trusting the interop root.
fn tls13_s_client(port: u16) -> Command {
    let mut command = Command::new("openssl");
    command
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost", "-tls1_3"])
        .args(["-CAfile", &pki().file("root.pem")]);
    command
}

/// `gnutls-cli` with `priority`, trusting the interop root.
fn tls13_gnutls_cli(port: u16, priority: &str) -> Command {
    let mut command = Command::new("gnutls-cli");
    command
        .args(["--port", &port.to_string()])
        .args(["--x509cafile", &pki().file("root.pem")])
        .args(["--priority", priority, "localhost"]);
    command
}

/// A GnuTLS priority string allowing TLS 1.3 with `case`'s suite and
/// group alone.
fn tls13_gnutls_priority(case: &Case) -> String {
    let (_, cipher, _) = case.suite.gnutls;
    format!(
        "NONE:+VERS-TLS1.3:+{cipher}:+AEAD:+GROUP-{}:+SIGN-ALL:+COMP-NULL:+CTYPE-X509",
        case.group.2
    )
}

/// `gnutls-serv` with the ECDSA certificate and `priority` as given.
fn tls13_gnutls_server(port: u16, priority: &str) -> Peer {
    let pki = pki();
    start_server(
        Command::new("gnutls-serv")
            .args([
                "--http",
                "--port",
                &port.to_string(),
                "--disable-client-cert",
            ])
            .args(["--x509certfile", &pki.file("ec.pem")])
            .args(["--x509keyfile", &pki.file("ec.key")])
            .args(["--priority", priority]),
        port,
    )
}

#[test]
fn tls13_suites_and_groups_tlsim_client_against_openssl_and_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let cases = tls13_cases();
    let file = client_matrix("client-tls13", &cases, r"GET / HTTP/1.0\r\n\r\n");
    for (peer, session) in connect_to_both(&file, &[], |port| gnutls_server(port, "NORMAL")) {
        assert_eq!(session.lines.len(), cases.len(), "{peer}");
        for (n, case) in (1..).zip(&cases) {
            assert_eq!(assert_tls13_connection(&session, n, case, peer), "false");
        }
    }
}

#[test]
fn tls13_suites_and_groups_openssl_and_gnutls_clients_against_tlsim() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let cases = tls13_cases();
    let file = tls13_serving(
        "server-tls13",
        r#""x25519", "secp256r1", "secp384r1""#,
        "",
        &server_sends("0ms", r"hello from tlsim\n"),
    );
    let (server, port) = tlsim_serve(&file, 2 * cases.len());
    for case in &cases {
        let mut s_client = tls13_s_client(port);
        s_client.args(["-ciphersuites", case.suite.openssl, "-groups", case.group.1]);
        let printed = interactive_client(&mut s_client, "ping\n", "hello from tlsim");
        let what = format!("s_client {} {}:\n{printed}", case.suite.iana, case.group.0);
        assert!(printed.contains("hello from tlsim"), "no reply: {what}");
        let new = format!("New, TLSv1.3, Cipher is {}\n", case.suite.openssl);
        assert!(printed.contains(&new), "{what}");
        assert!(printed.contains("Verify return code: 0 (ok)"), "{what}");
        let mut gnutls_cli = tls13_gnutls_cli(port, &tls13_gnutls_priority(case));
        let printed = interactive_client(&mut gnutls_cli, "ping\n", "hello from tlsim");
        let what = format!(
            "gnutls-cli {} {}:\n{printed}",
            case.suite.iana, case.group.0
        );
        assert!(printed.contains("hello from tlsim"), "no reply: {what}");
        let (_, cipher, _) = case.suite.gnutls;
        let description = format!("- Description: (TLS1.3-X.509)-(ECDHE-{})-", case.group.2);
        assert!(printed.contains(&description), "{what}");
        assert!(printed.contains(&format!("-({cipher})")), "{what}");
        assert!(
            printed.contains("- Status: The certificate is trusted."),
            "{what}"
        );
    }
    let session = finish_serve(server, &file);
    for (n, case) in (1..).zip(cases.iter().flat_map(|case| [case, case])) {
        assert_eq!(
            assert_tls13_connection(&session, n, case, "tlsim serve"),
            "false"
        );
    }
}

/// The first Client Hello shares x25519 alone; a server on secp256r1
/// answers with a HelloRetryRequest (RFC 8446 §4.1.4) and the second one
/// shares secp256r1.
#[test]
fn tls13_hello_retry_request_tlsim_client_against_openssl_and_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[0]);
    let file = client_scenario(
        "client-tls13-hrr",
        &client_profile("p", &case, "").replace(
            r#"groups: ["secp256r1"]"#,
            r#"groups: ["x25519", "secp256r1"]"#,
        ),
        r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),"#,
    );
    let p256_only = |port| {
        tls13_gnutls_server(
            port,
            "NONE:+VERS-TLS1.3:+AES-128-GCM:+AEAD:+GROUP-SECP256R1:+SIGN-ALL:+COMP-NULL:+CTYPE-X509",
        )
    };
    for (peer, session) in connect_to_both(&file, &["-groups", "P-256"], p256_only) {
        assert_tls13_connection(&session, 1, &case, peer);
        let shares: Vec<&str> = (session.events_of(1))
            .filter(|e| e.title == "Client: Key Share")
            .filter_map(|e| e.field_value("Group"))
            .collect();
        assert_eq!(shares, ["x25519", "secp256r1"], "{peer}");
        assert!(
            (session.events_of(1)).any(|e| e.title == "Replace the Client Hello in the transcript"),
            "{peer}: no message_hash"
        );
    }
}

/// Real clients share x25519 (and GnuTLS secp256r1) first; tlsim's server
/// on secp384r1 alone asks again with a HelloRetryRequest carrying a
/// cookie (RFC 8446 §4.2.2), which the second Client Hello must echo.
#[test]
fn tls13_hello_retry_request_openssl_and_gnutls_clients_against_tlsim() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[1]);
    let file = tls13_serving(
        "server-tls13-hrr",
        r#""secp384r1""#,
        ", hello_retry_cookie: true",
        &server_sends("0ms", r"hello from tlsim\n"),
    );
    let (server, port) = tlsim_serve(&file, 2);
    let mut s_client = tls13_s_client(port);
    s_client.args(["-ciphersuites", case.suite.openssl]);
    let gnutls_cli = tls13_gnutls_cli(port, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
    for (peer, mut client) in [("s_client", s_client), ("gnutls-cli", gnutls_cli)] {
        let printed = interactive_client(&mut client, "ping\n", "hello from tlsim");
        assert!(printed.contains("hello from tlsim"), "{peer}:\n{printed}");
    }
    let session = finish_serve(server, &file);
    for n in 1..=2 {
        assert_tls13_connection(&session, n, &case, "tlsim serve");
        let retry = field_of(&session, n, "Send a HelloRetryRequest", "Key Share Group");
        assert_eq!(retry, "secp384r1", "c{n}");
    }
}

/// tlsim's client resumes with a ticket from `s_server` and from
/// `gnutls-serv` (RFC 8446 §2.2, psk_dhe_ke): two connections, the
/// second offering the first's ticket.
#[test]
fn tls13_resumption_tlsim_client_against_openssl_and_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let file = two_connections("client-tls13-resume", &case, "");
    for (peer, session) in connect_to_both(&file, &[], |port| gnutls_server(port, "NORMAL")) {
        assert_eq!(assert_tls13_connection(&session, 1, &case, peer), "false");
        assert_eq!(assert_tls13_connection(&session, 2, &case, peer), "true");
        let offered = (session.events_of(2)).any(|e| e.title == "Offer a session ticket");
        assert!(offered, "{peer}: no ticket offered");
    }
}

/// The values of the "Secret" field of connection `n`'s "Next traffic
/// secret" events (RFC 8446 §7.2), in order.
fn traffic_updates(session: &Session, n: u32) -> Vec<&str> {
    (session.events_of(n))
        .filter(|e| e.title == "Next traffic secret")
        .filter_map(|e| e.field_value("Secret"))
        .collect()
}

/// 0-RTT and KeyUpdate with `s_server` (RFC 8446 §4.2.10, §4.6.3): the
/// first connection gets a KeyUpdate with update_requested (`K` on
/// s_server's input) before s_server's answer, the second resumes and
/// sends its request as early data, which s_server takes
/// (`-early_data`, which rules out `-www`: s_server answers what is typed).
#[test]
fn tls13_early_data_and_key_update_tlsim_client_against_openssl() {
    if !openssl_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let timeline = r#"At("0ms", Connect(conn: "first", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "first", from: "client", data: Text("GET /first\n"))),
        At("0ms", Connect(conn: "second", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "second", from: "client", data: Text("GET /second\n"))),
        At("3s", Close(conn: "first", from: "client")),
        At("3s", Close(conn: "second", from: "client")),"#;
    let profile = client_profile("p", &case, ", early_data: true");
    let file = client_scenario("client-tls13-0rtt", &profile, timeline);
    let port = free_port();
    let pki = pki();
    // stdbuf: s_server reports a command's result through stdio, which
    // a pipe would otherwise hold until it exits.
    let mut server = Console::spawn(
        Command::new("stdbuf")
            .args(["-o0", "openssl", "s_server"])
            .args(["-accept", &port.to_string(), "-naccept", "2"])
            .args(["-tls1_3", "-early_data"])
            .args(["-cert", &pki.file("ec.pem"), "-key", &pki.file("ec.key")]),
    );
    assert!(
        server.await_text("ACCEPT"),
        "s_server never listened:\n{}",
        server.printed
    );
    let client = std::thread::spawn(move || tlsim_connect(&file, port));
    assert!(server.await_text("GET /first"));
    server.write("K\n");
    // s_server takes a command only as a read of its own: the next line
    // waits until it has sent the KeyUpdate.
    server.wait_for("SSL_do_handshake -> 1");
    server.write("answer one\n");
    assert!(server.await_text("GET /second"));
    server.write("answer two\n");
    let session = client.join().unwrap();
    let printed = server.finish();
    assert!(printed.contains("Early data received"), "{printed}");
    assert_eq!(
        assert_tls13_connection(&session, 1, &case, "s_server"),
        "false"
    );
    let updates = traffic_updates(&session, 1);
    assert_eq!(
        updates,
        [
            "server_application_traffic_secret_1",
            "client_application_traffic_secret_1"
        ],
        "s_server's update, then tlsim's answer"
    );
    assert_eq!(
        assert_tls13_connection(&session, 2, &case, "s_server"),
        "true"
    );
    let early = field_of(&session, 2, "Early data", "Accepted");
    assert_eq!(early, "true");
}

/// tlsim's `KeyUpdate` step with update_requested against `s_server -www`
/// and `gnutls-serv --http`, before its request: each server updates its
/// own keys in answer.
#[test]
fn tls13_key_update_step_tlsim_client_against_openssl_and_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let timeline = r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "p")),
        At("300ms", KeyUpdate(conn: "c1", from: "client", request_update: true)),
        At("300ms", Send(conn: "c1", from: "client", data: Text("GET / HTTP/1.0\r\n\r\n"))),"#;
    let profile = client_profile("p", &case, "");
    let file = client_scenario("client-tls13-keyupdate", &profile, timeline);
    for (peer, session) in connect_to_both(&file, &[], |port| gnutls_server(port, "NORMAL")) {
        assert_tls13_connection(&session, 1, &case, peer);
        assert_eq!(
            traffic_updates(&session, 1),
            [
                "client_application_traffic_secret_1",
                "server_application_traffic_secret_1"
            ],
            "{peer}"
        );
    }
}

/// KeyUpdate with real clients against `tlsim serve`: `s_client` sends one
/// with update_requested (`K` on its input) and its next line under the
/// new keys; tlsim's server sends its own with update_requested a second
/// after its greeting (the `KeyUpdate` step), then more data, to
/// `s_client` and `gnutls-cli`.
#[test]
fn tls13_key_update_openssl_and_gnutls_clients_against_tlsim() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let file = tls13_serving(
        "server-tls13-keyupdate",
        r#""x25519""#,
        "",
        &[
            server_sends("0ms", r"hello from tlsim\n"),
            r#"At("1s", KeyUpdate(conn: "c1", from: "server", request_update: true)),"#.to_string(),
            server_sends("1s", r"after update\n"),
        ]
        .concat(),
    );
    let (server, port) = tlsim_serve(&file, 2);
    let mut s_client = Console::spawn(&mut tls13_s_client(port));
    assert!(s_client.await_text("hello from tlsim"));
    s_client.write("K\n");
    // s_client takes a command only as a read of its own: the next line
    // waits until it has taken this one.
    s_client.wait_for("KEYUPDATE");
    s_client.write("ping\n");
    assert!(s_client.await_text("after update"));
    s_client.finish();
    let printed = interactive_client(
        &mut tls13_gnutls_cli(port, "NORMAL:-VERS-ALL:+VERS-TLS1.3"),
        "ping\n",
        "after update",
    );
    assert!(printed.contains("after update"), "gnutls-cli:\n{printed}");
    let session = finish_serve(server, &file);
    // s_client's update and tlsim's answer, tlsim's own update; a client
    // answers tlsim's request only before its next application data
    // (RFC 8446 §4.6.3), and neither sends any after it.
    for (n, peer, expected) in [
        (
            1,
            "s_client",
            &[
                "client_application_traffic_secret_1",
                "server_application_traffic_secret_1",
                "server_application_traffic_secret_2",
            ][..],
        ),
        (
            2,
            "gnutls-cli",
            &["server_application_traffic_secret_1"][..],
        ),
    ] {
        assert_tls13_connection(&session, n, &case, peer);
        let mut updates = traffic_updates(&session, n);
        updates.sort_unstable();
        assert_eq!(updates, expected, "{peer}");
    }
}

/// A tlsim server on x25519 issuing tickets that allow 0-RTT, greeting
/// each client 300 ms after it connected, after the ticket. Its gnutls-cli
/// clients pass `--waitresumption`: without it, `--resume` waits for the
/// ticket only a round trip plus 60 ms after the first handshake, which a
/// loaded host can miss, and the second handshake is then a full one.
fn tls13_ticket_serving(name: &str) -> PathBuf {
    tls13_serving(
        name,
        r#""x25519""#,
        r#", tickets: (lifetime: "10min", max_early_data_size: 16384)"#,
        &server_sends("300ms", r"hello from tlsim\n"),
    )
}

/// Real clients resume with tlsim's tickets (RFC 8446 §2.2, psk_dhe_ke):
/// `s_client -sess_out`, then `-sess_in` with its first line as 0-RTT data
/// (`-early_data`, §2.3), and `gnutls-cli --resume`, which connects twice.
#[test]
fn tls13_resumption_and_early_data_openssl_and_gnutls_clients_against_tlsim() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let file = tls13_ticket_serving("server-tls13-resume");
    let (server, port) = tlsim_serve(&file, 4);
    let sessions = pki().file("tls13.session");
    let early = pki().file("early.txt");
    std::fs::write(&early, "GET /early\n").unwrap();
    for (reuse, expected) in [
        ("-sess_out", "New, TLSv1.3"),
        ("-sess_in", "Reused, TLSv1.3"),
    ] {
        let mut s_client = tls13_s_client(port);
        s_client.args([reuse, &sessions]);
        if reuse == "-sess_in" {
            s_client.args(["-early_data", &early]);
        }
        let printed = interactive_client(&mut s_client, "ping\n", "hello from tlsim");
        assert!(printed.contains(expected), "s_client {reuse}:\n{printed}");
    }
    let printed = interactive_client(
        tls13_gnutls_cli(port, "NORMAL:-VERS-ALL:+VERS-TLS1.3")
            .args(["--resume", "--waitresumption"]),
        "ping\n",
        "hello from tlsim",
    );
    assert!(
        printed.contains("This is a resumed session"),
        "gnutls-cli --resume:\n{printed}"
    );
    let session = finish_serve(server, &file);
    for (n, peer, resumed) in [
        (1, "s_client -sess_out", "false"),
        (2, "s_client -sess_in", "true"),
        (4, "gnutls-cli --resume", "true"),
    ] {
        let resumption = assert_tls13_connection(&session, n, &case, peer);
        assert_eq!(resumption, resumed, "{peer}");
    }
    // gnutls-cli's first connection only fetches the ticket: no data.
    let first = field_of(&session, 3, "TLS handshake complete", "Resumed");
    assert_eq!(first, "false", "gnutls-cli");
    let early_data = field_of(&session, 2, "Resume with a ticket", "Early Data");
    assert_eq!(early_data, "accepted");
}

/// The catalogue against servers that speak TLS 1.3 too (their default),
/// so that its TLS 1.3 probes reach the fault they test; the TLS 1.2-only
/// runs above keep what only such a server shows (a TLS 1.3-only Client
/// Hello refused, a fallback SCSV that is no fallback).
#[test]
fn edge_catalogue_against_openssl_tls13_server_differs_only_where_documented() {
    if !openssl_or_skip() {
        return;
    }
    let port = free_port();
    let _server = openssl_server(port, &[]);
    probe_catalogue(
        port,
        "OpenSSL with TLS 1.3",
        "Where OpenSSL's TLS 1.3 server answers differently",
    );
}

#[test]
fn edge_catalogue_against_gnutls_tls13_server_differs_only_where_documented() {
    if !gnutls_or_skip() || !openssl_or_skip() {
        return;
    }
    let port = free_port();
    let _server = gnutls_server(port, "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1");
    probe_catalogue(
        port,
        "GnuTLS with TLS 1.3",
        "Where GnuTLS's TLS 1.3 server answers differently",
    );
}

/// The lines of an NSS key log, lowercase; none without the file.
fn key_log_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(str::to_lowercase).collect()
}

/// Asserts that the key log `theirs` (a real peer's) holds every line
/// of `ours` (tlsim's) but those with a label in `unshared`: both ends
/// derived the same secrets. Returns the labels of `ours`.
fn assert_peer_key_log_holds(
    ours: &[String],
    theirs: &Path,
    unshared: &[&str],
    peer: &str,
) -> Vec<String> {
    let theirs = key_log_lines(theirs);
    assert!(!ours.is_empty(), "{peer}: tlsim wrote no key log");
    for line in ours {
        let label = line.split(' ').next().unwrap_or_default().to_uppercase();
        assert!(
            unshared.contains(&label.as_str()) || theirs.contains(line),
            "{peer}'s key log lacks {line}"
        );
    }
    (ours.iter())
        .filter_map(|l| l.split(' ').next())
        .map(str::to_uppercase)
        .collect()
}

/// A client scenario of two TLS 1.3 connections of one profile with
/// 0-RTT (`extra` added to it): the first sends an HTTP GET; the second,
/// resuming, writes `early` before its handshake, sent as early data
/// when the ticket allows it (RFC 8446 §4.2.10), and `later` 300 ms
/// after it connected, when not empty.
fn early_data_client(name: &str, case: &Case, extra: &str, early: &str, later: &str) -> PathBuf {
    let get = r"GET / HTTP/1.0\r\n\r\n";
    let mut timeline = format!(
        r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("{get}"))),
        At("0ms", Connect(conn: "c2", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "c2", from: "client", data: Text("{early}"))),"#
    );
    if !later.is_empty() {
        timeline += &format!(
            r#"
        At("300ms", Send(conn: "c2", from: "client", data: Text("{later}"))),"#
        );
    }
    let profile = client_profile("p", case, &format!(", early_data: true{extra}"));
    client_scenario(name, &profile, &timeline)
}

/// 0-RTT with `gnutls-serv --earlydata` (RFC 8446 §4.2.10): the second
/// connection resumes and sends a line as early data, which the server
/// takes, then its request, which gnutls-serv reads after the handshake;
/// the server's key log holds every secret tlsim's client derived, the
/// client early traffic secret among them.
#[test]
fn tls13_early_data_tlsim_client_against_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let file = early_data_client(
        "client-tls13-0rtt-gnutls",
        &case,
        "",
        r"early\n",
        r"GET / HTTP/1.0\r\n\r\n",
    );
    let port = free_port();
    let keylog = pki().dir.join("gnutls-serv-0rtt.keys");
    let mut command = gnutls_serv(port, "NORMAL");
    command.arg("--earlydata").env("SSLKEYLOGFILE", &keylog);
    let _server = start_server(&mut command, port);
    let session = tlsim_connect(&file, port);
    assert_eq!(
        assert_tls13_connection(&session, 1, &case, "gnutls-serv"),
        "false"
    );
    assert_eq!(
        assert_tls13_connection(&session, 2, &case, "gnutls-serv"),
        "true"
    );
    assert_eq!(field_of(&session, 2, "Early data", "Accepted"), "true");
    let labels = assert_peer_key_log_holds(&session.keylog, &keylog, &[], "gnutls-serv");
    assert!(labels.iter().any(|l| l == "CLIENT_EARLY_TRAFFIC_SECRET"));
}

/// `gnutls-cli --resume --earlydata=FILE` against `tlsim serve` with
/// `max_early_data_size`: its second connection resumes and sends the
/// file as 0-RTT data, which tlsim's server takes; gnutls-cli's key log
/// (SSLKEYLOGFILE) holds the same secrets as tlsim's.
#[test]
fn tls13_early_data_gnutls_client_against_tlsim() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let file = tls13_ticket_serving("server-tls13-0rtt-gnutls");
    let (server, port) = tlsim_serve(&file, 2);
    let early = pki().file("gnutls-early.txt");
    std::fs::write(&early, "early\n").unwrap();
    let keylog = pki().dir.join("gnutls-cli-0rtt.keys");
    let mut gnutls_cli = tls13_gnutls_cli(port, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
    gnutls_cli
        .args([
            "--resume",
            "--waitresumption",
            &format!("--earlydata={early}"),
        ])
        .env("SSLKEYLOGFILE", &keylog);
    let printed = interactive_client(&mut gnutls_cli, "ping\n", "hello from tlsim");
    assert!(
        printed.contains("This is a resumed session"),
        "gnutls-cli --resume:\n{printed}"
    );
    let session = finish_serve(server, &file);
    assert_eq!(
        field_of(&session, 1, "TLS handshake complete", "Resumed"),
        "false"
    );
    assert_eq!(
        assert_tls13_connection(&session, 2, &case, "gnutls-cli"),
        "true"
    );
    let early_data = field_of(&session, 2, "Resume with a ticket", "Early Data");
    assert_eq!(early_data, "accepted");
    // gnutls-cli's key log is the part of tlsim serve's for its two
    // connections, and more.
    let theirs = key_log_lines(&keylog);
    let labels = assert_peer_key_log_holds(
        &theirs,
        &file.with_extension("keys"),
        &["EARLY_EXPORTER_SECRET"],
        "tlsim serve",
    );
    assert!(labels.iter().any(|l| l == "CLIENT_EARLY_TRAFFIC_SECRET"));
}

/// Resumption with psk_ke alone (RFC 8446 §4.2.9: no fresh (EC)DHE) with
/// `s_server -allow_no_dhe_kex` and `gnutls-serv` allowing the `PSK` key
/// exchange: the second connection resumes without a key share in the
/// Server Hello, so the client computes no shared secret; each server's
/// key log holds the same secrets.
#[test]
fn tls13_psk_ke_resumption_tlsim_client_against_openssl_and_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let file = two_connections("client-tls13-psk-ke", &case, r#", psk_modes: ["psk_ke"]"#);
    let openssl_keys = pki().dir.join("s_server-psk-ke.keys");
    let gnutls_keys = pki().dir.join("gnutls-serv-psk-ke.keys");
    let openssl = [
        "-allow_no_dhe_kex",
        "-keylogfile",
        openssl_keys.to_str().unwrap(),
    ];
    let gnutls = |port| {
        let mut command = gnutls_serv(port, "NORMAL:+PSK");
        start_server(command.env("SSLKEYLOGFILE", &gnutls_keys), port)
    };
    for (peer, session) in connect_to_both(&file, &openssl, gnutls) {
        let keylog = if peer == "gnutls-serv" {
            &gnutls_keys
        } else {
            &openssl_keys
        };
        assert_eq!(assert_tls13_connection(&session, 1, &case, peer), "false");
        assert_tls13_suite_and_data(&session, 2, &case, peer);
        assert_eq!(
            field_of(&session, 2, "TLS handshake complete", "Resumed"),
            "true",
            "{peer}"
        );
        let shared = (session.events_of(2)).any(|e| e.title == "Client: Shared Secret");
        assert!(!shared, "{peer}: psk_ke computes no (EC)DHE secret");
        assert_peer_key_log_holds(&session.keylog, keylog, &[], peer);
    }
}

/// 0-RTT rejected (RFC 8446 §4.2.10): `s_server -max_early_data` without
/// `-early_data` issues tickets that allow early data but does not read
/// it; it resumes, skips the early data, and tlsim's client sends it
/// again after the handshake, so s_server prints the request once. Its
/// key log holds every secret of tlsim's but the client early traffic
/// secret, which it never derives.
#[test]
fn tls13_early_data_rejected_by_openssl() {
    if !openssl_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    // s_server answers what is typed on its input: the client closes.
    let timeline = r#"At("0ms", Connect(conn: "c1", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "c1", from: "client", data: Text("GET /first\n"))),
        At("0ms", Connect(conn: "c2", from: "client", to: "server", port: 443, tls: "p")),
        At("0ms", Send(conn: "c2", from: "client", data: Text("GET /second\n"))),
        At("3s", Close(conn: "c1", from: "client")),
        At("3s", Close(conn: "c2", from: "client")),"#;
    let profile = client_profile("p", &case, ", early_data: true");
    let file = client_scenario("client-tls13-0rtt-rejected", &profile, timeline);
    let port = free_port();
    let pki = pki();
    let keylog = pki.dir.join("s_server-0rtt-rejected.keys");
    let mut server = Console::spawn(
        Command::new("openssl")
            .args(["s_server", "-accept", &port.to_string(), "-naccept", "2"])
            .args(["-tls1_3", "-max_early_data", "16384", "-keylogfile"])
            .arg(&keylog)
            .args(["-cert", &pki.file("ec.pem"), "-key", &pki.file("ec.key")]),
    );
    server.wait_for("ACCEPT");
    let client = tlsim_connect_in_background(file.clone(), port);
    server.wait_for("GET /first");
    server.write("answer one\n");
    server.wait_for("GET /second");
    server.write("answer two\n");
    let session = client.join().unwrap();
    let printed = server.finish();
    assert_eq!(printed.matches("GET /second").count(), 1, "{printed}");
    assert_eq!(
        assert_tls13_connection(&session, 1, &case, "s_server"),
        "false"
    );
    assert_eq!(
        assert_tls13_connection(&session, 2, &case, "s_server"),
        "true"
    );
    assert_eq!(
        field_of(&session, 2, "Offer a session ticket", "Early Data"),
        "true"
    );
    assert_eq!(field_of(&session, 2, "Early data", "Accepted"), "false");
    assert_peer_key_log_holds(
        &session.keylog,
        &keylog,
        &["CLIENT_EARLY_TRAFFIC_SECRET"],
        "s_server",
    );
}

/// GnuTLS 3.7's tickets allow 0-RTT only from `gnutls-serv --earlydata`
/// (`--maxearlydata` alone does not), so without it tlsim's client sends
/// none (RFC 8446 §4.2.10: only with a ticket that allows it). With it,
/// a ticket age 60 s off the server's reckoning fails its freshness check
/// (RFC 8446 §8.3): gnutls-serv resumes but rejects the early data, and
/// tlsim's client sends the request again after the handshake.
#[test]
fn tls13_early_data_rejected_by_gnutls() {
    if !openssl_or_skip() || !gnutls_or_skip() {
        return;
    }
    let case = tls13_case(GROUPS[2]);
    let get = r"GET / HTTP/1.0\r\n\r\n";
    let file = early_data_client(
        "client-tls13-0rtt-stale",
        &case,
        r#", pins: (ticket_age: "60s")"#,
        get,
        "",
    );
    for (earlydata, offered) in [(false, "false"), (true, "true")] {
        let port = free_port();
        let keylog = pki().dir.join(format!("gnutls-serv-0rtt-{earlydata}.keys"));
        let mut command = gnutls_serv(port, "NORMAL");
        command.env("SSLKEYLOGFILE", &keylog);
        if earlydata {
            command.arg("--earlydata");
        }
        let _server = start_server(&mut command, port);
        let session = tlsim_connect(&file, port);
        let peer = format!("gnutls-serv, --earlydata {earlydata}");
        assert_eq!(assert_tls13_connection(&session, 1, &case, &peer), "false");
        assert_eq!(assert_tls13_connection(&session, 2, &case, &peer), "true");
        let early = field_of(&session, 2, "Offer a session ticket", "Early Data");
        assert_eq!(early, offered, "{peer}");
        if earlydata {
            assert_eq!(field_of(&session, 2, "Early data", "Accepted"), "false");
        }
        assert_peer_key_log_holds(
            &session.keylog,
            &keylog,
            &["CLIENT_EARLY_TRAFFIC_SECRET"],
            &peer,
        );
    }
}
