//! One metrics interval's latencies of a service version or a workload: the values themselves
//! while they are few, a histogram once they are many.
//!
//! A request's latency used to go into a histogram per version per interval: a few kilobytes
//! each, and at a thousand services each request's record landed on a histogram no event had
//! touched for thousands of events, a cache miss or two. Now it is appended to a short list
//! (the list's end is usually in the same cache line as the last value), and only when the
//! interval closes are the values sorted into its percentiles and folded into the run's
//! histogram, one version after another. The percentiles are exactly the histogram's
//! ([`Histogram::quantile_of_values_ns`]), so every output is unchanged.

use crate::histogram::Histogram;

/// Values kept as they are before they spill into a histogram (2 KiB at most): an interval with
/// more, a busy service's, is one a histogram serves as well as before.
const KEPT_VALUES_MAX: usize = 256;

#[derive(Default, Clone)]
pub(super) struct IntervalLatencies {
    values_ns: Vec<u64>,
    /// The interval's values beyond the kept ones; empty (its span of buckets kept, as the
    /// interval histogram's was) when the interval had no more than `KEPT_VALUES_MAX`.
    spilled: Option<Box<Histogram>>,
}

impl IntervalLatencies {
    #[inline]
    pub(super) fn record(&mut self, value_ns: u64) {
        if self.values_ns.len() == KEPT_VALUES_MAX {
            self.spill();
        }
        self.values_ns.push(value_ns);
    }

    #[cold]
    fn spill(&mut self) {
        let histogram = self.spilled.get_or_insert_with(Box::default);
        for &value_ns in &self.values_ns {
            histogram.record(value_ns);
        }
        self.values_ns.clear();
    }

    fn has_spilled(&self) -> bool {
        self.spilled
            .as_ref()
            .is_some_and(|histogram| !histogram.is_empty())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.values_ns.is_empty() && !self.has_spilled()
    }

    /// The interval's latency at `quantile`, as a histogram of its values gives it.
    pub(super) fn quantile_ns(&mut self, quantile: f64) -> u64 {
        if self.has_spilled() {
            self.spill();
            return self
                .spilled
                .as_ref()
                .map_or(0, |histogram| histogram.quantile_ns(quantile));
        }
        Histogram::quantile_of_values_ns(&mut self.values_ns, quantile)
    }

    /// Adds the closed interval's latencies to the run's, and empties the interval.
    pub(super) fn fold_into(&mut self, run: &mut Histogram) {
        if self.has_spilled() {
            self.spill();
            if let Some(histogram) = &mut self.spilled {
                run.merge(histogram);
                histogram.clear();
            }
            return;
        }
        for &value_ns in &self.values_ns {
            run.record(value_ns);
        }
        self.values_ns.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::{IntervalLatencies, KEPT_VALUES_MAX};
    use crate::histogram::Histogram;

    /// Two intervals, one of few values and one that spills, give the percentiles and the run
    /// histogram that a histogram per interval gave.
    #[test]
    fn percentiles_and_run_match_a_histogram_per_interval() {
        let mut latencies = IntervalLatencies::default();
        let mut run = Histogram::new();
        let mut expected_run = Histogram::new();
        for (interval, count) in [(1u64, 40usize), (2, KEPT_VALUES_MAX * 3 + 17), (3, 1)] {
            let mut expected = Histogram::new();
            for index in 0..count as u64 {
                let value_ns = (index * 104_729 + interval * 7_919) % 9_000_000 + 1_000;
                latencies.record(value_ns);
                expected.record(value_ns);
            }
            for quantile in [0.5, 0.99] {
                assert_eq!(
                    latencies.quantile_ns(quantile),
                    expected.quantile_ns(quantile)
                );
            }
            latencies.fold_into(&mut run);
            expected_run.merge(&expected);
            assert!(latencies.is_empty());
        }
        assert_eq!(run.count(), expected_run.count());
        for quantile in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(
                run.quantile_ns(quantile),
                expected_run.quantile_ns(quantile)
            );
        }
        assert_eq!(run.mean_ns().to_bits(), expected_run.mean_ns().to_bits());
        assert_eq!(
            run.stddev_ns().to_bits(),
            expected_run.stddev_ns().to_bits()
        );
    }
}
