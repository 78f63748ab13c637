//! The cipher suites tlsim implements, by their two-byte value.
//!
//! Read first: RFC 4492 §6 and RFC 8422 §6 (ECDHE suites with CBC),
//! RFC 5289 §3 (SHA-256 and GCM variants), RFC 5246 §6.2.3 and Appendix C
//! (what each parameter means).

use super::prf::{KeyBlockLayout, PrfAlgorithm};
use super::{CryptoError, TLS10, TLS11, TLS12};
use crate::enums::{CipherSuite, ProtocolVersion};

/// How the premaster secret is agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyExchange {
    /// Ephemeral elliptic-curve Diffie-Hellman (RFC 8422).
    Ecdhe,
    /// RSA key transport (RFC 5246 §7.4.7.1): the client encrypts the
    /// premaster secret to the certificate's key; no ServerKeyExchange.
    Rsa,
    /// Ephemeral finite-field Diffie-Hellman (RFC 5246 §7.4.3) on an
    /// RFC 7919 group.
    Dhe,
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
    /// AES-256 in CBC mode, MAC-then-encrypt (RFC 5246 §6.2.3.2).
    Aes256Cbc,
    /// AES-128 in GCM mode (RFC 5288).
    Aes128Gcm,
    /// AES-256 in GCM mode (RFC 5288).
    Aes256Gcm,
    /// ChaCha20-Poly1305 (RFC 7905, RFC 8439).
    ChaCha20Poly1305,
}

impl BulkCipher {
    /// `SecurityParameters.enc_key_length`.
    pub const fn key_len(self) -> usize {
        match self {
            BulkCipher::Aes128Cbc | BulkCipher::Aes128Gcm => 16,
            BulkCipher::Aes256Cbc | BulkCipher::Aes256Gcm | BulkCipher::ChaCha20Poly1305 => 32,
        }
    }

    /// Whether this is a block cipher in CBC mode (otherwise an AEAD).
    pub const fn is_cbc(self) -> bool {
        matches!(self, BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc)
    }
}

/// The record MAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC-SHA1, 20-byte key and tag.
    HmacSha1,
    /// HMAC-SHA256, 32-byte key and tag.
    HmacSha256,
    /// HMAC-SHA384, 48-byte key and tag (RFC 5289 §3.2).
    HmacSha384,
    /// The AEAD's own tag; no separate MAC.
    Aead,
}

