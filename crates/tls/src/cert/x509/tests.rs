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

/// The test leaf with `extra` appended to the extensions of `params`,
/// signed by the intermediate, with `outer_algorithm` as the DER of the
/// certificate's signatureAlgorithm (the TBS keeps ecdsa-with-SHA256).
fn resigned_leaf(
    pki: &TestPki,
    params: &CertificateParams,
    extra: &[u8],
    outer_algorithm: &[u8],
) -> Vec<u8> {
    let tbs = params.tbs_der(CertSignatureAlgorithm::EcdsaWithSha256);
    let extensions = [params.extensions_der(), extra.to_vec()].concat();
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
        w.raw(outer_algorithm);
        w.bit_string(&sig);
    });
    cert.finish()
}

fn ecdsa_with_sha256_der() -> Vec<u8> {
    let mut w = DerWriter::new();
    CertSignatureAlgorithm::EcdsaWithSha256.write(&mut w);
    w.finish()
}

fn leaf_params(pki: &TestPki) -> CertificateParams {
    crate::cert::testing::leaf_params(&pki.intermediate_name, &pki.leaf_key)
}

/// One `Extension` SEQUENCE.
fn extension(oid: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let mut w = DerWriter::new();
    w.sequence(|w| {
        w.oid(oid);
        if critical {
            w.boolean(true);
        }
        w.octet_string(value);
    });
    w.finish()
}

/// What a certificate error costs the TLS connection.
fn alert_for(e: CertError) -> crate::enums::AlertDescription {
    crate::conn::certificate_error(e).alert().unwrap()
}

#[test]
fn rejects_unknown_critical_extension() {
    let pki = TestPki::new();
    let unknown = extension(
        &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x01],
        true,
        &[0x05, 0x00],
    );
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &unknown, &ecdsa_with_sha256_der());
    assert_eq!(
        Certificate::parse(&cert),
        Err(CertError::UnsupportedCriticalExtension)
    );
}

#[test]
fn resigned_leaf_parses_and_verifies_unchanged() {
    let pki = TestPki::new();
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &[], &ecdsa_with_sha256_der());
    let leaf = Certificate::parse(&cert).unwrap();
    let chain = [leaf, pki.intermediate.clone(), pki.root.clone()];
    let anchors = [pki.root.clone()];
    crate::cert::verify_chain(
        &chain,
        &anchors,
        Some("www.google.com"),
        crate::cert::testing::NOW,
        &mut crate::cert::VerificationCache::new(),
    )
    .unwrap();
}

#[test]
fn rejects_outer_signature_algorithm_with_other_parameters() {
    let pki = TestPki::new();
    // ecdsa-with-SHA256 with NULL parameters: the same algorithm by kind,
    // not the same AlgorithmIdentifier as the TBS's (RFC 5280 §4.1.1.2).
    let mut with_null = DerWriter::new();
    with_null.sequence(|w| {
        w.oid(oid::ECDSA_WITH_SHA256);
        w.null();
    });
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &[], &with_null.finish());
    let err = Certificate::parse(&cert).unwrap_err();
    assert_eq!(err, CertError::BadEncoding("signature algorithms differ"));
    assert_eq!(
        alert_for(err),
        crate::enums::AlertDescription::BadCertificate
    );
}

#[test]
fn rejects_a_second_basic_constraints() {
    let pki = TestPki::new();
    // cA TRUE after the leaf's own basicConstraints (cA FALSE).
    let ca = extension(
        oid::BASIC_CONSTRAINTS,
        true,
        &[0x30, 0x03, 0x01, 0x01, 0xff],
    );
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &ca, &ecdsa_with_sha256_der());
    let err = Certificate::parse(&cert).unwrap_err();
    assert_eq!(err, CertError::BadEncoding("duplicate extension"));
    assert_eq!(
        alert_for(err),
        crate::enums::AlertDescription::BadCertificate
    );
}

#[test]
fn rejects_key_usage_bits_set_in_the_unused_padding() {
    let pki = TestPki::new();
    let mut params = leaf_params(&pki);
    params.key_usage = None;
    // BIT STRING, 7 unused bits, 0x04: the only set bit is padding, which
    // a lax reader takes for keyCertSign.
    let padded = extension(oid::KEY_USAGE, true, &[0x03, 0x02, 0x07, 0x04]);
    let cert = resigned_leaf(&pki, &params, &padded, &ecdsa_with_sha256_der());
    let err = Certificate::parse(&cert).unwrap_err();
    assert_eq!(err, CertError::BadEncoding("keyUsage"));
    assert_eq!(
        alert_for(err),
        crate::enums::AlertDescription::BadCertificate
    );
}

