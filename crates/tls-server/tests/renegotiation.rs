//! Secure renegotiation (RFC 5746) between tlsim's client and server: a
//! second full handshake begun by either side under the keys in force,
//! with application data before and after; the policies that refuse it;
//! a refused one, after which the client may try again; the verify_data
//! checks that end a forged one with handshake_failure; and the version,
//! which a renegotiation keeps.

use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, error_of, pki, server_config,
};
use tlsim_tls::codec::Codec;
use tlsim_tls::conn::{RenegotiationPolicy, TlsEvent};
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, ContentType, ExtensionType, ProtocolVersion,
};
use tlsim_tls::error::{Error, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::{Alert, ClientExtension, HandshakeMessage};

/// A connected pair whose ends take part in renegotiation as `client`
/// and `server` say.
fn connected(client: RenegotiationPolicy, server: RenegotiationPolicy) -> Pair {
    let pki = pki(LeafKey::Ecdsa);
    let mut client_config = client_config(&pki);
    client_config.renegotiation = client;
    let mut server_config = server_config(&pki);
    server_config.renegotiation = server;
    let mut pair = Pair::new(client_config, server_config);
    pair.handshake();
    pair.assert_complete();
    pair
}

/// How many times `title` was logged.
fn count(log: &[tlsim_sim::Event], title: &str) -> usize {
    Pair::titles(log).iter().filter(|t| *t == title).count()
}

#[track_caller]
fn assert_renegotiated(pair: &mut Pair) {
    assert_eq!(pair.client.state_name(), "Connected");
    assert_eq!(pair.server.state_name(), "Connected");
    for log in [&pair.client_log, &pair.server_log] {
        assert_eq!(count(log, "Begin renegotiation"), 1);
        assert_eq!(count(log, "TLS renegotiation complete"), 1);
        assert_eq!(count(log, "Key block"), 2);
    }
    // One handshake event only: the application is not started again.
    let completions = |events: &[TlsEvent]| {
        (events.iter())
            .filter(|e| matches!(e, TlsEvent::HandshakeComplete { .. }))
            .count()
    };
    assert_eq!(completions(&pair.client_events), 1);
    assert_eq!(completions(&pair.server_events), 1);
    // A second CLIENT_RANDOM line, for the second master secret.
    pair.client_keylog.extend(pair.client.keylog_lines());
    let lines = &pair.client_keylog;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("CLIENT_RANDOM ")));
    assert_ne!(lines[0], lines[1]);
    // Application data goes on under the new keys, both ways.
    assert_eq!(pair.transfer(Direction::ToServer, b"after"), b"after");
    assert_eq!(pair.transfer(Direction::ToClient, b"reply"), b"reply");
    assert!(pair.client_failure().is_none() && pair.server_failure().is_none());
}

#[test]
fn a_client_renegotiates_with_a_server_that_accepts() {
    let mut pair = connected(RenegotiationPolicy::Refuse, RenegotiationPolicy::Accept);
    assert_eq!(pair.transfer(Direction::ToServer, b"before"), b"before");
    let now = pair.now;
    assert!(pair.client.renegotiate(now, &mut pair.client_log));
    // Data written while the new handshake runs goes under the old keys.
    pair.client
        .send_application_data(now, b"during", &mut pair.client_log);
    pair.drive();
    let mut read = Vec::new();
    pair.server.read_application_data(&mut read);
    assert_eq!(read, b"during");
    assert_renegotiated(&mut pair);
}

#[test]
fn a_server_hello_request_is_answered_by_a_client_that_accepts() {
    // The server's own policy refuses what the client starts, not what it
    // asks for itself.
    let mut pair = connected(RenegotiationPolicy::Accept, RenegotiationPolicy::Refuse);
    assert_eq!(pair.transfer(Direction::ToClient, b"before"), b"before");
    let now = pair.now;
    assert!(pair.server.renegotiate(now, &mut pair.server_log));
    pair.drive();
    assert_renegotiated(&mut pair);
    let titles = Pair::titles(&pair.server_log);
    assert!(
        titles.iter().any(|t| t == "TLS Hello Request"),
        "{titles:?}"
    );
}

