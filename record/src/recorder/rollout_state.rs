//! A rollout's state and its failed checks, as the recorder follows them.

use crate::catalog::Catalog;
use crate::events::RolloutOutcome;
use meshsim_sim::SimTime;

/// Where a rollout stands, as its controller last said.
#[derive(Debug, Clone, Copy)]
pub(super) struct RolloutState {
    pub(super) outcome: RolloutOutcome,
    pub(super) failed_checks: u32,
    /// When it was first promoted or rolled back.
    pub(super) decided_at: Option<SimTime>,
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
pub(super) fn round_seconds(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}
