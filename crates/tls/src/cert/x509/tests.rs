use tlsim_sim::RngStream;

use super::*;
use crate::cert::testing::{NOT_AFTER, NOT_BEFORE, TestPki};

#[test]
fn generated_certificates_parse_back() {
    let pki = TestPki::new();
    let leaf = &pki.leaf;
    assert_eq!(leaf.version, 3);
    assert_eq!(leaf.serial, [3]);
    assert_eq!(
        leaf.signature_algorithm,
        CertSignatureAlgorithm::EcdsaWithSha256
    );
    assert_eq!(
        leaf.subject.to_wireshark_string(),
        "id-at-commonName=www.google.com,id-at-organizationName=Google Inc,\
         id-at-localityName=Mountain View,id-at-stateOrProvinceName=California,\
         id-at-countryName=US"
    );
    assert_eq!(
        leaf.issuer.to_wireshark_string(),
        "id-at-commonName=Google Internet Authority G2,id-at-organizationName=Google Inc,\
         id-at-countryName=US"
    );
    assert_eq!(leaf.not_before, NOT_BEFORE);
    assert_eq!(leaf.not_after, NOT_AFTER);
    assert_eq!(leaf.dns_names, ["www.google.com", "*.google.com"]);
    assert_eq!(leaf.basic_constraints, Some(BasicConstraints::default()));
    assert_eq!(leaf.key_usage, Some(KeyUsage::DIGITAL_SIGNATURE));
    assert_eq!(leaf.public_key, pki.leaf_key.public_key());
    assert_eq!(
        leaf.subject_key_id.as_deref(),
        Some(&key_identifier(&pki.leaf_key.public_key())[..])
    );
    assert_eq!(leaf.authority_key_id, pki.intermediate.subject_key_id);
    assert_eq!(leaf.issuer_der, pki.intermediate.subject_der);
    assert!(!leaf.is_ca());
    assert!(pki.intermediate.is_ca());
    assert_eq!(
        pki.intermediate.basic_constraints,
        Some(BasicConstraints {
            ca: true,
            path_len: Some(0)
        })
    );
    assert!(pki.root.is_self_issued());
    assert_eq!(pki.intermediate.issuer, pki.root_name);
    assert_eq!(pki.intermediate.subject, pki.intermediate_name);
}

#[test]
fn generation_is_deterministic() {
    let a = TestPki::new();
    let b = TestPki::new();
    assert_eq!(a.leaf.der, b.leaf.der);
    assert_eq!(a.root.der, b.root.der);
}

#[test]
fn rsa_issuer_signs_with_sha256_with_rsa() {
    let ca_key = SigningKey::from_pem(include_str!("../../../testdata/rsa2048-ca.pem")).unwrap();
    let server_key =
        SigningKey::from_pem(include_str!("../../../testdata/rsa2048-server.pem")).unwrap();
    let pki = TestPki::new();
    let der = crate::cert::testing::leaf_params(&pki.root_name, &server_key)
        .sign(&ca_key, &mut RngStream::new(1, "rsa"))
        .unwrap();
    let cert = Certificate::parse(&der).unwrap();
    assert_eq!(
        cert.signature_algorithm,
        CertSignatureAlgorithm::Sha256WithRsa
    );
    assert_eq!(cert.public_key, server_key.public_key());
    assert_eq!(
        cert.key_usage,
        Some(KeyUsage::DIGITAL_SIGNATURE.union(KeyUsage::KEY_ENCIPHERMENT))
    );
    assert!(
        ca_key
            .public_key()
            .verify(SignatureScheme::RsaPkcs1Sha256, &cert.tbs, &cert.signature)
            .is_ok()
    );
}

#[test]
fn times_switch_to_generalized_time_in_2050() {
    for (secs, tag) in [
        (0u64, der::UTC_TIME),
        (NOT_BEFORE, der::UTC_TIME),
        (2_524_607_999, der::UTC_TIME),         // 2049-12-31T23:59:59Z
        (2_524_608_000, der::GENERALIZED_TIME), // 2050-01-01T00:00:00Z
        (4_102_444_800, der::GENERALIZED_TIME), // 2100-01-01
    ] {
        let mut w = DerWriter::new();
        write_time(&mut w, secs);
        let bytes = w.finish();
        assert_eq!(bytes[0], tag);
        assert_eq!(parse_time(&mut DerReader::new(&bytes)).unwrap(), secs);
    }
    let mut w = DerWriter::new();
    write_time(&mut w, NOT_BEFORE);
    assert_eq!(&w.finish()[2..], b"130101000000Z");
}

#[test]
fn key_usage_bits_encode_minimally() {
    assert_eq!(KeyUsage::DIGITAL_SIGNATURE.bit_string_content(), [7, 0x80]);
    assert_eq!(
        KeyUsage::KEY_CERT_SIGN
            .union(KeyUsage::CRL_SIGN)
            .bit_string_content(),
        [1, 0x06]
    );
    assert_eq!(
        KeyUsage::from_bit_string(&[1, 0x06]).unwrap(),
        KeyUsage::KEY_CERT_SIGN.union(KeyUsage::CRL_SIGN)
    );
}

