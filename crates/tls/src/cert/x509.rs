//! X.509 v3 certificates: names, validity, generation and parsing.
//!
//! Read first: RFC 5280 §4.1 (Certificate, TBSCertificate), §4.1.2.4
//! (Name), §4.1.2.5 (UTCTime until 2049, GeneralizedTime after),
//! §4.2.1.1–3, 6, 9 (authority/subject key identifiers, keyUsage,
//! subjectAltName, basicConstraints).
//!
//! Generation is deterministic: the same parameters and issuer key give
//! the same DER, byte for byte (ECDSA signatures follow RFC 6979; RSA
//! PKCS#1 v1.5 signatures are deterministic by construction).

use rand_core::CryptoRng;
use sha1::{Digest, Sha1};
use tlsim_sim::calendar::{civil_from_days, days_from_civil};

use super::CertError;
use super::der::{self, DerReader, DerWriter};
use crate::crypto::sign::{KeyType, PublicKey, SignatureScheme, SigningKey};

/// Encoded OIDs (the content octets of the OBJECT IDENTIFIER).
mod oid {
    pub(super) const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    pub(super) const COUNTRY: &[u8] = &[0x55, 0x04, 0x06];
    pub(super) const LOCALITY: &[u8] = &[0x55, 0x04, 0x07];
    pub(super) const STATE: &[u8] = &[0x55, 0x04, 0x08];
    pub(super) const ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];
    pub(super) const ORGANIZATIONAL_UNIT: &[u8] = &[0x55, 0x04, 0x0b];

    pub(super) const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    pub(super) const PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    pub(super) const SECP384R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// id-Ed25519 (RFC 8410 §3): the key and the signature algorithm.
    pub(super) const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    pub(super) const RSA_ENCRYPTION: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

    pub(super) const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    pub(super) const ECDSA_WITH_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
    pub(super) const ECDSA_WITH_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
    pub(super) const SHA256_WITH_RSA: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    pub(super) const SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];

    pub(super) const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
    pub(super) const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    pub(super) const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
    pub(super) const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    pub(super) const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
    pub(super) const CRL_DISTRIBUTION_POINTS: &[u8] = &[0x55, 0x1d, 0x1f];
    pub(super) const CERTIFICATE_POLICIES: &[u8] = &[0x55, 0x1d, 0x20];
    pub(super) const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    /// id-pe-authorityInfoAccess, 1.3.6.1.5.5.7.1.1.
    pub(super) const AUTHORITY_INFO_ACCESS: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 1, 1];
    /// id-ad-ocsp and id-ad-caIssuers, 1.3.6.1.5.5.7.48.{1,2}.
    pub(super) const AD_OCSP: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 1];
    pub(super) const AD_CA_ISSUERS: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 0x30, 2];
    /// id-kp-serverAuth and id-kp-clientAuth, 1.3.6.1.5.5.7.3.{1,2}.
    pub(super) const KP_SERVER_AUTH: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 3, 1];
    pub(super) const KP_CLIENT_AUTH: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 3, 2];
    /// id-qt-cps, 1.3.6.1.5.5.7.2.1.
    pub(super) const QT_CPS: &[u8] = &[0x2b, 6, 1, 5, 5, 7, 2, 1];
    /// anyPolicy, 2.5.29.32.0.
    pub(super) const ANY_POLICY: &[u8] = &[0x55, 0x1d, 0x20, 0];
}

/// The attribute types of a distinguished name that tlsim writes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributeType {
    /// `countryName` (2.5.4.6).
    Country,
    /// `stateOrProvinceName` (2.5.4.8).
    State,
    /// `localityName` (2.5.4.7).
    Locality,
    /// `organizationName` (2.5.4.10).
    Organization,
    /// `organizationalUnitName` (2.5.4.11).
    OrganizationalUnit,
    /// `commonName` (2.5.4.3).
    CommonName,
    /// Any other attribute, by its encoded OID.
    Other(Vec<u8>),
}

impl AttributeType {
    fn oid(&self) -> &[u8] {
        match self {
            AttributeType::Country => oid::COUNTRY,
            AttributeType::State => oid::STATE,
            AttributeType::Locality => oid::LOCALITY,
            AttributeType::Organization => oid::ORGANIZATION,
            AttributeType::OrganizationalUnit => oid::ORGANIZATIONAL_UNIT,
            AttributeType::CommonName => oid::COMMON_NAME,
            AttributeType::Other(encoded) => encoded,
        }
    }

    fn from_oid(encoded: &[u8]) -> Self {
        match encoded {
            oid::COUNTRY => AttributeType::Country,
            oid::STATE => AttributeType::State,
            oid::LOCALITY => AttributeType::Locality,
            oid::ORGANIZATION => AttributeType::Organization,
            oid::ORGANIZATIONAL_UNIT => AttributeType::OrganizationalUnit,
            oid::COMMON_NAME => AttributeType::CommonName,
            other => AttributeType::Other(other.to_vec()),
        }
    }

    /// The name Wireshark shows (`id-at-commonName`), or the dotted OID.
    pub fn wireshark_name(&self) -> String {
        match self {
            AttributeType::Country => "id-at-countryName".into(),
            AttributeType::State => "id-at-stateOrProvinceName".into(),
            AttributeType::Locality => "id-at-localityName".into(),
            AttributeType::Organization => "id-at-organizationName".into(),
            AttributeType::OrganizationalUnit => "id-at-organizationalUnitName".into(),
            AttributeType::CommonName => "id-at-commonName".into(),
            AttributeType::Other(encoded) => der::oid_to_string(encoded),
        }
    }
}

