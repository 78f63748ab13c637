use der::Length;
use der::asn1::Null;
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
    const UTC_TIME: u8 = 0x17;
    const GENERALIZED_TIME: u8 = 0x18;
    for (secs, tag) in [
        (0u64, UTC_TIME),
        (NOT_BEFORE, UTC_TIME),
        (2_524_607_999, UTC_TIME),         // 2049-12-31T23:59:59Z
        (2_524_608_000, GENERALIZED_TIME), // 2050-01-01T00:00:00Z
        (4_102_444_800, GENERALIZED_TIME), // 2100-01-01
    ] {
        let bytes = validity_time(secs).unwrap().to_der().unwrap();
        assert_eq!(bytes[0], tag);
        assert_eq!(unix_seconds(Time::from_der(&bytes).unwrap()), secs);
    }
    let bytes = validity_time(NOT_BEFORE).unwrap().to_der().unwrap();
    assert_eq!(&bytes[2..], b"130101000000Z");
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
    let tbs = params
        .tbs_der(CertSignatureAlgorithm::EcdsaWithSha256)
        .unwrap();
    let extensions = [extensions_der(params), extra.to_vec()].concat();
    let mut body = SliceReader::new(&tbs).unwrap();
    Header::decode(&mut body).unwrap();
    let mut fields = Vec::new();
    while let Ok(field) = body.tlv_bytes() {
        if field[0] == EXTENSIONS_TAG {
            fields.extend(tlv(EXTENSIONS_TAG, &tlv(0x30, &extensions)));
        } else {
            fields.extend_from_slice(field);
        }
    }
    signed_by_intermediate(pki, tlv(0x30, &fields), outer_algorithm)
}

/// A certificate of `tbs` signed by the test intermediate, with
/// `outer_algorithm` as the DER of its signatureAlgorithm.
fn signed_by_intermediate(pki: &TestPki, tbs: Vec<u8>, outer_algorithm: &[u8]) -> Vec<u8> {
    let sig = pki
        .intermediate_key
        .sign(
            SignatureScheme::EcdsaSha256,
            &tbs,
            &mut RngStream::new(0, "x"),
        )
        .unwrap();
    let signature = BitString::from_bytes(&sig).unwrap().to_der().unwrap();
    tlv(0x30, &[tbs, outer_algorithm.to_vec(), signature].concat())
}

#[test]
fn names_and_key_are_kept_as_encoded_with_or_without_a_version() {
    let pki = TestPki::new();
    for cert in [&pki.root, &pki.intermediate, &pki.leaf] {
        let decoded = x509_cert::Certificate::from_der(&cert.der).unwrap();
        let tbs = decoded.tbs_certificate();
        assert_eq!(cert.issuer_der, tbs.issuer().to_der().unwrap());
        assert_eq!(cert.subject_der, tbs.subject().to_der().unwrap());
        let spki = tbs.subject_public_key_info().to_der().unwrap();
        assert_eq!(cert.spki_der, spki);
    }
    // The leaf as a v1 certificate: no version field, no extensions.
    let mut body = SliceReader::new(&pki.leaf.tbs).unwrap();
    Header::decode(&mut body).unwrap();
    let mut fields = Vec::new();
    while let Ok(field) = body.tlv_bytes() {
        if ![VERSION_TAG, EXTENSIONS_TAG].contains(&field[0]) {
            fields.extend_from_slice(field);
        }
    }
    let v1_der = signed_by_intermediate(&pki, tlv(0x30, &fields), &ecdsa_with_sha256_der());
    let v1 = Certificate::parse(&v1_der).unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.issuer_der, pki.leaf.issuer_der);
    assert_eq!(v1.subject_der, pki.leaf.subject_der);
    assert_eq!(v1.spki_der, pki.leaf.spki_der);
}

/// `[0]`, the tag of the TBSCertificate's version.
const VERSION_TAG: u8 = 0xa0;

/// `[3]`, the tag of the TBSCertificate's extensions.
const EXTENSIONS_TAG: u8 = 0xa3;

/// A DER value of `tag` around `content`.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let length = Length::try_from(content.len()).unwrap().to_der().unwrap();
    [&[tag][..], &length, content].concat()
}

/// The DER of each extension `params` makes, one after another.
fn extensions_der(params: &CertificateParams) -> Vec<u8> {
    (params.extensions().unwrap().iter())
        .flat_map(|e| e.to_der().unwrap())
        .collect()
}

fn ecdsa_with_sha256_der() -> Vec<u8> {
    (CertSignatureAlgorithm::EcdsaWithSha256.identifier())
        .to_der()
        .unwrap()
}

fn leaf_params(pki: &TestPki) -> CertificateParams {
    crate::cert::testing::leaf_params(&pki.intermediate_name, &pki.leaf_key)
}

