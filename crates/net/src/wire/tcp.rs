//! TCP header (RFC 9293 §3.1) and options: MSS (RFC 9293 §3.2), window scale
//! and timestamps (RFC 7323 §2, §3), SACK-permitted (RFC 2018 §2).
//!
//! Window scale and SACK-permitted are parsed but never sent: this stack
//! advertises at most 65535 bytes and acknowledges cumulatively.

use core::fmt;
use core::ops::{Add, Sub};
use std::net::Ipv4Addr;

use super::WireError;
use super::checksum;
use super::ipv4::Protocol;

mod field {
    use core::ops::Range;
    pub(super) const SRC_PORT: Range<usize> = 0..2;
    pub(super) const DST_PORT: Range<usize> = 2..4;
    pub(super) const SEQ_NUM: Range<usize> = 4..8;
    pub(super) const ACK_NUM: Range<usize> = 8..12;
    pub(super) const FLAGS: Range<usize> = 12..14;
    pub(super) const WIN_SIZE: Range<usize> = 14..16;
    pub(super) const CHECKSUM: Range<usize> = 16..18;
    pub(super) const URGENT: Range<usize> = 18..20;
}

/// Length of a header without options.
pub const HEADER_LEN: usize = 20;

/// A TCP sequence number, compared modulo 2^32 (RFC 9293 §3.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// How far `self` is ahead of `earlier`, modulo 2^32.
    pub const fn distance_from(self, earlier: SeqNumber) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }

    /// The later of two sequence numbers.
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self > other { self } else { other }
    }

    /// The earlier of two sequence numbers.
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self < other { self } else { other }
    }
}

impl PartialOrd for SeqNumber {
    /// Wrapping comparison: `a < b` when `b` is less than 2^31 ahead of `a`.
    fn partial_cmp(&self, other: &SeqNumber) -> Option<core::cmp::Ordering> {
        Some((self.0.wrapping_sub(other.0) as i32).cmp(&0))
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(rhs))
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The control bits of a TCP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u16);

impl Flags {
    /// No more data from sender.
    pub const FIN: Flags = Flags(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x002);
    /// Reset the connection.
    pub const RST: Flags = Flags(0x004);
    /// Push function.
    pub const PSH: Flags = Flags(0x008);
    /// Acknowledgment field is significant.
    pub const ACK: Flags = Flags(0x010);
    /// Urgent pointer field is significant.
    pub const URG: Flags = Flags(0x020);
    /// ECN-Echo (RFC 3168).
    pub const ECE: Flags = Flags(0x040);
    /// Congestion Window Reduced (RFC 3168).
    pub const CWR: Flags = Flags(0x080);

    const NAMES: [(Flags, &'static str); 8] = [
        (Flags::FIN, "FIN"),
        (Flags::SYN, "SYN"),
        (Flags::RST, "RST"),
        (Flags::PSH, "PSH"),
        (Flags::ACK, "ACK"),
        (Flags::URG, "URG"),
        (Flags::ECE, "ECE"),
        (Flags::CWR, "CWR"),
    ];

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets of bits.
    #[must_use]
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl fmt::Display for Flags {
    /// Wireshark's form: `0x018 (PSH, ACK)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#05x} (", self.0)?;
        let mut first = true;
        for (flag, name) in Flags::NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        f.write_str(")")
    }
}

/// One TCP option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// Kind 0: end of the option list.
    EndOfList,
    /// Kind 1: padding.
    NoOperation,
    /// Kind 2: maximum segment size.
    MaxSegmentSize(u16),
    /// Kind 3: window scale shift count (RFC 7323 §2).
    WindowScale(u8),
    /// Kind 4: SACK permitted (RFC 2018).
    SackPermitted,
    /// Kind 8: timestamps (RFC 7323 §3).
    Timestamps {
        /// The sender's clock.
        tsval: u32,
        /// The echoed most recent TSval of the peer.
        tsecr: u32,
    },
    /// Any other kind, kept with its data.
    Unknown {
        /// The option kind.
        kind: u8,
        /// The option data (after kind and length).
        data: &'a [u8],
    },
}