/// A distinguished name: attributes in DER order (most general first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DistinguishedName {
    /// `(type, value)` pairs, one per RDN, in the order they are encoded.
    pub attributes: Vec<(AttributeType, String)>,
}

impl DistinguishedName {
    /// A name with the given parts, each optional, encoded in the fixed
    /// order C, ST, L, O, OU, CN (so that it displays CN first).
    pub fn new(
        common_name: Option<&str>,
        organization: Option<&str>,
        organizational_unit: Option<&str>,
        locality: Option<&str>,
        state: Option<&str>,
        country: Option<&str>,
    ) -> Self {
        let parts = [
            (AttributeType::Country, country),
            (AttributeType::State, state),
            (AttributeType::Locality, locality),
            (AttributeType::Organization, organization),
            (AttributeType::OrganizationalUnit, organizational_unit),
            (AttributeType::CommonName, common_name),
        ];
        DistinguishedName {
            attributes: parts
                .into_iter()
                .filter_map(|(t, v)| v.map(|v| (t, v.to_owned())))
                .collect(),
        }
    }

    /// A name with only a common name, optionally with O and C.
    pub fn simple(common_name: &str, organization: Option<&str>, country: Option<&str>) -> Self {
        Self::new(Some(common_name), organization, None, None, None, country)
    }

    /// The first commonName, if any.
    pub fn common_name(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(t, _)| *t == AttributeType::CommonName)
            .map(|(_, v)| v.as_str())
    }

    /// Wireshark's rendering: most specific first,
    /// `id-at-commonName=www.google.com,id-at-organizationName=Google Inc,…`.
    pub fn to_wireshark_string(&self) -> String {
        self.attributes
            .iter()
            .rev()
            .map(|(t, v)| format!("{}={}", t.wireshark_name(), v))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The DER `Name` (RFC 5280 §4.1.2.4): one attribute per RDN.
    /// countryName is a PrintableString (X.520), the rest UTF8String.
    pub fn to_der(&self) -> Vec<u8> {
        let mut w = DerWriter::new();
        w.sequence(|w| {
            for (t, v) in &self.attributes {
                w.nested(der::SET, |w| {
                    w.sequence(|w| {
                        w.oid(t.oid());
                        let tag = if *t == AttributeType::Country {
                            der::PRINTABLE_STRING
                        } else {
                            der::UTF8_STRING
                        };
                        w.tlv(tag, v.as_bytes());
                    })
                });
            }
        });
        w.finish()
    }

    /// Reads a whole DER `Name` (RFC 5280 §4.1.2.4), as a
    /// CertificateRequest lists its certificate authorities (RFC 5246
    /// §7.4.4).
    ///
    /// # Errors
    /// [`CertError::BadEncoding`] if it is not one DER `Name`.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let mut outer = DerReader::new(der);
        let name = outer.read(der::SEQUENCE, "Name")?;
        outer.finish("bytes after Name")?;
        Self::parse(name.content)
    }

    fn parse(content: &[u8]) -> Result<Self, CertError> {
        const BAD: CertError = CertError::BadEncoding("Name");
        let mut rdns = DerReader::new(content);
        let mut attributes = Vec::new();
        while !rdns.is_empty() {
            let mut set = DerReader::new(rdns.read(der::SET, "Name RDN")?.content);
            while !set.is_empty() {
                let mut atv = set.sequence("Name attribute")?;
                let oid = atv.read(der::OID, "attribute type")?.content;
                let value = atv.read_any()?;
                atv.finish("attribute")?;
                let text = match value.tag {
                    der::UTF8_STRING | der::PRINTABLE_STRING | der::IA5_STRING => {
                        String::from_utf8(value.content.to_vec()).map_err(|_| BAD)?
                    }
                    // T61 and BMP strings are shown as Latin-1 / UCS-2.
                    der::TELETEX_STRING => value.content.iter().map(|&b| char::from(b)).collect(),
                    der::BMP_STRING => {
                        let units: Vec<u16> = value
                            .content
                            .chunks(2)
                            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                            .collect();
                        String::from_utf16_lossy(&units)
                    }
                    _ => return Err(BAD),
                };
                attributes.push((AttributeType::from_oid(oid), text));
            }
        }
        Ok(DistinguishedName { attributes })
    }
}

/// keyUsage bits (RFC 5280 §4.2.1.3); bit n of the BIT STRING is
/// `0x8000 >> n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KeyUsage(pub u16);

impl KeyUsage {
    /// `digitalSignature` (0).
    pub const DIGITAL_SIGNATURE: KeyUsage = KeyUsage(0x8000);
    /// `keyEncipherment` (2).
    pub const KEY_ENCIPHERMENT: KeyUsage = KeyUsage(0x2000);
    /// `keyAgreement` (4).
    pub const KEY_AGREEMENT: KeyUsage = KeyUsage(0x0800);
    /// `keyCertSign` (5).
    pub const KEY_CERT_SIGN: KeyUsage = KeyUsage(0x0400);
    /// `cRLSign` (6).
    pub const CRL_SIGN: KeyUsage = KeyUsage(0x0200);

    /// The usages of both.
    pub const fn union(self, other: KeyUsage) -> KeyUsage {
        KeyUsage(self.0 | other.0)
    }

