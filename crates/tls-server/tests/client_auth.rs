//! Client certificates between the client and server actors, in memory:
//! the server's policy (RFC 5246 §7.4.4, §7.4.6, §7.4.8; RFC 8446 §4.3.2,
//! §4.4.2, §4.4.3), each refusal with the alert the RFC names.

use std::sync::Arc;

use tlsim_test_support::flight::tamper_units;
use tlsim_test_support::{
    Direction, LeafKey, Pair, alert_sent, client_config, client_pki, error_of, pki,
    server_config_asking,
};
use tlsim_tls::crypto::sign::SigningKey;
use tlsim_tls::enums::{AlertDescription, CipherSuite, HandshakeType, ProtocolVersion};
use tlsim_tls::error::{CertificateError, Error, PeerIncompatible};
use tlsim_tls_client::{ClientCertificate, ClientConfig};
use tlsim_tls_server::{ClientAuthPolicy, ServerConfig};

/// A pair at `version` whose server asks with `policy` and trusts the
/// client root of seed 11; the client presents `certificate`, if any.
fn mutual_pair(
    version: ProtocolVersion,
    policy: ClientAuthPolicy,
    certificate: Option<ClientCertificate>,
) -> Pair {
    let (client, server) = mutual_configs(version, policy, certificate);
    Pair::new(client, server)
}

fn mutual_configs(
    version: ProtocolVersion,
    policy: ClientAuthPolicy,
    certificate: Option<ClientCertificate>,
) -> (ClientConfig, ServerConfig) {
    let server_pki = pki(LeafKey::Ecdsa);
    let (_, client_root) = client_pki(LeafKey::Ecdsa, 11);
    let mut client = client_config(&server_pki);
    client.max_version = version;
    client.client_certificate = certificate;
    let mut server = server_config_asking(&server_pki, policy, &client_root);
    server.max_version = version;
    if version == ProtocolVersion::Tls13 {
        client.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
        server.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    }
    (client, server)
}

fn trusted(leaf: LeafKey) -> ClientCertificate {
    // Seed 11's root is the one the server trusts, whatever the leaf key.
    let (certificate, _) = client_pki(leaf, 11);
    certificate
}

#[track_caller]
fn server_action<'a>(pair: &'a Pair, title: &str) -> &'a tlsim_sim::Event {
    pair.server_log
        .iter()
        .find(|e| e.title == title)
        .unwrap_or_else(|| panic!("no server action {title:?}"))
}

#[track_caller]
fn field<'a>(event: &'a tlsim_sim::Event, name: &str) -> &'a str {
    &event
        .fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no field {name:?} in {:?}", event.title))
        .value
}

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::Tls12, ProtocolVersion::Tls13];

#[test]
fn a_required_certificate_is_verified_and_its_signature_checked() {
    for version in VERSIONS {
        for leaf in [LeafKey::Ecdsa, LeafKey::Rsa] {
            let mut pair = mutual_pair(version, ClientAuthPolicy::Required, Some(trusted(leaf)));
            pair.handshake();
            pair.assert_complete();
            let chain = server_action(&pair, "Verify the client certificate chain");
            assert_eq!(field(chain, "Result"), "trusted", "{version:?} {leaf:?}");
            assert!(field(chain, "Certificate 0 Subject").contains("client.test"));
            let verify = server_action(&pair, "Verify the client Certificate Verify signature");
            assert_eq!(field(verify, "Result"), "valid", "{version:?} {leaf:?}");
            // TLS 1.3 forbids PKCS#1 v1.5 (RFC 8446 §4.4.3): RSA signs with PSS.
            let scheme = field(verify, "Signature Algorithm");
            match leaf {
                LeafKey::Ecdsa => assert_eq!(scheme, "ecdsa_secp256r1_sha256"),
                LeafKey::Rsa => assert!(scheme.starts_with("rsa_pss_rsae_"), "{scheme}"),
                LeafKey::EcdsaP384 | LeafKey::Ed25519 => unreachable!("not among the leaves"),
            }
        }
    }
}

#[test]
fn a_tls13_client_signs_with_its_p384_or_ed25519_key() {
    // RFC 8446 §4.3.2: the request lists both schemes, so a client with
    // such a key can answer it.
    for (leaf, scheme) in [
        (LeafKey::EcdsaP384, "ecdsa_secp384r1_sha384"),
        (LeafKey::Ed25519, "ed25519"),
    ] {
        let mut pair = mutual_pair(
            ProtocolVersion::Tls13,
            ClientAuthPolicy::Required,
            Some(trusted(leaf)),
        );
        pair.handshake();
        pair.assert_complete();
        let verify = server_action(&pair, "Verify the client Certificate Verify signature");
        assert_eq!(field(verify, "Result"), "valid", "{leaf:?}");
        assert_eq!(field(verify, "Signature Algorithm"), scheme);
    }
}

#[test]
fn the_client_flight_carries_certificate_and_certificate_verify() {
    let mut pair = mutual_pair(
        ProtocolVersion::Tls12,
        ClientAuthPolicy::Required,
        Some(trusted(LeafKey::Ecdsa)),
    );
    pair.handshake();
    let titles = Pair::titles(&pair.client_log);
    assert!(titles.contains(
        &"TLS Certificate + Client Key Exchange + Certificate Verify + Change Cipher Spec + Finished"
            .to_owned()
    ));
    assert!(titles.contains(
        &"TLS Server Hello + Certificate + Server Key Exchange + Certificate Request + Server Hello Done"
            .to_owned()
    ));
}

