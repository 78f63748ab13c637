//! The public face of a connection, the same for client and server: a
//! [`Core`] record layer driven by the current handshake [`State`].

use tlsim_sim::{Instant, Tracer};

use super::machine::{Machine, Transitions, Trigger};
use super::{Core, Negotiated, State, TlsEvent};

/// One TLS connection, client or server. The actors' connection types
/// dereference to it, so these methods are their public API.
pub struct Connection {
    core: Core,
    machine: Machine,
}

impl Connection {
    /// A connection whose handshake begins in `first`: a server waiting
    /// for the Client Hello, or a client waiting for [`start`](Self::start).
    /// Every step it takes is one that `declared` lists (checked in debug
    /// builds).
    pub fn new(core: Core, first: Box<dyn State>, declared: &'static dyn Transitions) -> Self {
        Connection {
            core,
            machine: Machine::new(first, declared),
        }
    }

    /// Begins the handshake of the side that speaks first: its state
    /// queues the opening flight. Does nothing once begun, or after a
    /// failure.
    pub fn start(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if self.core.has_failed() {
            return;
        }
        if let Some(next) = self
            .machine
            .state
            .as_mut()
            .and_then(|state| state.start(&mut self.core, now, tracer))
        {
            self.machine.enter(Trigger::Start, next);
        }
    }

    /// Feeds bytes from the transport, split anywhere. Errors do not
    /// return: they queue a fatal alert, log it, and report
    /// [`TlsEvent::Failed`]; after that, input is ignored.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) {
        self.core
            .handle_bytes(&mut self.machine, now, bytes, tracer);
    }

    /// [`handle_bytes`](Self::handle_bytes) for the bytes `read` appends to
    /// the buffer it is given (about `expected` of them): a transport that
    /// can append to a `Vec` hands them over without a copy of its own.
    pub fn read_tls(
        &mut self,
        now: Instant,
        expected: usize,
        read: impl FnOnce(&mut Vec<u8>),
        tracer: &mut dyn Tracer,
    ) {
        self.core
            .read_tls(&mut self.machine, now, expected, read, tracer);
    }

    /// Appends the bytes queued for the transport to `out`; returns how
    /// many.
    pub fn write_tls(&mut self, out: &mut Vec<u8>) -> usize {
        self.core.write_tls(out)
    }

    /// Whether [`write_tls`](Self::write_tls) has bytes to give.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        self.core.wants_write()
    }

    /// Sends application data: kept until the handshake completes, then
    /// written in records of at most 2^14 bytes.
    pub fn send_application_data(&mut self, now: Instant, data: &[u8], tracer: &mut dyn Tracer) {
        self.core.send_application_data(now, data, tracer);
    }

    /// Appends the decrypted application bytes received to `out`; returns
    /// how many.
    pub fn read_application_data(&mut self, out: &mut Vec<u8>) -> usize {
        self.core.read_application_data(out)
    }

    /// Queues close_notify (RFC 5246 §7.2.1) after the application data
    /// written before, which may wait for the handshake; later writes are
    /// dropped.
    pub fn close(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.core.close(now, tracer);
    }

    /// RFC 8446 §4.6.3: sends a KeyUpdate and writes under the next
    /// application traffic secret from now on; `request_update` asks the
    /// peer to update its own. Returns whether it was sent: a TLS 1.3
    /// connection can once its handshake has completed, until it closes or
    /// fails; on any other it does nothing.
    pub fn key_update(
        &mut self,
        now: Instant,
        tracer: &mut dyn Tracer,
        request_update: bool,
    ) -> bool {
        self.core.tls13_send_key_update(now, tracer, request_update)
    }

    /// RFC 5746: begins a renegotiation of a TLS 1.0–1.2 connection (a
    /// client sends a new Client Hello, a server a Hello Request). Returns
    /// whether it began: only once connected, with a peer that signalled
    /// secure renegotiation, and not while one runs.
    pub fn renegotiate(&mut self, now: Instant, tracer: &mut dyn Tracer) -> bool {
        if !self.core.can_renegotiate() {
            return false;
        }
        let next = self
            .machine
            .state
            .as_mut()
            .and_then(|state| state.renegotiate(&mut self.core, now, tracer));
        match next {
            Some(next) => {
                self.machine.enter(Trigger::Renegotiate, next);
                true
            }
            None => false,
        }
    }

    /// The next event, in the order they happened.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TlsEvent> {
        self.core.poll_event()
    }

    /// NSS key log lines (`CLIENT_RANDOM …`) not taken yet.
    pub fn keylog_lines(&mut self) -> Vec<String> {
        self.core.take_keylog()
    }

    /// Whether key log lines are made (they are unless told otherwise).
    pub fn keep_keylog(&mut self, keep: bool) {
        self.core.keep_keylog(keep);
    }

    /// Whether the handshake is still running (false once complete or
    /// failed).
    pub fn is_handshaking(&self) -> bool {
        self.core.is_handshaking()
    }

    /// Whether the connection failed.
    pub fn has_failed(&self) -> bool {
        self.core.has_failed()
    }

    /// Whether application data written now goes out at once (the
    /// handshake is complete; neither side closed; no failure).
    pub fn is_ready_for_application_data(&self) -> bool {
        self.core.is_ready_for_application_data()
    }

    /// Application bytes written before the handshake completed, kept
    /// until it does.
    pub fn held_application_data(&self) -> usize {
        self.core.held_application_data()
    }

    /// Whether the last record is written (close_notify or a fatal
    /// alert): once its bytes are sent, the transport may close.
    pub fn is_done_writing(&self) -> bool {
        self.core.is_done_writing()
    }

    /// What the handshake settled on, once the Server Hello has been sent
    /// or received.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.core.negotiated.as_ref()
    }

    /// The name of the handshake state the connection is in, as the
    /// actor's transition table lists it (`Closed` after the peer's
    /// close_notify, `Failed` after an error).
    pub fn state_name(&self) -> &'static str {
        self.machine.current()
    }

    /// The edges of the actor's transition table this connection took, by
    /// their index in `Declaration::edges`. Recorded in debug builds only:
    /// a release build yields none.
    pub fn transitions_taken(&self) -> impl Iterator<Item = usize> + '_ {
        self.machine.taken()
    }
}
