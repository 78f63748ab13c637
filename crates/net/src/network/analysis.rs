//! What a capture at the sender says about each segment, in the labels of
//! Wireshark's TCP sequence analysis (`tcp.analysis`): retransmission,
//! fast retransmission, duplicate ACK n#, window update, window full, zero
//! window, keep-alive, and the rest.
//!
//! The rules are Wireshark's, applied to the packets in the order they enter
//! their links (the order of the pcap), with sequence numbers relative to
//! each direction's first one and times in whole microseconds, as the pcap
//! stores them. They describe what an observer can infer from the wire;
//! why the stack really sent a segment is the explanation's business.

use std::collections::BTreeMap;
use std::net::SocketAddrV4;

use tlsim_sim::Instant;

use crate::wire::tcp::{Flags, SeqNumber};

/// One label of the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// Data sent again, seq below what this direction already sent.
    Retransmission,
    /// A retransmission right after two or more duplicate ACKs asked for it.
    FastRetransmission,
    /// A retransmission of data the receiver had already acknowledged.
    SpuriousRetransmission,
    /// Data below the highest sequence sent, soon after it: reordering.
    OutOfOrder,
    /// A gap before this segment: something earlier was not captured.
    PreviousSegmentNotCaptured,
    /// An acknowledgment of data the capture never saw.
    AckedUnseenSegment,
    /// The same acknowledgment and window again, with no data.
    DuplicateAck,
    /// The same acknowledgment with a new window, and no data.
    WindowUpdate,
    /// Data that fills the peer's advertised window to its edge.
    WindowFull,
    /// The sender advertises a window of zero.
    ZeroWindow,
    /// One byte past a zero window, to learn when it opens.
    ZeroWindowProbe,
    /// The acknowledgment of a zero-window probe.
    ZeroWindowProbeAck,
    /// Zero or one byte one below the next sequence number.
    KeepAlive,
    /// The acknowledgment of a keep-alive.
    KeepAliveAck,
}

impl Label {
    /// Every label, in the order Wireshark lists them.
    pub const ALL: [Label; 14] = [
        Label::Retransmission,
        Label::FastRetransmission,
        Label::SpuriousRetransmission,
        Label::OutOfOrder,
        Label::PreviousSegmentNotCaptured,
        Label::AckedUnseenSegment,
        Label::DuplicateAck,
        Label::WindowUpdate,
        Label::WindowFull,
        Label::ZeroWindow,
        Label::ZeroWindowProbe,
        Label::ZeroWindowProbeAck,
        Label::KeepAlive,
        Label::KeepAliveAck,
    ];

    const fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The label as Wireshark's Info column brackets it ("TCP Dup ACK").
    pub fn title(self) -> &'static str {
        match self {
            Label::Retransmission => "TCP Retransmission",
            Label::FastRetransmission => "TCP Fast Retransmission",
            Label::SpuriousRetransmission => "TCP Spurious Retransmission",
            Label::OutOfOrder => "TCP Out-Of-Order",
            Label::PreviousSegmentNotCaptured => "TCP Previous segment not captured",
            Label::AckedUnseenSegment => "TCP ACKed unseen segment",
            Label::DuplicateAck => "TCP Dup ACK",
            Label::WindowUpdate => "TCP Window Update",
            Label::WindowFull => "TCP Window Full",
            Label::ZeroWindow => "TCP ZeroWindow",
            Label::ZeroWindowProbe => "TCP ZeroWindowProbe",
            Label::ZeroWindowProbeAck => "TCP ZeroWindowProbeAck",
            Label::KeepAlive => "TCP Keep-Alive",
            Label::KeepAliveAck => "TCP Keep-Alive ACK",
        }
    }

    /// The display filter field tshark sets for it (`tcp.analysis.<name>`).
    pub fn tshark_field(self) -> &'static str {
        match self {
            Label::Retransmission => "tcp.analysis.retransmission",
            Label::FastRetransmission => "tcp.analysis.fast_retransmission",
            Label::SpuriousRetransmission => "tcp.analysis.spurious_retransmission",
            Label::OutOfOrder => "tcp.analysis.out_of_order",
            Label::PreviousSegmentNotCaptured => "tcp.analysis.lost_segment",
            Label::AckedUnseenSegment => "tcp.analysis.ack_lost_segment",
            Label::DuplicateAck => "tcp.analysis.duplicate_ack",
            Label::WindowUpdate => "tcp.analysis.window_update",
            Label::WindowFull => "tcp.analysis.window_full",
            Label::ZeroWindow => "tcp.analysis.zero_window",
            Label::ZeroWindowProbe => "tcp.analysis.zero_window_probe",
            Label::ZeroWindowProbeAck => "tcp.analysis.zero_window_probe_ack",
            Label::KeepAlive => "tcp.analysis.keep_alive",
            Label::KeepAliveAck => "tcp.analysis.keep_alive_ack",
        }
    }
}

