//! The event queue: a min-heap ordered by `(time, insertion sequence)`.
//!
//! Ties in time are broken by the order of insertion, so two events scheduled
//! for the same instant always run in the order they were scheduled, whatever
//! the heap's internal layout.

use core::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Instant;

struct Entry<T> {
    at: Instant,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A deterministic priority queue of items due at given instants.
pub struct Queue<T> {
    heap: BinaryHeap<Entry<T>>,
    next_seq: u64,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Queue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Queue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Schedules `item` at `at`, after everything already scheduled at `at`.
    pub fn push(&mut self, at: Instant, item: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { at, seq, item });
    }

    /// The instant of the earliest item, if any.
    #[must_use]
    pub fn peek_time(&self) -> Option<Instant> {
        self.heap.peek().map(|e| e.at)
    }

    /// Removes and returns the earliest item if it is due at or before `now`.
    #[must_use]
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, T)> {
        if self.heap.peek()?.at <= now {
            self.heap.pop().map(|e| (e.at, e.item))
        } else {
            None
        }
    }

    /// Removes and returns the earliest item.
    #[must_use]
    pub fn pop(&mut self) -> Option<(Instant, T)> {
        self.heap.pop().map(|e| (e.at, e.item))
    }

    /// Keeps only the items for which `keep` returns true. The survivors
    /// keep their order: each keeps its time and insertion sequence.
    pub fn retain(&mut self, mut keep: impl FnMut(Instant, &T) -> bool) {
        self.heap.retain(|e| keep(e.at, &e.item));
    }

    /// The number of items waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_and_breaks_ties_by_insertion() {
        let mut q = Queue::new();
        q.push(Instant::from_nanos(30), "c");
        q.push(Instant::from_nanos(10), "a1");
        q.push(Instant::from_nanos(20), "b");
        q.push(Instant::from_nanos(10), "a2");
        q.push(Instant::from_nanos(10), "a3");
        let order: Vec<_> = core::iter::from_fn(|| q.pop().map(|(_, s)| s)).collect();
        assert_eq!(order, ["a1", "a2", "a3", "b", "c"]);
    }

    #[test]
    fn retain_keeps_the_order_of_the_survivors() {
        let mut q = Queue::new();
        for (t, v) in [(5, 1), (1, 2), (5, 3), (3, 4), (1, 5)] {
            q.push(Instant::from_nanos(t), v);
        }
        q.retain(|_, v| v % 2 == 1);
        let order: Vec<_> = core::iter::from_fn(|| q.pop().map(|(_, v)| v)).collect();
        assert_eq!(order, [5, 1, 3]);
    }

    #[test]
    fn pop_due_leaves_future_items() {
        let mut q = Queue::new();
        q.push(Instant::from_nanos(5), 1);
        q.push(Instant::from_nanos(50), 2);
        assert_eq!(
            q.pop_due(Instant::from_nanos(10)),
            Some((Instant::from_nanos(5), 1))
        );
        assert_eq!(q.pop_due(Instant::from_nanos(10)), None);
        assert_eq!(q.peek_time(), Some(Instant::from_nanos(50)));
    }
}
