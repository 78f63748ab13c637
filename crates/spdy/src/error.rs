//! The one error type of this crate, [`SpdyError`], and its families.
//!
//! SPDY/3 §2.4 knows two kinds of error: stream errors (answered with
//! RST_STREAM) and session errors (answered with GOAWAY, then the connection
//! closes). Everything a [`FrameReader`](crate::FrameReader) reports is a
//! session error: once a frame is malformed or a header block fails to
//! decompress, the shared compression context can no longer be trusted, so
//! the reader stays failed.

use core::fmt;

use crate::frame::ControlType;

/// Everything that can go wrong in this crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpdyError {
    /// The bytes do not form a valid SPDY frame.
    InvalidFrame(InvalidFrame),
    /// A name/value header block breaks the rules of SPDY/3 §2.6.10.
    InvalidHeaderBlock(InvalidHeaderBlock),
    /// A header block could not be compressed or decompressed.
    Compression(CompressionError),
    /// A frame to encode does not fit its 24-bit length field
    /// (SPDY/3 §2.2.1), or a field does not fit its width.
    Unencodable(&'static str),
    /// An earlier error poisoned this reader or writer; the first error is
    /// kept here.
    Poisoned(Box<SpdyError>),
}

/// Why bytes are not a SPDY frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidFrame {
    /// A control frame carries a version other than 3.
    UnsupportedVersion(u16),
    /// A control frame's length does not match what its type requires.
    WrongLength {
        /// The frame type.
        frame_type: ControlType,
        /// The length field.
        length: u32,
    },
    /// A SETTINGS frame's entry count disagrees with its length.
    SettingsCountMismatch {
        /// The number of entries announced.
        count: u32,
        /// The length field.
        length: u32,
    },
    /// A SYN_STREAM, SYN_REPLY or HEADERS frame whose header block
    /// decompresses past [`MAX_HEADER_BLOCK_LEN`](crate::MAX_HEADER_BLOCK_LEN).
    /// SPDY/3 §2.6.3 (FRAME_TOO_LARGE): the compression context is then out
    /// of step, so the session must close.
    HeaderBlockTooLarge {
        /// The frame type.
        frame_type: ControlType,
        /// The stream the frame belongs to.
        stream_id: u32,
    },
    /// The input ends before the frame does (whole-buffer parsing only).
    Truncated,
    /// Bytes follow the frame (whole-buffer parsing only).
    TrailingBytes,
}

/// Why a name/value header block is rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidHeaderBlock {
    /// SPDY/3 §2.6.10: names have a length greater than zero.
    EmptyName,
    /// SPDY/3 §2.6.10: names are lowercase US-ASCII; the offending name.
    BadName(String),
    /// SPDY/3 §2.6.10: duplicate header names are not allowed.
    DuplicateName(String),
    /// SPDY/3 §2.6.10: a value never starts or ends with NUL, and its
    /// NUL-separated values are not empty; the header's name.
    BadValue(String),
    /// The decompressed block ends inside a length or a string.
    Truncated(&'static str),
    /// Bytes follow the last announced pair.
    TrailingBytes,
    /// The decompressed block would exceed [`MAX_HEADER_BLOCK_LEN`](crate::MAX_HEADER_BLOCK_LEN).
    TooLarge,
}

/// Why zlib failed on a header block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompressionError {
    /// The compressed stream does not announce a preset dictionary, but
    /// SPDY/3 §2.6.10.1 requires the SPDY dictionary.
    MissingDictionary,
    /// The compressed stream announces a dictionary other than SPDY's.
    WrongDictionary {
        /// The Adler-32 DICTID found in the zlib header.
        found: u32,
    },
    /// zlib rejected the compressed data; the message names the step.
    Corrupt(&'static str),
    /// The compressor failed (a bug in the backend, never the input).
    Compressor(&'static str),
}

impl fmt::Display for SpdyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpdyError::InvalidFrame(e) => write!(f, "invalid SPDY frame: {e}"),
            SpdyError::InvalidHeaderBlock(e) => write!(f, "invalid SPDY header block: {e}"),
            SpdyError::Compression(e) => write!(f, "SPDY header compression: {e}"),
            SpdyError::Unencodable(what) => write!(f, "cannot encode SPDY frame: {what}"),
            SpdyError::Poisoned(first) => write!(f, "failed earlier: {first}"),
        }
    }
}

impl fmt::Display for InvalidFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidFrame::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            InvalidFrame::WrongLength { frame_type, length } => {
                write!(f, "{frame_type} with length {length}")
            }
            InvalidFrame::SettingsCountMismatch { count, length } => {
                write!(f, "SETTINGS announces {count} entries in length {length}")
            }
            InvalidFrame::HeaderBlockTooLarge {
                frame_type,
                stream_id,
            } => write!(
                f,
                "{frame_type} on stream {stream_id}: header block too large"
            ),
            InvalidFrame::Truncated => f.write_str("truncated"),
            InvalidFrame::TrailingBytes => f.write_str("trailing bytes"),
        }
    }
}

impl fmt::Display for InvalidHeaderBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidHeaderBlock::EmptyName => f.write_str("empty name"),
            InvalidHeaderBlock::BadName(n) => write!(f, "name {n:?} is not lowercase ASCII"),
            InvalidHeaderBlock::DuplicateName(n) => write!(f, "duplicate name {n:?}"),
            InvalidHeaderBlock::BadValue(n) => write!(f, "malformed value of {n:?}"),
            InvalidHeaderBlock::Truncated(what) => write!(f, "truncated in {what}"),
            InvalidHeaderBlock::TrailingBytes => f.write_str("trailing bytes"),
            InvalidHeaderBlock::TooLarge => f.write_str("too large"),
        }
    }
}

impl fmt::Display for CompressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompressionError::MissingDictionary => f.write_str("no preset dictionary"),
            CompressionError::WrongDictionary { found } => {
                write!(f, "dictionary {found:#010x} is not SPDY/3's")
            }
            CompressionError::Corrupt(what) => write!(f, "corrupt zlib data ({what})"),
            CompressionError::Compressor(what) => write!(f, "compressor failed ({what})"),
        }
    }
}

impl std::error::Error for SpdyError {}

impl From<InvalidFrame> for SpdyError {
    fn from(e: InvalidFrame) -> Self {
        SpdyError::InvalidFrame(e)
    }
}

impl From<InvalidHeaderBlock> for SpdyError {
    fn from(e: InvalidHeaderBlock) -> Self {
        SpdyError::InvalidHeaderBlock(e)
    }
}

impl From<CompressionError> for SpdyError {
    fn from(e: CompressionError) -> Self {
        SpdyError::Compression(e)
    }
}
