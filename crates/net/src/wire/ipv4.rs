//! IPv4 header (RFC 791 §3.1).
//!
//! This stack sends 20-byte headers with Don't Fragment set and TTL 64, and
//! refuses fragments on receipt: simulated links never fragment, and a sender
//! that sets DF must not be fragmented (RFC 791 §3.2).

use core::fmt;
use std::net::Ipv4Addr;

use super::WireError;
use super::checksum;

mod field {
    use core::ops::Range;
    pub(super) const VER_IHL: usize = 0;
    pub(super) const LENGTH: Range<usize> = 2..4;
    pub(super) const IDENT: Range<usize> = 4..6;
    pub(super) const FLG_OFF: Range<usize> = 6..8;
    pub(super) const TTL: usize = 8;
    pub(super) const PROTOCOL: usize = 9;
    pub(super) const CHECKSUM: Range<usize> = 10..12;
    pub(super) const SRC_ADDR: Range<usize> = 12..16;
    pub(super) const DST_ADDR: Range<usize> = 16..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;
/// The TTL this stack sends with (Linux's default).
pub const DEFAULT_TTL: u8 = 64;

const FLAG_DONT_FRAGMENT: u16 = 0x4000;
const FLAG_MORE_FRAGMENTS: u16 = 0x2000;
const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;

/// An IP protocol number (the IANA "Assigned Internet Protocol Numbers").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Protocol(pub u8);

impl Protocol {
    /// Transmission Control Protocol.
    pub const TCP: Protocol = Protocol(6);
    /// User Datagram Protocol.
    pub const UDP: Protocol = Protocol(17);
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Protocol::TCP => write!(f, "TCP ({})", self.0),
            Protocol::UDP => write!(f, "UDP ({})", self.0),
            Protocol(n) => write!(f, "Unknown ({n})"),
        }
    }
}

/// A read/write view of an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; accessors may panic if it is short.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Packet<T>, WireError> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Ensures every accessor stays in bounds: version 4, a header length of
    /// at least 20 bytes, and a total length between the header length and
    /// the buffer's length. Bytes beyond the total length are ignored.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if self.version() != 4 {
            return Err(WireError::Malformed("IP version is not 4"));
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN {
            return Err(WireError::Malformed("IPv4 header length below 20"));
        }
        let total_len = usize::from(self.total_len());
        if total_len < header_len {
            return Err(WireError::Malformed(
                "IPv4 total length below header length",
            ));
        }
        if len < total_len {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn u16_at(&self, at: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[at];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The version field (4).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }
    /// The header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }
    /// The total length of header and payload.
    pub fn total_len(&self) -> u16 {
        self.u16_at(field::LENGTH)
    }
    /// The identification field.
    pub fn ident(&self) -> u16 {
        self.u16_at(field::IDENT)
    }
    /// The Don't Fragment flag.
    pub fn dont_frag(&self) -> bool {
        self.u16_at(field::FLG_OFF) & FLAG_DONT_FRAGMENT != 0
    }
    /// The More Fragments flag.
    pub fn more_frags(&self) -> bool {
        self.u16_at(field::FLG_OFF) & FLAG_MORE_FRAGMENTS != 0
    }
    /// The fragment offset, in 8-byte units.
    pub fn frag_offset(&self) -> u16 {
        self.u16_at(field::FLG_OFF) & FRAGMENT_OFFSET_MASK
    }
    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }
    /// The protocol of the payload.
    pub fn protocol(&self) -> Protocol {
        Protocol(self.buffer.as_ref()[field::PROTOCOL])
    }
    /// The header checksum as stored.
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }
    /// The source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::SRC_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::DST_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    /// Whether the header checksum is correct.
    pub fn verify_checksum(&self) -> bool {
        let header = &self.buffer.as_ref()[..self.header_len()];
        checksum::fold(checksum::partial_sum(header)) == 0xffff
    }
    /// The payload: the bytes after the header, up to the total length.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn set_u16(&mut self, at: core::ops::Range<usize>, value: u16) {
        self.buffer.as_mut()[at].copy_from_slice(&value.to_be_bytes());
    }

    /// Recomputes and stores the header checksum.
    pub fn fill_checksum(&mut self) {
        self.set_u16(field::CHECKSUM, 0);
        let sum = checksum::checksum(&self.buffer.as_ref()[..self.header_len()]);
        self.set_u16(field::CHECKSUM, sum);
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.header_len()..usize::from(self.total_len());
        &mut self.buffer.as_mut()[range]
    }
}

/// A parsed IPv4 header, as this stack uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Protocol of the payload.
    pub protocol: Protocol,
    /// Length of the payload in bytes.
    pub payload_len: usize,
    /// Identification (incremented per packet by the sending host).
    pub ident: u16,
    /// Time to live.
    pub ttl: u8,
}

