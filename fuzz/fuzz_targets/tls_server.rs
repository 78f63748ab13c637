//! The TLS server state machine. First byte 0: the rest is a client's byte
//! stream fed to a fresh server. First byte 1: the rest chooses mutations
//! of the client's flights in a good handshake (flip, cut, drop, duplicate,
//! reorder messages); a changed exchange must not complete on both ends,
//! and what the server settles on must have been offered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_test_support::Direction;
use tlsim_test_support::corpus::{MUTATE, RAW};

#[path = "actors.rs"]
mod actors;

fuzz_target!(|input: &[u8]| {
    match input.split_first() {
        Some((&RAW, bytes)) => actors::raw(Direction::ToServer, bytes),
        Some((&MUTATE, choices)) => actors::mutated(Direction::ToServer, choices),
        _ => {}
    }
});
