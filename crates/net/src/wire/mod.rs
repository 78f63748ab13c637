//! Wire formats: IPv4 and TCP headers as real bytes.
//!
//! Read first: RFC 791 (IPv4), RFC 9293 §3.1 (TCP header), RFC 1071 (the
//! Internet checksum), RFC 7323 §3 (timestamps option).
//!
//! Each protocol has two levels, as in smoltcp:
//! - a checked view over bytes, `Packet<T: AsRef<[u8]>>`. [`ipv4::Packet::new_checked`]
//!   and [`tcp::Packet::new_checked`] run `check_len` once, after which every
//!   accessor is in bounds. `new_unchecked` skips that check; its accessors
//!   panic on a buffer too short for the field they read, so only use it on
//!   buffers this crate sized itself.
//! - a typed `Repr` with `parse` (which verifies the checksum and never
//!   panics, whatever the input), `buffer_len` and `emit` (which panics if the
//!   buffer is shorter than `buffer_len`: a caller bug).

pub mod checksum;
pub mod ipv4;
pub mod tcp;

use core::fmt;

/// Why a packet could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The buffer is shorter than the header or the lengths it declares.
    Truncated,
    /// A field holds a value this stack does not accept (version, header length, fragment).
    Malformed(&'static str),
    /// The checksum does not match the bytes.
    BadChecksum,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated => f.write_str("truncated packet"),
            WireError::Malformed(what) => write!(f, "malformed packet: {what}"),
            WireError::BadChecksum => f.write_str("bad checksum"),
        }
    }
}

impl std::error::Error for WireError {}
