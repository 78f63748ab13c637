//! RFC 8448 §4 "Resumed 0-RTT Handshake", value by value: the ticket of
//! §3 and its PSK, the Client Hello's pre_shared_key with the binder over
//! the truncated Client Hello, the early secrets and keys, the 0-RTT
//! record and EndOfEarlyData, the psk_dhe_ke handshake secrets, both
//! Finished values, the resumption master secret, and the protected
//! records, which must come out byte for byte.

mod rfc8448;

use rfc8448::resumed_0rtt::*;
use rfc8448::{ApplicationTrace, check_application_secrets, fragment, h, keys, suite};

use tlsim_tls::codec::Codec;
use tlsim_tls::crypto::cipher::tls13::Tls13Encrypter;
use tlsim_tls::crypto::key_schedule::{
    HkdfHash, KeySchedule, SecretKind, TrafficKeys, finished_key, finished_verify_data,
    resumption_psk,
};
use tlsim_tls::crypto::kx::KxGroup;
use tlsim_tls::enums::{ContentType, PskKeyExchangeMode};
use tlsim_tls::msgs::psk::{
    EarlyDataOffer, MaxEarlyDataSize, SelectedPsk, offered_psks, truncated_client_hello,
};
use tlsim_tls::msgs::tls13::{KeyShareEntry, PskKeyExchangeModes, Tls13Extension, Tls13Message};

#[test]
fn the_ticket_carries_its_nonce_age_add_and_early_data_limit() {
    let Tls13Message::NewSessionTicket(ticket) =
        Tls13Message::from_bytes(&h(NEW_SESSION_TICKET)).unwrap()
    else {
        panic!("not a NewSessionTicket");
    };
    assert_eq!(ticket.lifetime, 30);
    assert_eq!(ticket.age_add, 0xfad6_aac5);
    assert_eq!(ticket.nonce, [0, 0]);
    assert_eq!(ticket.ticket.len(), 178);
    assert_eq!(
        ticket.extensions,
        [MaxEarlyDataSize(1024).to_server_extension()]
    );
    assert_eq!(
        resumption_psk(HkdfHash::Sha256, &h(RESUMPTION_MASTER_1), &ticket.nonce),
        h(PSK)
    );
}

#[test]
fn the_client_hello_offers_the_ticket_last_with_its_binder() {
    let encoded = client_hello();
    assert_eq!(encoded.len(), 512);
    let Tls13Message::ClientHello(hello) = Tls13Message::from_bytes(&encoded).unwrap() else {
        panic!("not a ClientHello");
    };
    // Re-encoding gives the RFC's bytes.
    assert_eq!(Tls13Message::ClientHello(hello.clone()).to_bytes(), encoded);
    let offered = offered_psks(&hello).unwrap().expect("pre_shared_key");
    let Tls13Message::NewSessionTicket(ticket) =
        Tls13Message::from_bytes(&h(NEW_SESSION_TICKET)).unwrap()
    else {
        panic!("not a NewSessionTicket");
    };
    assert_eq!(offered.identities[0].identity, ticket.ticket);
    // RFC 8446 §4.2.11.1: the age (here 6 ms) plus ticket_age_add.
    assert_eq!(
        offered.identities[0]
            .obfuscated_ticket_age
            .wrapping_sub(ticket.age_add),
        6
    );
    assert_eq!(offered.binders[0].0, h(BINDER));
    assert_eq!(
        truncated_client_hello(&encoded, &offered).unwrap(),
        h(CLIENT_HELLO_PREFIX)
    );
    assert_eq!(
        PskKeyExchangeModes::find_in_client_hello(&hello),
        Some(Ok(PskKeyExchangeModes(vec![PskKeyExchangeMode::PskDheKe])))
    );
    assert_eq!(
        EarlyDataOffer::find_in_client_hello(&hello),
        Some(Ok(EarlyDataOffer))
    );
}

#[test]
fn binder_early_secrets_and_the_0rtt_record_match_the_trace() {
    let suite = suite();
    let hash = suite.hash;
    let early = KeySchedule::new(hash, Some(&h(PSK)));
    assert_eq!(early.secret(), h(EARLY_SECRET));

    // RFC 8446 §4.2.11.2: the binder, keyed like a Finished from
    // binder_key, over the Client Hello up to the binders.
    let binder_key = early.derive(SecretKind::ResumptionPskBinderKey, &hash.hash(&[]));
    assert_eq!(binder_key, h(BINDER_KEY));
    let binder_finished_key = finished_key(hash, &binder_key);
    assert_eq!(binder_finished_key, h(BINDER_FINISHED_KEY));
    let prefix_hash = hash.hash(&h(CLIENT_HELLO_PREFIX));
    assert_eq!(prefix_hash, h(PREFIX_HASH));
    assert_eq!(
        finished_verify_data(hash, &binder_finished_key, &prefix_hash),
        h(BINDER)
    );

    // The early secrets over the whole Client Hello, and the 0-RTT keys.
    let hello_hash = hash.hash(&client_hello());
    let early_traffic = early.derive(SecretKind::ClientEarlyTraffic, &hello_hash);
    assert_eq!(early_traffic, h(CLIENT_EARLY_TRAFFIC));
    assert_eq!(
        early.derive(SecretKind::EarlyExporterMaster, &hello_hash),
        h(EARLY_EXPORTER_MASTER)
    );
    let early_keys = TrafficKeys::derive(hash, suite.bulk, &early_traffic);
    assert_eq!(early_keys, keys(EARLY_KEY, EARLY_IV));

    // The 0-RTT record, then (sequence number 1) EndOfEarlyData.
    let mut early_seal = Tls13Encrypter::new(suite.bulk, &early_keys).unwrap();
    assert_eq!(
        early_seal.encrypt(ContentType::ApplicationData, b"ABCDEF", 0),
        fragment(EARLY_DATA_RECORD)
    );
    assert_eq!(
        early_seal.encrypt(
            ContentType::Handshake,
            &Tls13Message::EndOfEarlyData.to_bytes(),
            0
        ),
        fragment(END_OF_EARLY_DATA_RECORD)
    );
}

