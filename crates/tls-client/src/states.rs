//! The client's states and every legal transition between them, declared
//! once in [`TRANSITIONS`]: each handler's step is checked against it in
//! debug builds, and `docs/tls-client-states.dot` is its Graphviz
//! rendering.
//!
//! - Full handshake (RFC 5246 §7.3, Figure 1): Server Hello, Certificate,
//!   Server Key Exchange, (Certificate Request,) Server Hello Done, then
//!   the server's Change Cipher Spec and Finished. A client without a
//!   certificate answers a Certificate Request with an empty Certificate
//!   (RFC 5246 §7.4.6).
//! - Abbreviated handshake (Figure 2): a Server Hello that echoes the
//!   offered session ID leads straight to `ExpectChangeCipherSpec`.
//! - A New Session Ticket (RFC 5077 §3.3) comes before the server's Change
//!   Cipher Spec exactly when its Server Hello acknowledged the
//!   SessionTicket extension; it is kept for resumption. A Hello Request while negotiating is
//!   dropped before it reaches a state; once connected it is answered with
//!   a warning no_renegotiation and the connection goes on (RFC 5246
//!   §7.4.1.1), or, when the policy accepts it, with a new Client Hello.
//! - Renegotiation (RFC 5746): a new full handshake from `Connected`,
//!   begun by a Hello Request or by the client itself. A server's warning
//!   no_renegotiation in answer to its Client Hello leads back to
//!   `Connected` (RFC 5246 §7.2.2).
//! - The peer's close_notify leads to `Closed`, any error to `Failed`.
//!   Before `start` every record is an error, close_notify included.
//!
//! <!-- transitions: generated from TRANSITIONS by the `states` test;
//! TLSIM_UPDATE_STATES=1 cargo test -p tlsim-tls-client --test states rewrites it -->
//! | state | on | next |
//! |---|---|---|
//! | `NotStarted` | start | `ExpectServerHello` |
//! | `ExpectServerHello` | Server Hello | `ExpectCertificate` or `ExpectChangeCipherSpec` or `ExpectEncryptedExtensions` or `ExpectServerHello` |
//! | `ExpectEncryptedExtensions` | Encrypted Extensions | `ExpectCertificate` or `ExpectFinished` |
//! | `ExpectCertificate` | Certificate Request | `ExpectCertificate` |
//! | `ExpectCertificate` | Certificate | `ExpectServerKeyExchange` or `ExpectServerHelloDone` or `ExpectCertificateVerify` |
//! | `ExpectCertificateVerify` | Certificate Verify | `ExpectFinished` |
//! | `ExpectServerKeyExchange` | Server Key Exchange | `ExpectServerHelloDone` |
//! | `ExpectServerHelloDone` | Certificate Request | `ExpectServerHelloDone` |
//! | `ExpectServerHelloDone` | Server Hello Done | `ExpectChangeCipherSpec` |
//! | `ExpectChangeCipherSpec` | New Session Ticket | `ExpectChangeCipherSpec` |
//! | `ExpectChangeCipherSpec` | Change Cipher Spec | `ExpectFinished` |
//! | `ExpectFinished` | Finished | `Connected` |
//! | `Connected` | Hello Request | `Connected` or `ExpectServerHello` |
//! | `Connected` | renegotiate | `ExpectServerHello` |
//! | `ExpectServerHello` | no_renegotiation | `Connected` |
//! | `Connected` | New Session Ticket | `Connected` |
//! | `Connected` | Key Update | `Connected` |
//! | `ExpectServerHello` | close_notify | `Closed` |
//! | `ExpectEncryptedExtensions` | close_notify | `Closed` |
//! | `ExpectCertificate` | close_notify | `Closed` |
//! | `ExpectCertificateVerify` | close_notify | `Closed` |
//! | `ExpectServerKeyExchange` | close_notify | `Closed` |
//! | `ExpectServerHelloDone` | close_notify | `Closed` |
//! | `ExpectChangeCipherSpec` | close_notify | `Closed` |
//! | `ExpectFinished` | close_notify | `Closed` |
//! | `Connected` | close_notify | `Closed` |
//! | `NotStarted` | error | `Failed` |
//! | `ExpectServerHello` | error | `Failed` |
//! | `ExpectEncryptedExtensions` | error | `Failed` |
//! | `ExpectCertificate` | error | `Failed` |
//! | `ExpectCertificateVerify` | error | `Failed` |
//! | `ExpectServerKeyExchange` | error | `Failed` |
//! | `ExpectServerHelloDone` | error | `Failed` |
//! | `ExpectChangeCipherSpec` | error | `Failed` |
//! | `ExpectFinished` | error | `Failed` |
//! | `Connected` | error | `Failed` |
//! <!-- end of transitions -->

use tlsim_tls::conn::Declaration;
use tlsim_tls::conn::Trigger::{
    ChangeCipherSpec, CloseNotify, Failure, Handshake, Renegotiate, RenegotiationRefused, Start,
};
use tlsim_tls::enums::HandshakeType as H;
use tlsim_tls::{state_names, transitions};

