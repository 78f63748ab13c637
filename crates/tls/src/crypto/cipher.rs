//! Record protection: turning a plaintext fragment into a protected one
//! and back, one direction at a time.
//!
//! Read first: RFC 5246 §6.2.3.2 (CBC block ciphers, MAC-then-encrypt),
//! §6.2.3.3 (AEAD), RFC 2246 §6.2.3.2 (TLS 1.0's chained IVs), RFC 5288 §3
//! (AES-GCM nonces), RFC 7905 §2 (ChaCha20-Poly1305 nonces), RFC 7366 §3
//! (encrypt-then-MAC for CBC).
//!
//! Each direction owns its 64-bit sequence number (RFC 5246 §6.1), which
//! starts at zero after ChangeCipherSpec and counts every record. Records
//! are at most 2^14 bytes of plaintext: the record layer fragments before
//! calling in here.
//!
//! Deliberate simplification: the CBC decrypter answers every failure with
//! the same [`CryptoError::BadRecordMac`] and still computes the MAC when
//! the padding is wrong (RFC 5246 §6.2.3.2), but it does not equalise the
//! number of HMAC compression calls (the Lucky Thirteen countermeasure);
//! timing is not observable inside the simulator.

use aes::{Aes128, Aes256};
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{AeadInOut, KeyInit as AeadKeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use cbc::cipher::array::Array;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, IvSizeUser, IvState, KeyIvInit, SetIvState};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, KeyInit, Mac};
use rand_core::CryptoRng;
use sha1::Sha1;
use sha2::{Sha256, Sha384};

use super::prf::KeyBlock;
use super::suites::{
    AEAD_TAG_LEN, AES_BLOCK_LEN, BulkCipher, CHACHA20_POLY1305_IV_LEN, CipherSuiteParams,
    GCM_EXPLICIT_NONCE_LEN, GCM_SALT_LEN, MacAlgorithm,
};
use super::{CryptoError, TLS10};

/// The longest record MAC here, HMAC-SHA384's.
const MAX_MAC_LEN: usize = 48;
/// Every AEAD here takes a 96-bit nonce (RFC 5116 §3.2, RFC 8439 §2.8).
const AEAD_NONCE_LEN: usize = 12;

/// RFC 5246 §6.2.1: the largest plaintext fragment, 2^14 bytes.
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;

/// Which end of the connection writes with a set of keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client: it writes with the `client_write_*` keys.
    Client,
    /// The server: it writes with the `server_write_*` keys.
    Server,
}

/// What happened to the last record, for the event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordTrace {
    /// The sequence number the record was protected under.
    pub seq: u64,
    iv: [u8; AES_BLOCK_LEN],
    iv_len: u8,
    mac: [u8; MAX_MAC_LEN],
    mac_len: u8,
    /// The CBC padding length byte (0 for AEADs).
    pub padding_len: u8,
    /// Whether the CBC MAC follows the ciphertext, computed over it
    /// (RFC 7366 §3), rather than being encrypted with the content.
    pub encrypt_then_mac: bool,
}

impl Default for RecordTrace {
    fn default() -> Self {
        RecordTrace {
            seq: 0,
            iv: [0; AES_BLOCK_LEN],
            iv_len: 0,
            mac: [0; MAX_MAC_LEN],
            mac_len: 0,
            padding_len: 0,
            encrypt_then_mac: false,
        }
    }
}

impl RecordTrace {
    /// The CBC IV (explicit or chained) or the 12-byte AEAD nonce.
    pub fn iv(&self) -> &[u8] {
        &self.iv[..usize::from(self.iv_len)]
    }

    /// The HMAC of the record, or the AEAD tag.
    pub fn mac(&self) -> &[u8] {
        &self.mac[..usize::from(self.mac_len)]
    }

    fn set_iv(&mut self, iv: &[u8]) {
        self.iv[..iv.len()].copy_from_slice(iv);
        self.iv_len = iv.len() as u8;
    }

    fn set_mac(&mut self, mac: &[u8]) {
        self.mac[..mac.len()].copy_from_slice(mac);
        self.mac_len = mac.len() as u8;
    }
}

/// A keyed HMAC, cloned for each record so the key is processed once.
#[derive(Clone)]
enum RecordMac {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
}

