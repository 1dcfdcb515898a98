//! A bounded log-linear histogram of durations, for percentiles without keeping every sample.
//!
//! Values below 128 ns are counted exactly; above, each power of two is split into 64 linear
//! buckets, so a reported percentile is within 1/128 (0.8 %) of a true sample. The bucket array
//! spans only the buckets between the smallest and the largest value seen: latencies of 1 to
//! 100 ms fill about 450 buckets (1.8 KB at 32 bits a count, `histogram/bucket_counts.rs`),
//! where an array from zero would hold 1,400 (5.6 KB), so a histogram per service version
//! stays small, and a percentile scans only buckets in the span.
//! (A metrics interval keeps its few latencies as values, `recorder/interval_latencies.rs`, and
//! takes its percentiles with [`Histogram::quantile_of_values_ns`], exactly as here.)
//! hdrhistogram would allocate its whole range up front (tens of kilobytes each), which a
//! thousand services cannot afford.

mod bucket_counts;

use bucket_counts::BucketCounts;

const EXACT_LIMIT: u64 = 128;
const SUB_BUCKET_BITS: u32 = 6;
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;
/// Buckets added below the lowest when a smaller value arrives, so a histogram whose values
/// creep downwards shifts its array once in a while rather than at every new minimum.
const GROW_DOWN_BUCKETS: usize = SUB_BUCKETS as usize;

#[derive(Debug, Clone, Default)]
pub struct Histogram {
    /// Counts of the buckets `first_bucket..first_bucket + counts.len()`; empty when nothing is
    /// recorded. 32 bits each while they fit.
    counts: BucketCounts,
    first_bucket: usize,
    count: u64,
    sum_ns: u128,
    /// Sum of squares, for the standard deviation: a u128 holds a billion samples of an hour.
    sum_squares_ns: u128,
    min_ns: u64,
    max_ns: u64,
}

fn bucket_index(value: u64) -> usize {
    if value < EXACT_LIMIT {
        return value as usize;
    }
    let exponent = value.ilog2(); // >= 7
    let shift = exponent - SUB_BUCKET_BITS;
    let sub = (value >> shift) - SUB_BUCKETS; // in 0..64
    (EXACT_LIMIT + u64::from(exponent - 7) * SUB_BUCKETS + sub) as usize
}

/// The middle of the values a bucket holds.
fn bucket_value(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT_LIMIT {
        return index;
    }
    let offset = index - EXACT_LIMIT;
    let exponent = (offset / SUB_BUCKETS) as u32 + 7;
    let sub = offset % SUB_BUCKETS + SUB_BUCKETS;
    let shift = exponent - SUB_BUCKET_BITS;
    let low = sub << shift;
    low + ((1u64 << shift) >> 1)
}

impl Histogram {
    pub fn new() -> Self {
        Histogram::default()
    }

    pub fn record(&mut self, value_ns: u64) {
        let index = bucket_index(value_ns);
        if self.counts.is_empty() {
            self.first_bucket = index;
        } else if index < self.first_bucket {
            self.grow_down(index.saturating_sub(GROW_DOWN_BUCKETS));
        }
        let slot = index - self.first_bucket;
        if slot >= self.counts.len() {
            self.counts.grow_to(slot + 1);
        }
        self.counts.add(slot, 1);
        if self.count == 0 || value_ns < self.min_ns {
            self.min_ns = value_ns;
        }
        self.max_ns = self.max_ns.max(value_ns);
        self.count += 1;
        self.sum_ns += u128::from(value_ns);
        self.sum_squares_ns += u128::from(value_ns) * u128::from(value_ns);
    }