state_names! {
    /// The stable name of each client state.
    pub enum ClientState {
        /// Nothing sent yet; waits for `start`.
        NotStarted,
        /// The Client Hello is sent.
        ExpectServerHello,
        /// TLS 1.3: EncryptedExtensions comes next (RFC 8446 §4.3.1).
        ExpectEncryptedExtensions,
        /// Full handshake: the server's chain comes next.
        ExpectCertificate,
        /// TLS 1.3: the server's CertificateVerify comes next.
        ExpectCertificateVerify,
        /// The signed ECDHE parameters come next.
        ExpectServerKeyExchange,
        /// Server Hello Done comes next.
        ExpectServerHelloDone,
        /// The server's Change Cipher Spec comes next.
        ExpectChangeCipherSpec,
        /// The server's Finished comes next.
        ExpectFinished,
        /// The handshake is complete.
        Connected,
        /// The peer's close_notify was read.
        Closed,
        /// An error ended the connection.
        Failed,
    }
}

use ClientState::*;

/// Every legal step of the client.
pub static TRANSITIONS: Declaration<ClientState> = Declaration {
    actor: "tls-client",
    states: ClientState::ALL,
    transitions: transitions![
        NotStarted, Start => ExpectServerHello;
        // RFC 5246 §7.3: a Server Hello echoing the offered session ID
        // resumes it (abbreviated handshake).
        // RFC 8446 §4.1.4: after a HelloRetryRequest the client sends a second
        // Client Hello and waits for the Server Hello again.
        ExpectServerHello, Handshake(H::ServerHello) => ExpectCertificate | ExpectChangeCipherSpec | ExpectEncryptedExtensions | ExpectServerHello;
        // RFC 8446 §2: TLS 1.3 sends EncryptedExtensions, Certificate,
        // CertificateVerify and Finished under the handshake keys.
        // RFC 8446 §2.2: a handshake resumed from a ticket has no
        // certificate; the server's Finished follows.
        ExpectEncryptedExtensions, Handshake(H::EncryptedExtensions) => ExpectCertificate | ExpectFinished;
        // RFC 8446 §4.3.2: the server may ask for a certificate before its
        // own; the client answers before its Finished.
        ExpectCertificate, Handshake(H::CertificateRequest) => ExpectCertificate;
        // RFC 5246 §7.4.3: RSA key transport sends no Server Key Exchange.
        ExpectCertificate, Handshake(H::Certificate) => ExpectServerKeyExchange | ExpectServerHelloDone | ExpectCertificateVerify;
        ExpectCertificateVerify, Handshake(H::CertificateVerify) => ExpectFinished;
        ExpectServerKeyExchange, Handshake(H::ServerKeyExchange) => ExpectServerHelloDone;
        // RFC 5246 §7.4.4: the server may ask for a client certificate;
        // the client answers with its own or an empty Certificate (§7.4.6).
        ExpectServerHelloDone, Handshake(H::CertificateRequest) => ExpectServerHelloDone;
        ExpectServerHelloDone, Handshake(H::ServerHelloDone) => ExpectChangeCipherSpec;
        // RFC 5077 §3.3: the ticket precedes the server's Change Cipher Spec.
        ExpectChangeCipherSpec, Handshake(H::NewSessionTicket) => ExpectChangeCipherSpec;
        ExpectChangeCipherSpec, ChangeCipherSpec => ExpectFinished;
        ExpectFinished, Handshake(H::Finished) => Connected;
        // RFC 5246 §7.4.1.1: a client may refuse a Hello Request with a
        // warning no_renegotiation, or renegotiate: a new Client Hello
        // (RFC 5746).
        Connected, Handshake(H::HelloRequest) => Connected | ExpectServerHello;
        // RFC 5746: a renegotiation the client begins itself.
        Connected, Renegotiate => ExpectServerHello;
        // RFC 5246 §7.2.2: a server that refuses it answers a warning
        // no_renegotiation; the connection goes on under the keys in force.
        ExpectServerHello, RenegotiationRefused => Connected;
        // RFC 8446 §4.6.1: a ticket may come at any time after the
        // handshake.
        Connected, Handshake(H::NewSessionTicket) => Connected;
        // RFC 8446 §4.6.3: a TLS 1.3 KeyUpdate moves the read keys, and
        // one with update_requested is answered.
        Connected, Handshake(H::KeyUpdate) => Connected;
        // RFC 5246 §7.2.1: close_notify may come at any time once the
        // client has spoken.
        ExpectServerHello, CloseNotify => Closed;
        ExpectEncryptedExtensions, CloseNotify => Closed;
        ExpectCertificate, CloseNotify => Closed;
        ExpectCertificateVerify, CloseNotify => Closed;
        ExpectServerKeyExchange, CloseNotify => Closed;
        ExpectServerHelloDone, CloseNotify => Closed;
        ExpectChangeCipherSpec, CloseNotify => Closed;
        ExpectFinished, CloseNotify => Closed;
        Connected, CloseNotify => Closed;
        NotStarted, Failure => Failed;
        ExpectServerHello, Failure => Failed;
        ExpectEncryptedExtensions, Failure => Failed;
        ExpectCertificate, Failure => Failed;
        ExpectCertificateVerify, Failure => Failed;
        ExpectServerKeyExchange, Failure => Failed;
        ExpectServerHelloDone, Failure => Failed;
        ExpectChangeCipherSpec, Failure => Failed;
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
