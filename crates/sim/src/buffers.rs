//! Byte buffers handed from one user to the next on a thread.
//!
//! A run keeps dozens of connections in flight and opens and closes them
//! by the thousand. A buffer that each connection kept to itself would be
//! cold by the time that connection used it again, and one allocated anew
//! would cost an allocator call; a buffer given back as soon as it is empty
//! serves whichever connection needs one next, still in the cache. The
//! TCP sockets' send and receive buffers and the TLS record layer's
//! buffers share these.

use std::cell::RefCell;

/// The room a buffer is taken with, at least.
pub const MIN_CAPACITY: usize = 4096;

/// The largest buffer worth keeping: one that grew past this carried an
/// unusual burst, and goes back to the allocator.
pub const MAX_CAPACITY: usize = 16 * 1024;

/// How many given-back buffers a thread keeps.
pub const KEPT: usize = 64;

thread_local! {
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer with room for `len` bytes and at least
/// [`MIN_CAPACITY`]: the last one given back on this thread if it is large
/// enough, else a new one.
pub fn take(len: usize) -> Vec<u8> {
    let want = len.max(MIN_CAPACITY);
    SPARE
        .with_borrow_mut(Vec::pop)
        .filter(|spare| spare.capacity() >= want)
        .unwrap_or_else(|| Vec::with_capacity(want))
}

/// Room for `additional` more bytes in `buf`. A buffer without any room
/// (new, or given back after its last use) gets one from [`take`], a
/// kilobyte-sized flight or record then fitting without growing a few
/// bytes at a time; one with room grows as a `Vec` does.
pub fn reserve(buf: &mut Vec<u8>, additional: usize) {
    if buf.capacity() == 0 {
        *buf = take(additional);
    } else {
        buf.reserve(additional);
    }
}

/// Empties `buf` and keeps its room for the next [`take`] on this thread,
/// unless it holds less than [`MIN_CAPACITY`] or more than
/// [`MAX_CAPACITY`], or [`KEPT`] buffers are kept already. `buf` is left
/// without any room.
pub fn give_back(buf: &mut Vec<u8>) {
    let mut buf = std::mem::take(buf);
    if !(MIN_CAPACITY..=MAX_CAPACITY).contains(&buf.capacity()) {
        return;
    }
    buf.clear();
    SPARE.with_borrow_mut(|spare| {
        if spare.len() < KEPT {
            spare.push(buf);
        }
    });
}

/// Empties `buf` between two uses by its owner: its room is given back
/// if [`give_back`] would keep it, else a buffer grown past
/// [`MAX_CAPACITY`] for a bulk transfer stays with its owner, which would
/// only grow a new one again.
pub fn recycle(buf: &mut Vec<u8>) {
    if buf.capacity() > MAX_CAPACITY {
        buf.clear();
    } else {
        give_back(buf);
    }
}

/// How many given-back buffers this thread keeps now.
pub fn kept() -> usize {
    SPARE.with_borrow(Vec::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_next_and_empty() {
        let mut first = take(10);
        assert!(first.capacity() >= MIN_CAPACITY);
        first.extend_from_slice(b"secret");
        let room = first.as_ptr();
        give_back(&mut first);
        assert_eq!((first.capacity(), kept()), (0, 1));
        let next = take(100);
        assert_eq!(kept(), 0);
        assert_eq!(next.as_ptr(), room);
        assert!(next.is_empty());
    }

    #[test]
    fn a_buffer_without_room_reserves_a_spare_and_one_with_room_keeps_its_own() {
        let mut spare = Vec::with_capacity(MIN_CAPACITY);
        let given = spare.as_ptr();
        give_back(&mut spare);
        let mut buf = Vec::new();
        reserve(&mut buf, 100);
        assert_eq!(buf.as_ptr(), given);
        buf.extend_from_slice(&[1; 100]);
        give_back(&mut Vec::with_capacity(MIN_CAPACITY));
        reserve(&mut buf, MIN_CAPACITY);
        assert_eq!((buf.len(), kept()), (100, 1));
        assert!(buf.capacity() >= 100 + MIN_CAPACITY);
    }

    #[test]
    fn a_kept_buffer_too_small_for_the_request_is_not_handed_out() {
        give_back(&mut Vec::with_capacity(MIN_CAPACITY));
        let large = take(MIN_CAPACITY + 1);
        assert!(large.capacity() > MIN_CAPACITY);
    }

    #[test]
    fn a_buffer_grown_for_a_bulk_transfer_stays_with_its_owner() {
        let mut bulk = Vec::with_capacity(MAX_CAPACITY + 1);
        bulk.push(1);
        recycle(&mut bulk);
        assert_eq!(
            (bulk.len(), bulk.capacity(), kept()),
            (0, MAX_CAPACITY + 1, 0)
        );
        let mut usual = Vec::with_capacity(MIN_CAPACITY);
        recycle(&mut usual);
        assert_eq!((usual.capacity(), kept()), (0, 1));
    }

    #[test]
    fn buffers_outside_the_kept_sizes_or_count_are_freed() {
        give_back(&mut Vec::with_capacity(MAX_CAPACITY + 1));
        give_back(&mut Vec::with_capacity(MIN_CAPACITY - 1));
        assert_eq!(kept(), 0);
        for _ in 0..KEPT + 1 {
            give_back(&mut Vec::with_capacity(MIN_CAPACITY));
        }
        assert_eq!(kept(), KEPT);
    }
}