#[test]
fn psk_dhe_ke_handshake_finished_and_records_match_the_trace() {
    let suite = suite();
    let hash = suite.hash;

    // The Server Hello accepts identity 0 and shares x25519.
    let Tls13Message::ServerHello(server_hello) =
        Tls13Message::from_bytes(&h(SERVER_HELLO)).unwrap()
    else {
        panic!("not a ServerHello");
    };
    assert_eq!(
        SelectedPsk::find_in_server_hello(&server_hello),
        Some(Ok(SelectedPsk(0)))
    );
    let share = KeyShareEntry::find_in_server_hello(&server_hello)
        .unwrap()
        .unwrap();
    let (client, client_public) = KxGroup::X25519
        .generate_from_private(&h(CLIENT_PRIVATE))
        .unwrap();
    assert_eq!(client_public, h(CLIENT_PUBLIC));
    let (server, server_public) = KxGroup::X25519
        .generate_from_private(&h(SERVER_PRIVATE))
        .unwrap();
    assert_eq!(server_public, share.key_exchange);
    let shared = client.agree(&share.key_exchange).unwrap();
    assert_eq!(shared, h(ECDHE));
    assert_eq!(server.agree(&client_public).unwrap(), shared);

    // The Handshake Secret from the PSK's Early Secret and the ECDHE.
    let mut schedule = KeySchedule::new(hash, Some(&h(PSK)));
    assert_eq!(schedule.derived(), h(DERIVED_FROM_EARLY));
    schedule.advance(Some(&shared));
    assert_eq!(schedule.secret(), h(HANDSHAKE_SECRET));
    let mut transcript = [client_hello(), h(SERVER_HELLO)].concat();
    let hello_hash = hash.hash(&transcript);
    let client_hs = schedule.derive(SecretKind::ClientHandshakeTraffic, &hello_hash);
    let server_hs = schedule.derive(SecretKind::ServerHandshakeTraffic, &hello_hash);
    assert_eq!(client_hs, h(CLIENT_HS_TRAFFIC));
    assert_eq!(server_hs, h(SERVER_HS_TRAFFIC));
    let server_hs_keys = TrafficKeys::derive(hash, suite.bulk, &server_hs);
    assert_eq!(server_hs_keys, keys(SERVER_HS_KEY, SERVER_HS_IV));
    let client_hs_keys = TrafficKeys::derive(hash, suite.bulk, &client_hs);
    assert_eq!(client_hs_keys, keys(CLIENT_HS_KEY, CLIENT_HS_IV));

    // EncryptedExtensions accepts the early data; no certificate, and the
    // server's Finished, both in one record.
    let Tls13Message::EncryptedExtensions(ee) =
        Tls13Message::from_bytes(&h(ENCRYPTED_EXTENSIONS)).unwrap()
    else {
        panic!("not EncryptedExtensions");
    };
    assert_eq!(ee.find::<EarlyDataOffer>(), Some(Ok(EarlyDataOffer)));
    transcript.extend(h(ENCRYPTED_EXTENSIONS));
    let server_verify_data = finished_verify_data(
        hash,
        &finished_key(hash, &server_hs),
        &hash.hash(&transcript),
    );
    assert_eq!(server_verify_data, h(SERVER_FINISHED_VERIFY_DATA));
    let server_finished = [&[20, 0, 0, 32][..], &server_verify_data].concat();
    let mut server_hs_seal = Tls13Encrypter::new(suite.bulk, &server_hs_keys).unwrap();
    assert_eq!(
        server_hs_seal.encrypt(
            ContentType::Handshake,
            &[h(ENCRYPTED_EXTENSIONS), server_finished.clone()].concat(),
            0
        ),
        fragment(SERVER_FLIGHT_RECORD)
    );
    transcript.extend(&server_finished);

    // The Master Secret and the application secrets, through the server's
    // Finished.
    schedule.advance(None);
    assert_eq!(schedule.secret(), h(MASTER_SECRET));
    let server_finished_hash = hash.hash(&transcript);
    check_application_secrets(
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

    // EndOfEarlyData joins the transcript before the client's Finished.
    transcript.extend(Tls13Message::EndOfEarlyData.to_bytes());
    let client_verify_data = finished_verify_data(
        hash,
        &finished_key(hash, &client_hs),
        &hash.hash(&transcript),
    );
    assert_eq!(client_verify_data, h(CLIENT_FINISHED_VERIFY_DATA));
    let client_finished = [&[20, 0, 0, 32][..], &client_verify_data].concat();
    let mut client_hs_seal = Tls13Encrypter::new(suite.bulk, &client_hs_keys).unwrap();
    assert_eq!(
        client_hs_seal.encrypt(ContentType::Handshake, &client_finished, 0),
        fragment(CLIENT_FINISHED_RECORD)
    );
    transcript.extend(&client_finished);
    assert_eq!(
        schedule.derive(SecretKind::ResumptionMaster, &hash.hash(&transcript)),
        h(RESUMPTION_MASTER_2)
    );
}
