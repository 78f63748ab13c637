//! One TCP connection's control block and its event processing (RFC 9293 §3.10).

use std::collections::VecDeque;
use std::net::SocketAddrV4;

use tlsim_sim::{Duration, Instant, buffers};

use super::assembler::Assembler;
use super::congestion::{NewReno, Reaction};
use super::rtt::RttEstimator;
use super::{Event, Note, SocketStats, State, TcpConfig, Timer};
use crate::wire::tcp::{Flags, Repr, SeqNumber};

/// Bytes of the NOP, NOP, timestamps block on every non-SYN segment.
const TIMESTAMP_OPTION_LEN: u16 = 12;
/// RFC 9293 §3.7.1: the MSS assumed when the peer sends none.
const DEFAULT_PEER_MSS: u16 = 536;
/// RFC 1122 §4.2.3.4: the override timeout is at most 1 s.
const MAX_OVERRIDE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether an ACK is owed to the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum AckDue {
    No,
    Delayed,
    Now,
}

/// What the socket has to say, in the order it happened.
#[derive(Debug)]
enum Output {
    /// A segment whose header was fixed when it was decided, so that it
    /// carries the ACK and window of that moment; its payload,
    /// `payload_len` bytes from its sequence number, still lies in the
    /// send buffer.
    Segment {
        header: Repr<'static>,
        payload_len: u32,
        note: Note,
    },
    Event(Event),
}

/// A segment to send, borrowed from the socket until the next call into it.
#[derive(Debug)]
pub struct Transmit<'a> {
    /// The segment; its ports are the socket's, the addresses are the
    /// caller's to add (RFC 9293 §3.1 pseudo-header).
    pub repr: Repr<'a>,
    /// What the segment is, beyond its flags.
    pub note: Note,
}

/// One end of a TCP connection: its 4-tuple, its sequence and timer state,
/// and nothing of hosts, routes or links (sans-IO).
///
/// Inputs are [`handle_segment`](Self::handle_segment),
/// [`handle_timeout`](Self::handle_timeout) and the application calls
/// ([`send`](Self::send), [`recv`](Self::recv), [`close`](Self::close),
/// [`abort`](Self::abort)). Outputs are pulled: after every input, call
/// [`poll_event`](Self::poll_event) and [`poll_transmit`](Self::poll_transmit)
/// until both return `None`; then the next wake-up is
/// [`poll_timeout`](Self::poll_timeout), or at once if
/// [`wants_transmit`](Self::wants_transmit) says an application call left
/// something to send.
#[derive(Debug)]
pub struct Socket {
    local: SocketAddrV4,
    remote: SocketAddrV4,
    /// Our initial sequence number.
    iss: SeqNumber,
    /// The peer's initial sequence number, once its SYN arrived.
    irs: SeqNumber,
    config: TcpConfig,
    state: State,
    /// Set once the connection has reached CLOSED and may be freed.
    finished: bool,
    /// The next `poll_transmit` sends whatever is due (`dispatch`).
    dispatch_due: bool,
    /// Segments and events not yet pulled.
    outbox: VecDeque<Output>,

    // Send sequence space (RFC 9293 §3.3.1).
    snd_una: SeqNumber,
    snd_nxt: SeqNumber,
    /// Highest sequence number sent so far (`snd_nxt` goes back after a timeout).
    snd_max: SeqNumber,
    snd_wnd: u32,
    max_snd_wnd: u32,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,
    /// Unacknowledged and unsent data; `send_buf[send_off]` has sequence number `buf_seq`.
    send_buf: Vec<u8>,
    send_off: usize,
    buf_seq: SeqNumber,
    /// `close` was called: a FIN follows the queued data.
    fin_queued: bool,

    // Receive sequence space.
    rcv_nxt: SeqNumber,
    /// Highest sequence number seen from the peer, to tell retransmissions.
    rcv_high: SeqNumber,
    /// Received in-order bytes the application has not read yet.
    recv_buf: Vec<u8>,
    /// Out-of-order data, waiting for the holes before it.
    assembler: Assembler,
    /// A FIN that arrived ahead of missing data.
    pending_fin: Option<SeqNumber>,
    /// Right edge of the window in the last segment we sent.
    rcv_adv_edge: SeqNumber,
    last_ack_sent: SeqNumber,
    ack_due: AckDue,
    /// The next ACK answers an out-of-order segment.
    ack_is_duplicate: bool,
    bytes_since_ack: u32,

    // Options.
    own_mss: u16,
    peer_mss: u16,
    timestamps: bool,
    ts_recent: u32,

    // Congestion control (RFC 5681, RFC 6582).
    cc: NewReno,

    // Retransmission timer (RFC 6298).
    rtt: RttEstimator,
    /// End sequence and send time of the one segment being timed, when
    /// there are no timestamps to measure with (RFC 6298 §3, Karn).
    rtt_probe: Option<(SeqNumber, Instant)>,
    /// Consecutive timeouts or unanswered window probes.
    retries: u32,
    timers: [Option<Instant>; Timer::ALL.len()],

    pending_rst: bool,
    /// The override timer fired: send one segment however small the window.
    sws_override: bool,
    readable_signalled: bool,
    want_writable: bool,
    stats: SocketStats,
}

impl Socket {
    /// A socket between `local` and `remote`, in CLOSED; open it with
    /// [`connect`](Self::connect) or [`accept`](Self::accept).
    pub fn new(local: SocketAddrV4, remote: SocketAddrV4, config: TcpConfig) -> Self {
        Socket {
            local,
            remote,
            iss: SeqNumber(0),
            irs: SeqNumber(0),
            config,
            state: State::Closed,
            finished: false,
            dispatch_due: false,
            outbox: VecDeque::new(),
            snd_una: SeqNumber(0),
            snd_nxt: SeqNumber(0),
            snd_max: SeqNumber(0),
            snd_wnd: 0,
            max_snd_wnd: 0,
            snd_wl1: SeqNumber(0),
            snd_wl2: SeqNumber(0),
            send_buf: Vec::new(),
            send_off: 0,
            buf_seq: SeqNumber(0),
            fin_queued: false,
            rcv_nxt: SeqNumber(0),
            rcv_high: SeqNumber(0),
            recv_buf: Vec::new(),
            assembler: Assembler::default(),
            pending_fin: None,
            rcv_adv_edge: SeqNumber(0),
            last_ack_sent: SeqNumber(0),
            ack_due: AckDue::No,
            ack_is_duplicate: false,
            bytes_since_ack: 0,
            own_mss: 0,
            peer_mss: DEFAULT_PEER_MSS,
            timestamps: false,
            ts_recent: 0,
            cc: NewReno::new(SeqNumber(0)),
            rtt: RttEstimator::new(config.initial_rto, config.min_rto, config.max_rto),
            rtt_probe: None,
            retries: 0,
            timers: [None; Timer::ALL.len()],
            pending_rst: false,
            sws_override: false,
            readable_signalled: false,
            want_writable: false,
            stats: SocketStats::default(),
        }
    }

    /// Like [`new`](Self::new), keeping the buffers' allocations.
    pub fn reuse(&mut self, local: SocketAddrV4, remote: SocketAddrV4, config: TcpConfig) {
        let mut send_buf = core::mem::take(&mut self.send_buf);
        let mut recv_buf = core::mem::take(&mut self.recv_buf);
        let mut assembler = core::mem::take(&mut self.assembler);
        let mut outbox = core::mem::take(&mut self.outbox);
        send_buf.clear();
        recv_buf.clear();
        assembler.clear();
        outbox.clear();
        *self = Socket::new(local, remote, config);
        self.send_buf = send_buf;
        self.recv_buf = recv_buf;
        self.assembler = assembler;
        self.outbox = outbox;
    }

    /// RFC 9293 §3.10.1 active OPEN: enters SYN-SENT with the initial
    /// sequence number `iss`; the SYN leaves at the next `poll_transmit`.
    /// `mtu`, the route's, clamps our MSS.
    pub fn connect(&mut self, iss: SeqNumber, mtu: u16) {
        self.open(iss, mtu, true);
    }

    /// RFC 9293 §3.10.1 passive OPEN, for a SYN that reached a listening
    /// port: enters LISTEN; hand that SYN to `handle_segment` next.
    pub fn accept(&mut self, iss: SeqNumber, mtu: u16) {
        self.open(iss, mtu, false);
    }