    /// Whether every usage of `other` is present.
    pub const fn contains(self, other: KeyUsage) -> bool {
        self.0 & other.0 == other.0
    }

    /// The DER BIT STRING content: unused-bit count, then the bits with
    /// trailing zero bits dropped (X.690 §11.2.2).
    fn bit_string_content(self) -> Vec<u8> {
        let bytes = self.0.to_be_bytes();
        let used = if bytes[1] != 0 { 2 } else { 1 };
        let last = bytes[used - 1];
        let unused = if last == 0 {
            0
        } else {
            last.trailing_zeros() as u8
        };
        let mut out = vec![unused];
        out.extend_from_slice(&bytes[..used]);
        out
    }

    /// The RFC 5280 §4.2.1.3 names of the usages present, in bit order.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [&str; 9] = [
            "digitalSignature",
            "contentCommitment",
            "keyEncipherment",
            "dataEncipherment",
            "keyAgreement",
            "keyCertSign",
            "cRLSign",
            "encipherOnly",
            "decipherOnly",
        ];
        (NAMES.iter().enumerate())
            .filter(|&(bit, _)| self.0 & (0x8000 >> bit) != 0)
            .map(|(_, name)| *name)
            .collect()
    }

    /// Reads the DER BIT STRING content. X.690 §11.2.1: the unused bits
    /// are zero; §11.2.2: a named bit list ends at its last 1 bit, so the
    /// last used bit is set; RFC 5280 §4.2.1.3: at least one bit is set.
    fn from_bit_string(content: &[u8]) -> Result<Self, CertError> {
        match content {
            [unused, bits @ .., last]
                if *unused < 8 && bits.len() < 2 && last.trailing_zeros() == u32::from(*unused) =>
            {
                let mut word = [0u8; 2];
                word[..bits.len()].copy_from_slice(bits);
                word[bits.len()] = *last;
                Ok(KeyUsage(u16::from_be_bytes(word)))
            }
            _ => Err(CertError::BadEncoding("keyUsage")),
        }
    }
}

/// What a certificate's basicConstraints say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BasicConstraints {
    /// `cA`: the subject may issue certificates.
    pub ca: bool,
    /// `pathLenConstraint`: how many non-self-issued CA certificates may
    /// follow it down the chain.
    pub path_len: Option<u32>,
}

/// How a certificate is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertSignatureAlgorithm {
    /// `ecdsa-with-SHA256` (1.2.840.10045.4.3.2).
    EcdsaWithSha256,
    /// `ecdsa-with-SHA1` (1.2.840.10045.4.1).
    EcdsaWithSha1,
    /// `ecdsa-with-SHA384` (1.2.840.10045.4.3.3).
    EcdsaWithSha384,
    /// `id-Ed25519` (1.3.101.112, RFC 8410 §3).
    Ed25519,
    /// `sha256WithRSAEncryption` (1.2.840.113549.1.1.11).
    Sha256WithRsa,
    /// `sha1WithRSAEncryption` (1.2.840.113549.1.1.5).
    Sha1WithRsa,
}

impl CertSignatureAlgorithm {
    /// The TLS signature scheme with the same arithmetic.
    pub fn scheme(self) -> SignatureScheme {
        match self {
            CertSignatureAlgorithm::EcdsaWithSha256 => SignatureScheme::EcdsaSha256,
            CertSignatureAlgorithm::EcdsaWithSha1 => SignatureScheme::EcdsaSha1,
            CertSignatureAlgorithm::EcdsaWithSha384 => SignatureScheme::EcdsaSha384,
            CertSignatureAlgorithm::Ed25519 => SignatureScheme::Ed25519,
            CertSignatureAlgorithm::Sha256WithRsa => SignatureScheme::RsaPkcs1Sha256,
            CertSignatureAlgorithm::Sha1WithRsa => SignatureScheme::RsaPkcs1Sha1,
        }
    }