impl Repr {
    /// Parses a header after verifying its checksum. Options are skipped;
    /// fragments are refused.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr, WireError> {
        packet.check_len()?;
        if !packet.verify_checksum() {
            return Err(WireError::BadChecksum);
        }
        if packet.more_frags() || packet.frag_offset() != 0 {
            return Err(WireError::Malformed("IPv4 fragment"));
        }
        Ok(Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            protocol: packet.protocol(),
            payload_len: usize::from(packet.total_len()) - packet.header_len(),
            ident: packet.ident(),
            ttl: packet.ttl(),
        })
    }

    /// Length of the header this emits.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header (DF set, no options) into the first 20 bytes of
    /// `buffer` and fills the checksum.
    ///
    /// # Panics
    /// If `buffer` is shorter than 20 bytes or the total length exceeds 65535.
    pub fn emit(&self, buffer: &mut [u8]) {
        let total = u16::try_from(HEADER_LEN + self.payload_len)
            .expect("IPv4 total length must fit in 16 bits");
        let b = &mut buffer[..HEADER_LEN];
        b[field::VER_IHL] = 0x45;
        b[1] = 0; // DSCP/ECN
        b[field::LENGTH].copy_from_slice(&total.to_be_bytes());
        b[field::IDENT].copy_from_slice(&self.ident.to_be_bytes());
        b[field::FLG_OFF].copy_from_slice(&FLAG_DONT_FRAGMENT.to_be_bytes());
        b[field::TTL] = self.ttl;
        b[field::PROTOCOL] = self.protocol.0;
        b[field::CHECKSUM].copy_from_slice(&[0, 0]);
        b[field::SRC_ADDR].copy_from_slice(&self.src_addr.octets());
        b[field::DST_ADDR].copy_from_slice(&self.dst_addr.octets());
        let sum = checksum::checksum(b);
        b[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A UDP packet header with its correct checksum 0xb861 (a widely used
    // worked example), total length 0x73.
    static HEADER_BYTES: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    fn packet_bytes() -> Vec<u8> {
        let mut v = HEADER_BYTES.to_vec();
        v.resize(0x73, 0xaa);
        v
    }

    #[test]
    fn deconstructs_header_fields() {
        let bytes = packet_bytes();
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 0x73);
        assert!(p.dont_frag());
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), Protocol::UDP);
        assert_eq!(p.checksum(), 0xb861);
        assert_eq!(p.src_addr(), Ipv4Addr::new(192, 168, 0, 1));
        assert_eq!(p.dst_addr(), Ipv4Addr::new(192, 168, 0, 199));
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 0x73 - 20);
    }

    #[test]
    fn emit_reproduces_fixture_byte_for_byte() {
        let repr = Repr::parse(&Packet::new_checked(&packet_bytes()[..]).unwrap()).unwrap();
        let mut out = [0u8; 20];
        repr.emit(&mut out);
        assert_eq!(out, HEADER_BYTES);
    }

    #[test]
    fn rejects_bad_header_checksum() {
        let mut bytes = packet_bytes();
        bytes[8] = 63;
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&bytes[..])),
            Err(WireError::BadChecksum)
        );
    }

    #[test]
    fn rejects_truncated_and_malformed_headers() {
        let bytes = packet_bytes();
        assert_eq!(
            Packet::new_checked(&bytes[..19]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            Packet::new_checked(&bytes[..0x72]).unwrap_err(),
            WireError::Truncated
        );
        let mut v6 = bytes.clone();
        v6[0] = 0x65;
        assert!(matches!(
            Packet::new_checked(&v6[..]),
            Err(WireError::Malformed(_))
        ));
        let mut short_ihl = bytes.clone();
        short_ihl[0] = 0x44;
        assert!(matches!(
            Packet::new_checked(&short_ihl[..]),
            Err(WireError::Malformed(_))
        ));
        let mut short_total = bytes;
        short_total[2..4].copy_from_slice(&[0, 10]);
        assert!(matches!(
            Packet::new_checked(&short_total[..]),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn rejects_fragments() {
        let mut bytes = packet_bytes();
        bytes[6] = 0x20; // MF, DF clear
        let mut p = Packet::new_unchecked(&mut bytes[..]);
        p.fill_checksum();
        assert!(matches!(Repr::parse(&p), Err(WireError::Malformed(_))));
    }

    #[test]
    fn parse_never_panics_on_short_garbage() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 0x45) as u8).collect();
            let _ = Repr::parse(&Packet::new_unchecked(&bytes[..]));
        }
    }
}
