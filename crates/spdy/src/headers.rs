//! Name/value header blocks and their zlib compression.
//!
//! Read first: SPDY/3 §2.6.10 (the block) and §2.6.10.1 (compression).
//!
//! A block is, before compression:
//!
//! ```text
//! Number of Name/Value pairs (int32)
//! Length of name (int32) | Name (string) | Length of value (int32) | Value (string)   (repeated)
//! ```
//!
//! The whole block is zlib-compressed. Each direction of a session has one
//! compression context that lives as long as the session, starts from the
//! preset [`SPDY3_DICTIONARY`], and is flushed with `Z_SYNC_FLUSH` after every
//! block so that each frame's block ends on a byte boundary.
//!
//! Backend: flate2 over zlib-rs (pure Rust) at [`COMPRESSION_LEVEL`] with a
//! 32 KiB window. Its output is a function of its input alone, so runs are
//! byte-for-byte reproducible.

use std::collections::BTreeSet;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::dictionary::{SPDY3_DICTIONARY, SPDY3_DICTIONARY_ID};
use crate::error::{CompressionError, InvalidHeaderBlock, SpdyError};

/// The zlib level used for every header block (zlib's default).
pub const COMPRESSION_LEVEL: u32 = 6;

/// The largest decompressed header block this crate accepts, in bytes.
/// Bounds the memory a peer can make us spend on one frame.
pub const MAX_HEADER_BLOCK_LEN: usize = 256 * 1024;

/// One header: a lowercase name and its value.
///
/// SPDY/3 §2.6.10: a value holds several values separated by single NUL
/// bytes when a header is repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    name: String,
    value: Vec<u8>,
}

impl Header {
    /// The header's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header's raw value, NUL separators included.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The value for display: NUL separators shown as `", "`, bytes that are
    /// not UTF-8 replaced.
    pub fn display_value(&self) -> String {
        String::from_utf8_lossy(&self.value).replace('\0', ", ")
    }
}

/// An ordered, validated list of headers: names are non-empty lowercase
/// ASCII, never repeated, and values are well-formed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderBlock {
    headers: Vec<Header>,
}

impl HeaderBlock {
    /// An empty block.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a header.
    ///
    /// # Errors
    /// [`InvalidHeaderBlock`] if the name is empty, not lowercase visible
    /// ASCII, already present, or the value starts or ends with NUL or holds
    /// an empty NUL-separated value.
    pub fn push(&mut self, name: &str, value: impl Into<Vec<u8>>) -> Result<(), SpdyError> {
        let value = value.into();
        check_name(name.as_bytes())?;
        if self.get(name).is_some() {
            return Err(InvalidHeaderBlock::DuplicateName(name.to_owned()).into());
        }
        check_value(name, &value)?;
        self.headers.push(Header {
            name: name.to_owned(),
            value,
        });
        Ok(())
    }