    /// The name Wireshark shows.
    pub fn name(self) -> &'static str {
        match self {
            CertSignatureAlgorithm::EcdsaWithSha256 => "ecdsa-with-SHA256",
            CertSignatureAlgorithm::EcdsaWithSha1 => "ecdsa-with-SHA1",
            CertSignatureAlgorithm::EcdsaWithSha384 => "ecdsa-with-SHA384",
            CertSignatureAlgorithm::Ed25519 => "id-Ed25519",
            CertSignatureAlgorithm::Sha256WithRsa => "sha256WithRSAEncryption",
            CertSignatureAlgorithm::Sha1WithRsa => "sha1WithRSAEncryption",
        }
    }

    /// The algorithm a key of `key_type` signs certificates with here.
    pub fn for_issuer(key_type: KeyType) -> Self {
        match key_type {
            KeyType::EcdsaP256 => CertSignatureAlgorithm::EcdsaWithSha256,
            KeyType::Rsa => CertSignatureAlgorithm::Sha256WithRsa,
            KeyType::EcdsaP384 => CertSignatureAlgorithm::EcdsaWithSha384,
            KeyType::Ed25519 => CertSignatureAlgorithm::Ed25519,
        }
    }

    fn oid(self) -> &'static [u8] {
        match self {
            CertSignatureAlgorithm::EcdsaWithSha256 => oid::ECDSA_WITH_SHA256,
            CertSignatureAlgorithm::EcdsaWithSha1 => oid::ECDSA_WITH_SHA1,
            CertSignatureAlgorithm::EcdsaWithSha384 => oid::ECDSA_WITH_SHA384,
            CertSignatureAlgorithm::Ed25519 => oid::ED25519,
            CertSignatureAlgorithm::Sha256WithRsa => oid::SHA256_WITH_RSA,
            CertSignatureAlgorithm::Sha1WithRsa => oid::SHA1_WITH_RSA,
        }
    }

    /// RFC 5758 §3.2: ECDSA identifiers have no parameters, nor has
    /// Ed25519 (RFC 8410 §3); RFC 4055 §5: RSA ones carry NULL.
    fn write(self, w: &mut DerWriter) {
        w.sequence(|w| {
            w.oid(self.oid());
            if matches!(
                self,
                CertSignatureAlgorithm::Sha256WithRsa | CertSignatureAlgorithm::Sha1WithRsa
            ) {
                w.null();
            }
        });
    }

    fn parse(reader: &mut DerReader<'_>) -> Result<Self, CertError> {
        let mut alg = reader.sequence("AlgorithmIdentifier")?;
        let oid = alg.read(der::OID, "algorithm OID")?.content;
        let found = match oid {
            oid::ECDSA_WITH_SHA256 => CertSignatureAlgorithm::EcdsaWithSha256,
            oid::ECDSA_WITH_SHA1 => CertSignatureAlgorithm::EcdsaWithSha1,
            oid::ECDSA_WITH_SHA384 => CertSignatureAlgorithm::EcdsaWithSha384,
            oid::ED25519 => CertSignatureAlgorithm::Ed25519,
            oid::SHA256_WITH_RSA => CertSignatureAlgorithm::Sha256WithRsa,
            oid::SHA1_WITH_RSA => CertSignatureAlgorithm::Sha1WithRsa,
            _ => return Err(CertError::UnsupportedAlgorithm),
        };
        alg.read_optional(der::NULL)?;
        alg.finish("AlgorithmIdentifier parameters")?;
        Ok(found)
    }
}

/// The DER `SubjectPublicKeyInfo` of `key` (RFC 5480 §2 for P-256 and
/// P-384, RFC 3279 §2.3.1 for RSA, RFC 8410 §4 for Ed25519).
pub fn subject_public_key_info(key: &PublicKey) -> Vec<u8> {
    let mut w = DerWriter::new();
    w.sequence(|w| {
        w.sequence(|w| match key.key_type() {
            KeyType::EcdsaP256 => {
                w.oid(oid::EC_PUBLIC_KEY);
                w.oid(oid::PRIME256V1);
            }
            KeyType::EcdsaP384 => {
                w.oid(oid::EC_PUBLIC_KEY);
                w.oid(oid::SECP384R1);
            }
            KeyType::Ed25519 => w.oid(oid::ED25519),
            KeyType::Rsa => {
                w.oid(oid::RSA_ENCRYPTION);
                w.null();
            }
        });
        w.bit_string(&key.subject_public_key_bytes());
    });
    w.finish()
}

/// RFC 5280 §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bits.
pub fn key_identifier(key: &PublicKey) -> [u8; 20] {
    Sha1::digest(key.subject_public_key_bytes()).into()
}

/// A GeneralName uniformResourceIdentifier: `[6] IMPLICIT IA5String`.
fn write_uri(w: &mut DerWriter, uri: &str) {
    w.tlv(der::context_primitive(6), uri.as_bytes());
}

/// Writes a validity time: UTCTime through 2049, GeneralizedTime from 2050
/// (RFC 5280 §4.1.2.5).
fn write_time(w: &mut DerWriter, unix_seconds: u64) {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if year < 2050 {
        let text = format!("{:02}{month:02}{day:02}{h:02}{m:02}{s:02}Z", year % 100);
        w.tlv(der::UTC_TIME, text.as_bytes());
    } else {
        let text = format!("{year:04}{month:02}{day:02}{h:02}{m:02}{s:02}Z");
        w.tlv(der::GENERALIZED_TIME, text.as_bytes());
    }
}

fn parse_time(reader: &mut DerReader<'_>) -> Result<u64, CertError> {
    const BAD: CertError = CertError::BadEncoding("validity time");
    let tlv = reader.read_any()?;
    let text = tlv.content;
    let (year, rest) = match (tlv.tag, text.len()) {
        (der::UTC_TIME, 13) => {
            let yy = two_digits(&text[..2])?;
            // RFC 5280 §4.1.2.5.1: YY ≥ 50 is 19YY, else 20YY.
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        (der::GENERALIZED_TIME, 15) => (
            two_digits(&text[..2])? * 100 + two_digits(&text[2..4])?,
            &text[4..],
        ),
        _ => return Err(BAD),
    };
    if rest[10] != b'Z' {
        return Err(BAD);
    }
    let month = two_digits(&rest[0..2])?;
    let day = two_digits(&rest[2..4])?;
    let (h, m, s) = (
        two_digits(&rest[4..6])?,
        two_digits(&rest[6..8])?,
        two_digits(&rest[8..10])?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 59 {
        return Err(BAD);
    }
    let days = days_from_civil(i64::from(year), month, day);
    if days < 0 {
        return Err(CertError::BadEncoding("validity before 1970"));
    }
    Ok(days as u64 * 86_400 + u64::from(h * 3600 + m * 60 + s))
}

fn two_digits(pair: &[u8]) -> Result<u32, CertError> {
    match pair {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Ok(u32::from(a - b'0') * 10 + u32::from(b - b'0')),
        _ => Err(CertError::BadEncoding("validity time digits")),
    }
}

/// An extendedKeyUsage purpose (RFC 5280 §4.2.1.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPurpose {
    /// id-kp-serverAuth: TLS server authentication.
    ServerAuth,
    /// id-kp-clientAuth: TLS client authentication.
    ClientAuth,
}

impl KeyPurpose {
    fn oid(self) -> &'static [u8] {
        match self {
            KeyPurpose::ServerAuth => oid::KP_SERVER_AUTH,
            KeyPurpose::ClientAuth => oid::KP_CLIENT_AUTH,
        }
    }
}

