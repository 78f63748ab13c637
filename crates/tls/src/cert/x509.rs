//! X.509 v3 certificates: names, validity, generation and parsing.
//!
//! Read first: RFC 5280 §4.1 (Certificate, TBSCertificate), §4.1.2.4
//! (Name), §4.1.2.5 (UTCTime until 2049, GeneralizedTime after),
//! §4.2.1.1–3, 6, 9 (authority/subject key identifiers, keyUsage,
//! subjectAltName, basicConstraints).
//!
//! Parsing decodes with `x509-cert`, then checks and keeps what validation
//! and display need. Generation encodes `x509-cert`'s and `spki`'s types
//! with `der`, and is deterministic: the same parameters and issuer key
//! give the same DER, byte for byte (ECDSA signatures follow RFC 6979; RSA
//! PKCS#1 v1.5 signatures are deterministic by construction).

use core::time::Duration;

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc4519, rfc5280, rfc5912, rfc8410};
use der::asn1::{Any, AnyRef, BitString, GeneralizedTime, Ia5String, OctetString, UtcTime};
use der::{DateTime, Decode, Encode, Header, Reader, Sequence, SliceReader, Tag, Tagged};
use rand_core::CryptoRng;
use sha1::{Digest, Sha1};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::certpolicy::{PolicyInformation, PolicyQualifierInfo};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AccessDescription, AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, CertificatePolicies,
    CrlDistributionPoints, ExtendedKeyUsage, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::{RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::{CertError, der_error};
use crate::crypto::sign::{KeyType, PublicKey, SignatureScheme, SigningKey};

/// ecdsa-with-SHA1 (RFC 3279 §2.2.3), which const-oid's database lacks.
const ECDSA_WITH_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");

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
    /// Any other attribute, by its OID.
    Other(ObjectIdentifier),
}

impl AttributeType {
    const NAMED: [AttributeType; 6] = [
        AttributeType::Country,
        AttributeType::State,
        AttributeType::Locality,
        AttributeType::Organization,
        AttributeType::OrganizationalUnit,
        AttributeType::CommonName,
    ];

    fn oid(&self) -> ObjectIdentifier {
        match self {
            AttributeType::Country => rfc4519::C,
            AttributeType::State => rfc4519::ST,
            AttributeType::Locality => rfc4519::L,
            AttributeType::Organization => rfc4519::O,
            AttributeType::OrganizationalUnit => rfc4519::OU,
            AttributeType::CommonName => rfc4519::CN,
            AttributeType::Other(oid) => *oid,
        }
    }

    fn from_oid(oid: ObjectIdentifier) -> Self {
        (Self::NAMED.into_iter())
            .find(|named| named.oid() == oid)
            .unwrap_or(AttributeType::Other(oid))
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
            AttributeType::Other(oid) => oid.to_string(),
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

    /// The `Name` (RFC 5280 §4.1.2.4): one attribute per RDN.
    /// countryName is a PrintableString (X.520), the rest UTF8String.
    fn rdn_sequence(&self) -> Result<RdnSequence, der::Error> {
        let mut rdns = RdnSequence::default();
        for (t, v) in &self.attributes {
            let tag = if *t == AttributeType::Country {
                Tag::PrintableString
            } else {
                Tag::Utf8String
            };
            let value = Any::new(tag, v.as_bytes())?;
            let attribute = AttributeTypeAndValue {
                oid: t.oid(),
                value,
            };
            rdns.push(RelativeDistinguishedName::try_from(vec![attribute])?);
        }
        Ok(rdns)
    }

    /// The DER `Name` (RFC 5280 §4.1.2.4).
    pub fn to_der(&self) -> Vec<u8> {
        (self.rdn_sequence().and_then(|name| name.to_der()))
            .expect("only a value past DER's 256 MiB length limit fails to encode")
    }

    /// Reads a whole DER `Name` (RFC 5280 §4.1.2.4), as a
    /// CertificateRequest lists its certificate authorities (RFC 5246
    /// §7.4.4).
    ///
    /// # Errors
    /// [`CertError::BadEncoding`] if it is not one DER `Name`.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        Self::from_rdn_sequence(&RdnSequence::from_der(der).map_err(der_error)?)
    }

