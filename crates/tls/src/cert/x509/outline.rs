//! A certificate as a tree of named fields, each with the bytes it covers,
//! laid out as Wireshark's X.509 dissector shows it (RFC 5280 §4.1), so a
//! reader of the log can open a certificate down to its fields and bytes.

use core::ops::Range;

use tlsim_sim::calendar::format_utc;

use super::{CertSignatureAlgorithm, DistinguishedName, KeyUsage, oid, parse_spki, parse_time};
use crate::cert::CertError;
use crate::cert::der::{self, DerReader, Tlv};
use crate::codec::hex;
use crate::crypto::sign::PublicKey;

/// One field of a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineField {
    /// Nesting below the certificate: 0 for `signedCertificate`.
    pub depth: u8,
    /// Wireshark's name for the field (`serialNumber`, `notBefore`, …).
    pub name: &'static str,
    /// The value as text.
    pub value: String,
    /// Where the field's encoding (tag, length, content) sits in the DER.
    pub range: Range<usize>,
}

/// The fields of the certificate `der`, in the order they are encoded.
pub fn outline(der: &[u8]) -> Result<Vec<OutlineField>, CertError> {
    let mut out = Vec::new();
    // Every slice below borrows from `der`: its address gives its offset.
    let range = |part: &[u8]| {
        let start = part.as_ptr() as usize - der.as_ptr() as usize;
        start..start + part.len()
    };
    let mut push = |depth, name, value: String, part: &[u8]| {
        out.push(OutlineField {
            depth,
            name,
            value,
            range: range(part),
        });
    };

    let mut cert = DerReader::new(der).sequence("Certificate")?;
    let tbs_tlv = cert.read(der::SEQUENCE, "TBSCertificate")?;
    push(0, "signedCertificate", String::new(), tbs_tlv.whole);
    let mut tbs = DerReader::new(tbs_tlv.content);
    if let Some(version) = tbs.read_optional(der::context_constructed(0))? {
        let n = DerReader::new(version.content).small_unsigned("version")?;
        push(
            1,
            "version",
            format!("v{} ({n})", n.saturating_add(1)),
            version.whole,
        );
    }
    let serial = tbs.read(der::INTEGER, "serialNumber")?;
    push(
        1,
        "serialNumber",
        format!("0x{}", hex(serial.content)),
        serial.whole,
    );
    let (algorithm, whole) = read_algorithm(&mut tbs)?;
    push(1, "signature", algorithm.name().to_owned(), whole);
    let issuer = tbs.read(der::SEQUENCE, "issuer")?;
    let name = DistinguishedName::parse(issuer.content)?.to_wireshark_string();
    push(1, "issuer", name, issuer.whole);
    let validity = tbs.read(der::SEQUENCE, "validity")?;
    push(1, "validity", String::new(), validity.whole);
    let mut times = DerReader::new(validity.content);
    for name in ["notBefore", "notAfter"] {
        let whole = { times }.read_any()?.whole;
        push(2, name, format_utc(parse_time(&mut times)?), whole);
    }
    let subject = tbs.read(der::SEQUENCE, "subject")?;
    let name = DistinguishedName::parse(subject.content)?.to_wireshark_string();
    push(1, "subject", name, subject.whole);
    let spki = tbs.read(der::SEQUENCE, "subjectPublicKeyInfo")?;
    let key = match parse_spki(spki.content)? {
        PublicKey::EcdsaP256(_) => "id-ecPublicKey, secp256r1".to_owned(),
        PublicKey::EcdsaP384(_) => "id-ecPublicKey, secp384r1".to_owned(),
        PublicKey::Ed25519(_) => "id-Ed25519".to_owned(),
        key @ PublicKey::Rsa(_) => format!("rsaEncryption, {} bits", key.bits()),
    };
    push(1, "subjectPublicKeyInfo", key, spki.whole);
    tbs.read_optional(der::context_primitive(1))?;
    tbs.read_optional(der::context_primitive(2))?;
    if let Some(extensions) = tbs.read_optional(der::context_constructed(3))? {
        let mut list = DerReader::new(extensions.content).sequence("Extensions")?;
        let mut items = Vec::new();
        while !list.is_empty() {
            let extension = list.read(der::SEQUENCE, "Extension")?;
            items.push((extension.whole, describe_extension(extension)?));
        }
        push(
            1,
            "extensions",
            format!("{} items", items.len()),
            extensions.whole,
        );
        for (whole, (name, value)) in items {
            push(2, name, value, whole);
        }
    }
    let (algorithm, whole) = read_algorithm(&mut cert)?;
    push(0, "algorithmIdentifier", algorithm.name().to_owned(), whole);
    let signature = cert.read(der::BIT_STRING, "signatureValue")?;
    let bits = signature.content.get(1..).unwrap_or_default();
    push(0, "encrypted", hex(bits), signature.whole);
    Ok(out)
}

