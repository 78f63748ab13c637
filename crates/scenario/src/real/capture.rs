//! The pcap of a real session: the bytes that crossed the socket, wrapped
//! in IPv4 and TCP headers made up from the connection's addresses and
//! ports, so that Wireshark and tshark reassemble and decrypt the stream.
//!
//! The kernel's own segments are out of sight of a socket, so these are
//! not them: one segment per read or write (cut to fit an IPv4 packet),
//! a three-way handshake to open the stream, FIN or RST to end it, and
//! sequence numbers counted from zero on both sides. Read RFC 9293 §3.1
//! (the header) and RFC 791 §3.1.

use std::net::{Ipv4Addr, SocketAddr};

use tlsim_net::wire::{ipv4, tcp};
use tlsim_sim::Instant;

/// The largest payload one IPv4 packet carries with a 20-byte IPv4 and a
/// 20-byte TCP header (RFC 791 §3.1: Total Length is 16 bits).
const MAX_PAYLOAD: usize = u16::MAX as usize - 40;
/// The window every made-up segment advertises.
const WINDOW: u16 = u16::MAX;

/// Which way a segment goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// From this end to its peer.
    Out,
    /// From the peer to this end.
    In,
}

/// One side of the made-up TCP connection.
#[derive(Clone, Copy, Debug)]
struct Side {
    addr: Ipv4Addr,
    port: u16,
    /// The next sequence number it sends.
    next_seq: u32,
    /// IPv4 Identification of its next packet.
    ident: u16,
}

/// Makes the packets of one connection as a capture would show them.
#[derive(Debug)]
pub(crate) struct SyntheticFlow {
    local: Side,
    remote: Side,
    /// Packets made, not yet taken: (time, IPv4 packet).
    packets: Vec<(Instant, Vec<u8>)>,
}

/// An address as IPv4, since the capture is IPv4 only: an IPv6 loopback
/// or IPv4-mapped address as its IPv4 twin.
fn ipv4_of(addr: SocketAddr) -> Ipv4Addr {
    match addr {
        SocketAddr::V4(a) => *a.ip(),
        SocketAddr::V6(a) => match a.ip().to_ipv4_mapped() {
            Some(v4) => v4,
            None if a.ip().is_loopback() => Ipv4Addr::LOCALHOST,
            // Any other IPv6 peer: an address from the documentation
            // block (RFC 5737), as a placeholder.
            None => Ipv4Addr::new(192, 0, 2, 1),
        },
    }
}

impl SyntheticFlow {
    /// The flow between `local` and `remote`, opened at `now` by whichever
    /// connected (`local_connected`): SYN, SYN-ACK, ACK.
    pub(crate) fn open(
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        local_connected: bool,
    ) -> Self {
        let side = |addr: SocketAddr| Side {
            addr: ipv4_of(addr),
            port: addr.port(),
            next_seq: 0,
            ident: 0,
        };
        let mut flow = SyntheticFlow {
            local: side(local),
            remote: side(remote),
            packets: Vec::new(),
        };
        let (opener, answerer) = if local_connected {
            (Direction::Out, Direction::In)
        } else {
            (Direction::In, Direction::Out)
        };
        flow.segment(now, opener, tcp::Flags::SYN, false, &[]);
        flow.segment(now, answerer, tcp::Flags::SYN, true, &[]);
        flow.segment(now, opener, tcp::Flags::default(), true, &[]);
        flow
    }

    /// Bytes that crossed the socket, as segments of at most [`MAX_PAYLOAD`].
    pub(crate) fn data(&mut self, now: Instant, direction: Direction, bytes: &[u8]) {
        for piece in bytes.chunks(MAX_PAYLOAD) {
            self.segment(now, direction, tcp::Flags::PSH, true, piece);
        }
    }

    /// A side closed its half of the connection.
    pub(crate) fn fin(&mut self, now: Instant, direction: Direction) {
        self.segment(now, direction, tcp::Flags::FIN, true, &[]);
    }

    /// A side reset the connection.
    pub(crate) fn rst(&mut self, now: Instant, direction: Direction) {
        self.segment(now, direction, tcp::Flags::RST, true, &[]);
    }

    /// The packets made since the last call, in order.
    pub(crate) fn take_packets(&mut self) -> Vec<(Instant, Vec<u8>)> {
        std::mem::take(&mut self.packets)
    }

