//! A service version's figures as the recorder sums them.

use super::interval_latencies::IntervalLatencies;
use crate::histogram::Histogram;
use crate::summary::ServiceCounts;

#[derive(Default, Clone)]
pub(super) struct VersionStats {
    pub(super) counts: ServiceCounts,
    /// The latencies of every interval but the current one: each interval's are added when the
    /// interval closes, so a request touches its interval's short list and no histogram.
    pub(super) histogram: Histogram,
    pub(super) interval_counts: ServiceCounts,
    pub(super) interval_latencies: IntervalLatencies,
    pub(super) in_flight: i64,
    pub(super) queue_depth: i64,
    /// Core-nanoseconds of own work finished in the interval (versions with `cores` only).
    pub(super) interval_cpu_busy_ns: u64,
    /// The share a rollout controller last gave the version, in hundredths of a percent;
    /// `None`: the configured share.
    pub(super) route_weight_basis_points: Option<u32>,
    /// The count an autoscaler set; `None`: the version's instances.
    pub(super) replicas: Option<u32>,
}

impl VersionStats {
    /// Adds the closed interval's latencies to the run's.
    pub(super) fn fold_interval(&mut self) {
        self.interval_latencies.fold_into(&mut self.histogram);
    }
}
