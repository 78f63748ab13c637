//! Captures made by another TLS implementation, replayed: two tlslite-ng
//! peers recorded `tests/data/tlslite/gcm.pcap` (AES-GCM) and `cbc.pcap`
//! (AES-CBC with HMAC-SHA1) with every random known (`record.py`), and
//! `scenarios/tls12-replay.ron` and `tls12-replay-cbc.ron` pin those
//! randoms (and the CBC records' IVs) and load their certificates and
//! key. Every TLS record tlsim writes, in both directions, must be the
//! captured record: content type, version, length and bytes; and the key
//! log must be the capture's.

use std::path::Path;

#[path = "support/capture.rs"]
mod capture;
#[path = "support/pcap.rs"]
mod pcap;

use capture::replay;
use pcap::{assert_same_records, hex, records, streams};

const SERVER_PORT: u16 = 4433;

/// Handshake, change cipher spec, alerts and application data.
const MIN_RECORDS: usize = 6;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A capture and the scenario that replays it.
#[derive(Clone, Copy)]
struct Capture {
    /// The capture's name in `tests/data/tlslite/` (`NAME.pcap`, `NAME.keys`).
    name: &'static str,
    /// The replaying scenario in `scenarios/`.
    scenario: &'static str,
}

const GCM: Capture = Capture {
    name: "gcm",
    scenario: "tls12-replay",
};

const CBC: Capture = Capture {
    name: "cbc",
    scenario: "tls12-replay-cbc",
};

impl Capture {
    /// The replay scenario, its files named from the repository root, so
    /// that a variant can be written anywhere.
    fn scenario_text(self) -> String {
        let path = root().join(format!("scenarios/{}.ron", self.scenario));
        let text = std::fs::read_to_string(path).unwrap();
        let data = root().join("tests/data/tlslite/");
        text.replace("../tests/data/tlslite/", data.to_str().unwrap())
    }

    fn data(self, extension: &str) -> Vec<u8> {
        let file = format!("tests/data/tlslite/{}.{extension}", self.name);
        std::fs::read(root().join(file)).unwrap()
    }

    fn captured(self) -> [Vec<u8>; 2] {
        streams(&self.data("pcap"), SERVER_PORT)
    }

    /// The scenario's run, record by record against the capture.
    fn replays_every_record(self) {
        let test = format!("records-{}", self.name);
        let replayed = streams(
            &std::fs::read(replay(&test, &self.scenario_text()).pcap).unwrap(),
            SERVER_PORT,
        );
        assert_same_records(&self.captured(), &replayed, MIN_RECORDS);
    }

    /// The scenario's key log holds the capture's line.
    fn replays_the_key_log(self) {
        let captured = String::from_utf8(self.data("keys")).unwrap();
        let test = format!("keylog-{}", self.name);
        let replayed = std::fs::read_to_string(replay(&test, &self.scenario_text()).keys).unwrap();
        assert!(
            replayed.lines().any(|line| line == captured.trim_end()),
            "captured:\n{captured}replayed:\n{replayed}"
        );
    }
}

#[test]
fn every_record_of_the_tlslite_capture_is_replayed_byte_for_byte() {
    GCM.replays_every_record();
}

/// MAC-then-encrypt: each record's IV pinned as captured, the content,
/// its HMAC-SHA1 and the padding encrypted under it as tlslite-ng did.
#[test]
fn every_record_of_the_tlslite_cbc_capture_is_replayed_byte_for_byte() {
    CBC.replays_every_record();
}

#[test]
fn the_replayed_key_log_is_the_captured_one() {
    GCM.replays_the_key_log();
}

#[test]
fn the_replayed_cbc_key_log_is_the_captured_one() {
    CBC.replays_the_key_log();
}

