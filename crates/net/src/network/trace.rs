//! How TCP appears in the log: a segment with its title in Wireshark's
//! words, a short explanation for learners and its fields with their byte
//! spans; a socket's state changes and timers.

use tlsim_sim::{Event, Instant, Kind, Layer};

use super::analysis::{Analysis, Label};
use super::explain::{self, SegmentKind};
use crate::tcp::{Event as TcpEvent, Note, Socket, State};
use crate::wire::tcp::{Flags, Repr as TcpRepr, SeqNumber};
use crate::wire::{ipv4, tcp};

/// The title Wireshark's Info column would give: the analysis label that
/// says most about the segment, else what its flags and length make it.
fn title_of(kind: SegmentKind, flags: Flags, analysis: Option<&Analysis>) -> &'static str {
    const TITLE_ORDER: [Label; 12] = [
        Label::FastRetransmission,
        Label::SpuriousRetransmission,
        Label::Retransmission,
        Label::OutOfOrder,
        Label::ZeroWindowProbe,
        Label::ZeroWindowProbeAck,
        Label::KeepAlive,
        Label::KeepAliveAck,
        Label::DuplicateAck,
        Label::WindowUpdate,
        Label::ZeroWindow,
        Label::WindowFull,
    ];
    if let Some(label) = analysis.and_then(|a| TITLE_ORDER.into_iter().find(|&l| a.has(l))) {
        return label.title();
    }
    match kind {
        SegmentKind::Rst if flags.contains(Flags::ACK) => "TCP RST, ACK",
        SegmentKind::Rst => "TCP RST",
        SegmentKind::SynAck => "TCP SYN, ACK",
        SegmentKind::Syn => "TCP SYN",
        SegmentKind::Fin if flags.contains(Flags::ACK) => "TCP FIN, ACK",
        SegmentKind::Fin => "TCP FIN",
        SegmentKind::Data => "TCP Segment",
        SegmentKind::PureAck => "TCP ACK",
    }
}

fn set(flag: bool) -> &'static str {
    if flag { "Set" } else { "Not set" }
}

/// RFC 3168 §5: the two ECN bits of the traffic class byte.
fn ecn_name(ecn: u8) -> &'static str {
    match ecn {
        0 => "Not ECN-Capable Transport (0)",
        1 => "ECN-Capable Transport codepoint '01' (1)",
        2 => "ECN-Capable Transport codepoint '10' (2)",
        _ => "Congestion Experienced (3)",
    }
}

/// The IPv4 header as Wireshark shows it (RFC 791 §3.1; DSCP RFC 2474 §3,
/// ECN RFC 3168 §5), with each field's span.
fn ipv4_fields(event: &mut Event, packet: &ipv4::Packet<&[u8]>, bytes: &[u8]) {
    let header = packet.header_len() as u32;
    let mut push = |name: &'static str, value: String, depth: u8, span: [u32; 2]| {
        event.push_field(name, value, depth, Some(span));
    };
    let (src, dst) = (packet.src_addr(), packet.dst_addr());
    push(
        "Internet Protocol Version 4",
        format!("Src: {src}, Dst: {dst}"),
        0,
        [0, header],
    );
    push("Version", packet.version().to_string(), 1, [0, 1]);
    push(
        "Header Length",
        format!("{header} bytes ({})", header / 4),
        1,
        [0, 1],
    );
    let (dscp, ecn) = (bytes[1] >> 2, bytes[1] & 3);
    let ecn_short = ["Not-ECT", "ECT(1)", "ECT(0)", "CE"][usize::from(ecn)];
    let dscp_name = if dscp == 0 {
        "Default (0)".to_owned()
    } else {
        dscp.to_string()
    };
    push(
        "Differentiated Services Field",
        format!(
            "{:#04x} (DSCP: {}, ECN: {ecn_short})",
            bytes[1],
            if dscp == 0 {
                "CS0".to_owned()
            } else {
                dscp.to_string()
            }
        ),
        1,
        [1, 2],
    );
    push("Differentiated Services Codepoint", dscp_name, 2, [1, 2]);
    push(
        "Explicit Congestion Notification",
        ecn_name(ecn).to_owned(),
        2,
        [1, 2],
    );
    push("Total Length", packet.total_len().to_string(), 1, [2, 4]);
    let ident = packet.ident();
    push(
        "Identification",
        format!("{ident:#06x} ({ident})"),
        1,
        [4, 6],
    );
    let flag_bits = bytes[6] >> 5;
    let flag_names = match (packet.dont_frag(), packet.more_frags()) {
        (true, true) => ", Don't fragment, More fragments",
        (true, false) => ", Don't fragment",
        (false, true) => ", More fragments",
        (false, false) => "",
    };
    push("IP Flags", format!("{flag_bits:#x}{flag_names}"), 1, [6, 7]);
    push(
        "Reserved bit",
        set(flag_bits & 4 != 0).to_owned(),
        2,
        [6, 7],
    );
    push(
        "Don't fragment",
        set(packet.dont_frag()).to_owned(),
        2,
        [6, 7],
    );
    push(
        "More fragments",
        set(packet.more_frags()).to_owned(),
        2,
        [6, 7],
    );
    push(
        "Fragment Offset",
        packet.frag_offset().to_string(),
        1,
        [6, 8],
    );
    push("Time to Live", packet.ttl().to_string(), 1, [8, 9]);
    let protocol = packet.protocol();
    let protocol = if protocol == ipv4::Protocol::TCP {
        "TCP (6)".to_owned()
    } else {
        protocol.0.to_string()
    };
    push("Protocol", protocol, 1, [9, 10]);
    push(
        "Header Checksum",
        format!("{:#06x}", packet.checksum()),
        1,
        [10, 12],
    );
    let status = if packet.verify_checksum() {
        "Good"
    } else {
        "Bad"
    };
    push("Header checksum status", status.to_owned(), 1, [10, 12]);
    push("Source Address", src.to_string(), 1, [12, 16]);
    push("Destination Address", dst.to_string(), 1, [16, 20]);
}

