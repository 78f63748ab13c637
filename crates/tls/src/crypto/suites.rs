//! The cipher suites tlsim implements, by their two-byte value.
//!
//! Read first: RFC 4492 §6 and RFC 8422 §6 (ECDHE suites with CBC),
//! RFC 5289 §3 (SHA-256 and GCM variants), RFC 5246 §6.2.3 and Appendix C
//! (what each parameter means).

use super::prf::{KeyBlockLayout, PrfAlgorithm};
use super::{CryptoError, TLS10, TLS11, TLS12};

/// How the premaster secret is agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyExchange {
    /// Ephemeral elliptic-curve Diffie-Hellman (RFC 8422).
    Ecdhe,
}

/// How the server authenticates its key-exchange parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Authentication {
    /// ECDSA with the certificate's P-256 key.
    Ecdsa,
    /// RSA PKCS#1 v1.5 with the certificate's RSA key.
    Rsa,
}

/// The bulk cipher protecting records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BulkCipher {
    /// AES-128 in CBC mode, MAC-then-encrypt (RFC 5246 §6.2.3.2).
    Aes128Cbc,
    /// AES-128 in GCM mode (RFC 5288).
    Aes128Gcm,
}

/// The record MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC-SHA1, 20-byte key and tag.
    HmacSha1,
    /// HMAC-SHA256, 32-byte key and tag.
    HmacSha256,
    /// The AEAD's own tag; no separate MAC.
    Aead,
}

impl MacAlgorithm {
    /// `SecurityParameters.mac_length` (= `mac_key_length` here).
    pub fn len(self) -> usize {
        match self {
            MacAlgorithm::HmacSha1 => 20,
            MacAlgorithm::HmacSha256 => 32,
            MacAlgorithm::Aead => 0,
        }
    }

    /// Whether there is no separate MAC (AEAD suites).
    pub fn is_empty(self) -> bool {
        self == MacAlgorithm::Aead
    }
}

/// Everything a connection needs to know about one cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CipherSuiteParams {
    /// The two-byte value on the wire.
    pub value: u16,
    /// The IANA name, as Wireshark shows it.
    pub name: &'static str,
    /// The key exchange.
    pub key_exchange: KeyExchange,
    /// The server's signature algorithm.
    pub authentication: Authentication,
    /// The record cipher.
    pub bulk: BulkCipher,
    /// The record MAC.
    pub mac: MacAlgorithm,
    /// The PRF in TLS 1.2 (earlier versions always use the TLS 1.0 PRF).
    pub tls12_prf: PrfAlgorithm,
    /// `enc_key_length`.
    pub enc_key_len: usize,
    /// `record_iv_length`: the explicit per-record IV or nonce on the wire
    /// (16 for CBC from TLS 1.1, 8 for GCM).
    pub record_iv_len: usize,
    /// The lowest protocol version that may negotiate this suite.
    pub min_version: u16,
    /// The highest protocol version that may negotiate this suite.
    pub max_version: u16,
}

/// AES-128's key length.
const AES128_KEY_LEN: usize = 16;
/// AES's block length, the CBC IV length.
pub const AES_BLOCK_LEN: usize = 16;
/// RFC 5288 §3: the implicit part of the GCM nonce, from the key block.
pub const GCM_SALT_LEN: usize = 4;
/// RFC 5288 §3: the explicit part of the GCM nonce, sent in each record.
pub const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// The GCM tag length.
pub const GCM_TAG_LEN: usize = 16;

/// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`.
pub const TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: u16 = 0xc02b;
/// `TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256`.
pub const TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: u16 = 0xc023;
/// `TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA`.
pub const TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: u16 = 0xc009;
/// `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA`.
pub const TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: u16 = 0xc013;
/// `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256`.
pub const TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: u16 = 0xc027;
/// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
pub const TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: u16 = 0xc02f;

const fn cbc(
    value: u16,
    name: &'static str,
    authentication: Authentication,
    mac: MacAlgorithm,
    min_version: u16,
) -> CipherSuiteParams {
    CipherSuiteParams {
        value,
        name,
        key_exchange: KeyExchange::Ecdhe,
        authentication,
        bulk: BulkCipher::Aes128Cbc,
        mac,
        tls12_prf: PrfAlgorithm::Sha256,
        enc_key_len: AES128_KEY_LEN,
        record_iv_len: AES_BLOCK_LEN,
        min_version,
        max_version: TLS12,
    }
}

const fn gcm(value: u16, name: &'static str, authentication: Authentication) -> CipherSuiteParams {
    CipherSuiteParams {
        value,
        name,
        key_exchange: KeyExchange::Ecdhe,
        authentication,
        bulk: BulkCipher::Aes128Gcm,
        mac: MacAlgorithm::Aead,
        tls12_prf: PrfAlgorithm::Sha256,
        enc_key_len: AES128_KEY_LEN,
        record_iv_len: GCM_EXPLICIT_NONCE_LEN,
        min_version: TLS12,
        max_version: TLS12,
    }
}