    fn from_rdn_sequence(rdns: &RdnSequence) -> Result<Self, CertError> {
        let attributes = (rdns.iter().flat_map(|rdn| rdn.iter()))
            .map(|atv| {
                Ok((
                    AttributeType::from_oid(atv.oid),
                    attribute_text(&atv.value)?,
                ))
            })
            .collect::<Result<_, CertError>>()?;
        Ok(DistinguishedName { attributes })
    }
}

/// An attribute value as text. Hand-written: x509-cert's DirectoryString
/// has no IA5String, which older names use, and no lossy T61 and BMP reading.
fn attribute_text(value: &Any) -> Result<String, CertError> {
    const BAD: CertError = CertError::BadEncoding("Name");
    let content = value.value();
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
            String::from_utf8(content.to_vec()).map_err(|_| BAD)
        }
        // T61 and BMP strings are shown as Latin-1 / UCS-2.
        Tag::TeletexString => Ok(content.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            Ok(String::from_utf16_lossy(&units))
        }
        _ => Err(BAD),
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

    /// The extension value: a DER BIT STRING.
    fn to_bit_string(self) -> Result<BitString, der::Error> {
        let content = self.bit_string_content();
        BitString::new(content[0], &content[1..])
    }

    /// Reads the extension value, a BIT STRING, by [`Self::from_bit_string`]'s rules.
    fn from_der(value: &[u8]) -> Result<Self, CertError> {
        let bits = BitString::from_der(value).map_err(|_| CertError::BadEncoding("keyUsage"))?;
        Self::from_bit_string(&[&[bits.unused_bits()][..], bits.raw_bytes()].concat())
    }

    /// Reads the DER BIT STRING content. X.690 §11.2.1: the unused bits
    /// are zero; §11.2.2: a named bit list ends at its last 1 bit, so the
    /// last used bit is set; RFC 5280 §4.2.1.3: at least one bit is set.
    /// Hand-written: x509-cert's KeyUsage accepts what these rules forbid.
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

    fn oid(self) -> ObjectIdentifier {
        match self {
            CertSignatureAlgorithm::EcdsaWithSha256 => rfc5912::ECDSA_WITH_SHA_256,
            CertSignatureAlgorithm::EcdsaWithSha1 => ECDSA_WITH_SHA1,
            CertSignatureAlgorithm::EcdsaWithSha384 => rfc5912::ECDSA_WITH_SHA_384,
            CertSignatureAlgorithm::Ed25519 => rfc8410::ID_ED_25519,
            CertSignatureAlgorithm::Sha256WithRsa => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            CertSignatureAlgorithm::Sha1WithRsa => rfc5912::SHA_1_WITH_RSA_ENCRYPTION,
        }
    }

    /// RFC 5758 §3.2: ECDSA identifiers have no parameters, nor has
    /// Ed25519 (RFC 8410 §3); RFC 4055 §5: RSA ones carry NULL.
    fn identifier(self) -> AlgorithmIdentifierOwned {
        let rsa = matches!(
            self,
            CertSignatureAlgorithm::Sha256WithRsa | CertSignatureAlgorithm::Sha1WithRsa
        );
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: rsa.then(Any::null),
        }
    }

    /// The algorithm `identifier` names; its parameters absent or NULL.
    fn from_identifier(identifier: &AlgorithmIdentifierOwned) -> Result<Self, CertError> {
        const KNOWN: [CertSignatureAlgorithm; 6] = [
            CertSignatureAlgorithm::EcdsaWithSha256,
            CertSignatureAlgorithm::EcdsaWithSha1,
            CertSignatureAlgorithm::EcdsaWithSha384,
            CertSignatureAlgorithm::Ed25519,
            CertSignatureAlgorithm::Sha256WithRsa,
            CertSignatureAlgorithm::Sha1WithRsa,
        ];
        let found = (KNOWN.into_iter())
            .find(|known| known.oid() == identifier.oid)
            .ok_or(CertError::UnsupportedAlgorithm)?;
        if identifier.parameters.as_ref().is_some_and(|p| !p.is_null()) {
            return Err(CertError::BadEncoding("AlgorithmIdentifier parameters"));
        }
        Ok(found)
    }
}

