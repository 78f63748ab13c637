//! Scripted faults: which segments they match and what they do to them.

use tlsim_sim::Duration;

use super::HostId;
use crate::wire::tcp::Flags;
use crate::wire::{ipv4, tcp};

/// What a scripted fault does to the segment it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// The segment never arrives.
    Drop,
    /// The segment arrives this much later than the link would deliver it.
    Delay(Duration),
    /// The segment arrives twice.
    Duplicate,
    /// The last bit of the packet is flipped; the receiver's checksum check drops it.
    Corrupt,
    /// An on-path attacker XORs `xor` into payload byte `byte` (the last
    /// one if the payload is shorter) and recomputes the TCP checksum, so
    /// TCP accepts the segment: only a protocol above can tell.
    Tamper {
        /// Offset into the TCP payload.
        byte: u32,
        /// Bits to flip there.
        xor: u8,
    },
}

/// Which segments a fault looks at; `None` matches anything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentFilter {
    /// Sending host.
    pub from: Option<HostId>,
    /// Receiving host.
    pub to: Option<HostId>,
    /// SYN flag.
    pub syn: Option<bool>,
    /// FIN flag.
    pub fin: Option<bool>,
    /// RST flag.
    pub rst: Option<bool>,
    /// Whether the segment carries data.
    pub has_payload: Option<bool>,
}

impl SegmentFilter {
    pub(super) fn matches(
        &self,
        from: HostId,
        to: HostId,
        flags: Flags,
        has_payload: bool,
    ) -> bool {
        let flag = |want: Option<bool>, bit| want.is_none_or(|w| w == flags.contains(bit));
        self.from.is_none_or(|h| h == from)
            && self.to.is_none_or(|h| h == to)
            && flag(self.syn, Flags::SYN)
            && flag(self.fin, Flags::FIN)
            && flag(self.rst, Flags::RST)
            && self.has_payload.is_none_or(|p| p == has_payload)
    }
}

/// A scripted fault: apply `action` to the `nth` (1-based) segment matching `filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What to do.
    pub action: FaultAction,
    /// Which segments count.
    pub filter: SegmentFilter,
    /// Which matching segment, from 1.
    pub nth: u32,
}

#[derive(Debug)]
pub(super) struct FaultState {
    pub(super) fault: Fault,
    pub(super) seen: u32,
}

/// XORs `xor` into byte `byte` of the TCP payload of the IPv4 packet
/// `packet` (the last byte if the payload is shorter; nothing if it is
/// empty) and refreshes the TCP checksum (RFC 9293 §3.1).
pub(super) fn tamper(packet: &mut [u8], byte: u32, xor: u8) {
    let Ok(ip) = ipv4::Packet::new_checked(&*packet).and_then(|p| ipv4::Repr::parse(&p)) else {
        return;
    };
    let segment = &mut packet[ipv4::HEADER_LEN..ipv4::HEADER_LEN + ip.payload_len];
    let Ok(header_len) = tcp::Packet::new_checked(&*segment).map(|p| p.header_len()) else {
        return;
    };
    let payload_len = segment.len() - header_len;
    if payload_len == 0 {
        return;
    }
    segment[header_len + (byte as usize).min(payload_len - 1)] ^= xor;
    tcp::Packet::new_unchecked(segment).fill_checksum(ip.src_addr, ip.dst_addr);
}