/// Every supported suite, in the server's order of preference.
pub static SUPPORTED_SUITES: [CipherSuiteParams; 6] = [
    gcm(
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        Authentication::Ecdsa,
    ),
    gcm(
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        Authentication::Rsa,
    ),
    // RFC 5289 §3.1: the _SHA256 CBC suites are for TLS 1.2 only.
    cbc(
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        Authentication::Ecdsa,
        MacAlgorithm::HmacSha256,
        TLS12,
    ),
    cbc(
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        Authentication::Rsa,
        MacAlgorithm::HmacSha256,
        TLS12,
    ),
    cbc(
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        Authentication::Ecdsa,
        MacAlgorithm::HmacSha1,
        TLS10,
    ),
    cbc(
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        Authentication::Rsa,
        MacAlgorithm::HmacSha1,
        TLS10,
    ),
];

/// The parameters of the suite with this value, if supported.
pub fn suite_by_value(value: u16) -> Option<&'static CipherSuiteParams> {
    SUPPORTED_SUITES.iter().find(|s| s.value == value)
}

impl CipherSuiteParams {
    /// The parameters of `value`, or [`CryptoError::UnsupportedCipherSuite`].
    pub fn lookup(value: u16) -> Result<&'static CipherSuiteParams, CryptoError> {
        suite_by_value(value).ok_or(CryptoError::UnsupportedCipherSuite(value))
    }

    /// Whether this suite may be used with `version`.
    pub fn supports_version(&self, version: u16) -> bool {
        (self.min_version..=self.max_version).contains(&version)
    }

    /// The PRF for `version`.
    pub fn prf(&self, version: u16) -> PrfAlgorithm {
        PrfAlgorithm::for_version(version, self.tls12_prf)
    }

    /// `fixed_iv_length` for `version`: the IV taken from the key block.
    ///
    /// RFC 2246 §6.3: TLS 1.0 CBC takes its first IV from the key block.
    /// RFC 4346 §6.3 and RFC 5246 §6.3: from TLS 1.1 CBC IVs are explicit,
    /// and only implicit-nonce ciphers (the GCM salt) take key-block IVs.
    pub fn fixed_iv_len(&self, version: u16) -> usize {
        match self.bulk {
            BulkCipher::Aes128Gcm => GCM_SALT_LEN,
            BulkCipher::Aes128Cbc if version <= TLS10 => AES_BLOCK_LEN,
            BulkCipher::Aes128Cbc => 0,
        }
    }

    /// The explicit IV or nonce carried by each record for `version`.
    pub fn record_iv_len(&self, version: u16) -> usize {
        match self.bulk {
            BulkCipher::Aes128Cbc if version <= TLS10 => 0,
            _ => self.record_iv_len,
        }
    }

    /// The key-block layout for `version`.
    pub fn key_block_layout(&self, version: u16) -> KeyBlockLayout {
        KeyBlockLayout {
            mac_key_len: self.mac.len(),
            enc_key_len: self.enc_key_len,
            fixed_iv_len: self.fixed_iv_len(version),
        }
    }

    /// The suite's parameters, or an error if `version` may not use it.
    pub fn check_version(&self, version: u16) -> Result<(), CryptoError> {
        if self.supports_version(version) && version >= TLS10 {
            Ok(())
        } else {
            Err(CryptoError::UnsupportedVersion(version))
        }
    }
}

/// The name of a TLS protocol version, for messages.
pub fn version_name(version: u16) -> &'static str {
    match version {
        TLS10 => "TLS 1.0",
        TLS11 => "TLS 1.1",
        TLS12 => "TLS 1.2",
        _ => "unknown version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_is_found_by_its_value() {
        for suite in &SUPPORTED_SUITES {
            assert_eq!(suite_by_value(suite.value), Some(suite));
        }
        assert_eq!(suite_by_value(0x002f), None);
        assert_eq!(
            CipherSuiteParams::lookup(0x1301),
            Err(CryptoError::UnsupportedCipherSuite(0x1301))
        );
    }

    #[test]
    fn sha256_and_gcm_suites_are_tls12_only() {
        for suite in &SUPPORTED_SUITES {
            let tls12_only = suite.mac != MacAlgorithm::HmacSha1;
            assert_eq!(!suite.supports_version(TLS10), tls12_only, "{}", suite.name);
            assert_eq!(!suite.supports_version(TLS11), tls12_only, "{}", suite.name);
            assert!(suite.supports_version(TLS12));
        }
    }

    #[test]
    fn key_block_layouts_follow_the_version() {
        let sha = suite_by_value(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA).unwrap();
        assert_eq!(sha.key_block_layout(TLS10).total_len(), 2 * (20 + 16 + 16));
        assert_eq!(sha.key_block_layout(TLS11).total_len(), 2 * (20 + 16));
        assert_eq!(sha.prf(TLS11), PrfAlgorithm::Tls10);
        assert_eq!(sha.prf(TLS12), PrfAlgorithm::Sha256);
        let gcm = suite_by_value(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).unwrap();
        assert_eq!(gcm.key_block_layout(TLS12).total_len(), 2 * (16 + 4));
        assert_eq!(gcm.record_iv_len(TLS12), 8);
    }
}
