//! Scripted TLS peers for tlsim: conversations that send and expect TLS
//! 1.0–1.3 messages, in the spirit of tlsfuzzer's scripts, sans-IO.
//!
//! Read first: RFC 5246 §7.3 (the handshake), §7.4.9 (Finished), §8.1
//! (master secret), RFC 7627 (extended master secret), RFC 8422 (ECDHE),
//! RFC 7919 (finite-field DHE groups), RFC 8446 §7 (the TLS 1.3 key
//! schedule).
//!
//! A [`Conversation`] is an ordered list of [`Step`]s for one end of a
//! connection: send a message (built from the end's TLS profile, with any
//! field overridden, or as raw bytes), expect a message, an alert, the
//! connection closing or nothing for a while. The [`Script`] runs one: it
//! keeps the transcript of what was actually sent and received and derives
//! every key from it, so the same conversation works on every seed and
//! against any peer.
//!
//! - [`language`]: the step language, as scenario files write it (RON).
//! - [`Script`]: the engine; bytes in ([`Script::handle_bytes`]), bytes out
//!   ([`Script::write_tls`]), time in ([`Script::handle_timeout`]), and the
//!   [`Verdict`].
//! - `engine::tls13`: key shares of the script's own, the TLS 1.3 key
//!   schedule over what was exchanged, and its record protection.
//! - `engine::dhe`: DHE ServerDHParams and the client's public value.
//! - `build`: hellos with any field or length overridden, handshake
//!   headers, and byte mutations.
//! - `expect`: what came from the peer, and whether a step expected it.
//!
//! Records, handshake reassembly, the key schedule, record protection and
//! the event log's dissection are those of `tlsim_tls`, shared with the
//! TLS actors, so a conversation's log reads like theirs.
//!
//! Deliberate omissions: the script does not verify the peer's certificate
//! chain or its Server Key Exchange signature (a probe wants to go on
//! whatever the peer sends, in TLS 1.3 its CertificateVerify), and it
//! runs full handshakes only: ECDHE and DHE in TLS 1.0–1.2, ECDHE in
//! TLS 1.3 (no session resumption or 0-RTT, no HelloRetryRequest, no
//! client certificates).

#![forbid(unsafe_code)]

mod build;
mod engine;
mod expect;
pub mod language;

pub use engine::{CloseKind, Failure, Script, Verdict};
pub use language::{Conversation, Expected, Message, Span, Step};
