//! A small DER writer and reader (X.690 §8, §10).
//!
//! Only what X.509 needs: single-byte tags, definite lengths up to 2^32.
//! The reader never panics: every malformed input is a
//! [`CertError::BadEncoding`] saying what was wrong.

use super::CertError;

/// `SEQUENCE` (constructed).
pub const SEQUENCE: u8 = 0x30;
/// `SET` (constructed).
pub const SET: u8 = 0x31;
/// `BOOLEAN`.
pub const BOOLEAN: u8 = 0x01;
/// `INTEGER`.
pub const INTEGER: u8 = 0x02;
/// `BIT STRING`.
pub const BIT_STRING: u8 = 0x03;
/// `OCTET STRING`.
pub const OCTET_STRING: u8 = 0x04;
/// `NULL`.
pub const NULL: u8 = 0x05;
/// `OBJECT IDENTIFIER`.
pub const OID: u8 = 0x06;
/// `UTF8String`.
pub const UTF8_STRING: u8 = 0x0c;
/// `PrintableString`.
pub const PRINTABLE_STRING: u8 = 0x13;
/// `TeletexString` (T61String).
pub const TELETEX_STRING: u8 = 0x14;
/// `IA5String`.
pub const IA5_STRING: u8 = 0x16;
/// `UTCTime`.
pub const UTC_TIME: u8 = 0x17;
/// `GeneralizedTime`.
pub const GENERALIZED_TIME: u8 = 0x18;
/// `BMPString`.
pub const BMP_STRING: u8 = 0x1e;

/// The tag of a context-specific constructed field `[n]` (EXPLICIT).
pub const fn context_constructed(n: u8) -> u8 {
    0xa0 | n
}

/// The tag of a context-specific primitive field `[n] IMPLICIT`.
pub const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}

/// Builds DER bottom-up: each nested value is written into its own
/// buffer, then wrapped with its tag and length.
#[derive(Clone, Debug, Default)]
pub struct DerWriter {
    out: Vec<u8>,
}

impl DerWriter {
    /// An empty writer.
    pub fn new() -> Self {
        DerWriter::default()
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    /// Appends bytes that are already DER.
    pub fn raw(&mut self, der: &[u8]) {
        self.out.extend_from_slice(der);
    }

    /// Writes a tag, its DER length and `content`.
    pub fn tlv(&mut self, tag: u8, content: &[u8]) {
        self.out.push(tag);
        let len = content.len();
        if len < 0x80 {
            self.out.push(len as u8);
        } else {
            let bytes = (len as u32).to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            self.out.push(0x80 | (4 - skip) as u8);
            self.out.extend_from_slice(&bytes[skip..]);
        }
        self.out.extend_from_slice(content);
    }

    /// Writes a constructed value whose content `build` writes.
    pub fn nested(&mut self, tag: u8, build: impl FnOnce(&mut DerWriter)) {
        let mut inner = DerWriter::new();
        build(&mut inner);
        self.tlv(tag, &inner.out);
    }

    /// A `SEQUENCE`.
    pub fn sequence(&mut self, build: impl FnOnce(&mut DerWriter)) {
        self.nested(SEQUENCE, build);
    }

    /// A non-negative `INTEGER` from big-endian magnitude bytes.
    pub fn unsigned_integer(&mut self, magnitude: &[u8]) {
        let skip = magnitude.iter().take_while(|&&b| b == 0).count();
        let digits = &magnitude[skip..];
        let mut content = Vec::with_capacity(digits.len() + 1);
        // X.690 §8.3.2: a leading zero keeps the value positive.
        if digits.first().is_none_or(|&b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(digits);
        self.tlv(INTEGER, &content);
    }

    /// A `BOOLEAN` (DER: 0xff for true).
    pub fn boolean(&mut self, value: bool) {
        self.tlv(BOOLEAN, &[if value { 0xff } else { 0 }]);
    }

    /// An `OBJECT IDENTIFIER` from its encoded content bytes.
    pub fn oid(&mut self, encoded: &[u8]) {
        self.tlv(OID, encoded);
    }

    /// `NULL`.
    pub fn null(&mut self) {
        self.tlv(NULL, &[]);
    }

    /// A `BIT STRING` of whole bytes (no unused bits).
    pub fn bit_string(&mut self, bytes: &[u8]) {
        let mut content = Vec::with_capacity(bytes.len() + 1);
        content.push(0);
        content.extend_from_slice(bytes);
        self.tlv(BIT_STRING, &content);
    }

    /// An `OCTET STRING`.
    pub fn octet_string(&mut self, bytes: &[u8]) {
        self.tlv(OCTET_STRING, bytes);
    }
}

/// A cursor over DER bytes.
#[derive(Clone, Copy, Debug)]
pub struct DerReader<'a> {
    rest: &'a [u8],
}

/// One decoded value: its tag, its content and the whole encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag byte.
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// Tag, length and content together.
    pub whole: &'a [u8],
}

