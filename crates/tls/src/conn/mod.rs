//! Connection plumbing shared by the client and server actors.
//!
//! Read first: RFC 5246 §6 (record layer), §7.1 (ChangeCipherSpec), §7.2
//! (alerts, and why errors are fatal and sticky), §7.3 (handshake
//! overview), §8.1 (master secret); RFC 7627 (extended master secret).
//!
//! - [`Connection`]: the public API of a client or server connection,
//!   which the actors' connection types dereference to.
//! - [`Core`]: the record layer of one connection: deframing, handshake
//!   reassembly, record protection, flights of outgoing records, alerts,
//!   application data, the transcript and the event log. A handshake state
//!   machine plugs in through the [`State`] trait.
//! - [`keys`](Core::derive_session_keys): the key schedule steps, each
//!   logged as an action event, and the Finished messages.
//! - [`Declaration`]: an actor's states and legal transitions, declared
//!   once; every step is checked against it in debug builds, and it
//!   renders as Graphviz and Markdown.
//! - [`verify_certificate_chain`], [`verify_client_signature`],
//!   [`verify_certificate_verify13`]: checking a peer's chain on the
//!   simulated clock and its CertificateVerify.
//! - [`SessionStore`]: the bounded store of resumable sessions.
//! - [`SecureRenegotiation`], [`RenegotiationPolicy`]: RFC 5746's state,
//!   and the record layer's part in a renegotiation handshake.
//! - [`ticket`]: RFC 5077 session tickets, sealed and opened.
//! - [`require_handshake!`](crate::require_handshake): a state's check
//!   that the input is the one message it expects.
//! - [`TlsEvent`], [`Negotiated`], [`EventContext`], [`StoredSession`]: the
//!   values the actors hand to their callers.
//!
//! Every error ends the connection: [`Core::fail`] queues the fatal alert
//! that [`Error::alert`] names, logs it, reports [`TlsEvent::Failed`], and
//! from then on every input is ignored.

mod connection;
mod core;
mod keys;
mod machine;
mod names;
mod peer_auth;
mod renegotiation;
mod store;
pub mod ticket;
mod tls13;

use std::borrow::Cow;

use tlsim_sim::{Event, Instant, Kind, Layer, Tracer};

pub use self::connection::Connection;
pub use self::core::{Batch, Core, Input, State, Transcript, handshake_name, message_title};
pub use self::keys::{HelloParams, Randoms, SessionKeys};
pub use self::machine::{CLOSED, Declaration, FAILED, StateName, Transition, Transitions, Trigger};
pub use self::names::alert_name;
pub use self::peer_auth::{
    ChainCheck, verify_certificate_chain, verify_certificate_verify13, verify_client_signature,
};
pub use self::renegotiation::{RenegotiationPolicy, SecureRenegotiation};
pub use self::store::SessionStore;
pub use self::tls13::{Direction, Tls13Secrets, check_verify_data, expect_tls13};
use crate::cert::CertError;
use crate::crypto::CryptoError as CipherError;
use crate::enums::{AlertDescription, CipherSuite, NamedGroup, ProtocolVersion};
use crate::error::{CertificateError, CryptoError, Error, InvalidMessage, PeerMisbehaved};
use crate::msgs::Alert;

/// Takes the handshake message a state expects from an [`Input`]:
/// `require_handshake!(input, HandshakeType::X, HandshakeMessage::X(body) => body)`
/// gives `Ok((message, body))`, with `message` the [`JoinedMessage`] and
/// its encoding; or the unexpected_message error listing `HandshakeType::X`
/// for any other type, or the decoding error of a malformed X
/// ([`Input::expect_handshake`]).
///
/// [`JoinedMessage`]: crate::record::JoinedMessage
#[macro_export]
macro_rules! require_handshake {
    ($input:expr, $typ:expr, $pattern:pat => $payload:expr) => {
        $input
            .expect_handshake(&[$typ])
            .and_then(|(message, decoded)| match decoded {
                $pattern => Ok((message, $payload)),
                other => Err($crate::conn::unexpected_handshake(&[$typ], other.typ())),
            })
    };
}

