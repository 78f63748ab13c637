//! The record layer's framing: headers, records, reassembly and
//! fragmentation (RFC 5246 §6.2).
//!
//! Read first: RFC 5246 §6.2.1 (fragmentation, `TLSPlaintext`), §6.2.3
//! (`TLSCiphertext` length limit), §7.4 (handshake messages may span
//! records, and records may hold several messages).
//!
//! Data flows through three pieces:
//! - [`Deframer`]: TCP delivers bytes in arbitrary chunks; the deframer
//!   buffers them and yields whole [`Record`]s. A bad header poisons it.
//! - [`HandshakeJoiner`]: handshake messages are cut across records and
//!   packed several to a record; the joiner yields each whole message with
//!   its exact bytes, which the Finished transcript hash needs.
//! - [`fragment`]: the sending side, splitting a payload into records of at
//!   most 2^14 bytes.
//!
//! Record protection (decryption, MAC) happens between the deframer and
//! the joiner and lives in [`crate::crypto`].

use tlsim_sim::buffers;

use crate::codec::{Codec, MAX_U24, Reader};
use crate::enums::{ContentType, HandshakeType, ProtocolVersion};
use crate::error::{Error, InvalidMessage};
use crate::msgs::{HANDSHAKE_HEADER_LEN, HandshakeMessage};

/// Content type (1), version (2) and length (2).
pub const HEADER_LEN: usize = 5;
/// RFC 5246 §6.2.1: "The length (in bytes) of the following
/// TLSPlaintext.fragment. The length MUST NOT exceed 2^14."
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;
/// RFC 5246 §6.2.3: "The length MUST NOT exceed 2^14 + 2048."
pub const MAX_CIPHERTEXT_LEN: usize = (1 << 14) + 2048;
/// The largest handshake message body a joiner buffers unless told
/// otherwise: 1 MiB. RFC 5246 §7.4 allows 2^24-1 bytes; real hellos stay
/// below 2^17 (every length field of a Client Hello filled), and long
/// certificate chains below 2^16, so this bounds memory without refusing
/// real peers.
pub const DEFAULT_MAX_HANDSHAKE_LEN: usize = 1 << 20;

/// The five bytes in front of every record (RFC 5246 §6.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// What the fragment holds.
    pub typ: ContentType,
    /// The record-layer version (TLS 1.0 in a first Client Hello even when
    /// the client offers 1.2).
    pub version: ProtocolVersion,
    /// The fragment's length.
    pub length: u16,
}

impl Codec for RecordHeader {
    fn encode(&self, out: &mut Vec<u8>) {
        self.typ.encode(out);
        self.version.encode(out);
        self.length.encode(out);
    }

    /// Reads and checks a header: a defined content type, an SSL 3.0 or
    /// TLS version, and a length within RFC 5246 §6.2.3's ciphertext limit.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let typ = ContentType::read(r)?;
        let version = ProtocolVersion::read(r)?;
        let length = r.u16("record length")?;
        // RFC 5246 §6: "If a TLS implementation receives an unexpected
        // record type, it MUST send an unexpected_message alert."
        if !matches!(
            typ,
            ContentType::ChangeCipherSpec
                | ContentType::Alert
                | ContentType::Handshake
                | ContentType::ApplicationData
        ) {
            return Err(InvalidMessage::UnknownContentType(typ.get()));
        }
        // RFC 5246 Appendix E.1: every SSL 3.0 and TLS record starts with
        // major version 3.
        if version.get() >> 8 != 3 {
            return Err(InvalidMessage::UnsupportedRecordVersion(version));
        }
        if usize::from(length) > MAX_CIPHERTEXT_LEN {
            return Err(InvalidMessage::RecordOverflow(usize::from(length)));
        }
        Ok(RecordHeader {
            typ,
            version,
            length,
        })
    }
}

/// One record: header fields and fragment (plaintext or ciphertext).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// What the fragment holds.
    pub typ: ContentType,
    /// The record-layer version.
    pub version: ProtocolVersion,
    /// The fragment.
    pub fragment: Vec<u8>,
}

