//! A minimal sans-IO SPDY/3.1 client and server: one GET and its response,
//! enough to fill the encrypted application data of a simulated session.
//!
//! Read first: SPDY/3 §2.3 (streams), §2.4 (error handling), §3.2 (HTTP
//! request/response); SPDY/3.1 §2.6.8 (session-level flow control).
//!
//! Both ends are driven the same way:
//! 1. [`handle_bytes`](SpdyClient::handle_bytes) with the bytes the
//!    transport delivered (any chunking);
//! 2. [`poll_recv`](SpdyClient::poll_recv) until it returns `Ok(None)`: each
//!    call processes one received frame and returns it for the event log;
//! 3. [`poll_transmit`](SpdyClient::poll_transmit) until it returns `None`:
//!    each call hands over one frame to send, already encoded, in order.
//!
//! Deliberate simplifications: the client opens exactly one stream (ID 1)
//! and never uploads a body, and refuses server push; the server answers
//! every SYN_STREAM with the same body; SETTINGS other than
//! INITIAL_WINDOW_SIZE are recorded nowhere.

use std::collections::{BTreeMap, VecDeque};

use crate::codec::{FrameReader, FrameWriter, WireFrame};
use crate::error::{InvalidFrame, SpdyError};
use crate::frame::{
    Data, Flags, Frame, GoAway, GoAwayStatus, MAX_STREAM_ID, Ping, RstStatus, RstStream, Setting,
    SettingFlags, SettingId, Settings, SynReply, SynStream, WindowUpdate,
};
use crate::headers::HeaderBlock;

/// SPDY/3 §2.6.8: the flow-control window every stream and (SPDY/3.1) the
/// session start with, in bytes.
pub const DEFAULT_WINDOW_SIZE: u32 = 65_536;

/// The largest DATA payload the server sends by default: what fits a TLS
/// record of 2^14 bytes with the 8-byte frame header.
pub const DEFAULT_MAX_DATA_FRAME_LEN: usize = 16_384 - 8;

/// The most streams the server serves at once; a SYN_STREAM beyond them is
/// refused. SPDY/3 §2.6.4 recommends a limit of no less than 100. The cap
/// also bounds the work of each frame that moves every stream's window.
pub const MAX_CONCURRENT_STREAMS: usize = 100;

/// The stream the client's request opens (SPDY/3 §2.3.2: client streams
/// are odd, starting at 1).
pub const REQUEST_STREAM_ID: u32 = 1;

/// What the client asks for, and how it sets up the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// The `:host` header.
    pub host: String,
    /// The `:path` header.
    pub path: String,
    /// The `user-agent` header.
    pub user_agent: String,
    /// The receive window the client announces for its streams in SETTINGS
    /// and grants the session with a WINDOW_UPDATE on stream 0.
    pub receive_window: u32,
}

impl ClientConfig {
    /// A GET of `path` on `host`, with a 10 MiB receive window as browsers
    /// of the SPDY era announced.
    pub fn new(host: impl Into<String>, path: impl Into<String>) -> Self {
        ClientConfig {
            host: host.into(),
            path: path.into(),
            user_agent: "tlsim".into(),
            receive_window: 10 * 1024 * 1024,
        }
    }
}

/// The response as the client has received it so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The SYN_REPLY's headers, once received.
    pub headers: Option<HeaderBlock>,
    /// The body received so far.
    pub body: Vec<u8>,
    /// Whether the server has finished the stream (FLAG_FIN).
    pub complete: bool,
    /// The server's RST_STREAM status, if it aborted the stream.
    pub reset: Option<RstStatus>,
}

/// What both ends share: the framing contexts, the outgoing queue, and the
/// GOAWAY bookkeeping.
#[derive(Debug, Default)]
struct Endpoint {
    writer: FrameWriter,
    reader: FrameReader,
    outbox: VecDeque<WireFrame>,
    goaway_sent: bool,
    peer_goaway: Option<GoAway>,
}

