//! TCP per RFC 9293, with the RFC's state names.
//!
//! Read first: RFC 9293 §3.10 (event processing), RFC 6298 (retransmission
//! timer), RFC 5681 (congestion control), RFC 6582 (NewReno fast recovery),
//! RFC 6928 (initial window), RFC 7323 (timestamps).
//!
//! What this implements: three-way handshake with a random ISN and the MSS
//! option; segmentation at the effective MSS; flow control from the
//! advertised receive window, with a persist timer that probes a zero
//! window and, for a window too small to use, sends what silly window
//! avoidance held back when the override timeout (RFC 1122 §4.2.3.4) ends;
//! receiver-side silly window avoidance (RFC 9293 §3.8.6.2.2);
//! cumulative and delayed ACKs; RTO per RFC 6298 (estimated in `rtt.rs`) from an RTT
//! sample on every ACK that advances `SND.UNA` when timestamps are on
//! (RFC 7323 §4), from one timed segment with Karn's rule when they are
//! off, and exponential back-off that ends with the next sample, or, after
//! a handshake that timed out with no sample, an RTO of 3 s for data
//! (RFC 6298 §5.7); fast retransmit on three duplicate ACKs with
//! **NewReno** fast recovery (RFC 6582); slow start and congestion avoidance
//! (RFC 5681) from an initial window of 10 segments; FIN close in both
//! directions with TIME-WAIT; the RST answering a segment with no
//! connection; abort.
//!
//! A [`Socket`] is sans-IO: it knows its 4-tuple and its sequence and timer
//! state, and nothing of hosts, routes, links or the log. Segments go in
//! through [`Socket::handle_segment`], expired timers through
//! [`Socket::handle_timeout`]; the caller pulls segments to send with
//! [`Socket::poll_transmit`], what happened with [`Socket::poll_event`]
//! ([`Event`]: state changes and timers to log, and what the application
//! should know), and the next wake-up with [`Socket::poll_timeout`]. Who
//! owns the socket adds addresses, hosts and connection names.
//!
//! The pieces: `socket.rs` holds the control block and its event processing
//! (RFC 9293 §3.10); `rtt.rs` the RTT estimator and RTO (RFC 6298);
//! `congestion.rs` slow start, congestion avoidance and NewReno recovery
//! (RFC 5681, RFC 6582); `assembler.rs` the out-of-order data waiting for a
//! hole to fill.
//!
//! # States and transitions
//! Every state change, from [`TRANSITIONS`] (the same table drawn as a
//! graph: `crates/net/docs/tcp-states.dot`):
//!
#![doc = include_str!("../../docs/tcp-states.md")]
//!
//! # Deliberate deviations and skipped MAY/SHOULDs
//! - No window scaling or SACK are sent (options are parsed, and ignored):
//!   windows stay at most 65535 bytes, which the scenarios never exceed.
//! - Timestamps (RFC 7323) are sent and echoed, but PAWS (§5) is not done:
//!   the simulated clock cannot wrap the sequence space within a run.
//! - RTT samples from TSecr have the timestamp clock's 1 ms resolution
//!   (RFC 7323 §5.4), and each one updates SRTT and RTTVAR with the plain
//!   RFC 6298 gains (1/8, 1/4), not the per-window gains RFC 7323 Appendix G
//!   suggests for many samples per RTT (as Linux does).
//! - No Nagle algorithm (as with `TCP_NODELAY`): an application write that
//!   fits the window goes out at once. Sender-side silly window avoidance
//!   (RFC 9293 §3.8.6.2.1) still holds back a partial segment when more data
//!   waits and the window is small, until the override timeout: the RTO, at
//!   most 1 s, re-armed like the persist timer.
//! - Receiver-side silly window avoidance advertises the whole buffer as
//!   soon as the application has read everything, even if that moves the
//!   right edge by less than an MSS: a reader that keeps up is not the slow
//!   reader the rule guards against.
//! - Zero-window probes are Linux-style: an ACK with sequence number
//!   `SND.UNA - 1`, which any receiver answers with its current window,
//!   instead of one byte of new data (RFC 9293 §3.8.6.1 allows either).
//! - Unanswered probes count against `max_retransmissions`, so a peer that
//!   disappears behind a zero window is eventually timed out (as Linux does).
//! - A RST or SYN in a synchronised state whose sequence number is in the
//!   window but not exactly `RCV.NXT` draws a challenge ACK (RFC 5961 §3, §4),
//!   as RFC 9293 §3.10.7.4 recommends.
//! - A RST in TIME-WAIT is ignored (RFC 1337 §3, "TIME-WAIT assassination").
//! - No urgent data, no keep-alive, no IP options, no ICMP.
//! - After a retransmission timeout the sender goes back to `SND.UNA` and
//!   resends everything not yet acknowledged (go-back-N), as stacks without
//!   SACK do.