impl Record {
    /// The header that goes in front of this record's fragment.
    ///
    /// # Panics
    /// If the fragment is longer than 2^16-1 bytes: the fragmenter and
    /// record protection never build one, so that is a bug.
    pub fn header(&self) -> RecordHeader {
        RecordHeader {
            typ: self.typ,
            version: self.version,
            length: u16::try_from(self.fragment.len())
                .expect("record fragment longer than 2^16-1 bytes"),
        }
    }

    /// Checks the RFC 5246 §6.2.1 limit on a plaintext fragment, for
    /// records read before encryption starts or after decryption.
    ///
    /// # Errors
    /// [`InvalidMessage::RecordOverflow`] above 2^14 bytes.
    pub fn check_plaintext_len(&self) -> Result<(), InvalidMessage> {
        if self.fragment.len() > MAX_PLAINTEXT_LEN {
            return Err(InvalidMessage::RecordOverflow(self.fragment.len()));
        }
        Ok(())
    }
}

impl Codec for Record {
    fn encode(&self, out: &mut Vec<u8>) {
        self.header().encode(out);
        out.extend_from_slice(&self.fragment);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let header = RecordHeader::read(r)?;
        let fragment = r.take(usize::from(header.length), "record fragment")?;
        Ok(Record {
            typ: header.typ,
            version: header.version,
            fragment: fragment.to_vec(),
        })
    }
}

/// Splits `payload` into records of at most 2^14 bytes (RFC 5246 §6.2.1).
/// An empty payload gives no records.
pub fn fragment(typ: ContentType, version: ProtocolVersion, payload: &[u8]) -> Vec<Record> {
    fragment_with_limit(typ, version, payload, MAX_PLAINTEXT_LEN)
}

/// Splits `payload` into records of at most `max_fragment_len` bytes,
/// clamped to 1..=2^14, so scenarios can reproduce a peer that cuts its
/// flight into small records.
pub fn fragment_with_limit(
    typ: ContentType,
    version: ProtocolVersion,
    payload: &[u8],
    max_fragment_len: usize,
) -> Vec<Record> {
    payload
        .chunks(max_fragment_len.clamp(1, MAX_PLAINTEXT_LEN))
        .map(|chunk| Record {
            typ,
            version,
            fragment: chunk.to_vec(),
        })
        .collect()
}

/// Buffers bytes from the transport and yields whole records.
///
/// Call [`push`](Deframer::push) with each chunk as it arrives, then
/// [`pop`](Deframer::pop) until it returns `None`. After an error every
/// `pop` returns the same error: the bytes after a bad header cannot be
/// framed.
#[derive(Clone, Debug, Default)]
pub struct Deframer {
    buf: Vec<u8>,
    /// Where the next record starts in `buf`: the bytes before it are
    /// taken, and go at the next `push`, so that popping a run of records
    /// moves the rest once rather than after each.
    start: usize,
    error: Option<Error>,
    /// A fragment buffer handed back by [`recycle`](Deframer::recycle),
    /// for the next record to fill instead of allocating one.
    spare: Vec<u8>,
}

impl Deframer {
    /// An empty deframer.
    pub fn new() -> Self {
        Deframer::default()
    }

    /// Gives the receive buffer's room back (see [`buffers::give_back`])
    /// as the connection ends.
    pub(crate) fn give_back_buffer(&mut self) {
        buffers::give_back(&mut self.buf);
        self.start = 0;
    }

    /// Gives the receive buffer's room back (see [`buffers::recycle`]) when no
    /// partial record waits in it: between reads it then serves whichever
    /// connection reads next, while it is still in the cache.
    pub(crate) fn give_back_if_drained(&mut self) {
        if self.buffered() == 0 {
            buffers::recycle(&mut self.buf);
            self.start = 0;
        }
    }

    /// Appends received bytes. Ignored once the deframer is poisoned.
    pub fn push(&mut self, bytes: &[u8]) {
        self.push_with(bytes.len(), |buf| buf.extend_from_slice(bytes));
    }

