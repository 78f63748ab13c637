//! The test PKI: a root, an intermediate and a `www.google.com` leaf, as in
//! the documented flow, generated from a seed; and configurations that use
//! it.

use std::sync::Arc;

use tlsim_sim::RngStream;
use tlsim_tls::cert::{CertificateParams, DistinguishedName};
use tlsim_tls::crypto::sign::SigningKey;
use tlsim_tls_client::ClientConfig;
use tlsim_tls_server::ServerConfig;

/// 2013-01-01T00:00:00Z: when every certificate here begins.
pub const NOT_BEFORE: u64 = 1_356_998_400;
/// 2033-01-01T00:00:00Z: when the root and intermediate end.
pub const NOT_AFTER: u64 = 1_988_150_400;
/// 2014-01-01T00:00:00Z: the client's clock, inside every validity period.
pub const NOW: u64 = 1_388_534_400;

/// The name the leaf is issued to and the client asks for.
pub const SERVER_NAME: &str = "www.google.com";

/// A chain for `www.google.com` and the leaf's key.
pub struct Pki {
    /// The root's DER, the client's trust anchor.
    pub root: Vec<u8>,
    /// Leaf, intermediate and root DER, in the order the server sends them.
    pub chain: Vec<Vec<u8>>,
    /// The leaf's private key.
    pub key: Arc<SigningKey>,
}

/// The kind of key the leaf certifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKey {
    /// A P-256 key drawn from the seed (ECDHE_ECDSA suites).
    Ecdsa,
    /// The shipped RSA-2048 key (ECDHE_RSA suites).
    Rsa,
}

/// The standard chain (seed 7, valid from [`NOT_BEFORE`] to [`NOT_AFTER`]).
pub fn pki(leaf: LeafKey) -> Pki {
    pki_with(leaf, (NOT_BEFORE, NOT_AFTER), 7)
}

/// A chain whose leaf is valid during `validity` (Unix seconds); `seed`
/// picks the keys.
///
/// # Panics
/// If signing fails, which only a bug in the certificate code can cause.
pub fn pki_with(leaf: LeafKey, validity: (u64, u64), seed: u64) -> Pki {
    let mut rng = RngStream::new(seed, "test pki");
    let root_key = SigningKey::generate_p256(&mut rng);
    let ca_key = SigningKey::generate_p256(&mut rng);
    let leaf_key = match leaf {
        LeafKey::Ecdsa => SigningKey::generate_p256(&mut rng),
        LeafKey::Rsa => SigningKey::from_pem(include_str!("../../tls/testdata/rsa2048-server.pem"))
            .expect("the shipped RSA key parses"),
    };
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
        (NOT_BEFORE, NOT_AFTER),
        root_key.public_key(),
        None,
    )
    .sign(&root_key, &mut rng)
    .expect("the root signs");
    let ca = CertificateParams::ca(
        2,
        ca_name.clone(),
        root_name,
        (NOT_BEFORE, NOT_AFTER),
        ca_key.public_key(),
        Some(0),
    )
    .issued_by_key(&root_key.public_key())
    .sign(&root_key, &mut rng)
    .expect("the intermediate signs");
    let leaf_cert = CertificateParams::server(
        3,
        DistinguishedName::simple(SERVER_NAME, Some("Google Inc"), Some("US")),
        ca_name,
        validity,
        leaf_key.public_key(),
        &[SERVER_NAME, "*.google.com"],
    )
    .issued_by_key(&ca_key.public_key())
    .sign(&ca_key, &mut rng)
    .expect("the leaf signs");
    Pki {
        chain: vec![leaf_cert, ca, root.clone()],
        root,
        key: Arc::new(leaf_key),
    }
}

/// A client that trusts `pki`'s root, asks for [`SERVER_NAME`] and reads the
/// time as [`NOW`]; everything else is the default.
pub fn client_config(pki: &Pki) -> ClientConfig {
    ClientConfig {
        server_name: Some(SERVER_NAME.into()),
        trust_anchors: vec![pki.root.clone()],
        now_unix: NOW,
        ..ClientConfig::default()
    }
}

/// A server with `pki`'s chain and key; everything else is the default.
pub fn server_config(pki: &Pki) -> ServerConfig {
    ServerConfig::new(pki.chain.clone(), pki.key.clone())
}
