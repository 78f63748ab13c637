//! The TLS 1.0–1.2 client actor of tlsim: a sans-IO state machine.
//!
//! Read first: RFC 5246 §7.3 (handshake overview), §7.4 (the messages);
//! RFC 4492 / RFC 8422 (ECDHE); RFC 5746, RFC 7627, RFC 7301 (extensions).
//!
//! - [`ClientConnection`]: bytes in ([`ClientConnection::handle_bytes`]),
//!   bytes out ([`ClientConnection::write_tls`]), events out
//!   ([`ClientConnection::poll_event`]); time, randomness and the event
//!   sink are passed in.
//! - [`config`]: what the client offers and trusts, as plain data.
//! - `hs`: the handshake, one struct per message expected next.
//!
//! The record layer, alerts and key schedule are shared with the server
//! in `tlsim_tls::conn`.
//!
//! Deliberate omissions: no renegotiation (a HelloRequest is ignored), no
//! client certificates, no session tickets (a ticket is accepted into the
//! transcript but not used).

#![forbid(unsafe_code)]

pub mod config;
mod hs;

use std::sync::Arc;

use tlsim_sim::{Instant, RngStream, Tracer};
use tlsim_tls::conn::{Core, EventContext, Negotiated, State, TlsEvent};
use tlsim_tls::enums::ProtocolVersion;

pub use config::{ClientConfig, ClientPins, ClientSessionStore};

/// One client connection.
pub struct ClientConnection {
    config: Arc<ClientConfig>,
    core: Core,
    state: Option<Box<dyn State>>,
}

impl ClientConnection {
    /// A connection that has sent nothing yet; call [`start`](Self::start).
    pub fn new(config: Arc<ClientConfig>, rng: RngStream, ctx: EventContext) -> Self {
        // RFC 5246 Appendix E.1: the Client Hello's record version is the
        // lowest the client supports, TLS 1.0 by custom.
        let record_version = config
            .record_version
            .unwrap_or(config.max_version.min(0x0301));
        let mut core = Core::new(ctx, rng, ProtocolVersion::from(record_version));
        if let Some(ivs) = &config.pins.cbc_ivs {
            core.pin_cbc_ivs(ivs);
        }
        ClientConnection {
            config,
            core,
            state: None,
        }
    }

    /// Chooses the client random and queues the Client Hello. Call once.
    pub fn start(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        if self.state.is_some() || self.core.has_failed() {
            return;
        }
        self.state = Some(hs::start(self.config.clone(), &mut self.core, now, tracer));
    }

    /// Feeds bytes from the transport, split anywhere. Errors do not
    /// return: they queue a fatal alert, log it, and report
    /// [`TlsEvent::Failed`]; after that, input is ignored.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) {
        if self.state.is_none() && !self.core.has_failed() {
            // Bytes before start: nothing may arrive before our hello.
            self.state = Some(Box::new(hs::Connected));
        }
        self.core.handle_bytes(&mut self.state, now, bytes, tracer);
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

    /// Queues close_notify (RFC 5246 §7.2.1); later writes are dropped.
    pub fn close(&mut self, now: Instant, tracer: &mut dyn Tracer) {
        self.core.close(now, tracer);
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

    /// Whether the handshake is still running (false once complete or
    /// failed).
    pub fn is_handshaking(&self) -> bool {
        self.core.is_handshaking()
    }

    /// Whether the connection failed.
    pub fn has_failed(&self) -> bool {
        self.core.has_failed()
    }

    /// What the handshake settled on, once the Server Hello is in.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.core.negotiated.as_ref()
    }
}