impl RecordMac {
    fn new(alg: MacAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        if key.len() != alg.len() {
            return Err(CryptoError::BadKeyLength);
        }
        let keyed = match alg {
            MacAlgorithm::HmacSha1 => RecordMac::Sha1(
                <Hmac<Sha1> as KeyInit>::new_from_slice(key)
                    .map_err(|_| CryptoError::BadKeyLength)?,
            ),
            MacAlgorithm::HmacSha256 => RecordMac::Sha256(
                <Hmac<Sha256> as KeyInit>::new_from_slice(key)
                    .map_err(|_| CryptoError::BadKeyLength)?,
            ),
            MacAlgorithm::HmacSha384 => RecordMac::Sha384(
                <Hmac<Sha384> as KeyInit>::new_from_slice(key)
                    .map_err(|_| CryptoError::BadKeyLength)?,
            ),
            MacAlgorithm::Aead => return Err(CryptoError::BadKeyLength),
        };
        Ok(keyed)
    }

    fn len(&self) -> usize {
        match self {
            RecordMac::Sha1(_) => MacAlgorithm::HmacSha1.len(),
            RecordMac::Sha256(_) => MacAlgorithm::HmacSha256.len(),
            RecordMac::Sha384(_) => MacAlgorithm::HmacSha384.len(),
        }
    }

    /// RFC 5246 §6.2.3.1: `MAC(MAC_write_key, seq_num + TLSCompressed.type +
    /// TLSCompressed.version + TLSCompressed.length + TLSCompressed.fragment)`.
    /// Writes the tag into `out[..len()]`.
    fn compute(&self, header: &[u8; 13], fragment: &[u8], out: &mut [u8; MAX_MAC_LEN]) {
        fn run<M: Mac + Clone>(keyed: &M, header: &[u8], fragment: &[u8], out: &mut [u8]) {
            let mut mac = keyed.clone();
            mac.update(header);
            mac.update(fragment);
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        let out = &mut out[..self.len()];
        match self {
            RecordMac::Sha1(m) => run(m, header, fragment, out),
            RecordMac::Sha256(m) => run(m, header, fragment, out),
            RecordMac::Sha384(m) => run(m, header, fragment, out),
        }
    }
}

/// The 13 bytes every MAC and GCM AAD starts with:
/// `seq_num ‖ type ‖ version ‖ length`.
fn pseudo_header(seq: u64, content_type: u8, version: u16, len: usize) -> [u8; 13] {
    let mut h = [0u8; 13];
    h[..8].copy_from_slice(&seq.to_be_bytes());
    h[8] = content_type;
    h[9..11].copy_from_slice(&version.to_be_bytes());
    h[11..13].copy_from_slice(&(len as u16).to_be_bytes());
    h
}

/// Constant-time equality of two equal-length byte strings.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The CBC modes of one direction of record protection, one per AES key
/// size: see [`Sealing`] and [`Opening`].
pub trait CbcDirection {
    /// CBC over AES-128.
    type Aes128: KeyIvInit + IvSizeUser<IvSize = U16> + IvState + SetIvState;
    /// CBC over AES-256.
    type Aes256: KeyIvInit + IvSizeUser<IvSize = U16> + IvState + SetIvState;
}

/// The direction that protects outgoing records.
#[derive(Debug)]
pub enum Sealing {}

/// The direction that opens incoming records.
#[derive(Debug)]
pub enum Opening {}

impl CbcDirection for Sealing {
    type Aes128 = cbc::Encryptor<Aes128>;
    type Aes256 = cbc::Encryptor<Aes256>;
}

impl CbcDirection for Opening {
    type Aes128 = cbc::Decryptor<Aes128>;
    type Aes256 = cbc::Decryptor<Aes256>;
}

/// AES in CBC mode with the key size of the suite, carrying the IV from
/// one record to the next (TLS 1.0) or set per record (TLS 1.1 on).
enum AesCbc<D: CbcDirection> {
    Aes128(D::Aes128),
    Aes256(D::Aes256),
}

impl<D: CbcDirection> AesCbc<D> {
    fn new(key: &[u8], iv: &[u8; AES_BLOCK_LEN]) -> Result<Self, CryptoError> {
        let mode = match key.len() {
            16 => D::Aes128::new_from_slices(key, iv).map(AesCbc::Aes128),
            32 => D::Aes256::new_from_slices(key, iv).map(AesCbc::Aes256),
            _ => return Err(CryptoError::BadKeyLength),
        };
        mode.map_err(|_| CryptoError::BadKeyLength)
    }

    fn set_iv(&mut self, iv: &[u8; AES_BLOCK_LEN]) {
        match self {
            AesCbc::Aes128(m) => m.set_iv(&(*iv).into()),
            AesCbc::Aes256(m) => m.set_iv(&(*iv).into()),
        }
    }

