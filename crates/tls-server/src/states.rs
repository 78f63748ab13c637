//! The server's states and every legal transition between them, declared
//! once in [`TRANSITIONS`]: each handler's step is checked against it in
//! debug builds, and `docs/tls-server-states.dot` is its Graphviz
//! rendering.
//!
//! - Full handshake (RFC 5246 §7.3, Figure 1): Client Hello, Client Key
//!   Exchange, the client's Change Cipher Spec, its Next Protocol choice
//!   when NPN was advertised, and its Finished.
//! - Abbreviated handshake (Figure 2): a Client Hello offering a cached
//!   session that fits leads straight to `ExpectChangeCipherSpec`, the
//!   server's Change Cipher Spec and Finished already sent.
//! - Once connected, a second Client Hello (renegotiation) is refused with
//!   a warning no_renegotiation and the connection goes on (RFC 5246
//!   §7.2.2), or, when the policy accepts it or a Hello Request asked for
//!   it, runs a new full handshake (RFC 5746); any other handshake message
//!   is unexpected_message.
//! - The peer's close_notify leads to `Closed`, any error to `Failed`.
//!
//! <!-- transitions: generated from TRANSITIONS by the `states` test of tlsim-tls-client;
//! TLSIM_UPDATE_STATES=1 cargo test -p tlsim-tls-client --test states rewrites it -->
//! | state | on | next |
//! |---|---|---|
//! | `ExpectClientHello` | Client Hello | `ExpectClientKeyExchange` or `ExpectChangeCipherSpec` or `ExpectFinished` or `ExpectClientHello` or `ExpectEndOfEarlyData` or `ExpectCertificate` |
//! | `ExpectEndOfEarlyData` | End of Early Data | `ExpectFinished` |
//! | `ExpectCertificate` | Certificate | `ExpectClientKeyExchange` or `ExpectCertificateVerify` or `ExpectFinished` |
//! | `ExpectClientKeyExchange` | Client Key Exchange | `ExpectChangeCipherSpec` or `ExpectCertificateVerify` |
//! | `ExpectCertificateVerify` | Certificate Verify | `ExpectChangeCipherSpec` or `ExpectFinished` |
//! | `ExpectChangeCipherSpec` | Change Cipher Spec | `ExpectFinished` or `ExpectNextProtocol` |
//! | `ExpectNextProtocol` | Next Protocol | `ExpectFinished` |
//! | `ExpectFinished` | Finished | `Connected` |
//! | `Connected` | Client Hello | `Connected` or `ExpectClientKeyExchange` or `ExpectCertificate` or `ExpectChangeCipherSpec` |
//! | `Connected` | renegotiate | `Connected` |
//! | `Connected` | Key Update | `Connected` |
//! | `ExpectClientHello` | close_notify | `Closed` |
//! | `ExpectClientKeyExchange` | close_notify | `Closed` |
//! | `ExpectCertificate` | close_notify | `Closed` |
//! | `ExpectCertificateVerify` | close_notify | `Closed` |
//! | `ExpectChangeCipherSpec` | close_notify | `Closed` |
//! | `ExpectNextProtocol` | close_notify | `Closed` |
//! | `ExpectEndOfEarlyData` | close_notify | `Closed` |
//! | `ExpectFinished` | close_notify | `Closed` |
//! | `Connected` | close_notify | `Closed` |
//! | `ExpectClientHello` | error | `Failed` |
//! | `ExpectClientKeyExchange` | error | `Failed` |
//! | `ExpectCertificate` | error | `Failed` |
//! | `ExpectCertificateVerify` | error | `Failed` |
//! | `ExpectChangeCipherSpec` | error | `Failed` |
//! | `ExpectNextProtocol` | error | `Failed` |
//! | `ExpectEndOfEarlyData` | error | `Failed` |
//! | `ExpectFinished` | error | `Failed` |
//! | `Connected` | error | `Failed` |
//! <!-- end of transitions -->

use tlsim_tls::conn::Declaration;
use tlsim_tls::conn::Trigger::{ChangeCipherSpec, CloseNotify, Failure, Handshake, Renegotiate};
use tlsim_tls::enums::HandshakeType as H;
use tlsim_tls::{state_names, transitions};

