use tlsim_sim::RngStream;

use super::*;
use crate::cert::testing::{NOT_AFTER, NOT_BEFORE, NOW, TestPki, leaf_params};
use crate::cert::x509::{CertificateParams, DistinguishedName};
use crate::crypto::sign::SigningKey;

fn verify(
    pki_chain: &[Certificate],
    anchors: &[Certificate],
    name: &str,
    now: u64,
) -> Result<ChainReport, CertError> {
    verify_chain(
        pki_chain,
        anchors,
        Some(name),
        now,
        &mut VerificationCache::new(),
    )
}

/// [`verify`] of `chain` for `name` now, with `pki`'s root as the only
/// trust anchor.
fn verify_at_root(
    pki: &TestPki,
    chain: &[Certificate],
    name: &str,
) -> Result<ChainReport, CertError> {
    verify(chain, std::slice::from_ref(&pki.root), name, NOW)
}

#[test]
fn accepts_the_generated_chain() {
    let pki = TestPki::new();
    let anchors = [pki.root.clone()];
    let report = verify(&pki.chain(), &anchors, "www.google.com", NOW).unwrap();
    assert_eq!(report.links.len(), 2);
    assert!(report.links[1].issuer_is_anchor);
    assert!(!report.from_cache);
    assert_eq!(report.links[1].certificate, 1);
    assert_eq!(
        pki.chain()[1].issuer.to_wireshark_string(),
        "id-at-commonName=GeoTrust Global CA,id-at-organizationName=GeoTrust Inc.,id-at-countryName=US"
    );
    // Without the root in the chain too.
    assert!(verify(&pki.chain()[..2], &anchors, "mail.google.com", NOW).is_ok());
    // With the intermediate itself trusted.
    assert_eq!(
        verify(
            &pki.chain()[..1],
            std::slice::from_ref(&pki.intermediate),
            "www.google.com",
            NOW
        )
        .unwrap()
        .links
        .len(),
        1
    );
}

/// A leaf trusted as it is, with no anchor for its issuer (a replayed
/// capture whose CA is unknown): the walk ends at it, with no signature
/// checked; and only that very certificate is trusted so.
#[test]
fn a_trusted_leaf_needs_no_issuer() {
    let pki = TestPki::new();
    let leaf = &pki.chain()[..1];
    let report = verify(leaf, leaf, "www.google.com", NOW).unwrap();
    assert_eq!(report.anchor_in_chain, Some(0));
    assert!(report.links.is_empty() && !report.from_cache);
    // Its validity and name are still checked.
    assert_eq!(
        verify(leaf, leaf, "www.google.com", NOT_AFTER + 1),
        Err(CertError::Expired)
    );
    assert_eq!(
        verify(leaf, leaf, "example.com", NOW),
        Err(CertError::NameMismatch)
    );
    // Another certificate of the same subject is not the anchor.
    let mut other = pki.chain()[0].clone();
    *other.der.last_mut().unwrap() ^= 1;
    assert_eq!(
        verify(leaf, &[other], "www.google.com", NOW),
        Err(CertError::UnknownIssuer)
    );
    // Issued by a trusted certificate, it is checked against it as before.
    let report = verify_at_root(&pki, &pki.chain(), "www.google.com").unwrap();
    assert_eq!(report.anchor_in_chain, None);
}

#[test]
fn rejects_expired_and_not_yet_valid() {
    let pki = TestPki::new();
    let anchors = [pki.root.clone()];
    assert_eq!(
        verify(&pki.chain(), &anchors, "www.google.com", NOT_AFTER + 1),
        Err(CertError::Expired)
    );
    assert_eq!(
        verify(&pki.chain(), &anchors, "www.google.com", NOT_BEFORE - 1),
        Err(CertError::NotYetValid)
    );
    assert!(verify(&pki.chain(), &anchors, "www.google.com", NOT_AFTER).is_ok());
    assert!(verify(&pki.chain(), &anchors, "www.google.com", NOT_BEFORE).is_ok());
}

#[test]
fn rejects_expired_intermediate() {
    let pki = TestPki::new();
    let mut rng = RngStream::new(7, "expired intermediate");
    let der = CertificateParams::ca(
        9,
        pki.intermediate_name.clone(),
        pki.root_name.clone(),
        (NOT_BEFORE, NOW - 1),
        pki.intermediate_key.public_key(),
        Some(0),
    )
    .sign(&pki.root_key, &mut rng)
    .unwrap();
    let chain = [pki.leaf.clone(), Certificate::parse(&der).unwrap()];
    assert_eq!(
        verify_at_root(&pki, &chain, "www.google.com"),
        Err(CertError::Expired)
    );
}