    /// The IV the next block is chained to.
    fn iv(&self) -> [u8; AES_BLOCK_LEN] {
        match self {
            AesCbc::Aes128(m) => m.iv_state().into(),
            AesCbc::Aes256(m) => m.iv_state().into(),
        }
    }
}

impl AesCbc<Sealing> {
    fn encrypt(&mut self, buf: &mut [u8]) {
        let (blocks, rest) = Array::slice_as_chunks_mut(buf);
        debug_assert!(rest.is_empty(), "padding fills the last block");
        match self {
            AesCbc::Aes128(m) => m.encrypt_blocks(blocks),
            AesCbc::Aes256(m) => m.encrypt_blocks(blocks),
        }
    }
}

impl AesCbc<Opening> {
    fn decrypt(&mut self, buf: &mut [u8]) {
        let (blocks, rest) = Array::slice_as_chunks_mut(buf);
        debug_assert!(rest.is_empty(), "the length was checked to be whole blocks");
        match self {
            AesCbc::Aes128(m) => m.decrypt_blocks(blocks),
            AesCbc::Aes256(m) => m.decrypt_blocks(blocks),
        }
    }
}

/// A keyed AEAD. All three take a 12-byte nonce and give a 16-byte tag.
/// The AES variants' key schedules and GHASH tables (850 and 1,100
/// bytes) are boxed, so that a ChaCha20-Poly1305 protection (a 32-byte
/// key) is not as large as the largest.
enum RecordAead {
    Aes128Gcm(Box<Aes128Gcm>),
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha20Poly1305(ChaCha20Poly1305),
}

/// What the AEADs used here have in common.
trait TlsAead: AeadInOut<NonceSize = U12, TagSize = U16> {}
impl<A: AeadInOut<NonceSize = U12, TagSize = U16>> TlsAead for A {}

fn seal_detached<A: TlsAead>(
    aead: &A,
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> [u8; AEAD_TAG_LEN] {
    aead.encrypt_inout_detached(&(*nonce).into(), aad, buf.into())
        .expect("a 2^14-byte record is far below every AEAD's length limit")
        .into()
}

fn open_detached<A: TlsAead>(
    aead: &A,
    nonce: &[u8; AEAD_NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; AEAD_TAG_LEN],
) -> Result<(), CryptoError> {
    aead.decrypt_inout_detached(&(*nonce).into(), aad, buf.into(), &(*tag).into())
        .map_err(|_| CryptoError::BadRecordMac)
}

impl RecordAead {
    fn new(bulk: BulkCipher, key: &[u8]) -> Result<Self, CryptoError> {
        let aead = match bulk {
            BulkCipher::Aes128Gcm => {
                Aes128Gcm::new_from_slice(key).map(|a| RecordAead::Aes128Gcm(Box::new(a)))
            }
            BulkCipher::Aes256Gcm => {
                Aes256Gcm::new_from_slice(key).map(|a| RecordAead::Aes256Gcm(Box::new(a)))
            }
            BulkCipher::ChaCha20Poly1305 => {
                ChaCha20Poly1305::new_from_slice(key).map(RecordAead::ChaCha20Poly1305)
            }
            BulkCipher::Aes128Cbc | BulkCipher::Aes256Cbc => return Err(CryptoError::BadKeyLength),
        };
        aead.map_err(|_| CryptoError::BadKeyLength)
    }

    /// Keys `bulk` with `key` in place of the key in use, writing an AES
    /// key schedule into the box it replaces: a connection's next keys
    /// land in memory it has just used rather than in a fresh allocation.
    /// On error the key in use stays.
    fn rekey(&mut self, bulk: BulkCipher, key: &[u8]) -> Result<(), CryptoError> {
        match (self, bulk) {
            (RecordAead::Aes128Gcm(a), BulkCipher::Aes128Gcm) => {
                **a = Aes128Gcm::new_from_slice(key).map_err(|_| CryptoError::BadKeyLength)?;
            }
            (RecordAead::Aes256Gcm(a), BulkCipher::Aes256Gcm) => {
                **a = Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::BadKeyLength)?;
            }
            (this, _) => *this = RecordAead::new(bulk, key)?,
        }
        Ok(())
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> [u8; AEAD_TAG_LEN] {
        match self {
            RecordAead::Aes128Gcm(a) => seal_detached(&**a, nonce, aad, buf),
            RecordAead::Aes256Gcm(a) => seal_detached(&**a, nonce, aad, buf),
            RecordAead::ChaCha20Poly1305(a) => seal_detached(a, nonce, aad, buf),
        }
    }

    fn open(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<(), CryptoError> {
        match self {
            RecordAead::Aes128Gcm(a) => open_detached(&**a, nonce, aad, buf, tag),
            RecordAead::Aes256Gcm(a) => open_detached(&**a, nonce, aad, buf, tag),
            RecordAead::ChaCha20Poly1305(a) => open_detached(a, nonce, aad, buf, tag),
        }
    }
}

/// How an AEAD record's nonce is made from the key-block IV.
#[derive(Clone, Copy)]
enum AeadNonce {
    /// RFC 5288 §3: `salt ‖ explicit`, the 8 explicit bytes sent first in
    /// each record: this end sends `first` plus the sequence number
    /// (`first` is 0 unless pinned; OpenSSL starts at a random value).
    GcmExplicit {
        salt: [u8; GCM_SALT_LEN],
        first: u64,
    },
    /// RFC 7905 §2: the 64-bit sequence number, left-padded to 12 bytes,
    /// XORed with the 12-byte IV; nothing is sent.
    ChaChaImplicit { iv: [u8; CHACHA20_POLY1305_IV_LEN] },
}

impl AeadNonce {
    fn new(bulk: BulkCipher, fixed_iv: &[u8]) -> Result<Self, CryptoError> {
        let bad = |_| CryptoError::BadKeyLength;
        Ok(match bulk {
            BulkCipher::ChaCha20Poly1305 => AeadNonce::ChaChaImplicit {
                iv: fixed_iv.try_into().map_err(bad)?,
            },
            _ => AeadNonce::GcmExplicit {
                salt: fixed_iv.try_into().map_err(bad)?,
                first: 0,
            },
        })
    }

    /// The bytes each record carries before its ciphertext.
    fn explicit_len(self) -> usize {
        match self {
            AeadNonce::GcmExplicit { .. } => GCM_EXPLICIT_NONCE_LEN,
            AeadNonce::ChaChaImplicit { .. } => 0,
        }
    }

    /// The explicit nonce this end sends with record `seq`.
    fn explicit(self, seq: u64) -> [u8; GCM_EXPLICIT_NONCE_LEN] {
        match self {
            AeadNonce::GcmExplicit { first, .. } => first.wrapping_add(seq).to_be_bytes(),
            AeadNonce::ChaChaImplicit { .. } => [0; GCM_EXPLICIT_NONCE_LEN],
        }
    }

    /// The nonce of a record: `explicit` is the record's explicit nonce
    /// for GCM, unused for ChaCha20-Poly1305, which uses `seq`.
    fn nonce(self, seq: u64, explicit: &[u8]) -> [u8; AEAD_NONCE_LEN] {
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        match self {
            AeadNonce::GcmExplicit { salt, .. } => {
                nonce[..GCM_SALT_LEN].copy_from_slice(&salt);
                nonce[GCM_SALT_LEN..].copy_from_slice(explicit);
            }
            AeadNonce::ChaChaImplicit { iv } => {
                nonce[AEAD_NONCE_LEN - 8..].copy_from_slice(&seq.to_be_bytes());
                nonce.iter_mut().zip(iv).for_each(|(n, i)| *n ^= i);
            }
        }
        nonce
    }
}

/// The cipher state of one direction.
#[allow(
    clippy::large_enum_variant,
    reason = "one per connection direction and never moved per record; the CBC variant holds its HMAC keys"
)]
enum CipherState<D: CbcDirection> {
    Cbc {
        /// Boxed: its key schedules (up to 990 bytes) would make every
        /// protection that large.
        mode: Box<AesCbc<D>>,
        mac: RecordMac,
        /// TLS 1.1 and later send a fresh IV in each record.
        explicit_iv: bool,
        /// RFC 7366: the MAC covers the IV and ciphertext and is sent
        /// after them.
        encrypt_then_mac: bool,
    },
    Aead {
        aead: RecordAead,
        nonce: AeadNonce,
    },
}

fn first_iv(fixed_iv: &[u8], explicit_iv: bool) -> Result<[u8; AES_BLOCK_LEN], CryptoError> {
    if explicit_iv {
        // The initial state is never used: every record sets its own IV.
        Ok([0; AES_BLOCK_LEN])
    } else {
        fixed_iv.try_into().map_err(|_| CryptoError::BadKeyLength)
    }
}

/// Picks the keys one side writes with out of a key block.
fn keys_of(kb: &KeyBlock, writer: Side) -> (&[u8], &[u8], &[u8]) {
    match writer {
        Side::Client => (&kb.client_mac_key, &kb.client_write_key, &kb.client_iv),
        Side::Server => (&kb.server_mac_key, &kb.server_write_key, &kb.server_iv),
    }
}

/// Record protection in one direction, with its sequence number (RFC 5246
/// §6.1); `D` says which way: see [`RecordEncrypter`] and [`RecordDecrypter`].
pub struct RecordProtection<D: CbcDirection> {
    seq: u64,
    state: CipherState<D>,
    last: RecordTrace,
}

/// A change to a CBC record between its MAC and its encryption, for
/// scripted peers that test how a receiver handles a bad MAC or padding
/// (RFC 5246 §6.2.3.2): it gets the MAC and the padding (the
/// padding_length byte last) and may change, cut or extend either.
pub type CbcTamper<'a> = &'a mut dyn FnMut(&mut Vec<u8>, &mut Vec<u8>);

/// Protects outgoing records in one direction.
pub type RecordEncrypter = RecordProtection<Sealing>;

/// Removes protection from incoming records in one direction.
pub type RecordDecrypter = RecordProtection<Opening>;

impl<D: CbcDirection> RecordProtection<D> {
    /// The protection for `suite` under protocol `version`, from the raw
    /// keys of the side that writes: the MAC key (empty for AEADs), the
    /// write key and the key-block IV (16 bytes for TLS 1.0 CBC, empty for
    /// later CBC, the 4-byte GCM salt, the 12-byte ChaCha20-Poly1305 IV).
    pub fn new(
        suite: &CipherSuiteParams,
        version: u16,
        mac_key: &[u8],
        write_key: &[u8],
        fixed_iv: &[u8],
    ) -> Result<Self, CryptoError> {
        suite.check_version(version)?;
        if write_key.len() != suite.bulk.key_len() {
            return Err(CryptoError::BadKeyLength);
        }
        let state = if suite.bulk.is_cbc() {
            let explicit_iv = version > TLS10;
            CipherState::Cbc {
                mode: Box::new(AesCbc::new(write_key, &first_iv(fixed_iv, explicit_iv)?)?),
                mac: RecordMac::new(suite.mac, mac_key)?,
                explicit_iv,
                encrypt_then_mac: false,
            }
        } else {
            CipherState::Aead {
                aead: RecordAead::new(suite.bulk, write_key)?,
                nonce: AeadNonce::new(suite.bulk, fixed_iv)?,
            }
        };
        Ok(RecordProtection {
            seq: 0,
            state,
            last: RecordTrace::default(),
        })
    }