    /// Has `read` append about `expected` received bytes straight to the
    /// buffer, saving the copy through a caller's buffer that
    /// [`push`](Self::push) would need. Once the deframer is poisoned,
    /// what `read` appends is dropped.
    pub fn push_with(&mut self, expected: usize, read: impl FnOnce(&mut Vec<u8>)) {
        if self.error.is_some() {
            read(&mut Vec::new());
            return;
        }
        self.buf.drain(..self.start);
        self.start = 0;
        buffers::reserve(&mut self.buf, expected);
        read(&mut self.buf);
    }

    /// The next whole record, `None` if more bytes are needed, or the error
    /// that poisoned the stream.
    ///
    /// The header is checked as soon as its five bytes are in, so an
    /// oversized or nonsensical record is refused before its body arrives.
    #[must_use]
    pub fn pop(&mut self) -> Option<Result<Record, Error>> {
        if let Some(error) = &self.error {
            return Some(Err(error.clone()));
        }
        let waiting = &self.buf[self.start..];
        if waiting.len() < HEADER_LEN {
            return None;
        }
        let header = match RecordHeader::read(&mut Reader::new(&waiting[..HEADER_LEN])) {
            Ok(header) => header,
            Err(e) => {
                let error = Error::from(e);
                self.error = Some(error.clone());
                self.buf.clear();
                self.start = 0;
                return Some(Err(error));
            }
        };
        let total = HEADER_LEN + usize::from(header.length);
        if waiting.len() < total {
            return None;
        }
        let body = &waiting[HEADER_LEN..total];
        let mut fragment = std::mem::take(&mut self.spare);
        if fragment.capacity() < body.len() {
            // Growing a spare too small would copy its stale bytes too.
            fragment = Vec::with_capacity(body.len());
        }
        fragment.clear();
        fragment.extend_from_slice(body);
        self.start += total;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Some(Ok(Record {
            typ: header.typ,
            version: header.version,
            fragment,
        }))
    }

    /// Takes back a popped record's fragment, once its content has been
    /// read, so that the next record reuses its allocation.
    pub fn recycle(&mut self, fragment: Vec<u8>) {
        if fragment.capacity() > self.spare.capacity() {
            self.spare = fragment;
        }
    }

    /// How many bytes wait for the rest of their record.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether an error has poisoned the stream.
    pub fn is_poisoned(&self) -> bool {
        self.error.is_some()
    }
}

/// A whole handshake message: its type, the exact bytes it arrived as
/// (header and body, for the transcript hash of RFC 5246 §7.4.9), and its
/// decoding.
///
/// A body that does not decode is no framing error: the receiver first
/// checks that it expects the type at all (RFC 5246 §7.2.2: an unexpected
/// message is unexpected_message, however it is built), then decodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinedMessage {
    /// The type in the message's header.
    pub typ: HandshakeType,
    /// Its bytes on the wire, header included.
    pub bytes: Vec<u8>,
    decoded: Result<HandshakeMessage, InvalidMessage>,
}

impl JoinedMessage {
    /// The decoded message, or why its body does not decode.
    ///
    /// # Errors
    /// The [`InvalidMessage`] the body's codec reported.
    pub fn message(&self) -> Result<&HandshakeMessage, InvalidMessage> {
        self.decoded.as_ref().map_err(|e| *e)
    }
}

/// Reassembles handshake messages from the plaintext fragments of
/// Handshake records.
///
/// Call [`push`](HandshakeJoiner::push) with each record's fragment, then
/// [`pop`](HandshakeJoiner::pop) until it returns `None`. Framing errors
/// are sticky, as for the [`Deframer`].
#[derive(Clone, Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    error: Option<Error>,
    max_len: usize,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        HandshakeJoiner::with_limit(DEFAULT_MAX_HANDSHAKE_LEN)
    }
}

impl HandshakeJoiner {
    /// An empty joiner that buffers bodies of up to
    /// [`DEFAULT_MAX_HANDSHAKE_LEN`] bytes.
    pub fn new() -> Self {
        HandshakeJoiner::default()
    }

