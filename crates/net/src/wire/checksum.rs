//! The Internet checksum (RFC 1071): the one's complement of the one's
//! complement sum of 16-bit big-endian words.

use std::net::Ipv4Addr;

/// The one's complement sum of `data` as 16-bit big-endian words (an odd last
/// byte is padded with zero), folded to 16 bits.
///
/// RFC 1071 §2(B): the sum does not depend on byte order, so the words are
/// added as they lie in memory (no swap per word, and the loop vectorises)
/// and only the folded result is put into network order. Adding the two
/// 32-bit halves of each 64-bit word into a 64-bit accumulator gives the same
/// folded result as adding 16-bit words (2^16 ≡ 1 mod 2^16 − 1), and cannot
/// overflow for any buffer under 16 GiB.
pub fn partial_sum(data: &[u8]) -> u64 {
    let mut acc: u64 = 0;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        acc += add_halves(w);
    }
    let rest = words.remainder();
    let mut tail = [0u8; 8];
    tail[..rest.len()].copy_from_slice(rest);
    acc += add_halves(&tail);
    u64::from(u16::from_be(fold(acc)))
}

fn add_halves(word: &[u8]) -> u64 {
    let w = u64::from_ne_bytes(word.try_into().expect("8-byte chunk"));
    (w & 0xffff_ffff) + (w >> 32)
}

/// Folds a partial sum to 16 bits with end-around carry.
pub fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The checksum of `data`, ready to store in a header.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(partial_sum(data))
}

/// The partial sum of the TCP/UDP pseudo-header (RFC 9293 §3.1).
pub fn pseudo_header_sum(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u32) -> u64 {
    u64::from(u32::from(src)) + u64::from(u32::from(dst)) + u64::from(protocol) + u64::from(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc1071_worked_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(partial_sum(&data)), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn every_length_and_alignment_matches_the_16_bit_definition() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 151 + 7) as u8).collect();
        for start in 0..9 {
            for end in start..data.len() {
                let slice = &data[start..end];
                let mut words = 0u64;
                for pair in slice.chunks(2) {
                    words += u64::from(pair[0]) << 8 | pair.get(1).map_or(0, |&b| u64::from(b));
                }
                assert_eq!(fold(partial_sum(slice)), fold(words), "{start}..{end}");
            }
        }
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(fold(partial_sum(&[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    #[test]
    fn data_with_its_checksum_sums_to_all_ones() {
        let mut data = vec![
            0x45, 0x00, 0x00, 0x1c, 0xab, 0xcd, 0x40, 0x00, 0x40, 0x06, 0, 0,
        ];
        let c = checksum(&data);
        data[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(fold(partial_sum(&data)), 0xffff);
    }
}