/// One certificatePolicies entry (RFC 5280 §4.2.1.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The policy OID, encoded (see [`super::der::oid_from_dotted`]).
    pub oid: Vec<u8>,
    /// A CPS pointer qualifier: where the practice statement is published.
    pub cps: Option<String>,
}

/// Where relying parties look for revocation status and for the issuer's
/// certificate; each list left empty leaves its extension out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateUrls {
    /// cRLDistributionPoints fullName URIs (RFC 5280 §4.2.1.13).
    pub crl: Vec<String>,
    /// authorityInfoAccess id-ad-ocsp URIs (RFC 5280 §4.2.2.1).
    pub ocsp: Vec<String>,
    /// authorityInfoAccess id-ad-caIssuers URIs (RFC 5280 §4.2.2.1).
    pub ca_issuers: Vec<String>,
}

/// Everything needed to generate one certificate.
#[derive(Clone, Debug)]
pub struct CertificateParams {
    /// The serial number, big-endian magnitude (RFC 5280 §4.1.2.2: at
    /// most 20 octets, positive).
    pub serial: Vec<u8>,
    /// Who the certificate is about.
    pub subject: DistinguishedName,
    /// Who signs it (equal to `subject` for a self-signed root).
    pub issuer: DistinguishedName,
    /// `notBefore`, seconds since the Unix epoch.
    pub not_before: u64,
    /// `notAfter`, seconds since the Unix epoch.
    pub not_after: u64,
    /// The subject's public key.
    pub subject_key: PublicKey,
    /// basicConstraints; `None` leaves the extension out.
    pub basic_constraints: Option<BasicConstraints>,
    /// keyUsage; `None` leaves the extension out.
    pub key_usage: Option<KeyUsage>,
    /// subjectAltName dNSName entries; empty leaves the extension out.
    pub dns_names: Vec<String>,
    /// Whether to add a subjectKeyIdentifier ([`key_identifier`]).
    pub subject_key_identifier: bool,
    /// The authorityKeyIdentifier keyIdentifier (the issuer's subject key
    /// identifier); `None` leaves the extension out.
    pub authority_key_identifier: Option<Vec<u8>>,
    /// extendedKeyUsage purposes; empty leaves the extension out.
    pub extended_key_usage: Vec<KeyPurpose>,
    /// Revocation and issuer locations.
    pub urls: CertificateUrls,
    /// certificatePolicies; empty leaves the extension out.
    pub policies: Vec<Policy>,
}

impl CertificateParams {
    /// Parameters for a CA certificate (basicConstraints cA with the given
    /// pathLen, keyUsage keyCertSign and cRLSign, key identifiers).
    pub fn ca(
        serial: u64,
        subject: DistinguishedName,
        issuer: DistinguishedName,
        validity: (u64, u64),
        subject_key: PublicKey,
        path_len: Option<u32>,
    ) -> Self {
        CertificateParams {
            serial: serial.to_be_bytes().to_vec(),
            subject,
            issuer,
            not_before: validity.0,
            not_after: validity.1,
            subject_key,
            basic_constraints: Some(BasicConstraints { ca: true, path_len }),
            key_usage: Some(KeyUsage::KEY_CERT_SIGN.union(KeyUsage::CRL_SIGN)),
            dns_names: Vec::new(),
            subject_key_identifier: true,
            authority_key_identifier: None,
            extended_key_usage: Vec::new(),
            urls: CertificateUrls::default(),
            policies: Vec::new(),
        }
    }

    /// Parameters for a server certificate: not a CA, keyUsage
    /// digitalSignature (and keyEncipherment for RSA), the given DNS names.
    pub fn server(
        serial: u64,
        subject: DistinguishedName,
        issuer: DistinguishedName,
        validity: (u64, u64),
        subject_key: PublicKey,
        dns_names: &[&str],
    ) -> Self {
        let usage = match subject_key.key_type() {
            KeyType::Rsa => KeyUsage::DIGITAL_SIGNATURE.union(KeyUsage::KEY_ENCIPHERMENT),
            KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::Ed25519 => {
                KeyUsage::DIGITAL_SIGNATURE
            }
        };
        CertificateParams {
            serial: serial.to_be_bytes().to_vec(),
            subject,
            issuer,
            not_before: validity.0,
            not_after: validity.1,
            subject_key,
            basic_constraints: Some(BasicConstraints::default()),
            key_usage: Some(usage),
            dns_names: dns_names.iter().map(|s| (*s).to_owned()).collect(),
            subject_key_identifier: true,
            authority_key_identifier: None,
            extended_key_usage: Vec::new(),
            urls: CertificateUrls::default(),
            policies: Vec::new(),
        }
    }