    /// The protection of records written by `writer`, from a key block
    /// derived for `suite` and `version`.
    pub fn from_key_block(
        suite: &CipherSuiteParams,
        version: u16,
        key_block: &KeyBlock,
        writer: Side,
    ) -> Result<Self, CryptoError> {
        let (mac, key, iv) = keys_of(key_block, writer);
        Self::new(suite, version, mac, key, iv)
    }

    /// RFC 7366 §3: switches a CBC protection to encrypt-then-MAC, as both
    /// hellos agreed; an AEAD has no separate MAC and stays as it is.
    #[must_use]
    pub fn with_encrypt_then_mac(mut self) -> Self {
        if let CipherState::Cbc {
            encrypt_then_mac, ..
        } = &mut self.state
        {
            *encrypt_then_mac = true;
        }
        self
    }

    /// The sequence number of the next record.
    pub fn sequence_number(&self) -> u64 {
        self.seq
    }

    /// The IV, MAC and padding of the last record protected or opened.
    pub fn last_record(&self) -> &RecordTrace {
        &self.last
    }
}

impl RecordEncrypter {
    /// AES-GCM: the explicit nonce of the first record, each later record
    /// adding one, instead of the sequence number (RFC 5288 §3 leaves the
    /// choice to the sender). No effect on other ciphers.
    pub fn start_explicit_nonces_at(&mut self, first: [u8; GCM_EXPLICIT_NONCE_LEN]) {
        if let CipherState::Aead {
            nonce: AeadNonce::GcmExplicit { first: start, .. },
            ..
        } = &mut self.state
        {
            *start = u64::from_be_bytes(first);
        }
    }

