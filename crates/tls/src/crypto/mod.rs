//! TLS 1.0–1.2 cryptography: everything between a premaster secret and a
//! protected record.
//!
//! Read first: RFC 5246 §5 (PRF), §6.2.3 (record protection), §6.3 (key
//! calculation), §7.4.9 (Finished), §8.1 (master secret); RFC 2246 for the
//! TLS 1.0 differences; RFC 4492 and RFC 8422 for ECDHE; RFC 7919 for DHE; RFC 5288 for GCM;
//! RFC 5289 for the SHA-256 and SHA-384 suites; RFC 7905 for
//! ChaCha20-Poly1305.
//!
//! - [`prf`]: the PRF of each version, master secret, key block, Finished.
//! - [`suites`]: the supported cipher suites and their parameters.
//! - [`cipher`]: record protection (AES-128/256-CBC + HMAC, AES-128/256-GCM,
//!   ChaCha20-Poly1305).
//! - [`key_schedule`]: TLS 1.3's HKDF key schedule (RFC 8446 §7), and
//!   [`cipher::tls13`] its record protection (RFC 8446 §5).
//! - [`kx`]: ephemeral ECDH on P-256, P-384 and X25519.
//! - [`ffdhe`]: ephemeral finite-field DH on the RFC 7919 groups.
//! - [`sign`]: ECDSA and RSA signing keys, signature verification, PEM.
//! - `p256_table`: P-256 ECDSA verification with a precomputed table per
//!   key seen more than once.
//! - [`ticket`]: TLS 1.3 session tickets sealed under the server's key.
//! - [`ahead`]: public-key operations computed ahead on other threads.
//!
//! Nothing here reads a clock or the OS's entropy: randomness is always an
//! argument, so a seeded stream gives the same bytes on every run.

pub mod ahead;
pub mod cipher;
pub mod ffdhe;
pub mod key_schedule;
pub mod kx;
mod p256_table;
pub mod pem;
pub mod prf;
pub mod sign;
pub mod suites;
pub mod ticket;

use core::fmt;

/// A cryptographic failure, named after the alert it should cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// A protected record failed to decrypt or authenticate: bad MAC, bad
    /// padding, bad length or bad GCM tag, deliberately indistinguishable
    /// (RFC 5246 §6.2.3.2) → `bad_record_mac`.
    BadRecordMac,
    /// A decrypted record would exceed 2^14 bytes of plaintext
    /// (RFC 5246 §6.2.3) → `record_overflow`.
    RecordOverflow,
    /// A peer's key-exchange public value is not a valid point
    /// (RFC 8422 §5.11) → `illegal_parameter`.
    InvalidPeerPublicKey,
    /// The X25519 shared secret is all zeros: the peer sent a small-order
    /// point (RFC 7748 §6.1, RFC 8422 §5.11) → `illegal_parameter`.
    ZeroSharedSecret,
    /// A peer's finite-field DH public value is outside 1 < Y < p - 1
    /// (RFC 7919 §5.1) → `handshake_failure` (RFC 7919 §3, §4).
    DhPublicOutOfRange,
    /// A private key given for a pinned key exchange is out of range.
    InvalidPrivateKey,
    /// A signature does not verify → `decrypt_error`.
    BadSignature,
    /// The signature algorithm does not fit the key, or is not supported
    /// → `illegal_parameter` / `unsupported_certificate`.
    UnsupportedSignatureAlgorithm,
    /// A key file or DER structure could not be decoded; says what.
    BadKeyEncoding(&'static str),
    /// The cipher suite value is not one this crate implements.
    UnsupportedCipherSuite(u16),
    /// The protocol version is not allowed with the suite.
    UnsupportedVersion(u16),
    /// Key material of the wrong length was handed to a cipher.
    BadKeyLength,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::BadRecordMac => f.write_str("bad record MAC"),
            CryptoError::RecordOverflow => f.write_str("record plaintext longer than 2^14"),
            CryptoError::InvalidPeerPublicKey => f.write_str("invalid peer key-exchange point"),
            CryptoError::ZeroSharedSecret => f.write_str("all-zero X25519 shared secret"),
            CryptoError::DhPublicOutOfRange => f.write_str("DH public value outside 1 < Y < p - 1"),
            CryptoError::InvalidPrivateKey => f.write_str("invalid private key"),
            CryptoError::BadSignature => f.write_str("signature does not verify"),
            CryptoError::UnsupportedSignatureAlgorithm => {
                f.write_str("signature algorithm not supported for this key")
            }
            CryptoError::BadKeyEncoding(what) => write!(f, "bad key encoding: {what}"),
            CryptoError::UnsupportedCipherSuite(v) => {
                write!(f, "unsupported cipher suite 0x{v:04x}")
            }
            CryptoError::UnsupportedVersion(v) => {
                write!(f, "protocol version 0x{v:04x} not allowed with this suite")
            }
            CryptoError::BadKeyLength => f.write_str("key material of the wrong length"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// TLS 1.0 (`{3, 1}`).
pub const TLS10: u16 = 0x0301;
/// TLS 1.1 (`{3, 2}`).
pub const TLS11: u16 = 0x0302;
/// TLS 1.2 (`{3, 3}`).
pub const TLS12: u16 = 0x0303;
