//! The event queue: what happens when, ordered by `(time, sequence)`.
//!
//! It holds two kinds of entries:
//! - items, pushed once and popped once (a packet reaching the end of a
//!   link). An item may name a lane (the link): items that a lane receives
//!   in time order wait in a FIFO of their own instead of the heap, which
//!   changes the cost, never the order;
//! - timers, one per key (a socket's next deadline), that can be moved or
//!   disarmed at any time. A moved timer takes a new place in the order, as
//!   if pushed anew; one re-armed at the instant it already had keeps its
//!   place. A disarmed timer leaves nothing behind, so the queue only ever
//!   holds what will really happen.
//!
//! Both draw their sequence numbers from one counter: two entries due at the
//! same instant always come out in the order they were scheduled, whatever
//! their kind and whatever the heaps' internal layout.

use core::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use crate::time::Instant;

/// `(time, sequence)` as one number: comparing two entries is one comparison.
fn order(at: Instant, seq: u64) -> u128 {
    (u128::from(at.as_nanos()) << 64) | u128::from(seq)
}

struct Entry<T> {
    at: Instant,
    seq: u64,
    item: T,
}

impl<T> Entry<T> {
    fn order(&self) -> u128 {
        order(self.at, self.seq)
    }
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
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
        other.order().cmp(&self.order())
    }
}

/// What [`Queue::pop_due`] hands back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due<T> {
    /// A pushed item.
    Item(T),
    /// The timer of this key fired; it is now disarmed.
    Timer(u32),
}

/// A deterministic priority queue of items and keyed timers.
pub struct Queue<T> {
    items: BinaryHeap<Entry<T>>,
    /// Items in time order, by lane.
    lanes: Vec<VecDeque<Entry<T>>>,
    /// The first item of each non-empty lane, keyed by lane.
    lane_heads: Timers,
    timers: Timers,
    next_seq: u64,
}

/// Where the earliest entry waits.
enum Source {
    Items,
    Lane,
    Timers,
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
            items: BinaryHeap::new(),
            lanes: Vec::new(),
            lane_heads: Timers::default(),
            timers: Timers::default(),
            next_seq: 0,
        }
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Schedules `item` at `at`, after everything already scheduled at `at`.
    pub fn push(&mut self, at: Instant, item: T) {
        let seq = self.take_seq();
        self.items.push(Entry { at, seq, item });
    }

    /// Schedules `item` at `at` like [`push`](Self::push), in `lane`.
    pub fn push_in_lane(&mut self, lane: u32, at: Instant, item: T) {
        let seq = self.take_seq();
        let index = lane as usize;
        if index >= self.lanes.len() {
            self.lanes.resize_with(index + 1, VecDeque::new);
        }
        let fifo = &mut self.lanes[index];
        match fifo.back() {
            // Out of the lane's time order: the heap sorts it in.
            Some(last) if last.at > at => self.items.push(Entry { at, seq, item }),
            Some(_) => fifo.push_back(Entry { at, seq, item }),
            None => {
                fifo.push_back(Entry { at, seq, item });
                self.lane_heads.arm(lane, at, seq);
            }
        }
    }

    /// Arms the timer `key` to fire at `at`, replacing its earlier deadline,
    /// or disarms it with `None`.
    pub fn set_timer(&mut self, key: u32, at: Option<Instant>) {
        match at {
            None => self.timers.disarm(key),
            Some(at) if self.timers.deadline(key) == Some(at) => {}
            Some(at) => {
                let seq = self.take_seq();
                self.timers.arm(key, at, seq);
            }
        }
    }

    /// When the timer `key` will fire, if it is armed.
    #[must_use]
    pub fn timer(&self, key: u32) -> Option<Instant> {
        self.timers.deadline(key)
    }

    /// Where the earliest entry waits, and its instant.
    fn first(&self) -> Option<(Source, Instant)> {
        const NONE: u128 = u128::MAX;
        let item = self.items.peek().map_or(NONE, Entry::order);
        let lane = self.lane_heads.first().map_or(NONE, Deadline::order);
        let timer = self.timers.first().map_or(NONE, Deadline::order);
        let (source, order) = if item < lane && item < timer {
            (Source::Items, item)
        } else if lane < timer {
            (Source::Lane, lane)
        } else {
            (Source::Timers, timer)
        };
        (order != NONE).then(|| (source, Instant::from_nanos((order >> 64) as u64)))
    }

    /// The instant of the earliest entry, if any.
    #[must_use]
    pub fn peek_time(&self) -> Option<Instant> {
        self.first().map(|(_, at)| at)
    }

    /// Removes and returns the earliest entry if it is due at or before `now`.
    #[must_use]
    pub fn pop_due(&mut self, now: Instant) -> Option<(Instant, Due<T>)> {
        let (source, at) = self.first()?;
        (at <= now).then(|| self.take(source)).flatten()
    }

    /// Removes and returns the earliest entry.
    #[must_use]
    pub fn pop(&mut self) -> Option<(Instant, Due<T>)> {
        let (source, _) = self.first()?;
        self.take(source)
    }

    fn take(&mut self, source: Source) -> Option<(Instant, Due<T>)> {
        let entry = match source {
            Source::Items => self.items.pop()?,
            Source::Lane => {
                let lane = self.lane_heads.first()?.key;
                let fifo = &mut self.lanes[lane as usize];
                let entry = fifo.pop_front()?;
                match fifo.front() {
                    Some(next) => self.lane_heads.arm(lane, next.at, next.seq),
                    None => self.lane_heads.disarm(lane),
                }
                entry
            }
            Source::Timers => {
                let timer = self.timers.pop_first()?;
                return Some((timer.at, Due::Timer(timer.key)));
            }
        };
        Some((entry.at, Due::Item(entry.item)))
    }

    /// The number of items and armed timers waiting.
    pub fn len(&self) -> usize {
        let in_lanes: usize = self.lanes.iter().map(VecDeque::len).sum();
        self.items.len() + in_lanes + self.timers.heap.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Copy, Debug)]
