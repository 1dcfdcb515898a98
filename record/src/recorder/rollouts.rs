//! The rollouts: where each stands as its controller last said, when it was decided, and how
//! many requests its new version met (the blast radius).

use indexmap::IndexMap;
use meshsim_sim::SimTime;

use super::Recorder;
use super::rollout_state::round_seconds;
use crate::summary::{RolloutSummary, ServiceCounts};

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