/// Reads an AlgorithmIdentifier, returning it and its encoding.
fn read_algorithm<'a>(
    reader: &mut DerReader<'a>,
) -> Result<(CertSignatureAlgorithm, &'a [u8]), CertError> {
    let whole = { *reader }.read_any()?.whole;
    Ok((CertSignatureAlgorithm::parse(reader)?, whole))
}

/// An extension's name, and its value in a line: what it says, with
/// `(critical)` when it is.
fn describe_extension(extension: Tlv<'_>) -> Result<(&'static str, String), CertError> {
    let mut fields = DerReader::new(extension.content);
    let id = fields.read(der::OID, "extnID")?.content;
    let critical = fields.peek_tag() == Some(der::BOOLEAN) && fields.boolean("critical")?;
    let value = fields.read(der::OCTET_STRING, "extnValue")?.content;
    let (name, what) = match id {
        oid::BASIC_CONSTRAINTS => {
            let mut bc = DerReader::new(value).sequence("basicConstraints")?;
            let ca = bc.peek_tag() == Some(der::BOOLEAN) && bc.boolean("cA")?;
            let mut text = format!("cA: {}", if ca { "TRUE" } else { "FALSE" });
            if !bc.is_empty() {
                text += &format!(", pathLenConstraint: {}", bc.small_unsigned("pathLen")?);
            }
            ("basicConstraints", text)
        }
        oid::KEY_USAGE => {
            let bits = DerReader::new(value).read(der::BIT_STRING, "keyUsage")?;
            let usage = KeyUsage::from_bit_string(bits.content)?;
            ("keyUsage", usage.names().join(", "))
        }
        oid::SUBJECT_KEY_ID => {
            let id = DerReader::new(value).read(der::OCTET_STRING, "subjectKeyIdentifier")?;
            ("subjectKeyIdentifier", hex(id.content))
        }
        oid::AUTHORITY_KEY_ID => ("authorityKeyIdentifier", leaves(value)?.join(", ")),
        oid::SUBJECT_ALT_NAME => ("subjectAltName", leaves(value)?.join(", ")),
        oid::EXT_KEY_USAGE => ("extKeyUsage", leaves(value)?.join(", ")),
        oid::CRL_DISTRIBUTION_POINTS => ("cRLDistributionPoints", leaves(value)?.join(", ")),
        oid::AUTHORITY_INFO_ACCESS => ("authorityInfoAccess", leaves(value)?.join(", ")),
        oid::CERTIFICATE_POLICIES => ("certificatePolicies", leaves(value)?.join(", ")),
        _ => ("Extension", der::oid_to_string(id)),
    };
    let critical = if critical { " (critical)" } else { "" };
    Ok((name, format!("{what}{critical}")))
}

/// How deep [`leaves`] opens constructed values. The extensions shown
/// nest five deep at most (certificatePolicies); DER itself sets no bound,
/// and without one a certificate of nested SEQUENCEs exhausts the stack.
const MAX_NESTING: usize = 16;

/// The leaves of a DER value, in order, as text: OIDs by name, strings
/// and URIs as written, other primitives in hex.
///
/// # Errors
/// `BadEncoding` for malformed DER or values nested deeper than
/// [`MAX_NESTING`].
fn leaves(value: &[u8]) -> Result<Vec<String>, CertError> {
    let mut out = Vec::new();
    push_leaves(value, MAX_NESTING, &mut out)?;
    Ok(out)
}

