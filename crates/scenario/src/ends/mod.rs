//! Connection ends: what runs above TCP on each side of a connection.
//!
//! Every kind of end is one `ConnectionEnd`: a plain TCP application
//! (`plain::PlainEnd`), a TLS client or server (`tls::TlsEnd`), SPDY over
//! TLS (a `TlsEnd` carrying a `spdy::Spdy` application), and a scripted TLS
//! peer running a conversation (`script::ScriptEnd`), and a recorded
//! server replayed byte for byte (`replay::ReplayEnd`). The runner drives an
//! end with transport events, its timer and the timeline's commands; the
//! end reads and writes through its `Transport` and keeps its own record of
//! what happened ([`EndReport`]): the bytes it sent and
//! received, the alerts, how TLS ended.
//!
//! Data flows one way through each layer: bytes read from the transport go
//! to TLS, TLS's plaintext to the application; the application's output goes
//! to TLS, TLS's records to the outbox, the outbox to the transport.
//!
//! An end knows nothing of the simulator beyond time, randomness and the
//! tracer: the transport may as well be a real socket.

pub(crate) mod factory;
pub(crate) mod plain;
pub(crate) mod replay;
pub(crate) mod script;
pub(crate) mod spdy;
pub(crate) mod tls;

use std::collections::VecDeque;
use std::sync::LazyLock;

use tlsim_sim::{Instant, Tracer, buffers};
use tlsim_tls::enums::{AlertDescription, AlertLevel};

use crate::digest::StreamDigest;
use crate::schema::Data;

pub use script::ConversationReport;

/// What an end can see of its transport's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportState {
    /// Not connected yet: nothing can be sent.
    Opening,
    /// Connected, and our side may still send (RFC 9293 ESTABLISHED or CLOSE-WAIT).
    Open,
    /// Our side has closed, or the connection is gone.
    Done,
}

/// A byte stream to the peer, as a TCP socket offers it.
pub(crate) trait Transport {
    /// Whether bytes may be written.
    fn state(&self) -> TransportState;
    /// Offers `bytes`; returns how many the send buffer accepted.
    fn write(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) -> usize;
    /// Appends the bytes received, in order, to `out`; returns how many.
    fn read(&mut self, out: &mut Vec<u8>) -> usize;
    /// Drops the bytes received; returns how many (for ends that only count).
    fn discard(&mut self) -> usize;
    /// Closes our side once the queued bytes are sent (a FIN).
    fn close(&mut self, now: Instant, tracer: &mut dyn Tracer);
    /// Drops what is queued and resets the connection (a RST).
    fn abort(&mut self, now: Instant, tracer: &mut dyn Tracer);
}

/// Something that happened to an end's transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransportEvent {
    /// The connection is open: connected (client) or accepted (server).
    Connected,
    /// Bytes can be read.
    Readable,
    /// Send buffer space freed after a short write.
    Writable,
    /// The peer closed its side: nothing more will be read.
    PeerClosed,
}

/// One connection end, driven by the runner.
///
/// Every method may write to the transport and record events. After each
/// call the runner asks [`poll_timeout`](ConnectionEnd::poll_timeout) when the end
/// next wants [`handle_timeout`](ConnectionEnd::handle_timeout).
pub(crate) trait ConnectionEnd {
    /// Gives the end its transport: at once for a client, on accept for a
    /// server. Nothing is sent before [`TransportEvent::Connected`].
    fn attach(&mut self, transport: Box<dyn Transport>);
    /// Reacts to the transport.
    fn handle_transport(&mut self, now: Instant, event: TransportEvent, tracer: &mut dyn Tracer);
    /// The timeline's `Send`: application bytes to send.
    fn send(&mut self, now: Instant, data: &Data, tracer: &mut dyn Tracer);
    /// The timeline's `Close`: send what is queued, then close.
    fn close(&mut self, now: Instant, tracer: &mut dyn Tracer);
    /// The timeline's `Abort`: drop what is queued and reset.
    fn abort(&mut self, now: Instant, tracer: &mut dyn Tracer);
    /// The timeline's `KeyUpdate` (RFC 8446 §4.6.3): only a TLS stack has
    /// keys to update; any other end does nothing.
    fn key_update(&mut self, _now: Instant, _request_update: bool, _tracer: &mut dyn Tracer) {}
    /// The timeline's `Renegotiate` (RFC 5746): only a TLS 1.2 stack has
    /// one to begin.
    fn renegotiate(&mut self, _now: Instant, _tracer: &mut dyn Tracer) {}
    /// When the end next wants [`handle_timeout`](ConnectionEnd::handle_timeout)
    /// (an end without timers: never).
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    /// Its deadline has come.
    fn handle_timeout(&mut self, _now: Instant, _tracer: &mut dyn Tracer) {}
    /// NSS key-log lines made since the last call (an end without keys: none).
    fn take_keylog(&mut self) -> Vec<String> {
        Vec::new()
    }
    /// What the end has done so far.
    fn report(&self) -> EndReport;
}