impl Endpoint {
    /// Encodes now, so that header blocks enter the compression context in
    /// sending order.
    fn send(&mut self, frame: Frame) -> Result<(), SpdyError> {
        let bytes = self.writer.encode(&frame)?;
        self.outbox.push_back(WireFrame { frame, bytes });
        Ok(())
    }

    fn go_away(&mut self, last_good_stream_id: u32, status: GoAwayStatus) -> Result<(), SpdyError> {
        if self.goaway_sent {
            return Ok(());
        }
        self.goaway_sent = true;
        self.send(Frame::GoAway(GoAway {
            flags: Flags::NONE,
            last_good_stream_id,
            status,
        }))
    }

    /// The next received frame; on a framing error, queues the GOAWAY that
    /// SPDY/3 §2.4.1 requires before returning the error.
    fn next_frame(&mut self, last_good_stream_id: u32) -> Result<Option<WireFrame>, SpdyError> {
        match self.reader.next_frame() {
            Ok(frame) => Ok(frame),
            Err(e) => {
                // A failure to encode the answer leaves the original error
                // the one worth reporting.
                match &e {
                    SpdyError::Poisoned(_) => {}
                    SpdyError::InvalidFrame(InvalidFrame::HeaderBlockTooLarge {
                        stream_id,
                        ..
                    }) => {
                        // SPDY/3 §2.6.3: FRAME_TOO_LARGE for a frame whose
                        // compressed block was not fully processed leaves the
                        // compression state out of sync, so "senders of
                        // FRAME_TOO_LARGE MUST close the session". The peer
                        // broke no rule; the limit is ours.
                        let _ = self.send(Frame::RstStream(RstStream {
                            flags: Flags::NONE,
                            stream_id: *stream_id,
                            status: RstStatus::FRAME_TOO_LARGE,
                        }));
                        let _ = self.go_away(last_good_stream_id, GoAwayStatus::INTERNAL_ERROR);
                    }
                    _ => {
                        let _ = self.go_away(last_good_stream_id, GoAwayStatus::PROTOCOL_ERROR);
                    }
                }
                Err(e)
            }
        }
    }

    /// SPDY/3 §2.6.5: a receiver echoes a PING it did not initiate; one it
    /// did initiate (its own parity) is the echo and is not answered.
    fn answer_ping(&mut self, ping: &Ping, own_parity: u32) -> Result<(), SpdyError> {
        if ping.id % 2 != own_parity {
            self.send(Frame::Ping(ping.clone()))?;
        }
        Ok(())
    }
}

/// The client end: opens the session with SETTINGS, requests one resource
/// with SYN_STREAM, grants flow-control credit as the body arrives, and
/// ends with GOAWAY.
#[derive(Debug)]
pub struct SpdyClient {
    config: ClientConfig,
    endpoint: Endpoint,
    opened: bool,
    response: Response,
    /// Bytes received on the stream and the session since the last
    /// WINDOW_UPDATE for each.
    unacked_stream: u32,
    unacked_session: u32,
    next_ping_id: u32,
}

impl SpdyClient {
    /// A client that will request `config.path` from `config.host`.
    pub fn new(config: ClientConfig) -> Self {
        SpdyClient {
            config,
            endpoint: Endpoint::default(),
            opened: false,
            response: Response::default(),
            unacked_stream: 0,
            unacked_session: 0,
            next_ping_id: 1,
        }
    }