    /// Sets the authorityKeyIdentifier from the issuer's public key.
    #[must_use]
    pub fn issued_by_key(mut self, issuer_key: &PublicKey) -> Self {
        self.authority_key_identifier = Some(key_identifier(issuer_key).to_vec());
        self
    }

    /// The DER `TBSCertificate` signed with `algorithm`.
    pub fn tbs_der(&self, algorithm: CertSignatureAlgorithm) -> Vec<u8> {
        let mut w = DerWriter::new();
        w.sequence(|w| {
            // version [0] EXPLICIT v3(2)
            w.nested(der::context_constructed(0), |w| w.unsigned_integer(&[2]));
            w.unsigned_integer(&self.serial);
            algorithm.write(w);
            w.raw(&self.issuer.to_der());
            w.sequence(|w| {
                write_time(w, self.not_before);
                write_time(w, self.not_after);
            });
            w.raw(&self.subject.to_der());
            w.raw(&subject_public_key_info(&self.subject_key));
            let extensions = self.extensions_der();
            if !extensions.is_empty() {
                w.nested(der::context_constructed(3), |w| {
                    w.sequence(|w| w.raw(&extensions));
                });
            }
        });
        w.finish()
    }

    /// The concatenated `Extension` values, in a fixed order.
    fn extensions_der(&self) -> Vec<u8> {
        let mut w = DerWriter::new();
        let mut extension = |oid: &[u8], critical: bool, value: Vec<u8>| {
            w.sequence(|w| {
                w.oid(oid);
                if critical {
                    w.boolean(true);
                }
                w.octet_string(&value);
            });
        };
        if let Some(bc) = self.basic_constraints {
            let mut v = DerWriter::new();
            v.sequence(|v| {
                // DER omits a DEFAULT FALSE cA.
                if bc.ca {
                    v.boolean(true);
                }
                if let Some(n) = bc.path_len {
                    v.unsigned_integer(&n.to_be_bytes());
                }
            });
            // RFC 5280 §4.2.1.9: MUST be critical in CA certificates.
            extension(oid::BASIC_CONSTRAINTS, true, v.finish());
        }
        if let Some(usage) = self.key_usage {
            let mut v = DerWriter::new();
            v.tlv(der::BIT_STRING, &usage.bit_string_content());
            // RFC 5280 §4.2.1.3: SHOULD be critical.
            extension(oid::KEY_USAGE, true, v.finish());
        }
        if !self.dns_names.is_empty() {
            let mut v = DerWriter::new();
            v.sequence(|v| {
                for name in &self.dns_names {
                    // dNSName [2] IMPLICIT IA5String
                    v.tlv(der::context_primitive(2), name.as_bytes());
                }
            });
            extension(oid::SUBJECT_ALT_NAME, false, v.finish());
        }
        if self.subject_key_identifier {
            let mut v = DerWriter::new();
            v.octet_string(&key_identifier(&self.subject_key));
            extension(oid::SUBJECT_KEY_ID, false, v.finish());
        }
        if let Some(id) = &self.authority_key_identifier {
            let mut v = DerWriter::new();
            // keyIdentifier [0] IMPLICIT OCTET STRING
            v.sequence(|v| v.tlv(der::context_primitive(0), id));
            extension(oid::AUTHORITY_KEY_ID, false, v.finish());
        }
        if !self.extended_key_usage.is_empty() {
            let mut v = DerWriter::new();
            v.sequence(|v| {
                for purpose in &self.extended_key_usage {
                    v.oid(purpose.oid());
                }
            });
            extension(oid::EXT_KEY_USAGE, false, v.finish());
        }
        if !self.urls.crl.is_empty() {
            let mut v = DerWriter::new();
            v.sequence(|v| {
                for url in &self.urls.crl {
                    // DistributionPoint { distributionPoint [0] { fullName [0] { URI } } }
                    v.sequence(|v| {
                        v.nested(der::context_constructed(0), |v| {
                            v.nested(der::context_constructed(0), |v| write_uri(v, url));
                        });
                    });
                }
            });
            extension(oid::CRL_DISTRIBUTION_POINTS, false, v.finish());
        }
        let access = self.urls.ocsp.iter().map(|url| (oid::AD_OCSP, url));
        let access: Vec<_> = (self.urls.ca_issuers.iter())
            .map(|url| (oid::AD_CA_ISSUERS, url))
            .chain(access)
            .collect();
        if !access.is_empty() {
            let mut v = DerWriter::new();
            v.sequence(|v| {
                for (method, url) in access {
                    v.sequence(|v| {
                        v.oid(method);
                        write_uri(v, url);
                    });
                }
            });
            extension(oid::AUTHORITY_INFO_ACCESS, false, v.finish());
        }
        if !self.policies.is_empty() {
            let mut v = DerWriter::new();
            v.sequence(|v| {
                for policy in &self.policies {
                    v.sequence(|v| {
                        v.oid(&policy.oid);
                        if let Some(cps) = &policy.cps {
                            v.sequence(|v| {
                                v.sequence(|v| {
                                    v.oid(oid::QT_CPS);
                                    v.tlv(der::IA5_STRING, cps.as_bytes());
                                });
                            });
                        }
                    });
                }
            });
            extension(oid::CERTIFICATE_POLICIES, false, v.finish());
        }
        w.finish()
    }