    /// Builds a block from `(name, value)` pairs, in order.
    ///
    /// # Errors
    /// As [`push`](Self::push).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SpdyError> {
        let mut block = Self::new();
        for (name, value) in pairs {
            block.push(name, value)?;
        }
        Ok(block)
    }

    /// The headers, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The number of headers.
    pub fn len(&self) -> usize {
        self.headers.len()
    }

    /// Whether the block has no header.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// The raw value of the header called `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.value.as_slice())
    }

    /// The value of `name` as text, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The uncompressed encoding (SPDY/3 §2.6.10).
    ///
    /// # Errors
    /// [`SpdyError::Unencodable`] if a count or length exceeds 32 bits.
    pub fn encode_plain(&self) -> Result<Vec<u8>, SpdyError> {
        let too_long = || SpdyError::Unencodable("header block length exceeds 32 bits");
        let mut out = Vec::new();
        let count = u32::try_from(self.headers.len()).map_err(|_| too_long())?;
        out.extend_from_slice(&count.to_be_bytes());
        for header in &self.headers {
            for part in [header.name.as_bytes(), &header.value] {
                let len = u32::try_from(part.len()).map_err(|_| too_long())?;
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(part);
            }
        }
        Ok(out)
    }

    /// Parses an uncompressed block, applying every rule of
    /// [`push`](Self::push).
    ///
    /// # Errors
    /// [`InvalidHeaderBlock`] for a truncated or malformed block, or trailing
    /// bytes after the announced pairs.
    pub fn decode_plain(bytes: &[u8]) -> Result<Self, SpdyError> {
        let mut rest = bytes;
        let count = take_u32(&mut rest, "pair count")?;
        // Each pair needs at least its two length fields: refuse counts that
        // cannot fit before allocating anything for them.
        if u64::from(count) * 8 > rest.len() as u64 {
            return Err(InvalidHeaderBlock::Truncated("pair count").into());
        }
        let mut block = Self::new();
        let mut seen = BTreeSet::new();
        for _ in 0..count {
            let name_len = take_u32(&mut rest, "name length")?;
            let name = take(&mut rest, name_len, "name")?;
            check_name(name)?;
            let value_len = take_u32(&mut rest, "value length")?;
            let value = take(&mut rest, value_len, "value")?;
            // check_name admits ASCII only, so this conversion cannot fail.
            let name = String::from_utf8_lossy(name).into_owned();
            if !seen.insert(name.clone()) {
                return Err(InvalidHeaderBlock::DuplicateName(name).into());
            }
            check_value(&name, value)?;
            block.headers.push(Header {
                name,
                value: value.to_vec(),
            });
        }
        if !rest.is_empty() {
            return Err(InvalidHeaderBlock::TrailingBytes.into());
        }
        Ok(block)
    }
}

fn take_u32(rest: &mut &[u8], what: &'static str) -> Result<u32, SpdyError> {
    let bytes = take(rest, 4, what)?;
    Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn take<'a>(rest: &mut &'a [u8], len: u32, what: &'static str) -> Result<&'a [u8], SpdyError> {
    let len = len as usize;
    if rest.len() < len {
        return Err(InvalidHeaderBlock::Truncated(what).into());
    }
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Ok(head)
}

/// SPDY/3 §2.6.10: "Header names are encoded using the US-ASCII character
/// set and must be all lower case. The length of each name must be greater
/// than zero."
fn check_name(name: &[u8]) -> Result<(), SpdyError> {
    if name.is_empty() {
        return Err(InvalidHeaderBlock::EmptyName.into());
    }
    if !name
        .iter()
        .all(|&b| b.is_ascii_graphic() && !b.is_ascii_uppercase())
    {
        return Err(InvalidHeaderBlock::BadName(String::from_utf8_lossy(name).into_owned()).into());
    }
    Ok(())
}

/// SPDY/3 §2.6.10: "A header value can either be empty (e.g. the length is
/// zero) or it can contain multiple, NUL-separated values, each with length
/// greater than zero. The value never starts nor ends with a NUL character."
fn check_value(name: &str, value: &[u8]) -> Result<(), SpdyError> {
    if !value.is_empty() && value.split(|&b| b == 0).any(<[u8]>::is_empty) {
        return Err(InvalidHeaderBlock::BadValue(name.to_owned()).into());
    }
    Ok(())
}

/// The compression context of one direction of a session (the sending side).
///
/// Create one per session and direction, and pass every outgoing header
/// block through it in the order the frames are sent.
pub struct HeaderCompressor {
    zlib: Compress,
}

impl core::fmt::Debug for HeaderCompressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HeaderCompressor")
            .field("total_in", &self.zlib.total_in())
            .field("total_out", &self.zlib.total_out())
            .finish()
    }
}

impl Default for HeaderCompressor {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderCompressor {
    /// A fresh context primed with the SPDY/3 dictionary.
    pub fn new() -> Self {
        let mut zlib = Compress::new(Compression::new(COMPRESSION_LEVEL), true);
        // The dictionary is valid input for a fresh deflate stream: this only
        // fails on a backend bug.
        let id = zlib.set_dictionary(&SPDY3_DICTIONARY).ok();
        assert_eq!(
            id,
            Some(SPDY3_DICTIONARY_ID),
            "zlib must accept the SPDY/3 dictionary on a fresh stream"
        );
        HeaderCompressor { zlib }
    }

