//! RFC 8448's traces replayed through the actors: `scenarios/rfc8448-1rtt.ron`
//! (§3, "Simple 1-RTT Handshake"), `scenarios/rfc8448-0rtt.ron` (§4,
//! "Resumed 0-RTT Handshake", after the §3 connection that leaves its
//! ticket) and `scenarios/rfc8448-hrr.ron` (§5, "HelloRetryRequest") pin
//! the trace's randoms, keys, certificate, signature salt, ticket and
//! cookie. Every TLS record tlsim writes, both ways, must be the RFC's,
//! and every secret of the key log too.

use std::path::Path;

#[path = "support/capture.rs"]
mod capture;
#[path = "support/pcap.rs"]
mod pcap;
#[allow(dead_code, reason = "the trace's values this test does not compare")]
#[path = "../crates/tls/tests/rfc8448/mod.rs"]
mod rfc8448;

use capture::{Replayed, replay};
use pcap::{assert_same_records, streams};
use rfc8448::{h, hello_retry, resumed_0rtt, simple_1rtt};

/// The port of the §3 connection, and of the §4 one.
const FIRST_PORT: u16 = 4433;
const RESUMED_PORT: u16 = 4434;

/// Hello, Finished, application data, close_notify.
const MIN_RECORDS: usize = 4;

/// The scenario `name`, its files named from the repository root.
fn run(name: &str) -> Replayed {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(format!("scenarios/{name}.ron"))).unwrap();
    let data = root.join("tests/data/");
    replay(
        name,
        &text.replace("../tests/data/", data.to_str().unwrap()),
    )
}

/// A plaintext record of `typ` holding `message` (RFC 8446 §5.1).
fn plaintext(typ: u8, version: [u8; 2], message: &[u8]) -> Vec<u8> {
    let len = u16::try_from(message.len()).unwrap().to_be_bytes();
    [&[typ, version[0], version[1], len[0], len[1]][..], message].concat()
}

/// The §3 connection as the RFC prints it: to the server, to the client.
fn simple_1rtt_streams() -> [Vec<u8>; 2] {
    use simple_1rtt::*;
    [
        [
            // RFC 8446 §5.1: a first Client Hello may carry 0x0301.
            plaintext(22, [3, 1], &h(CLIENT_HELLO)),
            h(CLIENT_FINISHED_RECORD),
            h(CLIENT_APP_RECORD),
            h(CLIENT_ALERT_RECORD),
        ]
        .concat(),
        [
            plaintext(22, [3, 3], &h(SERVER_HELLO)),
            h(SERVER_FLIGHT_RECORD),
            h(NEW_SESSION_TICKET_RECORD),
            h(SERVER_APP_RECORD),
            h(SERVER_ALERT_RECORD),
        ]
        .concat(),
    ]
}

/// `(label, secret)` pairs as an NSS key log holds them for the
/// connection whose Client Hello is `client_hello`.
fn key_log_lines(client_hello: &[u8], secrets: &[(&str, &str)]) -> Vec<String> {
    let client_random = pcap::hex(&client_hello[6..38]);
    secrets
        .iter()
        .map(|(label, secret)| format!("{label} {client_random} {}", pcap::hex(&h(secret))))
        .collect()
}

fn assert_key_log_has(keys: &Path, lines: &[String]) {
    let log = std::fs::read_to_string(keys).unwrap();
    for line in lines {
        assert!(log.lines().any(|l| l == line), "missing {line}\nin\n{log}");
    }
}

#[test]
fn the_simple_1rtt_handshake_is_the_rfc_s_record_for_record() {
    let replayed = run("rfc8448-1rtt");
    let pcap = std::fs::read(&replayed.pcap).unwrap();
    assert_same_records(
        &simple_1rtt_streams(),
        &streams(&pcap, FIRST_PORT),
        MIN_RECORDS,
    );
    use simple_1rtt::*;
    assert_key_log_has(
        &replayed.keys,
        &key_log_lines(
            &h(CLIENT_HELLO),
            &[
                ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", CLIENT_HS_TRAFFIC),
                ("SERVER_HANDSHAKE_TRAFFIC_SECRET", SERVER_HS_TRAFFIC),
                ("CLIENT_TRAFFIC_SECRET_0", CLIENT_AP_TRAFFIC),
                ("SERVER_TRAFFIC_SECRET_0", SERVER_AP_TRAFFIC),
                ("EXPORTER_SECRET", EXPORTER_MASTER),
            ],
        ),
    );
}

/// The §4 connection as the RFC prints it: to the server, to the client.
fn resumed_0rtt_streams() -> [Vec<u8>; 2] {
    use resumed_0rtt::*;
    [
        [
            plaintext(22, [3, 1], &client_hello()),
            h(EARLY_DATA_RECORD),
            h(END_OF_EARLY_DATA_RECORD),
            h(CLIENT_FINISHED_RECORD),
            h(CLIENT_APP_RECORD),
            h(CLIENT_ALERT_RECORD),
        ]
        .concat(),
        [
            plaintext(22, [3, 3], &h(SERVER_HELLO)),
            h(SERVER_FLIGHT_RECORD),
            h(SERVER_APP_RECORD),
            h(SERVER_ALERT_RECORD),
        ]
        .concat(),
    ]
}