    fn open(&mut self, iss: SeqNumber, mtu: u16, active: bool) {
        self.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = iss;
        self.snd_max = iss;
        self.buf_seq = iss + 1;
        self.cc = NewReno::new(iss);
        self.own_mss = self.config.mss.min(mtu.saturating_sub(40)).max(1);
        self.stats.rto = self.rtt.rto();
        if active {
            self.set_state(State::SynSent);
        } else {
            // A passive socket is opened for a SYN that reached a
            // listening port, and handed that SYN at once: its LISTEN
            // lasts no time, and the log shows the listener's.
            debug_assert!(self.state.can_become(State::Listen));
            self.state = State::Listen;
        }
        self.dispatch_due = active;
    }

    /// Payload bytes per segment: RFC 9293 §3.7.1 (Eff.snd.MSS), less the
    /// timestamps option when in use.
    fn eff_mss(&self) -> u32 {
        let mss = self.own_mss.min(self.peer_mss);
        let mss = if self.timestamps {
            mss.saturating_sub(TIMESTAMP_OPTION_LEN)
        } else {
            mss
        };
        u32::from(mss.max(1))
    }

    fn data_end(&self) -> SeqNumber {
        self.buf_seq + (self.send_buf.len() - self.send_off) as u32
    }

    /// Queued bytes the peer has not acknowledged: `(never sent, in flight
    /// or sent and lost)`.
    pub fn unfinished_bytes(&self) -> (u64, u64) {
        let queued = (self.send_buf.len() - self.send_off) as u64;
        let data_end = self.data_end();
        let sent_end = if self.snd_max < data_end {
            self.snd_max
        } else {
            data_end
        };
        let unacked = if sent_end > self.buf_seq {
            u64::from(sent_end.distance_from(self.buf_seq))
        } else {
            0
        };
        (queued - unacked, unacked)
    }

    /// Whether the application called `close` (a FIN follows the queued data).
    pub fn closed_by_application(&self) -> bool {
        self.fin_queued
    }

    fn unread(&self) -> usize {
        self.recv_buf.len()
    }

    fn is_synchronised(&self) -> bool {
        !matches!(self.state, State::Closed | State::Listen | State::SynSent)
    }

