//! The TLS presentation language on the wire (RFC 5246 §4).
//!
//! Read RFC 5246 §4 (basic types, vectors with length prefixes) first.
//!
//! Every wire type implements [`Codec`]: `encode` appends to a `Vec<u8>`,
//! `read` consumes from a [`Reader`] cursor and never panics, whatever the
//! input. Variable-length vectors are described by a [`VecBounds`] const that
//! quotes the RFC declaration, so the bounds sit beside the RFC line.
//!
//! A [`Reader`] remembers where its bytes sit in the outermost buffer
//! ([`Reader::position`]), so dissectors can report byte spans relative to
//! the start of a record.

use crate::error::InvalidMessage;

/// A cursor over received bytes.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    cursor: usize,
    /// Offset of `bytes[0]` in the outermost buffer.
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, with positions counted from their start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader::with_base(bytes, 0)
    }

    /// A reader over `bytes` that reports positions as if `bytes` began at
    /// offset `base` of some larger buffer.
    pub fn with_base(bytes: &'a [u8], base: usize) -> Self {
        Reader {
            bytes,
            cursor: 0,
            base,
        }
    }

    /// The offset of the next unread byte in the outermost buffer.
    pub fn position(&self) -> usize {
        self.base + self.cursor
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.cursor
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Takes the next `n` bytes.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] naming `what` if fewer than `n` are left.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        if self.remaining() < n {
            return Err(InvalidMessage::Truncated(what));
        }
        let start = self.cursor;
        self.cursor += n;
        Ok(&self.bytes[start..self.cursor])
    }

    /// Takes every byte that is left (possibly none).
    pub fn rest(&mut self) -> &'a [u8] {
        let start = self.cursor;
        self.cursor = self.bytes.len();
        &self.bytes[start..]
    }

    /// Splits off the next `len` bytes as a reader of their own, for a body
    /// whose length was given by a prefix.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] naming `what` if fewer than `len` are left.
    pub fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, InvalidMessage> {
        let base = self.position();
        self.take(len, what)
            .map(|bytes| Reader::with_base(bytes, base))
    }

    /// Checks that nothing is left after `what`.
    ///
    /// # Errors
    /// [`InvalidMessage::TrailingData`] naming `what` otherwise.
    pub fn expect_empty(&self, what: &'static str) -> Result<(), InvalidMessage> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(InvalidMessage::TrailingData(what))
        }
    }

    /// Reads a `uint8`.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] naming `what`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, InvalidMessage> {
        Ok(self.take(1, what)?[0])
    }

    /// Reads a big-endian `uint16`.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] naming `what`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, InvalidMessage> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Reads a big-endian `uint24` (handshake and certificate lengths).
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] naming `what`.
    pub fn u24(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        let b = self.take(3, what)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    /// Reads a big-endian `uint32`.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] naming `what`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a fixed-size array such as a 32-byte `Random`.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] naming `what`.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], InvalidMessage> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }
}

/// What [`Codec::to_bytes`] reserves before encoding.
const TO_BYTES_CAPACITY: usize = 128;

/// A type with a TLS wire encoding.
pub trait Codec: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from `r`, leaving the cursor just after it.
    ///
    /// # Errors
    /// A typed [`InvalidMessage`] on malformed input; never panics.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage>;

    /// The encoding of `self` as a new vector.
    fn to_bytes(&self) -> Vec<u8> {
        // Most encodings (a key share, an extension, a short message) fit
        // here, where a vector growing from empty reallocates at each
        // doubling.
        let mut out = Vec::with_capacity(TO_BYTES_CAPACITY);
        self.encode(&mut out);
        out
    }

    /// Reads a value that must fill `bytes` exactly.
    ///
    /// # Errors
    /// As [`Codec::read`], and [`InvalidMessage::TrailingData`] if bytes are
    /// left over.
    fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let value = Self::read(&mut r)?;
        r.expect_empty(core::any::type_name::<Self>())?;
        Ok(value)
    }
}

impl Codec for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u8("u8")
    }
}

impl Codec for u16 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u16("u16")
    }
}

impl Codec for u32 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u32("u32")
    }
}

/// Appends a big-endian `uint24`.
///
/// # Panics
/// If `value` does not fit in 24 bits: callers only pass lengths they have
/// already bounded, so a larger one is a bug.
pub fn put_u24(out: &mut Vec<u8>, value: usize) {
    assert!(value <= MAX_U24, "uint24 value {value} exceeds 2^24-1");
    out.extend_from_slice(&(value as u32).to_be_bytes()[1..]);
}