impl<'a> TcpOption<'a> {
    /// Parses one option from the start of `buffer`, returning the rest.
    pub fn parse(buffer: &'a [u8]) -> Result<(&'a [u8], TcpOption<'a>), WireError> {
        let (&kind, rest) = buffer.split_first().ok_or(WireError::Truncated)?;
        match kind {
            0 => return Ok((&[], TcpOption::EndOfList)),
            1 => return Ok((rest, TcpOption::NoOperation)),
            _ => {}
        }
        let &len = rest.first().ok_or(WireError::Truncated)?;
        let len = usize::from(len);
        if len < 2 {
            return Err(WireError::Malformed("TCP option length below 2"));
        }
        if buffer.len() < len {
            return Err(WireError::Truncated);
        }
        let data = &buffer[2..len];
        let option = match (kind, data.len()) {
            (2, 2) => TcpOption::MaxSegmentSize(u16::from_be_bytes([data[0], data[1]])),
            (3, 1) => TcpOption::WindowScale(data[0]),
            (4, 0) => TcpOption::SackPermitted,
            (8, 8) => TcpOption::Timestamps {
                tsval: u32::from_be_bytes([data[0], data[1], data[2], data[3]]),
                tsecr: u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            },
            (2 | 3 | 4 | 8, _) => return Err(WireError::Malformed("TCP option length")),
            _ => TcpOption::Unknown { kind, data },
        };
        Ok((&buffer[len..], option))
    }

    /// Bytes this option takes.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Timestamps { .. } => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the start of `buffer`, returning the rest.
    ///
    /// # Panics
    /// If `buffer` is shorter than [`buffer_len`](Self::buffer_len).
    pub fn emit<'b>(&self, buffer: &'b mut [u8]) -> &'b mut [u8] {
        let len = self.buffer_len();
        let b = &mut buffer[..len];
        match *self {
            TcpOption::EndOfList => b[0] = 0,
            TcpOption::NoOperation => b[0] = 1,
            TcpOption::MaxSegmentSize(mss) => {
                b[..2].copy_from_slice(&[2, 4]);
                b[2..].copy_from_slice(&mss.to_be_bytes());
            }
            TcpOption::WindowScale(shift) => b.copy_from_slice(&[3, 3, shift]),
            TcpOption::SackPermitted => b.copy_from_slice(&[4, 2]),
            TcpOption::Timestamps { tsval, tsecr } => {
                b[..2].copy_from_slice(&[8, 10]);
                b[2..6].copy_from_slice(&tsval.to_be_bytes());
                b[6..].copy_from_slice(&tsecr.to_be_bytes());
            }
            TcpOption::Unknown { kind, data } => {
                b[0] = kind;
                b[1] = len as u8;
                b[2..].copy_from_slice(data);
            }
        }
        &mut buffer[len..]
    }
}

/// A read/write view of a TCP segment.
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

    /// Ensures every accessor stays in bounds: at least 20 bytes, and a data
    /// offset between 20 bytes and the buffer's length.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let header_len = self.header_len();
        if header_len < HEADER_LEN {
            return Err(WireError::Malformed("TCP data offset below 5"));
        }
        if len < header_len {
            return Err(WireError::Truncated);
        }
        Ok(())
    }

    fn u16_at(&self, at: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[at];
        u16::from_be_bytes([b[0], b[1]])
    }

    fn u32_at(&self, at: core::ops::Range<usize>) -> u32 {
        let b = &self.buffer.as_ref()[at];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        self.u16_at(field::DST_PORT)
    }
    /// Sequence number.
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(self.u32_at(field::SEQ_NUM))
    }
    /// Acknowledgment number (meaningful when ACK is set).
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(self.u32_at(field::ACK_NUM))
    }
    /// Header length in bytes, from the data offset.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }
    /// Control bits (the 12 bits after the data offset).
    pub fn flags(&self) -> Flags {
        Flags(self.u16_at(field::FLAGS) & 0x0fff)
    }
    /// Window.
    pub fn window_len(&self) -> u16 {
        self.u16_at(field::WIN_SIZE)
    }
    /// Checksum as stored.
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }
    /// Urgent pointer.
    pub fn urgent_at(&self) -> u16 {
        self.u16_at(field::URGENT)
    }
    /// The option bytes.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }
    /// The payload.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
    /// Whether the checksum over the pseudo-header and the whole segment is correct.
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        let data = self.buffer.as_ref();
        let sum = checksum::pseudo_header_sum(src, dst, Protocol::TCP.0, data.len() as u32)
            + checksum::partial_sum(data);
        checksum::fold(sum) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Recomputes and stores the checksum over the pseudo-header and segment.
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        let data = self.buffer.as_mut();
        data[field::CHECKSUM].copy_from_slice(&[0, 0]);
        let sum = checksum::pseudo_header_sum(src, dst, Protocol::TCP.0, data.len() as u32)
            + checksum::partial_sum(data);
        data[field::CHECKSUM].copy_from_slice(&(!checksum::fold(sum)).to_be_bytes());
    }
}

