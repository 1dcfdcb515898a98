//! The figures of a finished run, shaped as `summary.json` shows them.

use indexmap::IndexMap;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::events::RolloutOutcome;
use crate::histogram::Histogram;

/// How a workload's requests ended. `sent` always equals the sum of the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    pub sent: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub shed: u64,
    pub in_flight: u64,
}

impl RequestCounts {
    pub fn ended(&self) -> u64 {
        self.succeeded + self.failed + self.timed_out + self.shed
    }

    /// Succeeded over ended; `None` when nothing ended.
    pub fn success_rate(&self) -> Option<f64> {
        let ended = self.ended();
        (ended > 0).then(|| self.succeeded as f64 / ended as f64)
    }

    pub fn add(&mut self, other: &RequestCounts) {
        self.sent += other.sent;
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
        self.shed += other.shed;
        self.in_flight += other.in_flight;
    }
}

/// How a service's instances answered. `received` counts answered requests (the three below).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ServiceCounts {
    pub received: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub shed: u64,
    /// Of the succeeded, those answered without a call that failed (`on_error = "continue"`).
    /// Left out of `summary.json` when zero, as every run without such calls has it.
    #[serde(skip_serializing_if = "is_zero")]
    pub degraded: u64,
}

// serde hands `skip_serializing_if` a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(count: &u64) -> bool {
    *count == 0
}

impl ServiceCounts {
    pub fn success_rate(&self) -> Option<f64> {
        (self.received > 0).then(|| self.succeeded as f64 / self.received as f64)
    }

    pub fn add(&mut self, other: &ServiceCounts) {
        self.received += other.received;
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.shed += other.shed;
        self.degraded += other.degraded;
    }
}

/// Latency over succeeded requests, in milliseconds, rounded to the microsecond.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub mean: f64,
    pub stddev: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl LatencySummary {
    pub fn of(histogram: &Histogram) -> Self {
        LatencySummary {
            mean: round_ms(histogram.mean_ns()),
            stddev: round_ms(histogram.stddev_ns()),
            p50: round_ms(histogram.quantile_ns(0.50) as f64),
            p90: round_ms(histogram.quantile_ns(0.90) as f64),
            p99: round_ms(histogram.quantile_ns(0.99) as f64),
            max: round_ms(histogram.max_ns() as f64),
        }
    }
}

/// Nanoseconds to milliseconds with three decimals: stable text, no false precision.
pub fn round_ms(nanos: f64) -> f64 {
    (nanos / 1e3).round() / 1e3
}

/// Rounds a ratio to six decimals for stable, readable output.
pub fn round_ratio(ratio: f64) -> f64 {
    (ratio * 1e6).round() / 1e6
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadSummary {
    pub requests: RequestCounts,
    pub success_rate: Option<f64>,
    pub latency_ms: LatencySummary,
    /// Requests that did not succeed, by what their failure began with: `"shed at backend"`.
    pub failures: IndexMap<String, u64>,
    /// The latency distribution: `[percent, milliseconds]` pairs, for the reports' CDF.
    pub latency_cdf_ms: Vec<[f64; 2]>,
    #[serde(skip)]
    pub histogram: Histogram,
}

/// The percentiles the latency distribution is drawn at: every whole percent, and the tail.
const CDF_PERCENTS: [f64; 4] = [99.5, 99.9, 99.99, 100.0];

/// A histogram as `[percent, milliseconds]` points, about a hundred, for a CDF chart; empty when
/// nothing was recorded.
pub fn latency_cdf(histogram: &Histogram) -> Vec<[f64; 2]> {
    if histogram.is_empty() {
        return Vec::new();
    }
    (0..100)
        .map(f64::from)
        .chain(CDF_PERCENTS)
        .map(|percent| {
            let value_ns = histogram.quantile_ns(percent / 100.0);
            [percent, round_ms(value_ns as f64)]
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    pub instances: u32,
    pub requests: ServiceCounts,
    pub success_rate: Option<f64>,
    pub latency_ms: LatencySummary,
    #[serde(skip)]
    pub histogram: Histogram,
}

/// What the mesh did to the calls to one service, from every caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MeshSummary {
    /// Calls into the service from every caller's sidecar, and the attempts they took.
    pub calls: u64,
    pub attempts: u64,
    /// Attempts per call; `None` when nothing called the service through a sidecar.
    pub amplification: Option<f64>,
    pub retries: u64,
    pub budget_denials: u64,
    pub overflows: u64,
    pub circuit_rejections: u64,
    pub fallbacks: u64,
    pub rate_limited: u64,
    pub denied: u64,
    pub fault_aborts: u64,
    pub fault_delays: u64,
    pub ejections: u64,
    pub circuit_opens: u64,
}

/// Calls and attempts along one caller -> callee edge; amplification is attempts per call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EdgeSummary {
    pub calls: u64,
    pub attempts: u64,
    pub retries: u64,
    pub amplification: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceSummary {
    pub requests: ServiceCounts,
    pub success_rate: Option<f64>,
    pub latency_ms: LatencySummary,
    pub versions: IndexMap<String, VersionSummary>,
    pub mesh: MeshSummary,
    pub latency_cdf_ms: Vec<[f64; 2]>,
    #[serde(skip)]
    pub histogram: Histogram,
}

/// What became of one broker subscription's messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SubscriptionSummary {
    /// Copies put in the queue by publishes.
    pub enqueued: u64,
    /// First deliveries to a consumer.
    pub delivered: u64,
    /// Deliveries after a failure, a timeout, a lost consumer or a broker crash.
    pub redelivered: u64,
    pub acked: u64,
    /// Deliveries a consumer failed or let time out.
    pub failed: u64,
    pub dead_lettered: u64,
    pub queued_at_end: u64,
    pub in_flight_at_end: u64,
    /// The longest any message waited in the queue before its delivery (consumer lag).
    pub max_lag_ms: f64,
}

impl SubscriptionSummary {
    pub fn add(&mut self, other: &SubscriptionSummary) {
        self.enqueued += other.enqueued;
        self.delivered += other.delivered;
        self.redelivered += other.redelivered;
        self.acked += other.acked;
        self.failed += other.failed;
        self.dead_lettered += other.dead_lettered;
        self.queued_at_end += other.queued_at_end;
        self.in_flight_at_end += other.in_flight_at_end;
        self.max_lag_ms = self.max_lag_ms.max(other.max_lag_ms);
    }
}

/// A broker: its subscriptions' figures added up, and each of them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BrokerSummary {
    #[serde(flatten)]
    pub totals: SubscriptionSummary,
    pub subscriptions: IndexMap<String, SubscriptionSummary>,
}

