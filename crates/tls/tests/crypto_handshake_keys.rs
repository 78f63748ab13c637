//! The cryptographic arithmetic of a full ECDHE handshake, client and
//! server side by side, through the public API only: certificate chain,
//! ServerKeyExchange signature, ECDHE, master secret, key block, Finished,
//! then protected application data both ways.

use tlsim_sim::RngStream;
use tlsim_tls::cert::x509::{Certificate, CertificateParams, DistinguishedName};
use tlsim_tls::cert::{VerificationCache, verify_chain};
use tlsim_tls::crypto::cipher::{RecordDecrypter, RecordEncrypter, Side};
use tlsim_tls::crypto::kx::KxGroup;
use tlsim_tls::crypto::prf::{self, FinishedSender};
use tlsim_tls::crypto::sign::{SignatureScheme, SigningKey, server_key_exchange_signed_content};
use tlsim_tls::crypto::suites::{
    CipherSuiteParams, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
};
use tlsim_tls::crypto::{TLS10, TLS11, TLS12};

const NOW: u64 = 1_388_534_400; // 2014-01-01
const VALIDITY: (u64, u64) = (1_356_998_400, 1_988_150_400);
const APPLICATION_DATA: u8 = 23;

struct Server {
    chain: Vec<Certificate>,
    key: SigningKey,
}

/// A root, an intermediate and a leaf for `www.google.com` whose key is
/// `leaf_key`.
fn server_with(leaf_key: SigningKey, rng: &mut RngStream) -> (Server, Certificate) {
    let root_key = SigningKey::generate_p256(rng);
    let ca_key = SigningKey::generate_p256(rng);
    let root_name =
        DistinguishedName::simple("GeoTrust Global CA", Some("GeoTrust Inc."), Some("US"));
    let ca_name = DistinguishedName::simple(
        "Google Internet Authority G2",
        Some("Google Inc"),
        Some("US"),
    );
    let root = CertificateParams::ca(
        1,
        root_name.clone(),
        root_name.clone(),
        VALIDITY,
        root_key.public_key(),
        None,
    )
    .sign(&root_key, rng)
    .unwrap();
    let ca = CertificateParams::ca(
        2,
        ca_name.clone(),
        root_name,
        VALIDITY,
        ca_key.public_key(),
        Some(0),
    )
    .issued_by_key(&root_key.public_key())
    .sign(&root_key, rng)
    .unwrap();
    let leaf = CertificateParams::server(
        3,
        DistinguishedName::simple("www.google.com", Some("Google Inc"), Some("US")),
        ca_name,
        VALIDITY,
        leaf_key.public_key(),
        &["www.google.com"],
    )
    .issued_by_key(&ca_key.public_key())
    .sign(&ca_key, rng)
    .unwrap();
    let chain = [leaf, ca, root.clone()]
        .iter()
        .map(|d| Certificate::parse(d).unwrap())
        .collect();
    (
        Server {
            chain,
            key: leaf_key,
        },
        Certificate::parse(&root).unwrap(),
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
    params.extend_from_slice(&group.named_curve().to_be_bytes());
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
    let mut rng = RngStream::new(1, "pki");
    let rsa = SigningKey::from_pem(include_str!("../testdata/rsa2048-server.pem")).unwrap();
    let (server, anchor) = server_with(rsa, &mut rng);
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
    let mut rng = RngStream::new(2, "pki");
    let key = SigningKey::generate_p256(&mut rng);
    let (server, anchor) = server_with(key, &mut rng);
    run_handshake(
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS12,
        &server,
        &anchor,
        6,
    );
}