state_names! {
    /// The stable name of each server state.
    pub enum ServerState {
        /// Waiting for the Client Hello.
        ExpectClientHello,
        /// Full handshake: the server's flight is sent; the client's ECDH
        /// public key comes next.
        ExpectClientKeyExchange,
        /// A certificate was requested: the client's Certificate comes
        /// next (TLS 1.2: before its key exchange; TLS 1.3: before its
        /// Finished).
        ExpectCertificate,
        /// The client's chain verified: its CertificateVerify comes next.
        ExpectCertificateVerify,
        /// The client's Change Cipher Spec comes next.
        ExpectChangeCipherSpec,
        /// The client's NPN choice comes next (encrypted, before Finished).
        ExpectNextProtocol,
        /// TLS 1.3 0-RTT accepted: early data, then EndOfEarlyData, come
        /// next (RFC 8446 §4.5).
        ExpectEndOfEarlyData,
        /// The client's Finished comes next.
        ExpectFinished,
        /// The handshake is complete.
        Connected,
        /// The peer's close_notify was read.
        Closed,
        /// An error ended the connection.
        Failed,
    }
}

use ServerState::*;

/// Every legal step of the server.
pub static TRANSITIONS: Declaration<ServerState> = Declaration {
    actor: "tls-server",
    states: ServerState::ALL,
    transitions: transitions![
        // RFC 5246 §7.3: a cached session that fits is resumed
        // (abbreviated handshake).
        // RFC 8446 §2: a TLS 1.3 Client Hello gets the whole server flight
        // at once, and the client's Finished comes next.
        // RFC 8446 §4.1.4: or a HelloRetryRequest, and a second Client Hello
        // comes.
        // RFC 8446 §4.2.10: with 0-RTT accepted, early data and
        // EndOfEarlyData come before the client's Finished. RFC 5246 §7.4.4,
        // RFC 8446 §4.3.2: when a certificate is requested, the client's
        // Certificate comes first.
        ExpectClientHello, Handshake(H::ClientHello) => ExpectClientKeyExchange | ExpectChangeCipherSpec | ExpectFinished | ExpectClientHello | ExpectEndOfEarlyData | ExpectCertificate;
        ExpectEndOfEarlyData, Handshake(H::EndOfEarlyData) => ExpectFinished;
        // RFC 5246 §7.4.6: after the client's chain, its key exchange
        // (TLS 1.2); RFC 8446 §4.4.2: its CertificateVerify, or with an
        // empty chain its Finished (TLS 1.3).
        ExpectCertificate, Handshake(H::Certificate) => ExpectClientKeyExchange | ExpectCertificateVerify | ExpectFinished;
        // RFC 5246 §7.4.8: a client that sent a certificate signs after
        // its key exchange.
        ExpectClientKeyExchange, Handshake(H::ClientKeyExchange) => ExpectChangeCipherSpec | ExpectCertificateVerify;
        ExpectCertificateVerify, Handshake(H::CertificateVerify) => ExpectChangeCipherSpec | ExpectFinished;
        // NPN draft §3: the client's choice follows its Change Cipher Spec.
        ExpectChangeCipherSpec, ChangeCipherSpec => ExpectFinished | ExpectNextProtocol;
        ExpectNextProtocol, Handshake(H::NextProtocol) => ExpectFinished;
        ExpectFinished, Handshake(H::Finished) => Connected;
        // RFC 5246 §7.2.2: a Client Hello once connected (renegotiation) is
        // refused with a warning no_renegotiation; the connection goes on.
        // RFC 5746: or, when accepted, it starts a new handshake.
        Connected, Handshake(H::ClientHello) => Connected | ExpectClientKeyExchange | ExpectCertificate | ExpectChangeCipherSpec;
        // RFC 5246 §7.4.1.1: a Hello Request asks the client to renegotiate.
        Connected, Renegotiate => Connected;
        // RFC 8446 §4.6.3: a TLS 1.3 KeyUpdate moves the read keys, and
        // one with update_requested is answered.
        Connected, Handshake(H::KeyUpdate) => Connected;
        // RFC 5246 §7.2.1: close_notify may come at any time.
        ExpectClientHello, CloseNotify => Closed;
        ExpectClientKeyExchange, CloseNotify => Closed;
        ExpectCertificate, CloseNotify => Closed;
        ExpectCertificateVerify, CloseNotify => Closed;
        ExpectChangeCipherSpec, CloseNotify => Closed;
        ExpectNextProtocol, CloseNotify => Closed;
        ExpectEndOfEarlyData, CloseNotify => Closed;
        ExpectFinished, CloseNotify => Closed;
        Connected, CloseNotify => Closed;
        ExpectClientHello, Failure => Failed;
        ExpectClientKeyExchange, Failure => Failed;
        ExpectCertificate, Failure => Failed;
        ExpectCertificateVerify, Failure => Failed;
        ExpectChangeCipherSpec, Failure => Failed;
        ExpectNextProtocol, Failure => Failed;
        ExpectEndOfEarlyData, Failure => Failed;
        ExpectFinished, Failure => Failed;
        Connected, Failure => Failed;
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declaration_is_consistent() {
        assert_eq!(TRANSITIONS.validate(), Ok(()));
    }
}
