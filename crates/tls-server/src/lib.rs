//! The TLS 1.0–1.2 server actor of tlsim: a sans-IO state machine.
//!
//! Read first: RFC 5246 §7.3 (handshake overview), §7.4 (the messages);
//! RFC 4492 / RFC 8422 (ECDHE); RFC 5746, RFC 7627, RFC 7301 (extensions).
//!
//! - [`ServerConnection`]: bytes in ([`Connection::handle_bytes`]),
//!   bytes out ([`Connection::write_tls`]), events out
//!   ([`Connection::poll_event`]); time, randomness and the event sink are
//!   passed in; the connection API is shared with the client in
//!   `tlsim_tls::conn`.
//! - [`config`]: versions, suites, groups, the certificate and key, the
//!   session cache, as plain data.
//! - `hs`: the handshake, one struct per message expected next.
//! - [`states`]: the name of each handshake state and every legal
//!   transition, declared once and checked in debug builds; rendered in
//!   `docs/tls-server-states.dot`.
//!
//! - `client_auth`: asking for a client certificate (policy none,
//!   optional or required), verifying its chain and CertificateVerify, in
//!   TLS 1.2 and 1.3.
//!
//! - `renegotiation`: secure renegotiation (RFC 5746): a Client Hello once
//!   connected is run as a new handshake when the policy accepts it, or
//!   refused with a warning no_renegotiation; a Hello Request asks the
//!   client for one.
//!
//! Session tickets are issued
//! and accepted when configured: RFC 5077's in TLS 1.2 ([`TicketPolicy`]),
//! RFC 8446's in TLS 1.3 ([`config::Tls13TicketConfig`]); otherwise the
//! extension is ignored.

#![forbid(unsafe_code)]

mod client_auth;
pub mod config;
mod hs;
mod renegotiation;
pub mod states;
mod ticket;
mod tls13;
mod tls13_checks;
mod tls13_cookie;
mod tls13_pins;
mod tls13_psk;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tlsim_sim::RngStream;
use tlsim_tls::conn::{Connection, Core, EventContext};
use tlsim_tls::enums::ProtocolVersion;

pub use config::{
    ClientAuth, ClientAuthPolicy, ServerConfig, ServerPins, ServerSessionCache, TicketPolicy,
};
pub use tls13_pins::{IssuedTickets, PinnedTicket, PinnedTickets};

/// One server connection; the methods shared with the client, from
/// [`handle_bytes`](Connection::handle_bytes) to
/// [`negotiated`](Connection::negotiated), come through [`Deref`] to
/// [`Connection`].
pub struct ServerConnection {
    conn: Connection,
}

impl ServerConnection {
    /// A connection waiting for a Client Hello.
    pub fn new(config: Arc<ServerConfig>, rng: RngStream, ctx: EventContext) -> Self {
        let mut core = Core::new(ctx, rng, ProtocolVersion::Tls10);
        core.set_max_handshake_len(config.max_handshake_len);
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
        ServerConnection {
            conn: Connection::new(
                core,
                Box::new(hs::ExpectClientHello { config }),
                &states::TRANSITIONS,
            ),
        }
    }
}

impl Deref for ServerConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}