/// A transport and the bytes queued for it, as ends that hand it whole
/// chunks keep them (a plain application, a conversation): the timeline's
/// `Send`, `Close` and `Abort` act on it.
#[derive(Default)]
pub(crate) struct Outbound {
    pub(crate) transport: Option<Box<dyn Transport>>,
    pub(crate) outbox: Chunks,
    /// Close once everything queued is sent.
    pub(crate) close_wanted: bool,
    pub(crate) closed_at: Option<Instant>,
}

impl Outbound {
    /// Whether bytes may be written: connected, and not closed by this end.
    pub(crate) fn is_open(&self) -> bool {
        self.closed_at.is_none()
            && (self.transport.as_deref()).is_some_and(|t| t.state() == TransportState::Open)
    }

    /// Writes the queue into the transport, handing each accepted piece to
    /// `accepted`; true once all of it is written.
    pub(crate) fn write_queued(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        accepted: impl FnMut(&[u8]),
    ) -> bool {
        match self.transport.as_deref_mut() {
            Some(t) if t.state() == TransportState::Open => {
                self.outbox.write_to(t, now, tracer, accepted)
            }
            _ => false,
        }
    }

    /// Closes the transport (a FIN after the queued bytes), once.
    pub(crate) fn close_once(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if let (None, Some(transport)) = (self.closed_at, self.transport.as_deref_mut()) {
            self.closed_at = Some(now);
            transport.close(now, tracer);
        }
    }

    /// Drops what is queued and resets the connection (a RST).
    pub(crate) fn abort(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.outbox.clear();
        if let Some(transport) = self.transport.as_deref_mut() {
            self.closed_at.get_or_insert(now);
            transport.abort(now, tracer);
        }
    }
}

/// An alert an end sent or received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertSeen {
    /// Its level.
    pub level: AlertLevel,
    /// Its description.
    pub description: AlertDescription,
    /// When it was sent or received.
    pub at: Instant,
}

/// How the TLS of an end ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsOutcome {
    /// The handshake did not complete.
    Handshaking,
    /// The handshake completed.
    Complete,
    /// The connection failed (an alert was sent or received, or the peer
    /// broke the protocol).
    Failed,
}

/// What one connection end did, as it counted it.
#[derive(Clone, Debug, Default)]
pub struct EndReport {
    /// Application bytes it handed to TLS, or to TCP without TLS.
    pub sent: StreamDigest,
    /// Application bytes it read from TLS, or from TCP without TLS.
    pub received: StreamDigest,
    /// Alerts it sent, fatal and warning (RFC 5246 §7.2), but close_notify.
    pub alerts_sent: Vec<AlertSeen>,
    /// Alerts it received, at the level they carried, but close_notify.
    pub alerts_received: Vec<AlertSeen>,
    /// How its TLS ended; `None` without TLS.
    pub tls: Option<TlsOutcome>,
    /// When its TLS handshake completed, if it did.
    pub handshake_at: Option<Instant>,
    /// When it closed or reset its side of the connection, if it did.
    pub closed_at: Option<Instant>,
    /// How its conversation went; `None` for an end that is not scripted.
    pub conversation: Option<script::ConversationReport>,
}

/// Byte `i` of a `Pattern` stream is `i mod PATTERN_PERIOD` (a prime, so
/// the pattern never lines up with segment or record sizes).
const PATTERN_PERIOD: usize = 251;

/// The most bytes handed to TCP, or to TLS, at a time: four TLS records.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The pattern from every phase, one chunk long: any piece of a `Pattern`
/// stream is a slice of it.
static PATTERN: LazyLock<Vec<u8>> =
    LazyLock::new(|| pattern_bytes((PATTERN_PERIOD + CHUNK) as u64));

/// The first `len` bytes of a `Pattern` stream.
pub(crate) fn pattern_bytes(len: u64) -> Vec<u8> {
    (0..len)
        .map(|i| (i % PATTERN_PERIOD as u64) as u8)
        .collect()
}

