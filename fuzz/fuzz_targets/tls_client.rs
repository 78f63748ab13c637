//! The TLS client state machine. First byte 0: the rest is a server's byte
//! stream fed to a client that has sent its hello. First byte 1: the rest
//! chooses mutations of the server's flights in a good handshake (flip,
//! cut, drop, duplicate, reorder messages); a changed exchange must not
//! complete on both ends, and what the client settles on must have been
//! offered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlsim_test_support::Direction;
use tlsim_test_support::corpus::{MUTATE, RAW};

#[path = "actors.rs"]
mod actors;

fuzz_target!(|input: &[u8]| {
    match input.split_first() {
        Some((&RAW, bytes)) => actors::raw(Direction::ToClient, bytes),
        Some((&MUTATE, choices)) => actors::mutated(Direction::ToClient, choices),
        _ => {}
    }
});