    fn segment(
        &mut self,
        now: Instant,
        direction: Direction,
        flags: tcp::Flags,
        ack: bool,
        payload: &[u8],
    ) {
        let (from, to) = match direction {
            Direction::Out => (&mut self.local, &self.remote),
            Direction::In => (&mut self.remote, &self.local),
        };
        let repr = tcp::Repr {
            src_port: from.port,
            dst_port: to.port,
            flags,
            seq_number: tcp::SeqNumber(from.next_seq),
            ack_number: ack.then_some(tcp::SeqNumber(to.next_seq)),
            window_len: WINDOW,
            max_seg_size: None,
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
            payload,
        };
        let ip = ipv4::Repr {
            src_addr: from.addr,
            dst_addr: to.addr,
            protocol: ipv4::Protocol::TCP,
            payload_len: repr.buffer_len(),
            ident: from.ident,
            ttl: ipv4::DEFAULT_TTL,
        };
        let mut packet = vec![0; ipv4::HEADER_LEN + repr.buffer_len()];
        ip.emit(&mut packet[..ipv4::HEADER_LEN]);
        repr.emit(&mut packet[ipv4::HEADER_LEN..], ip.src_addr, ip.dst_addr);
        from.ident = from.ident.wrapping_add(1);
        // RFC 9293 §3.4: SYN and FIN each take one sequence number.
        from.next_seq = from.next_seq.wrapping_add(repr.segment_len());
        self.packets.push((now, packet));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> SyntheticFlow {
        SyntheticFlow::open(
            Instant::ZERO,
            "127.0.0.1:50000".parse().unwrap(),
            "127.0.0.1:4433".parse().unwrap(),
            true,
        )
    }

    /// (flags, seq, ack, payload length) of a made-up packet, checked as a
    /// receiver would check it.
    fn parse(packet: &[u8]) -> (tcp::Flags, u32, Option<u32>, usize) {
        let ip = ipv4::Packet::new_checked(packet).unwrap();
        let ip_repr = ipv4::Repr::parse(&ip).unwrap();
        let segment = tcp::Packet::new_checked(ip.payload()).unwrap();
        let repr = tcp::Repr::parse(&segment, ip_repr.src_addr, ip_repr.dst_addr).unwrap();
        (
            repr.flags,
            repr.seq_number.0,
            repr.ack_number.map(|a| a.0),
            repr.payload.len(),
        )
    }

    #[test]
    fn opens_with_a_three_way_handshake_from_the_connecting_side() {
        let packets = flow().take_packets();
        let seen: Vec<_> = packets.iter().map(|(_, p)| parse(p)).collect();
        assert_eq!(
            seen,
            [
                (tcp::Flags::SYN, 0, None, 0),
                (tcp::Flags::SYN.with(tcp::Flags::ACK), 0, Some(1), 0),
                (tcp::Flags::ACK, 1, Some(1), 0),
            ]
        );
        let ip = ipv4::Packet::new_checked(&packets[0].1[..]).unwrap();
        assert_eq!(
            tcp::Packet::new_checked(ip.payload()).unwrap().dst_port(),
            4433
        );
    }

    #[test]
    fn data_advances_sequence_numbers_and_large_writes_are_cut_to_fit_ipv4() {
        let mut flow = flow();
        flow.take_packets();
        flow.data(Instant::ZERO, Direction::Out, &vec![7; MAX_PAYLOAD + 10]);
        flow.data(Instant::ZERO, Direction::In, &[1, 2, 3]);
        flow.fin(Instant::ZERO, Direction::In);
        let seen: Vec<_> = flow.take_packets().iter().map(|(_, p)| parse(p)).collect();
        let psh_ack = tcp::Flags::PSH.with(tcp::Flags::ACK);
        let sent = MAX_PAYLOAD as u32 + 10;
        assert_eq!(
            seen,
            [
                (psh_ack, 1, Some(1), MAX_PAYLOAD),
                (psh_ack, 1 + MAX_PAYLOAD as u32, Some(1), 10),
                (psh_ack, 1, Some(1 + sent), 3),
                (tcp::Flags::FIN.with(tcp::Flags::ACK), 4, Some(1 + sent), 0),
            ]
        );
    }

    #[test]
    fn an_ipv6_loopback_peer_shows_as_ipv4_loopback() {
        assert_eq!(ipv4_of("[::1]:443".parse().unwrap()), Ipv4Addr::LOCALHOST);
    }
}
