//! A certificate as a tree of named fields, each with the bytes it covers,
//! laid out as Wireshark's X.509 dissector shows it (RFC 5280 §4.1), so a
//! reader of the log can open a certificate down to its fields and bytes.
//!
//! Hand-written walk: x509-cert's decoded types keep no byte positions.
//! Each field's value is decoded with `der`, `spki` and `x509-cert`.

use core::ops::Range;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280;
use der::asn1::AnyRef;
use der::{Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use tlsim_sim::calendar::format_utc;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::time::Time;

use super::unix_seconds;
use super::{CertSignatureAlgorithm, DistinguishedName, KeyUsage, extension_value, public_key};
use crate::cert::{CertError, der_error};
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

/// One DER value: its tag, its content and its whole encoding.
#[derive(Clone, Copy)]
struct Tlv<'a> {
    tag: Tag,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads DER values one after another out of `bytes`.
fn values(bytes: &[u8]) -> Result<SliceReader<'_>, CertError> {
    SliceReader::new(bytes).map_err(der_error)
}

/// The next value of `reader`.
fn next<'a>(reader: &mut SliceReader<'a>) -> Result<Tlv<'a>, CertError> {
    let whole = reader.tlv_bytes().map_err(der_error)?;
    let any = AnyRef::from_der(whole).map_err(der_error)?;
    Ok(Tlv {
        tag: any.tag(),
        content: any.value(),
        whole,
    })
}

/// The next value of `reader` if it has `tag`.
fn next_if<'a>(reader: &mut SliceReader<'a>, tag: Tag) -> Result<Option<Tlv<'a>>, CertError> {
    match Tag::peek(reader) {
        Ok(found) if found == tag => next(reader).map(Some),
        _ => Ok(None),
    }
}

/// The next value of `reader`, which must have `tag`; `what` names it.
fn expect<'a>(
    reader: &mut SliceReader<'a>,
    tag: Tag,
    what: &'static str,
) -> Result<Tlv<'a>, CertError> {
    next_if(reader, tag)?.ok_or(CertError::BadEncoding(what))
}

/// The tag of a context-specific field `[number]`.
const fn context(number: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber(number),
    }
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

    let certificate = expect(&mut values(der)?, Tag::Sequence, "Certificate")?;
    let mut cert = values(certificate.content)?;
    let tbs_tlv = expect(&mut cert, Tag::Sequence, "TBSCertificate")?;
    push(0, "signedCertificate", String::new(), tbs_tlv.whole);
    let mut tbs = values(tbs_tlv.content)?;
    if let Some(version) = next_if(&mut tbs, context(0, true))? {
        let n = u64::from_der(version.content).map_err(der_error)?;
        push(
            1,
            "version",
            format!("v{} ({n})", n.saturating_add(1)),
            version.whole,
        );
    }
    let serial = expect(&mut tbs, Tag::Integer, "serialNumber")?;
    push(
        1,
        "serialNumber",
        format!("0x{}", hex(serial.content)),
        serial.whole,
    );
    let (algorithm, whole) = read_algorithm(&mut tbs)?;
    push(1, "signature", algorithm.name().to_owned(), whole);
    let issuer = expect(&mut tbs, Tag::Sequence, "issuer")?;
    let name = DistinguishedName::from_der(issuer.whole)?.to_wireshark_string();
    push(1, "issuer", name, issuer.whole);
    let validity = expect(&mut tbs, Tag::Sequence, "validity")?;
    push(1, "validity", String::new(), validity.whole);
    let mut times = values(validity.content)?;
    for name in ["notBefore", "notAfter"] {
        let time = next(&mut times)?;
        let at = Time::from_der(time.whole).map_err(der_error)?;
        push(2, name, format_utc(unix_seconds(at)), time.whole);
    }
    let subject = expect(&mut tbs, Tag::Sequence, "subject")?;
    let name = DistinguishedName::from_der(subject.whole)?.to_wireshark_string();
    push(1, "subject", name, subject.whole);
    let spki = expect(&mut tbs, Tag::Sequence, "subjectPublicKeyInfo")?;
    let info = SubjectPublicKeyInfoOwned::from_der(spki.whole).map_err(der_error)?;
    let key = match public_key(&info)? {
        PublicKey::EcdsaP256(_) => "id-ecPublicKey, secp256r1".to_owned(),
        PublicKey::EcdsaP384(_) => "id-ecPublicKey, secp384r1".to_owned(),
        PublicKey::Ed25519(_) => "id-Ed25519".to_owned(),
        key @ PublicKey::Rsa(_) => format!("rsaEncryption, {} bits", key.bits()),
    };
    push(1, "subjectPublicKeyInfo", key, spki.whole);
    // issuerUniqueID [1] and subjectUniqueID [2] are not shown.
    next_if(&mut tbs, context(1, false))?;
    next_if(&mut tbs, context(2, false))?;
    if let Some(extensions) = next_if(&mut tbs, context(3, true))? {
        let list = expect(
            &mut values(extensions.content)?,
            Tag::Sequence,
            "Extensions",
        )?;
        let mut list = values(list.content)?;
        let mut items = Vec::new();
        while !list.is_finished() {
            let extension = expect(&mut list, Tag::Sequence, "Extension")?;
            items.push((extension.whole, describe_extension(extension.whole)?));
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
    let signature = expect(&mut cert, Tag::BitString, "signatureValue")?;
    let bits = signature.content.get(1..).unwrap_or_default();
    push(0, "encrypted", hex(bits), signature.whole);
    Ok(out)
}

/// Reads an AlgorithmIdentifier, returning it and its encoding.
fn read_algorithm<'a>(
    reader: &mut SliceReader<'a>,
) -> Result<(CertSignatureAlgorithm, &'a [u8]), CertError> {
    let whole = expect(reader, Tag::Sequence, "AlgorithmIdentifier")?.whole;
    let identifier = AlgorithmIdentifierOwned::from_der(whole).map_err(der_error)?;
    Ok((CertSignatureAlgorithm::from_identifier(&identifier)?, whole))
}

