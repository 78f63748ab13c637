//! Congestion control: slow start and congestion avoidance (RFC 5681 §3.1)
//! with NewReno fast retransmit and fast recovery (RFC 6582 §3.2).
//!
//! The controller only keeps the window arithmetic; the socket sends what it
//! says to resend and runs the retransmission timer.

use crate::wire::tcp::SeqNumber;

/// What the socket must do after an ACK the controller has seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reaction {
    /// Nothing beyond sending what the windows allow.
    None,
    /// Resend the first unacknowledged segment and restart the timer:
    /// a fast retransmit, or the next hole after a partial ACK.
    RetransmitFirst,
}

/// NewReno's state for one connection, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NewReno {
    cwnd: u32,
    ssthresh: u32,
    dup_acks: u32,
    /// `Some(recover)` while in fast recovery.
    recovery: Option<SeqNumber>,
    /// RFC 6582 §3.2 step 1: the highest sequence sent when the last
    /// recovery or timeout began; three duplicate ACKs below it start none.
    recover: SeqNumber,
}

impl NewReno {
    /// Before the connection is established: no window yet.
    pub(crate) fn new(iss: SeqNumber) -> Self {
        NewReno {
            cwnd: 0,
            ssthresh: u32::MAX,
            dup_acks: 0,
            recovery: None,
            recover: iss,
        }
    }

    /// The congestion window.
    pub(crate) fn window(&self) -> u32 {
        self.cwnd
    }

    /// Whether fast recovery is under way.
    pub(crate) fn in_recovery(&self) -> bool {
        self.recovery.is_some()
    }

    /// The connection is established: RFC 5681 §3.1 and RFC 6928 initial
    /// window of `segments` (at least one) of `mss` bytes.
    pub(crate) fn start(&mut self, segments: u32, mss: u32) {
        self.cwnd = segments.max(1).saturating_mul(mss);
    }

    /// An ACK of `acked` new bytes, leaving `flight` bytes outstanding up
    /// to `ack`.
    pub(crate) fn on_new_ack(
        &mut self,
        ack: SeqNumber,
        acked: u32,
        flight: u32,
        mss: u32,
    ) -> Reaction {
        match self.recovery {
            Some(recover) if ack >= recover => {
                // RFC 6582 §3.2 step 3, full acknowledgment: deflate the window.
                self.cwnd = self.ssthresh.min(flight.max(mss).saturating_add(mss));
                self.recovery = None;
                self.dup_acks = 0;
                Reaction::None
            }
            Some(_) => {
                // RFC 6582 §3.2 step 3, partial acknowledgment: resend the
                // next hole, deflate by the amount acked, add back one MSS.
                let back = if acked >= mss { mss } else { 0 };
                self.cwnd = self
                    .cwnd
                    .saturating_sub(acked)
                    .saturating_add(back)
                    .max(mss);
                Reaction::RetransmitFirst
            }
            None => {
                self.dup_acks = 0;
                self.cwnd = if self.cwnd < self.ssthresh {
                    // RFC 5681 §3.1 eq. (2): slow start.
                    self.cwnd.saturating_add(acked.min(mss))
                } else {
                    // RFC 5681 §3.1 eq. (3): congestion avoidance. mss ≤ 65535,
                    // so mss × mss fits a u32.
                    self.cwnd
                        .saturating_add((mss * mss / self.cwnd.max(1)).max(1))
                };
                Reaction::None
            }
        }
    }

    /// A duplicate ACK (RFC 5681 §2) at `snd_una`, with `snd_max` the
    /// highest sequence sent.
    pub(crate) fn on_duplicate_ack(
        &mut self,
        snd_una: SeqNumber,
        snd_max: SeqNumber,
        mss: u32,
    ) -> Reaction {
        self.dup_acks = self.dup_acks.saturating_add(1);
        if self.dup_acks == 3 && self.recovery.is_none() && snd_una > self.recover {
            // RFC 6582 §3.2 step 2: fast retransmit, enter fast recovery.
            self.ssthresh = half_the_flight(snd_una, snd_max, mss);
            self.recover = snd_max;
            self.recovery = Some(snd_max);
            self.cwnd = self.ssthresh.saturating_add(3 * mss);
            return Reaction::RetransmitFirst;
        }
        if self.dup_acks > 3 && self.recovery.is_some() {
            // RFC 6582 §3.2 step 4: inflate for each segment that reached the receiver.
            self.cwnd = self.cwnd.saturating_add(mss);
        }
        Reaction::None
    }

