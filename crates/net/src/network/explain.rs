//! Explanations for learners of every TCP event: what a segment of each
//! kind is for and why it is sent now, what each analysis label means, what
//! each state and timer is. One table per kind of event; `{Name}` stands
//! for the value of the event's field `Name` (see [`Event::fill`]).
//!
//! [`Event::fill`]: tlsim_sim::Event::fill

use crate::network::analysis::Label;
use crate::tcp::{Note, State};
use crate::wire::tcp::Flags;

/// What a segment is, from its flags and length (RFC 9293 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SegmentKind {
    /// Opens a connection.
    Syn,
    /// Accepts one.
    SynAck,
    /// Carries data.
    Data,
    /// Acknowledges, and carries nothing else.
    PureAck,
    /// Closes this end's direction.
    Fin,
    /// Resets the connection.
    Rst,
}

impl SegmentKind {
    /// Every kind, for the test that each has an explanation.
    #[cfg(test)]
    const ALL: [SegmentKind; 6] = [
        SegmentKind::Syn,
        SegmentKind::SynAck,
        SegmentKind::Data,
        SegmentKind::PureAck,
        SegmentKind::Fin,
        SegmentKind::Rst,
    ];

    /// The kind of a segment with `flags` (ACK included) and `len` bytes of data.
    pub(super) fn of(flags: Flags, len: usize) -> SegmentKind {
        if flags.contains(Flags::RST) {
            SegmentKind::Rst
        } else if flags.contains(Flags::SYN) {
            if flags.contains(Flags::ACK) {
                SegmentKind::SynAck
            } else {
                SegmentKind::Syn
            }
        } else if flags.contains(Flags::FIN) {
            SegmentKind::Fin
        } else if len > 0 {
            SegmentKind::Data
        } else {
            SegmentKind::PureAck
        }
    }
}

/// What a segment of `kind` is for, as its sender (`sending`) or its
/// receiver sees it.
pub(super) fn segment(kind: SegmentKind, sending: bool) -> &'static str {
    match (kind, sending) {
        (SegmentKind::Syn, true) => {
            "SYN, the first step of the three-way handshake (RFC 9293 §3.5): this end asks to open a connection. Its initial sequence number ({Seq (raw)} on the wire, shown as relative 0) is random so that old or forged segments do not fit (RFC 6528), and MSS {MSS} is the largest segment it can take (RFC 9293 §3.7.1)."
        }
        (SegmentKind::Syn, false) => {
            "A SYN arrives (RFC 9293 §3.5): a listening end answers with SYN, ACK; any other answers with a reset (§3.10.7)."
        }
        (SegmentKind::SynAck, true) => {
            "SYN, ACK, the second step of the handshake (RFC 9293 §3.5): this end accepts, acknowledges the peer's SYN (Ack={Ack}: the SYN takes one sequence number) and picks its own random initial sequence number and MSS {MSS}."
        }
        (SegmentKind::SynAck, false) => {
            "The SYN, ACK arrives (RFC 9293 §3.5): the peer accepted; the third step, an ACK of it, completes the handshake."
        }
        (SegmentKind::Data, true) => {
            "Data: {Len} bytes from sequence number {Seq} (relative), at most one MSS (RFC 9293 §3.7.1), sent while the peer's window (RFC 9293 §3.8.6) and the congestion window (RFC 5681 §3.1) allow. Ack={Ack} acknowledges everything received so far, piggybacked on the data."
        }
        (SegmentKind::Data, false) => {
            "{Len} bytes of data arrive at sequence number {Seq}: in order they go to the application, out of order they wait in the reassembly queue (RFC 9293 §3.10.7.4), and either way they will be acknowledged."
        }
        (SegmentKind::PureAck, true) => {
            "An acknowledgment without data: Ack={Ack} tells the peer every byte before it arrived, and Win={Win} how much more it may send (RFC 9293 §3.8.6). Sent at once for a segment out of order or the second full one, otherwise after the delayed-ACK wait (RFC 9293 §3.8.6.3, RFC 5681 §4.2)."
        }
        (SegmentKind::PureAck, false) => {
            "An acknowledgment arrives: data below Ack={Ack} leaves the retransmission queue, the RTT sample updates the timer (RFC 6298 §2), and Win={Win} sets how much more may be sent (RFC 9293 §3.10.7.4)."
        }
        (SegmentKind::Fin, true) => {
            "FIN (RFC 9293 §3.6): this end has no more data to send. It takes one sequence number; the peer acknowledges it and may still send until it closes too."
        }
        (SegmentKind::Fin, false) => {
            "The peer's FIN arrives (RFC 9293 §3.6): it will send no more; this end acknowledges it and tells its application that the stream has ended."
        }
        (SegmentKind::Rst, true) => {
            "Reset (RFC 9293 §3.5.2): this end refuses or abandons the connection, for a segment that belongs to no connection or on an abort; the peer drops the connection at once."
        }
        (SegmentKind::Rst, false) => {
            "A reset arrives (RFC 9293 §3.5.3): if its sequence number is in the window the connection is gone, with no goodbye; otherwise it is ignored or challenged (RFC 5961 §3)."
        }
    }
}