/// `GCM`'s scenario with only what a published capture gives (its key
/// log and its records) pinned, and no ephemeral key: the key exchange's
/// public values and signature as captured, the master secret from the
/// key log.
fn key_log_only_scenario(captured: &[Vec<u8>; 2]) -> String {
    let (to_server, to_client) = (records(&captured[0]), records(&captured[1]));
    // ClientKeyExchange: type 16, a 3-byte length, the point's length, the point.
    let cke = &to_server[1].body;
    assert_eq!(cke[0], 16);
    let client_public = &cke[5..5 + usize::from(cke[4])];
    // ServerKeyExchange: type 12, a 3-byte length, curve type and name, the point,
    // the signature algorithm and the signature with its length.
    let ske = &to_client[2].body;
    assert_eq!(ske[0], 12);
    let point_end = 8 + usize::from(ske[7]);
    let server_public = &ske[8..point_end];
    let signature_len = usize::from(u16::from_be_bytes([ske[point_end + 2], ske[point_end + 3]]));
    let signature = &ske[point_end + 4..point_end + 4 + signature_len];
    let keys = String::from_utf8(GCM.data("keys")).unwrap();
    let master_secret = keys.split_whitespace().nth(2).unwrap();
    let mut text = String::new();
    for line in GCM.scenario_text().lines() {
        if line.contains("ephemeral_key:") || line.contains("pss_salt:") {
            continue;
        }
        text.push_str(line);
        text.push('\n');
        let indent = &line[..line.len() - line.trim_start().len()];
        if line.contains("client_random:") {
            text.push_str(&format!(
                "{indent}ephemeral_public: \"{}\", master_secret: \"{master_secret}\",\n",
                hex(client_public)
            ));
        }
        if line.contains("server_random:") {
            text.push_str(&format!(
                "{indent}ephemeral_public: \"{}\", signature: \"{}\", master_secret: \"{master_secret}\",\n",
                hex(server_public),
                hex(signature)
            ));
        }
    }
    assert!(!text.contains("ephemeral_key") && text.matches(" master_secret: ").count() == 2);
    text
}

#[test]
fn the_key_log_and_the_captured_key_exchange_suffice() {
    let captured = GCM.captured();
    let text = key_log_only_scenario(&captured);
    let replayed = streams(
        &std::fs::read(replay("key-log", &text).pcap).unwrap(),
        SERVER_PORT,
    );
    assert_same_records(&captured, &replayed, MIN_RECORDS);
}

/// `GCM`'s scenario with the server's key of `kind` (such as `P256`, or a
/// file from the repository root as `File("scenarios/keys/…")`), no
/// longer named as the certificate's.
fn with_server_key(text: &str, kind: &str) -> String {
    let real = r#"Key(name: "leaf", kind: "#;
    let start = text
        .find(real)
        .expect("the scenario loads the server's key")
        + real.len();
    let end = start + text[start..].find("),").unwrap();
    let root = format!("{}/", root().to_str().unwrap());
    let kind = kind.replace("File(\"", &format!("File(\"{root}"));
    let text = format!("{}{kind}{}", &text[..start], &text[end..]);
    text.replace(
        r#"server-chain.pem", key: "leaf")"#,
        r#"server-chain.pem")"#,
    )
}

/// A capture whose server key is not published: with the signature and
/// the master secret pinned, another RSA key stands in for it, and the
/// records are still the captured ones.
#[test]
fn a_stand_in_server_key_serves_when_the_signature_and_master_secret_are_pinned() {
    let captured = GCM.captured();
    let text = with_server_key(
        &key_log_only_scenario(&captured),
        r#"File("scenarios/keys/www.google.com.pem")"#,
    );
    let replayed = streams(
        &std::fs::read(replay("stand-in-key", &text).pcap).unwrap(),
        SERVER_PORT,
    );
    assert_same_records(&captured, &replayed, MIN_RECORDS);
}

