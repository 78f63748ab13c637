//! TLS 1.3 resumption and 0-RTT extension bodies (RFC 8446 §4.2.10,
//! §4.2.11) and the truncated Client Hello the PSK binders cover.
//!
//! Read first: RFC 8446 §4.2.11 (`OfferedPsks`, the obfuscated ticket
//! age), §4.2.11.2 (binders over the partial Client Hello), §4.2.10
//! (`EarlyDataIndication` in a Client Hello, EncryptedExtensions and
//! NewSessionTicket).

use super::tls13::Tls13Extension;
use super::{ClientExtension, ClientHello};
use crate::codec::{Codec, Reader, VecBounds};
use crate::enums::ExtensionType;
use crate::error::InvalidMessage;

/// RFC 8446 §4.2.11: `opaque identity<1..2^16-1>;`
pub const PSK_IDENTITY: VecBounds = VecBounds::new(1, 0xffff, "identity");
/// RFC 8446 §4.2.11: `PskIdentity identities<7..2^16-1>;`
pub const PSK_IDENTITIES: VecBounds = VecBounds::new(7, 0xffff, "identities");
/// RFC 8446 §4.2.11: `opaque PskBinderEntry<32..255>;`
pub const PSK_BINDER: VecBounds = VecBounds::new(32, 255, "PskBinderEntry");
/// RFC 8446 §4.2.11: `PskBinderEntry binders<33..2^16-1>;`
pub const PSK_BINDERS: VecBounds = VecBounds::new(33, 0xffff, "binders");

/// RFC 8446 §4.2.11 `PskIdentity`: a ticket and the client's view of its
/// age, obfuscated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskIdentity {
    /// The ticket, as the server sent it.
    pub identity: Vec<u8>,
    /// The ticket's age in milliseconds plus `ticket_age_add`, mod 2^32.
    pub obfuscated_ticket_age: u32,
}

impl Codec for PskIdentity {
    fn encode(&self, out: &mut Vec<u8>) {
        PSK_IDENTITY.encode_opaque(out, &self.identity);
        self.obfuscated_ticket_age.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(PskIdentity {
            identity: PSK_IDENTITY.read_opaque(r)?,
            obfuscated_ticket_age: r.u32("obfuscated_ticket_age")?,
        })
    }
}

/// RFC 8446 §4.2.11 `PskBinderEntry`: an HMAC over the truncated Client
/// Hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskBinder(pub Vec<u8>);

impl Codec for PskBinder {
    fn encode(&self, out: &mut Vec<u8>) {
        PSK_BINDER.encode_opaque(out, &self.0);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        PSK_BINDER.read_opaque(r).map(PskBinder)
    }
}

/// RFC 8446 §4.2.11 `OfferedPsks`: the client's pre_shared_key, one binder
/// per identity, in the same order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    /// The identities offered.
    pub identities: Vec<PskIdentity>,
    /// Their binders.
    pub binders: Vec<PskBinder>,
}

impl OfferedPsks {
    /// RFC 8446 §4.2.11.2: the length of the `binders` list as encoded,
    /// its two length bytes included: what the binders leave out of the
    /// Client Hello they cover.
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.0.len()).sum::<usize>()
    }
}

impl Codec for OfferedPsks {
    fn encode(&self, out: &mut Vec<u8>) {
        PSK_IDENTITIES.encode_list(out, &self.identities);
        PSK_BINDERS.encode_list(out, &self.binders);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let identities: Vec<PskIdentity> = PSK_IDENTITIES.read_list(r)?;
        let binders: Vec<PskBinder> = PSK_BINDERS.read_list(r)?;
        // RFC 8446 §4.2.11: one binder per identity.
        if identities.len() != binders.len() {
            return Err(InvalidMessage::IllegalValue("binders"));
        }
        Ok(OfferedPsks {
            identities,
            binders,
        })
    }
}

impl Tls13Extension for OfferedPsks {
    const TYPE: ExtensionType = ExtensionType::PreSharedKey;
}

/// RFC 8446 §4.2.11: the server's pre_shared_key, the index of the
/// identity it accepted (`uint16 selected_identity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectedPsk(pub u16);

impl Codec for SelectedPsk {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u16("selected_identity").map(SelectedPsk)
    }
}

impl Tls13Extension for SelectedPsk {
    const TYPE: ExtensionType = ExtensionType::PreSharedKey;
}

/// RFC 8446 §4.2.10: the empty early_data of a Client Hello or
/// EncryptedExtensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlyDataOffer;

