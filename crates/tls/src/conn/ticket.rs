//! Session tickets: the server's session state, sealed with a key only the
//! server holds, kept by the client and presented to resume.
//!
//! Read first: RFC 5077 §3.3 (NewSessionTicket), §3.4 (session IDs with
//! tickets), §4 (the recommended ticket construction, followed here:
//! key_name, IV, AES-128-CBC encrypted state, HMAC-SHA-256).
//!
//! Deviations from §4's `StatePlaintext`: `client_identity` is always
//! `anonymous` (tlsim's TLS 1.2 server does not authenticate clients), and
//! one byte after `timestamp` says whether the master secret is the
//! extended one, which RFC 7627 §5.3 requires a resumption to keep. The
//! CBC padding, which §4 leaves open, is PKCS #7.

use aes::Aes128;
use cbc::cipher::array::Array;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::codec::{Codec, Reader, VecBounds};
use crate::crypto::prf::MASTER_SECRET_LEN;
use crate::enums::{CipherSuite, CompressionMethod, ProtocolVersion};
use crate::error::InvalidMessage;

/// RFC 5077 §4: `opaque key_name[16];`
pub const KEY_NAME_LEN: usize = 16;
/// RFC 5077 §4: `opaque iv[16];`
pub const TICKET_IV_LEN: usize = 16;
/// RFC 5077 §4: `opaque mac[32];` (HMAC-SHA-256).
pub const TICKET_MAC_LEN: usize = 32;
/// RFC 5077 §4: `opaque encrypted_state<0..2^16-1>;`
const ENCRYPTED_STATE: VecBounds = VecBounds::new(0, 0xffff, "encrypted_state");
/// RFC 5077 §4: `enum { anonymous(0), ... } ClientAuthenticationType;`
const ANONYMOUS: u8 = 0;
const AES_BLOCK: usize = 16;

/// The server's ticket protection keys (RFC 5077 §4: "a 128-bit key for
/// AES in CBC mode ... and a 256-bit key for HMAC-SHA-256"), named so that
/// the server can tell its own tickets apart.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketKey {
    /// `key_name`: which key set protected a ticket.
    pub name: [u8; KEY_NAME_LEN],
    /// The AES-128-CBC key.
    pub aes_key: [u8; 16],
    /// The HMAC-SHA-256 key.
    pub hmac_key: [u8; 32],
}

impl core::fmt::Debug for TicketKey {
    /// Shows the key name only: the keys are secrets.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TicketKey")
            .field("name", &crate::codec::hex(&self.name))
            .finish_non_exhaustive()
    }
}

/// RFC 5077 §4 `StatePlaintext`: what the server needs to resume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketState {
    /// `protocol_version`.
    pub version: ProtocolVersion,
    /// `cipher_suite`.
    pub suite: CipherSuite,
    /// `master_secret`.
    pub master_secret: [u8; MASTER_SECRET_LEN],
    /// Whether the master secret is the extended one (RFC 7627).
    pub extended_master_secret: bool,
    /// `timestamp`: when the ticket was issued, in Unix seconds.
    pub timestamp: u32,
}

impl Codec for TicketState {
    fn encode(&self, out: &mut Vec<u8>) {
        self.version.encode(out);
        self.suite.encode(out);
        CompressionMethod::Null.encode(out);
        out.extend_from_slice(&self.master_secret);
        out.push(ANONYMOUS);
        self.timestamp.encode(out);
        out.push(u8::from(self.extended_master_secret));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let version = ProtocolVersion::read(r)?;
        let suite = CipherSuite::read(r)?;
        if CompressionMethod::read(r)? != CompressionMethod::Null {
            return Err(InvalidMessage::IllegalValue("compression_method"));
        }
        let master_secret = r.array("master_secret")?;
        if r.u8("client_identity")? != ANONYMOUS {
            return Err(InvalidMessage::IllegalValue("client_identity"));
        }
        let timestamp = r.u32("timestamp")?;
        let extended_master_secret = match r.u8("extended_master_secret")? {
            0 => false,
            1 => true,
            _ => return Err(InvalidMessage::IllegalValue("extended_master_secret")),
        };
        Ok(TicketState {
            version,
            suite,
            master_secret,
            extended_master_secret,
            timestamp,
        })
    }
}