/// The extensions shown as the leaves of their value, by Wireshark's name.
const SHOWN_AS_LEAVES: [(ObjectIdentifier, &str); 6] = [
    (
        rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        "authorityKeyIdentifier",
    ),
    (rfc5280::ID_CE_SUBJECT_ALT_NAME, "subjectAltName"),
    (rfc5280::ID_CE_EXT_KEY_USAGE, "extKeyUsage"),
    (
        rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
        "cRLDistributionPoints",
    ),
    (rfc5280::ID_PE_AUTHORITY_INFO_ACCESS, "authorityInfoAccess"),
    (rfc5280::ID_CE_CERTIFICATE_POLICIES, "certificatePolicies"),
];

/// An extension's name, and its value in a line: what it says, with
/// `(critical)` when it is.
fn describe_extension(whole: &[u8]) -> Result<(&'static str, String), CertError> {
    let extension = Extension::from_der(whole).map_err(der_error)?;
    let value = extension.extn_value.as_bytes();
    let (name, what) = match extension.extn_id {
        rfc5280::ID_CE_BASIC_CONSTRAINTS => {
            let bc: x509_cert::ext::pkix::BasicConstraints =
                extension_value(value, "basicConstraints")?;
            let mut text = format!("cA: {}", if bc.ca { "TRUE" } else { "FALSE" });
            if let Some(n) = bc.path_len_constraint {
                text += &format!(", pathLenConstraint: {n}");
            }
            ("basicConstraints", text)
        }
        rfc5280::ID_CE_KEY_USAGE => ("keyUsage", KeyUsage::from_der(value)?.names().join(", ")),
        rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER => {
            let id: SubjectKeyIdentifier = extension_value(value, "subjectKeyIdentifier")?;
            ("subjectKeyIdentifier", hex(id.0.as_bytes()))
        }
        id => match SHOWN_AS_LEAVES.iter().find(|(shown, _)| *shown == id) {
            Some(&(_, name)) => (name, leaves(value)?.join(", ")),
            None => ("Extension", id.to_string()),
        },
    };
    let critical = if extension.critical {
        " (critical)"
    } else {
        ""
    };
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
    let mut reader = values(value)?;
    while !reader.is_finished() {
        let tlv = next(&mut reader)?;
        if tlv.tag.is_constructed() {
            let depth_left = depth_left
                .checked_sub(1)
                .ok_or(CertError::BadEncoding("nesting too deep"))?;
            push_leaves(tlv.content, depth_left, out)?;
            continue;
        }
        let text = match tlv.tag {
            Tag::ObjectIdentifier => {
                oid_name(ObjectIdentifier::from_der(tlv.whole).map_err(der_error)?)
            }
            Tag::Ia5String | Tag::Utf8String | Tag::PrintableString => {
                String::from_utf8_lossy(tlv.content).into_owned()
            }
            // GeneralName dNSName [2] and uniformResourceIdentifier [6].
            Tag::ContextSpecific { number, .. } if matches!(number.value(), 2 | 6) => {
                String::from_utf8_lossy(tlv.content).into_owned()
            }
            _ => hex(tlv.content),
        };
        out.push(text);
    }
    Ok(())
}

/// Wireshark's names for the OIDs extensions carry here.
const OID_NAMES: [(ObjectIdentifier, &str); 6] = [
    (rfc5280::ID_KP_SERVER_AUTH, "id-kp-serverAuth"),
    (rfc5280::ID_KP_CLIENT_AUTH, "id-kp-clientAuth"),
    (rfc5280::ID_AD_OCSP, "id-ad-ocsp"),
    (rfc5280::ID_AD_CA_ISSUERS, "id-ad-caIssuers"),
    (rfc5280::ID_QT_CPS, "id-qt-cps"),
    (rfc5280::ANY_POLICY, "anyPolicy"),
];

/// Wireshark's name for `oid`, else its dotted form.
fn oid_name(oid: ObjectIdentifier) -> String {
    match OID_NAMES.iter().find(|(known, _)| *known == oid) {
        Some((_, name)) => (*name).to_owned(),
        None => oid.to_string(),
    }
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
            let whole = values(&der[f.range.clone()]).unwrap().tlv_bytes().unwrap();
            assert_eq!(whole.len(), f.range.len(), "{}", f.name);
        }
        let serial = fields.iter().find(|f| f.name == "serialNumber").unwrap();
        assert_eq!(&der[serial.range.clone()], [0x02, 1, 3]);
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
