//! The TLS 1.3 key schedule: HKDF, the secrets it chains, and the keys,
//! IVs and Finished values it gives.
//!
//! Read first: RFC 5869 §2 (HKDF-Extract, HKDF-Expand), RFC 8446 §7.1 (the
//! schedule and `HKDF-Expand-Label`), §7.2 (KeyUpdate), §7.3 (traffic
//! keys), §4.4.4 (Finished), §4.6.1 (resumption PSK), §4.4.1 (the
//! transcript's `message_hash`), §B.4 (the cipher suites); RFC 8448 §3
//! shows every value of one handshake.
//!
//! ```text
//!              0
//!              |
//!    PSK ->  HKDF-Extract = Early Secret
//!              |  Derive-Secret(., "derived", "")
//!              v
//! (EC)DHE -> HKDF-Extract = Handshake Secret  -> c/s hs traffic
//!              |  Derive-Secret(., "derived", "")
//!              v
//!    0 ->    HKDF-Extract = Master Secret     -> c/s ap traffic, exp master,
//!                                                res master
//! ```
//!
//! Every function returns plain bytes so the caller can show each value
//! with its inputs as it happens.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha384};

use super::suites::BulkCipher;
use crate::enums::{CipherSuite, HandshakeType};

/// RFC 8446 §5.3: every TLS 1.3 AEAD here takes a 12-byte nonce, so the
/// per-direction IV is 12 bytes.
pub const TRAFFIC_IV_LEN: usize = 12;

/// The hash a TLS 1.3 cipher suite names, used by HKDF and the transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HkdfHash {
    /// SHA-256: 32-byte secrets.
    Sha256,
    /// SHA-384: 48-byte secrets.
    Sha384,
}

impl HkdfHash {
    /// `Hash.length`: the length of every secret of the schedule.
    pub const fn output_len(self) -> usize {
        match self {
            HkdfHash::Sha256 => 32,
            HkdfHash::Sha384 => 48,
        }
    }

    /// The name a reader sees in the event log.
    pub fn name(self) -> &'static str {
        match self {
            HkdfHash::Sha256 => "SHA-256",
            HkdfHash::Sha384 => "SHA-384",
        }
    }

    /// `Hash(data)`; `Hash("")` is the context of the "derived" steps.
    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            HkdfHash::Sha256 => Sha256::digest(data).to_vec(),
            HkdfHash::Sha384 => Sha384::digest(data).to_vec(),
        }
    }

    /// `HMAC-Hash(key, data)`.
    pub fn hmac(self, key: &[u8], data: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], data: &[&[u8]]) -> Vec<u8> {
            let mut mac =
                <M as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
            data.iter().for_each(|part| mac.update(part));
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            HkdfHash::Sha256 => run::<Hmac<Sha256>>(key, data),
            HkdfHash::Sha384 => run::<Hmac<Sha384>>(key, data),
        }
    }

    /// RFC 5869 §2.2: `HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM)`.
    /// RFC 8446 §7.1: an absent salt or IKM is `Hash.length` zero bytes.
    pub fn extract(self, salt: Option<&[u8]>, ikm: Option<&[u8]>) -> Vec<u8> {
        let zeros = vec![0u8; self.output_len()];
        self.hmac(salt.unwrap_or(&zeros), &[ikm.unwrap_or(&zeros)])
    }

    /// RFC 5869 §2.3: `HKDF-Expand(PRK, info, L)`:
    /// `T(i) = HMAC-Hash(PRK, T(i-1) | info | i)`, the first `L` bytes of
    /// `T(1) | T(2) | …`.
    ///
    /// # Panics
    /// If `len` is over `255 * Hash.length`, which no TLS label asks for.
    pub fn expand(self, prk: &[u8], info: &[u8], len: usize) -> Vec<u8> {
        assert!(len <= 255 * self.output_len(), "HKDF-Expand of {len} bytes");
        let mut out = Vec::with_capacity(len);
        let mut block: Vec<u8> = Vec::new();
        let mut counter = 1u8;
        while out.len() < len {
            block = self.hmac(prk, &[&block, info, &[counter]]);
            let take = block.len().min(len - out.len());
            out.extend_from_slice(&block[..take]);
            counter = counter.wrapping_add(1);
        }
        out
    }

    /// RFC 8446 §7.1: `HKDF-Expand-Label(Secret, Label, Context, Length)`,
    /// the info being
    ///
    /// ```text
    /// struct {
    ///     uint16 length = Length;
    ///     opaque label<7..255> = "tls13 " + Label;
    ///     opaque context<0..255> = Context;
    /// } HkdfLabel;
    /// ```
    pub fn expand_label(self, secret: &[u8], label: &str, context: &[u8], len: usize) -> Vec<u8> {
        self.expand(secret, &hkdf_label(label, context, len), len)
    }

    /// RFC 8446 §7.1: `Derive-Secret(Secret, Label, Messages) =
    /// HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages),
    /// Hash.length)`, given the transcript hash.
    pub fn derive_secret(self, secret: &[u8], label: &str, transcript_hash: &[u8]) -> Vec<u8> {
        self.expand_label(secret, label, transcript_hash, self.output_len())
    }
}

