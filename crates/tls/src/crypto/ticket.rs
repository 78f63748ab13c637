//! TLS 1.3 session tickets as the server makes them: what it needs to
//! resume a session, sealed with AES-128-GCM under a key only it holds.
//!
//! Read first: RFC 8446 §4.6.1 (the ticket is opaque to the client and
//! "self-encrypted and self-authenticated" is one way to make it), §8.3
//! (what a server needs for the ticket age check); RFC 5077 §4 (the
//! recommended construction for TLS 1.2, whose spirit this follows: a
//! random nonce per ticket, an AEAD over the state).

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit};

use crate::codec::{Codec, Reader, VecBounds};
use crate::crypto::suites::AEAD_TAG_LEN;
use crate::enums::CipherSuite;
use crate::error::InvalidMessage;

/// The length of a ticket key (AES-128).
pub const TICKET_KEY_LEN: usize = 16;
/// The length of each ticket's random AES-GCM nonce.
pub const TICKET_NONCE_LEN: usize = 12;
/// RFC 8446 §4.6.1: the PSK is `Hash.length` bytes, at most 48 here.
const TICKET_PSK: VecBounds = VecBounds::new(1, 255, "ticket psk");

/// What a ticket carries back to the server that issued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketContents {
    /// The suite of the session; a resumption must use one with its hash.
    pub suite: CipherSuite,
    /// The PSK (RFC 8446 §4.6.1: derived from the resumption master
    /// secret and the ticket nonce).
    pub psk: Vec<u8>,
    /// When the ticket was issued, in milliseconds of simulated time.
    pub issued_ms: u64,
    /// `ticket_lifetime`, in seconds.
    pub lifetime: u32,
    /// `ticket_age_add`, to undo the client's obfuscation.
    pub age_add: u32,
    /// The most 0-RTT data the ticket allows (0: none).
    pub max_early_data_size: u32,
}

impl Codec for TicketContents {
    fn encode(&self, out: &mut Vec<u8>) {
        self.suite.encode(out);
        out.extend_from_slice(&self.issued_ms.to_be_bytes());
        self.lifetime.encode(out);
        self.age_add.encode(out);
        self.max_early_data_size.encode(out);
        TICKET_PSK.encode_opaque(out, &self.psk);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(TicketContents {
            suite: CipherSuite::read(r)?,
            issued_ms: u64::from_be_bytes(r.array("issued")?),
            lifetime: r.u32("lifetime")?,
            age_add: r.u32("age_add")?,
            max_early_data_size: r.u32("max_early_data_size")?,
            psk: TICKET_PSK.read_opaque(r)?,
        })
    }
}

/// The server's ticket key.
#[derive(Clone)]
pub struct Tls13TicketKey {
    aead: Aes128Gcm,
}

impl core::fmt::Debug for Tls13TicketKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Tls13TicketKey(..)")
    }
}

impl Tls13TicketKey {
    /// The key of 16 bytes `key`.
    pub fn new(key: &[u8; TICKET_KEY_LEN]) -> Self {
        Tls13TicketKey {
            aead: Aes128Gcm::new(key.into()),
        }
    }

    /// The ticket for `contents`: `nonce || AES-128-GCM(contents) || tag`.
    pub fn seal(&self, contents: &TicketContents, nonce: [u8; TICKET_NONCE_LEN]) -> Vec<u8> {
        let mut body = contents.to_bytes();
        let tag = self
            .aead
            .encrypt_inout_detached(&nonce.into(), &[], body.as_mut_slice().into())
            .expect("a ticket is far below AES-GCM's length limit");
        [&nonce[..], &body, &tag].concat()
    }

    /// The contents of a ticket this key sealed; `None` for any other
    /// bytes (another key's ticket, a changed byte, garbage).
    pub fn open(&self, ticket: &[u8]) -> Option<TicketContents> {
        let body_len = ticket.len().checked_sub(TICKET_NONCE_LEN + AEAD_TAG_LEN)?;
        let (nonce, rest) = ticket.split_at(TICKET_NONCE_LEN);
        let (body, tag) = rest.split_at(body_len);
        let nonce: [u8; TICKET_NONCE_LEN] = nonce.try_into().ok()?;
        let tag: [u8; AEAD_TAG_LEN] = tag.try_into().ok()?;
        let mut body = body.to_vec();
        self.aead
            .decrypt_inout_detached(&nonce.into(), &[], body.as_mut_slice().into(), &tag.into())
            .ok()?;
        TicketContents::from_bytes(&body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents() -> TicketContents {
        TicketContents {
            suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            psk: vec![0x42; 32],
            issued_ms: 1_500,
            lifetime: 7200,
            age_add: 0xdead_beef,
            max_early_data_size: 16384,
        }
    }

    #[test]
    fn a_sealed_ticket_opens_to_its_contents() {
        let key = Tls13TicketKey::new(&[1; 16]);
        let ticket = key.seal(&contents(), [2; 12]);
        assert_eq!(&ticket[..12], &[2; 12]);
        assert_eq!(key.open(&ticket), Some(contents()));
    }

    #[test]
    fn another_key_or_a_changed_byte_opens_nothing() {
        let key = Tls13TicketKey::new(&[1; 16]);
        let ticket = key.seal(&contents(), [2; 12]);
        assert_eq!(Tls13TicketKey::new(&[3; 16]).open(&ticket), None);
        for at in [0, 12, ticket.len() - 1] {
            let mut changed = ticket.clone();
            changed[at] ^= 1;
            assert_eq!(key.open(&changed), None, "byte {at} changed");
        }
        assert_eq!(key.open(&ticket[..20]), None);
    }
}