    /// Queues SETTINGS (INITIAL_WINDOW_SIZE), a session WINDOW_UPDATE when
    /// the window exceeds the default, and the SYN_STREAM of the GET. Call
    /// once, when the transport is ready; later calls do nothing.
    ///
    /// # Errors
    /// [`SpdyError`] if a header does not encode (an invalid host or path).
    pub fn open(&mut self) -> Result<(), SpdyError> {
        if self.opened {
            return Ok(());
        }
        self.opened = true;
        let window = self.config.receive_window.min(MAX_STREAM_ID);
        self.endpoint.send(Frame::Settings(Settings {
            flags: Flags::NONE,
            entries: vec![Setting {
                flags: SettingFlags(0),
                id: SettingId::INITIAL_WINDOW_SIZE,
                value: window,
            }],
        }))?;
        // SPDY/3.1 §2.6.8: SETTINGS does not change the session window; only
        // a WINDOW_UPDATE on stream 0 grows it.
        if window > DEFAULT_WINDOW_SIZE {
            self.endpoint.send(Frame::WindowUpdate(WindowUpdate {
                flags: Flags::NONE,
                stream_id: 0,
                delta: window - DEFAULT_WINDOW_SIZE,
            }))?;
        }
        // SPDY/3 §3.2.1: the request's pseudo-headers, then ordinary ones.
        let mut headers = HeaderBlock::new();
        headers.push(":method", "GET")?;
        headers.push(":path", self.config.path.as_str())?;
        headers.push(":version", "HTTP/1.1")?;
        headers.push(":host", self.config.host.as_str())?;
        headers.push(":scheme", "https")?;
        headers.push("user-agent", self.config.user_agent.as_str())?;
        headers.push("accept-encoding", "gzip,deflate")?;
        self.endpoint.send(Frame::SynStream(SynStream {
            // A GET has no body: the request half-closes at once.
            flags: Flags::FIN,
            stream_id: REQUEST_STREAM_ID,
            associated_to: 0,
            priority: 0,
            slot: 0,
            headers,
        }))
    }

    /// Queues a PING with the next odd ID (SPDY/3 §2.6.5).
    ///
    /// # Errors
    /// Only if the writer failed earlier.
    pub fn ping(&mut self) -> Result<u32, SpdyError> {
        let id = self.next_ping_id;
        self.next_ping_id = self.next_ping_id.wrapping_add(2);
        self.endpoint.send(Frame::Ping(Ping {
            flags: Flags::NONE,
            id,
        }))?;
        Ok(id)
    }

    /// Queues GOAWAY (status OK). The client accepted no server stream, so
    /// the last good stream ID is 0. Later calls do nothing.
    ///
    /// # Errors
    /// Only if the writer failed earlier.
    pub fn close(&mut self) -> Result<(), SpdyError> {
        self.endpoint.go_away(0, GoAwayStatus::OK)
    }

    /// Hands over bytes received from the server, in any chunking. Follow
    /// with [`poll_recv`](Self::poll_recv).
    pub fn handle_bytes(&mut self, bytes: &[u8]) {
        self.endpoint.reader.feed(bytes);
    }

    /// Processes the next complete received frame and returns it, or
    /// `Ok(None)` when more bytes are needed. Answers go to
    /// [`poll_transmit`](Self::poll_transmit).
    ///
    /// # Errors
    /// A framing error, after which a GOAWAY is queued and every later call
    /// fails: PROTOCOL_ERROR, or for a header block over
    /// [`MAX_HEADER_BLOCK_LEN`](crate::MAX_HEADER_BLOCK_LEN) an RST_STREAM
    /// FRAME_TOO_LARGE on its stream, then INTERNAL_ERROR.
    pub fn poll_recv(&mut self) -> Result<Option<WireFrame>, SpdyError> {
        let Some(wire) = self.endpoint.next_frame(0)? else {
            return Ok(None);
        };
        match &wire.frame {
            Frame::SynReply(reply) if reply.stream_id == REQUEST_STREAM_ID => {
                if self.response.headers.is_some() {
                    // SPDY/3 §2.6.2: a second SYN_REPLY is a stream error.
                    self.reset(RstStatus::STREAM_IN_USE)?;
                } else {
                    self.response.headers = Some(reply.headers.clone());
                    self.response.complete |= reply.flags.contains(Flags::FIN);
                }
            }
            Frame::Data(data) if data.stream_id == REQUEST_STREAM_ID => self.on_data(data)?,
            Frame::RstStream(rst) if rst.stream_id == REQUEST_STREAM_ID => {
                self.response.reset = Some(rst.status);
            }
            Frame::SynStream(push) => {
                // Server push is not wanted: refuse the stream (SPDY/3 §3.3).
                self.endpoint.send(Frame::RstStream(RstStream {
                    flags: Flags::NONE,
                    stream_id: push.stream_id,
                    status: RstStatus::REFUSED_STREAM,
                }))?;
            }
            Frame::Ping(ping) => self.endpoint.answer_ping(ping, 1)?,
            Frame::GoAway(goaway) => self.endpoint.peer_goaway = Some(goaway.clone()),
            Frame::Data(data) => {
                // SPDY/3 §2.2.2: data for a stream that is not open.
                self.endpoint.send(Frame::RstStream(RstStream {
                    flags: Flags::NONE,
                    stream_id: data.stream_id,
                    status: RstStatus::INVALID_STREAM,
                }))?;
            }
            // SETTINGS, HEADERS, WINDOW_UPDATE (the client sends no data),
            // and unknown control frames (SPDY/3 §2.2.1: ignored).
            _ => {}
        }
        Ok(Some(wire))
    }