/// The `HkdfLabel` structure of RFC 8446 §7.1, the `info` of
/// HKDF-Expand-Label, as the event log shows it.
///
/// # Panics
/// If the label or context is over 255 bytes or `len` over 2^16-1: the
/// labels and hashes of TLS 1.3 are all far shorter.
pub fn hkdf_label(label: &str, context: &[u8], len: usize) -> Vec<u8> {
    const PREFIX: &[u8] = b"tls13 ";
    let full_len = u8::try_from(PREFIX.len() + label.len()).expect("label of at most 249 bytes");
    let context_len = u8::try_from(context.len()).expect("context of at most 255 bytes");
    let len = u16::try_from(len).expect("length of at most 2^16-1");
    let mut info = Vec::with_capacity(4 + usize::from(full_len) + context.len());
    info.extend_from_slice(&len.to_be_bytes());
    info.push(full_len);
    info.extend_from_slice(PREFIX);
    info.extend_from_slice(label.as_bytes());
    info.push(context_len);
    info.extend_from_slice(context);
    info
}

/// The three stages of the schedule, each an HKDF-Extract of the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// `HKDF-Extract(0, PSK)`.
    Early,
    /// `HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE)`.
    Handshake,
    /// `HKDF-Extract(Derive-Secret(Handshake, "derived", ""), 0)`.
    Master,
}

impl Stage {
    /// The RFC 8446 §7.1 name of the stage's secret.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Early => "Early Secret",
            Stage::Handshake => "Handshake Secret",
            Stage::Master => "Master Secret",
        }
    }
}

/// A secret derived from a stage with `Derive-Secret` (RFC 8446 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretKind {
    /// `binder_key` for a resumption PSK.
    ResumptionPskBinderKey,
    /// `client_early_traffic_secret`.
    ClientEarlyTraffic,
    /// `early_exporter_master_secret`.
    EarlyExporterMaster,
    /// `client_handshake_traffic_secret`.
    ClientHandshakeTraffic,
    /// `server_handshake_traffic_secret`.
    ServerHandshakeTraffic,
    /// `client_application_traffic_secret_0`.
    ClientApplicationTraffic,
    /// `server_application_traffic_secret_0`.
    ServerApplicationTraffic,
    /// `exporter_master_secret`.
    ExporterMaster,
    /// `resumption_master_secret`.
    ResumptionMaster,
}

impl SecretKind {
    /// The `Label` of `Derive-Secret`, without the "tls13 " prefix.
    pub fn label(self) -> &'static str {
        match self {
            SecretKind::ResumptionPskBinderKey => "res binder",
            SecretKind::ClientEarlyTraffic => "c e traffic",
            SecretKind::EarlyExporterMaster => "e exp master",
            SecretKind::ClientHandshakeTraffic => "c hs traffic",
            SecretKind::ServerHandshakeTraffic => "s hs traffic",
            SecretKind::ClientApplicationTraffic => "c ap traffic",
            SecretKind::ServerApplicationTraffic => "s ap traffic",
            SecretKind::ExporterMaster => "exp master",
            SecretKind::ResumptionMaster => "res master",
        }
    }

    /// The RFC 8446 §7.1 name of the secret.
    pub fn name(self) -> &'static str {
        match self {
            SecretKind::ResumptionPskBinderKey => "binder_key",
            SecretKind::ClientEarlyTraffic => "client_early_traffic_secret",
            SecretKind::EarlyExporterMaster => "early_exporter_master_secret",
            SecretKind::ClientHandshakeTraffic => "client_handshake_traffic_secret",
            SecretKind::ServerHandshakeTraffic => "server_handshake_traffic_secret",
            SecretKind::ClientApplicationTraffic => "client_application_traffic_secret_0",
            SecretKind::ServerApplicationTraffic => "server_application_traffic_secret_0",
            SecretKind::ExporterMaster => "exporter_master_secret",
            SecretKind::ResumptionMaster => "resumption_master_secret",
        }
    }

    /// The stage the secret is derived from.
    pub fn stage(self) -> Stage {
        match self {
            SecretKind::ResumptionPskBinderKey
            | SecretKind::ClientEarlyTraffic
            | SecretKind::EarlyExporterMaster => Stage::Early,
            SecretKind::ClientHandshakeTraffic | SecretKind::ServerHandshakeTraffic => {
                Stage::Handshake
            }
            SecretKind::ClientApplicationTraffic
            | SecretKind::ServerApplicationTraffic
            | SecretKind::ExporterMaster
            | SecretKind::ResumptionMaster => Stage::Master,
        }
    }

    /// The label of the secret's line in the NSS key log file, if it has
    /// one.
    pub fn key_log_label(self) -> Option<&'static str> {
        match self {
            SecretKind::ClientEarlyTraffic => Some("CLIENT_EARLY_TRAFFIC_SECRET"),
            SecretKind::EarlyExporterMaster => Some("EARLY_EXPORTER_SECRET"),
            SecretKind::ClientHandshakeTraffic => Some("CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
            SecretKind::ServerHandshakeTraffic => Some("SERVER_HANDSHAKE_TRAFFIC_SECRET"),
            SecretKind::ClientApplicationTraffic => Some("CLIENT_TRAFFIC_SECRET_0"),
            SecretKind::ServerApplicationTraffic => Some("SERVER_TRAFFIC_SECRET_0"),
            SecretKind::ExporterMaster => Some("EXPORTER_SECRET"),
            SecretKind::ResumptionPskBinderKey | SecretKind::ResumptionMaster => None,
        }
    }
}

