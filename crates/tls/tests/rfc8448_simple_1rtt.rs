//! RFC 8448 §3 "Simple 1-RTT Handshake", value by value: the X25519
//! shares, every secret of the key schedule, every traffic key and IV,
//! both Finished values, the resumption PSK, and the protected records,
//! which must come out byte for byte.

mod rfc8448;

use rfc8448::simple_1rtt::*;
use rfc8448::{ApplicationTrace, check_application_secrets, fragment, h, keys, suite};

use tlsim_tls::codec::Codec;
use tlsim_tls::crypto::cipher::Side;
use tlsim_tls::crypto::cipher::tls13::{Tls13Decrypter, Tls13Encrypter};
use tlsim_tls::crypto::key_schedule::{
    KeySchedule, SecretKind, Stage, TrafficKeys, finished_key, finished_verify_data, resumption_psk,
};
use tlsim_tls::crypto::kx::KxGroup;
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, ContentType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use tlsim_tls::msgs::ServerHello;
use tlsim_tls::msgs::tls13::{
    ClientKeyShares, ClientSupportedVersions, KeyShareEntry, ServerSupportedVersion,
    Tls13Extension, Tls13Message, certificate_verify_content,
};

/// The handshake messages of one plaintext, split.
fn split_messages(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len = 4 + usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        out.push(&bytes[..len]);
        bytes = &bytes[len..];
    }
    out
}

#[test]
fn x25519_shares_and_shared_secret() {
    let (client, client_public) = KxGroup::X25519
        .generate_from_private(&h(CLIENT_PRIVATE))
        .unwrap();
    let (server, server_public) = KxGroup::X25519
        .generate_from_private(&h(SERVER_PRIVATE))
        .unwrap();
    assert_eq!(client_public, h(CLIENT_PUBLIC));
    assert_eq!(server_public, h(SERVER_PUBLIC));
    assert_eq!(client.agree(&server_public).unwrap(), h(ECDHE));
    assert_eq!(server.agree(&client_public).unwrap(), h(ECDHE));
}

#[test]
fn hellos_parse_and_carry_the_1_3_extensions() {
    let Tls13Message::ClientHello(client_hello) =
        Tls13Message::from_bytes(&h(CLIENT_HELLO)).unwrap()
    else {
        panic!("not a ClientHello");
    };
    assert_eq!(
        ClientSupportedVersions::find_in_client_hello(&client_hello),
        Some(Ok(ClientSupportedVersions(vec![ProtocolVersion::Tls13])))
    );
    let shares = ClientKeyShares::find_in_client_hello(&client_hello)
        .unwrap()
        .unwrap();
    assert_eq!(
        shares.0,
        [KeyShareEntry {
            group: NamedGroup::X25519,
            key_exchange: h(CLIENT_PUBLIC)
        }]
    );
    assert_eq!(
        Tls13Message::ClientHello(client_hello.clone()).to_bytes(),
        h(CLIENT_HELLO)
    );

    let server_hello = ServerHello::from_bytes(&h(SERVER_HELLO)[4..]).unwrap();
    assert!(!server_hello.is_hello_retry_request());
    assert_eq!(
        server_hello.cipher_suite,
        CipherSuite::TLS_AES_128_GCM_SHA256
    );
    assert_eq!(
        ServerSupportedVersion::find_in_server_hello(&server_hello),
        Some(Ok(ServerSupportedVersion(ProtocolVersion::Tls13)))
    );
    assert_eq!(
        KeyShareEntry::find_in_server_hello(&server_hello),
        Some(Ok(KeyShareEntry {
            group: NamedGroup::X25519,
            key_exchange: h(SERVER_PUBLIC)
        }))
    );
}

