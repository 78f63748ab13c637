//! A real TCP socket as a connection end's [`Transport`].
//!
//! The socket is non-blocking. The end writes into a bounded send buffer
//! ([`SEND_BUFFER`]) and reads from what the driver last received; the
//! driver calls [`Link::poll`] to move bytes between the buffers and the
//! kernel and to learn what happened, as the simulated network reports
//! socket events.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::rc::Rc;

use tlsim_sim::{Instant, Tracer};

use super::capture::{Direction, SyntheticFlow};
use super::record::Transcript;
use crate::ends::{Transport, TransportEvent, TransportState};

/// Bytes the end may queue before a write comes up short.
const SEND_BUFFER: usize = 256 * 1024;
/// Bytes read from the kernel at a time.
const READ_CHUNK: usize = 64 * 1024;

/// How our side of the connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OurSide {
    Open,
    /// A close was asked for: FIN once the send buffer is empty.
    Closing,
    Closed,
    Aborted,
}

/// The socket and its buffers, shared by the end's transport and the driver.
pub(crate) struct Link {
    stream: TcpStream,
    outgoing: Vec<u8>,
    incoming: Vec<u8>,
    ours: OurSide,
    peer_closed: bool,
    /// A write came up short: tell the end once there is room.
    blocked: bool,
    /// The first I/O error: the connection is over.
    error: Option<io::Error>,
    flow: SyntheticFlow,
    /// When bytes last moved either way.
    last_progress: Instant,
    /// What crossed the socket, in order, when the session is recorded.
    transcript: Option<Transcript>,
}

/// What a [`Link::poll`] saw.
pub(crate) struct Polled {
    /// Events for the end, in order.
    pub(crate) events: Vec<TransportEvent>,
    /// Whether any byte moved, or the connection's state changed.
    pub(crate) progress: bool,
}

impl Link {
    /// Wraps a connected stream; `local_connected` says which side opened it.
    pub(crate) fn new(
        now: Instant,
        stream: TcpStream,
        local_connected: bool,
    ) -> io::Result<Rc<RefCell<Link>>> {
        stream.set_nonblocking(true)?;
        // Records go out as soon as they are written, as a TLS stack wants.
        stream.set_nodelay(true)?;
        let flow = SyntheticFlow::open(
            now,
            stream.local_addr()?,
            stream.peer_addr()?,
            local_connected,
        );
        Ok(Rc::new(RefCell::new(Link {
            stream,
            outgoing: Vec::new(),
            incoming: Vec::new(),
            ours: OurSide::Open,
            peer_closed: false,
            blocked: false,
            error: None,
            flow,
            last_progress: now,
            transcript: None,
        })))
    }

    /// Whether the connection is over: our side closed (or reset, or
    /// failed), and the peer's closed too unless we reset.
    pub(crate) fn finished(&self) -> bool {
        self.error.is_some()
            || self.ours == OurSide::Aborted
            || (self.ours == OurSide::Closed && self.peer_closed)
    }

    /// Whether the peer has closed its side.
    pub(crate) fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// The I/O error that ended the connection, if one did.
    pub(crate) fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    /// When bytes last moved.
    pub(crate) fn last_progress(&self) -> Instant {
        self.last_progress
    }

    /// Keeps what crosses the socket from now on, for [`take_transcript`](Link::take_transcript).
    pub(crate) fn keep_transcript(&mut self) {
        self.transcript.get_or_insert_with(Transcript::default);
    }

    /// What crossed the socket since [`keep_transcript`](Link::keep_transcript).
    pub(crate) fn take_transcript(&mut self) -> Option<Transcript> {
        self.transcript.take()
    }

    /// The capture's packets made since the last call.
    pub(crate) fn take_packets(&mut self) -> Vec<(Instant, Vec<u8>)> {
        self.flow.take_packets()
    }