/// A parsed TCP segment, borrowing its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Control bits (ACK included when `ack_number` is set).
    pub flags: Flags,
    /// Sequence number.
    pub seq_number: SeqNumber,
    /// Acknowledgment number, present when ACK is set.
    pub ack_number: Option<SeqNumber>,
    /// Advertised window.
    pub window_len: u16,
    /// MSS option.
    pub max_seg_size: Option<u16>,
    /// Window scale option (parsed, never sent by this stack).
    pub window_scale: Option<u8>,
    /// SACK-permitted option (parsed, never sent by this stack).
    pub sack_permitted: bool,
    /// Timestamps option: `(TSval, TSecr)`.
    pub timestamp: Option<(u32, u32)>,
    /// The payload.
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Parses a segment after verifying its checksum against the pseudo-header.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &'a Packet<&'a T>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) -> Result<Repr<'a>, WireError> {
        packet.check_len()?;
        if !packet.verify_checksum(src, dst) {
            return Err(WireError::BadChecksum);
        }
        let flags = packet.flags();
        let mut repr = Repr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            flags,
            seq_number: packet.seq_number(),
            ack_number: flags.contains(Flags::ACK).then(|| packet.ack_number()),
            window_len: packet.window_len(),
            max_seg_size: None,
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
            payload: &packet.buffer.as_ref()[packet.header_len()..],
        };
        let mut options = &packet.buffer.as_ref()[HEADER_LEN..packet.header_len()];
        while !options.is_empty() {
            let (rest, option) = TcpOption::parse(options)?;
            match option {
                TcpOption::EndOfList => break,
                TcpOption::MaxSegmentSize(mss) => repr.max_seg_size = Some(mss),
                TcpOption::WindowScale(shift) => repr.window_scale = Some(shift),
                TcpOption::SackPermitted => repr.sack_permitted = true,
                TcpOption::Timestamps { tsval, tsecr } => repr.timestamp = Some((tsval, tsecr)),
                TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
            }
            options = rest;
        }
        Ok(repr)
    }

    /// Bytes of options this emits (padded to a multiple of 4). The layout
    /// is Linux's: MSS first, then NOP, NOP, timestamps.
    pub fn options_len(&self) -> usize {
        let mut len = 0;
        if self.max_seg_size.is_some() {
            len += 4;
        }
        if self.window_scale.is_some() {
            len += 4; // NOP + 3
        }
        if self.sack_permitted {
            len += 4; // NOP NOP + 2
        }
        if self.timestamp.is_some() {
            len += 12; // NOP NOP + 10
        }
        len
    }

    /// Header length including options.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options_len()
    }

    /// Header, options and payload.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Sequence space the segment occupies: payload, plus one each for SYN and FIN.
    pub fn segment_len(&self) -> u32 {
        self.payload.len() as u32
            + u32::from(self.flags.contains(Flags::SYN))
            + u32::from(self.flags.contains(Flags::FIN))
    }

    /// Writes header, options and payload into `buffer` (exactly
    /// [`buffer_len`](Self::buffer_len) bytes) and fills the checksum.
    ///
    /// # Panics
    /// If `buffer.len()` differs from `buffer_len()`.
    pub fn emit(&self, buffer: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr) {
        assert_eq!(
            buffer.len(),
            self.buffer_len(),
            "TCP emit buffer must be exactly buffer_len"
        );
        let header_len = self.header_len();
        self.emit_header(&mut buffer[..header_len]);
        buffer[header_len..].copy_from_slice(self.payload);
        Packet::new_unchecked(buffer).fill_checksum(src, dst);
    }

    /// Writes header and options into `buffer` (exactly [`header_len`](Self::header_len)
    /// bytes); the checksum field is left zero. The payload is ignored.
    pub fn emit_header(&self, buffer: &mut [u8]) {
        let flags = match self.ack_number {
            Some(_) => self.flags.with(Flags::ACK),
            None => self.flags,
        };
        buffer[field::SRC_PORT].copy_from_slice(&self.src_port.to_be_bytes());
        buffer[field::DST_PORT].copy_from_slice(&self.dst_port.to_be_bytes());
        buffer[field::SEQ_NUM].copy_from_slice(&self.seq_number.0.to_be_bytes());
        let ack = self.ack_number.unwrap_or_default().0;
        buffer[field::ACK_NUM].copy_from_slice(&ack.to_be_bytes());
        let offset_flags = ((self.header_len() as u16 / 4) << 12) | flags.0;
        buffer[field::FLAGS].copy_from_slice(&offset_flags.to_be_bytes());
        buffer[field::WIN_SIZE].copy_from_slice(&self.window_len.to_be_bytes());
        buffer[field::CHECKSUM].copy_from_slice(&[0, 0]);
        buffer[field::URGENT].copy_from_slice(&[0, 0]);
        let mut options = &mut buffer[HEADER_LEN..];
        if let Some(mss) = self.max_seg_size {
            options = TcpOption::MaxSegmentSize(mss).emit(options);
        }
        if let Some(shift) = self.window_scale {
            options = TcpOption::NoOperation.emit(options);
            options = TcpOption::WindowScale(shift).emit(options);
        }
        if self.sack_permitted {
            options = TcpOption::NoOperation.emit(options);
            options = TcpOption::NoOperation.emit(options);
            options = TcpOption::SackPermitted.emit(options);
        }
        if let Some((tsval, tsecr)) = self.timestamp {
            options = TcpOption::NoOperation.emit(options);
            options = TcpOption::NoOperation.emit(options);
            TcpOption::Timestamps { tsval, tsecr }.emit(options);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 2);

    // A SYN from 49152 to 443: seq 0x01020304, window 65535, MSS 1460,
    // NOP NOP TSopt(tsval 1, tsecr 0). The checksum 0x15f9 covers the
    // pseudo-header for SRC -> DST (computed independently of this code).
    static SYN_BYTES: [u8; 36] = [
        0xc0, 0x00, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x90, 0x02, 0xff,
        0xff, 0x15, 0xf9, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    ];

    fn syn_fixture() -> Vec<u8> {
        SYN_BYTES.to_vec()
    }

    fn syn_repr() -> Repr<'static> {
        Repr {
            src_port: 49152,
            dst_port: 443,
            flags: Flags::SYN,
            seq_number: SeqNumber(0x0102_0304),
            ack_number: None,
            window_len: 65535,
            max_seg_size: Some(1460),
            window_scale: None,
            sack_permitted: false,
            timestamp: Some((1, 0)),
            payload: &[],
        }
    }

    #[test]
    fn sequence_numbers_compare_across_wraparound() {
        let near_end = SeqNumber(u32::MAX - 10);
        let wrapped = near_end + 20;
        assert_eq!(wrapped, SeqNumber(9));
        assert!(near_end < wrapped);
        assert!(wrapped > near_end);
        assert_eq!(wrapped.distance_from(near_end), 20);
        assert_eq!(near_end.max(wrapped), wrapped);
    }

    #[test]
    fn flags_display_like_wireshark() {
        assert_eq!(Flags::PSH.with(Flags::ACK).to_string(), "0x018 (PSH, ACK)");
        assert_eq!(Flags::SYN.with(Flags::ACK).to_string(), "0x012 (SYN, ACK)");
        assert_eq!(Flags::FIN.with(Flags::ACK).to_string(), "0x011 (FIN, ACK)");
        assert_eq!(Flags::SYN.to_string(), "0x002 (SYN)");
    }

    #[test]
    fn deconstructs_syn_fixture() {
        let bytes = syn_fixture();
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.src_port(), 49152);
        assert_eq!(p.dst_port(), 443);
        assert_eq!(p.seq_number(), SeqNumber(0x0102_0304));
        assert_eq!(p.header_len(), 36);
        assert_eq!(p.flags(), Flags::SYN);
        assert_eq!(p.window_len(), 65535);
        assert!(p.verify_checksum(SRC, DST));
        assert!(!p.verify_checksum(SRC, Ipv4Addr::new(10, 0, 0, 1)));
    }

    #[test]
    fn parse_and_emit_round_trip_the_fixture() {
        let bytes = syn_fixture();
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let repr = Repr::parse(&p, SRC, DST).unwrap();
        assert_eq!(repr, syn_repr());
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut out, SRC, DST);
        assert_eq!(out, bytes);
    }

    #[test]
    fn round_trips_data_segment_with_every_option() {
        let payload = b"hello, world";
        let repr = Repr {
            flags: Flags::PSH,
            ack_number: Some(SeqNumber(77)),
            window_scale: Some(7),
            sack_permitted: true,
            timestamp: Some((0xdead_beef, 0x0102_0304)),
            payload,
            ..syn_repr()
        };
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut out, SRC, DST);
        let p = Packet::new_checked(&out[..]).unwrap();
        let back = Repr::parse(&p, SRC, DST).unwrap();
        assert_eq!(back.flags, Flags::PSH.with(Flags::ACK));
        assert_eq!(
            Repr {
                flags: Flags::PSH,
                ..back
            },
            repr
        );
    }

    #[test]
    fn rejects_flipped_bit_by_checksum() {
        let mut bytes = syn_fixture();
        bytes[30] ^= 0x10;
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(Repr::parse(&p, SRC, DST), Err(WireError::BadChecksum));
    }

    #[test]
    fn rejects_truncated_headers_and_options() {
        let bytes = syn_fixture();
        assert_eq!(
            Packet::new_checked(&bytes[..19]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            Packet::new_checked(&bytes[..30]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(TcpOption::parse(&[2, 4, 5]), Err(WireError::Truncated));
        assert!(matches!(
            TcpOption::parse(&[8, 1]),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(
            TcpOption::parse(&[2, 3, 5]),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn parses_unknown_options_and_stops_at_end_of_list() {
        let (rest, opt) = TcpOption::parse(&[30, 4, 0xaa, 0xbb, 1]).unwrap();
        assert_eq!(
            opt,
            TcpOption::Unknown {
                kind: 30,
                data: &[0xaa, 0xbb]
            }
        );
        assert_eq!(rest, &[1]);
        assert_eq!(
            TcpOption::parse(&[0, 2, 4]).unwrap(),
            (&[][..], TcpOption::EndOfList)
        );
    }

    #[test]
    fn parse_never_panics_on_garbage_options() {
        for seed in 0u32..2000 {
            let mut bytes = syn_fixture();
            for (i, b) in bytes[20..].iter_mut().enumerate() {
                *b = (seed.wrapping_mul(2_654_435_761).rotate_left(i as u32) >> 24) as u8;
            }
            let mut p = Packet::new_unchecked(&mut bytes[..]);
            p.fill_checksum(SRC, DST);
            let p = Packet::new_unchecked(&bytes[..]);
            let _ = Repr::parse(&p, SRC, DST);
        }
    }
}