impl MacAlgorithm {
    /// `SecurityParameters.mac_length` (= `mac_key_length` here).
    pub fn len(self) -> usize {
        match self {
            MacAlgorithm::HmacSha1 => 20,
            MacAlgorithm::HmacSha256 => 32,
            MacAlgorithm::HmacSha384 => 48,
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
    /// (16 for CBC from TLS 1.1, 8 for GCM, none for ChaCha20-Poly1305).
    pub record_iv_len: usize,
    /// The lowest protocol version that may negotiate this suite.
    pub min_version: u16,
    /// The highest protocol version that may negotiate this suite.
    pub max_version: u16,
}

/// AES's block length, the CBC IV length.
pub const AES_BLOCK_LEN: usize = 16;
/// RFC 5288 §3: the implicit part of the GCM nonce, from the key block.
pub const GCM_SALT_LEN: usize = 4;
/// RFC 5288 §3: the explicit part of the GCM nonce, sent in each record.
pub const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// The GCM and Poly1305 tag length.
pub const AEAD_TAG_LEN: usize = 16;
/// RFC 7905 §2: ChaCha20-Poly1305 takes its whole 12-byte nonce from the
/// key block and sends none.
pub const CHACHA20_POLY1305_IV_LEN: usize = 12;

/// `TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256`.
pub const TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: u16 = 0xc02b;
/// `TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384`.
pub const TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: u16 = 0xc02c;
/// `TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256`.
pub const TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: u16 = 0xcca9;
/// `TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256`.
pub const TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: u16 = 0xc023;
/// `TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384`.
pub const TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: u16 = 0xc024;
/// `TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA`.
pub const TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: u16 = 0xc009;
/// `TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA`.
pub const TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: u16 = 0xc00a;
/// `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
pub const TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: u16 = 0xc02f;
/// `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`.
pub const TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: u16 = 0xc030;
/// `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256`.
pub const TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: u16 = 0xcca8;
/// `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256`.
pub const TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: u16 = 0xc027;
/// `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384`.
pub const TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: u16 = 0xc028;
/// `TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA`.
pub const TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: u16 = 0xc013;
/// `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA`.
pub const TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: u16 = 0xc014;

/// `TLS_RSA_WITH_AES_128_CBC_SHA` (RFC 5246 Appendix A.5).
pub const TLS_RSA_WITH_AES_128_CBC_SHA: u16 = 0x002f;
/// `TLS_RSA_WITH_AES_256_CBC_SHA`.
pub const TLS_RSA_WITH_AES_256_CBC_SHA: u16 = 0x0035;
/// `TLS_RSA_WITH_AES_128_CBC_SHA256`.
pub const TLS_RSA_WITH_AES_128_CBC_SHA256: u16 = 0x003c;
/// `TLS_RSA_WITH_AES_256_CBC_SHA256`.
pub const TLS_RSA_WITH_AES_256_CBC_SHA256: u16 = 0x003d;
/// `TLS_RSA_WITH_AES_128_GCM_SHA256` (RFC 5288 §3).
pub const TLS_RSA_WITH_AES_128_GCM_SHA256: u16 = 0x009c;
/// `TLS_RSA_WITH_AES_256_GCM_SHA384`.
pub const TLS_RSA_WITH_AES_256_GCM_SHA384: u16 = 0x009d;

/// `TLS_DHE_RSA_WITH_AES_128_CBC_SHA` (RFC 5246 Appendix A.5).
pub const TLS_DHE_RSA_WITH_AES_128_CBC_SHA: u16 = 0x0033;
/// `TLS_DHE_RSA_WITH_AES_256_CBC_SHA`.
pub const TLS_DHE_RSA_WITH_AES_256_CBC_SHA: u16 = 0x0039;
/// `TLS_DHE_RSA_WITH_AES_128_CBC_SHA256`.
pub const TLS_DHE_RSA_WITH_AES_128_CBC_SHA256: u16 = 0x0067;
/// `TLS_DHE_RSA_WITH_AES_256_CBC_SHA256`.
pub const TLS_DHE_RSA_WITH_AES_256_CBC_SHA256: u16 = 0x006b;
/// `TLS_DHE_RSA_WITH_AES_128_GCM_SHA256` (RFC 5288 §3).
pub const TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: u16 = 0x009e;
/// `TLS_DHE_RSA_WITH_AES_256_GCM_SHA384`.
pub const TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: u16 = 0x009f;
/// `TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256` (RFC 7905 §2).
pub const TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: u16 = 0xccaa;

/// The same suite with finite-field DHE instead of ECDHE (RFC 5246
/// §7.4.3); the PRF and versions follow the record protection as for
/// ECDHE.
const fn dhe_kx(suite: CipherSuiteParams) -> CipherSuiteParams {
    CipherSuiteParams {
        key_exchange: KeyExchange::Dhe,
        ..suite
    }
}

/// The same suite with RSA key transport instead of ECDHE (RFC 5246
/// §7.4.7.1); RFC 5246 Appendix A.5 gives the `_SHA256` CBC suites the
/// SHA-256 PRF and TLS 1.2 only, like their ECDHE twins.
const fn rsa_kx(suite: CipherSuiteParams) -> CipherSuiteParams {
    CipherSuiteParams {
        key_exchange: KeyExchange::Rsa,
        ..suite
    }
}

/// A CBC suite. RFC 5289 §3.2: the `_SHA256` and `_SHA384` ones are for
/// TLS 1.2 only and use the PRF of their MAC's hash; the `_SHA` ones go
/// back to TLS 1.0.
const fn cbc(
    value: u16,
    name: &'static str,
    authentication: Authentication,
    bulk: BulkCipher,
    mac: MacAlgorithm,
) -> CipherSuiteParams {
    let (tls12_prf, min_version) = match mac {
        MacAlgorithm::HmacSha384 => (PrfAlgorithm::Sha384, TLS12),
        MacAlgorithm::HmacSha256 => (PrfAlgorithm::Sha256, TLS12),
        _ => (PrfAlgorithm::Sha256, TLS10),
    };
    CipherSuiteParams {
        value,
        name,
        key_exchange: KeyExchange::Ecdhe,
        authentication,
        bulk,
        mac,
        tls12_prf,
        enc_key_len: bulk.key_len(),
        record_iv_len: AES_BLOCK_LEN,
        min_version,
        max_version: TLS12,
    }
}

/// An AEAD suite, TLS 1.2 only (RFC 5288 §4, RFC 7905 §2); the PRF hash is
/// the one in its name (RFC 5289 §3.2).
const fn aead(
    value: u16,
    name: &'static str,
    authentication: Authentication,
    bulk: BulkCipher,
    tls12_prf: PrfAlgorithm,
) -> CipherSuiteParams {
    let record_iv_len = match bulk {
        BulkCipher::ChaCha20Poly1305 => 0,
        _ => GCM_EXPLICIT_NONCE_LEN,
    };
    CipherSuiteParams {
        value,
        name,
        key_exchange: KeyExchange::Ecdhe,
        authentication,
        bulk,
        mac: MacAlgorithm::Aead,
        tls12_prf,
        enc_key_len: bulk.key_len(),
        record_iv_len,
        min_version: TLS12,
        max_version: TLS12,
    }
}

/// Every supported suite, in the server's order of preference: ECDHE,
/// then DHE, then RSA key transport, AEADs before CBC, and AES-128 before
/// AES-256 within each kind, so that a server left to its defaults picks
/// what it always picked.
pub static SUPPORTED_SUITES: [CipherSuiteParams; 27] = {
    use Authentication::{Ecdsa, Rsa};
    use BulkCipher::{Aes128Cbc, Aes128Gcm, Aes256Cbc, Aes256Gcm, ChaCha20Poly1305};
    use MacAlgorithm::{HmacSha1, HmacSha256, HmacSha384};
    [
        aead(
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            Ecdsa,
            Aes128Gcm,
            PrfAlgorithm::Sha256,
        ),
        aead(
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            Rsa,
            Aes128Gcm,
            PrfAlgorithm::Sha256,
        ),
        aead(
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            Ecdsa,
            Aes256Gcm,
            PrfAlgorithm::Sha384,
        ),
        aead(
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            Rsa,
            Aes256Gcm,
            PrfAlgorithm::Sha384,
        ),
        aead(
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            Ecdsa,
            ChaCha20Poly1305,
            PrfAlgorithm::Sha256,
        ),
        aead(
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            Rsa,
            ChaCha20Poly1305,
            PrfAlgorithm::Sha256,
        ),
        cbc(
            TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
            Ecdsa,
            Aes128Cbc,
            HmacSha256,
        ),
        cbc(
            TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            Rsa,
            Aes128Cbc,
            HmacSha256,
        ),
        cbc(
            TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
            Ecdsa,
            Aes256Cbc,
            HmacSha384,
        ),
        cbc(
            TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
            Rsa,
            Aes256Cbc,
            HmacSha384,
        ),
        cbc(
            TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            Ecdsa,
            Aes128Cbc,
            HmacSha1,
        ),
        cbc(
            TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            Rsa,
            Aes128Cbc,
            HmacSha1,
        ),
        cbc(
            TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            Ecdsa,
            Aes256Cbc,
            HmacSha1,
        ),
        cbc(
            TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            Rsa,
            Aes256Cbc,
            HmacSha1,
        ),
        dhe_kx(aead(
            TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            Rsa,
            Aes128Gcm,
            PrfAlgorithm::Sha256,
        )),
        dhe_kx(aead(
            TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            Rsa,
            Aes256Gcm,
            PrfAlgorithm::Sha384,
        )),
        dhe_kx(aead(
            TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            Rsa,
            ChaCha20Poly1305,
            PrfAlgorithm::Sha256,
        )),
        dhe_kx(cbc(
            TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
            Rsa,
            Aes128Cbc,
            HmacSha256,
        )),
        dhe_kx(cbc(
            TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
            "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
            Rsa,
            Aes256Cbc,
            HmacSha256,
        )),
        dhe_kx(cbc(
            TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
            "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
            Rsa,
            Aes128Cbc,
            HmacSha1,
        )),
        dhe_kx(cbc(
            TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
            "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
            Rsa,
            Aes256Cbc,
            HmacSha1,
        )),
        rsa_kx(aead(
            TLS_RSA_WITH_AES_128_GCM_SHA256,
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            Rsa,
            Aes128Gcm,
            PrfAlgorithm::Sha256,
        )),
        rsa_kx(aead(
            TLS_RSA_WITH_AES_256_GCM_SHA384,
            "TLS_RSA_WITH_AES_256_GCM_SHA384",
            Rsa,
            Aes256Gcm,
            PrfAlgorithm::Sha384,
        )),
        rsa_kx(cbc(
            TLS_RSA_WITH_AES_128_CBC_SHA256,
            "TLS_RSA_WITH_AES_128_CBC_SHA256",
            Rsa,
            Aes128Cbc,
            HmacSha256,
        )),
        rsa_kx(cbc(
            TLS_RSA_WITH_AES_256_CBC_SHA256,
            "TLS_RSA_WITH_AES_256_CBC_SHA256",
            Rsa,
            Aes256Cbc,
            HmacSha256,
        )),
        rsa_kx(cbc(
            TLS_RSA_WITH_AES_128_CBC_SHA,
            "TLS_RSA_WITH_AES_128_CBC_SHA",
            Rsa,
            Aes128Cbc,
            HmacSha1,
        )),
        rsa_kx(cbc(
            TLS_RSA_WITH_AES_256_CBC_SHA,
            "TLS_RSA_WITH_AES_256_CBC_SHA",
            Rsa,
            Aes256Cbc,
            HmacSha1,
        )),
    ]
};

/// The parameters of the suite with this value, if supported.
pub fn suite_by_value(value: u16) -> Option<&'static CipherSuiteParams> {
    SUPPORTED_SUITES.iter().find(|s| s.value == value)
}

/// The suites both ends offer and prefer by default: ECDHE with AES-GCM,
/// then AES-CBC with SHA-256, then AES-CBC with SHA-1 (for TLS 1.0 and
/// 1.1 peers), ECDSA before RSA.
pub const DEFAULT_CIPHER_SUITES: [CipherSuite; 6] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
];