mod assembler;
mod congestion;
mod rtt;
mod socket;

use core::fmt;

use tlsim_sim::Duration;

pub(crate) use socket::reset_reply;
pub use socket::{Socket, Transmit};

/// Connection states of RFC 9293 §3.3.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// No connection.
    Closed,
    /// Waiting for a connection request.
    Listen,
    /// SYN sent, waiting for a matching SYN.
    SynSent,
    /// SYN received and SYN sent, waiting for the ACK of our SYN.
    SynReceived,
    /// The connection is open; data flows both ways.
    Established,
    /// We closed; waiting for the ACK of our FIN or the peer's FIN.
    FinWait1,
    /// Our FIN is acknowledged; waiting for the peer's FIN.
    FinWait2,
    /// The peer closed; waiting for our application to close.
    CloseWait,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing,
    /// The peer closed first, then we did; waiting for the ACK of our FIN.
    LastAck,
    /// Both closed; waiting 2×MSL so that late segments die out.
    TimeWait,
}

impl State {
    /// The RFC's name: `ESTABLISHED`, `TIME-WAIT`…
    pub fn rfc_name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }
}

/// Every state change a socket makes, declared once: `(from, to, cause)`.
///
/// RFC 9293 §3.3.2 (Figure 5), plus the changes §3.10 adds: SYN-RECEIVED
/// reaching CLOSE-WAIT on a FIN (§3.10.7.4, eighth), and any state but CLOSED
/// reaching CLOSED on ABORT, a RST, or retransmissions given up. A passive
/// open that is reset goes to CLOSED, not back to LISTEN: the listening port
/// stays open, and a new SYN opens a new socket. Every change is
/// checked against this table in debug builds; the module documentation and
/// `docs/tcp-states.dot` are drawn from it (a test keeps them in step).
pub const TRANSITIONS: &[(State, State, &str)] = &[
    (State::Closed, State::Listen, "passive OPEN"),
    (State::Closed, State::SynSent, "active OPEN / send SYN"),
    (State::Listen, State::SynReceived, "rcv SYN / send SYN, ACK"),
    (State::Listen, State::Closed, "CLOSE"),
    (
        State::SynSent,
        State::SynReceived,
        "rcv SYN / send SYN, ACK",
    ),
    (
        State::SynSent,
        State::Established,
        "rcv SYN, ACK / send ACK",
    ),
    (State::SynSent, State::Closed, "CLOSE, RST or timeout"),
    (State::SynReceived, State::Established, "rcv ACK of SYN"),
    (State::SynReceived, State::FinWait1, "CLOSE / send FIN"),
    (State::SynReceived, State::CloseWait, "rcv FIN / send ACK"),
    (State::SynReceived, State::Closed, "ABORT, RST or timeout"),
    (State::Established, State::FinWait1, "CLOSE / send FIN"),
    (State::Established, State::CloseWait, "rcv FIN / send ACK"),
    (State::Established, State::Closed, "ABORT, RST or timeout"),
    (State::FinWait1, State::FinWait2, "rcv ACK of FIN"),
    (State::FinWait1, State::Closing, "rcv FIN / send ACK"),
    (
        State::FinWait1,
        State::TimeWait,
        "rcv FIN and ACK of FIN / send ACK",
    ),
    (State::FinWait1, State::Closed, "ABORT, RST or timeout"),
    (State::FinWait2, State::TimeWait, "rcv FIN / send ACK"),
    (State::FinWait2, State::Closed, "ABORT or RST"),
    (State::CloseWait, State::LastAck, "CLOSE / send FIN"),
    (State::CloseWait, State::Closed, "ABORT, RST or timeout"),
    (State::Closing, State::TimeWait, "rcv ACK of FIN"),
    (State::Closing, State::Closed, "ABORT, RST or timeout"),
    (
        State::LastAck,
        State::Closed,
        "rcv ACK of FIN, ABORT, RST or timeout",
    ),
    (State::TimeWait, State::Closed, "2 MSL timeout or ABORT"),
];