    /// Moves bytes between the buffers and the kernel.
    pub(crate) fn poll(&mut self, now: Instant) -> Polled {
        let mut polled = Polled {
            events: Vec::new(),
            progress: self.flush(now),
        };
        if self.blocked && self.outgoing.len() < SEND_BUFFER {
            self.blocked = false;
            polled.events.push(TransportEvent::Writable);
        }
        if self.peer_closed || self.error.is_some() || self.ours == OurSide::Aborted {
            return polled;
        }
        let mut chunk = vec![0; READ_CHUNK];
        let mut readable = false;
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.peer_closed = true;
                    self.flow.fin(now, Direction::In);
                    if let Some(t) = self.transcript.as_mut() {
                        t.peer_closed();
                    }
                    polled.events.push(TransportEvent::PeerClosed);
                    break;
                }
                Ok(n) => {
                    self.incoming.extend_from_slice(&chunk[..n]);
                    self.flow.data(now, Direction::In, &chunk[..n]);
                    if let Some(t) = self.transcript.as_mut() {
                        t.received(&chunk[..n]);
                    }
                    readable = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // A reset from the peer ends its side as a close would,
                    // after what it sent before.
                    self.peer_closed = true;
                    if e.kind() == io::ErrorKind::ConnectionReset {
                        self.flow.rst(now, Direction::In);
                    }
                    if let Some(t) = self.transcript.as_mut() {
                        t.peer_reset();
                    }
                    self.error = Some(e);
                    polled.events.push(TransportEvent::PeerClosed);
                    break;
                }
            }
        }
        if readable {
            polled.events.insert(0, TransportEvent::Readable);
        }
        polled.progress |= !polled.events.is_empty();
        if polled.progress {
            self.last_progress = now;
        }
        polled
    }

    /// Writes what the kernel takes; sends the FIN once nothing is left
    /// after a close. Returns whether anything moved.
    fn flush(&mut self, now: Instant) -> bool {
        let mut moved = false;
        while !self.outgoing.is_empty() && self.error.is_none() {
            match self.stream.write(&self.outgoing) {
                Ok(n) => {
                    self.flow.data(now, Direction::Out, &self.outgoing[..n]);
                    if let Some(t) = self.transcript.as_mut() {
                        t.sent(&self.outgoing[..n]);
                    }
                    self.outgoing.drain(..n);
                    moved = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.error = Some(e),
            }
        }
        if self.ours == OurSide::Closing && self.outgoing.is_empty() && self.error.is_none() {
            // A socket the peer has reset may refuse the shutdown: the
            // connection is over either way.
            let _ = self.stream.shutdown(Shutdown::Write);
            self.flow.fin(now, Direction::Out);
            self.ours = OurSide::Closed;
            moved = true;
        }
        if moved {
            self.last_progress = now;
        }
        moved
    }
}

/// The end's handle on a [`Link`].
pub(crate) struct RealSocket(pub(crate) Rc<RefCell<Link>>);

impl Transport for RealSocket {
    fn state(&self) -> TransportState {
        let link = self.0.borrow();
        if link.ours == OurSide::Open && link.error.is_none() {
            TransportState::Open
        } else {
            TransportState::Done
        }
    }

    fn write(&mut self, now: Instant, bytes: &[u8], _tracer: &mut dyn Tracer) -> usize {
        let mut link = self.0.borrow_mut();
        if link.ours != OurSide::Open || link.error.is_some() {
            return 0;
        }
        let taken = bytes.len().min(SEND_BUFFER - link.outgoing.len());
        link.outgoing.extend_from_slice(&bytes[..taken]);
        if taken < bytes.len() {
            link.blocked = true;
        }
        link.flush(now);
        taken
    }

    fn read(&mut self, out: &mut Vec<u8>) -> usize {
        let mut link = self.0.borrow_mut();
        let n = link.incoming.len();
        out.append(&mut link.incoming);
        n
    }

    fn discard(&mut self) -> usize {
        let mut link = self.0.borrow_mut();
        let n = link.incoming.len();
        link.incoming.clear();
        n
    }

    fn close(&mut self, now: Instant, _tracer: &mut dyn Tracer) {
        let mut link = self.0.borrow_mut();
        if link.ours == OurSide::Open {
            link.ours = OurSide::Closing;
            link.flush(now);
        }
    }

    fn abort(&mut self, now: Instant, _tracer: &mut dyn Tracer) {
        let mut link = self.0.borrow_mut();
        if matches!(link.ours, OurSide::Open | OurSide::Closing) {
            link.outgoing.clear();
            // std cannot set SO_LINGER to zero, which would make the kernel
            // send a RST: both halves shut at once is the nearest.
            let _ = link.stream.shutdown(Shutdown::Both);
            link.flow.rst(now, Direction::Out);
            link.ours = OurSide::Aborted;
        }
    }
}