    /// Compresses one block and sync-flushes, appending to `out`.
    ///
    /// # Errors
    /// [`SpdyError::Unencodable`] for a block over 32-bit lengths;
    /// [`CompressionError::Compressor`] if zlib fails (a backend bug).
    pub fn compress(&mut self, block: &HeaderBlock, out: &mut Vec<u8>) -> Result<(), SpdyError> {
        let plain = block.encode_plain()?;
        let mut consumed = 0usize;
        loop {
            out.reserve(plain.len() - consumed + 64);
            let before_in = self.zlib.total_in();
            let status = self
                .zlib
                .compress_vec(&plain[consumed..], out, FlushCompress::Sync)
                .map_err(|_| CompressionError::Compressor("deflate"))?;
            consumed += (self.zlib.total_in() - before_in) as usize;
            // zlib: a sync flush is complete once a call leaves output space
            // unused with all input consumed.
            if consumed == plain.len() && out.len() < out.capacity() {
                return Ok(());
            }
            if status == Status::StreamEnd {
                return Err(CompressionError::Compressor("stream ended").into());
            }
        }
    }
}

/// The decompression context of one direction of a session (the receiving
/// side). Every incoming header block must pass through it, in order, even
/// if its frame is then rejected: otherwise the context desynchronises.
pub struct HeaderDecompressor {
    zlib: Decompress,
    dictionary_set: bool,
    failed: Option<SpdyError>,
}

impl core::fmt::Debug for HeaderDecompressor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HeaderDecompressor")
            .field("total_in", &self.zlib.total_in())
            .field("total_out", &self.zlib.total_out())
            .field("failed", &self.failed)
            .finish()
    }
}

impl Default for HeaderDecompressor {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderDecompressor {
    /// A fresh context; the dictionary is supplied when the first block's
    /// zlib header asks for it.
    pub fn new() -> Self {
        HeaderDecompressor {
            zlib: Decompress::new(true),
            dictionary_set: false,
            failed: None,
        }
    }