impl State {
    /// Whether [`TRANSITIONS`] lists the change from `self` to `next`.
    pub fn can_become(self, next: State) -> bool {
        TRANSITIONS
            .iter()
            .any(|&(from, to, _)| from == self && to == next)
    }
}

/// [`TRANSITIONS`] as a Markdown table, as the module documentation shows it.
pub fn transitions_markdown() -> String {
    let mut out = String::from("| from | to | on |\n|---|---|---|\n");
    for (from, to, cause) in TRANSITIONS {
        out.push_str(&format!("| {from} | {to} | {cause} |\n"));
    }
    out
}

/// [`TRANSITIONS`] as a Graphviz digraph (`dot -Tsvg`).
pub fn transitions_dot() -> String {
    let mut out = String::from(
        "// The TCP state machine of tlsim, drawn from tlsim_net::tcp::TRANSITIONS.\n\
         digraph tcp_states {\n    rankdir=TB;\n    node [shape=box, style=rounded];\n",
    );
    for (from, to, cause) in TRANSITIONS {
        out.push_str(&format!(
            "    \"{from}\" -> \"{to}\" [label=\"{cause}\"];\n"
        ));
    }
    out.push_str("}\n");
    out
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc_name())
    }
}

/// Per-connection TCP settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpConfig {
    /// MSS announced in our SYN; also clamped to the route's MTU − 40.
    pub mss: u16,
    /// Receive buffer: the source of the advertised window (at most 65535 is advertised).
    pub recv_buffer: u32,
    /// Bytes the application may queue; `send` accepts up to the free space.
    pub send_buffer: u32,
    /// Delayed ACK timeout; `None` acknowledges every segment at once.
    /// RFC 5681 §4.2 allows up to 500 ms; ns-3 defaults to 200 ms; Linux's
    /// minimum (and our default) is 40 ms. An ACK is still sent at least
    /// for every second full-sized segment.
    pub delayed_ack: Option<Duration>,
    /// RTO before any RTT sample (RFC 6298 §2.1: 1 s).
    pub initial_rto: Duration,
    /// Lower bound of the RTO. RFC 6298 §2.4 says 1 s; Linux uses 200 ms,
    /// which is our default.
    pub min_rto: Duration,
    /// Upper bound of the RTO (RFC 6298 §2.5 allows ≥ 60 s; we use 60 s).
    pub max_rto: Duration,
    /// Send RFC 7323 timestamps (TSval is the simulated clock in ms).
    pub timestamps: bool,
    /// Length of TIME-WAIT: 2×MSL. RFC 9293 suggests MSL = 2 min; Linux
    /// waits 60 s, our default (MSL = 30 s).
    pub time_wait: Duration,
    /// Initial congestion window in segments (RFC 6928: 10).
    pub initial_cwnd_segments: u32,
    /// Consecutive timeouts after which the connection is abandoned (Linux's
    /// `tcp_retries2` default: 15).
    pub max_retransmissions: u32,
}

/// A [`TcpConfig`] field outside the range TCP can work with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidTcpConfig {
    /// The field, as named in [`TcpConfig`].
    pub field: &'static str,
    /// The values it may take.
    pub allowed: &'static str,
}

impl fmt::Display for InvalidTcpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TCP setting {} must be {}", self.field, self.allowed)
    }
}

impl std::error::Error for InvalidTcpConfig {}

impl TcpConfig {
    /// Checks that every setting lets a connection make progress.
    ///
    /// A socket never panics on any setting (it reads an MSS or an initial
    /// window of 0 as 1), but some settings cannot carry data, or spin:
    /// - `mss`: at least 64 bytes;
    /// - `recv_buffer`, `send_buffer`: at least 1 byte (0 would never
    ///   open the window, or never accept data);
    /// - `initial_cwnd_segments`: at least 1;
    /// - `initial_rto`, `min_rto`: above zero (a zero RTO would retransmit
    ///   without time passing);
    /// - `max_rto`: at least `min_rto`;
    /// - `delayed_ack`: at most 500 ms (RFC 5681 §4.2: an ACK MUST NOT be
    ///   delayed more).
    pub fn validate(&self) -> Result<(), InvalidTcpConfig> {
        let checks: [(bool, &'static str, &'static str); 8] = [
            (self.mss >= 64, "mss", "at least 64 bytes"),
            (self.recv_buffer >= 1, "recv_buffer", "at least 1 byte"),
            (self.send_buffer >= 1, "send_buffer", "at least 1 byte"),
            (
                self.initial_cwnd_segments >= 1,
                "initial_cwnd_segments",
                "at least 1 segment",
            ),
            (self.initial_rto > Duration::ZERO, "initial_rto", "above 0"),
            (self.min_rto > Duration::ZERO, "min_rto", "above 0"),
            (self.max_rto >= self.min_rto, "max_rto", "at least min_rto"),
            (
                self.delayed_ack.is_none_or(|d| d <= MAX_ACK_DELAY),
                "delayed_ack",
                "at most 500 ms",
            ),
        ];
        match checks.into_iter().find(|(ok, ..)| !ok) {
            None => Ok(()),
            Some((_, field, allowed)) => Err(InvalidTcpConfig { field, allowed }),
        }
    }
}

