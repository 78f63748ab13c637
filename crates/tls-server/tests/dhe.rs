//! Finite-field DHE (RFC 5246 §7.4.3, RFC 7919) between tlsim's client and
//! server: every suite completes, groups are negotiated as RFC 7919 §4
//! says, and a public value out of range ends the handshake.

use tlsim_test_support::flight::tamper_units;
use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, error_of, pki, server_config,
};
use tlsim_tls::conn::TlsEvent;
use tlsim_tls::crypto::ffdhe::FfdheGroup;
use tlsim_tls::crypto::suites::{KeyExchange, SUPPORTED_SUITES};
use tlsim_tls::enums::{AlertDescription, CipherSuite, HandshakeType, NamedGroup};
use tlsim_tls::error::{CryptoError, Error, PeerIncompatible};
use tlsim_tls::msgs::Alert;
use tlsim_tls_client::ClientConfig;
use tlsim_tls_server::ServerConfig;

fn dhe_suites() -> Vec<CipherSuite> {
    SUPPORTED_SUITES
        .iter()
        .filter(|s| s.key_exchange == KeyExchange::Dhe)
        .map(|s| s.suite())
        .collect()
}

/// A client and server with an RSA certificate, offering `suites` and the
/// given groups.
fn configs(
    suites: &[CipherSuite],
    client_groups: &[NamedGroup],
    server_groups: &[NamedGroup],
) -> (ClientConfig, ServerConfig) {
    let pki = pki(LeafKey::Rsa);
    let mut client = client_config(&pki);
    client.cipher_suites = suites.to_vec();
    client.groups = client_groups.to_vec();
    let mut server = server_config(&pki);
    server.cipher_suites = suites.to_vec();
    server.groups = server_groups.to_vec();
    (client, server)
}

#[track_caller]
fn assert_sent(sender: &[TlsEvent], receiver: &[TlsEvent], alert: AlertDescription) {
    assert_eq!(alert_sent(sender), Some(alert), "{:?}", error_of(sender));
    assert!(receiver.contains(&TlsEvent::AlertReceived(Alert::fatal(alert))));
}

#[test]
fn every_dhe_suite_completes_and_carries_data() {
    for suite in dhe_suites() {
        let (client, server) = configs(
            &[suite],
            &[NamedGroup::Secp256r1, NamedGroup::Ffdhe2048],
            &[NamedGroup::Ffdhe2048],
        );
        let mut pair = Pair::new(client, server);
        pair.handshake();
        pair.assert_complete();
        assert_eq!(
            pair.client.negotiated().unwrap().group,
            Some(NamedGroup::Ffdhe2048),
            "{suite}"
        );
        assert_eq!(pair.transfer(Direction::ToServer, b"ping"), b"ping");
        assert_eq!(pair.transfer(Direction::ToClient, b"pong"), b"pong");
    }
}

/// RFC 7919 §4: the server picks the first of its groups that the client
/// lists; the premaster secret both derive is the same.
#[test]
fn server_picks_its_preferred_group_among_the_clients() {
    let suite = CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
    let (client, server) = configs(
        &[suite],
        &[NamedGroup::Ffdhe2048, NamedGroup::Ffdhe3072],
        &[NamedGroup::Ffdhe3072, NamedGroup::Ffdhe2048],
    );
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.server.negotiated().unwrap().group,
        Some(NamedGroup::Ffdhe3072)
    );
    let premaster = |log: &[tlsim_sim::Event]| {
        log.iter()
            .find(|e| e.title == "Pre-master secret")
            .and_then(|e| e.field_value("Pre-master Secret"))
            .map(str::to_owned)
    };
    assert!(premaster(&pair.client_log).is_some());
    assert_eq!(premaster(&pair.client_log), premaster(&pair.server_log));
}

/// RFC 7919 §4: a client that lists no FFDHE group leaves the choice to
/// the server, and accepts any RFC 7919 group.
#[test]
fn a_client_listing_no_ffdhe_group_takes_the_servers() {
    let suite = CipherSuite::TLS_DHE_RSA_WITH_AES_128_CBC_SHA;
    let (client, server) = configs(&[suite], &[NamedGroup::Secp256r1], &[NamedGroup::Ffdhe3072]);
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    assert_eq!(
        pair.client.negotiated().unwrap().group,
        Some(NamedGroup::Ffdhe3072)
    );
}