    /// Decompresses one block and parses it.
    ///
    /// # Errors
    /// [`CompressionError`] if the first block does not use the SPDY
    /// dictionary or the data is corrupt, and [`InvalidHeaderBlock::TooLarge`]
    /// past [`MAX_HEADER_BLOCK_LEN`]: after these the context is out of step
    /// and fails every later call with [`SpdyError::Poisoned`]. Any other
    /// [`InvalidHeaderBlock`] (a malformed block that decompressed fully)
    /// leaves the context usable.
    pub fn decompress(&mut self, compressed: &[u8]) -> Result<HeaderBlock, SpdyError> {
        if let Some(first) = &self.failed {
            return Err(SpdyError::Poisoned(Box::new(first.clone())));
        }
        match self.inflate(compressed) {
            Ok(plain) => HeaderBlock::decode_plain(&plain),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn inflate(&mut self, compressed: &[u8]) -> Result<Vec<u8>, SpdyError> {
        // RFC 1950 §2.2: FLG bit 5 (FDICT) announces a preset dictionary.
        // SPDY/3 §2.6.10.1 makes the SPDY dictionary mandatory, so a first
        // block without it is refused rather than silently accepted.
        if !self.dictionary_set {
            match compressed {
                [_, flg, ..] if flg & 0x20 == 0 => {
                    return Err(CompressionError::MissingDictionary.into());
                }
                [] | [_] => return Err(CompressionError::Corrupt("zlib header").into()),
                _ => {}
            }
        }
        let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).clamp(64, 4096));
        let mut consumed = 0usize;
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity());
            }
            let before_in = self.zlib.total_in();
            let before_out = out.len();
            let result =
                self.zlib
                    .decompress_vec(&compressed[consumed..], &mut out, FlushDecompress::Sync);
            consumed += (self.zlib.total_in() - before_in) as usize;
            match result {
                Ok(_) => {}
                Err(e) => match e.needs_dictionary() {
                    Some(SPDY3_DICTIONARY_ID) if !self.dictionary_set => {
                        self.zlib
                            .set_dictionary(&SPDY3_DICTIONARY)
                            .map_err(|_| CompressionError::Corrupt("dictionary"))?;
                        self.dictionary_set = true;
                        continue;
                    }
                    Some(found) => {
                        return Err(CompressionError::WrongDictionary { found }.into());
                    }
                    None => return Err(CompressionError::Corrupt("inflate").into()),
                },
            }
            if out.len() > MAX_HEADER_BLOCK_LEN {
                return Err(InvalidHeaderBlock::TooLarge.into());
            }
            let progressed = self.zlib.total_in() != before_in || out.len() != before_out;
            if consumed == compressed.len() && out.len() < out.capacity() {
                return Ok(out);
            }
            if !progressed {
                // Input left that zlib will not take (after the end of the
                // stream), or a block that cannot complete.
                return Err(CompressionError::Corrupt("incomplete block").into());
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The documented session's first request's headers.
    pub(crate) fn request_block() -> HeaderBlock {
        HeaderBlock::from_pairs([
            (":method", "GET"),
            (":path", "/"),
            (":version", "HTTP/1.1"),
            (":host", "www.google.com"),
            (":scheme", "https"),
        ])
        .unwrap()
    }

    /// The request block as this crate compresses it.
    fn compressed_request() -> Vec<u8> {
        let mut wire = Vec::new();
        HeaderCompressor::new()
            .compress(&request_block(), &mut wire)
            .unwrap();
        wire
    }

    /// The request block compressed by `other`, as another implementation
    /// might.
    fn compressed_by(mut other: Compress) -> Vec<u8> {
        let mut wire = Vec::with_capacity(4096);
        let plain = request_block().encode_plain().unwrap();
        other
            .compress_vec(&plain, &mut wire, FlushCompress::Sync)
            .unwrap();
        wire
    }

    #[test]
    fn compressed_block_round_trips_through_the_dictionary() {
        let mut compressor = HeaderCompressor::new();
        let mut wire = Vec::new();
        compressor.compress(&request_block(), &mut wire).unwrap();
        // RFC 1950: CMF 0x78, FDICT set, then the dictionary's Adler-32.
        assert_eq!(wire[0], 0x78);
        assert_ne!(wire[1] & 0x20, 0);
        assert_eq!(wire[2..6], SPDY3_DICTIONARY_ID.to_be_bytes());
        // Z_SYNC_FLUSH ends every block with an empty stored block.
        assert!(wire.ends_with(&[0x00, 0x00, 0xff, 0xff]));
        let mut decompressor = HeaderDecompressor::new();
        assert_eq!(decompressor.decompress(&wire).unwrap(), request_block());
    }

    #[test]
    fn contexts_persist_across_blocks() {
        let mut compressor = HeaderCompressor::new();
        let mut decompressor = HeaderDecompressor::new();
        let mut sizes = Vec::new();
        for _ in 0..3 {
            let mut wire = Vec::new();
            compressor.compress(&request_block(), &mut wire).unwrap();
            sizes.push(wire.len());
            assert_eq!(decompressor.decompress(&wire).unwrap(), request_block());
        }
        // The second block refers back to the first, so it is much smaller.
        assert!(sizes[1] < sizes[0] / 2, "{sizes:?}");
    }

    #[test]
    fn compression_is_deterministic() {
        let encode = || {
            let mut c = HeaderCompressor::new();
            let mut wire = Vec::new();
            c.compress(&request_block(), &mut wire).unwrap();
            c.compress(&request_block(), &mut wire).unwrap();
            wire
        };
        assert_eq!(encode(), encode());
    }

    #[test]
    fn plain_zlib_without_the_dictionary_cannot_read_a_block() {
        let wire = compressed_request();
        let mut plain = Decompress::new(true);
        let mut out = Vec::with_capacity(4096);
        let err = plain
            .decompress_vec(&wire, &mut out, FlushDecompress::Sync)
            .unwrap_err();
        assert_eq!(err.needs_dictionary(), Some(SPDY3_DICTIONARY_ID));
    }

    #[test]
    fn rejects_block_compressed_with_another_dictionary() {
        let mut other = Compress::new(Compression::new(6), true);
        let found = other.set_dictionary(b"not the spdy dictionary").unwrap();
        let wire = compressed_by(other);
        let mut decompressor = HeaderDecompressor::new();
        assert_eq!(
            decompressor.decompress(&wire),
            Err(SpdyError::Compression(CompressionError::WrongDictionary {
                found
            }))
        );
    }

    #[test]
    fn rejects_block_compressed_without_dictionary() {
        let wire = compressed_by(Compress::new(Compression::new(6), true));
        let mut decompressor = HeaderDecompressor::new();
        let err = decompressor.decompress(&wire).unwrap_err();
        assert_eq!(
            err,
            SpdyError::Compression(CompressionError::MissingDictionary)
        );
        // The context stays failed.
        assert_eq!(
            decompressor.decompress(&wire),
            Err(SpdyError::Poisoned(Box::new(err)))
        );
    }

    #[test]
    fn rejects_corrupt_compressed_data() {
        let mut wire = compressed_request();
        for byte in &mut wire[6..] {
            *byte ^= 0x5a;
        }
        assert!(matches!(
            HeaderDecompressor::new().decompress(&wire),
            Err(SpdyError::Compression(_) | SpdyError::InvalidHeaderBlock(_))
        ));
    }

    #[test]
    fn plain_encoding_matches_the_spec_layout() {
        let block = HeaderBlock::from_pairs([(":status", "200 OK")]).unwrap();
        assert_eq!(
            block.encode_plain().unwrap(),
            b"\0\0\0\x01\0\0\0\x07:status\0\0\0\x06200 OK"
        );
    }

    #[test]
    fn rejects_uppercase_name() {
        let mut block = HeaderBlock::new();
        assert_eq!(
            block.push("Host", "x"),
            Err(InvalidHeaderBlock::BadName("Host".into()).into())
        );
        let wire = b"\0\0\0\x01\0\0\0\x04Host\0\0\0\x01x";
        assert_eq!(
            HeaderBlock::decode_plain(wire),
            Err(InvalidHeaderBlock::BadName("Host".into()).into())
        );
    }

    #[test]
    fn rejects_duplicate_name() {
        let wire = b"\0\0\0\x02\0\0\0\x01a\0\0\0\x01x\0\0\0\x01a\0\0\0\x01y";
        assert_eq!(
            HeaderBlock::decode_plain(wire),
            Err(InvalidHeaderBlock::DuplicateName("a".into()).into())
        );
        let mut block = HeaderBlock::new();
        block.push("a", "x").unwrap();
        assert!(block.push("a", "y").is_err());
    }

    #[test]
    fn rejects_empty_name() {
        let wire = b"\0\0\0\x01\0\0\0\0\0\0\0\x01x";
        assert_eq!(
            HeaderBlock::decode_plain(wire),
            Err(InvalidHeaderBlock::EmptyName.into())
        );
    }

    #[test]
    fn accepts_nul_separated_values_and_rejects_empty_ones() {
        let mut block = HeaderBlock::new();
        block.push("set-cookie", &b"a=1\0b=2"[..]).unwrap();
        block.push("empty", "").unwrap();
        assert_eq!(block.headers()[0].display_value(), "a=1, b=2");
        for bad in [&b"\0a"[..], b"a\0", b"a\0\0b"] {
            assert_eq!(
                block.clone().push("x", bad),
                Err(InvalidHeaderBlock::BadValue("x".into()).into())
            );
        }
    }

    #[test]
    fn rejects_truncated_and_oversized_counts() {
        let full = b"\0\0\0\x01\0\0\0\x01a\0\0\0\x01x";
        for cut in 0..full.len() {
            assert!(
                matches!(
                    HeaderBlock::decode_plain(&full[..cut]),
                    Err(SpdyError::InvalidHeaderBlock(
                        InvalidHeaderBlock::Truncated(_)
                    ))
                ),
                "cut at {cut}"
            );
        }
        assert_eq!(
            HeaderBlock::decode_plain(b"\xff\xff\xff\xff"),
            Err(InvalidHeaderBlock::Truncated("pair count").into())
        );
    }

    #[test]
    fn rejects_trailing_bytes_after_pairs() {
        assert_eq!(
            HeaderBlock::decode_plain(b"\0\0\0\0x"),
            Err(InvalidHeaderBlock::TrailingBytes.into())
        );
    }
}