#[test]
fn parser_never_panics_on_truncations_or_flipped_bytes() {
    let pki = TestPki::new();
    let der = &pki.leaf.der;
    for len in 0..der.len() {
        assert!(Certificate::parse(&der[..len]).is_err(), "prefix {len}");
    }
    for i in 0..der.len() {
        for bit in [0x01, 0x80] {
            let mut bad = der.clone();
            bad[i] ^= bit;
            let _ = Certificate::parse(&bad);
        }
    }
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(Certificate::parse(&trailing).is_err());
}

#[test]
fn rejects_unknown_critical_extension() {
    let pki = TestPki::new();
    // Rebuild the leaf's TBS with an unknown critical extension appended.
    let params = crate::cert::testing::leaf_params(&pki.intermediate_name, &pki.leaf_key);
    let tbs = params.tbs_der(CertSignatureAlgorithm::EcdsaWithSha256);
    let mut unknown = DerWriter::new();
    unknown.sequence(|w| {
        w.oid(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x01]);
        w.boolean(true);
        w.octet_string(&[0x05, 0x00]);
    });
    let extensions = [params.extensions_der(), unknown.finish()].concat();
    let mut body = DerReader::new(&tbs).sequence("tbs").unwrap();
    let mut w = DerWriter::new();
    w.sequence(|w| {
        while let Ok(tlv) = body.read_any() {
            if tlv.tag == der::context_constructed(3) {
                w.nested(der::context_constructed(3), |w| {
                    w.sequence(|w| w.raw(&extensions))
                });
            } else {
                w.raw(tlv.whole);
            }
        }
    });
    let new_tbs = w.finish();
    let sig = pki
        .intermediate_key
        .sign(
            SignatureScheme::EcdsaSha256,
            &new_tbs,
            &mut RngStream::new(0, "x"),
        )
        .unwrap();
    let mut cert = DerWriter::new();
    cert.sequence(|w| {
        w.raw(&new_tbs);
        CertSignatureAlgorithm::EcdsaWithSha256.write(w);
        w.bit_string(&sig);
    });
    assert_eq!(
        Certificate::parse(&cert.finish()),
        Err(CertError::UnsupportedCriticalExtension)
    );
}

/// The extension values, byte for byte, as RFC 5280's ASN.1 lays them out.
#[test]
fn revocation_issuer_and_policy_extensions_follow_rfc_5280() {
    let pki = TestPki::new();
    let mut params = crate::cert::testing::leaf_params(&pki.root_name, &pki.leaf_key);
    params.extended_key_usage = vec![KeyPurpose::ServerAuth];
    params.urls = CertificateUrls {
        crl: vec!["http://c/".into()],
        ocsp: vec!["http://o/".into()],
        ca_issuers: vec!["http://i/".into()],
    };
    params.policies = vec![Policy {
        oid: vec![0x55, 0x1d, 0x20, 0x00],
        cps: Some("http://p/".into()),
    }];
    let extensions = params.extensions_der();
    let uri = |text: &str| [&[0x86, text.len() as u8][..], text.as_bytes()].concat();
    let expected_values: [(&[u8], Vec<u8>); 4] = [
        // SEQUENCE { id-kp-serverAuth }
        (
            oid::EXT_KEY_USAGE,
            [&[0x30, 0x0a, 0x06, 0x08][..], oid::KP_SERVER_AUTH].concat(),
        ),
        // SEQUENCE { DistributionPoint { [0] { fullName [0] { URI } } } }
        (
            oid::CRL_DISTRIBUTION_POINTS,
            [
                &[0x30, 0x11, 0x30, 0x0f, 0xa0, 0x0d, 0xa0, 0x0b][..],
                &uri("http://c/"),
            ]
            .concat(),
        ),
        // SEQUENCE { { id-ad-caIssuers, URI }, { id-ad-ocsp, URI } }
        (
            oid::AUTHORITY_INFO_ACCESS,
            [
                &[0x30, 0x2e, 0x30, 0x15, 0x06, 0x08][..],
                oid::AD_CA_ISSUERS,
                &uri("http://i/"),
                &[0x30, 0x15, 0x06, 0x08],
                oid::AD_OCSP,
                &uri("http://o/"),
            ]
            .concat(),
        ),
        // SEQUENCE { PolicyInformation { anyPolicy, SEQUENCE { { id-qt-cps, IA5String } } } }
        (
            oid::CERTIFICATE_POLICIES,
            [
                &[0x30, 0x21, 0x30, 0x1f, 0x06, 0x04, 0x55, 0x1d, 0x20, 0x00][..],
                &[0x30, 0x17, 0x30, 0x15, 0x06, 0x08],
                oid::QT_CPS,
                &[0x16, 0x09],
                b"http://p/",
            ]
            .concat(),
        ),
    ];
    for (id, value) in expected_values {
        let mut w = DerWriter::new();
        w.sequence(|w| {
            w.oid(id);
            w.octet_string(&value);
        });
        let ext = w.finish();
        assert!(
            extensions.windows(ext.len()).any(|window| window == ext),
            "extension {} missing or different",
            der::oid_to_string(id)
        );
    }
    // Non-critical extensions the parser does not use are skipped.
    let der = params
        .sign(&pki.intermediate_key, &mut RngStream::new(1, "t"))
        .unwrap();
    assert_eq!(
        Certificate::parse(&der).unwrap().dns_names,
        params.dns_names
    );
}
