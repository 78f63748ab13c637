//! The TLS 1.0–1.2 client actor of tlsim: a sans-IO state machine.
//!
//! Read first: RFC 5246 §7.3 (handshake overview), §7.4 (the messages);
//! RFC 4492 / RFC 8422 (ECDHE); RFC 5746, RFC 7627, RFC 7301 (extensions).
//!
//! - [`ClientConnection`]: bytes in ([`Connection::handle_bytes`]),
//!   bytes out ([`Connection::write_tls`]), events out
//!   ([`Connection::poll_event`]); time, randomness and the event sink are
//!   passed in.
//! - [`config`]: what the client offers and trusts, as plain data.
//! - `hs`: the handshake, one struct per message expected next.
//! - [`tickets`]: the TLS 1.3 tickets kept for resumption and 0-RTT.
//! - [`states`]: the name of each handshake state and every legal
//!   transition, declared once and checked in debug builds; rendered in
//!   `docs/tls-client-states.dot`.
//!
//! The connection API, record layer, alerts, key schedule and session
//! store are shared with the server in `tlsim_tls::conn`.
//!
//! - `client_auth`: answering a Certificate Request with the configured
//!   certificate and a CertificateVerify, or an empty Certificate.
//!
//! - `renegotiation`: secure renegotiation (RFC 5746): the verify_data in
//!   each hello's renegotiation_info and its checks; a Hello Request is run
//!   as a new handshake when the policy accepts it, or refused with a
//!   warning no_renegotiation.
//!
//! Session tickets are kept and
//! presented: RFC 5077's when `session_ticket` is on (`ticket`), TLS 1.3's
//! for resumption and 0-RTT when `tickets` is set (`tickets`,
//! `tls13_psk`).

#![forbid(unsafe_code)]

mod client_auth;
pub mod config;
mod hs;
mod renegotiation;
pub mod states;
mod ticket;
pub mod tickets;
mod tls13;
mod tls13_psk;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tlsim_sim::RngStream;
use tlsim_tls::conn::{Connection, Core, EventContext};
use tlsim_tls::enums::ProtocolVersion;

pub use config::{ClientCertificate, ClientConfig, ClientPins, ClientSessionStore};
pub use hs::client_extensions;

/// One client connection; the methods shared with the server, from
/// [`handle_bytes`](Connection::handle_bytes) to
/// [`negotiated`](Connection::negotiated), come through [`Deref`] to
/// [`Connection`].
pub struct ClientConnection {
    conn: Connection,
}

impl ClientConnection {
    /// A connection that has sent nothing yet; [`start`](Connection::start)
    /// chooses the client random and queues the Client Hello. Until then
    /// every record received is unexpected_message.
    pub fn new(config: Arc<ClientConfig>, rng: RngStream, ctx: EventContext) -> Self {
        // RFC 5246 Appendix E.1: the Client Hello's record version is the
        // lowest the client supports, TLS 1.0 by custom.
        let record_version = config
            .record_version
            .unwrap_or(config.max_version.min(ProtocolVersion::Tls10));
        let mut core = Core::new(ctx, rng, record_version);
        core.set_max_handshake_len(config.max_handshake_len);
        core.ignore_hello_requests_while_handshaking();
        if let Some(ivs) = &config.pins.cbc_ivs {
            core.pin_cbc_ivs(ivs);
        }
        if let Some(first) = config.pins.gcm_nonce {
            core.pin_gcm_nonce(first);
        }
        if let Some(master_secret) = config.pins.master_secret {
            core.pin_master_secret(master_secret);
        }
        if config.coalesce_handshake_records {
            core.coalesce_handshake_records();
        }
        ClientConnection {
            conn: Connection::new(
                core,
                Box::new(hs::NotStarted { config }),
                &states::TRANSITIONS,
            ),
        }
    }
}

impl Deref for ClientConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}
