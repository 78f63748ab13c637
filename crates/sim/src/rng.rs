//! Seeded random streams, one per named purpose.
//!
//! Each stream is a ChaCha20 generator whose key is
//! `SHA-256("tlsim rng v1" || scenario seed (u64, little endian) || label)`.
//! A stream depends only on the seed and its own label, never on how many
//! other streams exist or in what order they were created, so adding a new
//! stream (a new link, a new actor) leaves every existing draw unchanged.
//! Nothing here ever falls back to OS entropy.

use core::convert::Infallible;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng, TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

/// The 32-byte key of one stream, derived from `(seed, label)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSeed([u8; 32]);

impl StreamSeed {
    /// Derives the key of the stream named `label` under the scenario `seed`.
    pub fn derive(seed: u64, label: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"tlsim rng v1");
        h.update(seed.to_le_bytes());
        h.update(label.as_bytes());
        StreamSeed(h.finalize().into())
    }
}

/// One deterministic random stream.
///
/// It implements `rand_core`'s `TryCryptoRng`, so it can be handed to the
/// RustCrypto crates for key generation: a simulated key is exactly as random
/// as the scenario seed says, and no more.
#[derive(Clone, Debug)]
pub struct RngStream(ChaCha20Rng);

impl RngStream {
    /// The stream named `label` under the scenario `seed`.
    pub fn new(seed: u64, label: &str) -> Self {
        Self::from_stream_seed(StreamSeed::derive(seed, label))
    }

    /// The stream with the given key.
    pub fn from_stream_seed(seed: StreamSeed) -> Self {
        RngStream(ChaCha20Rng::from_seed(seed.0))
    }

    /// A uniformly random `u32`.
    pub fn u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// A uniformly random `u64`.
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Fills `dst` with random bytes.
    pub fn fill(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }

    /// A uniformly random value in `0..bound` (Lemire's method, unbiased).
    /// Returns 0 when `bound` is 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let wide = u128::from(self.u64()) * u128::from(bound);
            if (wide as u64) >= threshold {
                return (wide >> 64) as u64;
            }
        }
    }

    /// True with the given probability, a [`Probability`].
    ///
    /// Always consumes exactly one `u32`, even for probability 0 or 1, so that
    /// changing a probability does not shift the stream's later draws.
    pub fn chance(&mut self, p: Probability) -> bool {
        u64::from(self.u32()) < p.0
    }
}

/// A probability in `[0, 1]`, held as a threshold out of 2^32 so that every
/// draw is an integer comparison, identical on every machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Probability(u64);

impl Probability {
    /// Never.
    pub const NEVER: Probability = Probability(0);
    /// Always.
    pub const ALWAYS: Probability = Probability(1 << 32);

    /// The probability `p`, or `None` if `p` is not a number in `[0, 1]`.
    pub fn new(p: f64) -> Option<Self> {
        if (0.0..=1.0).contains(&p) {
            Some(Probability((p * 4_294_967_296.0).round() as u64))
        } else {
            None
        }
    }

    /// Whether this probability is zero.
    pub fn is_never(self) -> bool {
        self.0 == 0
    }
}

impl TryRng for RngStream {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

impl TryCryptoRng for RngStream {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_label_give_the_same_stream() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = RngStream::new(7, "link a->b");
                move |_| r.u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = RngStream::new(7, "link a->b");
                move |_| r.u64()
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn streams_differ_by_label_and_by_seed() {
        let x = RngStream::new(7, "client").u64();
        assert_ne!(x, RngStream::new(7, "server").u64());
        assert_ne!(x, RngStream::new(8, "client").u64());
    }

    #[test]
    fn stream_keys_do_not_depend_on_creation_order() {
        let first = RngStream::new(1, "b").u64();
        let _other = RngStream::new(1, "a");
        assert_eq!(RngStream::new(1, "b").u64(), first);
    }

    #[test]
    fn below_stays_in_range_and_probability_bounds_hold() {
        let mut r = RngStream::new(3, "t");
        assert!((0..1000).all(|_| r.below(7) < 7));
        assert!((0..100).all(|_| !r.chance(Probability::NEVER)));
        assert!((0..100).all(|_| r.chance(Probability::ALWAYS)));
        assert_eq!(Probability::new(1.5), None);
        assert_eq!(Probability::new(-0.1), None);
        assert_eq!(Probability::new(f64::NAN), None);
    }
}