/// The analysis of one segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The conversation's number, from 0 in order of first appearance
    /// (Wireshark's `tcp.stream`).
    pub stream: u32,
    labels: u16,
    /// For a duplicate ACK, how many in a row (the n of "Dup ACK n#").
    pub dup_ack: u32,
}

impl Analysis {
    /// Whether `label` applies.
    pub fn has(&self, label: Label) -> bool {
        self.labels & label.bit() != 0
    }

    /// The labels that apply, in [`Label::ALL`] order.
    pub fn labels(&self) -> impl Iterator<Item = Label> + '_ {
        Label::ALL.into_iter().filter(|&l| self.has(l))
    }

    fn set(&mut self, label: Label) {
        self.labels |= label.bit();
    }
}

/// What one segment says, in the analyzer's terms.
#[derive(Clone, Copy, Debug)]
pub(super) struct Observed {
    /// Source and destination.
    pub(super) src: SocketAddrV4,
    /// Destination.
    pub(super) dst: SocketAddrV4,
    /// Raw sequence number.
    pub(super) seq: u32,
    /// Raw acknowledgment number (ignored without ACK).
    pub(super) ack: u32,
    /// Flags as sent.
    pub(super) flags: Flags,
    /// Payload length.
    pub(super) len: u32,
    /// Window field.
    pub(super) window: u16,
    /// Whether the options hold a window scale (RFC 7323 §2.2).
    pub(super) window_scale: Option<u8>,
}

/// Window scaling as Wireshark tracks it: unknown until a SYN shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    Unknown,
    None,
    Shift(u8),
}

#[derive(Clone, Copy, Debug)]
struct Direction {
    /// Raw sequence number that relative 0 stands for, once known.
    base: Option<u32>,
    /// Relative sequence number after the highest segment (0: none yet).
    next_seq: u32,
    next_seq_time: u64,
    max_seq_to_be_acked: u32,
    last_ack: u32,
    last_ack_time: u64,
    window: u32,
    scale: Scale,
    dup_acks: i64,
    last_labels: Analysis,
}

impl Direction {
    const NEW: Direction = Direction {
        base: None,
        next_seq: 0,
        next_seq_time: 0,
        max_seq_to_be_acked: 0,
        last_ack: 0,
        last_ack_time: 0,
        window: 0,
        scale: Scale::Unknown,
        dup_acks: 0,
        last_labels: Analysis {
            stream: 0,
            labels: 0,
            dup_ack: 0,
        },
    };
}

#[derive(Clone, Debug)]
struct Conversation {
    stream: u32,
    /// Indexed by whether the segment goes from the lower to the higher address.
    directions: [Direction; 2],
    /// When the latest SYN was captured, and the first round trip (SYN to
    /// the handshake's ACK) once seen, in microseconds.
    last_syn: u64,
    first_rtt: u64,
}

/// Labels segments as they are captured.
#[derive(Clone, Debug, Default)]
pub(super) struct Analyzer {
    conversations: BTreeMap<(SocketAddrV4, SocketAddrV4), Conversation>,
    next_stream: u32,
}