    /// Protects one record and returns its fragment (without the 5-byte
    /// record header). A CBC record from TLS 1.1 on draws its 16-byte
    /// explicit IV from `rng`; no other case draws from `rng`.
    ///
    /// # Panics
    /// If `plaintext` is longer than [`MAX_PLAINTEXT_LEN`]: the record
    /// layer must fragment first.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        content_type: u8,
        version: u16,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        self.encrypt_into(content_type, version, plaintext, rng, &mut out);
        out
    }

    /// Like [`encrypt`](Self::encrypt), with the CBC explicit IV pinned
    /// instead of drawn (scenarios that reproduce a captured trace). The IV
    /// is ignored by TLS 1.0 CBC (chained) and by the AEADs (sequence
    /// number).
    pub fn encrypt_with_iv(
        &mut self,
        content_type: u8,
        version: u16,
        plaintext: &[u8],
        explicit_iv: &[u8; AES_BLOCK_LEN],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        self.seal(
            content_type,
            version,
            plaintext,
            *explicit_iv,
            None,
            &mut out,
        );
        out
    }

    /// Like [`encrypt`](Self::encrypt), appending the fragment to `out` so
    /// that a caller can reuse one buffer for the header and fragment.
    pub fn encrypt_into<R: CryptoRng + ?Sized>(
        &mut self,
        content_type: u8,
        version: u16,
        plaintext: &[u8],
        rng: &mut R,
        out: &mut Vec<u8>,
    ) {
        let iv = self.draw_iv(rng);
        self.seal(content_type, version, plaintext, iv, None, out);
    }