impl Codec for EarlyDataOffer {
    fn encode(&self, _out: &mut Vec<u8>) {}
    fn read(_r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        Ok(EarlyDataOffer)
    }
}

impl Tls13Extension for EarlyDataOffer {
    const TYPE: ExtensionType = ExtensionType::EarlyData;
}

/// RFC 8446 §4.2.10: the early_data of a NewSessionTicket, the most 0-RTT
/// data the client may send with it (`uint32 max_early_data_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxEarlyDataSize(pub u32);

impl Codec for MaxEarlyDataSize {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        r.u32("max_early_data_size").map(MaxEarlyDataSize)
    }
}

impl Tls13Extension for MaxEarlyDataSize {
    const TYPE: ExtensionType = ExtensionType::EarlyData;
}

/// RFC 8446 §4.2.11: "The "pre_shared_key" extension MUST be the last
/// extension in the ClientHello (this facilitates implementation as
/// described below). Servers MUST check that it is the last extension and
/// otherwise fail the handshake with an "illegal_parameter" alert."
///
/// # Errors
/// illegal_parameter if pre_shared_key is present but not last; the
/// codec's error for a body that does not decode.
pub fn offered_psks(hello: &ClientHello) -> Result<Option<OfferedPsks>, InvalidMessage> {
    let Some(found) = OfferedPsks::find_in_client_hello(hello) else {
        return Ok(None);
    };
    let last = hello.extensions.last().map(|ext| match ext {
        ClientExtension::Unknown { typ, .. } => *typ,
        _ => ExtensionType::ServerName,
    });
    if last != Some(ExtensionType::PreSharedKey) {
        return Err(InvalidMessage::IllegalValue("pre_shared_key not last"));
    }
    found.map(Some)
}

/// RFC 8446 §4.2.11.2: the bytes of an encoded Client Hello (header
/// included) that its binders cover: everything up to the binders list.
///
/// # Errors
/// decode_error if the message is shorter than its binders.
pub fn truncated_client_hello<'a>(
    encoded: &'a [u8],
    offered: &OfferedPsks,
) -> Result<&'a [u8], InvalidMessage> {
    encoded
        .len()
        .checked_sub(offered.binders_len())
        .map(|end| &encoded[..end])
        .ok_or(InvalidMessage::Truncated("binders"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> OfferedPsks {
        OfferedPsks {
            identities: vec![PskIdentity {
                identity: vec![7; 10],
                obfuscated_ticket_age: 0x0102_0304,
            }],
            binders: vec![PskBinder(vec![9; 32])],
        }
    }

    #[test]
    fn offered_psks_round_trip_and_measure_their_binders() {
        let bytes = offer().to_bytes();
        // identities: 2 + (2 + 10 + 4); binders: 2 + (1 + 32).
        assert_eq!(bytes.len(), 18 + 35);
        assert_eq!(offer().binders_len(), 35);
        assert_eq!(OfferedPsks::from_bytes(&bytes).unwrap(), offer());
    }

    #[test]
    fn rejects_a_binder_shorter_than_32_bytes() {
        // A list long enough for its own bound, with a 31-byte entry.
        let mut short = offer();
        short.binders.push(PskBinder(vec![9; 31]));
        assert_eq!(
            OfferedPsks::from_bytes(&short.to_bytes()).unwrap_err(),
            InvalidMessage::LengthOutOfBounds("PskBinderEntry")
        );
    }

    #[test]
    fn rejects_more_identities_than_binders() {
        let mut two = offer();
        two.identities.push(two.identities[0].clone());
        assert_eq!(
            OfferedPsks::from_bytes(&two.to_bytes()).unwrap_err(),
            InvalidMessage::IllegalValue("binders")
        );
    }

    #[test]
    fn truncation_leaves_out_the_binders_list() {
        let encoded = [&[1u8, 2, 3][..], &offer().to_bytes()].concat();
        let truncated = truncated_client_hello(&encoded, &offer()).unwrap();
        assert_eq!(truncated.len(), 3 + 18);
        assert_eq!(
            truncated_client_hello(&[0; 4], &offer()).unwrap_err(),
            InvalidMessage::Truncated("binders")
        );
    }

    #[test]
    fn early_data_bodies_are_empty_or_a_size() {
        assert!(EarlyDataOffer.to_bytes().is_empty());
        assert_eq!(MaxEarlyDataSize(16384).to_bytes(), [0, 0, 0x40, 0]);
        assert_eq!(
            MaxEarlyDataSize::from_bytes(&[0, 0]).unwrap_err(),
            InvalidMessage::Truncated("max_early_data_size")
        );
    }
}
