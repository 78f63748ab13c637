//! What the server answers to malformed, misplaced or refused messages
//! from a real client whose flights are edited in flight: each case ends
//! with the alert the RFC names, or goes on where the RFC says it does.

use tlsim_test_support::flight::{Unit, tamper_units};
use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, error_of, pki, server_config,
};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
};
use tlsim_tls::error::{Error, InvalidMessage, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::Alert;
use tlsim_tls_client::ClientConfig;

/// A handshake between the standard server and `client`, in which the
/// client's `flight`-th delivery is edited by `edit`.
fn edited_client_flight_with(
    client: ClientConfig,
    flight: usize,
    edit: impl Fn(&mut Vec<Unit>) + 'static,
) -> Pair {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client, server_config(&pki));
    tamper_units(&mut pair, Direction::ToServer, move |delivery, units| {
        if delivery == flight {
            edit(units);
        }
    });
    pair.handshake();
    pair
}

/// [`edited_client_flight_with`] the standard client.
fn edited_client_flight(flight: usize, edit: impl Fn(&mut Vec<Unit>) + 'static) -> Pair {
    edited_client_flight_with(client_config(&pki(LeafKey::Ecdsa)), flight, edit)
}

/// The unit of the ChangeCipherSpec record in a flight.
fn change_cipher_spec(units: &mut [Unit]) -> &mut Unit {
    units
        .iter_mut()
        .find(|u| u.content_type == ContentType::ChangeCipherSpec.get())
        .expect("a ChangeCipherSpec in the flight")
}

#[track_caller]
fn assert_server_sent(pair: &Pair, alert: AlertDescription) {
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(alert),
        "{:?}",
        error_of(&pair.server_events)
    );
    assert!(
        pair.client_events
            .contains(&TlsEvent::AlertReceived(Alert::fatal(alert)))
    );
    assert!(!pair.is_complete());
}

#[test]
fn a_two_byte_change_cipher_spec_is_unexpected_message() {
    let pair = edited_client_flight(1, |units| change_cipher_spec(units).body = vec![1, 1]);
    assert_server_sent(&pair, AlertDescription::UnexpectedMessage);
    // The first byte is a whole ChangeCipherSpec; the second meets the
    // state that waits for the Finished.
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InappropriateMessage {
            expected: &[ContentType::Handshake],
            got: ContentType::ChangeCipherSpec,
        })
    );
    assert_eq!(pair.server.state_name(), "Failed");
}

#[test]
fn an_empty_change_cipher_spec_is_decode_error() {
    let pair = edited_client_flight(1, |units| change_cipher_spec(units).body.clear());
    assert_server_sent(&pair, AlertDescription::DecodeError);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InvalidMessage(InvalidMessage::EmptyFragment(
            ContentType::ChangeCipherSpec
        )))
    );
}

#[test]
fn a_change_cipher_spec_of_another_value_is_illegal_parameter() {
    let pair = edited_client_flight(1, |units| change_cipher_spec(units).body = vec![2]);
    assert_server_sent(&pair, AlertDescription::IllegalParameter);
}

/// Handshake types a client might send in place of its Client Hello:
/// HelloRequest, ServerHello, NewSessionTicket, Certificate,
/// ServerKeyExchange, CertificateRequest, ServerHelloDone,
/// CertificateVerify, ClientKeyExchange, Finished, and types no RFC
/// defines.
const NOT_CLIENT_HELLO: [u8; 12] = [0, 2, 4, 11, 12, 13, 14, 15, 16, 20, 99, 255];

#[test]
fn any_other_type_in_place_of_the_client_hello_is_unexpected_message() {
    for typ in NOT_CLIENT_HELLO {
        // The body stays a Client Hello's, which no other type decodes.
        let pair = edited_client_flight(0, move |units| units[0].body[0] = typ);
        assert_server_sent(&pair, AlertDescription::UnexpectedMessage);
        assert_eq!(
            error_of(&pair.server_events),
            Some(&Error::InappropriateHandshakeMessage {
                expected: &[HandshakeType::ClientHello],
                got: HandshakeType::from(typ),
            }),
            "type {typ}"
        );
    }
}

#[test]
fn a_well_formed_message_of_another_type_is_unexpected_message_too() {
    // An empty HelloRequest and an empty ServerHelloDone decode.
    for typ in [0, 14] {
        let pair = edited_client_flight(0, move |units| units[0].body = vec![typ, 0, 0, 0]);
        assert_server_sent(&pair, AlertDescription::UnexpectedMessage);
    }
}