/// The flags subtree, in Wireshark's order (RFC 9293 §3.1, RFC 3168 §6.1).
const FLAG_BITS: [(&str, u16); 10] = [
    ("Reserved", 0xe00),
    ("Accurate ECN", 0x100),
    ("Congestion Window Reduced", 0x080),
    ("ECN-Echo", 0x040),
    ("Urgent", 0x020),
    ("Acknowledgment", 0x010),
    ("Push", 0x008),
    ("Reset", 0x004),
    ("Syn", 0x002),
    ("Fin", 0x001),
];

/// The options subtree: one child per option with its value fields (MSS
/// RFC 9293 §3.2, window scale RFC 7323 §2, SACK permitted RFC 2018 §2,
/// timestamps RFC 7323 §3), spans relative to the packet.
fn option_fields(event: &mut Event, options: &[u8], at: usize) {
    if options.is_empty() {
        return;
    }
    let parent = event.fields.len();
    let end = (at + options.len()) as u32;
    event.push_field("Options", "", 1, Some([at as u32, end]));
    let mut names = Vec::new();
    let mut rest = options;
    let mut offset = at;
    while let Ok((after, option)) = tcp::TcpOption::parse(rest) {
        let used = if after.is_empty() {
            rest.len()
        } else {
            rest.len() - after.len()
        };
        let here = |from: usize, to: usize| Some([(offset + from) as u32, (offset + to) as u32]);
        let whole = here(0, used);
        let (name, value) = match option {
            tcp::TcpOption::EndOfList => ("End of Option List (EOL)", String::new()),
            tcp::TcpOption::NoOperation => ("No-Operation (NOP)", String::new()),
            tcp::TcpOption::MaxSegmentSize(mss) => ("Maximum segment size", format!("{mss} bytes")),
            tcp::TcpOption::WindowScale(shift) => (
                "Window scale",
                format!("{shift} (multiply by {})", 1u32 << shift.min(14)),
            ),
            tcp::TcpOption::SackPermitted => ("SACK permitted", String::new()),
            tcp::TcpOption::Timestamps { tsval, tsecr } => {
                ("Timestamps", format!("TSval {tsval}, TSecr {tsecr}"))
            }
            tcp::TcpOption::Unknown { kind, .. } => ("Unknown", format!("kind {kind}")),
        };
        names.push(name);
        event.push_field(format!("TCP Option - {name}"), value, 2, whole);
        match option {
            tcp::TcpOption::MaxSegmentSize(mss) => event.push_field("MSS", mss, 3, here(2, 4)),
            tcp::TcpOption::WindowScale(shift) => {
                event.push_field("Shift count", shift, 3, here(2, 3))
            }
            tcp::TcpOption::Timestamps { tsval, tsecr } => {
                event.push_field("TSval", tsval, 3, here(2, 6));
                event.push_field("TSecr", tsecr, 3, here(6, 10));
            }
            _ => {}
        }
        offset += used;
        rest = after;
        if rest.is_empty() {
            break;
        }
    }
    event.fields[parent].value = format!("({} bytes), {}", options.len(), names.join(", "));
}

/// The analysis subtree: one child per label, named as Wireshark's expert
/// information says it.
fn analysis_fields(event: &mut Event, analysis: &Analysis) {
    if analysis.labels().next().is_none() {
        return;
    }
    event.push_field("SEQ/ACK analysis", "", 1, None);
    for label in analysis.labels() {
        let value = match label {
            Label::DuplicateAck => format!("Duplicate ACK (#{})", analysis.dup_ack),
            other => other.title().trim_start_matches("TCP ").to_owned(),
        };
        event.push_field(label.title(), value, 2, None);
    }
}