/// RFC 5681 §4.2: the longest an ACK may be delayed.
const MAX_ACK_DELAY: Duration = Duration::from_millis(500);

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1460,
            recv_buffer: 65535,
            send_buffer: 1 << 20,
            delayed_ack: Some(Duration::from_millis(40)),
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(60),
            timestamps: true,
            time_wait: Duration::from_secs(60),
            initial_cwnd_segments: 10,
            max_retransmissions: 15,
        }
    }
}

/// Counters of one socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocketStats {
    /// Bytes the application handed to `send`.
    pub bytes_sent: u64,
    /// Bytes of ours the peer acknowledged.
    pub bytes_acked: u64,
    /// Bytes received in order (readable or already read).
    pub bytes_received: u64,
    /// Segments sent, retransmissions included.
    pub segments_sent: u64,
    /// Segments received that passed the checksum and reached this socket.
    pub segments_received: u64,
    /// Segments sent again (timeouts, fast retransmit, partial ACKs).
    pub retransmissions: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Fast retransmits (three duplicate ACKs).
    pub fast_retransmits: u64,
    /// Duplicate ACKs received.
    pub dup_acks_received: u64,
    /// Smoothed RTT, once measured.
    pub srtt: Option<Duration>,
    /// Current retransmission timeout.
    pub rto: Duration,
    /// Current congestion window in bytes.
    pub cwnd: u32,
}

/// The timers of a socket, scanned in this order when the socket wakes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    Retransmit,
    Persist,
    DelayedAck,
    TimeWait,
}

impl Timer {
    pub(crate) const ALL: [Timer; 4] = [
        Timer::Retransmit,
        Timer::Persist,
        Timer::DelayedAck,
        Timer::TimeWait,
    ];
}

/// What a segment is, beyond its flags, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// A segment sent for the first time.
    Normal,
    /// Data, a SYN or a FIN sent again.
    Retransmission,
    /// An ACK repeating the last one, for an out-of-order segment.
    DupAck,
    /// A zero-window probe (RFC 9293 §3.8.6.1).
    WindowProbe,
}

/// What a [`Socket`] reports through [`Socket::poll_event`], in the order it
/// happened: what the log shows, then what the application should know.
/// It names no host or connection: the caller adds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The state changed; every change is one of [`TRANSITIONS`].
    StateChanged {
        /// The state left.
        from: State,
        /// The state entered.
        to: State,
    },
    /// The retransmission timer fired (RFC 6298 §5.4).
    RetransmissionTimeout {
        /// The RTO that expired, before this time's back-off.
        rto: Duration,
        /// Consecutive timeouts, this one included.
        backoff: u32,
    },
    /// The override timer fired: the segment that silly window avoidance
    /// held back goes out (RFC 1122 §4.2.3.4).
    OverrideTimeout,
    /// The persist timer fired: the zero window is probed (RFC 9293 §3.8.6.1).
    PersistTimeout,
    /// The delayed-ACK timer fired (RFC 5681 §4.2).
    DelayedAckTimeout,
    /// TIME-WAIT's 2 MSL are over.
    TimeWaitOver,
    /// An active open completed (SYN-SENT → ESTABLISHED).
    Connected,
    /// A passive open completed (SYN-RECEIVED → ESTABLISHED).
    Accepted,
    /// In-order data is waiting for `recv` (reported once until read).
    Readable,
    /// Send buffer space freed after a `send` accepted less than offered.
    Writable,
    /// The peer's FIN arrived: no more data will come.
    PeerClosed,
    /// The socket reached CLOSED (LAST-ACK acknowledged, TIME-WAIT over, or aborted).
    Closed,
    /// The peer reset the connection.
    Reset,
    /// Retransmissions were exhausted; the connection is abandoned.
    TimedOut,
}
