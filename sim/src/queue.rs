//! The event queue: events ordered by time, then by the order they were scheduled.
//!
//! The sequence number breaks ties, so two events at the same nanosecond always run in the
//! order they were pushed, whatever the heap's internal layout.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// A heap entry: the ordering key and where the event's payload waits. Payloads stay put in a
/// slab, so the heap only ever moves these 24 bytes, whatever the size of an event. (Two words
/// rather than one `u128` key: a `u128` field is 16-aligned, which made an entry 32 bytes, and
/// the heap a third larger, for nothing.)
#[derive(Clone, Copy)]
struct Entry {
    time_ns: u64,
    sequence: u64,
    slot: u32,
}

impl Entry {
    fn time(&self) -> SimTime {
        SimTime::from_nanos(self.time_ns)
    }

    /// The time in the high 64 bits, the sequence in the low 64: one integer comparison orders
    /// by time, then by push order, which the compiler turns into flag arithmetic rather than
    /// the two branches a (time, sequence) tuple takes. Sifting a heap is mostly comparisons
    /// whose outcome no predictor can guess. (A four-ary heap took fewer cache misses but more
    /// instructions than the standard library's binary one, and lost.)
    fn key(&self) -> u128 {
        u128::from(self.time_ns) << 64 | u128::from(self.sequence)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed, so the max-heap pops the earliest (time, sequence) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Entry>,
    payloads: Vec<Option<E>>,
    free_slots: Vec<u32>,
    next_sequence: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            payloads: Vec::new(),
            free_slots: Vec::new(),
            next_sequence: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub(crate) fn push(&mut self, time: SimTime, event: E) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let slot = if let Some(slot) = self.free_slots.pop() {
            debug_assert!(self.payloads[slot as usize].is_none());
            self.payloads[slot as usize] = Some(event);
            slot
        } else {
            let slot = u32::try_from(self.payloads.len()).expect("fewer than 2^32 pending events");
            self.payloads.push(Some(event));
            slot
        };
        self.heap.push(Entry {
            time_ns: time.as_nanos(),
            sequence,
            slot,
        });
    }

    pub(crate) fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(Entry::time)
    }

    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = self.heap.pop()?;
        let event = self.payloads[entry.slot as usize]
            .take()
            .expect("a queued slot holds its event");
        self.free_slots.push(entry.slot);
        Some((entry.time(), event))
    }
}

#[cfg(test)]
mod tests {
    use super::EventQueue;
    use crate::time::SimTime;

    #[test]
    fn pops_by_time_then_by_push_order() {
        let mut queue = EventQueue::default();
        queue.push(SimTime::from_nanos(5), "b");
        queue.push(SimTime::from_nanos(1), "a");
        queue.push(SimTime::from_nanos(5), "c");
        queue.push(SimTime::from_nanos(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop().map(|(_, event)| event)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }
    proptest::proptest! {
        /// Any interleaving of pushes and pops pops what a sorted reference pops: the earliest
        /// time, then the earliest pushed, so the heap's shape never shows.
        #[test]
        fn pops_as_a_sorted_reference_does(
            operations in proptest::collection::vec(proptest::option::of(0u64..50), 0..400)
        ) {
            let mut queue = EventQueue::default();
            let mut reference = std::collections::BTreeSet::new();
            for (pushed, operation) in operations.into_iter().enumerate() {
                if let Some(time_ns) = operation {
                    queue.push(SimTime::from_nanos(time_ns), pushed);
                    reference.insert((time_ns, pushed));
                } else {
                    let expected = reference.pop_first();
                    let popped = queue.pop().map(|(time, event)| (time.as_nanos(), event));
                    proptest::prop_assert_eq!(popped, expected);
                }
                let earliest = reference.first().map(|&(time_ns, _)| SimTime::from_nanos(time_ns));
                proptest::prop_assert_eq!(queue.peek_time(), earliest);
            }
            while let Some(expected) = reference.pop_first() {
                let popped = queue.pop().map(|(time, event)| (time.as_nanos(), event));
                proptest::prop_assert_eq!(popped, Some(expected));
            }
            proptest::prop_assert!(queue.pop().is_none());
        }
    }
}