/// The `SubjectPublicKeyInfo` of `key` (RFC 5480 §2 for P-256 and
/// P-384, RFC 3279 §2.3.1 for RSA, RFC 8410 §4 for Ed25519).
fn subject_public_key_info(key: &PublicKey) -> Result<SubjectPublicKeyInfoOwned, der::Error> {
    let (oid, parameters) = match key.key_type() {
        KeyType::EcdsaP256 => (
            rfc5912::ID_EC_PUBLIC_KEY,
            Some(Any::encode_from(&rfc5912::SECP_256_R_1)?),
        ),
        KeyType::EcdsaP384 => (
            rfc5912::ID_EC_PUBLIC_KEY,
            Some(Any::encode_from(&rfc5912::SECP_384_R_1)?),
        ),
        KeyType::Ed25519 => (rfc8410::ID_ED_25519, None),
        KeyType::Rsa => (rfc5912::RSA_ENCRYPTION, Some(Any::null())),
    };
    Ok(SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned { oid, parameters },
        subject_public_key: BitString::from_bytes(&key.subject_public_key_bytes())?,
    })
}

/// The public key `spki` holds, if it is one this crate implements.
fn public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey, CertError> {
    let key_bits =
        (spki.subject_public_key.as_bytes()).ok_or(CertError::BadEncoding("subjectPublicKey"))?;
    let parameters = spki.algorithm.parameters.as_ref();
    match spki.algorithm.oid {
        rfc5912::ID_EC_PUBLIC_KEY => {
            let curve: ObjectIdentifier = (parameters.map(|p| p.decode_as()))
                .and_then(Result::ok)
                .ok_or(CertError::BadEncoding("named curve"))?;
            let point = match curve {
                rfc5912::SECP_256_R_1 => PublicKey::p256_from_sec1(key_bits),
                rfc5912::SECP_384_R_1 => PublicKey::p384_from_sec1(key_bits),
                _ => return Err(CertError::UnsupportedAlgorithm),
            };
            point.map_err(|_| CertError::BadEncoding("EC point"))
        }
        rfc8410::ID_ED_25519 => {
            // RFC 8410 §3: "the parameters MUST be absent".
            if parameters.is_some() {
                return Err(CertError::BadEncoding("Ed25519 parameters"));
            }
            PublicKey::ed25519_from_bytes(key_bits)
                .map_err(|_| CertError::BadEncoding("Ed25519 public key"))
        }
        rfc5912::RSA_ENCRYPTION => {
            if parameters.is_some_and(|p| !p.is_null()) {
                return Err(CertError::BadEncoding("RSA parameters"));
            }
            PublicKey::rsa_from_pkcs1_der(key_bits)
                .map_err(|_| CertError::BadEncoding("RSAPublicKey"))
        }
        _ => Err(CertError::UnsupportedAlgorithm),
    }
}

/// RFC 5280 §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey bits.
pub fn key_identifier(key: &PublicKey) -> [u8; 20] {
    Sha1::digest(key.subject_public_key_bytes()).into()
}

/// A validity time: UTCTime through 2049, GeneralizedTime from 2050
/// (RFC 5280 §4.1.2.5).
fn validity_time(unix_seconds: u64) -> Result<Time, der::Error> {
    let at = DateTime::from_unix_duration(Duration::from_secs(unix_seconds))?;
    Ok(if at.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(at)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(at))
    })
}

/// A validity time in seconds since the Unix epoch.
fn unix_seconds(time: Time) -> u64 {
    time.to_unix_duration().as_secs()
}

/// A GeneralName uniformResourceIdentifier.
fn uri(text: &str) -> Result<GeneralName, der::Error> {
    Ok(GeneralName::UniformResourceIdentifier(Ia5String::new(
        text,
    )?))
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
    fn oid(self) -> ObjectIdentifier {
        match self {
            KeyPurpose::ServerAuth => rfc5280::ID_KP_SERVER_AUTH,
            KeyPurpose::ClientAuth => rfc5280::ID_KP_CLIENT_AUTH,
        }
    }
}

