//! Demultiplexing (RFC 9293 §3.10.7): which socket an arriving segment is
//! for. A connection's own socket if there is one; else a new socket, when
//! a SYN reaches a listening port; else none, and anything but a RST is
//! answered with a RST (§3.10.7.1).

use std::net::SocketAddrV4;

use tlsim_sim::{Event, Instant, Kind, Layer, Tracer};

use super::trace::segment_event;
use super::{Attachment, HostId, Network, PacketTap};
use crate::tcp::{Note, reset_reply};
use crate::wire::tcp::{Flags, Repr as TcpRepr, SeqNumber};
use crate::wire::{WireError, ipv4, tcp};

/// The log title for a packet dropped on `error`: `bad_checksum` for a
/// checksum that does not add up, `malformed` for anything else.
fn drop_title(
    error: WireError,
    bad_checksum: &'static str,
    malformed: &'static str,
) -> &'static str {
    match error {
        WireError::BadChecksum => bad_checksum,
        _ => malformed,
    }
}

/// RFC 9293 §3.10.7.2: only a SYN, with neither ACK nor RST, opens a
/// connection on a listening port.
fn is_connection_request(repr: &TcpRepr<'_>) -> bool {
    repr.flags.contains(Flags::SYN)
        && !repr.flags.contains(Flags::ACK)
        && !repr.flags.contains(Flags::RST)
}

/// A segment that reached `host` from the neighbour `from`, parsed.
struct Received<'a> {
    from: HostId,
    host: HostId,
    ip: ipv4::Repr,
    repr: TcpRepr<'a>,
    packet: &'a [u8],
}

impl Received<'_> {
    /// The receiving end of the 4-tuple.
    fn local(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.ip.dst_addr, self.repr.dst_port)
    }

    /// The sending end of the 4-tuple.
    fn remote(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.ip.src_addr, self.repr.src_port)
    }
}

impl Network {
    /// A packet at the end of link direction `direction`.
    pub(super) fn arrive(
        &mut self,
        now: Instant,
        direction: usize,
        packet: Vec<u8>,
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) {
        tap.arrived(now, &packet);
        let (from, host) = (
            self.fabric.directions[direction].from,
            self.fabric.directions[direction].to,
        );
        if let Err(title) = self.parse_and_demultiplex(now, from, host, &packet, tracer, tap) {
            self.drop_event(now, host, title, &packet, tracer);
        }
        self.fabric.packet_pool.push(packet);
    }