/// One `Extension` SEQUENCE.
fn extension(oid: ObjectIdentifier, critical: bool, value: &[u8]) -> Vec<u8> {
    let extension = Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).unwrap(),
    };
    extension.to_der().unwrap()
}

/// What a certificate error costs the TLS connection.
fn alert_for(e: CertError) -> crate::enums::AlertDescription {
    crate::conn::certificate_error(e).alert().unwrap()
}

#[test]
fn rejects_unknown_critical_extension() {
    let pki = TestPki::new();
    let unknown = extension(
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.1"),
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
    let with_null = AlgorithmIdentifierOwned {
        oid: rfc5912::ECDSA_WITH_SHA_256,
        parameters: Some(Any::from(Null)),
    };
    let with_null = with_null.to_der().unwrap();
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &[], &with_null);
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
        rfc5280::ID_CE_BASIC_CONSTRAINTS,
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
    let padded = extension(rfc5280::ID_CE_KEY_USAGE, true, &[0x03, 0x02, 0x07, 0x04]);
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
        oid: rfc5280::ANY_POLICY,
        cps: Some("http://p/".into()),
    }];
    let extensions = extensions_der(&params);
    let uri = |text: &str| [&[0x86, text.len() as u8][..], text.as_bytes()].concat();
    let expected_values: [(ObjectIdentifier, Vec<u8>); 4] = [
        // SEQUENCE { id-kp-serverAuth }
        (
            rfc5280::ID_CE_EXT_KEY_USAGE,
            [
                &[0x30, 0x0a, 0x06, 0x08][..],
                rfc5280::ID_KP_SERVER_AUTH.as_bytes(),
            ]
            .concat(),
        ),
        // SEQUENCE { DistributionPoint { [0] { fullName [0] { URI } } } }
        (
            rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
            [
                &[0x30, 0x11, 0x30, 0x0f, 0xa0, 0x0d, 0xa0, 0x0b][..],
                &uri("http://c/"),
            ]
            .concat(),
        ),
        // SEQUENCE { { id-ad-caIssuers, URI }, { id-ad-ocsp, URI } }
        (
            rfc5280::ID_PE_AUTHORITY_INFO_ACCESS,
            [
                &[0x30, 0x2e, 0x30, 0x15, 0x06, 0x08][..],
                rfc5280::ID_AD_CA_ISSUERS.as_bytes(),
                &uri("http://i/"),
                &[0x30, 0x15, 0x06, 0x08],
                rfc5280::ID_AD_OCSP.as_bytes(),
                &uri("http://o/"),
            ]
            .concat(),
        ),
        // SEQUENCE { PolicyInformation { anyPolicy, SEQUENCE { { id-qt-cps, IA5String } } } }
        (
            rfc5280::ID_CE_CERTIFICATE_POLICIES,
            [
                &[0x30, 0x21, 0x30, 0x1f, 0x06, 0x04, 0x55, 0x1d, 0x20, 0x00][..],
                &[0x30, 0x17, 0x30, 0x15, 0x06, 0x08],
                rfc5280::ID_QT_CPS.as_bytes(),
                &[0x16, 0x09],
                b"http://p/",
            ]
            .concat(),
        ),
    ];
    for (id, value) in expected_values {
        let ext = extension(id, false, &value);
        assert!(
            extensions.windows(ext.len()).any(|window| window == ext),
            "extension {id} missing or different"
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
    let inner = rfc5280::ID_KP_SERVER_AUTH.to_der().unwrap();
    let mut lengths = vec![inner.len()];
    for _ in 0..levels {
        let content = *lengths.last().unwrap();
        lengths.push(tlv(0x30, &vec![0; content]).len());
    }
    let mut out = Vec::with_capacity(*lengths.last().unwrap());
    for &content in lengths[..levels].iter().rev() {
        let header = tlv(0x30, &vec![0; content]);
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
    let ext = extension(rfc5280::ID_CE_EXT_KEY_USAGE, false, &value);
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
    let ext = extension(rfc5280::ID_CE_EXT_KEY_USAGE, false, &nested_sequences(16));
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &ext, &ecdsa_with_sha256_der());
    let fields = outline(&cert).unwrap();
    let eku = fields.iter().find(|f| f.name == "extKeyUsage").unwrap();
    assert_eq!(eku.value, "id-kp-serverAuth");
    let ext = extension(rfc5280::ID_CE_EXT_KEY_USAGE, false, &nested_sequences(17));
    let cert = resigned_leaf(&pki, &leaf_params(&pki), &ext, &ecdsa_with_sha256_der());
    assert_eq!(
        outline(&cert),
        Err(CertError::BadEncoding("nesting too deep"))
    );
}