#[test]
fn a_misplaced_type_later_in_the_handshake_is_unexpected_message() {
    // The Client Key Exchange relabelled as a Client Hello, which its body
    // does not decode as: the type is judged first.
    let pair = edited_client_flight(1, |units| {
        units[0].body[0] = HandshakeType::ClientHello.get();
    });
    assert_server_sent(&pair, AlertDescription::UnexpectedMessage);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::ClientKeyExchange],
            got: HandshakeType::ClientHello,
        })
    );
}

#[test]
fn a_client_hello_that_does_not_decode_is_decode_error() {
    // Cut the body by one byte and fix the length: the extension block
    // runs short.
    let pair = edited_client_flight(0, |units| {
        let body = &mut units[0].body;
        body.pop();
        fix_length(body);
    });
    assert_server_sent(&pair, AlertDescription::DecodeError);
}

#[test]
fn fallback_scsv_below_the_servers_highest_version_is_inappropriate_fallback() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.max_version = ProtocolVersion::Tls11;
    client.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
    let mut pair = Pair::new(client, server_config(&pki));
    pair.handshake();
    assert_server_sent(&pair, AlertDescription::InappropriateFallback);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::PeerMisbehaved(
            PeerMisbehaved::InappropriateFallback
        ))
    );
}

#[test]
fn fallback_scsv_at_the_servers_highest_version_is_accepted() {
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    client.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
    let mut pair = Pair::new(client.clone(), server_config(&pki));
    pair.handshake();
    pair.assert_complete();
    // Nor is it a fallback when the server's highest is the client's.
    client.max_version = ProtocolVersion::Tls11;
    let mut server = server_config(&pki);
    server.max_version = ProtocolVersion::Tls11;
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.server.negotiated().unwrap().version,
        ProtocolVersion::Tls11
    );
}

#[test]
fn a_client_hello_after_the_handshake_gets_a_no_renegotiation_warning_and_data_flows_on() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    pair.assert_complete();
    // A fresh Client Hello from a client of the same configuration.
    let mut fresh = Pair::new(client_config(&pki), server_config(&pki));
    fresh.start();
    let mut hello_record = Vec::new();
    fresh.client.write_tls(&mut hello_record);
    let record =
        pair.record_after_finished(Side::Client, ContentType::Handshake, &hello_record[5..]);
    let now = pair.now;
    pair.server.handle_bytes(now, &record, &mut pair.server_log);
    pair.drive();

    assert!(pair.server_failure().is_none(), "{:?}", pair.server_events);
    assert!(pair.client_failure().is_none(), "{:?}", pair.client_events);
    assert!(
        pair.client_events
            .contains(&TlsEvent::AlertReceived(Alert::warning(
                AlertDescription::NoRenegotiation
            )))
    );
    assert!(Pair::titles(&pair.server_log).contains(&"TLS Alert (no_renegotiation)".to_owned()));
    assert_eq!(pair.server.state_name(), "Connected");
    // The connection goes on. (The probe took the client's next sequence
    // number on the server's side, so data is checked server to client.)
    assert_eq!(
        pair.transfer(Direction::ToClient, b"still here"),
        b"still here"
    );
}

#[test]
fn any_other_handshake_message_after_the_handshake_is_unexpected_message() {
    let pki = pki(LeafKey::Ecdsa);
    let mut pair = Pair::new(client_config(&pki), server_config(&pki));
    pair.handshake();
    // A HelloRequest, which only a server may send.
    let record = pair.record_after_finished(Side::Client, ContentType::Handshake, &[0, 0, 0, 0]);
    let now = pair.now;
    pair.server.handle_bytes(now, &record, &mut pair.server_log);
    pair.collect();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::UnexpectedMessage)
    );
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InappropriateHandshakeMessage {
            expected: &[HandshakeType::ClientHello],
            got: HandshakeType::HelloRequest,
        })
    );
}

/// Offsets in a Client Hello message: type (1), length (3), version (2),
/// random (32), then the session ID's length.
const SESSION_ID_LEN_AT: usize = 38;

/// Rewrites the handshake length of `message` after its body changed.
fn fix_length(message: &mut [u8]) {
    let len = (message.len() - 4) as u32;
    message[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
}

#[test]
fn a_session_id_longer_than_32_bytes_is_decode_error() {
    // RFC 5246 §7.4.1.2: `opaque SessionID<0..32>`; a length out of the
    // vector's range cannot be decoded (§7.2.2 decode_error).
    let pair = edited_client_flight(0, |units| {
        let hello = &mut units[0].body;
        assert_eq!(hello[SESSION_ID_LEN_AT], 0, "the client offers no session");
        hello[SESSION_ID_LEN_AT] = 33;
        hello.splice(SESSION_ID_LEN_AT + 1..SESSION_ID_LEN_AT + 1, [3; 33]);
        fix_length(hello);
    });
    assert_server_sent(&pair, AlertDescription::DecodeError);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InvalidMessage(InvalidMessage::LengthOutOfBounds(
            "SessionID"
        )))
    );
}