    /// Parses `packet`, which reached `host` from `from`, and hands it on;
    /// or returns the log title saying why it is dropped.
    fn parse_and_demultiplex(
        &mut self,
        now: Instant,
        from: HostId,
        host: HostId,
        packet: &[u8],
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) -> Result<(), &'static str> {
        let ip = ipv4::Packet::new_checked(packet)
            .and_then(|p| ipv4::Repr::parse(&p))
            .map_err(|e| {
                let bad_checksum = "Bad IPv4 header checksum: packet dropped";
                drop_title(e, bad_checksum, "Malformed IPv4 packet dropped")
            })?;
        if ip.dst_addr != self.fabric.host(host).addr || ip.protocol != ipv4::Protocol::TCP {
            return Err("Packet not for this host: dropped");
        }
        let malformed = "Malformed TCP segment dropped";
        let segment = &packet[ipv4::HEADER_LEN..ipv4::HEADER_LEN + ip.payload_len];
        let checked = tcp::Packet::new_checked(segment).map_err(|_| malformed)?;
        let repr = TcpRepr::parse(&checked, ip.src_addr, ip.dst_addr)
            .map_err(|e| drop_title(e, "Bad TCP checksum: segment dropped", malformed))?;
        let received = Received {
            from,
            host,
            ip,
            repr,
            packet,
        };
        self.demultiplex(now, &received, tracer, tap);
        Ok(())
    }

    fn demultiplex(
        &mut self,
        now: Instant,
        received: &Received<'_>,
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) {
        let (host, local, remote) = (received.host, received.local(), received.remote());
        if let Some(index) = self.socket_at(host, local, remote) {
            return self.deliver(now, index, received, tracer, tap);
        }
        // The connection number of the peer's socket, if it has one.
        let conn = self.conn_of_peer(received.from, local, remote);
        let listener = self.fabric.host(host).listeners.get(&local.port());
        let (Some(&config), true) = (listener, is_connection_request(&received.repr)) else {
            return self.refuse(now, received, conn, tracer, tap);
        };
        let packet = received.packet;
        let Ok((peer_host, route)) = self.route(host, *remote.ip()) else {
            let title = "No route back to the sender: SYN dropped";
            return self.drop_event(now, host, title, packet, tracer);
        };
        let attachment = Attachment {
            host,
            peer_host,
            conn,
            route,
        };
        match self.open_socket(attachment, (local, remote), config, false) {
            Ok((_, index)) => self.deliver(now, index, received, tracer, tap),
            Err(_) => {
                let title = "Too many sockets: SYN dropped";
                self.drop_event(now, host, title, packet, tracer);
            }
        }
    }

    /// Hands the segment to the socket in slot `index`.
    fn deliver(
        &mut self,
        now: Instant,
        index: usize,
        received: &Received<'_>,
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) {
        let repr = &received.repr;
        let slot = &self.slots[index];
        let seq_base = if repr.flags.contains(Flags::SYN) {
            repr.seq_number
        } else {
            slot.socket.irs()
        };
        let bases = (seq_base, slot.socket.iss());
        self.record_received(now, received, slot.attachment.conn, bases, tracer);
        self.slots[index].socket.handle_segment(now, repr);
        self.pull_outputs(index, now, tracer, tap);
    }

    /// RFC 9293 §3.10.7.1: no connection; anything but a RST draws a RST,
    /// logged on the peer's connection `conn` (0: none).
    fn refuse(
        &mut self,
        now: Instant,
        received: &Received<'_>,
        conn: u32,
        tracer: &mut dyn Tracer,
        tap: &mut dyn PacketTap,
    ) {
        let host = received.host;
        let (ip, repr) = (&received.ip, &received.repr);
        let (from, to) = (
            SocketAddrV4::new(ip.src_addr, repr.src_port),
            SocketAddrV4::new(ip.dst_addr, repr.dst_port),
        );
        let (sender_base, receiver_base) = self.fabric.analyzer.bases(from, to);
        self.record_received(now, received, conn, (sender_base, receiver_base), tracer);
        if received.repr.flags.contains(Flags::RST) {
            return;
        }
        let Ok((peer_host, route)) = self.route(host, received.ip.src_addr) else {
            return;
        };
        let attachment = Attachment {
            host,
            peer_host,
            conn,
            route,
        };
        let reply = reset_reply(&received.repr);
        let fabric = &mut self.fabric;
        fabric.transmit(
            now,
            &attachment,
            (receiver_base, sender_base),
            &reply,
            Note::Normal,
            tracer,
            tap,
        );
    }

    /// Logs the arrival on connection `conn` (0: none), with sequence
    /// numbers relative to `bases`.
    fn record_received(
        &self,
        now: Instant,
        received: &Received<'_>,
        conn: u32,
        bases: (SeqNumber, SeqNumber),
        tracer: &mut dyn Tracer,
    ) {
        if tracer.enabled() {
            tracer.record(segment_event(
                now,
                Kind::Recv,
                &self.fabric.host(received.host).name,
                &self.fabric.host(received.from).name,
                Some(conn).filter(|&c| c != 0),
                &received.repr,
                bases,
                Note::Normal,
                None,
                received.packet,
            ));
        }
    }

    fn drop_event(
        &self,
        now: Instant,
        host: HostId,
        title: &'static str,
        packet: &[u8],
        tracer: &mut dyn Tracer,
    ) {
        if tracer.enabled() {
            let actor = self.fabric.host(host).name.clone();
            let event = Event::new(now, actor, Kind::Drop, Layer::Tcp, title);
            tracer.record(event.bytes(packet));
        }
    }
}
