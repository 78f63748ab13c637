//! A three-certificate chain like the documented flow's, for tests.

use tlsim_sim::RngStream;

use super::x509::{Certificate, CertificateParams, DistinguishedName};
use crate::crypto::sign::SigningKey;

/// 2013-01-01T00:00:00Z.
pub(super) const NOT_BEFORE: u64 = 1_356_998_400;
/// 2033-01-01T00:00:00Z.
pub(super) const NOT_AFTER: u64 = 1_988_150_400;
/// 2014-01-01T00:00:00Z, inside every validity period here.
pub(super) const NOW: u64 = 1_388_534_400;

pub(super) struct TestPki {
    pub(super) root_key: SigningKey,
    pub(super) intermediate_key: SigningKey,
    pub(super) leaf_key: SigningKey,
    pub(super) root_name: DistinguishedName,
    pub(super) intermediate_name: DistinguishedName,
    pub(super) root: Certificate,
    pub(super) intermediate: Certificate,
    pub(super) leaf: Certificate,
}

pub(super) fn leaf_name() -> DistinguishedName {
    DistinguishedName::new(
        Some("www.google.com"),
        Some("Google Inc"),
        None,
        Some("Mountain View"),
        Some("California"),
        Some("US"),
    )
}

pub(super) fn leaf_params(
    pki_issuer: &DistinguishedName,
    leaf_key: &SigningKey,
) -> CertificateParams {
    CertificateParams::server(
        3,
        leaf_name(),
        pki_issuer.clone(),
        (NOT_BEFORE, NOT_AFTER),
        leaf_key.public_key(),
        &["www.google.com", "*.google.com"],
    )
}

impl TestPki {
    pub(super) fn new() -> Self {
        let mut rng = RngStream::new(42, "test pki");
        let root_key = SigningKey::generate_p256(&mut rng);
        let intermediate_key = SigningKey::generate_p256(&mut rng);
        let leaf_key = SigningKey::generate_p256(&mut rng);
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
        .unwrap();
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
        .unwrap();
        let leaf_der = leaf_params(&intermediate_name, &leaf_key)
            .issued_by_key(&intermediate_key.public_key())
            .sign(&intermediate_key, &mut rng)
            .unwrap();
        TestPki {
            root: Certificate::parse(&root_der).unwrap(),
            intermediate: Certificate::parse(&intermediate_der).unwrap(),
            leaf: Certificate::parse(&leaf_der).unwrap(),
            root_key,
            intermediate_key,
            leaf_key,
            root_name,
            intermediate_name,
        }
    }

    /// The chain as a server sends it: leaf, intermediate, root.
    pub(super) fn chain(&self) -> Vec<Certificate> {
        vec![
            self.leaf.clone(),
            self.intermediate.clone(),
            self.root.clone(),
        ]
    }
}