/// Why the sending stack sent a segment again or out of turn.
pub(super) fn note(note: Note) -> Option<&'static str> {
    match note {
        Note::Normal => None,
        Note::Retransmission => Some(
            "The stack sends these bytes again: its retransmission timer ran out (RFC 6298 §5) or three duplicate ACKs said a segment was lost (fast retransmit, RFC 5681 §3.2).",
        ),
        Note::DupAck => Some(
            "The stack answers a segment that arrived out of order at once, repeating its last acknowledgment, so that the sender learns of the gap (RFC 5681 §4.2).",
        ),
        Note::WindowProbe => Some(
            "The peer's window is zero: the persist timer sends a probe so that a lost window update cannot stall the connection forever (RFC 9293 §3.8.6.1).",
        ),
    }
}

/// What an analysis label tells the reader of a capture.
pub(super) fn label(label: Label) -> &'static str {
    match label {
        Label::Retransmission => {
            "Wireshark: retransmission, since the sequence number is below what this direction already sent."
        }
        Label::FastRetransmission => {
            "Wireshark: fast retransmission, since it repeats the sequence number that two or more duplicate ACKs just asked for (RFC 5681 §3.2)."
        }
        Label::SpuriousRetransmission => {
            "Wireshark: spurious retransmission, since the peer had already acknowledged these bytes."
        }
        Label::OutOfOrder => {
            "Wireshark: out of order, since it lies below the highest sequence sent and came soon after it."
        }
        Label::PreviousSegmentNotCaptured => {
            "Wireshark: previous segment not captured, since the sequence number jumps past the last one seen."
        }
        Label::AckedUnseenSegment => "Wireshark: acknowledges a segment the capture never saw.",
        Label::DuplicateAck => {
            "Wireshark: duplicate ACK, the same Ack={Ack} and window again with no data; the sender counts them, and the third starts a fast retransmit (RFC 5681 §3.2)."
        }
        Label::WindowUpdate => {
            "Wireshark: window update, the same acknowledgment with a new window (Win={Win}): the receiver's application read data and made room (RFC 9293 §3.8.6.2.2)."
        }
        Label::WindowFull => {
            "Wireshark: window full, this segment fills the window the peer advertised up to its edge; the sender must now wait for an acknowledgment."
        }
        Label::ZeroWindow => {
            "Wireshark: zero window, the receiver has no room left; the sender stops and probes (RFC 9293 §3.8.6.1)."
        }
        Label::ZeroWindowProbe => {
            "Wireshark: zero-window probe, one byte past a closed window to learn when it opens (RFC 9293 §3.8.6.1)."
        }
        Label::ZeroWindowProbeAck => {
            "Wireshark: the acknowledgment of a zero-window probe, still with no room."
        }
        Label::KeepAlive => {
            "Wireshark: keep-alive, zero or one byte one below the next sequence number, to learn whether the peer is still there (RFC 9293 §3.8.4)."
        }
        Label::KeepAliveAck => "Wireshark: the acknowledgment of a keep-alive.",
    }
}

