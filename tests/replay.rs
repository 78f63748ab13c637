//! A capture made by another TLS implementation, replayed: two tlslite-ng
//! peers recorded `tests/data/tlslite/gcm.pcap` with every random known
//! (`record.py`), and `scenarios/tls12-replay.ron` pins those randoms and
//! loads their certificates and key. Every TLS record tlsim writes, in
//! both directions, must be the captured record: content type, version,
//! length and bytes; and the key log must be the capture's.

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

/// The replay scenario, its files named from the repository root, so
/// that a variant can be written anywhere.
fn scenario_text() -> String {
    let text = std::fs::read_to_string(root().join("scenarios/tls12-replay.ron")).unwrap();
    let data = root().join("tests/data/tlslite/");
    text.replace("../tests/data/tlslite/", data.to_str().unwrap())
}

fn captured() -> [Vec<u8>; 2] {
    streams(
        &std::fs::read(root().join("tests/data/tlslite/gcm.pcap")).unwrap(),
        SERVER_PORT,
    )
}

#[test]
fn every_record_of_the_tlslite_capture_is_replayed_byte_for_byte() {
    let replayed = streams(
        &std::fs::read(replay("records", &scenario_text()).pcap).unwrap(),
        SERVER_PORT,
    );
    assert_same_records(&captured(), &replayed, MIN_RECORDS);
}

/// With only what a published capture gives (its key log and its
/// records), and no ephemeral key, the replay is the same: the key
/// exchange's public values and signature as captured, the master secret
/// from the key log.
#[test]
fn the_key_log_and_the_captured_key_exchange_suffice() {
    let captured = captured();
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
    let keys = std::fs::read_to_string(root().join("tests/data/tlslite/gcm.keys")).unwrap();
    let master_secret = keys.split_whitespace().nth(2).unwrap();
    let mut text = String::new();
    for line in scenario_text().lines() {
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
    let replayed = streams(
        &std::fs::read(replay("key-log", &text).pcap).unwrap(),
        SERVER_PORT,
    );
    assert_same_records(&captured, &replayed, MIN_RECORDS);
}

#[test]
fn the_replayed_key_log_is_the_captured_one() {
    let captured = std::fs::read_to_string(root().join("tests/data/tlslite/gcm.keys")).unwrap();
    let replayed = std::fs::read_to_string(replay("keylog", &scenario_text()).keys).unwrap();
    assert!(
        replayed.lines().any(|line| line == captured.trim_end()),
        "captured:\n{captured}replayed:\n{replayed}"
    );
}
