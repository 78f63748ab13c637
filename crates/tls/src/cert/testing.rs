//! The test PKI, in one place: a root, an intermediate and a
//! `www.google.com` leaf like the documented flow's, generated from a
//! seed.
//!
//! Compiled for this crate's unit tests and, with the `testing` feature,
//! for other crates' tests: `tlsim-test-support` builds its client and
//! server configurations on it. (This crate's unit tests cannot depend on
//! `tlsim-test-support`, which depends on this crate; so the generator
//! lives here and the test crate wraps it.)

use tlsim_sim::RngStream;

use super::x509::{Certificate, CertificateParams, DistinguishedName};
use crate::crypto::sign::SigningKey;

/// 2013-01-01T00:00:00Z: when every certificate here begins.
pub const NOT_BEFORE: u64 = 1_356_998_400;
/// 2033-01-01T00:00:00Z: when the root and intermediate end.
pub const NOT_AFTER: u64 = 1_988_150_400;
/// 2014-01-01T00:00:00Z, inside every validity period here.
pub const NOW: u64 = 1_388_534_400;
/// The name the leaf is issued to.
pub const SERVER_NAME: &str = "www.google.com";

/// The kind of key the leaf certifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKey {
    /// A P-256 key drawn from the seed (ECDHE_ECDSA suites).
    Ecdsa,
    /// The shipped RSA-2048 key (ECDHE_RSA suites).
    Rsa,
    /// A P-384 key drawn from the seed (ecdsa_secp384r1_sha384).
    EcdsaP384,
    /// An Ed25519 key drawn from the seed (TLS 1.3 ed25519).
    Ed25519,
}

/// A root, an intermediate and a leaf, with their keys and names.
pub struct TestPki {
    /// The root's key.
    pub root_key: SigningKey,
    /// The intermediate's key.
    pub intermediate_key: SigningKey,
    /// The leaf's key.
    pub leaf_key: SigningKey,
    /// The root's name, its subject and issuer.
    pub root_name: DistinguishedName,
    /// The intermediate's name.
    pub intermediate_name: DistinguishedName,
    /// The self-signed root.
    pub root: Certificate,
    /// The intermediate, signed by the root.
    pub intermediate: Certificate,
    /// The leaf, signed by the intermediate.
    pub leaf: Certificate,
}

/// The leaf's full name, as the documented certificate has it.
pub fn leaf_name() -> DistinguishedName {
    DistinguishedName::new(
        Some(SERVER_NAME),
        Some("Google Inc"),
        None,
        Some("Mountain View"),
        Some("California"),
        Some("US"),
    )
}

/// The leaf's parameters: [`leaf_name`], issued by `issuer` for
/// `leaf_key`, valid from [`NOT_BEFORE`] to [`NOT_AFTER`].
pub fn leaf_params(issuer: &DistinguishedName, leaf_key: &SigningKey) -> CertificateParams {
    named_leaf_params(leaf_name(), issuer, leaf_key, (NOT_BEFORE, NOT_AFTER))
}

/// The leaf's parameters: `name`, issued by `issuer` for `leaf_key`,
/// valid during `validity` (Unix seconds), for `www.google.com` and
/// `*.google.com`.
pub fn named_leaf_params(
    name: DistinguishedName,
    issuer: &DistinguishedName,
    leaf_key: &SigningKey,
    validity: (u64, u64),
) -> CertificateParams {
    CertificateParams::server(
        3,
        name,
        issuer.clone(),
        validity,
        leaf_key.public_key(),
        &[SERVER_NAME, "*.google.com"],
    )
}

impl TestPki {
    /// The chain of this crate's unit tests: seed 42, a P-256 leaf with
    /// [`leaf_name`], valid from [`NOT_BEFORE`] to [`NOT_AFTER`].
    pub fn new() -> Self {
        TestPki::generate(42, LeafKey::Ecdsa, leaf_name(), (NOT_BEFORE, NOT_AFTER))
    }

    /// A chain whose leaf is `leaf_name`, with a `leaf` key, valid during
    /// `validity` (Unix seconds); `seed` picks every key drawn and every
    /// signature's randomness.
    ///
    /// # Panics
    /// If signing or parsing fails, which only a bug in the certificate
    /// code can cause.
    pub fn generate(
        seed: u64,
        leaf: LeafKey,
        leaf_name: DistinguishedName,
        validity: (u64, u64),
    ) -> Self {
        let mut rng = RngStream::new(seed, "test pki");
        let root_key = SigningKey::generate_p256(&mut rng);
        let intermediate_key = SigningKey::generate_p256(&mut rng);
        let leaf_key = match leaf {
            LeafKey::Ecdsa => SigningKey::generate_p256(&mut rng),
            LeafKey::Rsa => SigningKey::from_pem(include_str!("../../testdata/rsa2048-server.pem"))
                .expect("the shipped RSA key parses"),
            LeafKey::EcdsaP384 => SigningKey::generate_p384(&mut rng),
            LeafKey::Ed25519 => SigningKey::generate_ed25519(&mut rng),
        };
        let root_name =
            DistinguishedName::simple("GeoTrust Global CA", Some("GeoTrust Inc."), Some("US"));
        let intermediate_name = DistinguishedName::simple(
            "Google Internet Authority G2",
            Some("Google Inc"),
            Some("US"),
        );
        let root_der = CertificateParams::ca(
            1,
            root_name.clone(),
            root_name.clone(),
            (NOT_BEFORE, NOT_AFTER),
            root_key.public_key(),
            None,
        )
        .sign(&root_key, &mut rng)
        .expect("the root signs");
        let intermediate_der = CertificateParams::ca(
            2,
            intermediate_name.clone(),
            root_name.clone(),
            (NOT_BEFORE, NOT_AFTER),
            intermediate_key.public_key(),
            Some(0),
        )
        .issued_by_key(&root_key.public_key())
        .sign(&root_key, &mut rng)
        .expect("the intermediate signs");
        let leaf_der = named_leaf_params(leaf_name, &intermediate_name, &leaf_key, validity)
            .issued_by_key(&intermediate_key.public_key())
            .sign(&intermediate_key, &mut rng)
            .expect("the leaf signs");
        let parse = |der: &[u8]| Certificate::parse(der).expect("a generated certificate parses");
        TestPki {
            root: parse(&root_der),
            intermediate: parse(&intermediate_der),
            leaf: parse(&leaf_der),
            root_key,
            intermediate_key,
            leaf_key,
            root_name,
            intermediate_name,
        }
    }

    /// The chain as a server sends it: leaf, intermediate, root.
    pub fn chain(&self) -> Vec<Certificate> {
        vec![
            self.leaf.clone(),
            self.intermediate.clone(),
            self.root.clone(),
        ]
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}