/// Sagas: how many started, and how they ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SagaSummary {
    pub started: u64,
    pub completed: u64,
    pub compensated: u64,
    /// Still running (or waiting to be resumed by a crashed orchestrator) at the end.
    pub in_flight: u64,
}

/// One fact about an order at one model: (group, fact, count).
pub type OrderFact = (u32, &'static str, u32);

/// What the models said of their final state, for invariants checked after the run.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// (group, name) to value.
    pub tallies: BTreeMap<(u32, &'static str), u64>,
    /// Each order, by (client, request), to its facts.
    pub orders: BTreeMap<(u32, u64), Vec<OrderFact>>,
}

/// The conservation law, checked: every request sent ended once or is still in flight.
#[derive(Debug, Clone, Serialize)]
pub struct Accounting {
    pub ok: bool,
    /// What did not add up, when something did not.
    pub problems: Vec<String>,
}

/// How one rollout went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutSummary {
    pub strategy: &'static str,
    pub from: String,
    pub to: String,
    /// `promoted`, `rolled_back` or `in_progress` at the end of the run.
    pub outcome: RolloutOutcome,
    /// Seconds from the rollout's start to its promotion or rollback; `None` while in
    /// progress.
    pub time_s: Option<f64>,
    /// When it was promoted or rolled back, in seconds of the run.
    pub decided_at_s: Option<f64>,
    pub failed_checks: u32,
    /// Requests the new version answered in the whole run: how many met it, good or bad.
    pub blast_radius: u64,
    /// Of those, the ones it failed or shed.
    pub blast_radius_failed: u64,
}

/// Everything the recorder learned.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub digest: String,
    pub sim_seconds: f64,
    pub requests: RequestCounts,
    pub success_rate: Option<f64>,
    pub latency_ms: LatencySummary,
    pub workloads: IndexMap<String, WorkloadSummary>,
    pub services: IndexMap<String, ServiceSummary>,
    /// Retry amplification per caller -> callee edge.
    pub edges: IndexMap<String, EdgeSummary>,
    pub brokers: IndexMap<String, BrokerSummary>,
    pub sagas: SagaSummary,
    /// Each rollout, by its service's name.
    pub rollouts: IndexMap<String, RolloutSummary>,
    /// What each store reported at the end (a cache's hits and misses, a stock's units), by
    /// the store's name.
    pub stores: IndexMap<String, BTreeMap<&'static str, u64>>,
    #[serde(skip)]
    pub facts: Facts,
    pub accounting: Accounting,
    #[serde(skip)]
    pub histogram: Histogram,
}