    /// Like [`encrypt`](Self::encrypt), with `tamper` changing a CBC
    /// record's MAC and padding before encryption; zero bytes then fill the
    /// last block, as CBC encrypts whole blocks only. A GCM record is
    /// sealed as by `encrypt` (its tag is the fragment's last 16 bytes).
    pub fn encrypt_tampered<R: CryptoRng + ?Sized>(
        &mut self,
        content_type: u8,
        version: u16,
        plaintext: &[u8],
        rng: &mut R,
        tamper: CbcTamper<'_>,
    ) -> Vec<u8> {
        let iv = self.draw_iv(rng);
        let mut out = Vec::new();
        self.seal(content_type, version, plaintext, iv, Some(tamper), &mut out);
        out
    }

    fn draw_iv<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> [u8; AES_BLOCK_LEN] {
        let mut iv = [0u8; AES_BLOCK_LEN];
        if let CipherState::Cbc {
            explicit_iv: true, ..
        } = self.state
        {
            // RFC 5246 §6.2.3.2: the IV SHOULD be chosen at random.
            rng.fill_bytes(&mut iv);
        }
        iv
    }

    /// The number of bytes a fragment of `plaintext_len` bytes grows to,
    /// at most, when protected.
    pub fn max_overhead(&self) -> usize {
        match &self.state {
            // Either layout: the IV, the MAC and at most a block of padding.
            CipherState::Cbc { mac, .. } => AES_BLOCK_LEN + mac.len() + AES_BLOCK_LEN,
            CipherState::Aead { nonce, .. } => nonce.explicit_len() + AEAD_TAG_LEN,
        }
    }

