//! A uniform sample of at most `capacity` values from a stream of any length, in bounded
//! memory: Vitter's Algorithm R (J. S. Vitter, "Random Sampling with a Reservoir", ACM TOMS
//! 11(1), 1985, §2). The first `capacity` values are kept; the n-th value after them replaces a
//! kept one, chosen uniformly, with probability capacity / n. Every value of the stream is then
//! in the sample with the same probability. The draws come from a named `ChaCha` stream forked
//! from a fixed seed, so the same input gives the same sample on every machine.

use meshsim_sim::{Seeder, SimRng};

/// Samples kept per distribution: enough for a p99 from about 100 values above it.
pub(crate) const RESERVOIR_CAPACITY: usize = 10_000;

/// The seed the reservoirs' streams fork from: calibration has no run seed of its own, and a
/// fixed one keeps its output the same for the same traces.
const RESERVOIR_SEED: u64 = 20;

#[derive(Debug)]
pub(crate) struct Reservoir {
    kept: Vec<u64>,
    seen: u64,
    capacity: usize,
    rng: SimRng,
}

impl Reservoir {
    /// A reservoir whose draws come from the stream `calibrate/NAME`: one stream per
    /// distribution, so a new endpoint never shifts another's sample.
    pub(crate) fn new(name: &str) -> Self {
        Self::with_capacity(name, RESERVOIR_CAPACITY)
    }

    pub(crate) fn with_capacity(name: &str, capacity: usize) -> Self {
        Reservoir {
            kept: Vec::new(),
            seen: 0,
            capacity: capacity.max(1),
            rng: Seeder::new(RESERVOIR_SEED).stream(&format!("calibrate/{name}")),
        }
    }

    pub(crate) fn add(&mut self, value: u64) {
        self.seen += 1;
        if self.kept.len() < self.capacity {
            self.kept.push(value);
            return;
        }
        // Algorithm R: draw j uniform in [0, n); keep the value in slot j when j < capacity.
        let slot = self.rng.below(self.seen);
        if let Some(kept) = usize::try_from(slot)
            .ok()
            .and_then(|slot| self.kept.get_mut(slot))
        {
            *kept = value;
        }
    }

    /// How many values went in.
    pub(crate) fn seen(&self) -> u64 {
        self.seen
    }

    /// The kept values, in the order kept.
    pub(crate) fn samples(&self) -> &[u64] {
        &self.kept
    }

    /// The mean of the kept values, in the values' unit; 0 when empty.
    pub(crate) fn mean(&self) -> f64 {
        if self.kept.is_empty() {
            return 0.0;
        }
        self.kept.iter().map(|value| *value as f64).sum::<f64>() / self.kept.len() as f64
    }

    /// The q-quantile of the kept values (nearest rank), or `None` when empty.
    pub(crate) fn quantile(&self, q: f64) -> Option<u64> {
        let mut sorted = self.kept.clone();
        sorted.sort_unstable();
        nearest_rank(&sorted, q)
    }
}

/// The nearest-rank q-quantile of sorted values: the smallest value with at least q of them at
/// or below it.
pub(crate) fn nearest_rank(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_below_its_capacity() {
        let mut reservoir = Reservoir::with_capacity("t", 10);
        for value in 0..7 {
            reservoir.add(value);
        }
        assert_eq!(reservoir.samples(), &[0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(reservoir.seen(), 7);
    }

    /// Algorithm R keeps each value with probability capacity / n: over a stream 0..n, the
    /// kept values' mean estimates the stream's, (n − 1) / 2, and each tenth of the stream holds
    /// about a tenth of the sample (a binomial count: within 5 standard deviations).
    #[test]
    fn a_long_stream_is_sampled_uniformly() {
        let n = 200_000_u64;
        let capacity = 2_000;
        let mut reservoir = Reservoir::with_capacity("uniform", capacity);
        for value in 0..n {
            reservoir.add(value);
        }
        assert_eq!(reservoir.samples().len(), capacity);
        let expected_per_tenth = capacity as f64 / 10.0;
        let sd = (capacity as f64 * 0.1 * 0.9).sqrt();
        for tenth in 0..10 {
            let low = tenth * n / 10;
            let high = low + n / 10;
            let count = reservoir
                .samples()
                .iter()
                .filter(|value| (low..high).contains(*value))
                .count() as f64;
            assert!(
                (count - expected_per_tenth).abs() < 5.0 * sd,
                "tenth {tenth}: {count} kept, expected {expected_per_tenth}"
            );
        }
    }

    #[test]
    fn the_same_stream_gives_the_same_sample() {
        let sample = |name: &str| {
            let mut reservoir = Reservoir::with_capacity(name, 50);
            for value in 0..10_000 {
                reservoir.add(value);
            }
            reservoir.samples().to_vec()
        };
        assert_eq!(sample("a"), sample("a"));
        assert_ne!(sample("a"), sample("b"));
    }

    #[test]
    fn nearest_rank_quantiles() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&sorted, 0.5), Some(50));
        assert_eq!(nearest_rank(&sorted, 0.99), Some(99));
        assert_eq!(nearest_rank(&sorted, 1.0), Some(100));
        assert_eq!(nearest_rank(&[], 0.5), None);
    }
}
