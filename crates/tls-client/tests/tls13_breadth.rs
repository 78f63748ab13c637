//! TLS 1.3 between the actors, in memory: the HelloRetryRequest cookie
//! (RFC 8446 §4.2.2) and the CertificateVerify signature schemes (§4.2.3,
//! §4.4.3).

use tlsim_test_support::{Direction, LeafKey, Pair, alert_sent, client_config, pki, server_config};
use tlsim_tls::enums::{
    AlertDescription, CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme,
};
use tlsim_tls_client::ClientConfig;
use tlsim_tls_server::ServerConfig;

fn tls13_configs(leaf: LeafKey, schemes: &[SignatureScheme]) -> (ClientConfig, ServerConfig) {
    let pki = pki(leaf);
    let mut client = client_config(&pki);
    client.max_version = ProtocolVersion::Tls13;
    client.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    client.signature_algorithms = Some(schemes.to_vec());
    let mut server = server_config(&pki);
    server.max_version = ProtocolVersion::Tls13;
    server.cipher_suites = vec![CipherSuite::TLS_AES_128_GCM_SHA256];
    (client, server)
}

/// The value of the field `name` of the first event titled `title`.
fn field(log: &[tlsim_sim::Event], title: &str, name: &str) -> String {
    log.iter()
        .find(|e| e.title == title)
        .and_then(|e| e.field_value(name))
        .unwrap_or_else(|| panic!("no {title} with {name}"))
        .to_string()
}

/// A pair whose server asks for secp256r1 after the client shared x25519,
/// with a cookie in its HelloRetryRequest.
fn cookie_pair() -> Pair {
    let (mut client, mut server) =
        tls13_configs(LeafKey::Ecdsa, &[SignatureScheme::EcdsaSecp256r1Sha256]);
    client.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
    server.groups = vec![NamedGroup::Secp256r1];
    server.hello_retry_cookie = true;
    Pair::new(client, server)
}

/// Where the cookie's value starts in `bytes`: extension type 44, length
/// 34, then the 32-byte opaque value (an HMAC-SHA256).
fn cookie_at(bytes: &[u8]) -> Option<usize> {
    let header = [0, 44, 0, 34, 0, 32];
    bytes
        .windows(header.len())
        .position(|w| w == header)
        .map(|i| i + header.len())
}

#[test]
fn the_client_echoes_the_hello_retry_cookie_and_the_handshake_completes() {
    let mut pair = cookie_pair();
    pair.handshake();
    pair.assert_complete();
    let cookie = hex::decode(field(&pair.server_log, "Make a cookie", "Cookie")).unwrap();
    let hrr = cookie_at(&pair.server_wire).expect("a cookie in the HelloRetryRequest");
    assert_eq!(pair.server_wire[hrr..hrr + 32], cookie[..]);
    let echo = cookie_at(&pair.client_wire).expect("the cookie echoed");
    assert_eq!(pair.client_wire[echo..echo + 32], cookie[..]);
    assert_eq!(pair.transfer(Direction::ToServer, b"after"), b"after");
}

#[test]
fn a_changed_cookie_is_illegal_parameter() {
    let mut pair = cookie_pair();
    pair.tamper(|direction, bytes| {
        if direction == Direction::ToServer {
            if let Some(at) = cookie_at(bytes) {
                bytes[at] ^= 1;
            }
        }
    });
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::IllegalParameter)
    );
}

#[test]
fn a_dropped_cookie_is_missing_extension() {
    let mut pair = cookie_pair();
    pair.tamper(|direction, bytes| {
        if direction == Direction::ToServer {
            if let Some(at) = cookie_at(bytes) {
                // Rename the extension to an unknown type: the cookie is
                // gone, the lengths still hold.
                bytes[at - 6..at - 4].copy_from_slice(&[0xfe, 0xfe]);
            }
        }
    });
    pair.handshake();
    assert_eq!(
        alert_sent(&pair.server_events),
        Some(AlertDescription::MissingExtension)
    );
}

#[test]
fn an_rsa_server_signs_with_the_clients_first_pss_scheme() {
    for (offered, expected) in [
        (
            vec![
                SignatureScheme::RsaPkcs1Sha256,
                SignatureScheme::RsaPssRsaeSha384,
                SignatureScheme::RsaPssRsaeSha256,
            ],
            "rsa_pss_rsae_sha384",
        ),
        (
            vec![SignatureScheme::RsaPssRsaeSha256],
            "rsa_pss_rsae_sha256",
        ),
    ] {
        let (client, server) = tls13_configs(LeafKey::Rsa, &offered);
        let mut pair = Pair::new(client, server);
        pair.handshake();
        pair.assert_complete();
        let signed = field(
            &pair.server_log,
            "Sign the Certificate Verify",
            "Signature Scheme",
        );
        assert!(signed.starts_with(expected), "{signed}");
        let verified = field(
            &pair.client_log,
            "Verify the Certificate Verify signature",
            "Result",
        );
        assert_eq!(verified, "valid");
    }
}

#[test]
fn no_scheme_the_key_can_make_in_tls13_is_handshake_failure() {
    for (leaf, offered) in [
        // RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 is not for CertificateVerify.
        (LeafKey::Rsa, SignatureScheme::RsaPkcs1Sha256),
        (LeafKey::Ecdsa, SignatureScheme::RsaPssRsaeSha256),
        (LeafKey::Ecdsa, SignatureScheme::EcdsaSecp384r1Sha384),
        // Each curve its own hash; Ed25519 its one scheme.
        (LeafKey::EcdsaP384, SignatureScheme::EcdsaSecp256r1Sha256),
        (LeafKey::Ed25519, SignatureScheme::EcdsaSecp384r1Sha384),
    ] {
        let (client, server) = tls13_configs(leaf, &[offered]);
        let mut pair = Pair::new(client, server);
        pair.handshake();
        assert_eq!(
            alert_sent(&pair.server_events),
            Some(AlertDescription::HandshakeFailure),
            "{offered:?}"
        );
    }
}

#[test]
fn p384_and_ed25519_servers_sign_with_their_own_scheme() {
    // RFC 8446 §4.2.3: each key makes one scheme, whatever comes first.
    let offered = [
        SignatureScheme::EcdsaSecp256r1Sha256,
        SignatureScheme::Ed25519,
        SignatureScheme::EcdsaSecp384r1Sha384,
    ];
    for (leaf, expected) in [
        (LeafKey::EcdsaP384, "ecdsa_secp384r1_sha384 (0x0503)"),
        (LeafKey::Ed25519, "ed25519 (0x0807)"),
    ] {
        let (client, server) = tls13_configs(leaf, &offered);
        let mut pair = Pair::new(client, server);
        pair.handshake();
        pair.assert_complete();
        assert_eq!(
            field(
                &pair.server_log,
                "Sign the Certificate Verify",
                "Signature Scheme"
            ),
            expected
        );
        assert_eq!(
            field(
                &pair.client_log,
                "Verify the Certificate Verify signature",
                "Result"
            ),
            "valid"
        );
    }
}
