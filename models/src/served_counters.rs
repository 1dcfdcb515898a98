//! What an instance's sidecar exports for a metrics scrape: Istio's standard request metrics
//! (`istio_requests_total` by response class and `istio_request_duration_milliseconds`), as
//! counters since the process started.
//!
//! A rollout controller scrapes every instance of the version it watches and takes the
//! difference from its previous scrape, as Prometheus's `rate()` over a range does, then
//! computes the success rate and quantiles the way Flagger's built-in queries do: success is
//! any answer below 500, and a quantile is `histogram_quantile` over the duration buckets,
//! interpolated linearly within the bucket it falls in. A crash resets the counters, and the
//! difference treats a counter that went down as reset, as `rate()` does.

/// Istio's default buckets for `istio_request_duration_milliseconds`, in ms (upper bounds; a
/// last bucket takes everything above): the same bounds `--openmetrics` writes.
pub(crate) use meshsim_record::ISTIO_BUCKET_BOUNDS_MS as BUCKET_BOUNDS_MS;

/// The buckets, with the last one above every bound (`+Inf`).
pub(crate) const BUCKETS: usize = BUCKET_BOUNDS_MS.len() + 1;

/// The bounds in nanoseconds, for counting without floating point.
const BUCKET_BOUNDS_NS: [u64; BUCKETS - 1] = [
    500_000,
    1_000_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
    30_000_000_000,
    60_000_000_000,
    300_000_000_000,
    600_000_000_000,
    1_800_000_000_000,
    3_600_000_000_000,
];

/// The values a scrape answer carries: requests, errors, the duration sum, then the buckets,
/// padded to whole parts.
const SCRAPE_VALUES: usize = 3 + BUCKETS;

/// The parts of four values a scrape answer is sent in.
pub(crate) const SCRAPE_PARTS: usize = SCRAPE_VALUES.div_ceil(4);

/// Requests an instance answered, since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ServedCounters {
    pub requests: u64,
    /// Answers of 500 or above: Flagger's `request-success-rate` counts everything else.
    pub errors: u64,
    /// Answers by duration, one count per bucket (not cumulative).
    pub buckets: [u64; BUCKETS],
    /// The sum of the durations, in microseconds, for the mean.
    pub duration_sum_us: u64,
}

impl ServedCounters {
    /// Counts one answer of `status` that took `latency_ns` from arrival to answer.
    pub(crate) fn count(&mut self, status: u16, latency_ns: u64) {
        self.requests += 1;
        if status >= 500 {
            self.errors += 1;
        }
        // The first bound at or above the latency: `le` buckets, as Prometheus has them.
        let bucket = BUCKET_BOUNDS_NS.partition_point(|&bound| bound < latency_ns);
        self.buckets[bucket] += 1;
        self.duration_sum_us += latency_ns / 1_000;
    }

    /// What was counted after `earlier` (a previous scrape of the same instance). Counters that
    /// went down mean the process restarted: everything counted now is new, as `rate()` has it.
    #[must_use]
    pub(crate) fn since(&self, earlier: &ServedCounters) -> ServedCounters {
        if self.requests < earlier.requests {
            return *self;
        }
        let mut buckets = [0; BUCKETS];
        for (index, bucket) in buckets.iter_mut().enumerate() {
            *bucket = self.buckets[index].saturating_sub(earlier.buckets[index]);
        }
        ServedCounters {
            requests: self.requests - earlier.requests,
            errors: self.errors.saturating_sub(earlier.errors),
            buckets,
            duration_sum_us: self.duration_sum_us.saturating_sub(earlier.duration_sum_us),
        }
    }

    /// The counters as the values of a scrape answer's parts, in order.
    pub(crate) fn to_parts(self) -> [[u64; 4]; SCRAPE_PARTS] {
        let mut values = [0u64; SCRAPE_PARTS * 4];
        values[0] = self.requests;
        values[1] = self.errors;
        values[2] = self.duration_sum_us;
        values[3..3 + BUCKETS].copy_from_slice(&self.buckets);
        let mut parts = [[0u64; 4]; SCRAPE_PARTS];
        for (index, part) in parts.iter_mut().enumerate() {
            part.copy_from_slice(&values[index * 4..index * 4 + 4]);
        }
        parts
    }

    /// The counters back from every part of a scrape answer.
    pub(crate) fn from_parts(parts: &[[u64; 4]; SCRAPE_PARTS]) -> ServedCounters {
        let values: Vec<u64> = parts.iter().flatten().copied().collect();
        let mut buckets = [0u64; BUCKETS];
        buckets.copy_from_slice(&values[3..3 + BUCKETS]);
        ServedCounters {
            requests: values[0],
            errors: values[1],
            duration_sum_us: values[2],
            buckets,
        }
    }

