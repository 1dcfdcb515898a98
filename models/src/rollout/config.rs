//! What a rollout is told: its strategy, its checks and the versions it moves between, as the
//! scenario resolved them.

use std::ops::Range;

use meshsim_record::VersionKey;
use meshsim_sim::NodeId;

use crate::served_counters::ServedCounters;

/// What a check measures on the new version over the last interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CheckMetric {
    /// Answers below 500 over all answers, 0 to 1 (Flagger's `request-success-rate`).
    SuccessRate,
    ErrorRate,
    /// A latency quantile in ms (Flagger's `request-duration` is the p99).
    LatencyQuantileMs(f64),
    LatencyMeanMs,
    /// Requests answered in the interval.
    Requests,
}

impl CheckMetric {
    pub(super) fn measure(self, window: &ServedCounters) -> Option<f64> {
        match self {
            CheckMetric::SuccessRate => window.success_rate(),
            CheckMetric::ErrorRate => window.success_rate().map(|rate| 1.0 - rate),
            CheckMetric::LatencyQuantileMs(quantile) => window.quantile_ms(quantile),
            CheckMetric::LatencyMeanMs => window.mean_ms(),
            CheckMetric::Requests => Some(window.requests as f64),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RolloutCheck {
    /// The metric's name as the scenario wrote it, for `events.csv`.
    pub name: String,
    pub metric: CheckMetric,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// What a rolling update does when its checks fail `threshold` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    Rollback,
    /// Stop where it is (Docker swarm's default).
    Pause,
    /// Ignore the failures.
    Continue,
}

#[derive(Debug, Clone)]
pub enum RolloutStrategy {
    /// The new version's successive weights; the last is `max_weight`.
    Canary { steps: Vec<f64> },
    /// Flagger's iterations: analysis runs this many intervals on test traffic before the
    /// switch.
    BlueGreen { iterations: u32 },
    Rolling {
        max_surge: u32,
        max_unavailable: u32,
        readiness_delay_ns: u64,
        failure_action: FailureAction,
    },
    /// The share of the monolith's calls moved to the new service, step by step.
    Strangler { steps: Vec<f64> },
}

#[derive(Debug, Clone)]
pub struct RolloutConfig {
    /// The rollout's number, as the scenario lists them.
    pub index: u32,
    /// The service whose routes change (for a strangler, the monolith), and its name.
    pub service: u32,
    pub service_name: String,
    /// The old and the new version's names, and their instances (indices into the service's).
    pub from_name: String,
    pub to_name: String,
    pub from: Range<u32>,
    pub to: Range<u32>,
    /// The old and new version's keys, for the route weight each gets.
    pub from_key: VersionKey,
    pub to_key: VersionKey,
    /// The old and the new version's instances as nodes (a rolling update's pods).
    pub from_nodes: Vec<NodeId>,
    pub to_nodes: Vec<NodeId>,
    /// The instances whose counters the analysis reads: the new version's.
    pub watched: Vec<NodeId>,
    /// Every node that holds routes or endpoints for the service: callers' sidecars (and a
    /// broker delivering to it).
    pub callers: Vec<NodeId>,
    pub start_ns: u64,
    pub interval_ns: u64,
    pub threshold: u32,
    pub checks: Vec<RolloutCheck>,
    pub strategy: RolloutStrategy,
}
