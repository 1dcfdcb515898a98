//! A histogram's bucket counts: 32 bits each while every count fits, 64 bits from the first
//! count that would not.
//!
//! A run keeps a histogram per service version; at a thousand services they were the largest
//! item of its memory (4.3 MB at 64 bits a count). No bucket of a real run comes near 2^32
//! samples, so narrow counts halve that; a run that does (a million requests a second into
//! one bucket for over an hour) widens its array once and goes on exactly.

#[derive(Debug, Clone)]
pub(super) enum BucketCounts {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for BucketCounts {
    fn default() -> Self {
        BucketCounts::Narrow(Vec::new())
    }
}

impl BucketCounts {
    #[inline]
    pub(super) fn len(&self) -> usize {
        match self {
            BucketCounts::Narrow(counts) => counts.len(),
            BucketCounts::Wide(counts) => counts.len(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Grows to `len` buckets; the new ones are zero.
    pub(super) fn grow_to(&mut self, len: usize) {
        debug_assert!(len >= self.len());
        match self {
            BucketCounts::Narrow(counts) => counts.resize(len, 0),
            BucketCounts::Wide(counts) => counts.resize(len, 0),
        }
    }

    /// Puts `zeros` empty buckets before the first.
    pub(super) fn prepend_zeros(&mut self, zeros: usize) {
        match self {
            BucketCounts::Narrow(counts) => {
                counts.splice(0..0, std::iter::repeat_n(0, zeros));
            }
            BucketCounts::Wide(counts) => {
                counts.splice(0..0, std::iter::repeat_n(0, zeros));
            }
        }
    }

    /// Zeroes every bucket, keeping the array (and its width).
    pub(super) fn zero(&mut self) {
        match self {
            BucketCounts::Narrow(counts) => counts.fill(0),
            BucketCounts::Wide(counts) => counts.fill(0),
        }
    }

    /// Adds `count` to bucket `slot`, widening every count first if it would not fit.
    #[inline]
    pub(super) fn add(&mut self, slot: usize, count: u64) {
        if let BucketCounts::Narrow(counts) = self {
            let sum = u32::try_from(count)
                .ok()
                .and_then(|count| counts[slot].checked_add(count));
            if let Some(sum) = sum {
                counts[slot] = sum;
                return;
            }
            self.widen();
        }
        match self {
            BucketCounts::Wide(counts) => counts[slot] += count,
            BucketCounts::Narrow(_) => unreachable!("widened above"),
        }
    }

    /// Every bucket's count, first to last.
    pub(super) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let (narrow, wide): (&[u32], &[u64]) = match self {
            BucketCounts::Narrow(counts) => (counts, &[]),
            BucketCounts::Wide(counts) => (&[], counts),
        };
        narrow
            .iter()
            .map(|&count| u64::from(count))
            .chain(wide.iter().copied())
    }

    fn widen(&mut self) {
        if let BucketCounts::Narrow(counts) = self {
            let wide = counts.iter().map(|&count| u64::from(count)).collect();
            *self = BucketCounts::Wide(wide);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BucketCounts;

    #[test]
    fn counts_stay_narrow_until_one_would_not_fit_then_all_widen_exactly() {
        let mut counts = BucketCounts::default();
        counts.grow_to(3);
        counts.add(0, 7);
        counts.add(2, u64::from(u32::MAX) - 1);
        counts.add(2, 1);
        assert!(matches!(counts, BucketCounts::Narrow(_)), "{counts:?}");
        counts.add(2, 1);
        assert!(matches!(counts, BucketCounts::Wide(_)), "{counts:?}");
        assert_eq!(counts.iter().collect::<Vec<_>>(), [7, 0, 1 << 32]);
        counts.prepend_zeros(2);
        counts.grow_to(6);
        assert_eq!(counts.iter().collect::<Vec<_>>(), [0, 0, 7, 0, 1 << 32, 0]);
        counts.zero();
        assert_eq!(counts.iter().sum::<u64>(), 0);
        assert_eq!(counts.len(), 6);
    }

    #[test]
    fn a_count_too_big_for_32_bits_widens_at_once() {
        let mut counts = BucketCounts::default();
        counts.grow_to(1);
        counts.add(0, 1 << 40);
        assert_eq!(counts.iter().collect::<Vec<_>>(), [1 << 40]);
    }
}