struct Deadline {
    at: Instant,
    seq: u64,
    key: u32,
}

impl Deadline {
    fn order(&self) -> u128 {
        order(self.at, self.seq)
    }
}

/// Where a key's deadline sits in `Timers::heap`.
const DISARMED: u32 = u32::MAX;

/// A binary min-heap of deadlines that knows where each key's entry is, so
/// a timer moves or leaves in O(log n) instead of waiting stale in the heap.
#[derive(Default)]
struct Timers {
    heap: Vec<Deadline>,
    /// Heap position of each key's deadline, or `DISARMED`.
    position: Vec<u32>,
}

impl Timers {
    fn deadline(&self, key: u32) -> Option<Instant> {
        let at = *self.position.get(key as usize)?;
        (at != DISARMED).then(|| self.heap[at as usize].at)
    }

    fn first(&self) -> Option<&Deadline> {
        self.heap.first()
    }

    fn arm(&mut self, key: u32, at: Instant, seq: u64) {
        let k = key as usize;
        if k >= self.position.len() {
            self.position.resize(k + 1, DISARMED);
        }
        let deadline = Deadline { at, seq, key };
        let pos = match self.position[k] {
            DISARMED => {
                self.heap.push(deadline);
                self.heap.len() - 1
            }
            pos => {
                self.heap[pos as usize] = deadline;
                pos as usize
            }
        };
        self.settle(pos);
    }

    fn disarm(&mut self, key: u32) {
        if let Some(&pos) = self.position.get(key as usize) {
            if pos != DISARMED {
                self.remove_at(pos as usize);
            }
        }
    }

    fn pop_first(&mut self) -> Option<Deadline> {
        (!self.heap.is_empty()).then(|| self.remove_at(0))
    }

    fn remove_at(&mut self, pos: usize) -> Deadline {
        let removed = self.heap.swap_remove(pos);
        self.position[removed.key as usize] = DISARMED;
        if pos < self.heap.len() {
            self.settle(pos);
        }
        removed
    }