#[test]
fn the_resumed_0rtt_handshake_is_the_rfc_s_record_for_record() {
    let replayed = run("rfc8448-0rtt");
    let pcap = std::fs::read(&replayed.pcap).unwrap();
    assert_same_records(
        &simple_1rtt_streams(),
        &streams(&pcap, FIRST_PORT),
        MIN_RECORDS,
    );
    assert_same_records(
        &resumed_0rtt_streams(),
        &streams(&pcap, RESUMED_PORT),
        MIN_RECORDS,
    );
    use resumed_0rtt::*;
    assert_key_log_has(
        &replayed.keys,
        &key_log_lines(
            &resumed_0rtt::client_hello(),
            &[
                ("CLIENT_EARLY_TRAFFIC_SECRET", CLIENT_EARLY_TRAFFIC),
                ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", CLIENT_HS_TRAFFIC),
                ("SERVER_HANDSHAKE_TRAFFIC_SECRET", SERVER_HS_TRAFFIC),
                ("CLIENT_TRAFFIC_SECRET_0", CLIENT_AP_TRAFFIC),
                ("SERVER_TRAFFIC_SECRET_0", SERVER_AP_TRAFFIC),
                ("EXPORTER_SECRET", EXPORTER_MASTER),
            ],
        ),
    );
}

/// The §5 connection as the RFC prints it: to the server, to the client.
fn hello_retry_streams() -> [Vec<u8>; 2] {
    use hello_retry::*;
    [
        [
            plaintext(22, [3, 1], &h(CLIENT_HELLO_1)),
            // RFC 8446 §5.1: only an initial Client Hello may carry 0x0301.
            plaintext(22, [3, 3], &h(CLIENT_HELLO_2)),
            h(CLIENT_FINISHED_RECORD),
            h(CLIENT_ALERT_RECORD),
        ]
        .concat(),
        [
            plaintext(22, [3, 3], &h(HELLO_RETRY_REQUEST)),
            plaintext(22, [3, 3], &h(SERVER_HELLO)),
            h(SERVER_FLIGHT_RECORD),
            h(SERVER_ALERT_RECORD),
        ]
        .concat(),
    ]
}

#[test]
fn the_hello_retry_request_handshake_is_the_rfc_s_record_for_record() {
    let replayed = run("rfc8448-hrr");
    let pcap = std::fs::read(&replayed.pcap).unwrap();
    assert_same_records(
        &hello_retry_streams(),
        &streams(&pcap, FIRST_PORT),
        MIN_RECORDS,
    );
    use hello_retry::*;
    assert_key_log_has(
        &replayed.keys,
        &key_log_lines(
            &h(CLIENT_HELLO_1),
            &[
                ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", CLIENT_HS_TRAFFIC),
                ("SERVER_HANDSHAKE_TRAFFIC_SECRET", SERVER_HS_TRAFFIC),
                ("CLIENT_TRAFFIC_SECRET_0", CLIENT_AP_TRAFFIC),
                ("SERVER_TRAFFIC_SECRET_0", SERVER_AP_TRAFFIC),
                ("EXPORTER_SECRET", EXPORTER_MASTER),
            ],
        ),
    );
}

/// The fields of the log's events of `actor` titled `title`, as
/// `(name, value)` pairs.
fn fields_of(log: &str, actor: &str, title: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for line in log.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        if event["actor"] == actor && event["title"] == title {
            for f in event["fields"].as_array().unwrap() {
                let text = |key: &str| f[key].as_str().unwrap().to_string();
                fields.push((text("name"), text("value")));
            }
        }
    }
    fields
}

/// The value of the field `name` that follows the first field valued
/// `after`.
fn field_after(fields: &[(String, String)], after: &str, name: &str) -> String {
    let start = fields.iter().position(|(_, v)| v == after).unwrap();
    let found = fields[start..].iter().find(|(n, _)| n == name).unwrap();
    found.1.clone()
}

/// Another server than RFC 8448's, to replay other traces: with
/// server_name left out of its `extension_order`, EncryptedExtensions
/// carries no server_name acknowledgement; a pinned ticket's opaque
/// extension follows early_data in the NewSessionTicket; the client
/// completes and reads both.
#[test]
fn a_server_acknowledges_only_what_it_lists_and_sends_a_ticket_s_own_extensions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/rfc8448-1rtt.ron")).unwrap();
    let text = text.replace("../tests/data/", root.join("tests/data/").to_str().unwrap());
    let variant = text
        .replace(r#""0x001c", "server_name"]"#, r#""0x001c"]"#)
        .replace(
            r#"nonce: "0000","#,
            r#"nonce: "0000", opaque_extensions: [(code: "0x5a5a", data: "")],"#,
        );
    assert!(!variant.contains(r#""server_name"]"#) && variant.contains("0x5a5a"));
    let flight =
        "TLS Server Hello + Encrypted Extensions + Certificate + Certificate Verify + Finished";
    let log_of = |replayed: Replayed| {
        std::fs::read_to_string(replayed.pcap.with_file_name("run.jsonl")).unwrap()
    };
    let (rfc, other) = (
        log_of(replay("rfc8448-ee", &text)),
        log_of(replay("ee-variant", &variant)),
    );
    let ee_data = |log: &str| {
        field_after(
            &fields_of(log, "client", flight),
            "Encrypted Extensions (8)",
            "Data",
        )
    };
    // RFC 8448 §3: the list ends with server_name's empty acknowledgement
    // (type 0, length 0), 4 of the list's 34 bytes.
    let rfc_ee = ee_data(&rfc);
    assert!(
        rfc_ee.starts_with("0022") && rfc_ee.ends_with("00000000"),
        "{rfc_ee}"
    );
    let expected = format!("001e{}", &rfc_ee[4..rfc_ee.len() - 8]);
    assert_eq!(ee_data(&other), expected);
    let ticket = fields_of(&other, "client", "TLS New Session Ticket");
    let extensions: Vec<&str> = (ticket.iter())
        .filter(|(name, _)| name == "Extension")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(
        extensions,
        ["early_data (len=4)", "Unknown type 23130 (len=0)"]
    );
    assert!(!fields_of(&other, "client", "TLS handshake complete").is_empty());
}