    /// An empty joiner that refuses a message whose body is longer than
    /// `max_len` bytes, clamped to the protocol's 2^24-1 (RFC 5246 §7.4).
    pub fn with_limit(max_len: usize) -> Self {
        HandshakeJoiner {
            buf: Vec::new(),
            error: None,
            max_len: max_len.min(MAX_U24),
        }
    }

    /// Adds the plaintext fragment of one Handshake record.
    ///
    /// # Errors
    /// [`InvalidMessage::EmptyFragment`] for an empty fragment (RFC 5246
    /// §6.2.1), [`InvalidMessage::RecordOverflow`] above 2^14 bytes, or the
    /// error that already poisoned the joiner.
    pub fn push(&mut self, fragment: &[u8]) -> Result<(), Error> {
        self.check_fragment(fragment.len())?;
        self.buf.extend_from_slice(fragment);
        Ok(())
    }

    /// [`push`](Self::push) of an owned fragment: one that arrives with
    /// nothing buffered (a record that starts a message, the common case)
    /// becomes the buffer, uncopied.
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub fn push_owned(&mut self, fragment: Vec<u8>) -> Result<(), Error> {
        if !self.buf.is_empty() {
            return self.push(&fragment);
        }
        self.check_fragment(fragment.len())?;
        self.buf = fragment;
        Ok(())
    }

