//! A slab with generation-tagged keys: O(1) insert and remove, and a stale key (a late answer
//! for a request already given up on) never finds the entry that reused its slot.

/// A key into a [`Slab`]: slot index in the low 32 bits, generation in the high 24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlabKey(pub u64);

const GENERATION_MASK: u32 = (1 << 24) - 1;

/// The end of the free list.
const NO_FREE_SLOT: u32 = u32::MAX;

enum State<T> {
    Occupied(T),
    /// Free; the next free slot below it on the free list's stack.
    Vacant {
        next_free: u32,
    },
}

struct Entry<T> {
    generation: u32,
    state: State<T>,
}

/// The free slots form a stack threaded through the vacant entries themselves (the last slot
/// freed is the first reused, whose memory is the likeliest to be in the cache), so an insert
/// or a remove touches the entry and the slab's own fields, and no separate heap block: at
/// thousands of instances, each block an event touches is a cache miss of its own.
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free_head: u32,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free_head: NO_FREE_SLOT,
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// A slab with room for `capacity` entries before it grows. An instance's slabs are made
    /// with it, so their blocks are allocated beside the instance's other blocks rather than
    /// wherever the heap is at the first request: at thousands of instances, one event's blocks
    /// on fewer pages take fewer TLB misses.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Slab {
            entries: Vec::with_capacity(capacity),
            free_head: NO_FREE_SLOT,
            len: 0,
        }
    }

    pub(crate) fn insert(&mut self, value: T) -> SlabKey {
        self.len += 1;
        if self.free_head != NO_FREE_SLOT {
            let index = self.free_head;
            let entry = &mut self.entries[index as usize];
            let State::Vacant { next_free } = entry.state else {
                unreachable!("the free list holds vacant slots only");
            };
            self.free_head = next_free;
            entry.generation = (entry.generation + 1) & GENERATION_MASK;
            entry.state = State::Occupied(value);
            return key_of(entry.generation, index);
        }
        let index = u32::try_from(self.entries.len()).expect("fewer than 2^32 live entries");
        assert!(index != NO_FREE_SLOT, "fewer than 2^32 - 1 entries");
        self.entries.push(Entry {
            generation: 0,
            state: State::Occupied(value),
        });
        key_of(0, index)
    }

    fn slot(&self, key: SlabKey) -> Option<usize> {
        let index = (key.0 & u64::from(u32::MAX)) as usize;
        let generation = key.0 >> 32;
        let entry = self.entries.get(index)?;
        (u64::from(entry.generation) == generation && matches!(entry.state, State::Occupied(_)))
            .then_some(index)
    }

    pub(crate) fn get(&self, key: SlabKey) -> Option<&T> {
        let index = self.slot(key)?;
        match &self.entries[index].state {
            State::Occupied(value) => Some(value),
            State::Vacant { .. } => None,
        }
    }

    pub(crate) fn get_mut(&mut self, key: SlabKey) -> Option<&mut T> {
        let index = self.slot(key)?;
        match &mut self.entries[index].state {
            State::Occupied(value) => Some(value),
            State::Vacant { .. } => None,
        }
    }

    pub(crate) fn remove(&mut self, key: SlabKey) -> Option<T> {
        let index = self.slot(key)?;
        Some(self.vacate(index))
    }

    /// Frees the occupied slot `index`, pushing it on the free list; returns its value.
    fn vacate(&mut self, index: usize) -> T {
        self.len -= 1;
        let vacant = State::Vacant {
            next_free: self.free_head,
        };
        self.free_head = index as u32;
        match std::mem::replace(&mut self.entries[index].state, vacant) {
            State::Occupied(value) => value,
            State::Vacant { .. } => unreachable!("vacate takes an occupied slot"),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The live entries with their keys, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (SlabKey, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| match &entry.state {
                State::Occupied(value) => Some((key_of(entry.generation, index as u32), value)),
                State::Vacant { .. } => None,
            })
    }

    /// Removes every entry, in slot order, keeping generations so old keys stay stale.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut values = Vec::with_capacity(self.len);
        for index in 0..self.entries.len() {
            if matches!(self.entries[index].state, State::Occupied(_)) {
                values.push(self.vacate(index));
            }
        }
        debug_assert_eq!(self.len, 0);
        values
    }
}

fn key_of(generation: u32, index: u32) -> SlabKey {
    SlabKey(u64::from(generation) << 32 | u64::from(index))
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn stale_keys_miss() {
        let mut slab = Slab::default();
        let first = slab.insert("a");
        assert_eq!(slab.remove(first), Some("a"));
        let second = slab.insert("b");
        assert_ne!(first, second);
        assert_eq!(slab.get(first), None);
        assert_eq!(slab.get(second), Some(&"b"));
        assert_eq!(slab.len(), 1);
        assert_eq!(slab.drain(), vec!["b"]);
        assert!(slab.get(second).is_none());
    }
}
