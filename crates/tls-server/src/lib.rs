//! The TLS 1.0–1.2 server actor of tlsim: a sans-IO state machine.
//!
//! Read first: RFC 5246 §7.3 (handshake overview), §7.4 (the messages);
//! RFC 4492 / RFC 8422 (ECDHE); RFC 5746, RFC 7627, RFC 7301 (extensions).
//!
//! - [`ServerConnection`]: bytes in ([`ServerConnection::handle_bytes`]),
//!   bytes out ([`ServerConnection::write_tls`]), events out
//!   ([`ServerConnection::poll_event`]); time, randomness and the event
//!   sink are passed in.
//! - [`config`]: versions, suites, groups, the certificate and key, the
//!   session cache, as plain data.
//! - `hs`: the handshake, one struct per message expected next.
//!
//! Deliberate omissions: no renegotiation (a second Client Hello is
//! unexpected_message), no client authentication, no session tickets
//! (the extension is ignored), no static RSA key exchange.

#![forbid(unsafe_code)]

pub mod config;
mod hs;

use std::sync::Arc;

use tlsim_sim::{Instant, RngStream, Tracer};
use tlsim_tls::conn::{Core, EventContext, Negotiated, State, TlsEvent};
use tlsim_tls::enums::ProtocolVersion;

pub use config::{ServerConfig, ServerPins, ServerSessionCache};

/// One server connection.
pub struct ServerConnection {
    core: Core,
    state: Option<Box<dyn State>>,
}

impl ServerConnection {
    /// A connection waiting for a Client Hello.
    pub fn new(config: Arc<ServerConfig>, rng: RngStream, ctx: EventContext) -> Self {
        let mut core = Core::new(ctx, rng, ProtocolVersion::Tls10);
        if let Some(ivs) = &config.pins.cbc_ivs {
            core.pin_cbc_ivs(ivs);
        }
        ServerConnection {
            core,
            state: Some(Box::new(hs::ExpectClientHello { config })),
        }
    }

    /// Nothing to do: the client speaks first. Present so that both actors
    /// are driven alike.
    pub fn start(&mut self, _now: Instant, _tracer: &mut dyn Tracer) {}

    /// Feeds bytes from the transport, split anywhere. Errors do not
    /// return: they queue a fatal alert, log it, and report
    /// [`TlsEvent::Failed`]; after that, input is ignored.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8], tracer: &mut dyn Tracer) {
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

    /// What the handshake settled on, once the Server Hello is sent.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.core.negotiated.as_ref()
    }
}
