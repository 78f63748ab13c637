//! Encrypt-then-MAC (RFC 7366) between tlsim's client and server: agreed
//! for CBC suites only, the MAC after the ciphertext, a flipped MAC bit is
//! bad_record_mac.

use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, error_of, pki, server_config,
};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::enums::{AlertDescription, CipherSuite, ExtensionType};
use tlsim_tls::error::Error;
use tlsim_tls::msgs::Alert;

fn pair(suite: CipherSuite, client_etm: bool, server_etm: bool) -> Pair {
    let pki = pki(LeafKey::Rsa);
    let mut client = client_config(&pki);
    client.cipher_suites = vec![suite];
    client.encrypt_then_mac = client_etm;
    let mut server = server_config(&pki);
    server.cipher_suites = vec![suite];
    server.encrypt_then_mac = server_etm;
    Pair::new(client, server)
}

/// Whether the Server Hello (the server's first write) carries the
/// encrypt_then_mac extension: its type, 0x0016, and an empty body.
fn server_hello_echoes_etm(pair: &Pair) -> bool {
    let code = ExtensionType::EncryptThenMac.get().to_be_bytes();
    let hello_len = usize::from(u16::from_be_bytes([
        pair.server_wire[3],
        pair.server_wire[4],
    ]));
    pair.server_wire[5..5 + hello_len]
        .windows(4)
        .any(|w| w == [code[0], code[1], 0, 0])
}

#[test]
fn cbc_suites_agree_and_protect_records_mac_last() {
    for suite in [
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    ] {
        let mut pair = pair(suite, true, true);
        pair.handshake();
        pair.assert_complete();
        assert!(server_hello_echoes_etm(&pair), "{suite}");
        assert_eq!(pair.transfer(Direction::ToServer, b"ping"), b"ping");
        assert_eq!(pair.transfer(Direction::ToClient, b"pong"), b"pong");
        let macs_outside = pair
            .client_log
            .iter()
            .flat_map(|e| e.fields.iter())
            .filter(|f| {
                f.name == "MAC" && f.value.ends_with("(over the IV and ciphertext, RFC 7366)")
            })
            .count();
        assert!(macs_outside >= 2, "{suite}: {macs_outside}");
    }
}

/// RFC 7366 §3: "If a server receives an encrypt-then-MAC request
/// extension from a client and then selects a stream or AEAD ciphersuite,
/// it MUST NOT send an encrypt-then-MAC response extension back."
#[test]
fn an_aead_suite_is_never_answered_with_etm() {
    let mut pair = pair(
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        true,
        true,
    );
    pair.handshake();
    pair.assert_complete();
    assert!(!server_hello_echoes_etm(&pair));
}

#[test]
fn either_end_not_asking_keeps_mac_then_encrypt() {
    for (client_etm, server_etm) in [(true, false), (false, true)] {
        let mut pair = pair(
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
            client_etm,
            server_etm,
        );
        pair.handshake();
        pair.assert_complete();
        assert!(!server_hello_echoes_etm(&pair));
        assert_eq!(pair.transfer(Direction::ToServer, b"ping"), b"ping");
    }
}

/// RFC 7366 §3: a MAC that does not verify is bad_record_mac, checked
/// before anything is decrypted.
#[test]
fn a_flipped_mac_bit_is_bad_record_mac() {
    let mut pair = pair(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true, true);
    pair.handshake();
    pair.assert_complete();
    pair.tamper(|direction, bytes| {
        if direction == Direction::ToServer && !bytes.is_empty() {
            // The MAC is the record's last bytes.
            *bytes.last_mut().unwrap() ^= 0x01;
        }
    });
    pair.transfer(Direction::ToServer, b"ping");
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::BadRecordMac),
        "{:?}",
        error_of(&pair.server_events)
    );
    assert_eq!(error_of(&pair.server_events), Some(&Error::BadRecordMac));
    assert!(
        pair.client_events
            .contains(&TlsEvent::AlertReceived(Alert::fatal(
                AlertDescription::BadRecordMac
            )))
    );
}