#[test]
fn a_refused_renegotiation_gets_a_warning_and_the_connection_goes_on() {
    let mut pair = connected(RenegotiationPolicy::Refuse, RenegotiationPolicy::Refuse);
    let now = pair.now;
    assert!(pair.client.renegotiate(now, &mut pair.client_log));
    pair.drive();
    assert!(
        pair.server_events
            .contains(&TlsEvent::WarningSent(AlertDescription::NoRenegotiation))
    );
    assert!(
        pair.client_events
            .contains(&TlsEvent::AlertReceived(Alert::warning(
                AlertDescription::NoRenegotiation
            )))
    );
    assert_eq!(pair.transfer(Direction::ToServer, b"still"), b"still");
    assert_eq!(pair.transfer(Direction::ToClient, b"here"), b"here");

    // A client that refuses answers a Hello Request the same way.
    let mut pair = connected(RenegotiationPolicy::Refuse, RenegotiationPolicy::Refuse);
    let now = pair.now;
    assert!(pair.server.renegotiate(now, &mut pair.server_log));
    pair.drive();
    assert!(
        pair.client_events
            .contains(&TlsEvent::WarningSent(AlertDescription::NoRenegotiation))
    );
    assert_eq!(pair.client.state_name(), "Connected");
    assert_eq!(pair.transfer(Direction::ToClient, b"on"), b"on");
}

#[test]
fn no_renegotiation_with_a_client_that_did_not_signal_it() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.renegotiation_info = false;
    client
        .cipher_suites
        .retain(|&s| s != CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    client.renegotiation = RenegotiationPolicy::Accept;
    let mut server = server_config(&pki);
    server.renegotiation = RenegotiationPolicy::Accept;
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let now = pair.now;
    // RFC 5746 §4.2, §4.4: neither side starts one.
    assert!(!pair.client.renegotiate(now, &mut pair.client_log));
    assert!(!pair.server.renegotiate(now, &mut pair.server_log));
    // A legacy client's Client Hello once connected is refused.
    let hello = first_message(&pair.client_wire);
    let record = pair.record_after_finished(Side::Client, ContentType::Handshake, &hello);
    pair.server.handle_bytes(now, &record, &mut pair.server_log);
    pair.collect();
    assert_eq!(
        pair.server_events.last(),
        Some(&TlsEvent::WarningSent(AlertDescription::NoRenegotiation))
    );
    assert_eq!(pair.server.state_name(), "Connected");
}

/// The first handshake message of a side's wire: its first record's body.
fn first_message(wire: &[u8]) -> Vec<u8> {
    let len = usize::from(u16::from_be_bytes([wire[3], wire[4]]));
    wire[5..5 + len].to_vec()
}

/// A renegotiating Client Hello whose renegotiation_info carries `info`:
/// the initial one with the extension replaced.
fn client_hello_with_info(pair: &Pair, info: &[u8]) -> Vec<u8> {
    let HandshakeMessage::ClientHello(mut hello) =
        HandshakeMessage::from_bytes(&first_message(&pair.client_wire)).unwrap()
    else {
        panic!("the client's first message is its hello");
    };
    for ext in &mut hello.extensions {
        if let ClientExtension::RenegotiationInfo(data) = ext {
            *data = info.to_vec();
        }
    }
    HandshakeMessage::ClientHello(hello).to_bytes()
}

/// RFC 5746 §3.5, §3.7: a renegotiation_info that does not match ends the
/// handshake with a fatal handshake_failure.
#[track_caller]
fn assert_renegotiation_info_mismatch(events: &[TlsEvent]) {
    assert_eq!(
        error_of(events),
        Some(&Error::from(PeerMisbehaved::RenegotiationInfoMismatch))
    );
    assert_eq!(alert_sent(events), Some(AlertDescription::HandshakeFailure));
}

#[test]
fn a_renegotiation_with_the_wrong_verify_data_is_a_handshake_failure() {
    // RFC 5746 §3.7: the server checks the client's verify_data; an empty
    // one (an initial handshake's) or any other 12 bytes do not match.
    for info in [&[][..], &[0x5a; 12][..]] {
        let mut pair = connected(RenegotiationPolicy::Refuse, RenegotiationPolicy::Accept);
        let hello = client_hello_with_info(&pair, info);
        let record = pair.record_after_finished(Side::Client, ContentType::Handshake, &hello);
        let now = pair.now;
        pair.server.handle_bytes(now, &record, &mut pair.server_log);
        pair.collect();
        assert_renegotiation_info_mismatch(&pair.server_events);
        assert_eq!(pair.server.state_name(), "Failed");
    }
}

#[test]
fn a_server_hello_without_both_verify_data_is_a_handshake_failure() {
    // RFC 5746 §3.5: the client checks that the renegotiating Server
    // Hello's renegotiation_info is client_verify_data + server_verify_data.
    // This server sends the empty one of an initial handshake every time.
    let pki = pki(LeafKey::Ecdsa);
    let client = client_config(&pki);
    let mut server = server_config(&pki);
    server.renegotiation = RenegotiationPolicy::Accept;
    server.opaque_extensions = vec![(ExtensionType::RenegotiationInfo, vec![0])];
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let now = pair.now;
    assert!(pair.client.renegotiate(now, &mut pair.client_log));
    pair.drive();
    assert_renegotiation_info_mismatch(&pair.client_events);
    assert_eq!(pair.client.state_name(), "Failed");
}

