//! Round-trip time estimation and the retransmission timeout (RFC 6298).
//!
//! Read first: RFC 6298 §2 (computing the RTO), §5 (managing the timer and
//! backing off), RFC 7323 §4 (RTT measurement from timestamps).
//!
//! The estimator only does arithmetic: the socket decides which
//! measurements are valid samples (every ACK that advances `SND.UNA` when
//! timestamps are on, RFC 7323 §4.2; otherwise one timed segment at a time,
//! never a retransmitted one, per Karn's rule, RFC 6298 §3).

use tlsim_sim::Duration;

/// RFC 6298 §2.2: the clock granularity G, here the simulated clock's tick.
const CLOCK_GRANULARITY: Duration = Duration::from_nanos(1);
/// RFC 6298 §5.7: the RTO data starts with after a handshake timeout.
const RTO_AFTER_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);

/// SRTT, RTTVAR and the RTO of one connection, with its back-off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RttEstimator {
    /// Smoothed RTT; `None` until the first sample.
    srtt: Option<Duration>,
    rttvar: Duration,
    /// The RTO the estimate gives (RFC 6298 §2), before any back-off.
    base_rto: Duration,
    /// Timeouts since the last sample: each doubles the RTO (RFC 6298 §5.5).
    backoff: u32,
    min_rto: Duration,
    max_rto: Duration,
}

impl RttEstimator {
    /// No sample yet: the RTO is `initial_rto` (RFC 6298 §2.1), capped at
    /// `max_rto`. Computed RTOs are kept within `[min_rto, max_rto]`.
    pub(crate) fn new(initial_rto: Duration, min_rto: Duration, max_rto: Duration) -> Self {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            base_rto: initial_rto,
            backoff: 0,
            min_rto,
            max_rto,
        }
    }

    /// The current retransmission timeout, back-off included, at most `max_rto`.
    pub(crate) fn rto(&self) -> Duration {
        // A shift of 32 or more saturates anyway: 2^32 ns is over 4 s, and
        // any RTO of at least 1 ns doubled 64 times is past `u64::MAX` ns.
        let factor = 1u64 << self.backoff.min(63);
        self.base_rto.saturating_mul(factor).min(self.max_rto)
    }

    /// The smoothed RTT, once measured.
    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// A valid RTT measurement `rtt`: updates SRTT and RTTVAR (RFC 6298 §2.2,
    /// §2.3, with alpha = 1/8 and beta = 1/4), recomputes the RTO from them
    /// and so ends any back-off (RFC 6298 §5.7 keeps the backed-off value only
    /// until a new sample arrives).
    pub(crate) fn sample(&mut self, rtt: Duration) {
        let r = rtt.as_nanos();
        let (srtt, rttvar) = match self.srtt {
            None => (r, r / 2),
            Some(srtt) => {
                let srtt = srtt.as_nanos();
                let delta = srtt.abs_diff(r);
                // In u128: 7 × SRTT and 3 × RTTVAR must not overflow.
                let rttvar = (3 * u128::from(self.rttvar.as_nanos()) + u128::from(delta)) / 4;
                let srtt = (7 * u128::from(srtt) + u128::from(r)) / 8;
                (narrow(srtt), narrow(rttvar))
            }
        };
        self.srtt = Some(Duration::from_nanos(srtt));
        self.rttvar = Duration::from_nanos(rttvar);
        // RFC 6298 §2.3: RTO = SRTT + max(G, K × RTTVAR), K = 4; §2.4, §2.5: bounds.
        let variance = Duration::from_nanos(rttvar)
            .saturating_mul(4)
            .max(CLOCK_GRANULARITY);
        self.base_rto = Duration::from_nanos(srtt)
            .saturating_add(variance)
            .max(self.min_rto)
            .min(self.max_rto);
        self.backoff = 0;
    }

    /// The retransmission timer expired: RFC 6298 §5.5, double the RTO.
    pub(crate) fn back_off(&mut self) {
        self.backoff = self.backoff.saturating_add(1);
    }

    /// The handshake is over, and the timer expired during it. RFC 6298
    /// §5.7: with no sample yet and an initial RTO under 3 s, data starts
    /// over from an RTO of 3 s, not from the backed-off one.
    pub(crate) fn after_handshake_timeout(&mut self) {
        if self.srtt.is_none() && self.base_rto < RTO_AFTER_HANDSHAKE_TIMEOUT {
            self.base_rto = RTO_AFTER_HANDSHAKE_TIMEOUT.max(self.min_rto);
            self.backoff = 0;
        }
    }
}