/// RFC 5077 §4 `ticket`: the sealed state as it travels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedTicket {
    /// `key_name`.
    pub key_name: [u8; KEY_NAME_LEN],
    /// `iv`.
    pub iv: [u8; TICKET_IV_LEN],
    /// `encrypted_state`.
    pub encrypted_state: Vec<u8>,
    /// `mac`, over key_name, iv and encrypted_state with its length.
    pub mac: [u8; TICKET_MAC_LEN],
}

impl Codec for SealedTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key_name);
        out.extend_from_slice(&self.iv);
        ENCRYPTED_STATE.encode_opaque(out, &self.encrypted_state);
        out.extend_from_slice(&self.mac);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(SealedTicket {
            key_name: r.array("key_name")?,
            iv: r.array("iv")?,
            encrypted_state: ENCRYPTED_STATE.read_opaque(r)?,
            mac: r.array("mac")?,
        })
    }
}

/// Why a presented ticket cannot be used; each falls back to a full
/// handshake (RFC 5077 §3.4), never to an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketError {
    /// Not a ticket of §4's layout.
    Malformed,
    /// Sealed under another key name (another server, or a retired key).
    UnknownKeyName,
    /// The MAC does not verify: the ticket was changed or forged.
    BadMac,
    /// The MAC verified but the state does not decrypt or decode.
    BadState,
    /// Older than the server's ticket lifetime.
    Expired,
}

impl core::fmt::Display for TicketError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TicketError::Malformed => "not a ticket of this server's layout",
            TicketError::UnknownKeyName => "unknown key name",
            TicketError::BadMac => "the MAC does not verify",
            TicketError::BadState => "the state does not decrypt",
            TicketError::Expired => "expired",
        })
    }
}

impl TicketKey {
    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.hmac_key)
            .expect("HMAC takes a key of any length")
    }

    /// RFC 5077 §4: "MAC is computed over key_name through encrypted_state,
    /// including the length of encrypted_state".
    fn mac_input(ticket: &SealedTicket) -> Vec<u8> {
        let mut input = Vec::with_capacity(KEY_NAME_LEN + TICKET_IV_LEN + 2);
        input.extend_from_slice(&ticket.key_name);
        input.extend_from_slice(&ticket.iv);
        ENCRYPTED_STATE.encode_opaque(&mut input, &ticket.encrypted_state);
        input
    }

    /// Encrypts `state` with AES-128-CBC under `iv` and MACs the result.
    pub fn seal(&self, state: &TicketState, iv: [u8; TICKET_IV_LEN]) -> SealedTicket {
        let mut buf = state.to_bytes();
        let pad = AES_BLOCK - buf.len() % AES_BLOCK;
        buf.resize(buf.len() + pad, pad as u8);
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
        cbc::Encryptor::<Aes128>::new(&self.aes_key.into(), &iv.into()).encrypt_blocks(blocks);
        let mut ticket = SealedTicket {
            key_name: self.name,
            iv,
            encrypted_state: buf,
            mac: [0; TICKET_MAC_LEN],
        };
        let mut mac = self.mac();
        mac.update(&Self::mac_input(&ticket));
        ticket.mac = mac.finalize().into_bytes().into();
        ticket
    }

    /// Checks the key name and the MAC (in constant time), then decrypts
    /// and decodes the state.
    ///
    /// # Errors
    /// The [`TicketError`] that says which check failed.
    pub fn open(&self, ticket: &SealedTicket) -> Result<TicketState, TicketError> {
        if ticket.key_name != self.name {
            return Err(TicketError::UnknownKeyName);
        }
        let mut mac = self.mac();
        mac.update(&Self::mac_input(ticket));
        mac.verify_slice(&ticket.mac)
            .map_err(|_| TicketError::BadMac)?;
        let mut buf = ticket.encrypted_state.clone();
        if buf.is_empty() || buf.len() % AES_BLOCK != 0 {
            return Err(TicketError::BadState);
        }
        let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
        cbc::Decryptor::<Aes128>::new(&self.aes_key.into(), &ticket.iv.into())
            .decrypt_blocks(blocks);
        let pad = usize::from(*buf.last().unwrap_or(&0));
        let plain_len = buf
            .len()
            .checked_sub(pad)
            .filter(|_| pad > 0 && pad <= AES_BLOCK);
        let plain_len = plain_len.ok_or(TicketError::BadState)?;
        if buf[plain_len..].iter().any(|&b| usize::from(b) != pad) {
            return Err(TicketError::BadState);
        }
        TicketState::from_bytes(&buf[..plain_len]).map_err(|_| TicketError::BadState)
    }
}