    fn seal(
        &mut self,
        content_type: u8,
        version: u16,
        plaintext: &[u8],
        explicit: [u8; AES_BLOCK_LEN],
        tamper: Option<CbcTamper<'_>>,
        out: &mut Vec<u8>,
    ) {
        assert!(
            plaintext.len() <= MAX_PLAINTEXT_LEN,
            "record plaintext of {} bytes: the record layer must fragment to 2^14 first",
            plaintext.len()
        );
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let header = pseudo_header(seq, content_type, version, plaintext.len());
        let mut trace = RecordTrace {
            seq,
            ..RecordTrace::default()
        };
        match &mut self.state {
            CipherState::Cbc {
                mode,
                mac,
                explicit_iv,
                encrypt_then_mac: true,
            } => {
                // RFC 7366 §3: pad and encrypt the content alone, then MAC
                // the header (with the length of IV and ciphertext), the IV
                // and the ciphertext; the MAC goes last, in the clear.
                let padding_len = (AES_BLOCK_LEN - 1 - plaintext.len() % AES_BLOCK_LEN) as u8;
                let start = out.len();
                if *explicit_iv {
                    mode.set_iv(&explicit);
                    out.extend_from_slice(&explicit);
                }
                trace.set_iv(&mode.iv());
                let body = out.len();
                out.extend_from_slice(plaintext);
                out.resize(out.len() + usize::from(padding_len) + 1, padding_len);
                mode.encrypt(&mut out[body..]);
                let header = pseudo_header(seq, content_type, version, out.len() - start);
                let mut tag = [0u8; MAX_MAC_LEN];
                mac.compute(&header, &out[start..], &mut tag);
                let tag = &tag[..mac.len()];
                out.extend_from_slice(tag);
                trace.set_mac(tag);
                trace.padding_len = padding_len;
                trace.encrypt_then_mac = true;
            }
            CipherState::Cbc {
                mode,
                mac,
                explicit_iv,
                encrypt_then_mac: false,
            } => {
                let mut tag = [0u8; MAX_MAC_LEN];
                mac.compute(&header, plaintext, &mut tag);
                let tag = &tag[..mac.len()];
                // RFC 5246 §6.2.3.2: padding makes the length a multiple of
                // the block; every padding byte and the length byte hold
                // padding_length. We use the minimum.
                let content_len = plaintext.len() + tag.len();
                let padding_len = (AES_BLOCK_LEN - 1 - content_len % AES_BLOCK_LEN) as u8;
                let start = out.len();
                let iv_len = if *explicit_iv { AES_BLOCK_LEN } else { 0 };
                out.reserve(iv_len + content_len + usize::from(padding_len) + 1);
                if *explicit_iv {
                    mode.set_iv(&explicit);
                    out.extend_from_slice(&explicit);
                }
                trace.set_iv(&mode.iv());
                out.extend_from_slice(plaintext);
                out.extend_from_slice(tag);
                out.resize(out.len() + usize::from(padding_len) + 1, padding_len);
                if let Some(tamper) = tamper {
                    let mac_start = start + iv_len + plaintext.len();
                    let mut mac_bytes = tag.to_vec();
                    let mut padding = out.split_off(mac_start + tag.len());
                    tamper(&mut mac_bytes, &mut padding);
                    out.truncate(mac_start);
                    out.extend_from_slice(&mac_bytes);
                    out.extend_from_slice(&padding);
                    let partial = (out.len() - start - iv_len) % AES_BLOCK_LEN;
                    out.resize(out.len() + (AES_BLOCK_LEN - partial) % AES_BLOCK_LEN, 0);
                }
                // TLS 1.0: the encryptor keeps the last ciphertext block as
                // the next record's IV (RFC 2246 §6.2.3.2).
                mode.encrypt(&mut out[start + iv_len..]);
                trace.set_mac(tag);
                trace.padding_len = padding_len;
            }
            CipherState::Aead { aead, nonce } => {
                // RFC 5288 §3: this end's explicit GCM nonce counts with the
                // sequence number; RFC 7905 §2: ChaCha20-Poly1305 sends none.
                let explicit = &nonce.explicit(seq)[..nonce.explicit_len()];
                let nonce = nonce.nonce(seq, explicit);
                out.reserve(explicit.len() + plaintext.len() + AEAD_TAG_LEN);
                out.extend_from_slice(explicit);
                let body = out.len();
                out.extend_from_slice(plaintext);
                let tag = aead.seal(&nonce, &header, &mut out[body..]);
                out.extend_from_slice(&tag);
                trace.set_iv(&nonce);
                trace.set_mac(&tag);
            }
        }
        self.last = trace;
    }
}

