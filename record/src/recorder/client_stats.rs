//! A workload client's figures, a finished request and the totals, as the recorder sums them.

use super::interval_latencies::IntervalLatencies;
use crate::histogram::Histogram;
use crate::keys::ClientId;
use crate::outcome::Outcome;
use crate::reason::Reason;
use crate::summary::{RequestCounts, WorkloadSummary};
use indexmap::IndexMap;

#[derive(Default, Clone)]
pub(super) struct ClientStats {
    pub(super) counts: RequestCounts,
    /// Every interval's latencies but the current one's, as for a service version.
    pub(super) histogram: Histogram,
    pub(super) interval_counts: RequestCounts,
    pub(super) interval_latencies: IntervalLatencies,
    pub(super) failures: IndexMap<Reason, u64>,
    pub(super) reported_in_flight: Option<u64>,
}

impl ClientStats {
    /// Adds the closed interval's latencies to the run's.
    pub(super) fn fold_interval(&mut self) {
        self.interval_latencies.fold_into(&mut self.histogram);
    }
}

/// One `RequestDone` record's fields.
#[derive(Clone, Copy)]
pub(super) struct RequestDone {
    pub(super) client: ClientId,
    pub(super) request: u64,
    pub(super) sent_at_ns: u64,
    pub(super) outcome: Outcome,
    pub(super) status: u16,
    pub(super) reason: Reason,
}

/// The workloads' figures for the summary: each workload's, and all of them together.
pub(super) struct WorkloadTotals {
    pub(super) workloads: IndexMap<String, WorkloadSummary>,
    pub(super) totals: RequestCounts,
    pub(super) histogram: Histogram,
}