impl SealedTicket {
    /// Reads a presented ticket.
    ///
    /// # Errors
    /// [`TicketError::Malformed`] unless it is exactly one §4 ticket.
    pub fn parse(bytes: &[u8]) -> Result<Self, TicketError> {
        SealedTicket::from_bytes(bytes).map_err(|_| TicketError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TicketKey {
        TicketKey {
            name: [0x11; KEY_NAME_LEN],
            aes_key: [0x22; 16],
            hmac_key: [0x33; 32],
        }
    }

    fn state() -> TicketState {
        TicketState {
            version: ProtocolVersion::Tls12,
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            master_secret: [0x44; MASTER_SECRET_LEN],
            extended_master_secret: true,
            timestamp: 1_767_225_600,
        }
    }

    #[test]
    fn sealed_state_opens_to_itself() {
        let sealed = key().seal(&state(), [0x55; TICKET_IV_LEN]);
        // 59 bytes of state pad to 64.
        assert_eq!(sealed.encrypted_state.len(), 64);
        let bytes = sealed.to_bytes();
        assert_eq!(bytes.len(), 16 + 16 + 2 + 64 + 32);
        let parsed = SealedTicket::parse(&bytes).unwrap();
        assert_eq!(key().open(&parsed), Ok(state()));
    }

    #[test]
    fn encryption_is_aes_128_cbc_under_the_iv() {
        // The first block of ciphertext depends on the IV; the state is not
        // sent in the clear.
        let a = key().seal(&state(), [0; TICKET_IV_LEN]);
        let b = key().seal(&state(), [1; TICKET_IV_LEN]);
        assert_ne!(a.encrypted_state[..16], b.encrypted_state[..16]);
        let plain = state().to_bytes();
        assert!(
            !a.encrypted_state
                .windows(MASTER_SECRET_LEN)
                .any(|w| w == &plain[5..5 + MASTER_SECRET_LEN])
        );
    }

    #[test]
    fn any_changed_byte_is_refused() {
        let bytes = key().seal(&state(), [0x55; TICKET_IV_LEN]).to_bytes();
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x80;
            let result = SealedTicket::parse(&changed).and_then(|t| key().open(&t));
            let expected = match i {
                0..KEY_NAME_LEN => TicketError::UnknownKeyName,
                // The length of encrypted_state no longer fits the ticket.
                32 | 33 => TicketError::Malformed,
                _ => TicketError::BadMac,
            };
            assert_eq!(result, Err(expected), "byte {i}");
        }
    }

    #[test]
    fn another_key_with_the_same_name_fails_the_mac() {
        let sealed = key().seal(&state(), [0x55; TICKET_IV_LEN]);
        let other = TicketKey {
            hmac_key: [0x34; 32],
            ..key()
        };
        assert_eq!(other.open(&sealed), Err(TicketError::BadMac));
    }

    #[test]
    fn truncated_or_empty_tickets_are_malformed() {
        let bytes = key().seal(&state(), [0x55; TICKET_IV_LEN]).to_bytes();
        assert_eq!(SealedTicket::parse(&[]), Err(TicketError::Malformed));
        assert_eq!(
            SealedTicket::parse(&bytes[..bytes.len() - 1]),
            Err(TicketError::Malformed)
        );
    }
}
