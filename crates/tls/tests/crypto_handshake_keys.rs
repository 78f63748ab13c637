//! The cryptographic arithmetic of a full ECDHE handshake, client and
//! server side by side, through the public API only: certificate chain,
//! ServerKeyExchange signature, ECDHE, master secret, key block, Finished,
//! then protected application data both ways.

use std::sync::Arc;

use tlsim_sim::RngStream;
use tlsim_test_support::{LeafKey, NOT_AFTER, NOT_BEFORE, NOW, pki_with};
use tlsim_tls::cert::x509::Certificate;
use tlsim_tls::cert::{VerificationCache, verify_chain};
use tlsim_tls::crypto::cipher::{RecordDecrypter, RecordEncrypter, Side};
use tlsim_tls::crypto::kx::KxGroup;
use tlsim_tls::crypto::prf::{self, FinishedSender};
use tlsim_tls::crypto::sign::{SignatureScheme, SigningKey, server_key_exchange_signed_content};
use tlsim_tls::crypto::suites::{
    CipherSuiteParams, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
};
use tlsim_tls::crypto::{TLS10, TLS11, TLS12};

const APPLICATION_DATA: u8 = 23;

struct Server {
    chain: Vec<Certificate>,
    key: Arc<SigningKey>,
}

/// The test PKI's chain for a `leaf` key, and its root.
fn server_with(leaf: LeafKey, seed: u64) -> (Server, Certificate) {
    let pki = pki_with(leaf, (NOT_BEFORE, NOT_AFTER), seed);
    let chain = pki
        .chain
        .iter()
        .map(|d| Certificate::parse(d).unwrap())
        .collect();
    (
        Server {
            chain,
            key: pki.key,
        },
        Certificate::parse(&pki.root).unwrap(),
    )
}

fn run_handshake(suite_value: u16, version: u16, server: &Server, anchor: &Certificate, seed: u64) {
    let suite = CipherSuiteParams::lookup(suite_value).unwrap();
    let mut client_rng = RngStream::new(seed, "client");
    let mut server_rng = RngStream::new(seed, "server");
    let mut client_random = [0u8; 32];
    let mut server_random = [0u8; 32];
    client_rng.fill(&mut client_random);
    server_rng.fill(&mut server_random);

    // Server: ephemeral key and the signed ServerECDHParams (RFC 8422 §5.4):
    // curve_type named_curve(3), NamedCurve, opaque point<1..2^8-1>.
    let group = KxGroup::Secp256r1;
    let (server_secret, server_public) = group.generate(&mut server_rng);
    let mut params = vec![3];
    params.extend_from_slice(&group.named_curve().get().to_be_bytes());
    params.push(server_public.len() as u8);
    params.extend_from_slice(&server_public);
    let scheme = SignatureScheme::default_for(server.key.key_type(), version);
    let signed = server_key_exchange_signed_content(&client_random, &server_random, &params);
    let signature = server.key.sign(scheme, &signed, &mut server_rng).unwrap();

    // Client: the chain, then the signature with the leaf's key.
    let mut cache = VerificationCache::new();
    verify_chain(
        &server.chain,
        std::slice::from_ref(anchor),
        Some("www.google.com"),
        NOW,
        &mut cache,
    )
    .unwrap();
    server.chain[0]
        .public_key
        .verify(scheme, &signed, &signature)
        .unwrap();
    let (client_secret, client_public) = group.generate(&mut client_rng);

    // Both: the premaster secret, the master secret, the key block.
    let client_pms = client_secret.agree(&server_public).unwrap();
    let server_pms = server_secret.agree(&client_public).unwrap();
    assert_eq!(client_pms, server_pms);
    let prf_alg = suite.prf(version);
    let master = prf::master_secret(prf_alg, &client_pms, &client_random, &server_random);
    let layout = suite.key_block_layout(version);
    let keys = prf::key_block(prf_alg, &master, &client_random, &server_random, layout);

    // Finished over a stand-in transcript.
    let transcript = prf_alg.transcript_hash(b"ClientHello ServerHello Certificate ...");
    let client_finished =
        prf::finished_verify_data(prf_alg, &master, FinishedSender::Client, &transcript);
    let server_view =
        prf::finished_verify_data(prf_alg, &master, FinishedSender::Client, &transcript);
    assert_eq!(client_finished, server_view);

    // Records both ways.
    let mut client_out =
        RecordEncrypter::from_key_block(suite, version, &keys, Side::Client).unwrap();
    let mut server_in =
        RecordDecrypter::from_key_block(suite, version, &keys, Side::Client).unwrap();
    let mut server_out =
        RecordEncrypter::from_key_block(suite, version, &keys, Side::Server).unwrap();
    let mut client_in =
        RecordDecrypter::from_key_block(suite, version, &keys, Side::Server).unwrap();
    for i in 0..5u8 {
        let request = vec![i; 100 + usize::from(i)];
        let wire = client_out.encrypt(APPLICATION_DATA, version, &request, &mut client_rng);
        assert_eq!(
            server_in.decrypt(APPLICATION_DATA, version, &wire).unwrap(),
            request
        );
        let reply = vec![!i; 1400];
        let wire = server_out.encrypt(APPLICATION_DATA, version, &reply, &mut server_rng);
        assert_eq!(
            client_in.decrypt(APPLICATION_DATA, version, &wire).unwrap(),
            reply
        );
    }
    // The two directions use different keys.
    let wire = client_out.encrypt(APPLICATION_DATA, version, b"x", &mut client_rng);
    assert!(client_in.decrypt(APPLICATION_DATA, version, &wire).is_err());
}

#[test]
fn ecdhe_rsa_aes128_cbc_sha_works_in_every_version() {
    let (server, anchor) = server_with(LeafKey::Rsa, 1);
    for version in [TLS10, TLS11, TLS12] {
        run_handshake(
            TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
            version,
            &server,
            &anchor,
            5,
        );
    }
}

#[test]
fn ecdhe_ecdsa_aes128_gcm_works_in_tls12() {
    let (server, anchor) = server_with(LeafKey::Ecdsa, 2);
    run_handshake(
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS12,
        &server,
        &anchor,
        6,
    );
}
