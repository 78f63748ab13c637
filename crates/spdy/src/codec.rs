//! Frames to bytes ([`FrameWriter`]) and bytes to frames ([`FrameReader`],
//! [`decode_frame`]).
//!
//! Read first: SPDY/3 §2.2 (framing), §2.6 (control frames).
//!
//! Panic contract: nothing here panics on any input. Decoding returns a
//! [`SpdyError`]; reserved bits (`X` in the spec's diagrams, the unused bits
//! after the priority) are ignored on receipt and sent as zero.

use crate::error::{InvalidFrame, InvalidHeaderBlock, SpdyError};
use crate::frame::{
    ControlType, Data, FRAME_HEADER_LEN, Flags, Frame, GoAway, GoAwayStatus, Headers,
    MAX_FRAME_PAYLOAD_LEN, MAX_STREAM_ID, Ping, RstStatus, RstStream, SPDY_VERSION, Setting,
    SettingFlags, SettingId, Settings, SynReply, SynStream, UnknownControl, WindowUpdate,
};
use crate::headers::{HeaderBlock, HeaderCompressor, HeaderDecompressor};

/// A frame together with its exact bytes on the wire: what the event log
/// needs to show both the dissection and the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireFrame {
    /// The decoded frame.
    pub frame: Frame,
    /// Its encoding, header included.
    pub bytes: Vec<u8>,
}

impl WireFrame {
    /// The event title, as [`Frame::title`].
    pub fn title(&self) -> &'static str {
        self.frame.title()
    }

    /// The explanation for learners, as [`Frame::explain`].
    pub fn explain(&self) -> &'static str {
        self.frame.explain()
    }

    /// The dissection, spans shifted by `base` (where these bytes start in
    /// the event's bytes), as [`Frame::fields`].
    pub fn fields(&self, base: u32) -> Vec<tlsim_sim::Field> {
        self.frame.fields(&self.bytes, base)
    }
}

/// The mask of a 31-bit field; the top bit is reserved.
const U31: u32 = MAX_STREAM_ID;

/// Encodes frames for one direction of a session, owning that direction's
/// header compression context.
///
/// Frames must be encoded in the order they are sent: each header block
/// refers back to the previous ones.
#[derive(Debug, Default)]
pub struct FrameWriter {
    compressor: HeaderCompressor,
    failed: Option<SpdyError>,
}

