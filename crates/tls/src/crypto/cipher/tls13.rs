//! TLS 1.3 record protection: one AEAD key and IV per direction, the real
//! content type inside the encryption, optional zero padding.
//!
//! Read first: RFC 8446 §5.2 (`TLSInnerPlaintext`, `TLSCiphertext`, the
//! additional data), §5.3 (the per-record nonce), §5.4 (padding), §5.5
//! (limits).
//!
//! Every protected record goes out as `application_data` with legacy
//! version 0x0303; the content type travels as the last non-zero byte of
//! the plaintext.

use core::marker::PhantomData;

use super::{AEAD_NONCE_LEN, CbcDirection, Opening, RecordAead, RecordTrace, Sealing};
use crate::crypto::CryptoError;
use crate::crypto::key_schedule::{TRAFFIC_IV_LEN, TrafficKeys};
use crate::crypto::suites::{AEAD_TAG_LEN, BulkCipher};
use crate::enums::{ContentType, ProtocolVersion};
use crate::error::{Error, InvalidMessage};

/// RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes."
pub const MAX_TLS13_CIPHERTEXT_LEN: usize = (1 << 14) + 256;
/// RFC 8446 §5.2: `TLSInnerPlaintext` is at most 2^14 bytes of content
/// plus the content type; padding counts against the 2^14.
pub const MAX_INNER_PLAINTEXT_LEN: usize = (1 << 14) + 1;
/// RFC 8446 §5.2: `opaque_type` and `legacy_record_version` of every
/// protected record.
pub const OUTER_CONTENT_TYPE: ContentType = ContentType::ApplicationData;
/// RFC 8446 §5.1: `legacy_record_version` is 0x0303 on every record but a
/// first ClientHello.
pub const LEGACY_RECORD_VERSION: ProtocolVersion = ProtocolVersion::Tls12;

/// A record opened: what its `TLSInnerPlaintext` held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerPlaintext {
    /// The real content type.
    pub typ: ContentType,
    /// The content, padding removed.
    pub content: Vec<u8>,
    /// How many zero bytes of padding followed the content type.
    pub padding_len: usize,
}

/// TLS 1.3 protection of one direction under one traffic secret, with its
/// sequence number (RFC 8446 §5.3), which starts at zero with every new
/// key.
pub struct Tls13Protection<D: CbcDirection> {
    aead: RecordAead,
    iv: [u8; TRAFFIC_IV_LEN],
    seq: u64,
    last: RecordTrace,
    direction: PhantomData<D>,
}

/// Protects outgoing TLS 1.3 records.
pub type Tls13Encrypter = Tls13Protection<Sealing>;
/// Opens incoming TLS 1.3 records.
pub type Tls13Decrypter = Tls13Protection<Opening>;

/// RFC 8446 §5.2: `additional_data = TLSCiphertext.opaque_type ||
/// TLSCiphertext.legacy_record_version || TLSCiphertext.length`.
fn additional_data(ciphertext_len: usize) -> [u8; 5] {
    let len = (ciphertext_len as u16).to_be_bytes();
    let version = LEGACY_RECORD_VERSION.get().to_be_bytes();
    [
        OUTER_CONTENT_TYPE.get(),
        version[0],
        version[1],
        len[0],
        len[1],
    ]
}

impl<D: CbcDirection> Tls13Protection<D> {
    /// The protection of `bulk` with a direction's key and IV.
    ///
    /// # Errors
    /// [`CryptoError::BadKeyLength`] if the key does not fit `bulk`, which
    /// must be an AEAD.
    pub fn new(bulk: BulkCipher, keys: &TrafficKeys) -> Result<Self, CryptoError> {
        Ok(Tls13Protection {
            aead: RecordAead::new(bulk, &keys.key)?,
            iv: keys.iv,
            seq: 0,
            last: RecordTrace::default(),
            direction: PhantomData,
        })
    }

    /// Switches to a new key and IV of `bulk`, as [`new`](Self::new) would
    /// make them, reusing this protection's memory; the sequence number
    /// starts at zero again (RFC 8446 §5.3). On error nothing changes.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn rekey(&mut self, bulk: BulkCipher, keys: &TrafficKeys) -> Result<(), CryptoError> {
        self.aead.rekey(bulk, &keys.key)?;
        self.iv = keys.iv;
        self.seq = 0;
        self.last = RecordTrace::default();
        Ok(())
    }

    /// The sequence number of the next record.
    pub fn sequence_number(&self) -> u64 {
        self.seq
    }

    /// The nonce and tag of the last record protected or opened.
    pub fn last_record(&self) -> &RecordTrace {
        &self.last
    }

    /// RFC 8446 §5.3: the 64-bit sequence number, left-padded with zeros to
    /// the IV's length, XORed with the IV.
    fn nonce(&self, seq: u64) -> [u8; AEAD_NONCE_LEN] {
        let mut nonce = self.iv;
        nonce[AEAD_NONCE_LEN - 8..]
            .iter_mut()
            .zip(seq.to_be_bytes())
            .for_each(|(n, s)| *n ^= s);
        nonce
    }
}

