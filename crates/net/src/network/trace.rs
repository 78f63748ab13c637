//! How TCP appears in the log: a segment with its title in Wireshark's
//! words, a short explanation for learners and its fields with their byte
//! spans; a socket's state changes and timers.

use tlsim_sim::{Event, Instant, Kind, Layer};

use crate::tcp::{Event as TcpEvent, Note, Socket, State};
use crate::wire::tcp::{Flags, Repr as TcpRepr, SeqNumber};
use crate::wire::{ipv4, tcp};

fn title_of(flags: Flags, has_payload: bool, note: Note) -> &'static str {
    match note {
        Note::Retransmission => return "TCP Retransmission",
        Note::DupAck => return "TCP Dup ACK",
        Note::WindowProbe => return "TCP ZeroWindowProbe",
        Note::Normal => {}
    }
    if flags.contains(Flags::RST) {
        "TCP RST"
    } else if flags.contains(Flags::SYN) {
        if flags.contains(Flags::ACK) {
            "TCP SYN, ACK"
        } else {
            "TCP SYN"
        }
    } else if flags.contains(Flags::FIN) {
        "TCP FIN, ACK"
    } else if has_payload {
        "TCP Segment"
    } else {
        "TCP ACK"
    }
}

fn explain_of(flags: Flags, sending: bool) -> Option<&'static str> {
    let text = if flags.contains(Flags::RST) {
        if sending {
            "Reset: this end refuses or abandons the connection; the other end must drop it at once."
        } else {
            "Reset received: the connection is gone, with no goodbye."
        }
    } else if flags.contains(Flags::SYN) && flags.contains(Flags::ACK) {
        "Second step of the handshake: accepts the connection, acknowledges the client's SYN, and picks the server's own initial sequence number and MSS."
    } else if flags.contains(Flags::SYN) {
        "First step of the handshake: asks to open a connection, with a random initial sequence number and the largest segment this end can take (MSS)."
    } else if flags.contains(Flags::FIN) {
        "This end has no more data to send; the other end acknowledges and may still send until it closes too."
    } else {
        return None;
    };
    Some(text)
}

/// Builds the event for a TCP segment, with relative sequence numbers.
#[allow(clippy::too_many_arguments)]
pub(super) fn segment_event(
    now: Instant,
    kind: Kind,
    actor: &str,
    peer: &str,
    conn: Option<u32>,
    repr: &TcpRepr<'_>,
    (seq_base, ack_base): (SeqNumber, SeqNumber),
    note: Note,
    bytes: &[u8],
) -> Event {
    let flags = match repr.ack_number {
        Some(_) => repr.flags.with(Flags::ACK),
        None => repr.flags,
    };
    let title = title_of(flags, !repr.payload.is_empty(), note);
    let mut event = Event::new(now, actor, kind, Layer::Tcp, title).peer(peer);
    // Where each field sits in `bytes` (a 20-byte IPv4 header, then TCP;
    // RFC 9293 §3.1), so a reader can find it in the hex dump.
    let tcp = ipv4::HEADER_LEN as u32;
    let end = bytes.len() as u32;
    let payload_start = end - repr.payload.len() as u32;
    let fields: [(&'static str, String, [u32; 2]); 7] = [
        ("Src Port", repr.src_port.to_string(), [tcp, tcp + 2]),
        ("Dst Port", repr.dst_port.to_string(), [tcp + 2, tcp + 4]),
        (
            "Seq",
            repr.seq_number.distance_from(seq_base).to_string(),
            [tcp + 4, tcp + 8],
        ),
        (
            "Ack",
            repr.ack_number
                .map_or(0, |a| a.distance_from(ack_base))
                .to_string(),
            [tcp + 8, tcp + 12],
        ),
        ("Len", repr.payload.len().to_string(), [payload_start, end]),
        ("Flags", flags.to_string(), [tcp + 12, tcp + 14]),
        ("Win", repr.window_len.to_string(), [tcp + 14, tcp + 16]),
    ];
    for (name, value, span) in fields {
        event.push_field(name, value, 0, Some(span));
    }
    // Options, in the order the sender wrote them (RFC 9293 §3.1), with
    // spans on their values: MSS (kind 2), timestamps (kind 8, RFC 7323 §3).
    let mut at = tcp as usize + tcp::HEADER_LEN;
    let mut options = &bytes[at..payload_start as usize];
    while let Ok((rest, option)) = tcp::TcpOption::parse(options) {
        let span = |from: usize, to: usize| Some([(at + from) as u32, (at + to) as u32]);
        match option {
            tcp::TcpOption::MaxSegmentSize(mss) => event.push_field("MSS", mss, 0, span(2, 4)),
            tcp::TcpOption::Timestamps { tsval, tsecr } => {
                event.push_field("TSval", tsval, 0, span(2, 6));
                event.push_field("TSecr", tsecr, 0, span(6, 10));
            }
            _ => {}
        }
        at += options.len() - rest.len();
        options = rest;
    }
    if let Some(conn) = conn {
        event = event.conn(conn);
    }
    if let Some(text) = explain_of(flags, kind == Kind::Send) {
        event = event.explain(text);
    }
    event.bytes(bytes)
}

/// Builds the event for a state change or timer that `socket`, on host
/// `actor` and connection `conn`, reported; `None` for what only the
/// application hears of.
pub(super) fn socket_event(
    now: Instant,
    actor: &str,
    conn: u32,
    socket: &Socket,
    event: TcpEvent,
) -> Option<Event> {
    let timer = |title: &'static str| Event::new(now, actor, Kind::Timer, Layer::Tcp, title);
    let event = match event {
        TcpEvent::StateChanged { from, to } => {
            let title = format!("TCP state {from} -> {to}");
            let event = Event::new(now, actor, Kind::State, Layer::Tcp, title);
            if to == State::SynSent {
                event
                    .field("Src Port", socket.local().port())
                    .field("Dst Port", socket.remote().port())
            } else {
                event
            }
        }
        TcpEvent::RetransmissionTimeout { rto, backoff } => timer("TCP RTO fired")
            .field("RTO", rto)
            .field("Back-off", backoff),
        TcpEvent::OverrideTimeout => timer("TCP override timer fired"),
        TcpEvent::PersistTimeout => timer("TCP persist timer fired"),
        TcpEvent::DelayedAckTimeout => timer("TCP delayed ACK fired"),
        TcpEvent::TimeWaitOver => timer("TCP TIME-WAIT expired"),
        _ => return None,
    };
    Some(event.conn(conn))
}