/// The parameters of `suite`, if supported.
pub fn suite_params(suite: CipherSuite) -> Option<&'static CipherSuiteParams> {
    suite_by_value(suite.get())
}

impl CipherSuiteParams {
    /// The code point of this suite.
    pub fn suite(&self) -> CipherSuite {
        CipherSuite::from(self.value)
    }

    /// Whether this suite may be negotiated at `version`.
    pub fn allows(&self, version: ProtocolVersion) -> bool {
        self.supports_version(version.get())
    }

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
    /// and only implicit-nonce ciphers take key-block IVs: the GCM salt,
    /// ChaCha20-Poly1305's whole nonce (RFC 7905 §2).
    pub fn fixed_iv_len(&self, version: u16) -> usize {
        match self.bulk {
            BulkCipher::Aes128Gcm | BulkCipher::Aes256Gcm => GCM_SALT_LEN,
            BulkCipher::ChaCha20Poly1305 => CHACHA20_POLY1305_IV_LEN,
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc if version <= TLS10 => AES_BLOCK_LEN,
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => 0,
        }
    }

    /// The explicit IV or nonce carried by each record for `version`.
    pub fn record_iv_len(&self, version: u16) -> usize {
        if self.bulk.is_cbc() && version <= TLS10 {
            0
        } else {
            self.record_iv_len
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
        // TLS_RSA_WITH_CAMELLIA_128_CBC_SHA.
        assert_eq!(suite_by_value(0x0041), None);
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

    #[test]
    fn aes256_and_chacha_suites_cut_their_own_key_blocks() {
        let gcm = suite_by_value(TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384).unwrap();
        assert_eq!(gcm.key_block_layout(TLS12).total_len(), 2 * (32 + 4));
        assert_eq!(gcm.prf(TLS12), PrfAlgorithm::Sha384);
        let cbc = suite_by_value(TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384).unwrap();
        assert_eq!(cbc.key_block_layout(TLS12).total_len(), 2 * (48 + 32));
        assert_eq!(cbc.prf(TLS12), PrfAlgorithm::Sha384);
        let sha = suite_by_value(TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA).unwrap();
        assert_eq!(sha.key_block_layout(TLS10).total_len(), 2 * (20 + 32 + 16));
        assert_eq!(sha.prf(TLS12), PrfAlgorithm::Sha256);
        // RFC 7905 §2: a 12-byte IV from the key block and nothing sent.
        let chacha = suite_by_value(TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256).unwrap();
        assert_eq!(chacha.key_block_layout(TLS12).total_len(), 2 * (32 + 12));
        assert_eq!(chacha.record_iv_len(TLS12), 0);
        assert_eq!(chacha.prf(TLS12), PrfAlgorithm::Sha256);
    }

    #[test]
    fn every_suite_has_its_iana_name() {
        for suite in &SUPPORTED_SUITES {
            assert_eq!(
                crate::enums::CipherSuite::from(suite.value).name(),
                Some(suite.name)
            );
        }
    }
}