impl RecordDecrypter {
    /// Opens one record fragment (without its 5-byte header) and returns
    /// the plaintext. `content_type` and `version` are the record header's.
    ///
    /// Every failure to authenticate is [`CryptoError::BadRecordMac`];
    /// a plaintext over 2^14 bytes is [`CryptoError::RecordOverflow`].
    /// The sequence number advances only on success: a failed record is
    /// fatal to the connection anyway (RFC 5246 §7.2.2).
    pub fn decrypt(
        &mut self,
        content_type: u8,
        version: u16,
        fragment: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let seq = self.seq;
        let mut trace = RecordTrace {
            seq,
            ..RecordTrace::default()
        };
        let plaintext = match &mut self.state {
            CipherState::Cbc {
                mode,
                mac,
                explicit_iv,
                encrypt_then_mac: true,
            } => {
                let iv_len = if *explicit_iv { AES_BLOCK_LEN } else { 0 };
                let mac_len = mac.len();
                // At least the IV, one block and the MAC.
                let Some(protected_len) = fragment.len().checked_sub(mac_len) else {
                    return Err(CryptoError::BadRecordMac);
                };
                let body_len = protected_len.wrapping_sub(iv_len);
                if protected_len < iv_len + AES_BLOCK_LEN || body_len % AES_BLOCK_LEN != 0 {
                    return Err(CryptoError::BadRecordMac);
                }
                // RFC 7366 §3: check the MAC over IV and ciphertext before
                // decrypting anything.
                let (protected, received_mac) = fragment.split_at(protected_len);
                let header = pseudo_header(seq, content_type, version, protected_len);
                let mut expected = [0u8; MAX_MAC_LEN];
                mac.compute(&header, protected, &mut expected);
                if !ct_eq(&expected[..mac_len], received_mac) {
                    return Err(CryptoError::BadRecordMac);
                }
                let (iv, body) = protected.split_at(iv_len);
                if *explicit_iv {
                    mode.set_iv(iv.try_into().expect("split at 16"));
                }
                trace.set_iv(&mode.iv());
                let mut buf = body.to_vec();
                mode.decrypt(&mut buf);
                let (content_len, padding_ok) = check_padding(&buf, 0);
                if !padding_ok {
                    return Err(CryptoError::BadRecordMac);
                }
                trace.set_mac(received_mac);
                trace.padding_len = buf[buf.len() - 1];
                trace.encrypt_then_mac = true;
                buf.truncate(content_len);
                buf
            }
            CipherState::Cbc {
                mode,
                mac,
                explicit_iv,
                encrypt_then_mac: false,
            } => {
                let iv_len = if *explicit_iv { AES_BLOCK_LEN } else { 0 };
                let mac_len = mac.len();
                let body_len = fragment.len().wrapping_sub(iv_len);
                // The smallest record holds the MAC and one padding byte,
                // rounded up to whole blocks.
                let min_body = (mac_len + 1).div_ceil(AES_BLOCK_LEN) * AES_BLOCK_LEN;
                if fragment.len() < iv_len + min_body || body_len % AES_BLOCK_LEN != 0 {
                    return Err(CryptoError::BadRecordMac);
                }
                let (iv, body) = fragment.split_at(iv_len);
                if *explicit_iv {
                    mode.set_iv(iv.try_into().expect("split at 16"));
                }
                trace.set_iv(&mode.iv());
                let mut buf = body.to_vec();
                mode.decrypt(&mut buf);
                let (content_len, padding_ok) = check_padding(&buf, mac_len);
                let (content, rest) = buf.split_at(content_len);
                let header = pseudo_header(seq, content_type, version, content_len);
                let mut expected = [0u8; MAX_MAC_LEN];
                mac.compute(&header, content, &mut expected);
                let mac_ok = ct_eq(&expected[..mac_len], &rest[..mac_len]);
                // RFC 5246 §6.2.3.2: a padding error and a MAC error must
                // look the same to the peer.
                if !(padding_ok & mac_ok) {
                    return Err(CryptoError::BadRecordMac);
                }
                trace.set_mac(&expected[..mac_len]);
                trace.padding_len = buf[buf.len() - 1];
                buf.truncate(content_len);
                buf
            }
            CipherState::Aead { aead, nonce } => {
                let explicit_len = nonce.explicit_len();
                if fragment.len() < explicit_len + AEAD_TAG_LEN {
                    return Err(CryptoError::BadRecordMac);
                }
                let (explicit, rest) = fragment.split_at(explicit_len);
                let (ciphertext, tag) = rest.split_at(rest.len() - AEAD_TAG_LEN);
                let nonce = nonce.nonce(seq, explicit);
                let header = pseudo_header(seq, content_type, version, ciphertext.len());
                let tag: &[u8; AEAD_TAG_LEN] = tag.try_into().expect("split at 16");
                let mut buf = ciphertext.to_vec();
                aead.open(&nonce, &header, &mut buf, tag)?;
                trace.set_iv(&nonce);
                trace.set_mac(tag);
                buf
            }
        };
        // RFC 5246 §6.2.3: plaintext over 2^14 is record_overflow.
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(CryptoError::RecordOverflow);
        }
        self.seq = self.seq.wrapping_add(1);
        self.last = trace;
        Ok(plaintext)
    }
}

/// Checks TLS CBC padding at the end of `buf` without branching on which
/// byte is wrong. Returns the content length to MAC (as if there were no
/// padding when the padding is bad, as RFC 5246 §6.2.3.2 suggests) and
/// whether the padding was good.
fn check_padding(buf: &[u8], mac_len: usize) -> (usize, bool) {
    let padding_len = usize::from(buf[buf.len() - 1]);
    let fits = padding_len + 1 + mac_len <= buf.len();
    let mut bad = u8::from(!fits);
    // Look at the last 256 bytes (or all of them) every time; count a byte
    // only when it lies inside the claimed padding.
    let window = buf.len().min(256);
    for (i, &byte) in buf[buf.len() - window..].iter().rev().enumerate() {
        let inside = u8::from(i <= padding_len);
        bad |= inside & u8::from(byte != padding_len as u8);
    }
    let ok = bad == 0;
    let strip = if ok { padding_len + 1 } else { 1 };
    (buf.len() - strip - mac_len, ok)
}

pub mod tls13;

#[cfg(test)]
mod tests;
