//! What tlsim's tests and fuzz targets share, kept in one place.
//!
//! Where to start reading:
//! - [`pki`](mod@pki): the test PKI (a root, an intermediate and a `www.google.com`
//!   leaf, generated from a seed) and client and server configurations
//!   that use it.
//! - [`pair`]: a TLS client and server joined in memory, with a tamper
//!   hook and a bounded drive loop.
//! - [`flight`]: recorded flights cut into messages and mutated
//!   (flipped, cut, dropped, duplicated, reordered), for the fuzz targets.
//! - [`concurrent`]: the scenario of many TLS connections in flight at
//!   once, at any count (the `concurrent-tls` binary writes it out).
//! - [`corpus`]: seed inputs for every fuzz target, made from the shipped
//!   scenarios (the `fuzz-corpus` binary writes them out).
//!
//! Everything here is deterministic: randomness comes from seeds only.

#![forbid(unsafe_code)]

pub mod concurrent;
pub mod corpus;
pub mod flight;
pub mod pair;
pub mod pki;

pub use pair::{Direction, Pair, alert_sent, error_of};
pub use pki::{
    CLIENT_NAME, LeafKey, NOT_AFTER, NOT_BEFORE, NOW, Pki, SERVER_NAME, client_config, client_pki,
    pki, pki_with, server_config, server_config_asking,
};