/// The largest value of a `uint24`.
pub const MAX_U24: usize = 0xff_ffff;

/// The width of a vector's length prefix (RFC 5246 §4.3: "the length will
/// be in the form of a number consuming as many bytes as required to hold
/// the vector's specified maximum (ceiling) length").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthPrefix {
    /// One byte, for ceilings up to 2^8-1.
    U8,
    /// Two bytes, for ceilings up to 2^16-1.
    U16,
    /// Three bytes, for ceilings up to 2^24-1.
    U24,
}

impl LengthPrefix {
    /// How many bytes the prefix takes.
    pub const fn width(self) -> usize {
        match self {
            LengthPrefix::U8 => 1,
            LengthPrefix::U16 => 2,
            LengthPrefix::U24 => 3,
        }
    }

    /// The largest length the prefix can express.
    pub const fn capacity(self) -> usize {
        match self {
            LengthPrefix::U8 => 0xff,
            LengthPrefix::U16 => 0xffff,
            LengthPrefix::U24 => MAX_U24,
        }
    }
}

/// The declared length bounds of a variable-length vector, in bytes
/// (RFC 5246 §4.3: `T T'<floor..ceiling>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VecBounds {
    /// The width of the length prefix.
    pub prefix: LengthPrefix,
    /// The smallest legal length in bytes.
    pub min: usize,
    /// The largest legal length in bytes.
    pub max: usize,
    /// The field's name, reported in errors.
    pub what: &'static str,
}

impl VecBounds {
    /// Bounds for a vector whose prefix is as wide as `max` requires.
    pub const fn new(min: usize, max: usize, what: &'static str) -> Self {
        let prefix = if max <= 0xff {
            LengthPrefix::U8
        } else if max <= 0xffff {
            LengthPrefix::U16
        } else {
            LengthPrefix::U24
        };
        VecBounds {
            prefix,
            min,
            max,
            what,
        }
    }

    /// Reads the length prefix and returns a reader over the body.
    ///
    /// # Errors
    /// [`InvalidMessage::Truncated`] if the prefix or body is cut short,
    /// [`InvalidMessage::LengthOutOfBounds`] if the length breaks the bounds.
    pub fn read_body<'a>(&self, r: &mut Reader<'a>) -> Result<Reader<'a>, InvalidMessage> {
        let len = self.read_length(r)?;
        r.sub(len, self.what)
    }

    /// Reads only the length prefix and checks it against the bounds.
    ///
    /// # Errors
    /// As [`VecBounds::read_body`].
    pub fn read_length(&self, r: &mut Reader<'_>) -> Result<usize, InvalidMessage> {
        let len = match self.prefix {
            LengthPrefix::U8 => usize::from(r.u8(self.what)?),
            LengthPrefix::U16 => usize::from(r.u16(self.what)?),
            LengthPrefix::U24 => r.u24(self.what)? as usize,
        };
        if len < self.min || len > self.max {
            return Err(InvalidMessage::LengthOutOfBounds(self.what));
        }
        Ok(len)
    }

    /// Reads an `opaque` vector.
    ///
    /// # Errors
    /// As [`VecBounds::read_body`].
    pub fn read_opaque(&self, r: &mut Reader<'_>) -> Result<Vec<u8>, InvalidMessage> {
        Ok(self.read_body(r)?.rest().to_vec())
    }

    /// Reads a vector of `T`, which must fill the body exactly.
    ///
    /// # Errors
    /// As [`VecBounds::read_body`], or the error of a malformed element.
    pub fn read_list<T: Codec>(&self, r: &mut Reader<'_>) -> Result<Vec<T>, InvalidMessage> {
        let mut body = self.read_body(r)?;
        // Each element takes a byte or more: up to 16 fit without growing.
        let mut items = Vec::with_capacity(body.remaining().min(16));
        while !body.is_empty() {
            items.push(T::read(&mut body)?);
        }
        Ok(items)
    }

    /// Writes a length prefix, then whatever `body` appends, then fixes the
    /// prefix up.
    ///
    /// Bounds below the ceiling are not enforced here, so that tests can
    /// build out-of-range messages deliberately.
    ///
    /// # Panics
    /// If the body is longer than the prefix can express: that is a bug in
    /// the caller, which built a value the wire cannot carry.
    pub fn encode_with(&self, out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
        let at = out.len();
        let width = self.prefix.width();
        out.extend_from_slice(&[0; 3][..width]);
        body(out);
        let len = out.len() - at - width;
        assert!(
            len <= self.prefix.capacity(),
            "{} is {len} bytes, more than its length prefix can express",
            self.what
        );
        let be = (len as u32).to_be_bytes();
        out[at..at + width].copy_from_slice(&be[4 - width..]);
    }

    /// Writes an `opaque` vector.
    ///
    /// # Panics
    /// As [`VecBounds::encode_with`].
    pub fn encode_opaque(&self, out: &mut Vec<u8>, bytes: &[u8]) {
        out.reserve(self.prefix.width() + bytes.len());
        self.encode_with(out, |out| out.extend_from_slice(bytes));
    }

    /// Writes a vector of `T`.
    ///
    /// # Panics
    /// As [`VecBounds::encode_with`].
    pub fn encode_list<T: Codec>(&self, out: &mut Vec<u8>, items: &[T]) {
        self.encode_with(out, |out| {
            for item in items {
                item.encode(out);
            }
        });
    }
}