/// `len` bytes (at most [`CHUNK`]) of a `Pattern` stream from `offset`.
fn pattern_slice(offset: u64, len: usize) -> &'static [u8] {
    let start = (offset % PATTERN_PERIOD as u64) as usize;
    &PATTERN[start..start + len]
}

/// Bytes queued for a layer below, not yet taken by it.
pub(crate) enum Chunk {
    /// Bytes, and how many of them were taken.
    Bytes(Vec<u8>, usize),
    /// So many bytes of the `Pattern` stream, streamed as they are taken.
    Pattern(u64),
}

impl Chunk {
    pub(crate) fn of(data: &Data) -> Chunk {
        match data {
            Data::Pattern(n) => Chunk::Pattern(*n),
            Data::Text(t) => Chunk::Bytes(t.clone().into_bytes(), 0),
            Data::Hex(b) => Chunk::Bytes(b.clone(), 0),
        }
    }

    fn left(&self) -> u64 {
        match self {
            Chunk::Bytes(b, done) => (b.len() - done) as u64,
            Chunk::Pattern(left) => *left,
        }
    }

    /// The next `len` bytes (at most [`CHUNK`] of a pattern), where the
    /// pattern stream stands at `offset`.
    fn peek(&self, offset: u64, len: usize) -> &[u8] {
        match self {
            Chunk::Bytes(b, done) => &b[*done..*done + len],
            Chunk::Pattern(_) => pattern_slice(offset, len),
        }
    }

    /// Marks `n` bytes taken; true once all are.
    fn take(&mut self, n: usize) -> bool {
        match self {
            Chunk::Bytes(b, done) => {
                *done += n;
                *done == b.len()
            }
            Chunk::Pattern(left) => {
                *left -= n as u64;
                *left == 0
            }
        }
    }
}

/// Bytes on their way to a layer below, in the order they were queued:
/// records into the transport ([`write_to`](Chunks::write_to)), or
/// application bytes into TLS ([`take_piece`](Chunks::take_piece)).
#[derive(Default)]
pub(crate) struct Chunks {
    chunks: VecDeque<Chunk>,
    /// Where a `Pattern` chunk stands in its stream: for `write_to`, bytes
    /// written so far on the connection; for `take_piece`, bytes of the
    /// front chunk taken.
    offset: u64,
}

impl Chunks {
    pub(crate) fn push(&mut self, chunk: Chunk) {
        self.chunks.push_back(chunk);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
    }

    /// Bytes queued.
    pub(crate) fn len(&self) -> u64 {
        self.chunks.iter().map(Chunk::left).sum()
    }

    /// Writes the queue into `transport`, a chunk per write, handing each
    /// accepted piece to `accepted`. False if the transport could not take
    /// all of it.
    pub(crate) fn write_to(
        &mut self,
        transport: &mut dyn Transport,
        now: Instant,
        tracer: &mut dyn Tracer,
        mut accepted: impl FnMut(&[u8]),
    ) -> bool {
        while let Some(front) = self.chunks.front_mut() {
            // A byte chunk goes whole, as it was queued; a pattern, a
            // chunk at a time.
            let len = match front {
                Chunk::Bytes(..) => front.left() as usize,
                Chunk::Pattern(left) => (*left).min(CHUNK as u64) as usize,
            };
            let bytes = front.peek(self.offset, len);
            let n = transport.write(now, bytes, tracer);
            accepted(&bytes[..n]);
            self.offset += n as u64;
            if front.take(n) {
                // Written records' buffer serves the next flight (see
                // `tlsim_sim::buffers`).
                if let Some(Chunk::Bytes(mut bytes, _)) = self.chunks.pop_front() {
                    buffers::recycle(&mut bytes);
                }
            } else if n < len {
                return false;
            }
        }
        true
    }

    /// The next piece of at most `room` bytes, cut to whole records of
    /// `record` bytes unless the whole front chunk fits; passes it to
    /// `take` and returns whether there was one.
    pub(crate) fn take_piece(
        &mut self,
        room: usize,
        record: usize,
        take: impl FnOnce(&[u8]),
    ) -> bool {
        let Some(front) = self.chunks.front_mut() else {
            return false;
        };
        let left = front.left();
        // Whole records, as one write of the whole chunk would make.
        let piece = if left <= room as u64 {
            left as usize
        } else {
            room / record * record
        };
        if piece == 0 {
            return false;
        }
        take(front.peek(self.offset, piece));
        self.offset += piece as u64;
        if front.take(piece) {
            self.chunks.pop_front();
            self.offset = 0;
        }
        true
    }
}