#[test]
fn rejects_unknown_issuer() {
    let pki = TestPki::new();
    let other = TestPki::new();
    // A root that has a different name signs nothing in this chain.
    let mut rng = RngStream::new(8, "other root");
    let stranger_key = SigningKey::generate_p256(&mut rng);
    let stranger_name = DistinguishedName::simple("Stranger CA", None, Some("ZZ"));
    let stranger = Certificate::parse(
        &CertificateParams::ca(
            5,
            stranger_name.clone(),
            stranger_name,
            (NOT_BEFORE, NOT_AFTER),
            stranger_key.public_key(),
            None,
        )
        .sign(&stranger_key, &mut rng)
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        verify(&pki.chain(), &[stranger], "www.google.com", NOW),
        Err(CertError::UnknownIssuer)
    );
    // The intermediate missing from the chain.
    assert_eq!(
        verify_at_root(
            &pki,
            &[pki.leaf.clone(), other.root.clone()],
            "www.google.com"
        ),
        Err(CertError::UnknownIssuer)
    );
}

#[test]
fn rejects_wrong_issuer_key() {
    let pki = TestPki::new();
    // Same names, but the leaf is signed by a key that is not the
    // intermediate's.
    let mut rng = RngStream::new(9, "impostor");
    let impostor = SigningKey::generate_p256(&mut rng);
    let der = leaf_params(&pki.intermediate_name, &pki.leaf_key)
        .sign(&impostor, &mut rng)
        .unwrap();
    let chain = [Certificate::parse(&der).unwrap(), pki.intermediate.clone()];
    assert_eq!(
        verify_at_root(&pki, &chain, "www.google.com"),
        Err(CertError::BadSignature)
    );
}

#[test]
fn rejects_non_ca_issuer() {
    let pki = TestPki::new();
    // A certificate issued by the leaf (which is not a CA).
    let mut rng = RngStream::new(10, "leaf as issuer");
    let key = SigningKey::generate_p256(&mut rng);
    let der = CertificateParams::server(
        11,
        DistinguishedName::simple("evil.google.com", None, None),
        pki.leaf.subject.clone(),
        (NOT_BEFORE, NOT_AFTER),
        key.public_key(),
        &["evil.google.com"],
    )
    .sign(&pki.leaf_key, &mut rng)
    .unwrap();
    let mut chain = vec![Certificate::parse(&der).unwrap()];
    chain.extend(pki.chain());
    assert_eq!(
        verify_at_root(&pki, &chain, "evil.google.com"),
        Err(CertError::NotCa)
    );
}

#[test]
fn rejects_path_longer_than_path_len() {
    let pki = TestPki::new();
    // A second intermediate below the one with pathLen 0.
    let mut rng = RngStream::new(11, "sub ca");
    let sub_key = SigningKey::generate_p256(&mut rng);
    let sub_name = DistinguishedName::simple("Sub CA", Some("Google Inc"), Some("US"));
    let sub = CertificateParams::ca(
        12,
        sub_name.clone(),
        pki.intermediate_name.clone(),
        (NOT_BEFORE, NOT_AFTER),
        sub_key.public_key(),
        None,
    )
    .sign(&pki.intermediate_key, &mut rng)
    .unwrap();
    let leaf = leaf_params(&sub_name, &pki.leaf_key)
        .sign(&sub_key, &mut rng)
        .unwrap();
    let chain = [
        Certificate::parse(&leaf).unwrap(),
        Certificate::parse(&sub).unwrap(),
        pki.intermediate.clone(),
    ];
    assert_eq!(
        verify_at_root(&pki, &chain, "www.google.com"),
        Err(CertError::PathLenExceeded)
    );
}

#[test]
fn rejects_san_mismatch() {
    let pki = TestPki::new();
    let anchors = [pki.root.clone()];
    for name in [
        "www.example.com",
        "google.com",
        "a.b.google.com",
        "wwwgoogle.com",
    ] {
        assert_eq!(
            verify(&pki.chain(), &anchors, name, NOW),
            Err(CertError::NameMismatch),
            "{name}"
        );
    }
    assert!(verify(&pki.chain(), &anchors, "WWW.Google.COM", NOW).is_ok());
}

#[test]
fn wildcards_match_exactly_one_left_most_label() {
    assert!(dns_name_matches("*.google.com", "mail.google.com"));
    assert!(!dns_name_matches("*.google.com", "google.com"));
    assert!(!dns_name_matches("*.google.com", "a.mail.google.com"));
    assert!(!dns_name_matches("*.com", "google.com"));
    assert!(!dns_name_matches("w*.google.com", "www.google.com"));
    assert!(!dns_name_matches("www.*.com", "www.google.com"));
    assert!(dns_name_matches("www.google.com.", "www.google.com"));
    assert!(!dns_name_matches("", ""));
}

