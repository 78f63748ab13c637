//! Point-to-point links: one [`LinkConditions`] and one random stream per direction.
//!
//! A packet entering a direction is first captured (by the network's tap),
//! then goes through, in this order: link cut, MTU check, the drop-tail queue
//! at the sender side, serialisation at the link's bandwidth, loss on the
//! wire, propagation delay plus jitter, reordering, duplication and
//! corruption.
//!
//! # Random draws
//! Every packet entering a direction takes exactly six draws from that
//! direction's stream (`"link <a>-><b>"`), in this fixed order, whatever the
//! outcome and whatever the probabilities: loss (`u32`), duplicate (`u32`),
//! reorder (`u32`), corrupt (`u32`), jitter (`u64`, reduced modulo
//! `jitter + 1` ns), corrupted bit (`u64`, reduced modulo the packet's bit
//! length). So changing one condition never shifts the draws of later packets.
//! The one exception: a direction with no randomness at all (every
//! probability zero, no jitter) draws nothing, since no draw could change
//! what happens on it.
//! The modulo reductions carry a bias below 2^-32 for any realistic jitter
//! or packet length, which is far below anything a run can observe.
//!
//! # Extreme values
//! No setting can make a link panic: time arithmetic saturates, so a packet
//! that would arrive after the last representable instant (`u64::MAX` ns)
//! arrives at it, and a run's `max_time` ends the run first; a bandwidth of
//! 0 counts as infinite; a jitter of `u64::MAX` ns takes the draw as it is;
//! a packet longer than the MTU is dropped, however small the MTU.

use tlsim_sim::{Duration, Instant, Probability, RngStream};

/// How one direction of a link treats packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkConditions {
    /// Propagation delay.
    pub latency: Duration,
    /// Bandwidth in bits per second; `None` (or 0) is infinite. A packet of
    /// `n` bytes takes `n * 8 * 10^9 / bandwidth_bps` ns (integer division,
    /// saturating) to serialise.
    pub bandwidth_bps: Option<u64>,
    /// Limit of the drop-tail queue at the sender side, in bytes waiting to
    /// be serialised; `None` is unbounded.
    pub queue_limit_bytes: Option<u64>,
    /// Uniform extra delay in `[0, jitter]`. Jitter alone never reorders:
    /// a packet never arrives before one that entered the link earlier.
    pub jitter: Duration,
    /// Probability that a packet is lost on the wire.
    pub loss: Probability,
    /// Probability that a packet arrives twice.
    pub duplicate: Probability,
    /// Probability that a packet is held back by `reorder_delay`, letting
    /// later packets overtake it.
    pub reorder: Probability,
    /// Extra delay of a reordered packet.
    pub reorder_delay: Duration,
    /// Probability that one random bit of the packet is flipped; the
    /// receiver's checksum check then drops it.
    pub corrupt: Probability,
    /// Largest IPv4 packet the link carries, in bytes. Larger packets are
    /// dropped (every packet has Don't Fragment set).
    pub mtu: u16,
}

impl Default for LinkConditions {
    /// A perfect link: no delay, infinite bandwidth, no faults, MTU 1500.
    fn default() -> Self {
        LinkConditions {
            latency: Duration::ZERO,
            bandwidth_bps: None,
            queue_limit_bytes: None,
            jitter: Duration::ZERO,
            loss: Probability::NEVER,
            duplicate: Probability::NEVER,
            reorder: Probability::NEVER,
            reorder_delay: Duration::ZERO,
            corrupt: Probability::NEVER,
            mtu: 1500,
        }
    }
}

/// Why a link discarded a packet; the text is the event title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinkDrop {
    Cut,
    TooBig,
    QueueFull,
    Lost,
}

impl LinkDrop {
    pub(crate) fn title(self) -> &'static str {
        match self {
            LinkDrop::Cut => "Link cut",
            LinkDrop::TooBig => "Packet larger than link MTU: dropped",
            LinkDrop::QueueFull => "Queue full: packet dropped",
            LinkDrop::Lost => "Packet lost on link",
        }
    }
}

/// What happens to one packet on the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Dropped(LinkDrop),
    Deliver {
        at: Instant,
        duplicate: bool,
        /// Bit index to flip (0 = most significant bit of the first byte).
        corrupt_bit: Option<usize>,
    },
}

/// One direction of a link.
#[derive(Debug)]
pub(crate) struct Direction {
    pub(crate) conditions: LinkConditions,
    rng: RngStream,
    /// When the transmitter finishes serialising everything queued so far.
    busy_until: Instant,
    /// Latest arrival of a packet that was not reordered: jitter never lets
    /// a later packet arrive before it.
    last_arrival: Instant,
    cuts: Vec<(Instant, Instant)>,
}

impl Direction {
    pub(crate) fn new(conditions: LinkConditions, rng: RngStream) -> Self {
        Direction {
            conditions,
            rng,
            busy_until: Instant::ZERO,
            last_arrival: Instant::ZERO,
            cuts: Vec::new(),
        }
    }

