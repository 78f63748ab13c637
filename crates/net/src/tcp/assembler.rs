//! Reassembly: segments that arrive ahead of a hole wait here until the
//! hole is filled (RFC 9293 §3.10.7.4, seventh: segments beyond `RCV.NXT`
//! are held "for later processing").

use crate::wire::tcp::SeqNumber;

/// Out-of-order data of one connection, by sequence number.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    /// Sorted by start; pieces may overlap (retransmissions cut at other
    /// boundaries), and [`drain_into`](Self::drain_into) trims the overlap.
    pieces: Vec<(SeqNumber, Vec<u8>)>,
}

impl Assembler {
    /// Whether no data waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Forgets everything, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.pieces.clear();
    }

    /// Keeps `data`, which starts at `start`, beyond the next byte expected.
    /// Of two pieces with the same start, the longer is kept.
    pub(crate) fn insert(&mut self, start: SeqNumber, data: &[u8]) {
        let at = self.pieces.partition_point(|(s, _)| *s < start);
        match self.pieces.get_mut(at) {
            Some((s, existing)) if *s == start => {
                if existing.len() < data.len() {
                    existing.clear();
                    existing.extend_from_slice(data);
                }
            }
            _ => self.pieces.insert(at, (start, data.to_vec())),
        }
    }

    /// Appends to `out` the waiting data that continues `next` (the next
    /// byte expected), drops the pieces it has used up, and returns the
    /// next byte expected after them.
    pub(crate) fn drain_into(&mut self, mut next: SeqNumber, out: &mut Vec<u8>) -> SeqNumber {
        let mut used = 0;
        for (start, data) in &self.pieces {
            if *start > next {
                break;
            }
            used += 1;
            let end = *start + data.len() as u32;
            if end > next {
                out.extend_from_slice(&data[next.distance_from(*start) as usize..]);
                next = end;
            }
        }
        self.pieces.drain(..used);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: SeqNumber = SeqNumber(u32::MAX - 5);

    #[test]
    fn a_filled_hole_releases_what_waited_behind_it() {
        let mut a = Assembler::default();
        a.insert(BASE + 4, b"ef");
        a.insert(BASE + 8, b"ij");
        let mut out = Vec::new();
        assert_eq!(
            a.drain_into(BASE, &mut out),
            BASE,
            "the hole is still there"
        );
        assert!(out.is_empty());
        out.extend_from_slice(b"abcd");
        assert_eq!(a.drain_into(BASE + 4, &mut out), BASE + 6);
        assert_eq!(out, b"abcdef");
        assert!(!a.is_empty(), "ij waits behind a second hole");
    }

    #[test]
    fn overlapping_pieces_are_trimmed_and_covered_ones_dropped() {
        let mut a = Assembler::default();
        a.insert(BASE + 2, b"cdef");
        a.insert(BASE + 3, b"d");
        a.insert(BASE + 4, b"efgh");
        let mut out = b"ab".to_vec();
        assert_eq!(a.drain_into(BASE + 2, &mut out), BASE + 8);
        assert_eq!(out, b"abcdefgh");
        assert!(a.is_empty());
    }

    #[test]
    fn of_two_pieces_at_one_start_the_longer_is_kept() {
        let mut a = Assembler::default();
        a.insert(BASE + 1, b"b");
        a.insert(BASE + 1, b"bcd");
        a.insert(BASE + 1, b"bc");
        let mut out = b"a".to_vec();
        assert_eq!(a.drain_into(BASE + 1, &mut out), BASE + 4);
        assert_eq!(out, b"abcd");
    }

    #[test]
    fn pieces_already_delivered_are_dropped_without_output() {
        let mut a = Assembler::default();
        a.insert(BASE + 1, b"bc");
        let mut out = Vec::new();
        assert_eq!(a.drain_into(BASE + 5, &mut out), BASE + 5);
        assert!(out.is_empty());
        assert!(a.is_empty());
    }
}