#[test]
fn cache_answers_a_repeated_chain_and_misses_a_changed_byte() {
    let pki = TestPki::new();
    let anchors = [pki.root.clone()];
    let mut cache = VerificationCache::new();
    let first = verify_chain(
        &pki.chain(),
        &anchors,
        Some("www.google.com"),
        NOW,
        &mut cache,
    )
    .unwrap();
    assert!(!first.from_cache);
    assert_eq!((cache.hits(), cache.misses(), cache.len()), (0, 2, 2));
    let second = verify_chain(
        &pki.chain(),
        &anchors,
        Some("www.google.com"),
        NOW,
        &mut cache,
    )
    .unwrap();
    assert!(second.from_cache);
    assert!(second.links.iter().all(|l| l.cached));
    assert_eq!((cache.hits(), cache.misses()), (2, 2));

    // Change one byte of the leaf's signed part (inside the serial number)
    // and keep the old signature: the cache must miss and the signature fail.
    let mut tampered = pki.leaf.clone();
    let serial_at = tampered
        .tbs
        .windows(3)
        .position(|w| w == [0x02, 0x01, 0x03])
        .unwrap();
    tampered.tbs[serial_at + 2] = 0x04;
    let chain = [tampered, pki.intermediate.clone()];
    assert_eq!(
        verify_chain(&chain, &anchors, Some("www.google.com"), NOW, &mut cache),
        Err(CertError::BadSignature)
    );
    assert_eq!(cache.misses(), 3);
}

#[test]
fn the_common_name_counts_only_with_the_fallback_and_no_dns_names() {
    let pki = TestPki::new();
    let mut rng = RngStream::new(12, "common name only");
    let key = SigningKey::generate_p256(&mut rng);
    let made = |names: &[&str], rng: &mut RngStream| {
        let der = CertificateParams::server(
            12,
            DistinguishedName::simple("old.example", None, None),
            pki.leaf.subject.clone(),
            (NOT_BEFORE, NOT_AFTER),
            key.public_key(),
            names,
        )
        .sign(&pki.leaf_key, rng)
        .unwrap();
        Certificate::parse(&der).unwrap()
    };
    let cn_only = made(&[], &mut rng);
    assert!(!leaf_matches_host(&cn_only, "old.example", false));
    assert!(leaf_matches_host(&cn_only, "old.example", true));
    assert!(!leaf_matches_host(&cn_only, "other.example", true));
    // RFC 6125 §6.4.4: a DNS-ID present, the common name is not looked at.
    let with_dns = made(&["new.example"], &mut rng);
    assert!(!leaf_matches_host(&with_dns, "old.example", true));
    assert!(leaf_matches_host(&with_dns, "new.example", true));
}

#[test]
fn a_chain_seen_again_is_not_parsed_again() {
    let pki = TestPki::new();
    let chain_der: Vec<Vec<u8>> = pki.chain().iter().map(|c| c.der.clone()).collect();
    let mut cache = VerificationCache::new();
    let first = cache.parsed_chain(&chain_der).unwrap();
    assert_eq!(&first[..], &pki.chain()[..]);
    let again = cache.parsed_chain(&chain_der).unwrap();
    assert!(Arc::ptr_eq(&first, &again));

    // One byte changed (the leaf's serial number) is another chain.
    let mut changed = chain_der.clone();
    let serial_at = changed[0]
        .windows(3)
        .position(|w| w == [0x02, 0x01, 0x03])
        .unwrap();
    changed[0][serial_at + 2] = 0x04;
    let other = cache.parsed_chain(&changed).unwrap();
    assert!(!Arc::ptr_eq(&first, &other));
    assert_eq!(other[0].serial, [0x04]);
}

#[test]
fn a_chain_that_does_not_parse_is_not_kept() {
    let pki = TestPki::new();
    let mut truncated = vec![pki.leaf.der.clone()];
    truncated[0].pop();
    let mut cache = VerificationCache::new();
    for _ in 0..2 {
        assert!(matches!(
            cache.parsed_chain(&truncated),
            Err(CertError::BadEncoding(_))
        ));
    }
    assert!(cache.parsed.is_empty());
}

#[test]
fn trust_anchors_skip_what_does_not_parse_and_parse_once() {
    let pki = TestPki::new();
    let mut truncated = pki.leaf.der.clone();
    truncated.pop();
    let anchors = TrustAnchors::new(vec![pki.root.der.clone(), truncated]);
    assert_eq!(anchors.der().len(), 2);
    assert_eq!(anchors.parsed(), std::slice::from_ref(&pki.root));
    // A clone made after the first use shares the parse.
    let clone = anchors.clone();
    assert!(std::ptr::eq(anchors.parsed(), clone.parsed()));
    assert!(TrustAnchors::default().parsed().is_empty());
}

#[test]
fn the_parsed_chains_are_bounded() {
    let pki = TestPki::new();
    let mut cache = VerificationCache::new();
    // The same certificate repeated makes distinct chains by their length.
    for len in 1..=PARSED_CHAINS + 1 {
        let chain_der = vec![pki.root.der.clone(); len];
        assert_eq!(cache.parsed_chain(&chain_der).unwrap().len(), len);
    }
    assert_eq!(cache.parsed.len(), PARSED_CHAINS);
    // The least in byte order went: the one-certificate chain.
    assert!(!cache.parsed.contains_key(&vec![pki.root.der.clone()]));
}