impl<'a> DerReader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        DerReader { rest: bytes }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next tag, without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads any one value.
    pub fn read_any(&mut self) -> Result<Tlv<'a>, CertError> {
        const TRUNCATED: CertError = CertError::BadEncoding("truncated DER value");
        let (&tag, after_tag) = self.rest.split_first().ok_or(TRUNCATED)?;
        if tag & 0x1f == 0x1f {
            return Err(CertError::BadEncoding("multi-byte DER tag"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or(TRUNCATED)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            // X.690 §10.1: DER uses definite lengths in the fewest octets.
            if count == 0 || count > 4 {
                return Err(CertError::BadEncoding("bad DER length"));
            }
            if after_len.len() < count {
                return Err(TRUNCATED);
            }
            let (digits, tail) = after_len.split_at(count);
            after_len = tail;
            if digits[0] == 0 {
                return Err(CertError::BadEncoding("non-minimal DER length"));
            }
            let len = digits
                .iter()
                .fold(0usize, |acc, &d| acc << 8 | usize::from(d));
            if len < 0x80 {
                return Err(CertError::BadEncoding("non-minimal DER length"));
            }
            len
        };
        if after_len.len() < len {
            return Err(TRUNCATED);
        }
        let header_len = self.rest.len() - after_len.len();
        let whole = &self.rest[..header_len + len];
        let content = &after_len[..len];
        self.rest = &after_len[len..];
        Ok(Tlv {
            tag,
            content,
            whole,
        })
    }

    /// Reads a value that must have `tag`; `what` names it in the error.
    pub fn read(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, CertError> {
        match self.peek_tag() {
            Some(t) if t == tag => self.read_any(),
            _ => Err(CertError::BadEncoding(what)),
        }
    }

    /// Reads a value with `tag` if it comes next.
    pub fn read_optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, CertError> {
        if self.peek_tag() == Some(tag) {
            self.read_any().map(Some)
        } else {
            Ok(None)
        }
    }

    /// The content of a `SEQUENCE` as a new reader.
    pub fn sequence(&mut self, what: &'static str) -> Result<DerReader<'a>, CertError> {
        Ok(DerReader::new(self.read(SEQUENCE, what)?.content))
    }

    /// Fails if anything is left; `what` names the structure.
    pub fn finish(&self, what: &'static str) -> Result<(), CertError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(CertError::BadEncoding(what))
        }
    }

    /// A `BOOLEAN`.
    pub fn boolean(&mut self, what: &'static str) -> Result<bool, CertError> {
        match self.read(BOOLEAN, what)?.content {
            [0] => Ok(false),
            [0xff] => Ok(true),
            _ => Err(CertError::BadEncoding(what)),
        }
    }

    /// A non-negative `INTEGER` that fits in a `u64`.
    pub fn small_unsigned(&mut self, what: &'static str) -> Result<u64, CertError> {
        let content = self.read(INTEGER, what)?.content;
        match content {
            [] => Err(CertError::BadEncoding(what)),
            [first, ..] if first & 0x80 != 0 => Err(CertError::BadEncoding(what)),
            _ if content.len() > 9 || (content.len() == 9 && content[0] != 0) => {
                Err(CertError::BadEncoding(what))
            }
            _ => Ok(content.iter().fold(0u64, |acc, &d| acc << 8 | u64::from(d))),
        }
    }

    /// The bytes of a `BIT STRING` with no unused bits.
    pub fn bit_string_bytes(&mut self, what: &'static str) -> Result<&'a [u8], CertError> {
        match self.read(BIT_STRING, what)?.content {
            [0, bytes @ ..] => Ok(bytes),
            _ => Err(CertError::BadEncoding(what)),
        }
    }
}

/// The dotted-decimal text of an encoded OID ("2.5.4.3"), for display of
/// attributes this crate has no name for.
pub fn oid_to_string(encoded: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value = 0u64;
    for &b in encoded {
        value = value.saturating_mul(128) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// The encoded content of a dotted-decimal OID ("1.3.6.1.5.5.7.3.1"), or
/// `None` unless it has at least two arcs, a first arc of 0, 1 or 2 and a
/// second arc below 40 under 0 and 1 (X.690 §8.19).
pub fn oid_from_dotted(text: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = text
        .split('.')
        .map(|arc| {
            let digits_only = !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit());
            digits_only.then(|| arc.parse().ok()).flatten()
        })
        .collect::<Option<_>>()?;
    let (&first, &second) = (arcs.first()?, arcs.get(1)?);
    if first > 2 || (first < 2 && second >= 40) {
        return None;
    }
    let mut out = Vec::new();
    let subidentifiers = core::iter::once(first.checked_mul(40)?.checked_add(second)?)
        .chain(arcs[2..].iter().copied());
    for value in subidentifiers {
        // Base 128, most significant group first, high bit set on all but the last.
        let groups = (64 - value.leading_zeros()).div_ceil(7).max(1);
        for group in (0..groups).rev() {
            let bits = ((value >> (7 * group)) & 0x7f) as u8;
            out.push(if group == 0 { bits } else { bits | 0x80 });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_short_and_long_lengths() {
        let mut w = DerWriter::new();
        w.octet_string(&[7; 3]);
        w.octet_string(&[7; 200]);
        w.octet_string(&[7; 300]);
        let out = w.finish();
        assert_eq!(&out[..2], &[0x04, 3]);
        assert_eq!(&out[5..8], &[0x04, 0x81, 200]);
        assert_eq!(&out[208..212], &[0x04, 0x82, 0x01, 0x2c]);
        let mut r = DerReader::new(&out);
        assert_eq!(r.read_any().unwrap().content.len(), 3);
        assert_eq!(r.read_any().unwrap().content.len(), 200);
        assert_eq!(r.read_any().unwrap().content.len(), 300);
        assert!(r.is_empty());
    }

    #[test]
    fn integers_stay_positive_and_minimal() {
        let mut w = DerWriter::new();
        w.unsigned_integer(&[0, 0, 0x80]);
        w.unsigned_integer(&[0, 0x01]);
        w.unsigned_integer(&[]);
        assert_eq!(w.finish(), [2, 2, 0, 0x80, 2, 1, 1, 2, 1, 0]);
        let mut r = DerReader::new(&[2, 2, 0, 0x80, 2, 1, 0xff]);
        assert_eq!(r.small_unsigned("n").unwrap(), 128);
        assert!(r.small_unsigned("n").is_err());
    }

    #[test]
    fn rejects_truncated_and_non_minimal_encodings() {
        for bad in [
            &[0x30][..],
            &[0x30, 0x05, 1, 2],
            &[0x30, 0x80, 0, 0],
            &[0x30, 0x81, 0x05, 1, 2, 3, 4, 5],
            &[0x30, 0x82, 0x00, 0x90],
            &[0x1f, 0x01, 0x00],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert!(matches!(
                DerReader::new(bad).read_any(),
                Err(CertError::BadEncoding(_))
            ));
        }
    }

    #[test]
    fn dotted_oids_encode_and_round_trip() {
        assert_eq!(
            oid_from_dotted("1.2.840.10045.4.3.2").unwrap(),
            [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]
        );
        assert_eq!(
            oid_from_dotted("2.5.29.32.0").unwrap(),
            [0x55, 0x1d, 0x20, 0x00]
        );
        for text in ["1.3.6.1.4.1.11129.2.5.1", "2.999.3", "0.39"] {
            assert_eq!(oid_to_string(&oid_from_dotted(text).unwrap()), text);
        }
        for bad in [
            "",
            "1",
            "3.1",
            "1.40",
            "1..2",
            "1.2.",
            "1.x",
            "+1.2",
            "1.2.99999999999999999999",
        ] {
            assert_eq!(oid_from_dotted(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn oids_print_dotted() {
        assert_eq!(oid_to_string(&[0x55, 0x04, 0x03]), "2.5.4.3");
        assert_eq!(
            oid_to_string(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
            "1.2.840.10045.4.3.2"
        );
    }
}