    pub(crate) fn add_cut(&mut self, from: Instant, until: Instant) {
        self.cuts.push((from, until));
    }

    fn serialisation(&self, bytes: usize) -> Duration {
        match self.conditions.bandwidth_bps {
            Some(bps) if bps > 0 => {
                let ns = (bytes as u128 * 8 * 1_000_000_000) / u128::from(bps);
                Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
            }
            _ => Duration::ZERO,
        }
    }

    /// Bytes still waiting to be serialised at `now` (rounded up).
    fn backlog_bytes(&self, now: Instant) -> u64 {
        match self.conditions.bandwidth_bps {
            Some(bps) if bps > 0 => {
                let ns = u128::from((self.busy_until - now).as_nanos());
                let bytes = (ns * u128::from(bps)).div_ceil(8 * 1_000_000_000);
                u64::try_from(bytes).unwrap_or(u64::MAX)
            }
            _ => 0,
        }
    }

    /// Decides the fate of a packet of `len` bytes entering at `now`.
    pub(crate) fn admit(&mut self, now: Instant, len: usize) -> Verdict {
        let c = self.conditions;
        // The six draws, in the documented order, before any decision. A
        // direction with no randomness draws nothing: its stream is its own,
        // so no other draw shifts, and the outcome is the same.
        let random = !(c.loss.is_never()
            && c.duplicate.is_never()
            && c.reorder.is_never()
            && c.corrupt.is_never()
            && c.jitter == Duration::ZERO);
        let (lost, duplicate, reorder, corrupt, jitter_draw, bit_draw) = if random {
            (
                self.rng.chance(c.loss),
                self.rng.chance(c.duplicate),
                self.rng.chance(c.reorder),
                self.rng.chance(c.corrupt),
                self.rng.u64(),
                self.rng.u64(),
            )
        } else {
            (false, false, false, false, 0, 0)
        };

        if self
            .cuts
            .iter()
            .any(|&(from, until)| from <= now && now < until)
        {
            return Verdict::Dropped(LinkDrop::Cut);
        }
        if len > usize::from(c.mtu) {
            return Verdict::Dropped(LinkDrop::TooBig);
        }
        if let Some(limit) = c.queue_limit_bytes {
            if self.backlog_bytes(now).saturating_add(len as u64) > limit {
                return Verdict::Dropped(LinkDrop::QueueFull);
            }
        }
        let departure = self.busy_until.max(now) + self.serialisation(len);
        self.busy_until = departure;
        if lost {
            return Verdict::Dropped(LinkDrop::Lost);
        }
        // Any draw is in range when jitter is u64::MAX ns: `j + 1` would wrap.
        let jitter = match c.jitter.as_nanos().checked_add(1) {
            Some(range) => Duration::from_nanos(jitter_draw % range),
            None => Duration::from_nanos(jitter_draw),
        };
        let mut at = departure + c.latency + jitter;
        if reorder {
            at += c.reorder_delay;
        } else {
            at = at.max(self.last_arrival);
            self.last_arrival = at;
        }
        let bits = (len as u64).saturating_mul(8);
        Verdict::Deliver {
            at,
            duplicate,
            corrupt_bit: (corrupt && bits > 0).then(|| (bit_draw % bits) as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direction(conditions: LinkConditions) -> Direction {
        Direction::new(conditions, RngStream::new(1, "link a->b"))
    }

    #[test]
    fn serialises_at_bandwidth_and_adds_latency() {
        let mut d = direction(LinkConditions {
            latency: Duration::from_millis(10),
            bandwidth_bps: Some(100_000_000),
            ..LinkConditions::default()
        });
        let now = Instant::ZERO;
        // 1500 bytes at 100 Mbit/s: exactly 120 µs.
        let first = d.admit(now, 1500);
        let second = d.admit(now, 1500);
        let at = |v| match v {
            Verdict::Deliver { at, .. } => at.as_nanos(),
            Verdict::Dropped(r) => panic!("dropped: {r:?}"),
        };
        assert_eq!(at(first), 10_120_000);
        assert_eq!(at(second), 10_240_000);
    }

    #[test]
    fn drop_tail_queue_drops_when_backlog_exceeds_limit() {
        let mut d = direction(LinkConditions {
            bandwidth_bps: Some(8_000), // 1 byte per ms
            queue_limit_bytes: Some(3000),
            ..LinkConditions::default()
        });
        assert!(matches!(
            d.admit(Instant::ZERO, 1500),
            Verdict::Deliver { .. }
        ));
        assert!(matches!(
            d.admit(Instant::ZERO, 1500),
            Verdict::Deliver { .. }
        ));
        assert_eq!(
            d.admit(Instant::ZERO, 1500),
            Verdict::Dropped(LinkDrop::QueueFull)
        );
        // After 1.5 s the first packet has left the queue.
        assert!(matches!(
            d.admit(Instant::from_nanos(1_500_000_000), 1500),
            Verdict::Deliver { .. }
        ));
    }

    #[test]
    fn jitter_never_reorders_packets() {
        let mut d = direction(LinkConditions {
            latency: Duration::from_millis(5),
            jitter: Duration::from_millis(4),
            ..LinkConditions::default()
        });
        let mut last = Instant::ZERO;
        for i in 0..1000 {
            match d.admit(Instant::from_nanos(i * 10_000), 100) {
                Verdict::Deliver { at, .. } => {
                    assert!(at >= last);
                    last = at;
                }
                Verdict::Dropped(r) => panic!("dropped: {r:?}"),
            }
        }
    }

    #[test]
    fn draws_stay_aligned_when_a_probability_changes() {
        let lossy = LinkConditions {
            loss: Probability::new(0.5).unwrap(),
            jitter: Duration::from_millis(3),
            ..LinkConditions::default()
        };
        let clean = LinkConditions {
            loss: Probability::NEVER,
            ..lossy
        };
        let mut a = direction(lossy);
        let mut b = direction(clean);
        for i in 0..50 {
            let now = Instant::from_nanos(i * 1_000_000_000);
            let (va, vb) = (a.admit(now, 100), b.admit(now, 100));
            if let Verdict::Deliver { .. } = va {
                assert_eq!(va, vb, "packet {i}");
            }
        }
    }

    fn arrival(verdict: Verdict) -> u64 {
        match verdict {
            Verdict::Deliver { at, .. } => at.as_nanos(),
            Verdict::Dropped(r) => panic!("dropped: {r:?}"),
        }
    }

    #[test]
    fn largest_jitter_takes_any_draw_without_overflow() {
        let mut d = direction(LinkConditions {
            jitter: Duration::from_nanos(u64::MAX),
            corrupt: Probability::ALWAYS,
            ..LinkConditions::default()
        });
        let mut last = 0;
        for i in 0..100 {
            let at = arrival(d.admit(Instant::from_nanos(i), 40));
            assert!(at >= last, "jitter alone never reorders");
            last = at;
        }
    }

    #[test]
    fn delays_past_the_end_of_time_saturate() {
        let mut d = direction(LinkConditions {
            latency: Duration::from_nanos(u64::MAX),
            reorder: Probability::ALWAYS,
            reorder_delay: Duration::from_nanos(u64::MAX),
            ..LinkConditions::default()
        });
        assert_eq!(arrival(d.admit(Instant::from_nanos(5), 1500)), u64::MAX);
    }

    #[test]
    fn extreme_bandwidths_serialise_without_overflow() {
        let mut slow = direction(LinkConditions {
            bandwidth_bps: Some(1),
            queue_limit_bytes: Some(u64::MAX),
            ..LinkConditions::default()
        });
        // 1500 bytes at 1 bit/s: 12,000 s.
        assert_eq!(arrival(slow.admit(Instant::ZERO, 1500)), 12_000_000_000_000);
        assert_eq!(arrival(slow.admit(Instant::ZERO, 1500)), 24_000_000_000_000);
        let mut fast = direction(LinkConditions {
            bandwidth_bps: Some(u64::MAX),
            ..LinkConditions::default()
        });
        assert_eq!(arrival(fast.admit(Instant::ZERO, 1500)), 0);
        let mut zero = direction(LinkConditions {
            bandwidth_bps: Some(0),
            ..LinkConditions::default()
        });
        assert_eq!(arrival(zero.admit(Instant::ZERO, 1500)), 0, "0 is infinite");
    }

    #[test]
    fn a_queue_whose_backlog_exceeds_u64_bytes_drops_instead_of_overflowing() {
        let mut d = direction(LinkConditions {
            bandwidth_bps: Some(u64::MAX),
            queue_limit_bytes: Some(u64::MAX - 10),
            latency: Duration::from_nanos(u64::MAX),
            ..LinkConditions::default()
        });
        d.busy_until = Instant::MAX;
        assert_eq!(
            d.admit(Instant::ZERO, 1500),
            Verdict::Dropped(LinkDrop::QueueFull)
        );
    }

    #[test]
    fn tiny_mtus_drop_every_packet_longer_than_them() {
        let mut d = direction(LinkConditions {
            mtu: 0,
            ..LinkConditions::default()
        });
        assert_eq!(
            d.admit(Instant::ZERO, 1),
            Verdict::Dropped(LinkDrop::TooBig)
        );
        assert!(matches!(d.admit(Instant::ZERO, 0), Verdict::Deliver { .. }));
    }

    #[test]
    fn cut_and_mtu_drop_packets() {
        let mut d = direction(LinkConditions {
            mtu: 576,
            ..LinkConditions::default()
        });
        d.add_cut(Instant::from_nanos(10), Instant::from_nanos(20));
        assert_eq!(
            d.admit(Instant::from_nanos(10), 100),
            Verdict::Dropped(LinkDrop::Cut)
        );
        assert!(matches!(
            d.admit(Instant::from_nanos(20), 100),
            Verdict::Deliver { .. }
        ));
        assert_eq!(
            d.admit(Instant::from_nanos(30), 577),
            Verdict::Dropped(LinkDrop::TooBig)
        );
    }
}