    /// The instant [`handle_timeout`](Self::handle_timeout) is next due:
    /// the earliest timer; `None` once the socket is finished.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        self.timers.iter().flatten().copied().min()
    }

    /// Whether an application call left something to send: if so, call
    /// [`poll_transmit`](Self::poll_transmit) at the current time, before
    /// any timer.
    #[must_use]
    pub fn wants_transmit(&self) -> bool {
        !self.finished && self.dispatch_due
    }

    /// Whether the connection is over and its last segment pulled: the
    /// socket may be freed.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The connection state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The socket's counters.
    pub fn stats(&self) -> SocketStats {
        self.stats
    }

    /// The local end of the 4-tuple.
    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// The remote end of the 4-tuple.
    pub fn remote(&self) -> SocketAddrV4 {
        self.remote
    }

    /// Our initial sequence number (0 before the socket is opened).
    pub fn iss(&self) -> SeqNumber {
        self.iss
    }

    /// The peer's initial sequence number (0 until its SYN arrived).
    pub fn irs(&self) -> SeqNumber {
        self.irs
    }

    fn set_timer(&mut self, timer: Timer, at: Option<Instant>) {
        self.timers[timer as usize] = at;
    }

    fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers[timer as usize]
    }

    fn set_state(&mut self, next: State) {
        if self.state == next {
            return;
        }
        self.report(Event::StateChanged {
            from: self.state,
            to: next,
        });
        debug_assert!(
            self.state.can_become(next),
            "TCP {} -> {next} is not in TRANSITIONS",
            self.state
        );
        self.state = next;
        if next == State::TimeWait {
            // TIME-WAIT lasts 2 MSL: hand idle buffers back rather than
            // hold memory that nothing will touch meanwhile.
            if self.send_off == self.send_buf.len() {
                buffers::give_back(&mut self.send_buf);
                self.send_off = 0;
            }
            if self.recv_buf.is_empty() {
                buffers::give_back(&mut self.recv_buf);
            }
        }
    }

    fn report(&mut self, event: Event) {
        self.outbox.push_back(Output::Event(event));
    }

    /// Ends the connection: CLOSED, timers stopped, `event` for the application.
    fn terminate(&mut self, event: Event) {
        self.set_state(State::Closed);
        self.timers = [None; Timer::ALL.len()];
        self.finished = !self.pending_rst;
        self.report(event);
    }

    // ---- Application calls -------------------------------------------------

    /// Queues data; returns the bytes accepted (up to the free send buffer).
    /// When it accepted less, [`Event::Writable`] follows once space frees.
    pub fn send(&mut self, data: &[u8]) -> usize {
        if !matches!(
            self.state,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        ) || self.fin_queued
        {
            return 0;
        }
        let queued = self.send_buf.len() - self.send_off;
        let free = (self.config.send_buffer as usize).saturating_sub(queued);
        let n = free.min(data.len());
        if n < data.len() {
            self.want_writable = true;
        }
        if n > 0 {
            // Compact when the consumed prefix dominates, so appends stay amortised O(1).
            if self.send_off > 0 && self.send_off >= queued {
                self.send_buf.drain(..self.send_off);
                self.send_off = 0;
            }
            buffers::reserve(&mut self.send_buf, n);
            self.send_buf.extend_from_slice(&data[..n]);
            self.stats.bytes_sent += n as u64;
            self.dispatch_due = true;
        }
        n
    }

    /// Moves in-order received bytes to `out` (or drops them when `out` is
    /// `None`); may schedule a window update. Data stays readable after the
    /// connection closed.
    pub fn recv(&mut self, out: Option<&mut Vec<u8>>) -> usize {
        let n = self.unread();
        if let Some(out) = out {
            out.extend_from_slice(&self.recv_buf);
        }
        // Read: the buffer serves whichever socket receives next.
        buffers::recycle(&mut self.recv_buf);
        self.readable_signalled = false;
        // RFC 9293 §3.8.6.2.2 allows announcing any window that opened by
        // enough; like Linux (`tcp_cleanup_rbuf`) send a pure window update
        // only when the advertised window has fallen to half the buffer or
        // less and would at least double. Otherwise the next ACK carries it.
        let peer_may_send = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        let current = self.current_window();
        let buffer = self.config.recv_buffer.min(65535);
        if n > 0
            && peer_may_send
            && 2 * current <= buffer
            && self.window_to_advertise() >= 2 * current.max(1)
        {
            self.ack_due = AckDue::Now;
            self.dispatch_due = true;
        }
        n
    }

    /// RFC 9293 §3.10.4 CLOSE: a FIN follows the queued data.
    pub fn close(&mut self) {
        match self.state {
            State::Closed => {}
            State::Listen | State::SynSent => {
                self.terminate(Event::Closed);
            }
            State::SynReceived | State::Established => {
                self.fin_queued = true;
                self.set_state(State::FinWait1);
                self.dispatch_due = true;
            }
            State::CloseWait => {
                self.fin_queued = true;
                self.set_state(State::LastAck);
                self.dispatch_due = true;
            }
            _ => {}
        }
    }

    /// RFC 9293 §3.10.5 ABORT: RST in synchronised states, then CLOSED.
    pub fn abort(&mut self) {
        if self.state == State::Closed {
            return;
        }
        if self.is_synchronised() && self.state != State::TimeWait {
            self.pending_rst = true;
            self.dispatch_due = true;
        }
        self.terminate(Event::Closed);
    }

    // ---- Timers ----------------------------------------------------------------

    /// Fires the timers due at `now`, in a fixed order; what they
    /// make due leaves with the next `poll_transmit(now)`. Call it at
    /// [`poll_timeout`](Self::poll_timeout), or at once when
    /// [`wants_transmit`](Self::wants_transmit).
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in Timer::ALL {
            if self.finished {
                return;
            }
            match self.timer(timer) {
                Some(at) if at <= now => {
                    self.set_timer(timer, None);
                    self.fire(now, timer);
                }
                _ => {}
            }
        }
        self.dispatch_due = !self.finished;
    }

    fn fire(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::Retransmit => self.on_retransmit_timeout(),
            Timer::Persist if self.usable_window() > 0 => {
                // RFC 9293 §3.8.6.2.1, RFC 1122 §4.2.3.4: the override timeout
                // sends the segment that sender-side SWS avoidance held back,
                // so a lost window update cannot leave it waiting for ever.
                self.report(Event::OverrideTimeout);
                self.sws_override = true;
            }
            Timer::Persist => {
                self.report(Event::PersistTimeout);
                self.retries = self.retries.saturating_add(1);
                if self.retries > self.config.max_retransmissions {
                    self.terminate(Event::TimedOut);
                    return;
                }
                self.send_window_probe(now);
                let interval = self.backed_off(self.rtt.rto(), self.retries);
                self.set_timer(Timer::Persist, Some(now + interval));
            }
            Timer::DelayedAck => {
                self.report(Event::DelayedAckTimeout);
                self.ack_due = AckDue::Now;
            }
            Timer::TimeWait => {
                self.report(Event::TimeWaitOver);
                self.terminate(Event::Closed);
            }
        }
    }

    fn backed_off(&self, base: Duration, times: u32) -> Duration {
        base.saturating_mul(1u64 << times.min(32))
            .min(self.config.max_rto)
    }

    fn on_retransmit_timeout(&mut self) {
        self.retries = self.retries.saturating_add(1);
        self.stats.timeouts += 1;
        self.report(Event::RetransmissionTimeout {
            rto: self.rtt.rto(),
            backoff: self.retries,
        });
        if self.retries > self.config.max_retransmissions {
            self.terminate(Event::TimedOut);
            return;
        }
        // RFC 6298 §5.5: back off the timer.
        self.rtt.back_off();
        self.stats.rto = self.rtt.rto();
        // RFC 6298 §3 (Karn): no RTT sample from a retransmitted segment.
        self.rtt_probe = None;
        if matches!(self.state, State::SynSent | State::SynReceived) {
            self.snd_nxt = self.iss;
            return;
        }
        self.cc
            .on_timeout(self.snd_una, self.snd_max, self.eff_mss());
        self.stats.cwnd = self.cc.window();
        self.snd_nxt = self.snd_una;
    }

    // ---- Output ----------------------------------------------------------------

    fn advertised_window(&mut self) -> u16 {
        let window = self.window_to_advertise();
        self.rcv_adv_edge = self.rcv_nxt + window;
        window as u16
    }

    /// The window still open from the last advertisement.
    fn current_window(&self) -> u32 {
        if self.rcv_adv_edge > self.rcv_nxt {
            self.rcv_adv_edge.distance_from(self.rcv_nxt)
        } else {
            0
        }
    }

    /// RFC 9293 §3.8.6.2.2 (receiver SWS avoidance): move the right edge only
    /// by at least min(buffer / 2, MSS), or to the whole buffer once the
    /// application has read everything; never shrink it.
    fn window_to_advertise(&self) -> u32 {
        let free = (self.config.recv_buffer as usize)
            .saturating_sub(self.unread())
            .min(65535) as u32;
        let current = self.current_window();
        let step = (self.config.recv_buffer.min(65535) / 2).min(self.eff_mss());
        if free >= current.saturating_add(step) || free == self.config.recv_buffer.min(65535) {
            free
        } else {
            current
        }
    }

    fn timestamp_option(&self, now: Instant, flags: Flags) -> Option<(u32, u32)> {
        // RFC 7323 §3.2: a SYN offers timestamps; later segments carry them only
        // when both SYNs did.
        let offer =
            flags.contains(Flags::SYN) && !flags.contains(Flags::ACK) && self.config.timestamps;
        // RFC 7323 §4.1: TSval from a clock ticking in milliseconds.
        (self.timestamps || offer).then(|| (timestamp_clock(now), self.ts_recent))
    }

    /// The header of a segment sent now, its payload left out.
    fn segment(&mut self, now: Instant, seq: SeqNumber, flags: Flags) -> Repr<'static> {
        let synchronised = self.state != State::SynSent || flags.contains(Flags::ACK);
        let ack_number = (synchronised
            && (!flags.contains(Flags::RST) || flags.contains(Flags::ACK)))
        .then_some(self.rcv_nxt);
        let syn = flags.contains(Flags::SYN);
        Repr {
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            flags,
            seq_number: seq,
            ack_number,
            window_len: if flags.contains(Flags::RST) {
                0
            } else {
                self.advertised_window()
            },
            max_seg_size: syn.then_some(self.own_mss),
            window_scale: None,
            sack_permitted: false,
            timestamp: if flags.contains(Flags::RST) {
                None
            } else {
                self.timestamp_option(now, flags)
            },
            payload: &[],
        }
    }

    /// Where the byte with sequence number `seq` lies in `send_buf`.
    fn send_buf_index(&self, seq: SeqNumber) -> usize {
        self.send_off + seq.distance_from(self.buf_seq) as usize
    }

    /// Queues the segment of `len` bytes from `seq`, as it is now.
    fn emit(&mut self, now: Instant, seq: SeqNumber, flags: Flags, len: u32, note: Note) {
        let start = self.send_buf_index(seq).min(self.send_buf.len());
        let end = (start + len as usize).min(self.send_buf.len());
        let header = self.segment(now, seq, flags);
        if let Some(ack) = header.ack_number {
            self.last_ack_sent = ack;
            self.ack_due = AckDue::No;
            self.ack_is_duplicate = false;
            self.bytes_since_ack = 0;
            self.set_timer(Timer::DelayedAck, None);
        }
        self.queue_segment(header, (end - start) as u32, note);
        self.stats.segments_sent += 1;
        if note == Note::Retransmission {
            self.stats.retransmissions += 1;
        }
    }

    fn queue_segment(&mut self, header: Repr<'static>, payload_len: u32, note: Note) {
        self.outbox.push_back(Output::Segment {
            header,
            payload_len,
            note,
        });
    }

    /// The next event, if it comes before any segment still to send: state
    /// changes and timers for the log, and what the application should know.
    /// Call it, and [`poll_transmit`](Self::poll_transmit), after every input
    /// until both return `None`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        match self.outbox.front()? {
            Output::Event(_) => {}
            Output::Segment { .. } => return None,
        }
        match self.outbox.pop_front() {
            Some(Output::Event(event)) => Some(event),
            _ => None,
        }
    }

    /// The next segment to send at `now`, if it comes before any event still
    /// to pull (`None` then: call [`poll_event`](Self::poll_event)). Once the
    /// queue is empty, sends whatever is due: SYN, data within the windows,
    /// FIN, RST, ACK. The segment borrows the send buffer: put it on the
    /// wire before the next call into the socket.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit<'_>> {
        if self.outbox.is_empty() && self.dispatch_due {
            self.dispatch(now);
        }
        match self.outbox.front()? {
            Output::Segment { .. } => {}
            Output::Event(_) => return None,
        }
        let Some(Output::Segment {
            header,
            payload_len,
            note,
        }) = self.outbox.pop_front()
        else {
            return None;
        };
        let payload = if payload_len == 0 {
            &[][..]
        } else {
            let start = self.send_buf_index(header.seq_number);
            debug_assert!(
                start + payload_len as usize <= self.send_buf.len(),
                "a queued segment's payload is still in the send buffer"
            );
            &self.send_buf[start..start + payload_len as usize]
        };
        Some(Transmit {
            repr: Repr { payload, ..header },
            note,
        })
    }

    fn arm_retransmit(&mut self, now: Instant) {
        if self.timer(Timer::Retransmit).is_none() {
            self.set_timer(Timer::Retransmit, Some(now + self.rtt.rto()));
        }
    }

    /// Sends the segment that starts at `seq` again, without moving `snd_nxt`.
    fn retransmit_first(&mut self, now: Instant) {
        let data_end = self.data_end();
        let seq = self.snd_una;
        if seq < data_end {
            let len = data_end.distance_from(seq).min(self.eff_mss());
            let fin = self.fin_queued && seq + len == data_end && self.snd_max > data_end;
            let mut flags = Flags::ACK;
            if fin {
                flags = flags.with(Flags::FIN);
            }
            self.emit(now, seq, flags, len, Note::Retransmission);
        } else if self.fin_queued && self.snd_max > data_end {
            self.emit(
                now,
                data_end,
                Flags::ACK.with(Flags::FIN),
                0,
                Note::Retransmission,
            );
        }
        self.rtt_probe = None;
    }

    fn send_window_probe(&mut self, now: Instant) {
        self.emit(now, self.snd_una - 1, Flags::ACK, 0, Note::WindowProbe);
    }

    /// Queues whatever is due: SYN, data within the windows, FIN, RST, ACK.
    fn dispatch(&mut self, now: Instant) {
        self.dispatch_due = false;
        if self.pending_rst {
            self.pending_rst = false;
            self.emit(
                now,
                self.snd_nxt,
                Flags::RST.with(Flags::ACK),
                0,
                Note::Normal,
            );
            self.finished = true;
            return;
        }
        match self.state {
            State::Closed | State::Listen => return,
            State::SynSent | State::SynReceived => {
                if self.snd_nxt == self.iss || self.ack_due == AckDue::Now {
                    let retransmission = self.snd_max != self.iss;
                    let flags = if self.state == State::SynSent {
                        Flags::SYN
                    } else {
                        Flags::SYN.with(Flags::ACK)
                    };
                    let note = if retransmission {
                        Note::Retransmission
                    } else {
                        Note::Normal
                    };
                    self.emit(now, self.iss, flags, 0, note);
                    self.snd_nxt = self.iss + 1;
                    self.snd_max = self.snd_nxt;
                    if !retransmission {
                        self.rtt_probe = Some((self.snd_nxt, now));
                    }
                    self.arm_retransmit(now);
                }
                return;
            }
            _ => {}
        }
        let can_send_data = matches!(
            self.state,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::Closing
                | State::LastAck
        );
        let mss = self.eff_mss();
        loop {
            if !can_send_data {
                break;
            }
            let data_end = self.data_end();
            let unsent = if self.snd_nxt < data_end {
                data_end.distance_from(self.snd_nxt)
            } else {
                0
            };
            let mut len = unsent.min(self.usable_window()).min(mss);
            // RFC 9293 §3.8.6.2.1: no small segment while more waits, unless it
            // is at least half the largest window the peer offered, or the
            // override timer fired.
            let silly = len < mss && len < unsent && len.saturating_mul(2) < self.max_snd_wnd;
            if len > 0 && silly && !core::mem::take(&mut self.sws_override) {
                len = 0;
            }
            let fin_now = self.fin_queued
                && matches!(
                    self.state,
                    State::FinWait1 | State::Closing | State::LastAck
                )
                && self.snd_nxt <= data_end
                && self.snd_nxt + len == data_end;
            if len == 0 && !fin_now {
                break;
            }
            let seq = self.snd_nxt;
            let mut flags = Flags::ACK;
            if len > 0 && seq + len == data_end {
                flags = flags.with(Flags::PSH);
            }
            if fin_now {
                flags = flags.with(Flags::FIN);
            }
            let note = if seq < self.snd_max {
                Note::Retransmission
            } else {
                Note::Normal
            };
            self.emit(now, seq, flags, len, note);
            self.snd_nxt = seq + len + u32::from(fin_now);
            if self.snd_nxt > self.snd_max {
                self.snd_max = self.snd_nxt;
                if self.rtt_probe.is_none() && note == Note::Normal {
                    self.rtt_probe = Some((self.snd_nxt, now));
                }
            }
            self.arm_retransmit(now);
            if fin_now {
                break;
            }
        }
        if self.ack_due == AckDue::Now {
            let note = if self.ack_is_duplicate {
                Note::DupAck
            } else {
                Note::Normal
            };
            // As BSD does: a bare ACK carries the highest sequence number sent, so
            // it stays acceptable to the peer while `snd_nxt` is rewound after a timeout.
            self.emit(now, self.snd_max, Flags::ACK, 0, note);
        }
        self.sws_override = false;
        // Data waits, nothing is in flight, and the window stopped it: only
        // the peer's window update can move things on, and it may be lost.
        // RFC 9293 §3.8.6.1: probe a zero window; §3.8.6.2.1: send a window
        // too small for SWS avoidance when the override timer fires.
        let data_waiting = self.snd_nxt < self.data_end();
        if can_send_data && data_waiting && self.snd_nxt == self.snd_una {
            if self.timer(Timer::Persist).is_none() && self.timer(Timer::Retransmit).is_none() {
                let interval = if self.usable_window() > 0 {
                    // RFC 1122 §4.2.3.4: an override timeout of 0.1 to 1 s.
                    self.rtt.rto().min(MAX_OVERRIDE_TIMEOUT)
                } else {
                    self.rtt.rto()
                };
                self.set_timer(Timer::Persist, Some(now + interval));
            }
        } else {
            self.set_timer(Timer::Persist, None);
        }
    }

    /// Bytes the send and congestion windows allow beyond what is in flight.
    fn usable_window(&self) -> u32 {
        let in_flight = self.snd_nxt.distance_from(self.snd_una);
        self.snd_wnd.min(self.cc.window()).saturating_sub(in_flight)
    }

    // ---- Input -------------------------------------------------------------------

    fn start_congestion_control(&mut self) {
        self.cc
            .start(self.config.initial_cwnd_segments, self.eff_mss());
        self.stats.cwnd = self.cc.window();
    }

    /// RFC 9293 §3.10.7: a segment for this connection, its checksum
    /// already verified. What it makes due leaves with the next
    /// `poll_transmit(now)`.
    pub fn handle_segment(&mut self, now: Instant, repr: &Repr<'_>) {
        self.stats.segments_received += 1;
        match self.state {
            State::Closed => {}
            State::Listen => self.process_listen(repr),
            State::SynSent => self.process_syn_sent(now, repr),
            _ => self.process_synchronised(now, repr),
        }
        self.dispatch_due = !self.finished;
    }

    /// RFC 9293 §3.10.7.2.
    fn process_listen(&mut self, repr: &Repr<'_>) {
        if repr.flags.contains(Flags::RST) {
            return;
        }
        if repr.ack_number.is_some() {
            self.queue_segment(reset_reply(repr), 0, Note::Normal);
            return;
        }
        if repr.flags.contains(Flags::SYN) {
            self.take_peer_syn(repr);
            self.set_state(State::SynReceived);
        }
    }

    /// The sequence number, window and options of the peer's SYN.
    fn take_peer_syn(&mut self, repr: &Repr<'_>) {
        self.irs = repr.seq_number;
        self.rcv_nxt = repr.seq_number + 1;
        self.rcv_high = self.rcv_nxt;
        self.peer_mss = repr.max_seg_size.unwrap_or(DEFAULT_PEER_MSS).max(1);
        self.timestamps = self.config.timestamps && repr.timestamp.is_some();
        if let Some((tsval, _)) = repr.timestamp {
            self.ts_recent = tsval;
        }
        self.snd_wnd = u32::from(repr.window_len);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = repr.seq_number;
    }

    /// RFC 9293 §3.10.7.3.
    fn process_syn_sent(&mut self, now: Instant, repr: &Repr<'_>) {
        let iss = self.iss;
        if let Some(ack) = repr.ack_number {
            if ack <= iss || ack > self.snd_max {
                if !repr.flags.contains(Flags::RST) {
                    // Unacceptable ACK: RST with SEQ = SEG.ACK.
                    self.queue_segment(reset_reply(repr), 0, Note::Normal);
                }
                return;
            }
        }
        if repr.flags.contains(Flags::RST) {
            if repr.ack_number.is_some() {
                self.terminate(Event::Reset);
            }
            return;
        }
        if !repr.flags.contains(Flags::SYN) {
            return;
        }
        self.take_peer_syn(repr);
        match repr.ack_number {
            Some(ack) => {
                self.establish(now, ack, repr.timestamp);
                self.ack_due = AckDue::Now;
                self.report(Event::Connected);
            }
            None => {
                // Simultaneous open: answer with SYN, ACK.
                self.set_state(State::SynReceived);
                self.snd_nxt = iss;
            }
        }
    }

    /// Our SYN is acknowledged by `ack`: ESTABLISHED.
    fn establish(&mut self, now: Instant, ack: SeqNumber, timestamp: Option<(u32, u32)>) {
        self.snd_una = ack;
        self.snd_wl2 = ack;
        self.take_rtt_sample(now, ack, timestamp);
        if self.stats.timeouts > 0 {
            self.rtt.after_handshake_timeout();
            self.stats.rto = self.rtt.rto();
        }
        self.set_timer(Timer::Retransmit, None);
        self.retries = 0;
        self.start_congestion_control();
        self.set_state(State::Established);
    }

    fn acceptable(&self, repr: &Repr<'_>, window: u32) -> bool {
        let seq = repr.seq_number;
        let len = repr.segment_len();
        let in_window = |s: SeqNumber| s >= self.rcv_nxt && s < self.rcv_nxt + window;
        match (len, window) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => in_window(seq),
            (_, 0) => false,
            _ => in_window(seq) || in_window(seq + len - 1),
        }
    }

    fn process_synchronised(&mut self, now: Instant, repr: &Repr<'_>) {
        let window = self.current_window().max(self.window_to_advertise());
        let seq = repr.seq_number;
        // RFC 7323 §4.3 (2): remember the peer's timestamp to echo it, also
        // from a wholly old segment: the ACK it draws then echoes the latest
        // retransmission, not one whose ACK was lost long ago, which would
        // give the sender an RTT sample as long as its back-off.
        if let Some((tsval, _)) = repr.timestamp {
            let control = repr.flags.contains(Flags::RST) || repr.flags.contains(Flags::SYN);
            if !control
                && seq <= self.last_ack_sent
                && tsval.wrapping_sub(self.ts_recent) as i32 >= 0
            {
                self.ts_recent = tsval;
            }
        }
        // First: sequence number check (RFC 9293 §3.10.7.4).
        if !self.acceptable(repr, window) {
            // A zero window still lets ACKs through (RFC 9293 §3.10.7.4, "special allowance").
            let ack_only = window == 0 && seq == self.rcv_nxt && !repr.flags.contains(Flags::RST);
            if !ack_only {
                if !repr.flags.contains(Flags::RST) {
                    self.ack_due = AckDue::Now;
                    if self.state == State::TimeWait && repr.flags.contains(Flags::FIN) {
                        // RFC 9293 §3.10.7.4: a retransmitted FIN restarts the 2 MSL wait.
                        self.set_timer(Timer::TimeWait, Some(now + self.config.time_wait));
                    }
                }
                return;
            }
        }
        // Second: RST (RFC 5961 §3.2: exact match resets, else challenge ACK).
        // RFC 1337 §3: a RST must not cut TIME-WAIT short.
        if repr.flags.contains(Flags::RST) && self.state == State::TimeWait {
            return;
        }
        if repr.flags.contains(Flags::RST) {
            if seq == self.rcv_nxt {
                self.terminate(Event::Reset);
            } else {
                self.ack_due = AckDue::Now;
            }
            return;
        }
        // Fourth: a SYN in a synchronised state draws a challenge ACK (RFC 5961 §4.2).
        if repr.flags.contains(Flags::SYN) {
            self.ack_due = AckDue::Now;
            return;
        }
        // Fifth: the ACK field.
        let Some(ack) = repr.ack_number else { return };
        if self.state == State::SynReceived {
            if ack > self.snd_una && ack <= self.snd_max {
                self.snd_wnd = u32::from(repr.window_len);
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = seq;
                self.establish(now, ack, repr.timestamp);
                self.report(Event::Accepted);
            } else {
                self.queue_segment(reset_reply(repr), 0, Note::Normal);
                return;
            }
        }
        if ack > self.snd_max {
            // RFC 9293 §3.10.7.4: ACK of something not yet sent.
            self.ack_due = AckDue::Now;
            return;
        }
        self.on_ack(now, repr, ack);
        if self.finished {
            return;
        }
        // Sixth/seventh: the segment text.
        if !repr.payload.is_empty()
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            self.on_data(now, seq, repr.payload, repr.flags.contains(Flags::PSH));
        }
        // Eighth: FIN.
        if repr.flags.contains(Flags::FIN) {
            let fin_seq = seq + repr.payload.len() as u32;
            if fin_seq == self.rcv_nxt {
                self.on_fin(now);
            } else if fin_seq > self.rcv_nxt {
                self.pending_fin = Some(fin_seq);
                self.ack_due = AckDue::Now;
            } else {
                self.ack_due = AckDue::Now;
            }
        }
    }

    /// Feeds the RTT estimator from an ACK that advances `SND.UNA` to `ack`.
    /// RFC 7323 §4.2: with timestamps, its TSecr gives a valid sample even
    /// for retransmitted data; without, only the timed segment does, and
    /// only if it was never retransmitted (RFC 6298 §3, Karn).
    fn take_rtt_sample(&mut self, now: Instant, ack: SeqNumber, timestamp: Option<(u32, u32)>) {
        let sample = match (self.timestamps, timestamp) {
            (true, Some((_, tsecr))) => {
                let elapsed_ms = timestamp_clock(now).wrapping_sub(tsecr);
                // An echo from the future is not ours: no sample.
                (elapsed_ms < 1 << 31).then(|| Duration::from_millis(u64::from(elapsed_ms)))
            }
            _ => match self.rtt_probe {
                Some((end, sent)) if ack >= end => Some(now - sent),
                _ => None,
            },
        };
        let Some(rtt) = sample else { return };
        if self.rtt_probe.is_some_and(|(end, _)| ack >= end) {
            self.rtt_probe = None;
        }
        self.rtt.sample(rtt);
        self.stats.srtt = self.rtt.srtt();
        self.stats.rto = self.rtt.rto();
    }

    fn on_ack(&mut self, now: Instant, repr: &Repr<'_>, ack: SeqNumber) {
        let seq = repr.seq_number;
        let mss = self.eff_mss();
        let window = u32::from(repr.window_len);
        if ack > self.snd_una {
            let acked = ack.distance_from(self.snd_una);
            let data_acked = if ack > self.buf_seq {
                ack.distance_from(self.buf_seq)
                    .min((self.send_buf.len() - self.send_off) as u32)
            } else {
                0
            };
            self.send_off += data_acked as usize;
            self.buf_seq = self.buf_seq + data_acked;
            if self.send_off == self.send_buf.len() {
                // All acknowledged: the buffer serves whichever socket
                // sends next.
                buffers::recycle(&mut self.send_buf);
                self.send_off = 0;
            }
            self.stats.bytes_acked += u64::from(data_acked);
            self.snd_una = ack;
            if self.snd_nxt < ack {
                self.snd_nxt = ack;
            }
            self.retries = 0;
            self.take_rtt_sample(now, ack, repr.timestamp);
            let flight = self.snd_max.distance_from(self.snd_una);
            if self.cc.on_new_ack(ack, acked, flight, mss) == Reaction::RetransmitFirst {
                self.retransmit_first(now);
                self.set_timer(Timer::Retransmit, Some(now + self.rtt.rto()));
            }
            self.stats.cwnd = self.cc.window();
            // RFC 6298 §5.2 and §5.3.
            if self.snd_una == self.snd_max {
                self.set_timer(Timer::Retransmit, None);
            } else if !self.cc.in_recovery() {
                self.set_timer(Timer::Retransmit, Some(now + self.rtt.rto()));
            }
            if self.want_writable
                && self.send_buf.len() - self.send_off < self.config.send_buffer as usize
            {
                self.want_writable = false;
                self.report(Event::Writable);
            }
        } else if ack == self.snd_una
            && repr.payload.is_empty()
            && !repr.flags.contains(Flags::FIN)
            && window == self.snd_wnd
            && self.snd_max != self.snd_una
        {
            // RFC 5681 §2 duplicate ACK definition.
            self.stats.dup_acks_received += 1;
            let reaction = self.cc.on_duplicate_ack(self.snd_una, self.snd_max, mss);
            if reaction == Reaction::RetransmitFirst {
                self.stats.fast_retransmits += 1;
                self.retransmit_first(now);
                self.set_timer(Timer::Retransmit, Some(now + self.rtt.rto()));
            }
            self.stats.cwnd = self.cc.window();
        }
        // RFC 9293 §3.10.7.4: update the send window from the newest segment.
        if self.snd_wl1 < seq || (self.snd_wl1 == seq && self.snd_wl2 <= ack) {
            self.snd_wnd = window;
            self.max_snd_wnd = self.max_snd_wnd.max(window);
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
            if window > 0 {
                self.set_timer(Timer::Persist, None);
                if self.timer(Timer::Retransmit).is_none() {
                    self.retries = 0;
                }
            }
        }
        let fin_acked = self.fin_queued && self.snd_una > self.data_end();
        if fin_acked {
            match self.state {
                State::FinWait1 => self.set_state(State::FinWait2),
                State::Closing => self.enter_time_wait(now),
                State::LastAck => {
                    self.terminate(Event::Closed);
                }
                _ => {}
            }
        }
    }

    fn enter_time_wait(&mut self, now: Instant) {
        self.set_state(State::TimeWait);
        self.timers = [None; Timer::ALL.len()];
        self.set_timer(Timer::TimeWait, Some(now + self.config.time_wait));
    }

    fn on_data(&mut self, now: Instant, seq: SeqNumber, payload: &[u8], push: bool) {
        let end = seq + payload.len() as u32;
        if end > self.rcv_high {
            self.rcv_high = end;
        }
        // Trim what we already have and what lies beyond the window.
        let skip = if seq < self.rcv_nxt {
            self.rcv_nxt.distance_from(seq) as usize
        } else {
            0
        };
        if skip >= payload.len() {
            self.ack_due = AckDue::Now;
            return;
        }
        let start = seq + skip as u32;
        let room = self.window_to_advertise().max(self.current_window());
        let offset = start.distance_from(self.rcv_nxt);
        let fits = (room.saturating_sub(offset) as usize).min(payload.len() - skip);
        let data = &payload[skip..skip + fits];
        if data.is_empty() {
            self.ack_due = AckDue::Now;
            return;
        }
        if start != self.rcv_nxt {
            self.assembler.insert(start, data);
            // RFC 5681 §4.2: an out-of-order segment is acknowledged at once.
            self.ack_due = AckDue::Now;
            self.ack_is_duplicate = true;
            return;
        }
        let filled_hole = !self.assembler.is_empty();
        let unread = self.recv_buf.len();
        buffers::reserve(&mut self.recv_buf, data.len());
        self.recv_buf.extend_from_slice(data);
        let next = self.rcv_nxt + data.len() as u32;
        self.rcv_nxt = self.assembler.drain_into(next, &mut self.recv_buf);
        self.stats.bytes_received += (self.recv_buf.len() - unread) as u64;
        if !self.readable_signalled {
            self.readable_signalled = true;
            self.report(Event::Readable);
        }
        self.bytes_since_ack = self.bytes_since_ack.saturating_add(data.len() as u32);
        let _ = push;
        // RFC 5681 §4.2: ACK at least every second full-sized segment, and at
        // once when a hole is filled; otherwise delay.
        match self.config.delayed_ack {
            Some(delay) if !filled_hole && self.bytes_since_ack < 2 * self.eff_mss() => {
                if self.ack_due < AckDue::Delayed {
                    self.ack_due = AckDue::Delayed;
                }
                if self.timer(Timer::DelayedAck).is_none() {
                    self.set_timer(Timer::DelayedAck, Some(now + delay));
                }
            }
            _ => self.ack_due = AckDue::Now,
        }
        if let Some(fin_seq) = self.pending_fin {
            if fin_seq == self.rcv_nxt {
                self.pending_fin = None;
                self.on_fin(now);
            }
        }
    }

    fn on_fin(&mut self, now: Instant) {
        self.rcv_nxt = self.rcv_nxt + 1;
        self.ack_due = AckDue::Now;
        self.report(Event::PeerClosed);
        match self.state {
            State::SynReceived | State::Established => self.set_state(State::CloseWait),
            State::FinWait1 => {
                if self.snd_una > self.data_end() {
                    self.enter_time_wait(now);
                } else {
                    self.set_state(State::Closing);
                }
            }
            State::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }
}

