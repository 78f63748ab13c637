//! One TCP connection's control block and its event processing (RFC 9293 §3.10).

use tlsim_sim::{Duration, Event, Instant, Kind, Layer};

use super::assembler::Assembler;
use super::congestion::{NewReno, Reaction};
use super::rtt::RttEstimator;
use super::{Endpoint, Io, Note, SocketStats, State, TcpConfig, Timer};
use crate::network::{SocketEvent, SocketId};
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

/// The transmission control block of one connection.
#[derive(Debug)]
pub(crate) struct Tcb {
    pub(crate) id: SocketId,
    pub(crate) endpoint: Endpoint,
    config: TcpConfig,
    pub(crate) state: State,
    /// Set once the connection has reached CLOSED and may be freed.
    pub(crate) finished: bool,
    /// Something changed outside of packet processing; dispatch at the next wake.
    pub(crate) dirty: bool,

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
    pub(crate) stats: SocketStats,
}

impl Tcb {
    /// A control block ready for reuse; call [`open`](Self::open) next.
    pub(crate) fn new(id: SocketId, endpoint: Endpoint, config: TcpConfig) -> Self {
        Tcb {
            id,
            endpoint,
            config,
            state: State::Closed,
            finished: false,
            dirty: false,
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

    /// Resets every field for a new connection, keeping the buffers' allocations.
    pub(crate) fn reuse(&mut self, id: SocketId, endpoint: Endpoint, config: TcpConfig) {
        let mut send_buf = core::mem::take(&mut self.send_buf);
        let mut recv_buf = core::mem::take(&mut self.recv_buf);
        let mut assembler = core::mem::take(&mut self.assembler);
        send_buf.clear();
        recv_buf.clear();
        assembler.clear();
        *self = Tcb::new(id, endpoint, config);
        self.send_buf = send_buf;
        self.recv_buf = recv_buf;
        self.assembler = assembler;
    }

    /// Sets the ISN and MSS and enters SYN-SENT (active) or prepares for a
    /// SYN in LISTEN (passive). `route_mtu` clamps our MSS.
    pub(crate) fn open(
        &mut self,
        now: Instant,
        iss: SeqNumber,
        route_mtu: u16,
        active: bool,
        io: &mut dyn Io,
    ) {
        self.endpoint.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = iss;
        self.snd_max = iss;
        self.buf_seq = iss + 1;
        self.cc = NewReno::new(iss);
        self.own_mss = self.config.mss.min(route_mtu.saturating_sub(40)).max(1);
        self.stats.rto = self.rtt.rto();
        if active {
            self.set_state(now, State::SynSent, io);
        } else {
            // The network opens a passive socket when a SYN reaches a
            // listening port, and hands it that SYN at once: its LISTEN
            // lasts no time, and the log shows the listener's.
            debug_assert!(self.state.can_become(State::Listen));
            self.state = State::Listen;
        }
        self.dirty = active;
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
    pub(crate) fn unfinished_bytes(&self) -> (u64, u64) {
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
    pub(crate) fn closed_by_application(&self) -> bool {
        self.fin_queued
    }

    fn unread(&self) -> usize {
        self.recv_buf.len()
    }

    fn is_synchronised(&self) -> bool {
        !matches!(self.state, State::Closed | State::Listen | State::SynSent)
    }

    /// The earliest instant this socket needs a wake-up: a timer, or now if dirty.
    pub(crate) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        if self.finished {
            return None;
        }
        let timers = self.timers.iter().flatten().copied().min();
        if self.dirty { Some(now) } else { timers }
    }

    fn set_timer(&mut self, timer: Timer, at: Option<Instant>) {
        self.timers[timer as usize] = at;
    }

    fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers[timer as usize]
    }

    fn set_state(&mut self, now: Instant, next: State, io: &mut dyn Io) {
        if self.state == next {
            return;
        }
        if io.tracer().enabled() {
            let title = format!("TCP state {} -> {}", self.state, next);
            let mut event = Event::new(
                now,
                io.host_name(self.endpoint.host),
                Kind::State,
                Layer::Tcp,
                title,
            )
            .conn(self.endpoint.conn);
            if next == State::SynSent {
                event = event
                    .field("Src Port", self.endpoint.local.port())
                    .field("Dst Port", self.endpoint.remote.port());
            }
            io.tracer().record(event);
        }
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
                self.send_buf = Vec::new();
                self.send_off = 0;
            }
            if self.recv_buf.is_empty() {
                self.recv_buf = Vec::new();
            }
        }
    }

