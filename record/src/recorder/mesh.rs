//! What the mesh did to the calls into one service, summed over every caller's sidecar, and its
//! gauges (pending calls, ejected instances, open breakers).

use meshsim_sim::GroupId;

use crate::events::MeshEvent;
use crate::gauge::GroupGauge;
use crate::openmetrics::ClusterStats;
use crate::summary::{MeshSummary, round_ratio};

const MESH_EVENTS: usize = 11;
const GROUP_GAUGES: usize = 4;

/// What the mesh did to calls to one service, and its gauges.
#[derive(Default, Clone)]
pub(super) struct MeshStats {
    events: [u64; MESH_EVENTS],
    interval_events: [u64; MESH_EVENTS],
    gauges: [i64; GROUP_GAUGES],
}

/// A service's mesh columns in `metrics.csv`, the same on each of its versions' rows.
pub(super) struct MeshColumns {
    pub(super) circuit_state: &'static str,
    pub(super) ejected: String,
    pub(super) retries: String,
    pub(super) denials: String,
    pub(super) pending: String,
}

impl MeshStats {
    pub(super) fn count(&mut self, event: MeshEvent) {
        self.events[event as usize] += 1;
        self.interval_events[event as usize] += 1;
    }

    /// Moves a gauge; `group` names the service in the message if it goes negative.
    pub(super) fn move_gauge(&mut self, gauge: GroupGauge, delta: i64, group: GroupId) {
        let value = &mut self.gauges[gauge as usize];
        *value += delta;
        assert!(
            *value >= 0,
            "mesh gauge {gauge:?} of group {group:?} went negative"
        );
    }

    pub(super) fn interval_columns(&self) -> MeshColumns {
        let circuit_state = if self.gauges[GroupGauge::BreakersOpen as usize] > 0 {
            "open"
        } else if self.gauges[GroupGauge::BreakersHalfOpen as usize] > 0 {
            "half_open"
        } else {
            "closed"
        };
        MeshColumns {
            circuit_state,
            ejected: self.gauges[GroupGauge::Ejected as usize].to_string(),
            retries: self.interval_events[MeshEvent::Retry as usize].to_string(),
            denials: self.interval_events[MeshEvent::BudgetExhausted as usize].to_string(),
            pending: self.gauges[GroupGauge::Pending as usize].to_string(),
        }
    }

    /// Envoy's cluster statistics of the calls into the service, summed over its callers, in
    /// the order `openmetrics` writes them.
    pub(super) fn cluster_stats(&self) -> ClusterStats {
        let count = |event: MeshEvent| self.events[event as usize] as f64;
        let gauge = |gauge: GroupGauge| self.gauges[gauge as usize] as f64;
        [
            count(MeshEvent::Retry),
            count(MeshEvent::BudgetExhausted),
            count(MeshEvent::Overflow),
            count(MeshEvent::Ejected),
            gauge(GroupGauge::Ejected),
            gauge(GroupGauge::Pending),
        ]
    }

    pub(super) fn end_interval(&mut self) {
        self.interval_events = [0; MESH_EVENTS];
    }

    /// The summary of the run: `calls` and `attempts` into the service, from every caller.
    pub(super) fn summary(&self, calls: u64, attempts: u64) -> MeshSummary {
        let count = |event: MeshEvent| self.events[event as usize];
        MeshSummary {
            calls,
            attempts,
            amplification: (calls > 0).then(|| round_ratio(attempts as f64 / calls as f64)),
            retries: count(MeshEvent::Retry),
            budget_denials: count(MeshEvent::BudgetExhausted),
            overflows: count(MeshEvent::Overflow),
            circuit_rejections: count(MeshEvent::CircuitRejected),
            fallbacks: count(MeshEvent::Fallback),
            rate_limited: count(MeshEvent::RateLimited),
            denied: count(MeshEvent::Denied),
            fault_aborts: count(MeshEvent::FaultAborted),
            fault_delays: count(MeshEvent::FaultDelayed),
            ejections: count(MeshEvent::Ejected),
            circuit_opens: count(MeshEvent::CircuitOpened),
        }
    }
}