    /// Moves the entry at `pos` up or down to its place, keeping `position` current.
    fn settle(&mut self, mut pos: usize) {
        let entry = self.heap[pos];
        let order = entry.order();
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if order >= self.heap[parent].order() {
                break;
            }
            self.place(pos, self.heap[parent]);
            pos = parent;
        }
        loop {
            let left = 2 * pos + 1;
            let Some(left_entry) = self.heap.get(left) else {
                break;
            };
            let child = match self.heap.get(left + 1) {
                Some(right) if right.order() < left_entry.order() => left + 1,
                _ => left,
            };
            if self.heap[child].order() >= order {
                break;
            }
            self.place(pos, self.heap[child]);
            pos = child;
        }
        self.place(pos, entry);
    }

    fn place(&mut self, pos: usize, entry: Deadline) {
        self.heap[pos] = entry;
        self.position[entry.key as usize] = pos as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(nanos: u64) -> Instant {
        Instant::from_nanos(nanos)
    }

    fn drain<T>(q: &mut Queue<T>) -> Vec<Due<T>> {
        core::iter::from_fn(|| q.pop().map(|(_, due)| due)).collect()
    }

    #[test]
    fn pops_in_time_order_and_breaks_ties_by_insertion() {
        let mut q = Queue::new();
        q.push(t(30), "c");
        q.push(t(10), "a1");
        q.push(t(20), "b");
        q.push(t(10), "a2");
        q.push(t(10), "a3");
        let order: Vec<_> = drain(&mut q);
        let items = ["a1", "a2", "a3", "b", "c"].map(Due::Item);
        assert_eq!(order, items);
    }

    #[test]
    fn items_and_timers_share_one_order() {
        let mut q = Queue::new();
        q.push(t(10), 'a');
        q.set_timer(7, Some(t(10)));
        q.push(t(10), 'b');
        q.set_timer(3, Some(t(5)));
        assert_eq!(q.peek_time(), Some(t(5)));
        assert_eq!(
            drain(&mut q),
            [Due::Timer(3), Due::Item('a'), Due::Timer(7), Due::Item('b')]
        );
    }

    #[test]
    fn lanes_keep_the_order_of_a_single_heap() {
        // Lane 0 in time order, lane 1 out of order (its third item goes
        // to the heap), plain items and timers between them.
        let mut q = Queue::new();
        q.push_in_lane(0, t(10), "l0 a");
        q.push_in_lane(1, t(30), "l1 a");
        q.push(t(10), "plain a");
        q.push_in_lane(1, t(5), "l1 early");
        q.push_in_lane(0, t(10), "l0 b");
        q.set_timer(9, Some(t(10)));
        q.push_in_lane(0, t(40), "l0 c");
        q.push_in_lane(1, t(30), "l1 b");
        assert_eq!(q.len(), 8);
        assert_eq!(q.peek_time(), Some(t(5)));
        assert_eq!(
            drain(&mut q),
            [
                Due::Item("l1 early"),
                Due::Item("l0 a"),
                Due::Item("plain a"),
                Due::Item("l0 b"),
                Due::Timer(9),
                Due::Item("l1 a"),
                Due::Item("l1 b"),
                Due::Item("l0 c"),
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn a_moved_timer_is_ordered_as_if_pushed_anew() {
        let mut q: Queue<()> = Queue::new();
        q.set_timer(1, Some(t(50)));
        q.set_timer(2, Some(t(20)));
        q.set_timer(1, Some(t(20)));
        // Same instant again: keeps its place behind timer 2.
        q.set_timer(1, Some(t(20)));
        assert_eq!(q.timer(1), Some(t(20)));
        assert_eq!(q.len(), 2);
        assert_eq!(drain(&mut q), [Due::Timer(2), Due::Timer(1)]);
        assert_eq!(q.timer(1), None);
    }

    #[test]
    fn a_disarmed_timer_never_fires() {
        let mut q: Queue<()> = Queue::new();
        for key in 0..10 {
            q.set_timer(key, Some(t(100 - u64::from(key))));
        }
        q.set_timer(4, None);
        q.set_timer(4, None);
        q.set_timer(11, None);
        let order = drain(&mut q);
        let expected: Vec<_> = (0..10).rev().filter(|&k| k != 4).map(Due::Timer).collect();
        assert_eq!(order, expected);
        assert!(q.is_empty());
    }

    #[test]
    fn pop_due_leaves_future_entries() {
        let mut q = Queue::new();
        q.push(t(5), 1);
        q.push(t(50), 2);
        q.set_timer(0, Some(t(40)));
        assert_eq!(q.pop_due(t(10)), Some((t(5), Due::Item(1))));
        assert_eq!(q.pop_due(t(10)), None);
        assert_eq!(q.peek_time(), Some(t(40)));
    }

    #[test]
    fn timers_match_a_sorted_model_under_random_moves() {
        // A deterministic walk of arms, moves and disarms over few keys,
        // checked against the obvious model: sort by (time, last arming).
        let mut q: Queue<()> = Queue::new();
        let mut model: Vec<Option<(u64, u64)>> = vec![None; 16];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for step in 0..2000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = (x % 16) as u32;
            let at = (x >> 8) % 64;
            if x % 5 == 0 {
                q.set_timer(key, None);
                model[key as usize] = None;
            } else if model[key as usize].map(|(a, _)| a) != Some(at) {
                q.set_timer(key, Some(t(at)));
                model[key as usize] = Some((at, step));
            }
        }
        let mut expected: Vec<(u64, u64, u32)> = model
            .iter()
            .enumerate()
            .filter_map(|(k, m)| m.map(|(at, seq)| (at, seq, k as u32)))
            .collect();
        expected.sort_unstable();
        let popped: Vec<_> = core::iter::from_fn(|| q.pop()).collect();
        let wanted: Vec<_> = expected
            .iter()
            .map(|&(at, _, k)| (t(at), Due::Timer(k)))
            .collect();
        assert_eq!(popped, wanted);
    }
}