    pub fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if self.counts.is_empty() {
            self.first_bucket = other.first_bucket;
        } else if other.first_bucket < self.first_bucket {
            self.grow_down(other.first_bucket);
        }
        let offset = other.first_bucket - self.first_bucket;
        if offset + other.counts.len() > self.counts.len() {
            self.counts.grow_to(offset + other.counts.len());
        }
        for (slot, count) in other.counts.iter().enumerate() {
            if count != 0 {
                self.counts.add(offset + slot, count);
            }
        }
        if self.count == 0 || other.min_ns < self.min_ns {
            self.min_ns = other.min_ns;
        }
        self.max_ns = self.max_ns.max(other.max_ns);
        self.count += other.count;
        self.sum_ns += other.sum_ns;
        self.sum_squares_ns += other.sum_squares_ns;
    }

    /// Moves the first bucket down to `first_bucket`, with zero counts below the old one.
    fn grow_down(&mut self, first_bucket: usize) {
        debug_assert!(first_bucket < self.first_bucket);
        let added = self.first_bucket - first_bucket;
        self.counts.prepend_zeros(added);
        self.first_bucket = first_bucket;
    }

    /// Forgets every value but keeps the span of buckets, zeroed: a histogram emptied at every
    /// metrics interval takes the next interval's values without moving its array.
    pub fn clear(&mut self) {
        self.counts.zero();
        self.count = 0;
        self.sum_ns = 0;
        self.sum_squares_ns = 0;
        self.min_ns = 0;
        self.max_ns = 0;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The exact mean; zero when empty.
    pub fn mean_ns(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ns as f64 / self.count as f64
        }
    }

    /// The exact (population) standard deviation; zero when empty.
    pub fn stddev_ns(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let count = self.count as f64;
        let mean = self.sum_ns as f64 / count;
        let variance = (self.sum_squares_ns as f64 / count - mean * mean).max(0.0);
        variance.sqrt()
    }

    pub fn max_ns(&self) -> u64 {
        self.max_ns
    }

    pub fn min_ns(&self) -> u64 {
        self.min_ns
    }

    /// The value at quantile `q` (0 to 1) of `values`, exactly as [`Histogram::quantile_ns`]
    /// gives it for a histogram of them: the middle of the bucket that holds the value of rank
    /// `ceil(q * count)`, clamped to the smallest and largest value. Zero when empty. Reorders
    /// `values` (a selection, linear in their number).
    pub fn quantile_of_values_ns(values_ns: &mut [u64], quantile: f64) -> u64 {
        let (Some(&min_ns), Some(&max_ns)) = (values_ns.iter().min(), values_ns.iter().max())
        else {
            return 0;
        };
        if quantile <= 0.0 {
            return min_ns;
        }
        let count = values_ns.len() as u64;
        let rank = ((quantile.clamp(0.0, 1.0) * count as f64).ceil() as u64).clamp(1, count);
        let (_, value_ns, _) = values_ns.select_nth_unstable((rank - 1) as usize);
        bucket_value(bucket_index(*value_ns)).clamp(min_ns, max_ns)
    }

    /// The value at quantile `q` (0 to 1): the smallest bucket whose cumulative count reaches
    /// `ceil(q * count)`, clamped to the exact minimum and maximum. Zero when empty.
    pub fn quantile_ns(&self, quantile: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        if quantile <= 0.0 {
            return self.min_ns;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (slot, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_value(self.first_bucket + slot).clamp(self.min_ns, self.max_ns);
            }
        }
        self.max_ns
    }
}

#[cfg(test)]
mod tests {
    use super::{Histogram, bucket_index, bucket_value};

