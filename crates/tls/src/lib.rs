//! The shared TLS 1.0–1.2 protocol of tlsim (RFC 2246, RFC 4346, RFC 5246),
//! and TLS 1.3 (RFC 8446): its key schedule in
//! [`crypto::key_schedule`], its record protection in
//! [`crypto::cipher::tls13`], its messages in [`msgs::tls13`].
//!
//! Sans-IO: nothing here reads a clock, touches a socket or asks the OS for
//! randomness. Time and a seeded random stream are passed in by the caller.
//!
//! Where to start reading:
//! - wire formats: [`codec`] (the `Codec` trait and `Reader`), [`enums`]
//!   (code points), [`msgs`] (handshake messages, extensions, alerts),
//!   [`record`] (record framing, fragmentation and reassembly);
//! - cryptography: [`crypto`] (PRF, key schedule, record protection, key
//!   exchange, signatures), [`cert`] (X.509 generation and validation);
//! - [`error`]: every failure, typed, and the alert it maps to.

#![forbid(unsafe_code)]

pub mod cert;
pub mod codec;
pub mod conn;
pub mod crypto;
pub mod enums;
pub mod error;
pub mod msgs;
pub mod record;