/// The whole schedule, the server's flight opened, the client's Finished
/// sealed, and the application records both ways.
#[test]
fn key_schedule_and_records_match_the_trace() {
    let suite = suite();
    let hash = suite.hash;

    let mut schedule = KeySchedule::new(hash, None);
    assert_eq!(schedule.secret(), h(EARLY_SECRET));
    assert_eq!(schedule.derived(), h(DERIVED_FROM_EARLY));
    schedule.advance(Some(&h(ECDHE)));
    assert_eq!(schedule.stage(), Stage::Handshake);
    assert_eq!(schedule.secret(), h(HANDSHAKE_SECRET));

    let mut transcript = [h(CLIENT_HELLO), h(SERVER_HELLO)].concat();
    let hello_hash = hash.hash(&transcript);
    assert_eq!(hello_hash, h(HELLO_HASH));
    let client_hs = schedule.derive(SecretKind::ClientHandshakeTraffic, &hello_hash);
    let server_hs = schedule.derive(SecretKind::ServerHandshakeTraffic, &hello_hash);
    assert_eq!(client_hs, h(CLIENT_HS_TRAFFIC));
    assert_eq!(server_hs, h(SERVER_HS_TRAFFIC));
    assert_eq!(
        TrafficKeys::derive(hash, suite.bulk, &server_hs),
        keys(SERVER_HS_KEY, SERVER_HS_IV)
    );
    assert_eq!(
        TrafficKeys::derive(hash, suite.bulk, &client_hs),
        keys(CLIENT_HS_KEY, CLIENT_HS_IV)
    );

    // The server's encrypted flight, opened with the server handshake keys.
    let mut server_hs_open = Tls13Decrypter::new(
        suite.bulk,
        &TrafficKeys::derive(hash, suite.bulk, &server_hs),
    )
    .unwrap();
    let flight = server_hs_open
        .decrypt(&fragment(SERVER_FLIGHT_RECORD))
        .unwrap();
    assert_eq!(flight.typ, ContentType::Handshake);
    assert_eq!(flight.padding_len, 0);
    let messages = split_messages(&flight.content);
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[0], h(ENCRYPTED_EXTENSIONS));
    let parsed: Vec<Tls13Message> = messages
        .iter()
        .map(|m| Tls13Message::from_bytes(m).unwrap())
        .collect();
    for (message, bytes) in parsed.iter().zip(&messages) {
        assert_eq!(&message.to_bytes()[..], *bytes, "re-encodes byte for byte");
    }
    let Tls13Message::Certificate(certificate) = &parsed[1] else {
        panic!("second message is not a Certificate");
    };
    assert!(certificate.context.is_empty());
    assert_eq!(certificate.entries.len(), 1);
    let Tls13Message::CertificateVerify(verify) = &parsed[2] else {
        panic!("third message is not a CertificateVerify");
    };
    assert_eq!(verify.scheme, SignatureScheme::RsaPssRsaeSha256);
    assert_eq!(verify.signature.len(), 128);
    let content = certificate_verify_content(
        Side::Server,
        &hash.hash(&[&transcript[..], messages[0], messages[1]].concat()),
    );
    assert_eq!(content.len(), 64 + 33 + 1 + 32);

    transcript.extend(messages[..3].concat());
    let server_finished_key = finished_key(hash, &server_hs);
    assert_eq!(server_finished_key, h(SERVER_FINISHED_KEY));
    let server_verify_data =
        finished_verify_data(hash, &server_finished_key, &hash.hash(&transcript));
    assert_eq!(server_verify_data, h(SERVER_VERIFY_DATA));
    assert_eq!(messages[3][4..], server_verify_data[..]);
    transcript.extend_from_slice(messages[3]);

    // Master Secret and the application traffic secrets.
    assert_eq!(schedule.derived(), h(DERIVED_FROM_HANDSHAKE));
    schedule.advance(None);
    assert_eq!(schedule.secret(), h(MASTER_SECRET));
    let server_finished_hash = hash.hash(&transcript);
    assert_eq!(server_finished_hash, h(SERVER_FINISHED_HASH));
    let (client_ap, server_ap) = check_application_secrets(
        &schedule,
        &server_finished_hash,
        &ApplicationTrace {
            client_traffic: CLIENT_AP_TRAFFIC,
            server_traffic: SERVER_AP_TRAFFIC,
            exporter: EXPORTER_MASTER,
            client_keys: [CLIENT_AP_KEY, CLIENT_AP_IV],
            server_keys: [SERVER_AP_KEY, SERVER_AP_IV],
        },
    );

    // The client's Finished, sealed under the client handshake keys.
    let client_finished_key = finished_key(hash, &client_hs);
    assert_eq!(client_finished_key, h(CLIENT_FINISHED_KEY));
    let client_verify_data =
        finished_verify_data(hash, &client_finished_key, &server_finished_hash);
    assert_eq!(client_verify_data, h(CLIENT_VERIFY_DATA));
    let client_finished = [&[20, 0, 0, 32][..], &client_verify_data].concat();
    let mut client_hs_seal = Tls13Encrypter::new(
        suite.bulk,
        &TrafficKeys::derive(hash, suite.bulk, &client_hs),
    )
    .unwrap();
    assert_eq!(
        client_hs_seal.encrypt(ContentType::Handshake, &client_finished, 0),
        fragment(CLIENT_FINISHED_RECORD)
    );
    transcript.extend_from_slice(&client_finished);

    // Resumption.
    let client_finished_hash = hash.hash(&transcript);
    assert_eq!(client_finished_hash, h(CLIENT_FINISHED_HASH));
    let resumption_master = schedule.derive(SecretKind::ResumptionMaster, &client_finished_hash);
    assert_eq!(resumption_master, h(RESUMPTION_MASTER));
    assert_eq!(
        resumption_psk(hash, &resumption_master, &[0, 0]),
        h(RESUMPTION_PSK)
    );

    // Application records: the server's ticket, then data and
    // close_notify both ways.
    let server_keys = TrafficKeys::derive(hash, suite.bulk, &server_ap);
    let client_keys = TrafficKeys::derive(hash, suite.bulk, &client_ap);
    let mut server_ap_open = Tls13Decrypter::new(suite.bulk, &server_keys).unwrap();
    let ticket = server_ap_open
        .decrypt(&fragment(NEW_SESSION_TICKET_RECORD))
        .unwrap();
    assert_eq!(ticket.typ, ContentType::Handshake);
    let Tls13Message::NewSessionTicket(ticket) = Tls13Message::from_bytes(&ticket.content).unwrap()
    else {
        panic!("not a NewSessionTicket");
    };
    assert_eq!(ticket.nonce, [0, 0]);
    let payload: Vec<u8> = (0..50).collect();
    let data = server_ap_open
        .decrypt(&fragment(SERVER_APP_RECORD))
        .unwrap();
    assert_eq!(
        (data.typ, data.content),
        (ContentType::ApplicationData, payload.clone())
    );

    let mut client_ap_seal = Tls13Encrypter::new(suite.bulk, &client_keys).unwrap();
    assert_eq!(
        client_ap_seal.encrypt(ContentType::ApplicationData, &payload, 0),
        fragment(CLIENT_APP_RECORD)
    );
    let close_notify = [1, AlertDescription::CloseNotify.get()];
    assert_eq!(
        client_ap_seal.encrypt(ContentType::Alert, &close_notify, 0),
        fragment(CLIENT_ALERT_RECORD)
    );
    let alert = server_ap_open
        .decrypt(&fragment(SERVER_ALERT_RECORD))
        .unwrap();
    assert_eq!(
        (alert.typ, alert.content),
        (ContentType::Alert, close_notify.to_vec())
    );
}