/// The chain of Early, Handshake and Master Secret (RFC 8446 §7.1), at the
/// stage it has reached.
#[derive(Clone)]
pub struct KeySchedule {
    hash: HkdfHash,
    stage: Stage,
    secret: Vec<u8>,
}

impl KeySchedule {
    /// The Early Secret, `HKDF-Extract(0, PSK)`; without a PSK, the IKM is
    /// `Hash.length` zero bytes.
    pub fn new(hash: HkdfHash, psk: Option<&[u8]>) -> Self {
        KeySchedule {
            hash,
            stage: Stage::Early,
            secret: hash.extract(None, psk),
        }
    }

    /// The hash of the schedule.
    pub fn hash(&self) -> HkdfHash {
        self.hash
    }

    /// The stage reached.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The secret of the stage reached.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// `Derive-Secret(current, "derived", "")`: the salt of the next stage.
    pub fn derived(&self) -> Vec<u8> {
        self.hash
            .derive_secret(&self.secret, "derived", &self.hash.hash(&[]))
    }

    /// Moves to the next stage: `HKDF-Extract(derived, ikm)`, the IKM being
    /// the (EC)DHE shared secret for the Handshake Secret and zeros for the
    /// Master Secret. Returns the salt, `derived`, for a caller that shows
    /// it, so that it is not derived twice.
    ///
    /// # Panics
    /// If the schedule is already at the Master Secret.
    pub fn advance(&mut self, ikm: Option<&[u8]>) -> Vec<u8> {
        let next = match self.stage {
            Stage::Early => Stage::Handshake,
            Stage::Handshake => Stage::Master,
            Stage::Master => panic!("the key schedule has no stage after the Master Secret"),
        };
        let salt = self.derived();
        self.secret = self.hash.extract(Some(&salt), ikm);
        self.stage = next;
        salt
    }

    /// `Derive-Secret(stage secret, kind's label, transcript_hash)`.
    ///
    /// # Panics
    /// If `kind` belongs to another stage than the one reached: a caller
    /// that derives out of order has a bug.
    pub fn derive(&self, kind: SecretKind, transcript_hash: &[u8]) -> Vec<u8> {
        assert_eq!(
            kind.stage(),
            self.stage,
            "{} is derived from the {}",
            kind.name(),
            kind.stage().name()
        );
        self.hash
            .derive_secret(&self.secret, kind.label(), transcript_hash)
    }
}

/// The write key and IV of one direction (RFC 8446 §7.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficKeys {
    /// `HKDF-Expand-Label(Secret, "key", "", key_length)`.
    pub key: Vec<u8>,
    /// `HKDF-Expand-Label(Secret, "iv", "", iv_length)`.
    pub iv: [u8; TRAFFIC_IV_LEN],
}

impl TrafficKeys {
    /// RFC 8446 §7.3: the key and IV of `bulk` from a traffic secret.
    pub fn derive(hash: HkdfHash, bulk: BulkCipher, traffic_secret: &[u8]) -> Self {
        let key = hash.expand_label(traffic_secret, "key", &[], bulk.key_len());
        let iv = hash
            .expand_label(traffic_secret, "iv", &[], TRAFFIC_IV_LEN)
            .try_into()
            .expect("expanded to 12 bytes");
        TrafficKeys { key, iv }
    }
}

/// RFC 8446 §4.4.4: `finished_key = HKDF-Expand-Label(BaseKey, "finished",
/// "", Hash.length)`.
pub fn finished_key(hash: HkdfHash, base_key: &[u8]) -> Vec<u8> {
    hash.expand_label(base_key, "finished", &[], hash.output_len())
}