    fn on_data(&mut self, data: &Data) -> Result<(), SpdyError> {
        if self.response.headers.is_none() {
            // SPDY/3 §2.2.2: data before SYN_REPLY is a protocol error.
            return self.reset(RstStatus::PROTOCOL_ERROR);
        }
        if self.response.complete || self.response.reset.is_some() {
            // SPDY/3 §2.3.6: data after FIN.
            return self.reset(RstStatus::STREAM_ALREADY_CLOSED);
        }
        self.response.body.extend_from_slice(&data.payload);
        if data.flags.contains(Flags::FIN) {
            self.response.complete = true;
            return Ok(());
        }
        // Return credit once half a window is used, as browsers did, so the
        // server never stalls for long.
        let len = data.payload.len() as u32;
        self.unacked_stream = self.unacked_stream.saturating_add(len);
        self.unacked_session = self.unacked_session.saturating_add(len);
        let stream_window = self.config.receive_window.min(MAX_STREAM_ID);
        let session_window = stream_window.max(DEFAULT_WINDOW_SIZE);
        if self.unacked_session >= session_window / 2 {
            let delta = core::mem::take(&mut self.unacked_session);
            self.endpoint.send(Frame::WindowUpdate(WindowUpdate {
                flags: Flags::NONE,
                stream_id: 0,
                delta,
            }))?;
        }
        if self.unacked_stream >= stream_window / 2 {
            let delta = core::mem::take(&mut self.unacked_stream);
            self.endpoint.send(Frame::WindowUpdate(WindowUpdate {
                flags: Flags::NONE,
                stream_id: REQUEST_STREAM_ID,
                delta,
            }))?;
        }
        Ok(())
    }

    fn reset(&mut self, status: RstStatus) -> Result<(), SpdyError> {
        if self.response.reset.is_none() {
            self.response.reset = Some(status);
            self.endpoint.send(Frame::RstStream(RstStream {
                flags: Flags::NONE,
                stream_id: REQUEST_STREAM_ID,
                status,
            }))?;
        }
        Ok(())
    }

    /// The next frame to send, encoded. Call after [`open`](Self::open),
    /// [`poll_recv`](Self::poll_recv), [`ping`](Self::ping) and
    /// [`close`](Self::close), until it returns `None`; send the frames in
    /// the order returned.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<WireFrame> {
        self.endpoint.outbox.pop_front()
    }

    /// The response so far.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The server's GOAWAY, once received.
    pub fn peer_goaway(&self) -> Option<&GoAway> {
        self.endpoint.peer_goaway.as_ref()
    }
}

/// One stream the server is answering.
#[derive(Debug)]
struct ServerStream {
    /// How much of the body is sent.
    sent: usize,
    /// SPDY/3 §2.6.8: bytes the client will still accept on this stream.
    /// Signed: a SETTINGS change can drive it below zero.
    send_window: i64,
}