/// One certificatePolicies entry (RFC 5280 §4.2.1.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The policy OID.
    pub oid: ObjectIdentifier,
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
    ///
    /// # Errors
    /// [`CertError::BadEncoding`] for a value DER cannot carry: a dNSName
    /// or URI that is not ASCII, a time past 9999, a pathLenConstraint
    /// above 255 (x509-cert's bound), a serial number longer than 20 octets.
    pub fn tbs_der(&self, algorithm: CertSignatureAlgorithm) -> Result<Vec<u8>, CertError> {
        let extensions = self.extensions()?;
        let tbs = TbsCertificateOut {
            version: x509_cert::Version::V3,
            serial_number: SerialNumber::new(&self.serial).map_err(der_error)?,
            signature: algorithm.identifier(),
            issuer: self.issuer.rdn_sequence().map_err(der_error)?,
            validity: Validity::new(
                validity_time(self.not_before).map_err(der_error)?,
                validity_time(self.not_after).map_err(der_error)?,
            ),
            subject: self.subject.rdn_sequence().map_err(der_error)?,
            subject_public_key_info: subject_public_key_info(&self.subject_key)
                .map_err(der_error)?,
            extensions: (!extensions.is_empty()).then_some(extensions),
        };
        tbs.to_der().map_err(der_error)
    }

    /// The extensions, in a fixed order.
    fn extensions(&self) -> Result<Vec<Extension>, CertError> {
        let mut out = Vec::new();
        if let Some(bc) = self.basic_constraints {
            let path_len = (bc.path_len.map(u8::try_from).transpose())
                .map_err(|_| CertError::BadEncoding("pathLenConstraint above 255"))?;
            let value = x509_cert::ext::pkix::BasicConstraints {
                ca: bc.ca,
                path_len_constraint: path_len,
            };
            // RFC 5280 §4.2.1.9: MUST be critical in CA certificates.
            out.push(extension(rfc5280::ID_CE_BASIC_CONSTRAINTS, true, &value)?);
        }
        if let Some(usage) = self.key_usage {
            let value = usage.to_bit_string().map_err(der_error)?;
            // RFC 5280 §4.2.1.3: SHOULD be critical.
            out.push(extension(rfc5280::ID_CE_KEY_USAGE, true, &value)?);
        }
        if !self.dns_names.is_empty() {
            let names = (self.dns_names.iter())
                .map(|name| Ia5String::new(name).map(GeneralName::DnsName))
                .collect::<Result<_, _>>()
                .map_err(|_| CertError::BadEncoding("dNSName"))?;
            let value = SubjectAltName(names);
            out.push(extension(rfc5280::ID_CE_SUBJECT_ALT_NAME, false, &value)?);
        }
        if self.subject_key_identifier {
            let id = key_identifier(&self.subject_key).to_vec();
            let value = SubjectKeyIdentifier(OctetString::new(id).map_err(der_error)?);
            out.push(extension(
                rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
                false,
                &value,
            )?);
        }
        if let Some(id) = &self.authority_key_identifier {
            let value = AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(id.clone()).map_err(der_error)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            };
            out.push(extension(
                rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
                false,
                &value,
            )?);
        }
        if !self.extended_key_usage.is_empty() {
            let value = ExtendedKeyUsage(self.extended_key_usage.iter().map(|p| p.oid()).collect());
            out.push(extension(rfc5280::ID_CE_EXT_KEY_USAGE, false, &value)?);
        }
        if !self.urls.crl.is_empty() {
            let points = (self.urls.crl.iter())
                .map(|url| {
                    Ok(DistributionPoint {
                        distribution_point: Some(DistributionPointName::FullName(vec![uri(url)?])),
                        reasons: None,
                        crl_issuer: None,
                    })
                })
                .collect::<Result<_, der::Error>>()
                .map_err(der_error)?;
            let value = CrlDistributionPoints(points);
            out.push(extension(
                rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS,
                false,
                &value,
            )?);
        }
        let access = self.urls.ocsp.iter().map(|url| (rfc5280::ID_AD_OCSP, url));
        let access: Vec<_> = (self.urls.ca_issuers.iter())
            .map(|url| (rfc5280::ID_AD_CA_ISSUERS, url))
            .chain(access)
            .map(|(access_method, url)| {
                Ok(AccessDescription {
                    access_method,
                    access_location: uri(url)?,
                })
            })
            .collect::<Result<_, der::Error>>()
            .map_err(der_error)?;
        if !access.is_empty() {
            let value = AuthorityInfoAccessSyntax(access);
            out.push(extension(
                rfc5280::ID_PE_AUTHORITY_INFO_ACCESS,
                false,
                &value,
            )?);
        }
        if !self.policies.is_empty() {
            let policies = (self.policies.iter())
                .map(|policy| {
                    let cps = (policy.cps.as_ref())
                        .map(|cps| {
                            Ok::<_, der::Error>(vec![PolicyQualifierInfo {
                                policy_qualifier_id: rfc5280::ID_QT_CPS,
                                qualifier: Some(Any::new(Tag::Ia5String, cps.as_bytes())?),
                            }])
                        })
                        .transpose()?;
                    Ok(PolicyInformation {
                        policy_identifier: policy.oid,
                        policy_qualifiers: cps,
                    })
                })
                .collect::<Result<_, der::Error>>()
                .map_err(der_error)?;
            let value = CertificatePolicies(policies);
            out.push(extension(
                rfc5280::ID_CE_CERTIFICATE_POLICIES,
                false,
                &value,
            )?);
        }
        Ok(out)
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
        let tbs = self.tbs_der(algorithm)?;
        let signature = issuer_key
            .sign(algorithm.scheme(), &tbs, rng)
            .map_err(|_| CertError::UnsupportedAlgorithm)?;
        let certificate = CertificateOut {
            tbs_certificate: AnyRef::try_from(tbs.as_slice()).map_err(der_error)?,
            signature_algorithm: algorithm.identifier(),
            signature: BitString::from_bytes(&signature).map_err(der_error)?,
        };
        certificate.to_der().map_err(der_error)
    }
}