    pub(crate) fn add(&mut self, other: &ServedCounters) {
        self.requests += other.requests;
        self.errors += other.errors;
        for (bucket, more) in self.buckets.iter_mut().zip(other.buckets) {
            *bucket += more;
        }
        self.duration_sum_us += other.duration_sum_us;
    }

    /// Answers below 500 over all answers; `None` without traffic (Prometheus has no value).
    pub(crate) fn success_rate(&self) -> Option<f64> {
        (self.requests > 0).then(|| 1.0 - self.errors as f64 / self.requests as f64)
    }

    pub(crate) fn mean_ms(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.duration_sum_us as f64 / 1_000.0 / self.requests as f64)
    }

    /// Prometheus's `histogram_quantile(q, …)`: the bucket holding rank `q × count`, linearly
    /// interpolated between its bounds (the first bucket starts at 0). A rank in the last
    /// bucket answers the highest finite bound, as Prometheus does.
    pub(crate) fn quantile_ms(&self, quantile: f64) -> Option<f64> {
        assert!((0.0..=1.0).contains(&quantile), "a quantile is 0 to 1");
        if self.requests == 0 {
            return None;
        }
        let rank = quantile * self.requests as f64;
        let mut below = 0u64;
        for (index, &count) in self.buckets.iter().enumerate() {
            if (below + count) as f64 >= rank && count > 0 {
                if index == BUCKETS - 1 {
                    return Some(BUCKET_BOUNDS_MS[BUCKETS - 2]);
                }
                let lower = if index == 0 {
                    0.0
                } else {
                    BUCKET_BOUNDS_MS[index - 1]
                };
                let upper = BUCKET_BOUNDS_MS[index];
                let within = (rank - below as f64) / count as f64;
                return Some(lower + (upper - lower) * within);
            }
            below += count;
        }
        Some(BUCKET_BOUNDS_MS[BUCKETS - 2])
    }
}

#[cfg(test)]
mod tests {
    use super::ServedCounters;

    #[test]
    fn quantiles_interpolate_within_istio_buckets() {
        let mut counters = ServedCounters::default();
        // 100 answers between 25 and 50 ms: the p99 is 99% of the way through that bucket.
        for _ in 0..100 {
            counters.count(200, 30_000_000);
        }
        let p99 = counters.quantile_ms(0.99).expect("traffic");
        assert!((p99 - 49.75).abs() < 1e-9, "{p99}");
        let p50 = counters.quantile_ms(0.5).expect("traffic");
        assert!((p50 - 37.5).abs() < 1e-9, "{p50}");
        assert_eq!(ServedCounters::default().quantile_ms(0.99), None);
    }

    #[test]
    fn the_nanosecond_bounds_are_the_millisecond_ones() {
        for (ns, ms) in super::BUCKET_BOUNDS_NS.iter().zip(super::BUCKET_BOUNDS_MS) {
            assert!((*ns as f64 / 1e6 - ms).abs() < 1e-9, "{ns} ns, {ms} ms");
        }
        let mut counters = ServedCounters::default();
        counters.count(200, 1_000_000); // exactly 1 ms: the `le = 1` bucket
        counters.count(200, 1_000_001);
        assert_eq!(counters.buckets[1], 1);
        assert_eq!(counters.buckets[2], 1);
    }

    #[test]
    fn counters_cross_the_wire_in_parts() {
        let mut counters = ServedCounters::default();
        counters.count(503, 1_234_567);
        counters.count(200, 99_000_000_000_000);
        assert_eq!(ServedCounters::from_parts(&counters.to_parts()), counters);
    }

    #[test]
    fn success_counts_every_answer_below_500() {
        let mut counters = ServedCounters::default();
        counters.count(200, 1);
        counters.count(404, 1);
        counters.count(503, 1);
        counters.count(500, 1);
        assert_eq!(counters.success_rate(), Some(0.5));
    }

    #[test]
    fn a_restart_is_a_counter_reset() {
        let mut before = ServedCounters::default();
        for _ in 0..10 {
            before.count(200, 1_000_000);
        }
        let mut after = ServedCounters::default();
        after.count(500, 1_000_000);
        assert_eq!(after.since(&before), after);
        let mut more = before;
        more.count(500, 1_000_000);
        let delta = more.since(&before);
        assert_eq!((delta.requests, delta.errors), (1, 1));
    }
}
