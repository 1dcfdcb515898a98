//! A slab with generation-tagged keys: O(1) insert and remove, and a stale key (a late answer
//! for a request already given up on) never finds the entry that reused its slot.

/// A key into a [`Slab`]: slot index in the low 32 bits, generation in the high 24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlabKey(pub u64);

const GENERATION_MASK: u64 = (1 << 24) - 1;

struct Entry<T> {
    generation: u64,
    value: Option<T>,
}

pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    pub(crate) fn insert(&mut self, value: T) -> SlabKey {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            debug_assert!(entry.value.is_none());
            entry.generation = (entry.generation + 1) & GENERATION_MASK;
            entry.value = Some(value);
            return SlabKey(entry.generation << 32 | u64::from(index));
        }
        let index = u32::try_from(self.entries.len()).expect("fewer than 2^32 live entries");
        self.entries.push(Entry {
            generation: 0,
            value: Some(value),
        });
        SlabKey(u64::from(index))
    }

    fn slot(&self, key: SlabKey) -> Option<usize> {
        let index = (key.0 & u64::from(u32::MAX)) as usize;
        let generation = key.0 >> 32;
        let entry = self.entries.get(index)?;
        (entry.generation == generation && entry.value.is_some()).then_some(index)
    }

    pub(crate) fn get(&self, key: SlabKey) -> Option<&T> {
        self.slot(key)
            .and_then(|index| self.entries[index].value.as_ref())
    }

    pub(crate) fn get_mut(&mut self, key: SlabKey) -> Option<&mut T> {
        self.slot(key)
            .and_then(|index| self.entries[index].value.as_mut())
    }

    pub(crate) fn remove(&mut self, key: SlabKey) -> Option<T> {
        let index = self.slot(key)?;
        self.len -= 1;
        self.free.push(index as u32);
        self.entries[index].value.take()
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
            .filter_map(|(index, entry)| {
                entry
                    .value
                    .as_ref()
                    .map(|value| (SlabKey(entry.generation << 32 | index as u64), value))
            })
    }

    /// Removes every entry, in slot order, keeping generations so old keys stay stale.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut values = Vec::with_capacity(self.len);
        for (index, entry) in self.entries.iter_mut().enumerate() {
            if let Some(value) = entry.value.take() {
                values.push(value);
                self.free.push(index as u32);
            }
        }
        self.len = 0;
        values
    }
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
