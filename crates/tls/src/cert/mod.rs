//! X.509 certificates: deterministic generation, parsing for validation
//! and display, and chain validation against the simulated clock.
//!
//! Read first: RFC 5280 §4.1 (the certificate structure), §4.2.1 (the
//! extensions used here), §6.1 (path validation, of which [`verify`]
//! implements the subset below); RFC 6125 §6.4 (matching the server name);
//! X.690 §8 and §10 (BER and DER).
//!
//! DER, OIDs, public keys and certificates come from RustCrypto's `der`,
//! `const-oid`, `spki` and `x509-cert`; what is written here is what
//! tlsim shows and checks.
//!
//! - [`x509`]: names, validity, generation ([`x509::CertificateParams`])
//!   and parsing ([`x509::Certificate`]).
//! - [`verify`]: chain validation and the signature verification cache.

pub mod verify;
pub mod x509;

use core::fmt;

pub use const_oid::ObjectIdentifier;

pub use verify::{
    ChainReport, TrustAnchors, VerificationCache, leaf_matches_host, parse_chain, verify_chain,
};
pub use x509::{
    Certificate, CertificateParams, CertificateUrls, DistinguishedName, KeyPurpose, KeyUsage,
    OutlineField, Policy, outline,
};

/// Why a certificate or chain was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertError {
    /// A certificate's signature does not verify with its issuer's key
    /// → `bad_certificate` (or `decrypt_error`).
    BadSignature,
    /// The time is after `notAfter` → `certificate_expired`.
    Expired,
    /// The time is before `notBefore` → `certificate_expired`.
    NotYetValid,
    /// No certificate in the chain or trust anchor is named as the issuer
    /// → `unknown_ca`.
    UnknownIssuer,
    /// The DER is malformed; says where → `bad_certificate` / `decode_error`.
    BadEncoding(&'static str),
    /// An issuing certificate is not a CA (basicConstraints cA false or
    /// absent, or keyUsage without keyCertSign) → `bad_certificate`.
    NotCa,
    /// More CA certificates below an issuer than its pathLenConstraint
    /// allows → `bad_certificate`.
    PathLenExceeded,
    /// The leaf's dNSName entries do not match the server name
    /// → `bad_certificate`.
    NameMismatch,
    /// A key or signature algorithm this crate does not implement
    /// → `unsupported_certificate`.
    UnsupportedAlgorithm,
    /// A critical extension this crate does not understand (RFC 5280
    /// §4.2) → `unsupported_certificate`.
    UnsupportedCriticalExtension,
    /// The chain is empty → `certificate_required` / `decode_error`.
    EmptyChain,
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertError::BadSignature => f.write_str("certificate signature does not verify"),
            CertError::Expired => f.write_str("certificate expired"),
            CertError::NotYetValid => f.write_str("certificate not yet valid"),
            CertError::UnknownIssuer => f.write_str("unknown certificate issuer"),
            CertError::BadEncoding(what) => write!(f, "bad certificate encoding: {what}"),
            CertError::NotCa => f.write_str("issuer is not a certificate authority"),
            CertError::PathLenExceeded => f.write_str("path length constraint exceeded"),
            CertError::NameMismatch => f.write_str("certificate does not match the server name"),
            CertError::UnsupportedAlgorithm => f.write_str("unsupported certificate algorithm"),
            CertError::UnsupportedCriticalExtension => {
                f.write_str("unsupported critical extension")
            }
            CertError::EmptyChain => f.write_str("empty certificate chain"),
        }
    }
}

impl std::error::Error for CertError {}

/// The [`CertError`] for DER that the `der` crate rejected, by what was wrong.
fn der_error(error: der::Error) -> CertError {
    use der::ErrorKind;
    CertError::BadEncoding(match error.kind() {
        ErrorKind::Incomplete { .. } => "truncated DER value",
        ErrorKind::TrailingData { .. } => "bytes after a DER value",
        ErrorKind::Noncanonical { .. } | ErrorKind::IndefiniteLength => "not DER (X.690 §10)",
        ErrorKind::Length { .. } | ErrorKind::Overlength | ErrorKind::Overflow => "bad DER length",
        ErrorKind::TagUnexpected { .. } | ErrorKind::TagUnknown { .. } => "unexpected DER tag",
        ErrorKind::DateTime => "validity time",
        ErrorKind::OidMalformed => "malformed object identifier",
        ErrorKind::SetOrdering => "SET OF not in DER order",
        _ => "malformed DER value",
    })
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