/// Lower-case hex of `bytes`, for dissection and debugging.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPAQUE8: VecBounds = VecBounds::new(0, 255, "opaque8");
    const NONEMPTY16: VecBounds = VecBounds::new(2, 0xfffe, "list16");
    const CERT24: VecBounds = VecBounds::new(1, MAX_U24, "cert24");

    #[test]
    fn prefix_width_follows_the_ceiling() {
        assert_eq!(OPAQUE8.prefix, LengthPrefix::U8);
        assert_eq!(NONEMPTY16.prefix, LengthPrefix::U16);
        assert_eq!(CERT24.prefix, LengthPrefix::U24);
    }

    #[test]
    fn sub_reader_reports_absolute_positions() {
        let bytes = [9, 9, 2, 0xaa, 0xbb, 7];
        let mut r = Reader::new(&bytes);
        r.take(2, "skip").unwrap();
        let mut body = OPAQUE8.read_body(&mut r).unwrap();
        assert_eq!(body.position(), 3);
        body.u8("x").unwrap();
        assert_eq!(body.position(), 4);
        assert_eq!(r.position(), 5);
    }

    #[test]
    fn rejects_length_below_floor() {
        let mut r = Reader::new(&[0, 0]);
        assert_eq!(
            NONEMPTY16.read_body(&mut r).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("list16")
        );
    }

    #[test]
    fn rejects_body_shorter_than_prefix() {
        let mut r = Reader::new(&[0, 0, 5, 1, 2]);
        assert_eq!(
            CERT24.read_opaque(&mut r).unwrap_err(),
            InvalidMessage::Truncated("cert24")
        );
    }

    #[test]
    fn rejects_trailing_bytes_after_whole_value() {
        assert!(matches!(
            u16::from_bytes(&[1, 2, 3]),
            Err(InvalidMessage::TrailingData(_))
        ));
        assert_eq!(u16::from_bytes(&[1, 2]).unwrap(), 0x0102);
    }

    #[test]
    fn encodes_prefix_of_each_width() {
        let mut out = Vec::new();
        OPAQUE8.encode_opaque(&mut out, &[1, 2]);
        CERT24.encode_opaque(&mut out, &[3]);
        assert_eq!(out, [2, 1, 2, 0, 0, 1, 3]);
        put_u24(&mut out, 0x010203);
        assert_eq!(&out[7..], [1, 2, 3]);
    }

    #[test]
    #[should_panic(expected = "more than its length prefix can express")]
    fn encoding_too_long_a_vector_is_a_bug() {
        OPAQUE8.encode_opaque(&mut Vec::new(), &[0; 256]);
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
    }

    proptest::proptest! {
        #[test]
        fn opaque_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let bounds = VecBounds::new(0, 0xffff, "any");
            let mut out = Vec::new();
            bounds.encode_opaque(&mut out, &bytes);
            proptest::prop_assert_eq!(bounds.read_opaque(&mut Reader::new(&out)).unwrap(), bytes);
        }

        #[test]
        fn reading_garbage_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = NONEMPTY16.read_list::<u16>(&mut Reader::new(&bytes));
            let _ = CERT24.read_opaque(&mut Reader::new(&bytes));
            let _ = Reader::new(&bytes).u24("x");
        }
    }
}