    /// The signed certificate, DER. The signature algorithm follows the
    /// issuer key: ecdsa-with-SHA256, ecdsa-with-SHA384, Ed25519 or
    /// sha256WithRSAEncryption. `rng` is
    /// only used for RSA blinding; the output does not depend on it.
    pub fn sign<R: CryptoRng + ?Sized>(
        &self,
        issuer_key: &SigningKey,
        rng: &mut R,
    ) -> Result<Vec<u8>, CertError> {
        let algorithm = CertSignatureAlgorithm::for_issuer(issuer_key.key_type());
        let tbs = self.tbs_der(algorithm);
        let signature = issuer_key
            .sign(algorithm.scheme(), &tbs, rng)
            .map_err(|_| CertError::UnsupportedAlgorithm)?;
        let mut w = DerWriter::new();
        w.sequence(|w| {
            w.raw(&tbs);
            algorithm.write(w);
            w.bit_string(&signature);
        });
        Ok(w.finish())
    }
}

/// A parsed certificate: the fields validation and display need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The whole certificate, DER.
    pub der: Vec<u8>,
    /// The signed part, `TBSCertificate`, DER.
    pub tbs: Vec<u8>,
    /// The version field plus one (3 for v3).
    pub version: u8,
    /// The serial number's content octets.
    pub serial: Vec<u8>,
    /// The signature algorithm (outer, checked equal to the inner one).
    pub signature_algorithm: CertSignatureAlgorithm,
    /// The issuer.
    pub issuer: DistinguishedName,
    /// The issuer `Name`, DER, for exact chaining.
    pub issuer_der: Vec<u8>,
    /// `notBefore`, seconds since the Unix epoch.
    pub not_before: u64,
    /// `notAfter`, seconds since the Unix epoch.
    pub not_after: u64,
    /// The subject.
    pub subject: DistinguishedName,
    /// The subject `Name`, DER.
    pub subject_der: Vec<u8>,
    /// The `SubjectPublicKeyInfo`, DER.
    pub spki_der: Vec<u8>,
    /// The subject's public key.
    pub public_key: PublicKey,
    /// basicConstraints, if present.
    pub basic_constraints: Option<BasicConstraints>,
    /// keyUsage, if present.
    pub key_usage: Option<KeyUsage>,
    /// subjectAltName dNSName entries.
    pub dns_names: Vec<String>,
    /// subjectKeyIdentifier, if present.
    pub subject_key_id: Option<Vec<u8>>,
    /// authorityKeyIdentifier keyIdentifier, if present.
    pub authority_key_id: Option<Vec<u8>>,
    /// The signature bits.
    pub signature: Vec<u8>,
}

impl Certificate {
    /// Parses a DER certificate. Never panics; rejects trailing bytes.
    pub fn parse(der_bytes: &[u8]) -> Result<Self, CertError> {
        let mut outer = DerReader::new(der_bytes);
        let mut cert = outer.sequence("Certificate")?;
        outer.finish("bytes after Certificate")?;
        let tbs_tlv = cert.read(der::SEQUENCE, "TBSCertificate")?;
        let algorithm_tlv = cert.read(der::SEQUENCE, "signatureAlgorithm")?;
        let signature_algorithm =
            CertSignatureAlgorithm::parse(&mut DerReader::new(algorithm_tlv.whole))?;
        let signature = cert.bit_string_bytes("signatureValue")?.to_vec();
        cert.finish("Certificate fields")?;

        let mut tbs = DerReader::new(tbs_tlv.content);
        let version = match tbs.read_optional(der::context_constructed(0))? {
            Some(v) => {
                let mut v = DerReader::new(v.content);
                let n = v.small_unsigned("version")?;
                v.finish("version")?;
                match n {
                    0..=2 => n as u8 + 1,
                    _ => return Err(CertError::BadEncoding("version")),
                }
            }
            None => 1,
        };
        let serial = tbs.read(der::INTEGER, "serialNumber")?.content.to_vec();
        // RFC 5280 §4.1.1.2: signatureAlgorithm "MUST contain the same
        // algorithm identifier as the signature field in the sequence
        // tbsCertificate": the same bytes, parameters included.
        if tbs.read(der::SEQUENCE, "signature")?.whole != algorithm_tlv.whole {
            return Err(CertError::BadEncoding("signature algorithms differ"));
        }
        let issuer_tlv = tbs.read(der::SEQUENCE, "issuer")?;
        let mut validity = tbs.sequence("validity")?;
        let not_before = parse_time(&mut validity)?;
        let not_after = parse_time(&mut validity)?;
        validity.finish("validity")?;
        let subject_tlv = tbs.read(der::SEQUENCE, "subject")?;
        let spki_tlv = tbs.read(der::SEQUENCE, "subjectPublicKeyInfo")?;
        let public_key = parse_spki(spki_tlv.content)?;
        // issuerUniqueID [1] and subjectUniqueID [2] are skipped.
        tbs.read_optional(der::context_primitive(1))?;
        tbs.read_optional(der::context_primitive(2))?;
        let mut parsed = Certificate {
            der: der_bytes.to_vec(),
            tbs: tbs_tlv.whole.to_vec(),
            version,
            serial,
            signature_algorithm,
            issuer: DistinguishedName::parse(issuer_tlv.content)?,
            issuer_der: issuer_tlv.whole.to_vec(),
            not_before,
            not_after,
            subject: DistinguishedName::parse(subject_tlv.content)?,
            subject_der: subject_tlv.whole.to_vec(),
            spki_der: spki_tlv.whole.to_vec(),
            public_key,
            basic_constraints: None,
            key_usage: None,
            dns_names: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            signature,
        };
        if let Some(ext) = tbs.read_optional(der::context_constructed(3))? {
            let mut wrapper = DerReader::new(ext.content);
            let list = wrapper.sequence("extensions")?;
            wrapper.finish("extensions")?;
            parsed.parse_extensions(list)?;
        }
        tbs.finish("TBSCertificate fields")?;
        Ok(parsed)
    }