#[test]
fn compression_methods_without_null_are_illegal_parameter() {
    // RFC 5246 §7.4.1.2: the list "MUST contain ... CompressionMethod.null";
    // one without it is a field out of range (§7.2.2 illegal_parameter).
    let pair = edited_client_flight(0, |units| {
        let hello = &mut units[0].body;
        let suites_at = SESSION_ID_LEN_AT + 1;
        let suites_len = usize::from(u16::from_be_bytes([hello[suites_at], hello[suites_at + 1]]));
        let methods_at = suites_at + 2 + suites_len;
        assert_eq!(&hello[methods_at..methods_at + 2], [1, 0], "null alone");
        hello[methods_at + 1] = 1; // DEFLATE (RFC 3749)
    });
    assert_server_sent(&pair, AlertDescription::IllegalParameter);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::PeerIncompatible(
            PeerIncompatible::NullCompressionRequired
        ))
    );
}

#[test]
fn an_extension_sent_twice_is_illegal_parameter() {
    // RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the
    // same type."
    let pki = pki(LeafKey::Ecdsa);
    let mut client = client_config(&pki);
    // A second, empty renegotiation_info after the one the client sends.
    client.opaque_extensions = vec![(ExtensionType::RenegotiationInfo, vec![0])];
    let pair = edited_client_flight_with(client, 0, |_| {});
    assert_server_sent(&pair, AlertDescription::IllegalParameter);
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InvalidMessage(InvalidMessage::DuplicateExtension(
            ExtensionType::RenegotiationInfo
        )))
    );
}

#[test]
fn a_client_version_below_ssl3_is_protocol_version() {
    // RFC 5246 Appendix E.1: a server that will not speak the client's
    // version answers protocol_version.
    let pair = edited_client_flight(0, |units| units[0].body[4..6].copy_from_slice(&[3, 0]));
    assert_server_sent(&pair, AlertDescription::ProtocolVersion);
}

/// RFC 5246 §7.4.7.1: an encrypted premaster secret that does not decrypt
/// is not refused; the server goes on with random bytes, and the client's
/// Finished, protected with other keys, fails as bad_record_mac, the alert
/// of any corrupted record, never one of its own.
#[test]
fn a_corrupted_rsa_premaster_secret_fails_only_at_the_finished() {
    let pki = pki(LeafKey::Rsa);
    let suite = CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256;
    let mut client = client_config(&pki);
    client.cipher_suites = vec![suite];
    let mut server = server_config(&pki);
    server.cipher_suites = vec![suite];
    let mut pair = Pair::new(client, server);
    let mut deliveries = 0;
    pair.tamper(move |direction, bytes| {
        if direction == Direction::ToServer {
            deliveries += 1;
            // The second flight opens with the Client Key Exchange record:
            // header, handshake header, ciphertext length, then the
            // ciphertext, whose 21st byte flips.
            if deliveries == 2 {
                bytes[5 + 4 + 2 + 20] ^= 0x01;
            }
        }
    });
    pair.handshake();
    assert_server_sent(&pair, AlertDescription::BadRecordMac);
    let decrypted = pair
        .server_log
        .iter()
        .find(|e| e.title == "Decrypt the Pre-master Secret")
        .expect("the server tried to decrypt");
    assert!(
        decrypted
            .field_value("Result")
            .is_some_and(|r| r.starts_with("not a 48-byte")),
        "{decrypted:?}"
    );
}

/// RFC 5246 §7.4.7.1: the textbook RSA handshake completes, with no Server
/// Key Exchange, and the premaster secret starts with the client's version.
#[test]
fn rsa_key_transport_completes_without_a_server_key_exchange() {
    let pki = pki(LeafKey::Rsa);
    let suite = CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA;
    let mut client = client_config(&pki);
    client.cipher_suites = vec![suite];
    let mut server = server_config(&pki);
    server.cipher_suites = vec![suite];
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let titles = Pair::titles(&pair.server_log);
    assert!(titles.contains(&"TLS Server Hello + Certificate + Server Hello Done".to_owned()));
    let premaster = pair
        .client_log
        .iter()
        .find(|e| e.title == "Encrypt the Pre-master Secret")
        .and_then(|e| e.field_value("Pre-master Secret"))
        .expect("the client encrypted a premaster secret");
    assert!(premaster.starts_with("0303"), "{premaster}");
    assert_eq!(pair.server.negotiated().unwrap().group, None);
}