fn push_leaves(value: &[u8], depth_left: usize, out: &mut Vec<String>) -> Result<(), CertError> {
    let mut reader = DerReader::new(value);
    while !reader.is_empty() {
        let tlv = reader.read_any()?;
        const CONSTRUCTED: u8 = 0x20;
        if tlv.tag & CONSTRUCTED != 0 {
            let depth_left = depth_left
                .checked_sub(1)
                .ok_or(CertError::BadEncoding("nesting too deep"))?;
            push_leaves(tlv.content, depth_left, out)?;
            continue;
        }
        let text = match tlv.tag {
            der::OID => oid_name(tlv.content),
            der::IA5_STRING | der::UTF8_STRING | der::PRINTABLE_STRING => {
                String::from_utf8_lossy(tlv.content).into_owned()
            }
            // GeneralName dNSName [2] and uniformResourceIdentifier [6].
            t if t == der::context_primitive(2) || t == der::context_primitive(6) => {
                String::from_utf8_lossy(tlv.content).into_owned()
            }
            _ => hex(tlv.content),
        };
        out.push(text);
    }
    Ok(())
}

/// Wireshark's name for the OIDs extensions carry here, else dotted.
fn oid_name(encoded: &[u8]) -> String {
    let name = match encoded {
        oid::KP_SERVER_AUTH => "id-kp-serverAuth",
        oid::KP_CLIENT_AUTH => "id-kp-clientAuth",
        oid::AD_OCSP => "id-ad-ocsp",
        oid::AD_CA_ISSUERS => "id-ad-caIssuers",
        oid::QT_CPS => "id-qt-cps",
        oid::ANY_POLICY => "anyPolicy",
        _ => return der::oid_to_string(encoded),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::testing::TestPki;

    #[test]
    fn every_field_names_the_bytes_it_covers() {
        let pki = TestPki::new();
        let der = &pki.leaf.der;
        let fields = outline(der).unwrap();
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "signedCertificate",
                "version",
                "serialNumber",
                "signature",
                "issuer",
                "validity",
                "notBefore",
                "notAfter",
                "subject",
                "subjectPublicKeyInfo",
                "extensions",
                "basicConstraints",
                "keyUsage",
                "subjectAltName",
                "subjectKeyIdentifier",
                "authorityKeyIdentifier",
                "algorithmIdentifier",
                "encrypted",
            ]
        );
        let value = |name: &str| &fields.iter().find(|f| f.name == name).unwrap().value;
        assert_eq!(value("version"), "v3 (2)");
        assert_eq!(value("serialNumber"), "0x03");
        assert_eq!(value("notBefore"), "2013-01-01T00:00:00Z");
        assert_eq!(value("basicConstraints"), "cA: FALSE (critical)");
        assert_eq!(value("keyUsage"), "digitalSignature (critical)");
        assert_eq!(value("subjectAltName"), "www.google.com, *.google.com");
        assert_eq!(value("subject"), &pki.leaf.subject.to_wireshark_string());
        for f in &fields {
            // Each range is one whole DER value: its first byte is a tag whose
            // length covers exactly the rest of the range.
            let tlv = DerReader::new(&der[f.range.clone()]).read_any().unwrap();
            assert_eq!(tlv.whole.len(), f.range.len(), "{}", f.name);
        }
        let serial = fields.iter().find(|f| f.name == "serialNumber").unwrap();
        assert_eq!(&der[serial.range.clone()], [der::INTEGER, 1, 3]);
        assert_eq!(fields.last().unwrap().range.end, der.len());
    }

    #[test]
    fn never_panics_on_damaged_certificates() {
        let der = TestPki::new().leaf.der;
        for cut in 0..der.len() {
            let _ = outline(&der[..cut]);
        }
        for i in 0..der.len() {
            let mut bad = der.clone();
            bad[i] ^= 0x41;
            let _ = outline(&bad);
        }
    }
}