/// RFC 7323 §4.1, §5.4: the timestamp clock, ticking once a millisecond
/// and wrapping at 2^32 ticks.
fn timestamp_clock(now: Instant) -> u32 {
    (now.as_nanos() / 1_000_000) as u32
}

/// RFC 9293 §3.10.7.1: the RST answering `repr` when no connection takes it.
pub(crate) fn reset_reply<'a>(repr: &Repr<'_>) -> Repr<'a> {
    let (flags, seq, ack) = match repr.ack_number {
        Some(ack) => (Flags::RST, ack, None),
        None => (
            Flags::RST.with(Flags::ACK),
            SeqNumber(0),
            Some(repr.seq_number + repr.segment_len()),
        ),
    };
    Repr {
        src_port: repr.dst_port,
        dst_port: repr.src_port,
        flags,
        seq_number: seq,
        ack_number: ack,
        window_len: 0,
        max_seg_size: None,
        window_scale: None,
        sack_permitted: false,
        timestamp: None,
        payload: &[],
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddrV4};

    use super::*;

    const ISS: SeqNumber = SeqNumber(1000);
    const IRS: SeqNumber = SeqNumber(5000);

    type Sent = (Flags, SeqNumber, Option<SeqNumber>, usize, Note);

    /// Drives a socket as its owner must, and collects what it sends and
    /// reports.
    #[derive(Default)]
    struct Recorder {
        sent: Vec<Sent>,
        events: Vec<Event>,
    }

    impl Recorder {
        /// Pulls segments and events in their order until there are none.
        fn pull(&mut self, socket: &mut Socket, now: Instant) {
            loop {
                if let Some(Transmit { repr, note }) = socket.poll_transmit(now) {
                    let flags = if repr.ack_number.is_some() {
                        repr.flags.with(Flags::ACK)
                    } else {
                        repr.flags
                    };
                    let sent = (
                        flags,
                        repr.seq_number,
                        repr.ack_number,
                        repr.payload.len(),
                        note,
                    );
                    self.sent.push(sent);
                } else if let Some(event) = socket.poll_event() {
                    self.events.push(event);
                } else {
                    break;
                }
            }
        }

        fn process(&mut self, socket: &mut Socket, now: Instant, repr: &Repr<'_>) {
            socket.handle_segment(now, repr);
            self.pull(socket, now);
        }

        fn on_wake(&mut self, socket: &mut Socket, now: Instant) {
            socket.handle_timeout(now);
            self.pull(socket, now);
        }

        /// The events meant for the application, without state changes and timers.
        fn for_application(&self) -> Vec<Event> {
            let logged_only = |e: &&Event| {
                matches!(
                    e,
                    Event::StateChanged { .. }
                        | Event::RetransmissionTimeout { .. }
                        | Event::OverrideTimeout
                        | Event::PersistTimeout
                        | Event::DelayedAckTimeout
                        | Event::TimeWaitOver
                )
            };
            self.events
                .iter()
                .filter(|e| !logged_only(e))
                .copied()
                .collect()
        }
    }

    fn at_ms(ms: u64) -> Instant {
        Instant::from_nanos(ms * 1_000_000)
    }

    fn segment(flags: Flags, seq: SeqNumber, ack: Option<SeqNumber>, payload: &[u8]) -> Repr<'_> {
        Repr {
            src_port: 443,
            dst_port: 49152,
            flags,
            seq_number: seq,
            ack_number: ack,
            window_len: 65535,
            max_seg_size: flags.contains(Flags::SYN).then_some(1460),
            window_scale: None,
            sack_permitted: false,
            timestamp: None,
            payload,
        }
    }

    fn client() -> (Socket, Recorder) {
        client_with(TcpConfig {
            timestamps: false,
            ..TcpConfig::default()
        })
    }

    fn client_with(config: TcpConfig) -> (Socket, Recorder) {
        let local = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152);
        let remote = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 443);
        let mut tcb = Socket::new(local, remote, config);
        let mut io = Recorder::default();
        tcb.connect(ISS, 1500);
        assert!(tcb.wants_transmit());
        io.pull(&mut tcb, at_ms(0));
        (tcb, io)
    }

    #[track_caller]
    fn established() -> (Socket, Recorder) {
        let (mut tcb, mut io) = client();
        let syn_ack = segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[]);
        io.process(&mut tcb, at_ms(10), &syn_ack);
        assert_eq!(tcb.state(), State::Established);
        io.sent.clear();
        io.events.clear();
        (tcb, io)
    }

    #[test]
    fn active_open_sends_syn_and_acknowledges_syn_ack() {
        let (mut tcb, mut io) = client();
        assert_eq!(tcb.state(), State::SynSent);
        assert_eq!(io.sent, [(Flags::SYN, ISS, None, 0, Note::Normal)]);
        let syn_ack = segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[]);
        io.process(&mut tcb, at_ms(10), &syn_ack);
        assert_eq!(tcb.state(), State::Established);
        assert_eq!(
            io.events,
            [
                Event::StateChanged {
                    from: State::Closed,
                    to: State::SynSent
                },
                Event::StateChanged {
                    from: State::SynSent,
                    to: State::Established
                },
                Event::Connected
            ]
        );
        assert_eq!(
            io.sent[1],
            (Flags::ACK, ISS + 1, Some(IRS + 1), 0, Note::Normal)
        );
        assert_eq!(tcb.stats.srtt, Some(Duration::from_millis(10)));
    }

    #[test]
    fn syn_ack_with_wrong_ack_draws_reset() {
        let (mut tcb, mut io) = client();
        let bad = segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 7), &[]);
        io.process(&mut tcb, at_ms(10), &bad);
        assert_eq!(tcb.state(), State::SynSent);
        assert_eq!(io.sent[1], (Flags::RST, ISS + 7, None, 0, Note::Normal));
    }

    #[test]
    fn syn_timeouts_back_off_and_finally_time_out() {
        let (mut tcb, mut io) = client();
        let mut expected_rto = Duration::from_secs(1);
        let mut now = at_ms(0);
        for attempt in 1..=15 {
            now += expected_rto;
            io.on_wake(&mut tcb, now);
            assert_eq!(io.sent.len(), attempt + 1);
            assert_eq!(io.sent[attempt].4, Note::Retransmission);
            expected_rto = expected_rto.saturating_mul(2).min(Duration::from_secs(60));
        }
        now += expected_rto;
        io.on_wake(&mut tcb, now);
        assert_eq!(tcb.state(), State::Closed);
        assert_eq!(io.for_application(), [Event::TimedOut]);
    }

    #[test]
    fn segments_data_at_mss_and_retransmits_on_three_dup_acks() {
        let (mut tcb, mut io) = established();
        assert_eq!(tcb.send(&[7u8; 5000]), 5000);
        io.pull(&mut tcb, at_ms(10));
        let lens: Vec<usize> = io.sent.iter().map(|s| s.3).collect();
        assert_eq!(lens, [1460, 1460, 1460, 620]);
        let dup = segment(Flags::ACK, IRS + 1, Some(ISS + 1), &[]);
        for _ in 0..3 {
            io.process(&mut tcb, at_ms(20), &dup);
        }
        assert_eq!(
            io.sent[4],
            (
                Flags::ACK,
                ISS + 1,
                Some(IRS + 1),
                1460,
                Note::Retransmission
            )
        );
        assert_eq!(tcb.stats.fast_retransmits, 1);
    }

    #[test]
    fn delays_ack_of_one_segment_and_acks_every_second_at_once() {
        let (mut tcb, mut io) = established();
        io.process(
            &mut tcb,
            at_ms(20),
            &segment(Flags::ACK, IRS + 1, Some(ISS + 1), &[1; 1460]),
        );
        assert!(io.sent.is_empty(), "first segment's ACK is delayed");
        io.process(
            &mut tcb,
            at_ms(21),
            &segment(Flags::ACK, IRS + 1461, Some(ISS + 1), &[2; 1460]),
        );
        assert_eq!(
            io.sent,
            [(Flags::ACK, ISS + 1, Some(IRS + 2921), 0, Note::Normal)]
        );
        io.process(
            &mut tcb,
            at_ms(22),
            &segment(Flags::ACK, IRS + 2921, Some(ISS + 1), &[3; 10]),
        );
        assert_eq!(io.sent.len(), 1);
        io.on_wake(&mut tcb, at_ms(62));
        assert_eq!(
            io.sent[1].2,
            Some(IRS + 2931),
            "delayed ACK fires after 40 ms"
        );
    }

    #[test]
    fn active_close_passes_through_time_wait() {
        let (mut tcb, mut io) = established();
        tcb.close();
        io.pull(&mut tcb, at_ms(20));
        assert_eq!(tcb.state(), State::FinWait1);
        assert_eq!(io.sent[0].0, Flags::FIN.with(Flags::ACK));
        io.process(
            &mut tcb,
            at_ms(30),
            &segment(Flags::ACK, IRS + 1, Some(ISS + 2), &[]),
        );
        assert_eq!(tcb.state(), State::FinWait2);
        let fin = segment(Flags::FIN.with(Flags::ACK), IRS + 1, Some(ISS + 2), &[]);
        io.process(&mut tcb, at_ms(31), &fin);
        assert_eq!(tcb.state(), State::TimeWait);
        assert_eq!(io.sent.last().unwrap().2, Some(IRS + 2));
        io.on_wake(&mut tcb, at_ms(31) + Duration::from_secs(60));
        assert_eq!(tcb.state(), State::Closed);
        assert!(tcb.is_finished());
        assert_eq!(io.events.last(), Some(&Event::Closed));
    }

    /// Connects with `timestamps`, sends 1000 bytes at 10 ms, lets the RTO
    /// fire at 210 ms and 610 ms, then acknowledges everything at 620 ms
    /// (echoing the retransmission's TSval); returns the RTO after that ACK.
    fn rto_after_acked_retransmission(timestamps: bool) -> Duration {
        let (mut tcb, mut io) = client_with(TcpConfig {
            timestamps,
            ..TcpConfig::default()
        });
        let syn_ack = Repr {
            timestamp: Some((1, 0)),
            ..segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[])
        };
        io.process(&mut tcb, at_ms(10), &syn_ack);
        assert_eq!(tcb.stats.srtt, Some(Duration::from_millis(10)));
        assert_eq!(tcb.send(&[1; 1000]), 1000);
        io.pull(&mut tcb, at_ms(10));
        io.on_wake(&mut tcb, at_ms(210));
        io.on_wake(&mut tcb, at_ms(610));
        assert_eq!(tcb.stats.timeouts, 2);
        assert_eq!(tcb.stats.rto, Duration::from_millis(800));
        let ack = Repr {
            timestamp: Some((2, 610)),
            ..segment(Flags::ACK, IRS + 1, Some(ISS + 1001), &[])
        };
        io.process(&mut tcb, at_ms(620), &ack);
        assert_eq!(tcb.stats.bytes_acked, 1000);
        tcb.stats.rto
    }

    #[test]
    fn with_timestamps_an_ack_of_retransmitted_data_ends_the_back_off() {
        // RFC 7323 §4.2: TSecr gives a valid 10 ms sample; RFC 6298 §2.4: 200 ms floor.
        assert_eq!(
            rto_after_acked_retransmission(true),
            Duration::from_millis(200)
        );
    }

    /// Connects with `timestamps` through a SYN sent twice (the RTO fires at
    /// 1 s), the SYN, ACK answering the second; returns the RTO for data.
    fn rto_after_handshake_timeout(timestamps: bool) -> Duration {
        let (mut tcb, mut io) = client_with(TcpConfig {
            timestamps,
            ..TcpConfig::default()
        });
        io.on_wake(&mut tcb, at_ms(1000));
        assert_eq!(io.sent.len(), 2, "the SYN again");
        let syn_ack = Repr {
            timestamp: timestamps.then_some((1, 1000)),
            ..segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[])
        };
        io.process(&mut tcb, at_ms(1010), &syn_ack);
        assert_eq!(tcb.state(), State::Established);
        tcb.stats().rto
    }

    #[test]
    fn a_handshake_timeout_without_an_rtt_sample_leaves_3_s_for_data() {
        // RFC 6298 §3 (Karn): no sample from the retransmitted SYN; §5.7: 3 s.
        assert_eq!(rto_after_handshake_timeout(false), Duration::from_secs(3));
    }

    #[test]
    fn a_handshake_timeout_with_an_rtt_sample_uses_the_sample() {
        // RFC 7323 §4.2: TSecr gives a 10 ms sample; RFC 6298 §2.4: 200 ms floor.
        assert_eq!(
            rto_after_handshake_timeout(true),
            Duration::from_millis(200)
        );
    }

    #[test]
    fn a_wholly_old_segment_still_sets_the_timestamp_to_echo() {
        let (mut tcb, mut io) = client_with(TcpConfig::default());
        let syn_ack = Repr {
            timestamp: Some((1, 0)),
            ..segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[])
        };
        io.process(&mut tcb, at_ms(10), &syn_ack);
        let data = Repr {
            timestamp: Some((100, 10)),
            ..segment(Flags::ACK, IRS + 1, Some(ISS + 1), &[1; 100])
        };
        io.process(&mut tcb, at_ms(20), &data);
        io.on_wake(&mut tcb, at_ms(100));
        assert_eq!(tcb.ts_recent, 100);
        // The peer's retransmission of data we have: our ACK of the first
        // copy was lost, and the answer must echo this copy (RFC 7323 §4.3).
        let again = Repr {
            timestamp: Some((5000, 10)),
            ..data
        };
        io.process(&mut tcb, at_ms(5000), &again);
        assert_eq!(tcb.ts_recent, 5000);
    }

    #[test]
    fn without_timestamps_karns_rule_keeps_the_back_off() {
        // RFC 6298 §3: no sample from retransmitted data; the RTO stays doubled.
        assert_eq!(
            rto_after_acked_retransmission(false),
            Duration::from_millis(800)
        );
    }

    fn ack_with_window(ack: SeqNumber, window: u16) -> Repr<'static> {
        Repr {
            window_len: window,
            ..segment(Flags::ACK, IRS + 1, Some(ack), &[])
        }
    }

    /// Seed 174 of `tcp-lossy`: the peer acknowledges everything with a
    /// window of 375 bytes, more than that waits, and the window update that
    /// follows is lost. The override timer must send the held-back bytes.
    #[test]
    fn lost_window_update_after_a_small_window_does_not_wedge_the_sender() {
        let (mut tcb, mut io) = established();
        assert_eq!(tcb.send(&[1; 2000]), 2000);
        io.pull(&mut tcb, at_ms(10));
        io.process(&mut tcb, at_ms(20), &ack_with_window(ISS + 2001, 375));
        assert_eq!(tcb.send(&[2; 1000]), 1000);
        io.pull(&mut tcb, at_ms(20));
        assert_eq!(
            io.sent.len(),
            2,
            "silly window avoidance holds the 375 bytes"
        );
        let deadline = tcb.poll_timeout().expect("a timer is armed");
        assert!(deadline <= at_ms(20) + Duration::from_secs(1));
        io.on_wake(&mut tcb, deadline);
        assert_eq!(
            io.sent[2],
            (Flags::ACK, ISS + 2001, Some(IRS + 1), 375, Note::Normal)
        );
        // The peer acknowledges the 375 bytes with its whole window open.
        io.process(&mut tcb, deadline, &ack_with_window(ISS + 2376, 65535));
        assert_eq!(
            io.sent[3],
            (
                Flags::ACK.with(Flags::PSH),
                ISS + 2376,
                Some(IRS + 1),
                625,
                Note::Normal
            )
        );
        io.process(&mut tcb, deadline, &ack_with_window(ISS + 3001, 65535));
        assert_eq!(tcb.stats.bytes_acked, 3000);
        assert_eq!(tcb.poll_timeout(), None, "nothing left to do");
    }

    #[test]
    fn lost_window_update_after_a_zero_window_is_probed() {
        let (mut tcb, mut io) = established();
        assert_eq!(tcb.send(&[1; 1000]), 1000);
        io.pull(&mut tcb, at_ms(10));
        io.process(&mut tcb, at_ms(20), &ack_with_window(ISS + 1001, 0));
        assert_eq!(tcb.send(&[2; 500]), 500);
        io.pull(&mut tcb, at_ms(20));
        assert_eq!(io.sent.len(), 1);
        let deadline = tcb.poll_timeout().expect("persist timer");
        io.on_wake(&mut tcb, deadline);
        assert_eq!(
            io.sent[1],
            (Flags::ACK, ISS + 1000, Some(IRS + 1), 0, Note::WindowProbe)
        );
        // The probe's answer carries the open window: the data follows.
        io.process(&mut tcb, deadline, &ack_with_window(ISS + 1001, 65535));
        assert_eq!(io.sent[2].3, 500);
    }

    /// Feeds `len` bytes in full-sized segments from `seq`, unread; returns the next sequence number.
    fn receive_unread(
        tcb: &mut Socket,
        io: &mut Recorder,
        mut seq: SeqNumber,
        len: usize,
    ) -> SeqNumber {
        let mut left = len;
        while left > 0 {
            let n = left.min(1460);
            let data = vec![0; n];
            io.process(
                tcb,
                at_ms(20),
                &segment(Flags::ACK, seq, Some(ISS + 1), &data),
            );
            seq = seq + n as u32;
            left -= n;
        }
        io.on_wake(tcb, at_ms(100));
        seq
    }

    #[test]
    fn reading_sends_a_window_update_only_when_the_window_was_nearly_shut() {
        let (mut tcb, mut io) = established();
        let seq = receive_unread(&mut tcb, &mut io, IRS + 1, 1000);
        let acks = io.sent.len();
        assert_eq!(tcb.current_window(), 64535);
        tcb.recv(None);
        io.pull(&mut tcb, at_ms(101));
        assert_eq!(io.sent.len(), acks, "the next ACK will carry the window");
        let seq = receive_unread(&mut tcb, &mut io, seq, 64435);
        assert_eq!(tcb.current_window(), 100);
        let acks = io.sent.len();
        tcb.recv(None);
        io.pull(&mut tcb, at_ms(101));
        // RFC 9293 §3.8.6.2.2: the window opens by far more than an MSS: say so.
        assert_eq!(io.sent.len(), acks + 1, "a window update");
        assert_eq!(io.sent[acks].2, Some(seq));
        assert_eq!(tcb.current_window(), 65535);
    }

    /// RFC 9293 §3.10.7.2: in LISTEN a RST is ignored, an ACK draws a RST
    /// with SEQ = SEG.ACK, and a SYN is answered with SYN, ACK.
    #[test]
    fn a_listening_socket_ignores_rst_resets_an_ack_and_answers_a_syn() {
        let local = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 443);
        let remote = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152);
        let mut tcb = Socket::new(local, remote, TcpConfig::default());
        let mut io = Recorder::default();
        tcb.accept(ISS, 1500);
        assert!(!tcb.wants_transmit());
        io.process(&mut tcb, at_ms(1), &segment(Flags::RST, IRS, None, &[]));
        assert!(io.sent.is_empty());
        let stray_ack = segment(Flags::ACK, IRS, Some(ISS + 77), &[]);
        io.process(&mut tcb, at_ms(2), &stray_ack);
        assert_eq!(io.sent, [(Flags::RST, ISS + 77, None, 0, Note::Normal)]);
        assert_eq!(tcb.state(), State::Listen);
        io.process(&mut tcb, at_ms(3), &segment(Flags::SYN, IRS, None, &[]));
        assert_eq!(tcb.state(), State::SynReceived);
        assert_eq!(
            io.sent[1],
            (
                Flags::SYN.with(Flags::ACK),
                ISS,
                Some(IRS + 1),
                0,
                Note::Normal
            )
        );
        assert_eq!(
            io.events,
            [Event::StateChanged {
                from: State::Listen,
                to: State::SynReceived
            }]
        );
    }

    #[test]
    fn reset_with_exact_sequence_closes_and_other_draws_challenge_ack() {
        let (mut tcb, mut io) = established();
        io.process(
            &mut tcb,
            at_ms(20),
            &segment(Flags::RST, IRS + 100, None, &[]),
        );
        assert_eq!(tcb.state(), State::Established);
        assert_eq!(io.sent.len(), 1, "challenge ACK");
        io.process(
            &mut tcb,
            at_ms(21),
            &segment(Flags::RST, IRS + 1, None, &[]),
        );
        assert_eq!(tcb.state(), State::Closed);
        assert_eq!(io.for_application(), [Event::Reset]);
    }
}