    /// The retransmission timer expired: RFC 5681 §3.1 eq. (4) and the loss
    /// window; RFC 6582 §3.2 step 1 for `recover`.
    pub(crate) fn on_timeout(&mut self, snd_una: SeqNumber, snd_max: SeqNumber, mss: u32) {
        self.ssthresh = half_the_flight(snd_una, snd_max, mss);
        self.cwnd = mss;
        self.recovery = None;
        self.recover = snd_max;
        self.dup_acks = 0;
    }
}

/// RFC 5681 §3.1 eq. (4): max(FlightSize / 2, 2 × SMSS).
fn half_the_flight(snd_una: SeqNumber, snd_max: SeqNumber, mss: u32) -> u32 {
    (snd_max.distance_from(snd_una) / 2).max(2 * mss)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;
    const ISS: SeqNumber = SeqNumber(0);

    fn started() -> NewReno {
        let mut cc = NewReno::new(ISS);
        cc.start(10, MSS);
        cc
    }

    #[test]
    fn slow_start_grows_by_an_mss_per_ack_then_avoidance_by_one_per_window() {
        let mut cc = started();
        assert_eq!(cc.window(), 10 * MSS);
        cc.on_new_ack(ISS + 2000, 2000, 0, MSS);
        assert_eq!(cc.window(), 11 * MSS, "RFC 5681 eq. (2): at most one MSS");
        cc.on_timeout(ISS + 2000, ISS + 12_000, MSS);
        assert_eq!(cc.window(), MSS);
        cc.on_new_ack(ISS + 3000, 1000, 0, MSS);
        cc.on_new_ack(ISS + 4000, 1000, 0, MSS);
        cc.on_new_ack(ISS + 5000, 1000, 0, MSS);
        cc.on_new_ack(ISS + 6000, 1000, 0, MSS);
        // ssthresh is 5000: from there, MSS² / cwnd per ACK.
        assert_eq!(cc.window(), 5000);
        cc.on_new_ack(ISS + 7000, 1000, 0, MSS);
        assert_eq!(cc.window(), 5200);
    }

    #[test]
    fn third_duplicate_ack_retransmits_and_partial_then_full_acks_deflate() {
        let mut cc = started();
        let (una, max) = (ISS + 1, ISS + 10_001);
        assert_eq!(cc.on_duplicate_ack(una, max, MSS), Reaction::None);
        assert_eq!(cc.on_duplicate_ack(una, max, MSS), Reaction::None);
        assert_eq!(
            cc.on_duplicate_ack(una, max, MSS),
            Reaction::RetransmitFirst
        );
        assert!(cc.in_recovery());
        assert_eq!(cc.window(), 5000 + 3000, "ssthresh + 3 MSS");
        assert_eq!(cc.on_duplicate_ack(una, max, MSS), Reaction::None);
        assert_eq!(cc.window(), 9000, "inflated by one MSS");
        let partial = cc.on_new_ack(ISS + 3001, 3000, 7000, MSS);
        assert_eq!(partial, Reaction::RetransmitFirst);
        assert_eq!(cc.window(), 9000 - 3000 + 1000);
        assert_eq!(cc.on_new_ack(max, 7000, 0, MSS), Reaction::None);
        assert!(!cc.in_recovery());
        assert_eq!(
            cc.window(),
            1000 + 1000,
            "min(ssthresh, max(flight, MSS) + MSS)"
        );
    }

    #[test]
    fn duplicate_acks_below_recover_start_no_second_recovery() {
        let mut cc = started();
        cc.on_timeout(ISS + 1, ISS + 10_001, MSS);
        for _ in 0..3 {
            assert_eq!(
                cc.on_duplicate_ack(ISS + 5001, ISS + 10_001, MSS),
                Reaction::None
            );
        }
        assert!(!cc.in_recovery(), "RFC 6582 §3.2 step 2: below `recover`");
    }

    #[test]
    fn huge_windows_and_segments_saturate() {
        let mut cc = NewReno::new(ISS);
        cc.start(u32::MAX, 65_535);
        assert_eq!(cc.window(), u32::MAX);
        cc.on_new_ack(ISS + 65_535, 65_535, 0, 65_535);
        assert_eq!(cc.window(), u32::MAX);
    }
}