    #[test]
    fn a_merge_past_32_bit_counts_keeps_every_sample() {
        let mut big = Histogram::new();
        big.record(1_000);
        // As if the value had come u32::MAX times in all: recording them one by one would take
        // minutes.
        let more = u64::from(u32::MAX) - 1;
        big.counts.add(0, more);
        big.count += more;
        let mut total = big.clone();
        total.merge(&big);
        assert_eq!(total.count(), 2 * u64::from(u32::MAX));
        assert_eq!(total.counts.iter().sum::<u64>(), total.count());
        assert_eq!(total.quantile_ns(0.5), 1_000);
        total.record(1_000);
        assert_eq!(
            total.counts.iter().sum::<u64>(),
            2 * u64::from(u32::MAX) + 1
        );
    }

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut previous = 0;
        for value in (0..200_000u64).chain([1 << 20, 1 << 40, u64::MAX / 2]) {
            let index = bucket_index(value);
            assert!(index >= previous || value > 200_000);
            previous = index;
            let representative = bucket_value(index) as f64;
            let error = (representative - value as f64).abs() / (value.max(1) as f64);
            assert!(
                error <= 1.0 / 128.0 + 1e-12,
                "value {value} -> {representative}"
            );
        }
    }

    #[test]
    fn quantiles_of_a_uniform_ramp() {
        let mut histogram = Histogram::new();
        for value in 1..=10_000u64 {
            histogram.record(value * 1_000);
        }
        assert_eq!(histogram.count(), 10_000);
        assert!((histogram.mean_ns() - 5_000_500.0).abs() < 1e-6);
        // A discrete uniform over n values has variance (n² − 1) / 12.
        let expected_stddev = 1_000.0 * ((10_000.0f64 * 10_000.0 - 1.0) / 12.0).sqrt();
        assert!((histogram.stddev_ns() / expected_stddev - 1.0).abs() < 1e-9);
        for (quantile, expected) in [(0.5, 5_000_000.0), (0.99, 9_900_000.0)] {
            let observed = histogram.quantile_ns(quantile) as f64;
            assert!(
                (observed / expected - 1.0).abs() < 0.01,
                "{quantile}: {observed}"
            );
        }
        assert_eq!(histogram.quantile_ns(1.0), 10_000_000);
        assert_eq!(histogram.quantile_ns(0.0), 1_000);
    }

    #[test]
    fn quantiles_of_values_equal_the_histograms() {
        let mut values: Vec<u64> = (1..=997u64).map(|i| i * i * 7_919 % 50_000_000).collect();
        let mut histogram = Histogram::new();
        for &value in &values {
            histogram.record(value);
        }
        for quantile in [0.0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(
                Histogram::quantile_of_values_ns(&mut values, quantile),
                histogram.quantile_ns(quantile),
                "{quantile}"
            );
        }
        assert_eq!(Histogram::quantile_of_values_ns(&mut [], 0.5), 0);
        assert_eq!(Histogram::quantile_of_values_ns(&mut [5_000], 0.99), 5_000);
    }

    #[test]
    fn merge_equals_recording_both() {
        let mut left = Histogram::new();
        let mut right = Histogram::new();
        let mut both = Histogram::new();
        for value in 0..5_000u64 {
            let sample = value * value;
            if value % 3 == 0 {
                left.record(sample);
            } else {
                right.record(sample);
            }
            both.record(sample);
        }
        left.merge(&right);
        assert_eq!(left.count(), both.count());
        assert_eq!(left.quantile_ns(0.9), both.quantile_ns(0.9));
        assert_eq!(left.max_ns(), both.max_ns());
    }

    /// The bucket array spans only the values seen; values below its start, recorded or merged,
    /// move the start down without changing any percentile.
    #[test]
    fn order_of_values_and_merges_does_not_matter() {
        let values: Vec<u64> = (0..3_000u64).map(|value| value * value * 37 + 5).collect();
        let mut ascending = Histogram::new();
        let mut descending = Histogram::new();
        for &value in &values {
            ascending.record(value);
        }
        for &value in values.iter().rev() {
            descending.record(value);
        }
        // High values merged into low ones, and low ones into high ones.
        let (mut low, mut high) = (Histogram::new(), Histogram::new());
        for &value in &values {
            if value < 1_000_000 {
                low.record(value);
            } else {
                high.record(value);
            }
        }
        let mut low_first = low.clone();
        low_first.merge(&high);
        let mut high_first = high.clone();
        high_first.merge(&low);
        let mut into_empty = Histogram::new();
        into_empty.merge(&ascending);
        for quantile in [0.0, 0.001, 0.1, 0.5, 0.9, 0.99, 1.0] {
            let expected = ascending.quantile_ns(quantile);
            for other in [&descending, &low_first, &high_first, &into_empty] {
                assert_eq!(other.quantile_ns(quantile), expected, "{quantile}");
            }
        }
        let mut cleared = ascending.clone();
        cleared.clear();
        cleared.record(1 << 40);
        assert_eq!(cleared.quantile_ns(0.5), 1 << 40);
        assert_eq!(cleared.count(), 1);
    }
}