/// `a < b` in sequence space (RFC 9293 §3.4).
fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// Wireshark's fast retransmission window: within 20 ms of the duplicate ACK.
const FAST_RETRANSMISSION_US: u64 = 20_000;
/// Wireshark's out-of-order threshold before the first round trip is known.
const OUT_OF_ORDER_DEFAULT_US: u64 = 3_000;

impl Analyzer {
    /// The raw sequence numbers that relative 0 stands for from `src` to
    /// `dst` and back, as captured so far (0 where unknown): a segment
    /// that no socket takes any more is still numbered like the rest of
    /// its conversation, as Wireshark numbers it.
    pub(super) fn bases(&self, src: SocketAddrV4, dst: SocketAddrV4) -> (SeqNumber, SeqNumber) {
        let forward = src < dst;
        let key = if forward { (src, dst) } else { (dst, src) };
        let conversation = self.conversations.get(&key);
        let base = |direction: bool| {
            let raw = conversation.and_then(|c| c.directions[usize::from(direction)].base);
            SeqNumber(raw.unwrap_or(0))
        };
        (base(forward), base(!forward))
    }

    /// Labels `segment`, captured at `now`, and remembers it.
    pub(super) fn observe(&mut self, now: Instant, segment: &Observed) -> Analysis {
        let t = now.as_micros();
        let forward = segment.src < segment.dst;
        let key = if forward {
            (segment.src, segment.dst)
        } else {
            (segment.dst, segment.src)
        };
        let flags = segment.flags;
        let syn = flags.contains(Flags::SYN);
        let has_ack = flags.contains(Flags::ACK);
        let fresh_syn = syn && !has_ack;
        // A new SYN on a 4-tuple whose connection is over starts a new stream.
        let reused = self.conversations.get(&key).is_some_and(|c| {
            fresh_syn
                && c.directions[usize::from(forward)]
                    .base
                    .is_some_and(|b| b != segment.seq)
        });
        if reused {
            self.conversations.remove(&key);
        }
        let next_stream = &mut self.next_stream;
        let conv = self.conversations.entry(key).or_insert_with(|| {
            let stream = *next_stream;
            *next_stream += 1;
            Conversation {
                stream,
                directions: [Direction::NEW; 2],
                last_syn: 0,
                first_rtt: 0,
            }
        });
        let mut out = Analysis {
            stream: conv.stream,
            ..Analysis::default()
        };
        let (fi, ri) = (usize::from(forward), usize::from(!forward));
        if syn {
            // Without a window scale option on the SYN, neither side scales.
            let shift = segment.window_scale;
            match shift {
                Some(s) => conv.directions[fi].scale = Scale::Shift(s.min(14)),
                None if conv.directions[fi].scale == Scale::Unknown => {
                    conv.directions[fi].scale = Scale::None;
                    conv.directions[ri].scale = Scale::None;
                }
                None => {}
            }
            if !has_ack {
                conv.last_syn = t;
            }
        } else if has_ack && conv.first_rtt == 0 && conv.last_syn != 0 {
            conv.first_rtt = t - conv.last_syn;
        }
        let [mut fwd, mut rev] = [conv.directions[fi], conv.directions[ri]];
        if fwd.base.is_none() {
            fwd.base = Some(if syn {
                segment.seq
            } else {
                segment.seq.wrapping_sub(1)
            });
        }
        if rev.base.is_none() && has_ack {
            rev.base = Some(segment.ack.wrapping_sub(1));
        }
        let seq = segment.seq.wrapping_sub(fwd.base.unwrap_or(0));
        let ack = if has_ack {
            segment.ack.wrapping_sub(rev.base.unwrap_or(0))
        } else {
            0
        };
        let len = segment.len;
        let window = match (syn, fwd.scale) {
            (false, Scale::Shift(s)) => u32::from(segment.window) << s,
            _ => u32::from(segment.window),
        };
        let control = syn || flags.contains(Flags::FIN) || flags.contains(Flags::RST);
        let same_as_last = len == 0 && seq == fwd.next_seq && ack == fwd.last_ack && !control;

        'forward: {
            if len == 1 && seq == fwd.next_seq && rev.window == 0 {
                out.set(Label::ZeroWindowProbe);
                break 'forward;
            }
            if window == 0 && !control {
                out.set(Label::ZeroWindow);
            }
            if fwd.next_seq != 0 && before(fwd.next_seq, seq) && !flags.contains(Flags::RST) {
                out.set(Label::PreviousSegmentNotCaptured);
            }
            if len <= 1 && seq == fwd.next_seq.wrapping_sub(1) && !control {
                out.set(Label::KeepAlive);
            }
            if same_as_last && window != 0 && window != fwd.window {
                out.set(Label::WindowUpdate);
            }
            let rev_shift = match rev.scale {
                Scale::Shift(s) => s,
                _ => 0,
            };
            if len > 0
                && rev.scale != Scale::Unknown
                && seq.wrapping_add(len) == rev.last_ack.wrapping_add(rev.window << rev_shift)
                && !control
            {
                out.set(Label::WindowFull);
            }
            if same_as_last
                && window != 0
                && window == fwd.window
                && rev.last_labels.has(Label::KeepAlive)
            {
                out.set(Label::KeepAliveAck);
                break 'forward;
            }
            if same_as_last
                && window == 0
                && fwd.window == 0
                && rev.last_labels.has(Label::ZeroWindowProbe)
            {
                out.set(Label::ZeroWindowProbeAck);
                break 'forward;
            }
            if same_as_last && window != 0 && window == fwd.window {
                fwd.dup_acks = if fwd.dup_acks == -1 {
                    1
                } else {
                    fwd.dup_acks + 1
                };
                out.set(Label::DuplicateAck);
                out.dup_ack = u32::try_from(fwd.dup_acks).unwrap_or(0);
            }
        }
        if ack != fwd.last_ack {
            fwd.dup_acks = 0;
        }
        if rev.max_seq_to_be_acked != 0 && before(rev.max_seq_to_be_acked, ack) && has_ack {
            if before(rev.next_seq, rev.max_seq_to_be_acked) {
                rev.max_seq_to_be_acked = rev.next_seq;
                out.set(Label::AckedUnseenSegment);
            } else {
                if rev.dup_acks == 0 {
                    out.set(Label::AckedUnseenSegment);
                }
                rev.dup_acks = -1;
            }
        }
        if (len > 0 || syn || flags.contains(Flags::FIN)) && !out.has(Label::KeepAlive) {
            retransmission_kind(&mut out, conv.first_rtt, t, seq, len, flags, &fwd, &rev);
        }
        let mut next_seq = seq.wrapping_add(len);
        if syn || flags.contains(Flags::FIN) {
            next_seq = next_seq.wrapping_add(1);
        }
        let probe = out.has(Label::ZeroWindowProbe);
        if (before(fwd.next_seq, next_seq) || fwd.next_seq == 0) && !probe {
            fwd.next_seq = next_seq;
            fwd.next_seq_time = t;
        }
        if (seq == fwd.max_seq_to_be_acked || fwd.max_seq_to_be_acked == 0) && !probe {
            fwd.max_seq_to_be_acked = fwd.next_seq;
        }
        fwd.window = window;
        fwd.last_ack = ack;
        fwd.last_ack_time = t;
        fwd.last_labels = out;
        conv.directions[fi] = fwd;
        conv.directions[ri] = rev;
        out
    }
}