/// A weighted average of `u64` values fits a `u64`.
fn narrow(n: u128) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn estimator() -> RttEstimator {
        RttEstimator::new(Duration::from_secs(1), ms(200), Duration::from_secs(60))
    }

    #[test]
    fn starts_at_the_initial_rto_with_no_srtt() {
        let e = estimator();
        assert_eq!(e.rto(), Duration::from_secs(1));
        assert_eq!(e.srtt(), None);
    }

    #[test]
    fn first_sample_sets_srtt_and_half_of_it_as_rttvar() {
        let mut e = RttEstimator::new(Duration::from_secs(1), ms(1), Duration::from_secs(60));
        e.sample(ms(100));
        // RFC 6298 §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 × RTTVAR.
        assert_eq!(e.srtt(), Some(ms(100)));
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn later_samples_follow_rfc_6298_arithmetic() {
        let mut e = RttEstimator::new(Duration::from_secs(1), ms(1), Duration::from_secs(60));
        e.sample(ms(100));
        e.sample(ms(200));
        // RTTVAR = 3/4 × 50 + 1/4 × |100 − 200| = 62.5; SRTT = 7/8 × 100 + 1/8 × 200 = 112.5.
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Duration::from_micros(112_500 + 4 * 62_500));
    }

    #[test]
    fn rto_stays_within_its_bounds() {
        let mut e = estimator();
        e.sample(ms(1));
        assert_eq!(e.rto(), ms(200), "RFC 6298 §2.4: at least min_rto");
        e.sample(Duration::from_secs(100));
        assert_eq!(
            e.rto(),
            Duration::from_secs(60),
            "RFC 6298 §2.5: at most max_rto"
        );
    }

    #[test]
    fn each_timeout_doubles_the_rto_up_to_the_maximum() {
        let mut e = estimator();
        e.sample(ms(10));
        assert_eq!(e.rto(), ms(200));
        e.back_off();
        assert_eq!(e.rto(), ms(400));
        e.back_off();
        assert_eq!(e.rto(), ms(800));
        for _ in 0..100 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
    }

    #[test]
    fn a_new_sample_ends_the_back_off() {
        let mut e = estimator();
        for _ in 0..10 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.sample(ms(30));
        assert_eq!(e.rto(), ms(200));
    }

    #[test]
    fn a_handshake_timeout_without_a_sample_leaves_3_s_for_data() {
        let mut e = estimator();
        e.back_off();
        assert_eq!(e.rto(), Duration::from_secs(2));
        e.after_handshake_timeout();
        assert_eq!(e.rto(), Duration::from_secs(3), "RFC 6298 §5.7");
        e.back_off();
        assert_eq!(e.rto(), Duration::from_secs(6));
    }

    #[test]
    fn a_handshake_timeout_keeps_a_measured_or_longer_rto() {
        let mut measured = estimator();
        measured.back_off();
        measured.sample(ms(10));
        measured.after_handshake_timeout();
        assert_eq!(measured.rto(), ms(200));
        let mut long = RttEstimator::new(Duration::from_secs(5), ms(200), Duration::from_secs(60));
        long.back_off();
        long.after_handshake_timeout();
        assert_eq!(long.rto(), Duration::from_secs(10));
    }

    #[test]
    fn extreme_samples_saturate_instead_of_overflowing() {
        let longest = Duration::from_nanos(u64::MAX);
        let mut e = RttEstimator::new(longest, Duration::ZERO, longest);
        e.back_off();
        assert_eq!(e.rto(), longest);
        e.sample(longest);
        e.sample(longest);
        e.sample(Duration::ZERO);
        assert_eq!(e.rto(), longest);
        assert!(e.srtt().is_some());
    }
}