/// RFC 8446 §4.4.4: `verify_data = HMAC(finished_key,
/// Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*))`.
pub fn finished_verify_data(
    hash: HkdfHash,
    finished_key: &[u8],
    transcript_hash: &[u8],
) -> Vec<u8> {
    hash.hmac(finished_key, &[transcript_hash])
}

/// RFC 8446 §7.2: `application_traffic_secret_N+1 =
/// HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "",
/// Hash.length)`.
pub fn next_traffic_secret(hash: HkdfHash, secret: &[u8]) -> Vec<u8> {
    hash.expand_label(secret, "traffic upd", &[], hash.output_len())
}

/// RFC 8446 §4.6.1: the PSK of a ticket, `HKDF-Expand-Label(
/// resumption_master_secret, "resumption", ticket_nonce, Hash.length)`.
pub fn resumption_psk(hash: HkdfHash, resumption_master: &[u8], nonce: &[u8]) -> Vec<u8> {
    hash.expand_label(resumption_master, "resumption", nonce, hash.output_len())
}

/// RFC 8446 §4.4.1: after a HelloRetryRequest, the first ClientHello is
/// replaced in the transcript by the synthetic handshake message
/// `message_hash || 00 00 Hash.length || Hash(ClientHello1)`.
pub fn message_hash(hash: HkdfHash, client_hello1: &[u8]) -> Vec<u8> {
    let digest = hash.hash(client_hello1);
    let mut message = vec![HandshakeType::MessageHash.get(), 0, 0, digest.len() as u8];
    message.extend_from_slice(&digest);
    message
}

/// A TLS 1.3 cipher suite (RFC 8446 §B.4): an AEAD and a hash, nothing
/// else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tls13CipherSuite {
    /// The code point.
    pub suite: CipherSuite,
    /// The record AEAD.
    pub bulk: BulkCipher,
    /// The hash of HKDF and the transcript.
    pub hash: HkdfHash,
}

/// The TLS 1.3 suites, in a server's default order of preference.
pub static TLS13_SUITES: [Tls13CipherSuite; 3] = [
    Tls13CipherSuite {
        suite: CipherSuite::TLS_AES_128_GCM_SHA256,
        bulk: BulkCipher::Aes128Gcm,
        hash: HkdfHash::Sha256,
    },
    Tls13CipherSuite {
        suite: CipherSuite::TLS_AES_256_GCM_SHA384,
        bulk: BulkCipher::Aes256Gcm,
        hash: HkdfHash::Sha384,
    },
    Tls13CipherSuite {
        suite: CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
        bulk: BulkCipher::ChaCha20Poly1305,
        hash: HkdfHash::Sha256,
    },
];

impl Tls13CipherSuite {
    /// The TLS 1.3 suite with code point `suite`, if it is one.
    pub fn find(suite: CipherSuite) -> Option<&'static Tls13CipherSuite> {
        TLS13_SUITES.iter().find(|s| s.suite == suite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(text: &str) -> Vec<u8> {
        hex::decode(text.replace(' ', "")).unwrap()
    }

    // RFC 5869 Appendix A.1: HKDF-SHA256 basic test case.
    #[test]
    fn hkdf_matches_rfc5869_case_1() {
        let prk =
            HkdfHash::Sha256.extract(Some(&h("000102030405060708090a0b0c")), Some(&[0x0b; 22]));
        assert_eq!(
            prk,
            h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        );
        assert_eq!(
            HkdfHash::Sha256.expand(&prk, &h("f0f1f2f3f4f5f6f7f8f9"), 42),
            h(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            )
        );
    }

    #[test]
    fn hkdf_label_prefixes_tls13_and_carries_lengths() {
        assert_eq!(
            hkdf_label("key", &[], 16),
            [&[0, 16, 9][..], b"tls13 key", &[0]].concat()
        );
    }

    #[test]
    #[should_panic(
        expected = "client_handshake_traffic_secret is derived from the Handshake Secret"
    )]
    fn deriving_from_the_wrong_stage_is_a_bug() {
        let schedule = KeySchedule::new(HkdfHash::Sha256, None);
        let _ = schedule.derive(SecretKind::ClientHandshakeTraffic, &[0; 32]);
    }

    #[test]
    fn message_hash_wraps_the_first_client_hello() {
        let message = message_hash(HkdfHash::Sha384, b"hello");
        assert_eq!(&message[..4], &[254, 0, 0, 48]);
        assert_eq!(&message[4..], HkdfHash::Sha384.hash(b"hello"));
    }

    #[test]
    fn every_suite_is_found_by_its_code_point() {
        for suite in &TLS13_SUITES {
            assert_eq!(Tls13CipherSuite::find(suite.suite), Some(suite));
        }
        assert_eq!(
            Tls13CipherSuite::find(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
            None
        );
    }
}