/// Locks a mutex shared between connections, such as a session store; a
/// panic elsewhere does not make its data unusable.
pub fn lock<T: ?Sized>(shared: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Who the events of one connection belong to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventContext {
    /// The host this connection runs on ("client").
    pub actor: String,
    /// The host at the other end ("server").
    pub peer: String,
    /// The scenario's connection number, when there is more than one.
    pub conn: Option<u32>,
}

impl EventContext {
    /// A TLS-layer event of this connection, with the peer set.
    pub fn event(&self, now: Instant, kind: Kind, title: impl Into<Cow<'static, str>>) -> Event {
        let mut event = Event::new(now, self.actor.clone(), kind, Layer::Tls, title);
        event.peer = Some(self.peer.clone());
        event.conn = self.conn;
        event
    }

    /// Records an action event built by `build`, if the tracer wants events;
    /// one that `build` did not explain takes its title's entry in the
    /// table of [`explain::action`](crate::msgs::explain::action).
    pub fn action(
        &self,
        now: Instant,
        tracer: &mut dyn Tracer,
        title: &'static str,
        build: impl FnOnce(Event) -> Event,
    ) {
        if tracer.enabled() {
            let mut event = build(self.event(now, Kind::Action, title));
            if event.explain.is_none() {
                event.explain = crate::msgs::explain::action(title)
                    .map(|template| event.fill(template, 0).into());
            }
            tracer.record(event);
        }
    }
}

/// What a connection reports to its caller, in order (see `poll_event`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsEvent {
    /// Both Finished messages verified; application data may flow.
    HandshakeComplete {
        /// Whether an earlier session was resumed (abbreviated handshake).
        resumed: bool,
    },
    /// New decrypted application bytes can be read.
    ApplicationData,
    /// The peer sent close_notify (RFC 5246 §7.2.1): nothing more will be
    /// read or sent but close_notify, which the owner MUST send in answer
    /// (`close`).
    PeerClosed,
    /// The connection failed; nothing more is accepted.
    Failed {
        /// What went wrong.
        error: Error,
        /// The fatal alert sent to the peer, if any.
        alert_sent: Option<AlertDescription>,
    },
    /// The peer sent an alert other than close_notify, at the level it
    /// wrote.
    AlertReceived(Alert),
    /// This end sent a warning alert and goes on (RFC 5246 §7.2); a fatal
    /// one is reported by [`TlsEvent::Failed`].
    WarningSent(AlertDescription),
}

/// The parameters a handshake settled on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The protocol version.
    pub version: ProtocolVersion,
    /// The cipher suite.
    pub suite: CipherSuite,
    /// The ECDHE group (`None` on a resumed session, which has no key
    /// exchange).
    pub group: Option<NamedGroup>,
    /// The application protocol agreed with ALPN or NPN.
    pub alpn: Option<Vec<u8>>,
    /// The session identifier the server assigned (empty if none).
    pub session_id: Vec<u8>,
    /// Whether this was an abbreviated handshake.
    pub resumed: bool,
    /// Whether the master secret is the RFC 7627 extended one.
    pub extended_master_secret: bool,
}

/// What both ends remember of a session to resume it (RFC 5246 §7.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    /// The session identifier.
    pub session_id: Vec<u8>,
    /// The master secret.
    pub master_secret: [u8; 48],
    /// The cipher suite.
    pub suite: CipherSuite,
    /// The protocol version.
    pub version: ProtocolVersion,
    /// Whether the master secret is the extended one (RFC 7627 §5.3: a
    /// session may only be resumed with the same choice).
    pub extended_master_secret: bool,
    /// The client's ticket for this session (RFC 5077 §3.3), if the server
    /// issued one.
    pub ticket: Option<ClientTicket>,
}

/// A ticket as the client keeps it: opaque bytes, the server's lifetime
/// hint and when it came (RFC 5077 §3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientTicket {
    /// The ticket, as received.
    pub ticket: Vec<u8>,
    /// `ticket_lifetime_hint`, seconds; 0: unspecified.
    pub lifetime_hint: u32,
    /// When the NewSessionTicket was read.
    pub received: Instant,
}