/// The server end: answers each SYN_STREAM with SYN_REPLY and the body in
/// DATA frames (the last with FLAG_FIN) within the client's flow-control
/// windows, echoes PINGs, and ends with GOAWAY.
#[derive(Debug)]
pub struct SpdyServer {
    body: Vec<u8>,
    max_data_frame_len: usize,
    endpoint: Endpoint,
    streams: BTreeMap<u32, ServerStream>,
    last_good_stream_id: u32,
    initial_window: i64,
    session_send_window: i64,
}

impl SpdyServer {
    /// A server that answers every request with `body` as `text/html`.
    pub fn new(body: impl Into<Vec<u8>>) -> Self {
        SpdyServer {
            body: body.into(),
            max_data_frame_len: DEFAULT_MAX_DATA_FRAME_LEN,
            endpoint: Endpoint::default(),
            streams: BTreeMap::new(),
            last_good_stream_id: 0,
            initial_window: i64::from(DEFAULT_WINDOW_SIZE),
            session_send_window: i64::from(DEFAULT_WINDOW_SIZE),
        }
    }

    /// Caps each DATA payload at `len` bytes (at least 1).
    #[must_use]
    pub fn with_max_data_frame_len(mut self, len: usize) -> Self {
        self.max_data_frame_len = len.clamp(1, crate::frame::MAX_FRAME_PAYLOAD_LEN);
        self
    }

    /// Hands over bytes received from the client, in any chunking. Follow
    /// with [`poll_recv`](Self::poll_recv).
    pub fn handle_bytes(&mut self, bytes: &[u8]) {
        self.endpoint.reader.feed(bytes);
    }

    /// Processes the next complete received frame and returns it, or
    /// `Ok(None)` when more bytes are needed. Answers go to
    /// [`poll_transmit`](Self::poll_transmit).
    ///
    /// # Errors
    /// A framing error, after which a GOAWAY is queued and every later call
    /// fails: PROTOCOL_ERROR, or for a header block over
    /// [`MAX_HEADER_BLOCK_LEN`](crate::MAX_HEADER_BLOCK_LEN) an RST_STREAM
    /// FRAME_TOO_LARGE on its stream, then INTERNAL_ERROR.
    pub fn poll_recv(&mut self) -> Result<Option<WireFrame>, SpdyError> {
        let Some(wire) = self.endpoint.next_frame(self.last_good_stream_id)? else {
            return Ok(None);
        };
        match &wire.frame {
            Frame::SynStream(syn) => self.on_syn_stream(syn)?,
            Frame::Settings(settings) => {
                for entry in &settings.entries {
                    if entry.id == SettingId::INITIAL_WINDOW_SIZE {
                        self.set_initial_window(entry.value);
                    }
                }
                self.send_data()?;
            }
            Frame::WindowUpdate(update) => {
                let delta = i64::from(update.delta);
                if update.stream_id == 0 {
                    self.session_send_window += delta;
                } else if let Some(stream) = self.streams.get_mut(&update.stream_id) {
                    stream.send_window += delta;
                }
                self.send_data()?;
            }
            Frame::RstStream(rst) => {
                self.streams.remove(&rst.stream_id);
            }
            Frame::Ping(ping) => self.endpoint.answer_ping(ping, 0)?,
            Frame::GoAway(goaway) => self.endpoint.peer_goaway = Some(goaway.clone()),
            Frame::Data(data) => {
                // Every request half-closed with its SYN_STREAM.
                let status = if data.stream_id != 0 && data.stream_id <= self.last_good_stream_id {
                    RstStatus::STREAM_ALREADY_CLOSED
                } else {
                    RstStatus::INVALID_STREAM
                };
                self.endpoint.send(Frame::RstStream(RstStream {
                    flags: Flags::NONE,
                    stream_id: data.stream_id,
                    status,
                }))?;
            }
            // SYN_REPLY and HEADERS from a client, unknown control frames
            // (SPDY/3 §2.2.1: ignored).
            _ => {}
        }
        Ok(Some(wire))
    }