/// What entering `state` means (RFC 9293 §3.3.2).
pub(super) fn state(state: State) -> &'static str {
    match state {
        State::Closed => {
            "CLOSED (RFC 9293 §3.3.2): no connection; the socket's resources are freed."
        }
        State::Listen => {
            "LISTEN (RFC 9293 §3.3.2): waiting for a SYN from any remote end on this port."
        }
        State::SynSent => {
            "SYN-SENT (RFC 9293 §3.3.2): this end sent its SYN and waits for the SYN, ACK; Src Port {Src Port} is an ephemeral port chosen for this connection."
        }
        State::SynReceived => {
            "SYN-RECEIVED (RFC 9293 §3.3.2): a SYN arrived and was answered with SYN, ACK; the ACK of it is awaited."
        }
        State::Established => {
            "ESTABLISHED (RFC 9293 §3.3.2): both SYNs are acknowledged; data flows both ways."
        }
        State::FinWait1 => {
            "FIN-WAIT-1 (RFC 9293 §3.3.2): the application closed; this end sent its FIN and waits for it to be acknowledged."
        }
        State::FinWait2 => {
            "FIN-WAIT-2 (RFC 9293 §3.3.2): the FIN is acknowledged; this end waits for the peer's FIN, still receiving data."
        }
        State::CloseWait => {
            "CLOSE-WAIT (RFC 9293 §3.3.2): the peer sent its FIN; this end may still send until its application closes."
        }
        State::Closing => {
            "CLOSING (RFC 9293 §3.3.2): both ends sent FIN at once; this end waits for the acknowledgment of its own."
        }
        State::LastAck => {
            "LAST-ACK (RFC 9293 §3.3.2): this end closed after the peer did; it waits for the acknowledgment of its FIN."
        }
        State::TimeWait => {
            "TIME-WAIT (RFC 9293 §3.3.2): both FINs are acknowledged; this end waits twice the maximum segment lifetime so that a lost last ACK can be repeated and old duplicates die out (§3.6.1)."
        }
    }
}

/// What the retransmission timer does when it fires.
pub(super) const RTO: &str = "The retransmission timer ran out (RFC 6298 §5): the oldest unacknowledged segment is sent again, the timeout doubles (Back-off {Back-off}) and the congestion window falls to one segment (RFC 5681 §3.1).";
/// What the override timer does when it fires.
pub(super) const OVERRIDE: &str = "The override timer ran out (RFC 9293 §3.8.6.2.1): data waiting for a full segment under Nagle's rule is sent anyway.";
/// What the persist timer does when it fires.
pub(super) const PERSIST: &str = "The persist timer ran out (RFC 9293 §3.8.6.1): the peer's window is still zero, so a probe goes out.";
/// What the delayed-ACK timer does when it fires.
pub(super) const DELAYED_ACK: &str = "The delayed-ACK timer ran out (RFC 9293 §3.8.6.3, RFC 5681 §4.2): no data came to carry the acknowledgment, so a pure ACK goes out alone.";
/// What the end of TIME-WAIT means.
pub(super) const TIME_WAIT_OVER: &str = "TIME-WAIT is over (RFC 9293 §3.6.1): twice the maximum segment lifetime has passed; the connection is CLOSED and its 4-tuple may be used again.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_kind_and_label_is_explained_with_an_rfc_or_wireshark() {
        for kind in SegmentKind::ALL {
            for sending in [true, false] {
                assert!(segment(kind, sending).contains("RFC"), "{kind:?}");
            }
        }
        for l in Label::ALL {
            assert!(label(l).starts_with("Wireshark: "), "{l:?}");
        }
    }

    #[test]
    fn segment_kinds_follow_the_flags() {
        let ack = Flags::ACK;
        assert_eq!(SegmentKind::of(Flags::SYN, 0), SegmentKind::Syn);
        assert_eq!(
            SegmentKind::of(Flags::SYN.with(ack), 0),
            SegmentKind::SynAck
        );
        assert_eq!(SegmentKind::of(ack, 10), SegmentKind::Data);
        assert_eq!(SegmentKind::of(ack, 0), SegmentKind::PureAck);
        assert_eq!(SegmentKind::of(Flags::FIN.with(ack), 3), SegmentKind::Fin);
        assert_eq!(SegmentKind::of(Flags::RST.with(ack), 0), SegmentKind::Rst);
    }
}
