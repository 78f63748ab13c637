//! A fast streaming digest for checking that a byte stream arrived intact.
//!
//! Not cryptographic: it only has to notice lost, duplicated, reordered or
//! altered bytes in a simulated transfer. It consumes eight bytes per step
//! and gives the same result however the stream is split into chunks.

/// Streaming digest of a byte stream; two are equal when they saw the same
/// bytes, however each stream was split.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamDigest {
    state: u64,
    partial: [u8; 8],
    partial_len: usize,
    len: u64,
}

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

impl StreamDigest {
    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(MUL).rotate_left(29);
    }

    /// Adds `bytes` to the stream.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.partial_len > 0 {
            let take = (8 - self.partial_len).min(bytes.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&bytes[..take]);
            self.partial_len += take;
            bytes = &bytes[take..];
            if self.partial_len < 8 {
                return;
            }
            self.mix(u64::from_le_bytes(self.partial));
            self.partial_len = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes(
                w.try_into().expect("chunks_exact yields 8 bytes"),
            ));
        }
        let rest = words.remainder();
        self.partial[..rest.len()].copy_from_slice(rest);
        self.partial_len = rest.len();
    }

    /// Counts `n` bytes without digesting them, for runs that only count.
    pub fn skip(&mut self, n: u64) {
        self.len += n;
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte has been seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of everything seen so far, including its length.
    pub fn value(&self) -> u64 {
        let mut tail = *self;
        let mut last = [0u8; 8];
        last[..self.partial_len].copy_from_slice(&self.partial[..self.partial_len]);
        tail.mix(u64::from_le_bytes(last));
        tail.mix(self.len);
        tail.state
    }
}

impl PartialEq for StreamDigest {
    /// Bytes of `partial` past `partial_len` are left over from earlier
    /// words, and depend on how the stream was split: they do not count.
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
            && self.len == other.len
            && self.partial[..self.partial_len] == other.partial[..other.partial_len]
    }
}

impl Eq for StreamDigest {}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_in_chunks(data: &[u8], sizes: &[usize]) -> u64 {
        let mut d = StreamDigest::default();
        let mut rest = data;
        for &s in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at(s.min(rest.len()));
            d.update(a);
            rest = b;
        }
        d.value()
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
        let whole = digest_in_chunks(&data, &[1000]);
        assert_eq!(whole, digest_in_chunks(&data, &[1]));
        assert_eq!(whole, digest_in_chunks(&data, &[3, 5, 13]));
    }

    #[test]
    fn digests_of_one_stream_split_differently_are_equal() {
        let data: Vec<u8> = (0..16u8).collect();
        let (mut whole, mut split) = (StreamDigest::default(), StreamDigest::default());
        whole.update(&data);
        split.update(&data[..3]);
        split.update(&data[3..]);
        assert_eq!(whole, split);
        split.update(&[0]);
        assert_ne!(whole, split);
    }

    #[test]
    fn notices_swapped_lost_and_repeated_bytes() {
        let data: Vec<u8> = (0..64u8).collect();
        let whole = digest_in_chunks(&data, &[64]);
        let mut swapped = data.clone();
        swapped.swap(10, 11);
        assert_ne!(whole, digest_in_chunks(&swapped, &[64]));
        assert_ne!(whole, digest_in_chunks(&data[1..], &[64]));
        let mut repeated = data.clone();
        repeated.insert(5, 5);
        assert_ne!(whole, digest_in_chunks(&repeated, &[64]));
        assert_ne!(
            digest_in_chunks(&[0], &[1]),
            digest_in_chunks(&[0, 0], &[2])
        );
    }
}