impl FrameWriter {
    /// A writer with a fresh compression context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Encodes one frame.
    ///
    /// # Errors
    /// [`SpdyError::Unencodable`] if a field is wider than its wire format
    /// (stream IDs over 31 bits, priority over 7, a SETTINGS ID over 24 bits,
    /// a payload over 2^24-1 bytes) or an [`UnknownControl`] carries a type
    /// this crate interprets. Such errors leave the writer usable, except a
    /// compressed header block that turns out too long: the compression
    /// context has then moved on, so the writer fails every later call with
    /// [`SpdyError::Poisoned`].
    pub fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>, SpdyError> {
        if let Some(first) = &self.failed {
            return Err(SpdyError::Poisoned(Box::new(first.clone())));
        }
        check_encodable(frame)?;
        let mut body = Vec::new();
        match frame {
            Frame::SynStream(f) => {
                put_u32(&mut body, f.stream_id);
                put_u32(&mut body, f.associated_to);
                // SPDY/3 §2.6.1: Pri (3 bits), Unused (5 bits), Slot (8 bits).
                body.push(f.priority << 5);
                body.push(f.slot);
                self.compress(&f.headers, &mut body)?;
            }
            Frame::SynReply(f) => {
                put_u32(&mut body, f.stream_id);
                self.compress(&f.headers, &mut body)?;
            }
            Frame::Headers(f) => {
                put_u32(&mut body, f.stream_id);
                self.compress(&f.headers, &mut body)?;
            }
            Frame::RstStream(f) => {
                put_u32(&mut body, f.stream_id);
                put_u32(&mut body, f.status.0);
            }
            Frame::Settings(f) => {
                put_u32(&mut body, f.entries.len() as u32);
                for entry in &f.entries {
                    // SPDY/3 §2.6.4: Flags (8 bits), ID (24 bits), Value (32 bits).
                    put_u32(&mut body, u32::from(entry.flags.0) << 24 | entry.id.0);
                    put_u32(&mut body, entry.value);
                }
            }
            Frame::Ping(f) => put_u32(&mut body, f.id),
            Frame::GoAway(f) => {
                put_u32(&mut body, f.last_good_stream_id);
                put_u32(&mut body, f.status.0);
            }
            Frame::WindowUpdate(f) => {
                put_u32(&mut body, f.stream_id);
                put_u32(&mut body, f.delta);
            }
            Frame::Unknown(f) => body.extend_from_slice(&f.payload),
            Frame::Data(f) => body.extend_from_slice(&f.payload),
        }
        if body.len() > MAX_FRAME_PAYLOAD_LEN {
            let err = SpdyError::Unencodable("payload exceeds the 24-bit length field");
            if matches!(
                frame,
                Frame::SynStream(_) | Frame::SynReply(_) | Frame::Headers(_)
            ) {
                self.failed = Some(err.clone());
            }
            return Err(err);
        }
        let mut out = Vec::with_capacity(FRAME_HEADER_LEN + body.len());
        match frame.control_type() {
            Some(frame_type) => {
                out.extend_from_slice(&(0x8000 | SPDY_VERSION).to_be_bytes());
                out.extend_from_slice(&frame_type.0.to_be_bytes());
            }
            None => put_u32(&mut out, frame.stream_id().unwrap_or(0)),
        }
        put_u32(
            &mut out,
            u32::from(frame.flags().0) << 24 | body.len() as u32,
        );
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn compress(&mut self, block: &HeaderBlock, out: &mut Vec<u8>) -> Result<(), SpdyError> {
        self.compressor.compress(block, out).inspect_err(|e| {
            self.failed = Some(e.clone());
        })
    }
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn check_encodable(frame: &Frame) -> Result<(), SpdyError> {
    let stream_ids: &[u32] = match frame {
        Frame::SynStream(f) => &[f.stream_id, f.associated_to],
        Frame::SynReply(f) => &[f.stream_id],
        Frame::RstStream(f) => &[f.stream_id],
        Frame::Headers(f) => &[f.stream_id],
        Frame::WindowUpdate(f) => &[f.stream_id, f.delta],
        Frame::GoAway(f) => &[f.last_good_stream_id],
        Frame::Data(f) => &[f.stream_id],
        Frame::Settings(_) | Frame::Ping(_) | Frame::Unknown(_) => &[],
    };
    if stream_ids.iter().any(|&id| id > MAX_STREAM_ID) {
        return Err(SpdyError::Unencodable("31-bit field out of range"));
    }
    match frame {
        Frame::SynStream(f) if f.priority > 7 => Err(SpdyError::Unencodable("priority above 7")),
        Frame::Settings(f)
            if f.entries.iter().any(|e| e.id.0 > 0x00ff_ffff)
                || f.entries.len() > (MAX_FRAME_PAYLOAD_LEN - 4) / 8 =>
        {
            Err(SpdyError::Unencodable(
                "SETTINGS entry ID over 24 bits or too many entries",
            ))
        }
        Frame::Unknown(f) if is_interpreted(f.frame_type) => Err(SpdyError::Unencodable(
            "unknown control frame with an interpreted type",
        )),
        _ => Ok(()),
    }
}

fn is_interpreted(frame_type: ControlType) -> bool {
    matches!(
        frame_type,
        ControlType::SYN_STREAM
            | ControlType::SYN_REPLY
            | ControlType::RST_STREAM
            | ControlType::SETTINGS
            | ControlType::PING
            | ControlType::GOAWAY
            | ControlType::HEADERS
            | ControlType::WINDOW_UPDATE
    )
}

/// Checks a frame header and returns the payload length it announces.
///
/// Everything that can be judged from the 8 header bytes is judged here, so
/// a reader fails as soon as the header arrives rather than after buffering
/// a bogus length.
fn check_header(header: &[u8; FRAME_HEADER_LEN]) -> Result<usize, SpdyError> {
    let length = u32::from_be_bytes([0, header[5], header[6], header[7]]);
    if header[0] & 0x80 == 0 {
        return Ok(length as usize);
    }
    let version = u16::from_be_bytes([header[0], header[1]]) & 0x7fff;
    if version != SPDY_VERSION {
        return Err(InvalidFrame::UnsupportedVersion(version).into());
    }
    let frame_type = ControlType(u16::from_be_bytes([header[2], header[3]]));
    let length_ok = match frame_type {
        ControlType::SYN_STREAM => length >= 10,
        ControlType::SYN_REPLY | ControlType::HEADERS => length >= 4,
        ControlType::RST_STREAM | ControlType::GOAWAY | ControlType::WINDOW_UPDATE => length == 8,
        ControlType::PING => length == 4,
        // SPDY/3 §2.6.4: the entry count, then 8 bytes per entry.
        ControlType::SETTINGS => length >= 4 && (length - 4) % 8 == 0,
        _ => true,
    };
    if !length_ok {
        return Err(InvalidFrame::WrongLength { frame_type, length }.into());
    }
    Ok(length as usize)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    // Callers have checked the length; an out-of-range read is a bug here.
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Decodes one complete frame whose header `check_header` accepted;
/// `frame` is exactly the frame's bytes.
fn decode_checked(frame: &[u8], decompressor: &mut HeaderDecompressor) -> Result<Frame, SpdyError> {
    let flags = Flags(frame[4]);
    let body = &frame[FRAME_HEADER_LEN..];
    if frame[0] & 0x80 == 0 {
        return Ok(Frame::Data(Data {
            flags,
            stream_id: u32_at(frame, 0) & U31,
            payload: body.to_vec(),
        }));
    }
    let frame_type = ControlType(u16::from_be_bytes([frame[2], frame[3]]));
    Ok(match frame_type {
        ControlType::SYN_STREAM => Frame::SynStream(SynStream {
            flags,
            stream_id: u32_at(body, 0) & U31,
            associated_to: u32_at(body, 4) & U31,
            priority: body[8] >> 5,
            slot: body[9],
            headers: decompress(decompressor, frame_type, body, 10)?,
        }),
        ControlType::SYN_REPLY => Frame::SynReply(SynReply {
            flags,
            stream_id: u32_at(body, 0) & U31,
            headers: decompress(decompressor, frame_type, body, 4)?,
        }),
        ControlType::HEADERS => Frame::Headers(Headers {
            flags,
            stream_id: u32_at(body, 0) & U31,
            headers: decompress(decompressor, frame_type, body, 4)?,
        }),
        ControlType::RST_STREAM => Frame::RstStream(RstStream {
            flags,
            stream_id: u32_at(body, 0) & U31,
            status: RstStatus(u32_at(body, 4)),
        }),
        ControlType::SETTINGS => {
            let count = u32_at(body, 0);
            let entries = &body[4..];
            if u64::from(count) * 8 != entries.len() as u64 {
                return Err(InvalidFrame::SettingsCountMismatch {
                    count,
                    length: body.len() as u32,
                }
                .into());
            }
            Frame::Settings(Settings {
                flags,
                entries: entries
                    .chunks_exact(8)
                    .map(|e| Setting {
                        flags: SettingFlags(e[0]),
                        id: SettingId(u32_at(e, 0) & 0x00ff_ffff),
                        value: u32_at(e, 4),
                    })
                    .collect(),
            })
        }
        ControlType::PING => Frame::Ping(Ping {
            flags,
            id: u32_at(body, 0),
        }),
        ControlType::GOAWAY => Frame::GoAway(GoAway {
            flags,
            last_good_stream_id: u32_at(body, 0) & U31,
            status: GoAwayStatus(u32_at(body, 4)),
        }),
        ControlType::WINDOW_UPDATE => Frame::WindowUpdate(WindowUpdate {
            flags,
            stream_id: u32_at(body, 0) & U31,
            delta: u32_at(body, 4) & U31,
        }),
        _ => Frame::Unknown(UnknownControl {
            frame_type,
            flags,
            payload: body.to_vec(),
        }),
    })
}

/// Decompresses the header block that starts at `block_start` of a
/// SYN_STREAM, SYN_REPLY or HEADERS body, naming the frame's stream if the
/// block is too large.
fn decompress(
    decompressor: &mut HeaderDecompressor,
    frame_type: ControlType,
    body: &[u8],
    block_start: usize,
) -> Result<HeaderBlock, SpdyError> {
    decompressor
        .decompress(&body[block_start..])
        .map_err(|e| match e {
            SpdyError::InvalidHeaderBlock(InvalidHeaderBlock::TooLarge) => {
                InvalidFrame::HeaderBlockTooLarge {
                    frame_type,
                    stream_id: u32_at(body, 0) & U31,
                }
                .into()
            }
            other => other,
        })
}

/// Decodes the first frame of `bytes`, returning it and the number of bytes
/// it took.
///
/// # Errors
/// [`InvalidFrame::Truncated`] if `bytes` ends before the frame does; any
/// other [`SpdyError`] for a malformed frame or header block.
pub fn decode_frame(
    bytes: &[u8],
    decompressor: &mut HeaderDecompressor,
) -> Result<(Frame, usize), SpdyError> {
    let header: &[u8; FRAME_HEADER_LEN] = bytes
        .get(..FRAME_HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(InvalidFrame::Truncated)?;
    let total = FRAME_HEADER_LEN + check_header(header)?;
    let frame = bytes.get(..total).ok_or(InvalidFrame::Truncated)?;
    Ok((decode_checked(frame, decompressor)?, total))
}

/// Turns the bytes of one direction of a session into frames, fed in
/// arbitrary chunks.
///
/// Call [`feed`](Self::feed) with each chunk as it arrives, then
/// [`next_frame`](Self::next_frame) until it returns `Ok(None)`. The reader
/// owns that direction's header decompression context. After the first
/// error it stays failed: every later call returns [`SpdyError::Poisoned`]
/// holding the first error (SPDY/3 §2.4.1: a session error ends the
/// session).
#[derive(Debug, Default)]
pub struct FrameReader {
    /// Received bytes; those before `start` are already returned as frames.
    buffer: Vec<u8>,
    /// Where the next frame begins in `buffer`. Frames are consumed by
    /// moving this offset, so reading n frames from one feed costs O(n)
    /// rather than shifting the rest of the buffer once per frame.
    start: usize,
    /// Bytes moved to the front by compaction over the reader's life: at
    /// most the unread tail at each feed, never the whole buffer per frame.
    compacted: usize,
    decompressor: HeaderDecompressor,
    failed: Option<SpdyError>,
}

impl FrameReader {
    /// A reader with a fresh decompression context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes. Ignored once the reader has failed.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        // Compact once per feed: only the unread tail (at most one partial
        // frame after the previous drain) moves.
        if self.start > 0 {
            self.compacted += self.buffer.len() - self.start;
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete frame, or `Ok(None)` if more bytes are needed.
    ///
    /// # Errors
    /// The first malformed frame's error, then [`SpdyError::Poisoned`].
    pub fn next_frame(&mut self) -> Result<Option<WireFrame>, SpdyError> {
        if let Some(first) = &self.failed {
            return Err(SpdyError::Poisoned(Box::new(first.clone())));
        }
        match self.try_next() {
            Ok(frame) => Ok(frame),
            Err(e) => {
                self.failed = Some(e.clone());
                self.buffer = Vec::new();
                self.start = 0;
                Err(e)
            }
        }
    }

    fn try_next(&mut self) -> Result<Option<WireFrame>, SpdyError> {
        let unread = &self.buffer[self.start..];
        let Some(header) = unread.first_chunk::<FRAME_HEADER_LEN>() else {
            return Ok(None);
        };
        let total = FRAME_HEADER_LEN + check_header(header)?;
        let Some(bytes) = unread.get(..total) else {
            return Ok(None);
        };
        let bytes = bytes.to_vec();
        self.start += total;
        let frame = decode_checked(&bytes, &mut self.decompressor)?;
        Ok(Some(WireFrame { frame, bytes }))
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len() - self.start
    }

    /// Whether an error has ended this reader.
    pub fn has_failed(&self) -> bool {
        self.failed.is_some()
    }
}

#[cfg(test)]
mod tests;