    fn log_timer(
        &self,
        now: Instant,
        title: &'static str,
        io: &mut dyn Io,
        rto: Option<(Duration, u32)>,
    ) {
        if io.tracer().enabled() {
            let mut event = Event::new(
                now,
                io.host_name(self.endpoint.host),
                Kind::Timer,
                Layer::Tcp,
                title,
            )
            .conn(self.endpoint.conn);
            if let Some((rto, backoff)) = rto {
                event = event.field("RTO", rto).field("Back-off", backoff);
            }
            io.tracer().record(event);
        }
    }

    /// Ends the connection: CLOSED, timers stopped, `event` for the application.
    fn terminate(&mut self, now: Instant, event: SocketEvent, io: &mut dyn Io) {
        self.set_state(now, State::Closed, io);
        self.timers = [None; Timer::ALL.len()];
        self.finished = !self.pending_rst;
        io.event(event);
    }

    // ---- Application calls -------------------------------------------------

    /// Queues data; returns the bytes accepted (up to the free send buffer).
    pub(crate) fn send(&mut self, data: &[u8]) -> usize {
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
            self.send_buf.extend_from_slice(&data[..n]);
            self.stats.bytes_sent += n as u64;
            self.dirty = true;
        }
        n
    }

    /// Moves in-order received bytes to `out` (or drops them when `out` is
    /// `None`); may schedule a window update.
    pub(crate) fn recv(&mut self, out: Option<&mut Vec<u8>>) -> usize {
        let n = self.unread();
        if let Some(out) = out {
            out.extend_from_slice(&self.recv_buf);
        }
        self.recv_buf.clear();
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
            self.dirty = true;
        }
        n
    }

    /// RFC 9293 §3.10.4 CLOSE.
    pub(crate) fn close(&mut self, now: Instant, io: &mut dyn Io) {
        match self.state {
            State::Closed => {}
            State::Listen | State::SynSent => {
                let id = self.id;
                self.terminate(now, SocketEvent::Closed(id), io);
            }
            State::SynReceived | State::Established => {
                self.fin_queued = true;
                self.set_state(now, State::FinWait1, io);
                self.dirty = true;
            }
            State::CloseWait => {
                self.fin_queued = true;
                self.set_state(now, State::LastAck, io);
                self.dirty = true;
            }
            _ => {}
        }
    }

    /// RFC 9293 §3.10.5 ABORT: RST in synchronised states, then CLOSED.
    pub(crate) fn abort(&mut self, now: Instant, io: &mut dyn Io) {
        if self.state == State::Closed {
            return;
        }
        if self.is_synchronised() && self.state != State::TimeWait {
            self.pending_rst = true;
            self.dirty = true;
        }
        let id = self.id;
        self.terminate(now, SocketEvent::Closed(id), io);
    }

    // ---- Timers ----------------------------------------------------------------

    /// Fires due timers (in [`Timer::ALL`] order), then sends what is due.
    pub(crate) fn on_wake(&mut self, now: Instant, io: &mut dyn Io) {
        for timer in Timer::ALL {
            if self.finished {
                return;
            }
            match self.timer(timer) {
                Some(at) if at <= now => {
                    self.set_timer(timer, None);
                    self.fire(now, timer, io);
                }
                _ => {}
            }
        }
        self.dispatch(now, io);
    }

    fn fire(&mut self, now: Instant, timer: Timer, io: &mut dyn Io) {
        match timer {
            Timer::Retransmit => self.on_retransmit_timeout(now, io),
            Timer::Persist if self.usable_window() > 0 => {
                // RFC 9293 §3.8.6.2.1, RFC 1122 §4.2.3.4: the override timeout
                // sends the segment that sender-side SWS avoidance held back,
                // so a lost window update cannot leave it waiting for ever.
                self.log_timer(now, "TCP override timer fired", io, None);
                self.sws_override = true;
            }
            Timer::Persist => {
                self.log_timer(now, "TCP persist timer fired", io, None);
                self.retries = self.retries.saturating_add(1);
                if self.retries > self.config.max_retransmissions {
                    let id = self.id;
                    self.terminate(now, SocketEvent::TimedOut(id), io);
                    return;
                }
                self.send_window_probe(now, io);
                let interval = self.backed_off(self.rtt.rto(), self.retries);
                self.set_timer(Timer::Persist, Some(now + interval));
            }
            Timer::DelayedAck => {
                self.log_timer(now, "TCP delayed ACK fired", io, None);
                self.ack_due = AckDue::Now;
            }
            Timer::TimeWait => {
                self.log_timer(now, "TCP TIME-WAIT expired", io, None);
                let id = self.id;
                self.terminate(now, SocketEvent::Closed(id), io);
            }
        }
    }

    fn backed_off(&self, base: Duration, times: u32) -> Duration {
        base.saturating_mul(1u64 << times.min(32))
            .min(self.config.max_rto)
    }

    fn on_retransmit_timeout(&mut self, now: Instant, io: &mut dyn Io) {
        self.retries = self.retries.saturating_add(1);
        self.stats.timeouts += 1;
        self.log_timer(
            now,
            "TCP RTO fired",
            io,
            Some((self.rtt.rto(), self.retries)),
        );
        if self.retries > self.config.max_retransmissions {
            let id = self.id;
            self.terminate(now, SocketEvent::TimedOut(id), io);
            return;
        }
        // RFC 6298 §5.5: back off the timer.
        self.rtt.back_off();
        self.stats.rto = self.rtt.rto();
        // RFC 6298 §3 (Karn): no RTT sample from a retransmitted segment.
        self.rtt_probe = None;
        if matches!(self.state, State::SynSent | State::SynReceived) {
            self.snd_nxt = self.endpoint.iss;
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

    fn segment<'a>(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        flags: Flags,
        payload: &'a [u8],
    ) -> Repr<'a> {
        let synchronised = self.state != State::SynSent || flags.contains(Flags::ACK);
        let ack_number = (synchronised
            && (!flags.contains(Flags::RST) || flags.contains(Flags::ACK)))
        .then_some(self.rcv_nxt);
        let syn = flags.contains(Flags::SYN);
        Repr {
            src_port: self.endpoint.local.port(),
            dst_port: self.endpoint.remote.port(),
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
            payload,
        }
    }

    fn emit(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        flags: Flags,
        len: u32,
        note: Note,
        io: &mut dyn Io,
    ) {
        let start = self.send_off + seq.distance_from(self.buf_seq) as usize;
        let send_buf = core::mem::take(&mut self.send_buf);
        let payload =
            &send_buf[start.min(send_buf.len())..(start + len as usize).min(send_buf.len())];
        let repr = self.segment(now, seq, flags, payload);
        if let Some(ack) = repr.ack_number {
            self.last_ack_sent = ack;
            self.ack_due = AckDue::No;
            self.ack_is_duplicate = false;
            self.bytes_since_ack = 0;
            self.set_timer(Timer::DelayedAck, None);
        }
        io.transmit(now, &self.endpoint, &repr, note);
        self.send_buf = send_buf;
        self.stats.segments_sent += 1;
        if note == Note::Retransmission {
            self.stats.retransmissions += 1;
        }
    }

    fn arm_retransmit(&mut self, now: Instant) {
        if self.timer(Timer::Retransmit).is_none() {
            self.set_timer(Timer::Retransmit, Some(now + self.rtt.rto()));
        }
    }

    /// Sends the segment that starts at `seq` again, without moving `snd_nxt`.
    fn retransmit_first(&mut self, now: Instant, io: &mut dyn Io) {
        let data_end = self.data_end();
        let seq = self.snd_una;
        if seq < data_end {
            let len = data_end.distance_from(seq).min(self.eff_mss());
            let fin = self.fin_queued && seq + len == data_end && self.snd_max > data_end;
            let mut flags = Flags::ACK;
            if fin {
                flags = flags.with(Flags::FIN);
            }
            self.emit(now, seq, flags, len, Note::Retransmission, io);
        } else if self.fin_queued && self.snd_max > data_end {
            self.emit(
                now,
                data_end,
                Flags::ACK.with(Flags::FIN),
                0,
                Note::Retransmission,
                io,
            );
        }
        self.rtt_probe = None;
    }

    fn send_window_probe(&mut self, now: Instant, io: &mut dyn Io) {
        self.emit(now, self.snd_una - 1, Flags::ACK, 0, Note::WindowProbe, io);
    }

    /// Sends whatever is due: SYN, data within the windows, FIN, RST, ACK.
    pub(crate) fn dispatch(&mut self, now: Instant, io: &mut dyn Io) {
        self.dirty = false;
        if self.pending_rst {
            self.pending_rst = false;
            self.emit(
                now,
                self.snd_nxt,
                Flags::RST.with(Flags::ACK),
                0,
                Note::Normal,
                io,
            );
            self.finished = true;
            return;
        }
        match self.state {
            State::Closed | State::Listen => return,
            State::SynSent | State::SynReceived => {
                if self.snd_nxt == self.endpoint.iss || self.ack_due == AckDue::Now {
                    let retransmission = self.snd_max != self.endpoint.iss;
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
                    self.emit(now, self.endpoint.iss, flags, 0, note, io);
                    self.snd_nxt = self.endpoint.iss + 1;
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
            self.emit(now, seq, flags, len, note, io);
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
            self.emit(now, self.snd_max, Flags::ACK, 0, note, io);
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

    fn take_peer_options(&mut self, repr: &Repr<'_>) {
        self.peer_mss = repr.max_seg_size.unwrap_or(DEFAULT_PEER_MSS).max(1);
        self.timestamps = self.config.timestamps && repr.timestamp.is_some();
    }

    fn start_congestion_control(&mut self) {
        self.cc
            .start(self.config.initial_cwnd_segments, self.eff_mss());
        self.stats.cwnd = self.cc.window();
    }

    /// RFC 9293 §3.10.7.2: a SYN reaching a listening port. The network created
    /// this block for it in LISTEN.
    pub(crate) fn on_listen_syn(&mut self, now: Instant, repr: &Repr<'_>, io: &mut dyn Io) {
        self.endpoint.irs = repr.seq_number;
        self.rcv_nxt = repr.seq_number + 1;
        self.rcv_high = self.rcv_nxt;
        self.take_peer_options(repr);
        if let Some((tsval, _)) = repr.timestamp {
            self.ts_recent = tsval;
        }
        self.snd_wnd = u32::from(repr.window_len);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = repr.seq_number;
        self.set_state(now, State::SynReceived, io);
        self.dispatch(now, io);
    }

    /// RFC 9293 §3.10.7: a segment for this connection, checksum already verified.
    pub(crate) fn process(&mut self, now: Instant, repr: &Repr<'_>, io: &mut dyn Io) {
        self.stats.segments_received += 1;
        match self.state {
            State::Closed | State::Listen => {}
            State::SynSent => self.process_syn_sent(now, repr, io),
            _ => self.process_synchronised(now, repr, io),
        }
        if !self.finished {
            self.dispatch(now, io);
        }
    }

    /// RFC 9293 §3.10.7.3.
    fn process_syn_sent(&mut self, now: Instant, repr: &Repr<'_>, io: &mut dyn Io) {
        let iss = self.endpoint.iss;
        if let Some(ack) = repr.ack_number {
            if ack <= iss || ack > self.snd_max {
                if !repr.flags.contains(Flags::RST) {
                    // Unacceptable ACK: RST with SEQ = SEG.ACK, sent by the network.
                    io.transmit(now, &self.endpoint, &self.reset_for(repr), Note::Normal);
                }
                return;
            }
        }
        if repr.flags.contains(Flags::RST) {
            if repr.ack_number.is_some() {
                let id = self.id;
                self.terminate(now, SocketEvent::Reset(id), io);
            }
            return;
        }
        if !repr.flags.contains(Flags::SYN) {
            return;
        }
        self.endpoint.irs = repr.seq_number;
        self.rcv_nxt = repr.seq_number + 1;
        self.rcv_high = self.rcv_nxt;
        self.take_peer_options(repr);
        if let Some((tsval, _)) = repr.timestamp {
            self.ts_recent = tsval;
        }
        self.snd_wnd = u32::from(repr.window_len);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = repr.seq_number;
        match repr.ack_number {
            Some(ack) => {
                self.snd_una = ack;
                self.snd_wl2 = ack;
                self.take_rtt_sample(now, ack, repr.timestamp);
                self.set_timer(Timer::Retransmit, None);
                self.retries = 0;
                self.start_congestion_control();
                self.set_state(now, State::Established, io);
                self.ack_due = AckDue::Now;
                io.event(SocketEvent::Connected(self.id));
            }
            None => {
                // Simultaneous open: answer with SYN, ACK.
                self.set_state(now, State::SynReceived, io);
                self.snd_nxt = iss;
            }
        }
    }

    /// RFC 9293 §3.10.7.1: the reset answering a segment that has no place here.
    pub(crate) fn reset_for<'a>(&self, repr: &Repr<'_>) -> Repr<'a> {
        reset_reply(repr)
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

    fn process_synchronised(&mut self, now: Instant, repr: &Repr<'_>, io: &mut dyn Io) {
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
                let id = self.id;
                self.terminate(now, SocketEvent::Reset(id), io);
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
                self.snd_una = ack;
                self.snd_wnd = u32::from(repr.window_len);
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = seq;
                self.snd_wl2 = ack;
                self.take_rtt_sample(now, ack, repr.timestamp);
                self.set_timer(Timer::Retransmit, None);
                self.retries = 0;
                self.start_congestion_control();
                self.set_state(now, State::Established, io);
                io.event(SocketEvent::Accepted {
                    host: self.endpoint.host,
                    port: self.endpoint.local.port(),
                    socket: self.id,
                });
            } else {
                io.transmit(now, &self.endpoint, &reset_reply(repr), Note::Normal);
                return;
            }
        }
        if ack > self.snd_max {
            // RFC 9293 §3.10.7.4: ACK of something not yet sent.
            self.ack_due = AckDue::Now;
            return;
        }
        self.on_ack(now, repr, ack, io);
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
            self.on_data(now, seq, repr.payload, repr.flags.contains(Flags::PSH), io);
        }
        // Eighth: FIN.
        if repr.flags.contains(Flags::FIN) {
            let fin_seq = seq + repr.payload.len() as u32;
            if fin_seq == self.rcv_nxt {
                self.on_fin(now, io);
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

    fn on_ack(&mut self, now: Instant, repr: &Repr<'_>, ack: SeqNumber, io: &mut dyn Io) {
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
                self.send_buf.clear();
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
                self.retransmit_first(now, io);
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
                io.event(SocketEvent::Writable(self.id));
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
                self.retransmit_first(now, io);
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
                State::FinWait1 => self.set_state(now, State::FinWait2, io),
                State::Closing => self.enter_time_wait(now, io),
                State::LastAck => {
                    let id = self.id;
                    self.terminate(now, SocketEvent::Closed(id), io);
                }
                _ => {}
            }
        }
    }

    fn enter_time_wait(&mut self, now: Instant, io: &mut dyn Io) {
        self.set_state(now, State::TimeWait, io);
        self.timers = [None; Timer::ALL.len()];
        self.set_timer(Timer::TimeWait, Some(now + self.config.time_wait));
    }

    fn on_data(
        &mut self,
        now: Instant,
        seq: SeqNumber,
        payload: &[u8],
        push: bool,
        io: &mut dyn Io,
    ) {
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
        self.recv_buf.extend_from_slice(data);
        let next = self.rcv_nxt + data.len() as u32;
        self.rcv_nxt = self.assembler.drain_into(next, &mut self.recv_buf);
        self.stats.bytes_received += (self.recv_buf.len() - unread) as u64;
        if !self.readable_signalled {
            self.readable_signalled = true;
            io.event(SocketEvent::Readable(self.id));
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
                self.on_fin(now, io);
            }
        }
    }

    fn on_fin(&mut self, now: Instant, io: &mut dyn Io) {
        self.rcv_nxt = self.rcv_nxt + 1;
        self.ack_due = AckDue::Now;
        io.event(SocketEvent::PeerClosed(self.id));
        match self.state {
            State::SynReceived | State::Established => self.set_state(now, State::CloseWait, io),
            State::FinWait1 => {
                if self.snd_una > self.data_end() {
                    self.enter_time_wait(now, io);
                } else {
                    self.set_state(now, State::Closing, io);
                }
            }
            State::FinWait2 => self.enter_time_wait(now, io),
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

    use tlsim_sim::{NullTracer, Tracer};

    use super::*;
    use crate::network::HostId;

    const ISS: SeqNumber = SeqNumber(1000);
    const IRS: SeqNumber = SeqNumber(5000);

    /// Collects what the socket sends and signals.
    #[derive(Default)]
    struct Recorder {
        sent: Vec<(Flags, SeqNumber, Option<SeqNumber>, usize, Note)>,
        events: Vec<SocketEvent>,
        tracer: NullTracer,
    }

    impl Io for Recorder {
        fn transmit(&mut self, _now: Instant, _from: &Endpoint, repr: &Repr<'_>, note: Note) {
            let flags = if repr.ack_number.is_some() {
                repr.flags.with(Flags::ACK)
            } else {
                repr.flags
            };
            self.sent.push((
                flags,
                repr.seq_number,
                repr.ack_number,
                repr.payload.len(),
                note,
            ));
        }
        fn event(&mut self, event: SocketEvent) {
            self.events.push(event);
        }
        fn tracer(&mut self) -> &mut dyn Tracer {
            &mut self.tracer
        }
        fn host_name(&self, _host: HostId) -> &str {
            "host"
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

    fn client() -> (Tcb, Recorder) {
        client_with(TcpConfig {
            timestamps: false,
            ..TcpConfig::default()
        })
    }

    fn client_with(config: TcpConfig) -> (Tcb, Recorder) {
        let endpoint = Endpoint {
            host: HostId(0),
            peer_host: HostId(1),
            conn: 1,
            route: 0,
            local: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152),
            remote: SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 443),
            iss: SeqNumber(0),
            irs: SeqNumber(0),
        };
        let mut tcb = Tcb::new(SocketId(1), endpoint, config);
        let mut io = Recorder::default();
        tcb.open(at_ms(0), ISS, 1500, true, &mut io);
        tcb.dispatch(at_ms(0), &mut io);
        (tcb, io)
    }

    #[track_caller]
    fn established() -> (Tcb, Recorder) {
        let (mut tcb, mut io) = client();
        let syn_ack = segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[]);
        tcb.process(at_ms(10), &syn_ack, &mut io);
        assert_eq!(tcb.state, State::Established);
        io.sent.clear();
        io.events.clear();
        (tcb, io)
    }

    #[test]
    fn active_open_sends_syn_and_acknowledges_syn_ack() {
        let (mut tcb, mut io) = client();
        assert_eq!(tcb.state, State::SynSent);
        assert_eq!(io.sent, [(Flags::SYN, ISS, None, 0, Note::Normal)]);
        let syn_ack = segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[]);
        tcb.process(at_ms(10), &syn_ack, &mut io);
        assert_eq!(tcb.state, State::Established);
        assert_eq!(io.events, [SocketEvent::Connected(SocketId(1))]);
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
        tcb.process(at_ms(10), &bad, &mut io);
        assert_eq!(tcb.state, State::SynSent);
        assert_eq!(io.sent[1], (Flags::RST, ISS + 7, None, 0, Note::Normal));
    }

    #[test]
    fn syn_timeouts_back_off_and_finally_time_out() {
        let (mut tcb, mut io) = client();
        let mut expected_rto = Duration::from_secs(1);
        let mut now = at_ms(0);
        for attempt in 1..=15 {
            now += expected_rto;
            tcb.on_wake(now, &mut io);
            assert_eq!(io.sent.len(), attempt + 1);
            assert_eq!(io.sent[attempt].4, Note::Retransmission);
            expected_rto = expected_rto.saturating_mul(2).min(Duration::from_secs(60));
        }
        now += expected_rto;
        tcb.on_wake(now, &mut io);
        assert_eq!(tcb.state, State::Closed);
        assert_eq!(io.events, [SocketEvent::TimedOut(SocketId(1))]);
    }

    #[test]
    fn segments_data_at_mss_and_retransmits_on_three_dup_acks() {
        let (mut tcb, mut io) = established();
        assert_eq!(tcb.send(&[7u8; 5000]), 5000);
        tcb.dispatch(at_ms(10), &mut io);
        let lens: Vec<usize> = io.sent.iter().map(|s| s.3).collect();
        assert_eq!(lens, [1460, 1460, 1460, 620]);
        let dup = segment(Flags::ACK, IRS + 1, Some(ISS + 1), &[]);
        for _ in 0..3 {
            tcb.process(at_ms(20), &dup, &mut io);
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
        tcb.process(
            at_ms(20),
            &segment(Flags::ACK, IRS + 1, Some(ISS + 1), &[1; 1460]),
            &mut io,
        );
        assert!(io.sent.is_empty(), "first segment's ACK is delayed");
        tcb.process(
            at_ms(21),
            &segment(Flags::ACK, IRS + 1461, Some(ISS + 1), &[2; 1460]),
            &mut io,
        );
        assert_eq!(
            io.sent,
            [(Flags::ACK, ISS + 1, Some(IRS + 2921), 0, Note::Normal)]
        );
        tcb.process(
            at_ms(22),
            &segment(Flags::ACK, IRS + 2921, Some(ISS + 1), &[3; 10]),
            &mut io,
        );
        assert_eq!(io.sent.len(), 1);
        tcb.on_wake(at_ms(62), &mut io);
        assert_eq!(
            io.sent[1].2,
            Some(IRS + 2931),
            "delayed ACK fires after 40 ms"
        );
    }

    #[test]
    fn active_close_passes_through_time_wait() {
        let (mut tcb, mut io) = established();
        tcb.close(at_ms(20), &mut io);
        tcb.dispatch(at_ms(20), &mut io);
        assert_eq!(tcb.state, State::FinWait1);
        assert_eq!(io.sent[0].0, Flags::FIN.with(Flags::ACK));
        tcb.process(
            at_ms(30),
            &segment(Flags::ACK, IRS + 1, Some(ISS + 2), &[]),
            &mut io,
        );
        assert_eq!(tcb.state, State::FinWait2);
        let fin = segment(Flags::FIN.with(Flags::ACK), IRS + 1, Some(ISS + 2), &[]);
        tcb.process(at_ms(31), &fin, &mut io);
        assert_eq!(tcb.state, State::TimeWait);
        assert_eq!(io.sent.last().unwrap().2, Some(IRS + 2));
        tcb.on_wake(at_ms(31) + Duration::from_secs(60), &mut io);
        assert_eq!(tcb.state, State::Closed);
        assert!(tcb.finished);
        assert_eq!(io.events.last(), Some(&SocketEvent::Closed(SocketId(1))));
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
        tcb.process(at_ms(10), &syn_ack, &mut io);
        assert_eq!(tcb.stats.srtt, Some(Duration::from_millis(10)));
        assert_eq!(tcb.send(&[1; 1000]), 1000);
        tcb.dispatch(at_ms(10), &mut io);
        tcb.on_wake(at_ms(210), &mut io);
        tcb.on_wake(at_ms(610), &mut io);
        assert_eq!(tcb.stats.timeouts, 2);
        assert_eq!(tcb.stats.rto, Duration::from_millis(800));
        let ack = Repr {
            timestamp: Some((2, 610)),
            ..segment(Flags::ACK, IRS + 1, Some(ISS + 1001), &[])
        };
        tcb.process(at_ms(620), &ack, &mut io);
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

    #[test]
    fn a_wholly_old_segment_still_sets_the_timestamp_to_echo() {
        let (mut tcb, mut io) = client_with(TcpConfig::default());
        let syn_ack = Repr {
            timestamp: Some((1, 0)),
            ..segment(Flags::SYN.with(Flags::ACK), IRS, Some(ISS + 1), &[])
        };
        tcb.process(at_ms(10), &syn_ack, &mut io);
        let data = Repr {
            timestamp: Some((100, 10)),
            ..segment(Flags::ACK, IRS + 1, Some(ISS + 1), &[1; 100])
        };
        tcb.process(at_ms(20), &data, &mut io);
        tcb.on_wake(at_ms(100), &mut io);
        assert_eq!(tcb.ts_recent, 100);
        // The peer's retransmission of data we have: our ACK of the first
        // copy was lost, and the answer must echo this copy (RFC 7323 §4.3).
        let again = Repr {
            timestamp: Some((5000, 10)),
            ..data
        };
        tcb.process(at_ms(5000), &again, &mut io);
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
        tcb.dispatch(at_ms(10), &mut io);
        tcb.process(at_ms(20), &ack_with_window(ISS + 2001, 375), &mut io);
        assert_eq!(tcb.send(&[2; 1000]), 1000);
        tcb.dispatch(at_ms(20), &mut io);
        assert_eq!(
            io.sent.len(),
            2,
            "silly window avoidance holds the 375 bytes"
        );
        let deadline = tcb.next_deadline(at_ms(20)).expect("a timer is armed");
        assert!(deadline <= at_ms(20) + Duration::from_secs(1));
        tcb.on_wake(deadline, &mut io);
        assert_eq!(
            io.sent[2],
            (Flags::ACK, ISS + 2001, Some(IRS + 1), 375, Note::Normal)
        );
        // The peer acknowledges the 375 bytes with its whole window open.
        tcb.process(deadline, &ack_with_window(ISS + 2376, 65535), &mut io);
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
        tcb.process(deadline, &ack_with_window(ISS + 3001, 65535), &mut io);
        assert_eq!(tcb.stats.bytes_acked, 3000);
        assert_eq!(tcb.next_deadline(deadline), None, "nothing left to do");
    }

    #[test]
    fn lost_window_update_after_a_zero_window_is_probed() {
        let (mut tcb, mut io) = established();
        assert_eq!(tcb.send(&[1; 1000]), 1000);
        tcb.dispatch(at_ms(10), &mut io);
        tcb.process(at_ms(20), &ack_with_window(ISS + 1001, 0), &mut io);
        assert_eq!(tcb.send(&[2; 500]), 500);
        tcb.dispatch(at_ms(20), &mut io);
        assert_eq!(io.sent.len(), 1);
        let deadline = tcb.next_deadline(at_ms(20)).expect("persist timer");
        tcb.on_wake(deadline, &mut io);
        assert_eq!(
            io.sent[1],
            (Flags::ACK, ISS + 1000, Some(IRS + 1), 0, Note::WindowProbe)
        );
        // The probe's answer carries the open window: the data follows.
        tcb.process(deadline, &ack_with_window(ISS + 1001, 65535), &mut io);
        assert_eq!(io.sent[2].3, 500);
    }

    /// Feeds `len` bytes in full-sized segments from `seq`, unread; returns the next sequence number.
    fn receive_unread(
        tcb: &mut Tcb,
        io: &mut Recorder,
        mut seq: SeqNumber,
        len: usize,
    ) -> SeqNumber {
        let mut left = len;
        while left > 0 {
            let n = left.min(1460);
            tcb.process(
                at_ms(20),
                &segment(Flags::ACK, seq, Some(ISS + 1), &vec![0; n]),
                io,
            );
            seq = seq + n as u32;
            left -= n;
        }
        tcb.on_wake(at_ms(100), io);
        seq
    }

    #[test]
    fn reading_sends_a_window_update_only_when_the_window_was_nearly_shut() {
        let (mut tcb, mut io) = established();
        let seq = receive_unread(&mut tcb, &mut io, IRS + 1, 1000);
        let acks = io.sent.len();
        assert_eq!(tcb.current_window(), 64535);
        tcb.recv(None);
        tcb.dispatch(at_ms(101), &mut io);
        assert_eq!(io.sent.len(), acks, "the next ACK will carry the window");
        let seq = receive_unread(&mut tcb, &mut io, seq, 64435);
        assert_eq!(tcb.current_window(), 100);
        let acks = io.sent.len();
        tcb.recv(None);
        tcb.dispatch(at_ms(101), &mut io);
        // RFC 9293 §3.8.6.2.2: the window opens by far more than an MSS: say so.
        assert_eq!(io.sent.len(), acks + 1, "a window update");
        assert_eq!(io.sent[acks].2, Some(seq));
        assert_eq!(tcb.current_window(), 65535);
    }

    #[test]
    fn reset_with_exact_sequence_closes_and_other_draws_challenge_ack() {
        let (mut tcb, mut io) = established();
        tcb.process(
            at_ms(20),
            &segment(Flags::RST, IRS + 100, None, &[]),
            &mut io,
        );
        assert_eq!(tcb.state, State::Established);
        assert_eq!(io.sent.len(), 1, "challenge ACK");
        tcb.process(at_ms(21), &segment(Flags::RST, IRS + 1, None, &[]), &mut io);
        assert_eq!(tcb.state, State::Closed);
        assert_eq!(io.events, [SocketEvent::Reset(SocketId(1))]);
    }
}