impl ClientTicket {
    /// RFC 5077 §3.3: "The client SHOULD delete the ticket and associated
    /// state when the time expires"; a hint of 0 sets no limit.
    pub fn is_expired(&self, now: Instant) -> bool {
        let age = now.as_nanos().saturating_sub(self.received.as_nanos());
        self.lifetime_hint != 0 && age >= u64::from(self.lifetime_hint) * 1_000_000_000
    }
}

/// Maps a failure of the crypto primitives to the connection's error.
pub fn crypto_error(e: CipherError) -> Error {
    match e {
        CipherError::BadRecordMac => Error::BadRecordMac,
        CipherError::RecordOverflow => Error::InvalidMessage(InvalidMessage::RecordOverflow(
            crate::record::MAX_PLAINTEXT_LEN + 1,
        )),
        // RFC 8422 §5.11: an invalid point is illegal_parameter.
        CipherError::InvalidPeerPublicKey | CipherError::ZeroSharedSecret => {
            Error::Crypto(CryptoError::InvalidPeerPublicKey)
        }
        CipherError::DhPublicOutOfRange => Error::Crypto(CryptoError::DhPublicOutOfRange),
        CipherError::BadSignature => Error::Crypto(CryptoError::SignatureMismatch),
        CipherError::UnsupportedSignatureAlgorithm => {
            Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter("signature algorithm"))
        }
        CipherError::InvalidPrivateKey => {
            Error::Crypto(CryptoError::Internal("invalid private key"))
        }
        CipherError::BadKeyEncoding(what) => Error::Crypto(CryptoError::Internal(what)),
        CipherError::UnsupportedCipherSuite(_) => {
            Error::Crypto(CryptoError::Internal("unsupported cipher suite"))
        }
        CipherError::UnsupportedVersion(_) => {
            Error::Crypto(CryptoError::Internal("suite not allowed with this version"))
        }
        CipherError::BadKeyLength => Error::Crypto(CryptoError::Internal("bad key length")),
    }
}

/// Maps a chain validation failure to the connection's error.
pub fn certificate_error(e: CertError) -> Error {
    Error::Certificate(match e {
        CertError::BadSignature => CertificateError::BadSignature,
        CertError::Expired => CertificateError::Expired,
        CertError::NotYetValid => CertificateError::NotYetValid,
        CertError::UnknownIssuer => CertificateError::UnknownIssuer,
        CertError::BadEncoding(_) => CertificateError::BadEncoding,
        CertError::NotCa | CertError::PathLenExceeded => CertificateError::NotCa,
        CertError::NameMismatch => CertificateError::NameMismatch,
        CertError::UnsupportedAlgorithm | CertError::UnsupportedCriticalExtension => {
            CertificateError::UnsupportedAlgorithm
        }
        CertError::EmptyChain => {
            return Error::PeerMisbehaved(PeerMisbehaved::EmptyCertificateChain);
        }
    })
}

/// The `expected` list of an unexpected-message error: what a state waits
/// for, and what came.
pub fn unexpected_handshake(
    expected: &'static [crate::enums::HandshakeType],
    got: crate::enums::HandshakeType,
) -> Error {
    Error::InappropriateHandshakeMessage { expected, got }
}

/// The error for a ChangeCipherSpec where a handshake message was due.
pub fn unexpected_change_cipher_spec() -> Error {
    Error::InappropriateMessage {
        expected: &[crate::enums::ContentType::Handshake],
        got: crate::enums::ContentType::ChangeCipherSpec,
    }
}

/// An NSS key log line: `CLIENT_RANDOM <client random> <master secret>`.
pub fn keylog_line(client_random: &[u8; 32], master_secret: &[u8; 48]) -> String {
    format!(
        "CLIENT_RANDOM {} {}",
        crate::codec::hex(client_random),
        crate::codec::hex(master_secret)
    )
}
