//! SPDY/3.1 framing for the application data that tlsim carries inside TLS
//! records. This crate knows nothing of TLS: frames go in, bytes come out,
//! and back.
//!
//! Read first: the SPDY/3 specification (draft-mbelshe-httpbis-spdy-00),
//! §2.2 framing and §2.6 control frames, and the SPDY/3.1 amendment
//! (session-level flow control).
//!
//! Where to start reading:
//! - [`frame`]: the typed frames ([`Frame`]) and their code points
//!   ([`ControlType`], [`RstStatus`], [`GoAwayStatus`], [`SettingId`]).
//! - [`headers`]: name/value header blocks ([`HeaderBlock`]) and the
//!   per-direction zlib contexts ([`HeaderCompressor`],
//!   [`HeaderDecompressor`]) primed with [`dictionary`]'s SPDY/3 dictionary.
//! - [`codec`]: [`FrameWriter`] (frames to bytes) and the incremental,
//!   sans-IO [`FrameReader`] (bytes in any chunks to frames).
//! - `dissect`: [`Frame::title`] and [`Frame::fields`], the event-log view
//!   of a frame in Wireshark's vocabulary.
//! - [`session`]: a minimal client and server ([`SpdyClient`],
//!   [`SpdyServer`]) that exchange one GET and its response.
//! - [`error`]: [`SpdyError`] and its families.
//!
//! Nothing here reads a clock, draws randomness or does I/O; header
//! compression is deterministic (see [`headers`]).

#![forbid(unsafe_code)]

pub mod codec;
pub mod dictionary;
mod dissect;
pub mod error;
pub mod frame;
pub mod headers;
pub mod session;

pub use codec::{FrameReader, FrameWriter, WireFrame, decode_frame};
pub use dictionary::{SPDY3_DICTIONARY, SPDY3_DICTIONARY_ID};
pub use error::{CompressionError, InvalidFrame, InvalidHeaderBlock, SpdyError};
pub use frame::{
    ControlType, Data, Flags, Frame, GoAway, GoAwayStatus, Headers, Ping, RstStatus, RstStream,
    Setting, SettingFlags, SettingId, Settings, SynReply, SynStream, UnknownControl, WindowUpdate,
};
pub use headers::{
    Header, HeaderBlock, HeaderCompressor, HeaderDecompressor, MAX_HEADER_BLOCK_LEN,
};
pub use session::{ClientConfig, Response, SpdyClient, SpdyServer};