impl Tls13Encrypter {
    /// Protects `content` of type `typ` followed by `padding_len` zero
    /// bytes, and returns the `encrypted_record` (without the 5-byte
    /// header, which is `application_data`, 0x0303 and its length).
    ///
    /// # Panics
    /// If content, type and padding are over 2^14 + 1 bytes: the caller
    /// fragments and chooses padding within the limit.
    pub fn encrypt(&mut self, typ: ContentType, content: &[u8], padding_len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        self.encrypt_into(typ, content, padding_len, &mut out);
        out
    }

    /// Like [`encrypt`](Self::encrypt), appending the `encrypted_record`
    /// to `out`, so that a record's header and body share one buffer.
    ///
    /// # Panics
    /// As [`encrypt`](Self::encrypt).
    pub fn encrypt_into(
        &mut self,
        typ: ContentType,
        content: &[u8],
        padding_len: usize,
        out: &mut Vec<u8>,
    ) {
        let inner_len = content.len() + 1 + padding_len;
        assert!(
            inner_len <= MAX_INNER_PLAINTEXT_LEN,
            "TLSInnerPlaintext of {inner_len} bytes: the caller must fragment to 2^14 first"
        );
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let start = out.len();
        out.reserve(inner_len + AEAD_TAG_LEN);
        out.extend_from_slice(content);
        out.push(typ.get());
        out.resize(start + inner_len, 0);
        let nonce = self.nonce(seq);
        let tag = self.aead.seal(
            &nonce,
            &additional_data(inner_len + AEAD_TAG_LEN),
            &mut out[start..],
        );
        out.extend_from_slice(&tag);
        let mut trace = RecordTrace {
            seq,
            ..RecordTrace::default()
        };
        trace.set_iv(&nonce);
        trace.set_mac(&tag);
        self.last = trace;
    }
}