/// Builds the event for a TCP segment in the IPv4 packet `bytes`, with
/// sequence numbers relative to `bases` and, for a captured send, what the
/// capture's analysis says of it.
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
    analysis: Option<&Analysis>,
    bytes: &[u8],
) -> Event {
    let flags = match repr.ack_number {
        Some(_) => repr.flags.with(Flags::ACK),
        None => repr.flags,
    };
    let segment_kind = SegmentKind::of(flags, repr.payload.len());
    let title = title_of(segment_kind, flags, analysis);
    let mut event = Event::new(now, actor, kind, Layer::Tcp, title).peer(peer);
    let Ok(ip) = ipv4::Packet::new_checked(bytes) else {
        return event.bytes(bytes);
    };
    ipv4_fields(&mut event, &ip, bytes);
    // RFC 9293 §3.1: the TCP header follows the IP header; spans are
    // relative to the packet, so a reader finds each field in the hex dump.
    let at = ip.header_len();
    let Ok(segment) = tcp::Packet::new_checked(&bytes[at..]) else {
        return event.bytes(bytes);
    };
    let tcp = at as u32;
    let header_len = segment.header_len();
    let end = bytes.len() as u32;
    let seq = repr.seq_number.distance_from(seq_base);
    let ack = repr.ack_number.map_or(0, |a| a.distance_from(ack_base));
    let len = repr.payload.len();
    let span = |from: u32, to: u32| Some([tcp + from, tcp + to]);
    event.push_field(
        "Transmission Control Protocol",
        format!(
            "Src Port: {}, Dst Port: {}, Seq: {seq}, Ack: {ack}, Len: {len}",
            repr.src_port, repr.dst_port
        ),
        0,
        span(0, header_len as u32),
    );
    event.push_field("Src Port", repr.src_port, 1, span(0, 2));
    event.push_field("Dst Port", repr.dst_port, 1, span(2, 4));
    if let Some(analysis) = analysis {
        event.push_field("Stream index", analysis.stream, 1, None);
    }
    // The segment's length is what the IPv4 Total Length leaves after both
    // headers (RFC 9293 §3.1), so that is where it points.
    event.push_field("Len", len, 1, Some([2, 4]));
    event.push_field("Seq", seq, 1, span(4, 8));
    event.push_field("Seq (raw)", repr.seq_number.0, 1, span(4, 8));
    event.push_field("Ack", ack, 1, span(8, 12));
    event.push_field("Ack (raw)", segment.ack_number().0, 1, span(8, 12));
    event.push_field(
        "Header Length",
        format!("{header_len} bytes ({})", header_len / 4),
        1,
        span(12, 13),
    );
    let raw_flags = u16::from_be_bytes([bytes[at + 12], bytes[at + 13]]) & 0x0fff;
    event.push_field("Flags", Flags(raw_flags), 1, span(12, 14));
    for (name, bit) in FLAG_BITS {
        event.push_field(name, set(raw_flags & bit != 0), 2, span(12, 14));
    }
    event.push_field("Win", segment.window_len(), 1, span(14, 16));
    event.push_field(
        "Checksum",
        format!("{:#06x}", segment.checksum()),
        1,
        span(16, 18),
    );
    let good = segment.verify_checksum(ip.src_addr(), ip.dst_addr());
    event.push_field(
        "Checksum Status",
        if good { "Good" } else { "Bad" },
        1,
        span(16, 18),
    );
    event.push_field("Urgent Pointer", segment.urgent_at(), 1, span(18, 20));
    option_fields(&mut event, segment.options(), at + tcp::HEADER_LEN);
    if let Some(analysis) = analysis {
        analysis_fields(&mut event, analysis);
    }
    if len > 0 {
        event.push_field(
            "TCP payload",
            format!("({len} bytes)"),
            0,
            Some([end - len as u32, end]),
        );
    }
    if let Some(conn) = conn {
        event = event.conn(conn);
    }
    let sending = kind == Kind::Send;
    let mut text = explain::segment(segment_kind, sending).to_owned();
    let extra = (sending.then(|| explain::note(note)).flatten().into_iter()).chain(
        analysis
            .into_iter()
            .flat_map(|a| a.labels().map(explain::label)),
    );
    for piece in extra {
        text.push(' ');
        text.push_str(piece);
    }
    let text = event.fill(&text, 0);
    event.explain(text).bytes(bytes)
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
    let (event, text) = match event {
        TcpEvent::StateChanged { from, to } => {
            let title = format!("TCP state {from} -> {to}");
            let mut event = Event::new(now, actor, Kind::State, Layer::Tcp, title);
            if to == State::SynSent {
                event = event
                    .field("Src Port", socket.local().port())
                    .field("Dst Port", socket.remote().port());
            }
            (event, explain::state(to))
        }
        TcpEvent::RetransmissionTimeout { rto, backoff } => (
            timer("TCP RTO fired")
                .field("RTO", rto)
                .field("Back-off", backoff),
            explain::RTO,
        ),
        TcpEvent::OverrideTimeout => (timer("TCP override timer fired"), explain::OVERRIDE),
        TcpEvent::PersistTimeout => (timer("TCP persist timer fired"), explain::PERSIST),
        TcpEvent::DelayedAckTimeout => (timer("TCP delayed ACK fired"), explain::DELAYED_ACK),
        TcpEvent::TimeWaitOver => (timer("TCP TIME-WAIT expired"), explain::TIME_WAIT_OVER),
        _ => return None,
    };
    let text = event.fill(text, 0);
    Some(event.explain(text).conn(conn))
}