    fn parse_extensions(&mut self, mut list: DerReader<'_>) -> Result<(), CertError> {
        let mut seen: Vec<&[u8]> = Vec::new();
        while !list.is_empty() {
            let mut ext = list.sequence("Extension")?;
            let oid = ext.read(der::OID, "extnID")?.content;
            // RFC 5280 §4.2: "A certificate MUST NOT include more than one
            // instance of a particular extension."
            if seen.contains(&oid) {
                return Err(CertError::BadEncoding("duplicate extension"));
            }
            seen.push(oid);
            let critical = if ext.peek_tag() == Some(der::BOOLEAN) {
                ext.boolean("critical")?
            } else {
                false
            };
            let value = ext.read(der::OCTET_STRING, "extnValue")?.content;
            ext.finish("Extension")?;
            let mut v = DerReader::new(value);
            match oid {
                oid::BASIC_CONSTRAINTS => {
                    let mut bc = v.sequence("basicConstraints")?;
                    let ca = if bc.peek_tag() == Some(der::BOOLEAN) {
                        bc.boolean("cA")?
                    } else {
                        false
                    };
                    let path_len = if bc.is_empty() {
                        None
                    } else {
                        let n = bc.small_unsigned("pathLenConstraint")?;
                        Some(u32::try_from(n).map_err(|_| CertError::BadEncoding("pathLen"))?)
                    };
                    bc.finish("basicConstraints")?;
                    self.basic_constraints = Some(BasicConstraints { ca, path_len });
                }
                oid::KEY_USAGE => {
                    let bits = v.read(der::BIT_STRING, "keyUsage")?.content;
                    self.key_usage = Some(KeyUsage::from_bit_string(bits)?);
                }
                oid::SUBJECT_ALT_NAME => {
                    let mut names = v.sequence("subjectAltName")?;
                    while !names.is_empty() {
                        let name = names.read_any()?;
                        if name.tag == der::context_primitive(2) {
                            let text = core::str::from_utf8(name.content)
                                .map_err(|_| CertError::BadEncoding("dNSName"))?;
                            self.dns_names.push(text.to_owned());
                        }
                    }
                }
                oid::SUBJECT_KEY_ID => {
                    self.subject_key_id = Some(
                        v.read(der::OCTET_STRING, "subjectKeyIdentifier")?
                            .content
                            .to_vec(),
                    );
                }
                oid::AUTHORITY_KEY_ID => {
                    let mut aki = v.sequence("authorityKeyIdentifier")?;
                    if let Some(id) = aki.read_optional(der::context_primitive(0))? {
                        self.authority_key_id = Some(id.content.to_vec());
                    }
                    continue;
                }
                // RFC 5280 §4.2: reject an unrecognised critical extension.
                _ if critical => return Err(CertError::UnsupportedCriticalExtension),
                _ => continue,
            }
            v.finish("extension value")?;
        }
        Ok(())
    }

    /// Whether the subject may sign certificates: basicConstraints cA and,
    /// if keyUsage is present, keyCertSign (RFC 5280 §4.2.1.3, §4.2.1.9).
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|bc| bc.ca)
            && self
                .key_usage
                .is_none_or(|ku| ku.contains(KeyUsage::KEY_CERT_SIGN))
    }

    /// Whether issuer and subject are the same name.
    pub fn is_self_issued(&self) -> bool {
        self.issuer_der == self.subject_der
    }
}

fn parse_spki(content: &[u8]) -> Result<PublicKey, CertError> {
    let mut spki = DerReader::new(content);
    let mut alg = spki.sequence("SPKI algorithm")?;
    let key_oid = alg.read(der::OID, "SPKI algorithm OID")?.content;
    let key_bits = spki.bit_string_bytes("subjectPublicKey")?;
    spki.finish("SubjectPublicKeyInfo")?;
    match key_oid {
        oid::EC_PUBLIC_KEY => {
            let curve = alg.read(der::OID, "named curve")?.content;
            alg.finish("EC parameters")?;
            let point = match curve {
                oid::PRIME256V1 => PublicKey::p256_from_sec1(key_bits),
                oid::SECP384R1 => PublicKey::p384_from_sec1(key_bits),
                _ => return Err(CertError::UnsupportedAlgorithm),
            };
            point.map_err(|_| CertError::BadEncoding("EC point"))
        }
        oid::ED25519 => {
            // RFC 8410 §3: "the parameters MUST be absent".
            alg.finish("Ed25519 parameters")?;
            PublicKey::ed25519_from_bytes(key_bits)
                .map_err(|_| CertError::BadEncoding("Ed25519 public key"))
        }
        oid::RSA_ENCRYPTION => {
            alg.read_optional(der::NULL)?;
            alg.finish("RSA parameters")?;
            PublicKey::rsa_from_pkcs1_der(key_bits)
                .map_err(|_| CertError::BadEncoding("RSAPublicKey"))
        }
        _ => Err(CertError::UnsupportedAlgorithm),
    }
}

mod outline;

pub use outline::{OutlineField, outline};

#[cfg(test)]
mod tests;