#[test]
fn a_client_refused_goes_back_to_connected_and_may_renegotiate_again() {
    // RFC 5246 §7.2.2: after a warning no_renegotiation "the original
    // requester can decide whether to proceed with the connection".
    let mut pair = connected(RenegotiationPolicy::Accept, RenegotiationPolicy::Refuse);
    for refusal in 1..=2 {
        let now = pair.now;
        assert!(pair.client.renegotiate(now, &mut pair.client_log));
        pair.drive();
        assert_eq!(pair.client.state_name(), "Connected", "refusal {refusal}");
        assert_eq!(
            count(&pair.client_log, "Abandon the renegotiation"),
            refusal
        );
        assert_eq!(pair.transfer(Direction::ToServer, b"still"), b"still");
        assert_eq!(pair.transfer(Direction::ToClient, b"here"), b"here");
    }
    let warnings = (pair.server_events.iter())
        .filter(|e| **e == TlsEvent::WarningSent(AlertDescription::NoRenegotiation))
        .count();
    assert_eq!(warnings, 2);
    // The server's own Hello Request is answered: a renegotiation it asked
    // for is one its policy accepts.
    let now = pair.now;
    assert!(pair.server.renegotiate(now, &mut pair.server_log));
    pair.drive();
    assert_eq!(count(&pair.client_log, "TLS renegotiation complete"), 1);
    assert_eq!(count(&pair.server_log, "TLS renegotiation complete"), 1);
    assert_eq!(pair.transfer(Direction::ToServer, b"after"), b"after");
    assert_eq!(pair.transfer(Direction::ToClient, b"reply"), b"reply");
    assert!(pair.client_failure().is_none() && pair.server_failure().is_none());
}

/// The verify_data of the client's last Finished, as the server checked it.
fn client_verify_data(pair: &Pair) -> Vec<u8> {
    let value = (pair.server_log.iter())
        .filter(|e| e.title == "Verify Finished")
        .flat_map(|e| &e.fields)
        .find(|f| f.name == "Received Verify Data")
        .expect("the server checked the client's Finished")
        .value
        .clone();
    (0..value.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&value[i..i + 2], 16).unwrap())
        .collect()
}

/// Hands the server a renegotiating Client Hello with the right
/// verify_data that offers `version`, encrypted as the client would.
fn renegotiate_offering(pair: &mut Pair, version: ProtocolVersion) {
    let hello = client_hello_with_info(pair, &client_verify_data(pair));
    let HandshakeMessage::ClientHello(mut hello) = HandshakeMessage::from_bytes(&hello).unwrap()
    else {
        panic!("a Client Hello");
    };
    hello.client_version = version;
    let hello = HandshakeMessage::ClientHello(hello).to_bytes();
    let record = pair.record_after_finished(Side::Client, ContentType::Handshake, &hello);
    let now = pair.now;
    pair.server.handle_bytes(now, &record, &mut pair.server_log);
    pair.collect();
}

#[test]
fn a_renegotiation_that_changes_the_version_is_protocol_version() {
    // RFC 5246 §7.2.2 protocol_version; a renegotiation continues the
    // connection at the version it runs. This client offers TLS 1.1 in a
    // renegotiation of a TLS 1.2 connection.
    let mut pair = connected(RenegotiationPolicy::Refuse, RenegotiationPolicy::Accept);
    renegotiate_offering(&mut pair, ProtocolVersion::Tls11);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::from(PeerIncompatible::UnsupportedVersion(
            ProtocolVersion::Tls11
        )))
    );
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::ProtocolVersion)
    );
    assert_eq!(pair.server.state_name(), "Failed");
}

#[test]
fn a_renegotiation_offering_a_higher_version_keeps_the_connections() {
    // A TLS 1.1 connection renegotiated by a hello that offers TLS 1.2
    // stays TLS 1.1: the server answers with the version in force.
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.max_version = ProtocolVersion::Tls11;
    client.min_version = ProtocolVersion::Tls10;
    let mut server = server_config(&pki);
    server.min_version = ProtocolVersion::Tls10;
    server.renegotiation = RenegotiationPolicy::Accept;
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    renegotiate_offering(&mut pair, ProtocolVersion::Tls12);
    assert!(pair.server_failure().is_none(), "{:?}", pair.server_events);
    let versions: Vec<String> = (pair.server_log.iter())
        .filter(|e| e.title.starts_with("TLS Server Hello"))
        .flat_map(|e| &e.fields)
        .filter(|f| f.name == "Version")
        .map(|f| f.value.clone())
        .collect();
    assert!(
        versions.len() >= 2 && versions.iter().all(|v| v.ends_with("(0x0302)")),
        "{versions:?}"
    );
}