impl Tls13Decrypter {
    /// Opens the `encrypted_record` of an `application_data` record and
    /// returns its inner content type, content and padding length.
    ///
    /// # Errors
    /// - a record over 2^14 + 256 bytes, or a plaintext over 2^14 + 1:
    ///   `record_overflow` (RFC 8446 §5.2, §5.4);
    /// - a record that does not authenticate: `bad_record_mac` (§5.2);
    /// - a plaintext of zeros only, with no content type:
    ///   `unexpected_message` (§5.4).
    ///
    /// The sequence number advances only on success: a failed record ends
    /// the connection.
    pub fn decrypt(&mut self, encrypted_record: &[u8]) -> Result<InnerPlaintext, Error> {
        if encrypted_record.len() > MAX_TLS13_CIPHERTEXT_LEN {
            return Err(InvalidMessage::RecordOverflow(encrypted_record.len()).into());
        }
        let Some(ciphertext_len) = encrypted_record.len().checked_sub(AEAD_TAG_LEN) else {
            return Err(Error::BadRecordMac);
        };
        let (ciphertext, tag) = encrypted_record.split_at(ciphertext_len);
        let tag: &[u8; AEAD_TAG_LEN] = tag.try_into().expect("split at 16");
        let nonce = self.nonce(self.seq);
        let mut buf = ciphertext.to_vec();
        self.aead
            .open(
                &nonce,
                &additional_data(encrypted_record.len()),
                &mut buf,
                tag,
            )
            .map_err(|_| Error::BadRecordMac)?;
        if buf.len() > MAX_INNER_PLAINTEXT_LEN {
            return Err(InvalidMessage::RecordOverflow(buf.len()).into());
        }
        // RFC 8446 §5.4: the content type is the last non-zero byte; "If a
        // receiving implementation does not find a non-zero octet in the
        // cleartext, it MUST terminate the connection with an
        // "unexpected_message" alert."
        let Some(type_at) = buf.iter().rposition(|&b| b != 0) else {
            return Err(InvalidMessage::UnknownContentType(0).into());
        };
        let padding_len = buf.len() - type_at - 1;
        let typ = ContentType::from(buf[type_at]);
        buf.truncate(type_at);
        let mut trace = RecordTrace {
            seq: self.seq,
            ..RecordTrace::default()
        };
        trace.set_iv(&nonce);
        trace.set_mac(tag);
        self.last = trace;
        self.seq = self.seq.wrapping_add(1);
        Ok(InnerPlaintext {
            typ,
            content: buf,
            padding_len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TrafficKeys {
        TrafficKeys {
            key: vec![7; 16],
            iv: [9; TRAFFIC_IV_LEN],
        }
    }

    fn pair() -> (Tls13Encrypter, Tls13Decrypter) {
        (
            Tls13Encrypter::new(BulkCipher::Aes128Gcm, &keys()).unwrap(),
            Tls13Decrypter::new(BulkCipher::Aes128Gcm, &keys()).unwrap(),
        )
    }

    #[test]
    fn round_trips_type_and_padding() {
        let (mut seal, mut open) = pair();
        let record = seal.encrypt(ContentType::Handshake, b"hello", 3);
        assert_eq!(record.len(), 5 + 1 + 3 + AEAD_TAG_LEN);
        let inner = open.decrypt(&record).unwrap();
        assert_eq!(inner.typ, ContentType::Handshake);
        assert_eq!(inner.content, b"hello");
        assert_eq!(inner.padding_len, 3);
        assert_eq!(open.sequence_number(), 1);
    }

    #[test]
    fn nonce_changes_with_the_sequence_number() {
        let (mut seal, _) = pair();
        let first = seal.encrypt(ContentType::ApplicationData, b"same", 0);
        let first_nonce = seal.last_record().iv().to_vec();
        let second = seal.encrypt(ContentType::ApplicationData, b"same", 0);
        assert_ne!(first, second);
        assert_eq!(first_nonce, [9; 12]);
        assert_eq!(seal.last_record().iv()[11], 9 ^ 1);
    }

    #[test]
    fn rekeyed_protection_seals_as_a_new_one_would() {
        let next = |len: usize| TrafficKeys {
            key: vec![3; len],
            iv: [5; TRAFFIC_IV_LEN],
        };
        let (mut seal, _) = pair();
        seal.encrypt(ContentType::Handshake, b"under the old key", 0);
        for (bulk, len) in [
            (BulkCipher::Aes128Gcm, 16),
            (BulkCipher::ChaCha20Poly1305, 32),
            (BulkCipher::Aes256Gcm, 32),
        ] {
            seal.rekey(bulk, &next(len)).unwrap();
            let mut fresh = Tls13Encrypter::new(bulk, &next(len)).unwrap();
            assert_eq!(seal.sequence_number(), 0);
            assert_eq!(
                seal.encrypt(ContentType::ApplicationData, b"data", 1),
                fresh.encrypt(ContentType::ApplicationData, b"data", 1),
            );
        }
    }

    #[test]
    fn a_failed_rekey_keeps_the_key_in_use() {
        let (mut seal, mut open) = pair();
        let short = TrafficKeys {
            key: vec![3; 5],
            iv: [5; TRAFFIC_IV_LEN],
        };
        assert_eq!(
            seal.rekey(BulkCipher::Aes128Gcm, &short),
            Err(CryptoError::BadKeyLength)
        );
        let record = seal.encrypt(ContentType::ApplicationData, b"data", 0);
        assert_eq!(open.decrypt(&record).unwrap().content, b"data");
    }

    #[test]
    fn rejects_a_flipped_bit_with_bad_record_mac() {
        let (mut seal, mut open) = pair();
        let mut record = seal.encrypt(ContentType::ApplicationData, b"data", 0);
        record[0] ^= 1;
        assert_eq!(open.decrypt(&record).unwrap_err(), Error::BadRecordMac);
        assert_eq!(open.sequence_number(), 0);
    }

    #[test]
    fn rejects_a_record_shorter_than_its_tag() {
        let (_, mut open) = pair();
        assert_eq!(open.decrypt(&[0; 15]).unwrap_err(), Error::BadRecordMac);
    }

    #[test]
    fn rejects_all_zero_plaintext_with_unexpected_message() {
        let (mut seal, mut open) = pair();
        // Type 0 followed by zeros: no non-zero byte at all.
        let record = seal.encrypt(ContentType::Unknown(0), &[], 4);
        let err = open.decrypt(&record).unwrap_err();
        assert_eq!(
            err,
            Error::InvalidMessage(InvalidMessage::UnknownContentType(0))
        );
        assert_eq!(
            err.alert(),
            Some(crate::enums::AlertDescription::UnexpectedMessage)
        );
    }

    #[test]
    fn rejects_an_overlong_record_with_record_overflow() {
        let (_, mut open) = pair();
        let err = open
            .decrypt(&vec![0; MAX_TLS13_CIPHERTEXT_LEN + 1])
            .unwrap_err();
        assert_eq!(
            err.alert(),
            Some(crate::enums::AlertDescription::RecordOverflow)
        );
    }
}