#[test]
fn key_usage_follows_der_named_bit_list_rules() {
    // X.690 §11.2.2: trailing zero bits are dropped, so the last used bit
    // is 1; §11.2.1: unused bits are 0; RFC 5280 §4.2.1.3: one bit at least.
    for bad in [
        &[7, 0x04][..],
        &[0, 0x80],
        &[1, 0x80],
        &[0, 0x80, 0x00],
        &[7, 0x80, 0x00],
        &[0],
        &[],
        &[8, 0x80],
        &[7, 0x00, 0x80, 0x80],
    ] {
        assert_eq!(
            KeyUsage::from_bit_string(bad),
            Err(CertError::BadEncoding("keyUsage")),
            "{bad:02x?}"
        );
    }
    assert_eq!(
        KeyUsage::from_bit_string(&[7, 0x00, 0x80]),
        Ok(KeyUsage(0x0080))
    );
    assert_eq!(
        KeyUsage::from_bit_string(&[5, 0xa0]),
        Ok(KeyUsage::DIGITAL_SIGNATURE.union(KeyUsage::KEY_ENCIPHERMENT))
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

/// `levels` SEQUENCEs, each holding the next, around id-kp-serverAuth;
/// written outside in, so that building it takes no recursion either.
fn nested_sequences(levels: usize) -> Vec<u8> {
    let mut inner = DerWriter::new();
    inner.oid(oid::KP_SERVER_AUTH);
    let inner = inner.finish();
    let mut lengths = vec![inner.len()];
    for _ in 0..levels {
        let content = *lengths.last().unwrap();
        let mut header = DerWriter::new();
        header.tlv(der::SEQUENCE, &vec![0; content]);
        lengths.push(header.finish().len());
    }
    let mut out = Vec::with_capacity(*lengths.last().unwrap());
    for &content in lengths[..levels].iter().rev() {
        let mut header = DerWriter::new();
        header.tlv(der::SEQUENCE, &vec![0; content]);
        let header = header.finish();
        out.extend_from_slice(&header[..header.len() - content]);
    }
    out.extend_from_slice(&inner);
    out
}

#[test]
fn deeply_nested_extension_is_an_error_not_a_stack_overflow() {
    let pki = TestPki::new();
    let value = nested_sequences(16_000);
    assert!(value.len() > 60_000, "about 64 KB");
    let ext = extension(oid::EXT_KEY_USAGE, false, &value);
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &ext, &ecdsa_with_sha256_der());
    // A Certificate handshake message carrying it, as the log dissects it.
    let mut message = vec![11];
    for len in [cert.len() + 6, cert.len() + 3, cert.len()] {
        message.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    }
    message.extend_from_slice(&cert);
    let small_stack = std::thread::Builder::new().stack_size(256 * 1024);
    let (outlined, parsed, dissected) = small_stack
        .spawn(move || {
            (
                outline(&cert),
                Certificate::parse(&cert).map(|c| c.subject),
                crate::msgs::dissect::dissect_handshake(&message, None).len(),
            )
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
    let err = outlined.unwrap_err();
    assert_eq!(err, CertError::BadEncoding("nesting too deep"));
    assert_eq!(
        alert_for(err),
        crate::enums::AlertDescription::BadCertificate
    );
    // Validation does not open extKeyUsage, so the certificate parses.
    assert_eq!(parsed, Ok(pki.leaf.subject.clone()));
    assert!(dissected > 0);
}

#[test]
fn outline_opens_nesting_up_to_its_bound() {
    let pki = TestPki::new();
    let ext = extension(oid::EXT_KEY_USAGE, false, &nested_sequences(16));
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &ext, &ecdsa_with_sha256_der());
    let fields = outline(&cert).unwrap();
    let eku = fields.iter().find(|f| f.name == "extKeyUsage").unwrap();
    assert_eq!(eku.value, "id-kp-serverAuth");
    let ext = extension(oid::EXT_KEY_USAGE, false, &nested_sequences(17));
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &ext, &ecdsa_with_sha256_der());
    assert_eq!(
        outline(&cert),
        Err(CertError::BadEncoding("nesting too deep"))
    );
}