#[test]
fn an_empty_certificate_is_refused_when_required() {
    let cases = [
        (ProtocolVersion::Tls12, AlertDescription::HandshakeFailure),
        (
            ProtocolVersion::Tls13,
            AlertDescription::CertificateRequired,
        ),
    ];
    for (version, alert) in cases {
        let mut pair = mutual_pair(version, ClientAuthPolicy::Required, None);
        pair.handshake();
        assert_eq!(
            error_of(&pair.server_events),
            Some(&Error::PeerIncompatible(
                PeerIncompatible::ClientCertificateRequired(version)
            ))
        );
        assert_eq!(alert_sent(&pair.server_events), Some(alert), "{version:?}");
    }
}

#[test]
fn an_empty_certificate_is_accepted_when_optional() {
    for version in VERSIONS {
        let mut pair = mutual_pair(version, ClientAuthPolicy::Optional, None);
        pair.handshake();
        pair.assert_complete();
        let empty = server_action(&pair, "Accept an empty client Certificate");
        assert_eq!(
            field(empty, "Result"),
            "accepted: the client stays anonymous"
        );
    }
}

#[test]
fn no_request_is_sent_without_a_policy() {
    let mut pair = mutual_pair(
        ProtocolVersion::Tls12,
        ClientAuthPolicy::None,
        Some(trusted(LeafKey::Ecdsa)),
    );
    pair.handshake();
    pair.assert_complete();
    let titles = Pair::titles(&pair.client_log);
    assert!(!titles.iter().any(|t| t.contains("Certificate Request")));
    assert!(!titles.iter().any(|t| t.contains("Certificate Verify")));
}

#[test]
fn a_chain_that_ends_at_no_trusted_root_is_unknown_ca() {
    for version in VERSIONS {
        let (client, mut server) = mutual_configs(
            version,
            ClientAuthPolicy::Optional,
            Some(trusted(LeafKey::Ecdsa)),
        );
        server.client_auth.trust_anchors = Default::default();
        let mut pair = Pair::new(client, server);
        pair.handshake();
        assert_eq!(
            error_of(&pair.server_events),
            Some(&Error::Certificate(CertificateError::UnknownIssuer))
        );
        assert_eq!(
            alert_sent(&pair.server_events),
            Some(AlertDescription::UnknownCa),
            "{version:?}"
        );
    }
}

#[test]
fn a_chain_under_an_impostor_root_of_the_trusted_name_is_bad_certificate() {
    // Seed 99's root has the trusted root's name but another key: the
    // intermediate's signature does not verify (RFC 5280 §6.1.3 (a)(1)).
    for version in VERSIONS {
        let (stranger, _) = client_pki(LeafKey::Ecdsa, 99);
        let mut pair = mutual_pair(version, ClientAuthPolicy::Optional, Some(stranger));
        pair.handshake();
        assert_eq!(
            error_of(&pair.server_events),
            Some(&Error::Certificate(CertificateError::BadSignature))
        );
        assert_eq!(
            alert_sent(&pair.server_events),
            Some(AlertDescription::BadCertificate),
            "{version:?}"
        );
    }
}

#[test]
fn a_signature_by_another_key_is_decrypt_error() {
    for version in VERSIONS {
        let mut impostor = trusted(LeafKey::Ecdsa);
        let mut rng = tlsim_sim::RngStream::new(5, "impostor");
        impostor.signing_key = Arc::new(SigningKey::generate_p256(&mut rng));
        let mut pair = mutual_pair(version, ClientAuthPolicy::Required, Some(impostor));
        pair.handshake();
        let verify = server_action(&pair, "Verify the client Certificate Verify signature");
        assert_eq!(field(verify, "Result"), "invalid");
        assert_eq!(
            alert_sent(&pair.server_events),
            Some(AlertDescription::DecryptError),
            "{version:?}"
        );
    }
}

#[test]
fn a_certificate_verify_after_an_empty_certificate_is_unexpected_message() {
    // The client sends an empty Certificate; a CertificateVerify copied
    // from a signing client's flight follows its key exchange.
    let mut pair = mutual_pair(ProtocolVersion::Tls12, ClientAuthPolicy::Optional, None);
    tamper_units(&mut pair, Direction::ToServer, |delivery, units| {
        if delivery == 1 {
            let mut verify = units[1].clone();
            // ecdsa_secp256r1_sha256, an empty signature.
            verify.body = vec![HandshakeType::CertificateVerify.get(), 0, 0, 4, 4, 3, 0, 0];
            units.insert(2, verify);
        }
    });
    pair.handshake();
    assert_eq!(
        error_of(&pair.server_events),
        Some(&Error::InappropriateMessage {
            expected: &[tlsim_tls::enums::ContentType::ChangeCipherSpec],
            got: tlsim_tls::enums::ContentType::Handshake,
        })
    );
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::UnexpectedMessage)
    );
}
