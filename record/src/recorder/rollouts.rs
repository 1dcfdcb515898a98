//! The rollouts: where each stands as its controller last said, when it was decided, and how
//! many requests its new version met (the blast radius).

use indexmap::IndexMap;
use meshsim_sim::SimTime;

use super::Recorder;
use crate::catalog::Catalog;
use crate::events::RolloutOutcome;
use crate::summary::{RolloutSummary, ServiceCounts};

/// Where a rollout stands, as its controller last said.
#[derive(Debug, Clone, Copy)]
pub(super) struct RolloutState {
    outcome: RolloutOutcome,
    failed_checks: u32,
    /// When it was first promoted or rolled back.
    decided_at: Option<SimTime>,
}

impl Default for RolloutState {
    fn default() -> Self {
        RolloutState {
            outcome: RolloutOutcome::InProgress,
            failed_checks: 0,
            decided_at: None,
        }
    }
}

impl RolloutState {
    /// The controller's decision at `now`: where the rollout stands, and its failed checks.
    pub(super) fn decide(&mut self, now: SimTime, outcome: RolloutOutcome, failed_checks: u32) {
        self.outcome = outcome;
        self.failed_checks = failed_checks;
        if outcome != RolloutOutcome::InProgress && self.decided_at.is_none() {
            self.decided_at = Some(now);
        }
    }
}

/// The `failed_checks` cell of a version's row: the count of the rollout to that version, if
/// one rolls to it.
pub(super) fn failed_checks(
    catalog: &Catalog,
    rollouts: &[RolloutState],
    group_index: usize,
    version_index: usize,
) -> String {
    catalog
        .rollouts
        .iter()
        .zip(rollouts)
        .find(|(info, _)| {
            info.new_versions.first().is_some_and(|key| {
                key.group.index() == group_index && key.version as usize == version_index
            })
        })
        .map_or_else(String::new, |(_, state)| state.failed_checks.to_string())
}

/// Seconds to the microsecond, so `summary.json` shows no binary noise.
fn round_seconds(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

impl Recorder {
    /// Each rollout's summary, by its service's name.
    pub(super) fn summarise_rollouts(&self) -> IndexMap<String, RolloutSummary> {
        self.catalog
            .rollouts
            .iter()
            .zip(&self.rollouts)
            .map(|(info, state)| {
                let mut served = ServiceCounts::default();
                for key in &info.new_versions {
                    served.add(&self.versions[key.group.index()][key.version as usize].counts);
                }
                let start = SimTime::from_nanos(info.start_ns);
                let summary = RolloutSummary {
                    strategy: info.strategy,
                    from: info.from.clone(),
                    to: info.to.clone(),
                    outcome: state.outcome,
                    time_s: state
                        .decided_at
                        .map(|at| round_seconds((at - start) as f64 / 1e9)),
                    decided_at_s: state.decided_at.map(|at| round_seconds(at.as_secs_f64())),
                    failed_checks: state.failed_checks,
                    blast_radius: served.received,
                    blast_radius_failed: served.failed + served.shed,
                };
                (info.service.clone(), summary)
            })
            .collect()
    }
}