    /// The errors of [`push`](Self::push), for a fragment of `len` bytes.
    fn check_fragment(&mut self, len: usize) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let problem = if len == 0 {
            Some(InvalidMessage::EmptyFragment(ContentType::Handshake))
        } else if len > MAX_PLAINTEXT_LEN {
            Some(InvalidMessage::RecordOverflow(len))
        } else {
            None
        };
        match problem {
            Some(e) => Err(self.poison(e)),
            None => Ok(()),
        }
    }

    /// The next whole message, `None` if more fragments are needed, or the
    /// error that poisoned the joiner: a header announcing a body above the
    /// limit poisons it before the body is buffered. A body that does not
    /// decode does not (see [`JoinedMessage::message`]).
    #[must_use]
    pub fn pop(&mut self) -> Option<Result<JoinedMessage, Error>> {
        if let Some(error) = &self.error {
            return Some(Err(error.clone()));
        }
        if self.buf.len() < HANDSHAKE_HEADER_LEN {
            return None;
        }
        let body_len = u32::from_be_bytes([0, self.buf[1], self.buf[2], self.buf[3]]) as usize;
        if body_len > self.max_len {
            return Some(Err(self.poison(InvalidMessage::HandshakeTooLarge(body_len))));
        }
        let total = HANDSHAKE_HEADER_LEN + body_len;
        if self.buf.len() < total {
            return None;
        }
        // A message that fills the buffer (the common case) leaves
        // with it, uncopied.
        let bytes: Vec<u8> = if self.buf.len() == total {
            std::mem::take(&mut self.buf)
        } else {
            self.buf.drain(..total).collect()
        };
        Some(Ok(JoinedMessage {
            typ: HandshakeType::from(bytes[0]),
            decoded: HandshakeMessage::from_bytes(&bytes),
            bytes,
        }))
    }

    /// Whether no partial message is buffered. A ChangeCipherSpec or an
    /// encryption change must only come when this holds (RFC 5246 §7.1:
    /// the CCS is sent between whole handshake messages).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn poison(&mut self, e: InvalidMessage) -> Error {
        let error = Error::from(e);
        self.error = Some(error.clone());
        self.buf.clear();
        error
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::msgs::strategies;

    fn record(typ: ContentType, len: usize) -> Record {
        Record {
            typ,
            version: ProtocolVersion::Tls10,
            fragment: vec![0x42; len],
        }
    }

    #[test]
    fn header_is_type_version_length() {
        let bytes = record(ContentType::Handshake, 239).to_bytes();
        assert_eq!(&bytes[..HEADER_LEN], &[22, 3, 1, 0, 239]);
    }

    #[test]
    fn accepts_ciphertext_of_exactly_2_14_plus_2048() {
        let bytes = record(ContentType::ApplicationData, MAX_CIPHERTEXT_LEN).to_bytes();
        let mut d = Deframer::new();
        d.push(&bytes);
        assert_eq!(d.pop().unwrap().unwrap().fragment.len(), MAX_CIPHERTEXT_LEN);
        assert!(d.pop().is_none());
    }

    #[test]
    fn records_of_one_push_pop_in_order_and_a_split_one_joins_the_next() {
        let records = [
            record(ContentType::Handshake, 3),
            record(ContentType::ChangeCipherSpec, 1),
            record(ContentType::ApplicationData, 9),
        ];
        let mut bytes: Vec<u8> = records.iter().flat_map(Record::to_bytes).collect();
        // The third record's last four bytes arrive later.
        let late = bytes.split_off(bytes.len() - 4);
        let mut d = Deframer::new();
        d.push(&bytes);
        assert_eq!(d.pop().unwrap().unwrap(), records[0]);
        assert_eq!(d.pop().unwrap().unwrap(), records[1]);
        assert!(d.pop().is_none());
        assert_eq!(d.buffered(), HEADER_LEN + 9 - 4);
        d.push(&late);
        assert_eq!(d.pop().unwrap().unwrap(), records[2]);
        assert!(d.pop().is_none());
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn a_recycled_fragment_buffer_holds_only_the_next_record() {
        let first = record(ContentType::ApplicationData, 40);
        let second = record(ContentType::Alert, 2);
        let mut d = Deframer::new();
        d.push(&first.to_bytes());
        let popped = d.pop().unwrap().unwrap();
        let capacity = popped.fragment.capacity();
        d.recycle(popped.fragment);
        d.push(&second.to_bytes());
        let reused = d.pop().unwrap().unwrap();
        assert_eq!(reused, second, "none of the first record's bytes remain");
        assert_eq!(reused.fragment.capacity(), capacity, "the buffer is reused");
    }

    #[test]
    fn a_spare_too_small_for_the_next_record_is_replaced_not_grown() {
        let mut d = Deframer::new();
        d.recycle(Vec::with_capacity(30));
        let larger = record(ContentType::ApplicationData, 40);
        d.push(&larger.to_bytes());
        let popped = d.pop().unwrap().unwrap();
        assert_eq!(popped, larger);
        assert_eq!(
            popped.fragment.capacity(),
            40,
            "a grown spare would hold 60"
        );
    }

    #[test]
    fn push_with_appends_in_place_and_a_poisoned_deframer_still_drains_the_reader() {
        let records = [
            record(ContentType::Handshake, 3),
            record(ContentType::Alert, 2),
        ];
        let wire: Vec<u8> = records.iter().flat_map(Record::to_bytes).collect();
        let mut d = Deframer::new();
        d.push_with(0, |buf| buf.extend_from_slice(&wire));
        assert_eq!(d.pop().unwrap().unwrap(), records[0]);
        assert_eq!(d.pop().unwrap().unwrap(), records[1]);

        d.push(&[99, 3, 3, 0, 1, 0]);
        assert!(d.pop().unwrap().is_err());
        let mut read = false;
        d.push_with(0, |buf| {
            buf.extend_from_slice(&wire);
            read = true;
        });
        assert!(read, "the reader is called even after the error");
        assert_eq!(d.buffered(), 0, "what it read is dropped");
    }

    fn spare_count() -> usize {
        buffers::kept()
    }

    #[test]
    fn a_deframer_given_back_lends_its_buffer_cleared_to_the_next_one() {
        let mut ended = Deframer::new();
        ended.push(&record(ContentType::Handshake, 40).to_bytes()[..30]);
        let buffer = ended.buf.as_ptr();
        ended.give_back_buffer();
        assert_eq!(ended.buf.capacity(), 0, "the ended deframer keeps nothing");
        assert_eq!(spare_count(), 1);

        let mut next = Deframer::new();
        let second = record(ContentType::Alert, 2);
        next.push(&second.to_bytes());
        assert_eq!(spare_count(), 0, "the next deframer took it");
        assert_eq!(next.buf.as_ptr(), buffer, "the given-back buffer is reused");
        assert_eq!(
            next.pop().unwrap().unwrap(),
            second,
            "none of its old bytes remain"
        );
    }

    #[test]
    fn a_deframer_keeps_its_buffer_only_while_a_partial_record_waits() {
        let whole = record(ContentType::Handshake, 40).to_bytes();
        let mut d = Deframer::new();
        d.push(&whole[..30]);
        d.give_back_if_drained();
        assert_eq!((spare_count(), d.buffered()), (0, 30));
        d.push(&whole[30..]);
        assert!(d.pop().unwrap().is_ok());
        d.give_back_if_drained();
        assert_eq!((spare_count(), d.buf.capacity()), (1, 0));
    }

    #[test]
    fn rejects_record_longer_than_2_14_plus_2048_from_its_header() {
        let mut d = Deframer::new();
        let len = MAX_CIPHERTEXT_LEN + 1;
        d.push(&[23, 3, 1, (len >> 8) as u8, len as u8]);
        let err = d.pop().unwrap().unwrap_err();
        assert_eq!(
            err,
            Error::InvalidMessage(InvalidMessage::RecordOverflow(len))
        );
        assert_eq!(
            err.alert(),
            Some(crate::enums::AlertDescription::RecordOverflow)
        );
    }

    #[test]
    fn deframer_stays_poisoned_after_an_error() {
        let mut d = Deframer::new();
        d.push(&[99, 3, 1, 0, 1, 0]);
        let first = d.pop().unwrap().unwrap_err();
        assert_eq!(
            first,
            Error::InvalidMessage(InvalidMessage::UnknownContentType(99))
        );
        d.push(&record(ContentType::Alert, 2).to_bytes());
        assert_eq!(d.pop().unwrap().unwrap_err(), first);
        assert!(d.is_poisoned());
    }

    #[test]
    fn rejects_non_tls_record_version() {
        let mut d = Deframer::new();
        d.push(b"GET / HTTP/1.1\r\n");
        assert!(d.pop().unwrap().is_err());
        let mut d = Deframer::new();
        d.push(&[22, 2, 0, 0, 1, 0]);
        assert_eq!(
            d.pop().unwrap().unwrap_err().alert(),
            Some(crate::enums::AlertDescription::ProtocolVersion)
        );
    }

    #[test]
    fn waits_for_the_rest_of_a_split_record() {
        let bytes = record(ContentType::Handshake, 10).to_bytes();
        let mut d = Deframer::new();
        d.push(&bytes[..3]);
        assert!(d.pop().is_none());
        d.push(&bytes[3..12]);
        assert!(d.pop().is_none());
        assert_eq!(d.buffered(), 12);
        d.push(&bytes[12..]);
        assert_eq!(
            d.pop().unwrap().unwrap(),
            record(ContentType::Handshake, 10)
        );
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn plaintext_limit_is_2_14() {
        assert!(
            record(ContentType::Handshake, MAX_PLAINTEXT_LEN)
                .check_plaintext_len()
                .is_ok()
        );
        assert_eq!(
            record(ContentType::Handshake, MAX_PLAINTEXT_LEN + 1).check_plaintext_len(),
            Err(InvalidMessage::RecordOverflow(MAX_PLAINTEXT_LEN + 1))
        );
        let mut j = HandshakeJoiner::new();
        assert!(j.push(&[0; MAX_PLAINTEXT_LEN + 1]).is_err());
    }

    #[test]
    fn fragments_at_2_14() {
        let payload = vec![7; 2 * MAX_PLAINTEXT_LEN + 1];
        let records = fragment(
            ContentType::ApplicationData,
            ProtocolVersion::Tls11,
            &payload,
        );
        let lens: Vec<usize> = records.iter().map(|r| r.fragment.len()).collect();
        assert_eq!(lens, [MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, 1]);
        assert!(fragment(ContentType::Handshake, ProtocolVersion::Tls11, &[]).is_empty());
        assert_eq!(
            fragment_with_limit(
                ContentType::Handshake,
                ProtocolVersion::Tls11,
                &[1, 2, 3],
                0
            )
            .len(),
            3
        );
    }

    #[test]
    fn joiner_rejects_empty_handshake_fragment() {
        let mut j = HandshakeJoiner::new();
        assert_eq!(
            j.push(&[]).unwrap_err(),
            Error::InvalidMessage(InvalidMessage::EmptyFragment(ContentType::Handshake))
        );
        assert!(j.push(&[14, 0, 0, 0]).is_err());
    }

    #[test]
    fn joiner_splits_several_messages_in_one_fragment() {
        let mut j = HandshakeJoiner::new();
        j.push(&[14, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            j.pop().unwrap().unwrap().message(),
            Ok(&HandshakeMessage::ServerHelloDone)
        );
        let hello_request = j.pop().unwrap().unwrap();
        assert_eq!(hello_request.message(), Ok(&HandshakeMessage::HelloRequest));
        assert_eq!(hello_request.bytes, [0, 0, 0, 0]);
        assert!(j.pop().is_none());
        assert!(j.is_empty());
    }

    #[test]
    fn owned_fragments_join_like_borrowed_ones() {
        let mut j = HandshakeJoiner::new();
        // A Finished split over three records: the first starts the buffer,
        // the others are appended to it.
        j.push_owned(vec![20, 0, 0, 3, 1]).unwrap();
        assert!(j.pop().is_none());
        j.push_owned(vec![2]).unwrap();
        j.push_owned(vec![3, 14, 0]).unwrap();
        let finished = j.pop().unwrap().unwrap();
        assert_eq!(finished.bytes, [20, 0, 0, 3, 1, 2, 3]);
        assert!(!j.is_empty());
        j.push_owned(vec![0, 0]).unwrap();
        assert_eq!(
            j.pop().unwrap().unwrap().message(),
            Ok(&HandshakeMessage::ServerHelloDone)
        );
        assert_eq!(
            j.push_owned(Vec::new()).unwrap_err(),
            Error::InvalidMessage(InvalidMessage::EmptyFragment(ContentType::Handshake))
        );
        assert!(j.push_owned(vec![14, 0, 0, 0]).is_err());
    }

    #[test]
    fn joiner_refuses_oversized_message_before_buffering_it() {
        let mut j = HandshakeJoiner::new();
        j.push(&[11, 0x10, 0x00, 0x01]).unwrap();
        assert_eq!(
            j.pop().unwrap().unwrap_err(),
            Error::InvalidMessage(InvalidMessage::HandshakeTooLarge(
                DEFAULT_MAX_HANDSHAKE_LEN + 1
            ))
        );
        assert!(j.pop().unwrap().is_err());
        assert!(j.push(&[14, 0, 0, 0]).is_err());
    }

    #[test]
    fn joiner_limit_is_configurable_up_to_the_protocol_maximum() {
        let mut small = HandshakeJoiner::with_limit(3);
        small.push(&[20, 0, 0, 3, 1, 2, 3]).unwrap();
        assert!(small.pop().unwrap().is_ok());
        small.push(&[20, 0, 0, 4]).unwrap();
        assert_eq!(
            small.pop().unwrap().unwrap_err(),
            Error::InvalidMessage(InvalidMessage::HandshakeTooLarge(4))
        );
        // RFC 5246 §7.4: a uint24 length cannot exceed 2^24-1 anyway.
        let mut largest = HandshakeJoiner::with_limit(usize::MAX);
        largest.push(&[11, 0xff, 0xff, 0xff]).unwrap();
        assert!(largest.pop().is_none());
    }

    #[test]
    fn joiner_keeps_a_malformed_body_for_the_receiver_to_judge() {
        let mut j = HandshakeJoiner::new();
        j.push(&[14, 0, 0, 1, 0xff, 14, 0, 0, 0]).unwrap();
        let malformed = j.pop().unwrap().unwrap();
        assert_eq!(malformed.typ, HandshakeType::ServerHelloDone);
        assert_eq!(malformed.bytes, [14, 0, 0, 1, 0xff]);
        assert_eq!(
            malformed.message(),
            Err(InvalidMessage::TrailingData("handshake body"))
        );
        // The framing holds, so the next message is whole.
        assert_eq!(
            j.pop().unwrap().unwrap().message(),
            Ok(&HandshakeMessage::ServerHelloDone)
        );
    }

    /// Splits `bytes` at the given (sorted, deduplicated) cut points.
    fn split_at<'a>(bytes: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        points.dedup();
        points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
    }

    proptest! {
        #[test]
        fn deframer_yields_records_whatever_the_chunking(
            records in proptest::collection::vec(
                (prop_oneof![Just(ContentType::Handshake), Just(ContentType::ApplicationData), Just(ContentType::Alert)],
                 proptest::collection::vec(any::<u8>(), 0..600))
                    .prop_map(|(typ, fragment)| Record { typ, version: ProtocolVersion::Tls11, fragment }),
                1..6),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let mut stream = Vec::new();
            for r in &records {
                r.encode(&mut stream);
            }
            let mut d = Deframer::new();
            let mut out = Vec::new();
            for chunk in split_at(&stream, &cuts) {
                d.push(chunk);
                while let Some(r) = d.pop() {
                    out.push(r.unwrap());
                }
            }
            prop_assert_eq!(out, records);
            prop_assert_eq!(d.buffered(), 0);
        }

        #[test]
        fn joiner_yields_messages_whatever_the_fragmentation(
            messages in proptest::collection::vec(strategies::handshake_message(), 1..5),
            max_fragment in 1usize..300,
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut payload = Vec::new();
            for m in &messages {
                m.encode(&mut payload);
            }
            let mut j = HandshakeJoiner::new();
            let mut out = Vec::new();
            for record in fragment_with_limit(ContentType::Handshake, ProtocolVersion::Tls10, &payload, max_fragment) {
                // Records may also be cut further; each piece is a fragment.
                for piece in split_at(&record.fragment, &cuts) {
                    j.push(piece).unwrap();
                }
                while let Some(m) = j.pop() {
                    out.push(m.unwrap());
                }
            }
            prop_assert!(j.is_empty());
            let joined: Vec<u8> = out.iter().flat_map(|m| m.bytes.clone()).collect();
            prop_assert_eq!(joined, payload);
            let decoded: Vec<HandshakeMessage> = out.into_iter().map(|m| m.message().unwrap().clone()).collect();
            prop_assert_eq!(decoded, messages);
        }

        #[test]
        fn record_round_trips(
            typ in prop_oneof![Just(ContentType::ChangeCipherSpec), Just(ContentType::Alert), Just(ContentType::Handshake), Just(ContentType::ApplicationData)],
            minor in any::<u8>(),
            fragment in proptest::collection::vec(any::<u8>(), 0..2000),
        ) {
            let record = Record { typ, version: ProtocolVersion::from(0x0300 | u16::from(minor)), fragment };
            let bytes = record.to_bytes();
            prop_assert_eq!(RecordHeader::from_bytes(&bytes[..HEADER_LEN]).unwrap(), record.header());
            prop_assert_eq!(Record::from_bytes(&bytes).unwrap(), record);
        }

        #[test]
        fn deframer_never_panics_on_garbage(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut d = Deframer::new();
            for chunk in split_at(&bytes, &cuts) {
                d.push(chunk);
                for _ in 0..4 {
                    if d.pop().is_none() { break; }
                }
            }
        }

        #[test]
        fn joiner_never_panics_on_garbage(
            bytes in proptest::collection::vec(any::<u8>(), 1..400),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut j = HandshakeJoiner::new();
            for chunk in split_at(&bytes, &cuts) {
                let _ = j.push(chunk);
                for _ in 0..4 {
                    if j.pop().is_none() { break; }
                }
            }
        }
    }
}