/// Retransmission, fast retransmission, spurious retransmission or out of
/// order, for a segment that carries sequence space.
#[allow(clippy::too_many_arguments)]
fn retransmission_kind(
    out: &mut Analysis,
    first_rtt: u64,
    t: u64,
    seq: u32,
    len: u32,
    flags: Flags,
    fwd: &Direction,
    rev: &Direction,
) {
    let mut not_advanced = fwd.next_seq != 0 && before(seq, fwd.next_seq);
    // More than a byte from one below the next sequence: new data after a
    // zero-window probe, not a repeat.
    if len > 1 && fwd.next_seq.wrapping_sub(1) == seq {
        not_advanced = false;
    }
    if len > 0 && rev.last_ack != 0 && !before(rev.last_ack, seq.wrapping_add(len)) {
        out.set(Label::SpuriousRetransmission);
        return;
    }
    if not_advanced
        && rev.dup_acks >= 2
        && rev.last_ack == seq
        && t.saturating_sub(rev.last_ack_time) < FAST_RETRANSMISSION_US
    {
        // Wireshark reports a fast retransmission as a retransmission too.
        out.set(Label::FastRetransmission);
        out.set(Label::Retransmission);
        return;
    }
    let threshold = if first_rtt == 0 {
        OUT_OF_ORDER_DEFAULT_US
    } else {
        first_rtt
    };
    let control = u32::from(flags.contains(Flags::SYN) || flags.contains(Flags::FIN));
    if not_advanced
        && t.saturating_sub(fwd.next_seq_time) < threshold
        && fwd.next_seq != seq.wrapping_add(len).wrapping_add(control)
    {
        out.set(Label::OutOfOrder);
        return;
    }
    if not_advanced {
        out.set(Label::Retransmission);
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const A: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152);
    const B: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);

    /// A segment from `src`, with raw numbers where both ISNs are 1000.
    fn segment(src: SocketAddrV4, flags: Flags, seq: u32, ack: u32, len: u32) -> Observed {
        let dst = if src == A { B } else { A };
        Observed {
            src,
            dst,
            seq: 1000 + seq,
            ack: 1000 + ack,
            flags,
            len,
            window: 65535,
            window_scale: None,
        }
    }

    #[test]
    fn each_direction_keeps_its_base_for_segments_no_socket_takes() {
        let mut analyzer = Analyzer::default();
        let none = (SeqNumber(0), SeqNumber(0));
        assert_eq!(analyzer.bases(A, B), none, "no conversation yet");
        let mut syn = segment(A, Flags::SYN, 0, 0, 0);
        syn.seq = 7;
        analyzer.observe(Instant::from_nanos(0), &syn);
        assert_eq!(analyzer.bases(A, B), (SeqNumber(7), SeqNumber(0)));
        analyzer.observe(
            Instant::from_nanos(1),
            &segment(B, Flags::SYN.with(Flags::ACK), 0, 1, 0),
        );
        assert_eq!(analyzer.bases(A, B), (SeqNumber(7), SeqNumber(1000)));
        assert_eq!(analyzer.bases(B, A), (SeqNumber(1000), SeqNumber(7)));
    }

    #[test]
    fn repeated_acks_count_up_and_the_repeat_they_ask_for_is_fast() {
        let mut analyzer = Analyzer::default();
        let ack = Flags::ACK;
        let mut at = 0;
        let mut see = |s: Observed| {
            at += 1_000;
            analyzer.observe(Instant::from_nanos(at * 1_000), &s)
        };
        see(segment(A, Flags::SYN, 0, 0, 0));
        see(segment(B, Flags::SYN.with(ack), 0, 1, 0));
        see(segment(A, ack, 1, 1, 0));
        for n in 0..4 {
            let sent = see(segment(A, ack, 1 + 100 * n, 1, 100));
            assert_eq!(sent.labels().count(), 0, "{sent:?}");
        }
        // The second segment was lost: B acknowledges the first three times over.
        assert_eq!(see(segment(B, ack, 1, 101, 0)).labels().count(), 0);
        for n in 1..=2 {
            let dup = see(segment(B, ack, 1, 101, 0));
            assert!(dup.has(Label::DuplicateAck));
            assert_eq!(dup.dup_ack, n);
        }
        let again = see(segment(A, ack, 101, 1, 100));
        assert!(again.has(Label::FastRetransmission) && again.has(Label::Retransmission));
        assert_eq!(again.stream, 0);
    }
}