    fn on_syn_stream(&mut self, syn: &SynStream) -> Result<(), SpdyError> {
        if self.endpoint.goaway_sent {
            // SPDY/3 §2.6.6: after GOAWAY, new streams are ignored.
            return Ok(());
        }
        // SPDY/3 §2.3.2: client streams are odd and increasing.
        if syn.stream_id % 2 == 0 || syn.stream_id <= self.last_good_stream_id {
            return self
                .endpoint
                .go_away(self.last_good_stream_id, GoAwayStatus::PROTOCOL_ERROR);
        }
        self.last_good_stream_id = syn.stream_id;
        if self.streams.len() >= MAX_CONCURRENT_STREAMS {
            // SPDY/3 §2.6.3: REFUSED_STREAM, the stream was not processed.
            return self.endpoint.send(Frame::RstStream(RstStream {
                flags: Flags::NONE,
                stream_id: syn.stream_id,
                status: RstStatus::REFUSED_STREAM,
            }));
        }
        let mut headers = HeaderBlock::new();
        headers.push(":status", "200 OK")?;
        headers.push(":version", "HTTP/1.1")?;
        headers.push("content-type", "text/html")?;
        headers.push("content-length", self.body.len().to_string())?;
        let empty = self.body.is_empty();
        self.endpoint.send(Frame::SynReply(SynReply {
            flags: if empty { Flags::FIN } else { Flags::NONE },
            stream_id: syn.stream_id,
            headers,
        }))?;
        if !empty {
            self.streams.insert(
                syn.stream_id,
                ServerStream {
                    sent: 0,
                    send_window: self.initial_window,
                },
            );
            self.send_data()?;
        }
        Ok(())
    }

    /// SPDY/3 §2.6.8: a new INITIAL_WINDOW_SIZE shifts every open stream's
    /// window by the difference.
    fn set_initial_window(&mut self, value: u32) {
        let value = i64::from(value.min(MAX_STREAM_ID));
        let shift = value - self.initial_window;
        self.initial_window = value;
        for stream in self.streams.values_mut() {
            stream.send_window += shift;
        }
    }

    /// Sends as much body as the windows allow, streams in ID order.
    fn send_data(&mut self) -> Result<(), SpdyError> {
        let ids: Vec<u32> = self.streams.keys().copied().collect();
        for id in ids {
            while let Some(stream) = self.streams.get_mut(&id) {
                let remaining = self.body.len() - stream.sent;
                let allowed = stream.send_window.min(self.session_send_window).max(0);
                let len = remaining
                    .min(self.max_data_frame_len)
                    .min(usize::try_from(allowed).unwrap_or(usize::MAX));
                if len == 0 {
                    break;
                }
                let start = stream.sent;
                stream.sent += len;
                stream.send_window -= len as i64;
                self.session_send_window -= len as i64;
                let fin = stream.sent == self.body.len();
                if fin {
                    self.streams.remove(&id);
                }
                self.endpoint.send(Frame::Data(Data {
                    flags: if fin { Flags::FIN } else { Flags::NONE },
                    stream_id: id,
                    payload: self.body[start..start + len].to_vec(),
                }))?;
            }
        }
        Ok(())
    }

    /// Queues GOAWAY (status OK) naming the last stream accepted. Later
    /// calls do nothing.
    ///
    /// # Errors
    /// Only if the writer failed earlier.
    pub fn close(&mut self) -> Result<(), SpdyError> {
        self.endpoint
            .go_away(self.last_good_stream_id, GoAwayStatus::OK)
    }

    /// The next frame to send, encoded. Call after
    /// [`poll_recv`](Self::poll_recv) and [`close`](Self::close) until it
    /// returns `None`; send the frames in the order returned.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<WireFrame> {
        self.endpoint.outbox.pop_front()
    }

    /// Streams whose body is not fully sent (waiting for window credit).
    pub fn pending_streams(&self) -> usize {
        self.streams.len()
    }

    /// The client's GOAWAY, once received.
    pub fn peer_goaway(&self) -> Option<&GoAway> {
        self.endpoint.peer_goaway.as_ref()
    }
}

#[cfg(test)]
mod tests;