/// One `Extension` whose extnValue is the DER of `value`.
fn extension(
    extn_id: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, CertError> {
    let der = value.to_der().map_err(der_error)?;
    Ok(Extension {
        extn_id,
        critical,
        extn_value: OctetString::new(der).map_err(der_error)?,
    })
}

/// `TBSCertificate` (RFC 5280 §4.1) as tlsim writes it: always v3.
/// Declared here because x509-cert builds one only through its signer.
#[derive(Sequence)]
struct TbsCertificateOut {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: x509_cert::Version,
    serial_number: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: RdnSequence,
    validity: Validity,
    subject: RdnSequence,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

/// `Certificate` (RFC 5280 §4.1) around a `TBSCertificate` already encoded.
#[derive(Sequence)]
struct CertificateOut<'a> {
    tbs_certificate: AnyRef<'a>,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
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
        let cert = x509_cert::Certificate::from_der(der_bytes).map_err(der_error)?;
        let tbs = cert.tbs_certificate();
        // RFC 5280 §4.1.1.2: signatureAlgorithm "MUST contain the same
        // algorithm identifier as the signature field in the sequence
        // tbsCertificate": the same bytes, parameters included.
        if cert.signature_algorithm() != tbs.signature() {
            return Err(CertError::BadEncoding("signature algorithms differ"));
        }
        let signature =
            (cert.signature().as_bytes()).ok_or(CertError::BadEncoding("signatureValue"))?;
        let spki = tbs.subject_public_key_info();
        let signed = signed_part(der_bytes)?;
        let encodings = TbsEncodings::of(signed)?;
        let mut parsed = Certificate {
            der: der_bytes.to_vec(),
            tbs: signed.to_vec(),
            version: tbs.version() as u8 + 1,
            serial: tbs.serial_number().as_bytes().to_vec(),
            signature_algorithm: CertSignatureAlgorithm::from_identifier(tbs.signature())?,
            issuer: DistinguishedName::from_rdn_sequence(tbs.issuer().as_ref())?,
            issuer_der: encodings.issuer.to_vec(),
            not_before: unix_seconds(tbs.validity().not_before),
            not_after: unix_seconds(tbs.validity().not_after),
            subject: DistinguishedName::from_rdn_sequence(tbs.subject().as_ref())?,
            subject_der: encodings.subject.to_vec(),
            spki_der: encodings.spki.to_vec(),
            public_key: public_key(spki)?,
            basic_constraints: None,
            key_usage: None,
            dns_names: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            signature: signature.to_vec(),
        };
        parsed.read_extensions(tbs.extensions().map_or(&[], Vec::as_slice))?;
        Ok(parsed)
    }

    fn read_extensions(&mut self, extensions: &[Extension]) -> Result<(), CertError> {
        for (index, ext) in extensions.iter().enumerate() {
            let id = ext.extn_id;
            // RFC 5280 §4.2: "A certificate MUST NOT include more than one
            // instance of a particular extension."
            if extensions[..index].iter().any(|e| e.extn_id == id) {
                return Err(CertError::BadEncoding("duplicate extension"));
            }
            let value = ext.extn_value.as_bytes();
            match id {
                rfc5280::ID_CE_BASIC_CONSTRAINTS => {
                    let bc: x509_cert::ext::pkix::BasicConstraints =
                        extension_value(value, "basicConstraints")?;
                    self.basic_constraints = Some(BasicConstraints {
                        ca: bc.ca,
                        path_len: bc.path_len_constraint.map(u32::from),
                    });
                }
                rfc5280::ID_CE_KEY_USAGE => self.key_usage = Some(KeyUsage::from_der(value)?),
                rfc5280::ID_CE_SUBJECT_ALT_NAME => {
                    let names: SubjectAltName = extension_value(value, "subjectAltName")?;
                    self.dns_names = (names.0.iter())
                        .filter_map(|name| match name {
                            GeneralName::DnsName(dns) => Some(dns.to_string()),
                            _ => None,
                        })
                        .collect();
                }
                rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER => {
                    let id: SubjectKeyIdentifier = extension_value(value, "subjectKeyIdentifier")?;
                    self.subject_key_id = Some(id.0.as_bytes().to_vec());
                }
                rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER => {
                    let id: AuthorityKeyIdentifier =
                        extension_value(value, "authorityKeyIdentifier")?;
                    self.authority_key_id = id.key_identifier.map(|id| id.as_bytes().to_vec());
                }
                // RFC 5280 §4.2: reject an unrecognised critical extension.
                _ if ext.critical => return Err(CertError::UnsupportedCriticalExtension),
                _ => {}
            }
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

/// An extension's value decoded as `T`; `what` names it in the error.
fn extension_value<'a, T: Decode<'a, Error = der::Error>>(
    value: &'a [u8],
    what: &'static str,
) -> Result<T, CertError> {
    T::from_der(value).map_err(|_| CertError::BadEncoding(what))
}

/// The `TBSCertificate` as it was signed. x509-cert keeps only the decoded
/// fields; the signature covers these exact bytes.
fn signed_part(der: &[u8]) -> Result<&[u8], CertError> {
    let mut reader = SliceReader::new(der).map_err(der_error)?;
    Header::decode(&mut reader).map_err(der_error)?;
    reader.tlv_bytes().map_err(der_error)
}

/// The issuer, subject and subjectPublicKeyInfo as they stand in a
/// TBSCertificate (RFC 5280 §4.1: version, serialNumber, signature,
/// issuer, validity, subject, subjectPublicKeyInfo, …). A DER value has one
/// encoding, so these are the bytes its decoded fields encode to again.
struct TbsEncodings<'a> {
    issuer: &'a [u8],
    subject: &'a [u8],
    spki: &'a [u8],
}

impl<'a> TbsEncodings<'a> {
    fn of(tbs: &'a [u8]) -> Result<Self, CertError> {
        let mut outer = SliceReader::new(tbs).map_err(der_error)?;
        let header = Header::decode(&mut outer).map_err(der_error)?;
        let body = outer.read_slice(header.length()).map_err(der_error)?;
        let mut fields = SliceReader::new(body).map_err(der_error)?;
        // version is [0] EXPLICIT, DEFAULT v1: absent in a v1 certificate.
        let version_tag = Tag::ContextSpecific {
            constructed: true,
            number: der::TagNumber(0),
        };
        if Tag::peek(&fields).map_err(der_error)? == version_tag {
            fields.tlv_bytes().map_err(der_error)?;
        }
        let mut next = || fields.tlv_bytes().map_err(der_error);
        next()?; // serialNumber
        next()?; // signature
        let issuer = next()?;
        next()?; // validity
        let subject = next()?;
        let spki = next()?;
        Ok(TbsEncodings {
            issuer,
            subject,
            spki,
        })
    }
}

mod outline;

pub use outline::{OutlineField, outline};

#[cfg(test)]
mod tests;