/// Without those pins a key that is not the certificate's is refused, and
/// with them one of another type is: it would choose other suites.
#[test]
fn a_server_key_unlike_its_certificate_is_refused_unless_it_can_stand_in() {
    let tlsim = |test: &str, text: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlsim"))
            .args(["run", "--out", "/dev/null"])
            .arg(capture::scenario_file(test, text))
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{test}: the scenario should be refused"
        );
        String::from_utf8(out.stderr).unwrap()
    };
    let other_rsa = with_server_key(
        &GCM.scenario_text(),
        r#"File("scenarios/keys/www.google.com.pem")"#,
    );
    let error = tlsim("other-key", &other_rsa);
    assert!(
        error.contains("does not match the leaf certificate of \"chain\" (pin the server's signature or master_secret"),
        "{error}"
    );
    let captured = GCM.captured();
    let p256 = with_server_key(&key_log_only_scenario(&captured), "P256");
    let error = tlsim("stand-in-of-another-type", &p256);
    assert!(
        error.contains("so it must be of the same type: RSA, not ECDSA P-256"),
        "{error}"
    );
    // A pinned signature one byte short of the modulus is caught on load.
    let error = tlsim(
        "short-signature",
        &cut_signature(&key_log_only_scenario(&captured)),
    );
    assert!(
        error.contains("signature is 255 bytes: the RSA key of \"chain\"'s leaf signs 256"),
        "{error}"
    );
}

/// `text` with its pinned signature one byte shorter.
fn cut_signature(text: &str) -> String {
    let at = text.find(r#" signature: ""#).expect("a pinned signature") + r#" signature: ""#.len();
    format!("{}{}", &text[..at], &text[at + 2..])
}

/// A published session in `tests/data/NAME/` (`to-server.hex` and
/// `to-client.hex`, a record per line; `keylog.txt`; `replay.ron`), and
/// what its scenario wrote.
struct PublishedReplay {
    /// The published records, as two streams: to the server, to the client.
    published: [Vec<u8>; 2],
    /// The replay's, from its pcap.
    records: [Vec<u8>; 2],
    /// The replay's key log, and whether it holds the published line.
    key_log: String,
    key_log_matches: bool,
}

fn published_replay(name: &str, server_port: u16) -> PublishedReplay {
    let data = root().join("tests/data").join(name);
    let stream = |file: &str| -> Vec<u8> {
        let text = std::fs::read_to_string(data.join(file)).unwrap();
        text.lines()
            .flat_map(|record| hex::decode(record).unwrap())
            .collect()
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("replay")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let replayed = capture::run_into(&data.join("replay.ron"), &dir);
    let published_log = std::fs::read_to_string(data.join("keylog.txt")).unwrap();
    let key_log = std::fs::read_to_string(&replayed.keys).unwrap();
    PublishedReplay {
        published: [stream("to-server.hex"), stream("to-client.hex")],
        records: streams(&std::fs::read(&replayed.pcap).unwrap(), server_port),
        key_log_matches: key_log.lines().any(|l| l == published_log.trim_end()),
        key_log,
    }
}

/// The Illustrated TLS 1.2 Connection (`tests/data/illustrated-tls12/`),
/// a session between Go's crypto/tls peers published byte by byte:
/// replayed from its scenario, every record both ways is the published
/// one, and so is the key log.
#[test]
fn every_record_of_the_illustrated_tls_1_2_connection_is_replayed_byte_for_byte() {
    let replayed = published_replay("illustrated-tls12", 443);
    // Six records to the server, seven to the client.
    assert_same_records(&replayed.published, &replayed.records, 6);
    assert!(replayed.key_log_matches, "{}", replayed.key_log);
}

/// An OpenSSL 3.0 session (`tests/data/openssl12/`), replayed from its key
/// log: every record both ways is the captured one, the encrypted ones too,
/// with OpenSSL's random first GCM nonces pinned.
#[test]
fn every_record_of_an_openssl_capture_is_replayed_from_its_key_log() {
    let replayed = published_replay("openssl12", 4433);
    // Six records to the server, eight to the client.
    assert_same_records(&replayed.published, &replayed.records, 6);
    assert!(replayed.key_log_matches, "{}", replayed.key_log);
}