/// RFC 7919 §4: with no FFDHE group in common, the server "MUST NOT select
/// an FFDHE cipher suite" and takes another the client offered.
#[test]
fn no_common_ffdhe_group_falls_back_to_another_suite() {
    let suites = [
        CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ];
    let (client, server) = configs(
        &suites,
        &[NamedGroup::Ffdhe8192, NamedGroup::Secp256r1],
        &[NamedGroup::Ffdhe2048, NamedGroup::Secp256r1],
    );
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let negotiated = pair.server.negotiated().unwrap();
    assert_eq!(
        negotiated.suite,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    );
    assert_eq!(negotiated.group, Some(NamedGroup::Secp256r1));
}

/// RFC 7919 §4: "... and none of the client's proposed non-FFDHE cipher
/// suites are acceptable to the server, the server MUST end the
/// connection with a fatal TLS alert of type insufficient_security(71)."
#[test]
fn no_common_ffdhe_group_and_no_other_suite_is_insufficient_security() {
    let (client, server) = configs(
        &dhe_suites(),
        &[NamedGroup::Ffdhe3072],
        &[NamedGroup::Ffdhe2048],
    );
    let mut pair = Pair::new(client, server);
    pair.handshake();
    assert_sent(
        &pair.server_events,
        &pair.client_events,
        AlertDescription::InsufficientSecurity,
    );
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::PeerIncompatible(
            PeerIncompatible::NoFfdheGroupInCommon
        ))
    );
}

/// A Client Key Exchange whose `dh_Yc` is `public`.
fn client_key_exchange(public: &[u8]) -> Vec<u8> {
    let body_len = public.len() + 2;
    let mut message = vec![HandshakeType::ClientKeyExchange.get()];
    message.extend_from_slice(&(body_len as u32).to_be_bytes()[1..]);
    message.extend_from_slice(&(public.len() as u16).to_be_bytes());
    message.extend_from_slice(public);
    message
}

/// RFC 7919 §4: "the server MUST verify that 1 < dh_Yc < dh_p - 1. If
/// dh_Yc is out of range, the server MUST terminate the connection with a
/// fatal handshake_failure(40) alert."
#[test]
fn server_refuses_a_client_public_value_out_of_range() {
    let p = FfdheGroup::Ffdhe2048.prime_bytes();
    let mut p_minus_one = p.clone();
    *p_minus_one.last_mut().unwrap() -= 1;
    for bad in [vec![0], vec![1], p_minus_one, p] {
        let (client, server) = configs(
            &[CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
            &[NamedGroup::Ffdhe2048],
            &[NamedGroup::Ffdhe2048],
        );
        let mut pair = Pair::new(client, server);
        let replacement = client_key_exchange(&bad);
        tamper_units(&mut pair, Direction::ToServer, move |delivery, units| {
            // The second flight opens with the Client Key Exchange.
            if delivery == 1 {
                units[0].body = replacement.clone();
            }
        });
        pair.handshake();
        assert_sent(
            &pair.server_events,
            &pair.client_events,
            AlertDescription::HandshakeFailure,
        );
        assert_eq!(
            error_of(&pair.server_events),
            Some(&Error::Crypto(CryptoError::DhPublicOutOfRange))
        );
    }
}

/// The log shows the group, both exponents and public values, and the
/// dissector lays out the key exchange messages as Wireshark does.
#[test]
fn the_log_shows_every_dhe_step() {
    let (client, server) = configs(
        &[CipherSuite::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256],
        &[NamedGroup::Ffdhe2048],
        &[NamedGroup::Ffdhe2048],
    );
    let mut pair = Pair::new(client, server);
    pair.handshake();
    pair.assert_complete();
    let server_setup = pair
        .server_log
        .iter()
        .find(|e| e.title == "Server: Setup Diffie-Hellman")
        .expect("the server sets up DH");
    assert_eq!(server_setup.field_value("Group"), Some("ffdhe2048"));
    assert_eq!(server_setup.field_value("Generator (g)"), Some("2"));
    let client_setup = pair
        .client_log
        .iter()
        .find(|e| e.title == "Client: Setup Diffie-Hellman")
        .expect("the client sets up DH");
    let client_public = client_setup.field_value("Client Public Key").unwrap();
    let names: Vec<String> = pair
        .server_log
        .iter()
        .flat_map(|e| e.fields.iter().map(|f| f.name.to_string()))
        .collect();
    for name in [
        "Diffie-Hellman Server Params",
        "Diffie-Hellman Client Params",
        "p Length",
        "g",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing");
    }
    assert!(
        pair.server_log
            .iter()
            .flat_map(|e| e.fields.iter())
            .any(|f| f.name == "Pubkey" && f.value.starts_with(&client_public[..32])),
        "the server's dissection shows the client's public value"
    );
}
