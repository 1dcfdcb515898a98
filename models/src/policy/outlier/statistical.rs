//! The statistical pass at each interval tick: success-rate ejection, then failure-percentage
//! ejection, over the counts of the interval just ended (cc#L615-L744).

use meshsim_sim::SimTime;

use super::config::FailurePercentage;
use super::ejection::{EjectionReason, OutlierChange};
use super::{Origin, OutlierDetector};

/// A host the statistical pass may judge: in service, with requests in the interval.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    host: usize,
    success_rate_percent: f64,
    requests: u64,
}

impl OutlierDetector {
    /// `processSuccessRateEjections` (cc#L645-L744). Success rate first, then (external origin
    /// only) failure percentage; each ejection is checked against the cap in turn.
    pub(super) fn eject_statistical_outliers(
        &mut self,
        now: SimTime,
        origin: Origin,
        changes: &mut Vec<OutlierChange>,
    ) {
        // Envoy's early exit (cc#L663-L667) takes both minimums whether or not the checks are
        // enforced, so an unset failure percentage still brings its default. It changes no
        // ejection: each check needs at least its minimum of members anyway.
        let failure_percentage_minimum_hosts = self
            .config
            .failure_percentage
            .unwrap_or_default()
            .minimum_hosts;
        if self.member_count < self.config.success_rate_minimum_hosts as usize
            && self.member_count < failure_percentage_minimum_hosts as usize
        {
            return;
        }
        let candidates = self.candidates(origin);
        let (success_rate_enabled, reason) = match origin {
            Origin::External => (
                self.config.success_rate_enabled,
                EjectionReason::SuccessRate,
            ),
            Origin::Local => (
                self.config.local_origin_success_rate_enabled,
                EjectionReason::LocalOriginSuccessRate,
            ),
        };
        if success_rate_enabled {
            self.eject_success_rate_outliers(now, &candidates, reason, changes);
        }
        // The local-origin failure percentage is enforced 0 by default and not modelled.
        if origin == Origin::External
            && let Some(failure_percentage) = self.config.failure_percentage
        {
            self.eject_failure_percentage_outliers(now, &candidates, failure_percentage, changes);
        }
    }

    /// Members in service with at least one request of `origin` in the interval, in host order
    /// (cc#L673-L700; Envoy walks a hash map, whose order is unspecified).
    fn candidates(&self, origin: Origin) -> Vec<Candidate> {
        self.members()
            .filter(|(_, monitor)| monitor.ejected_at.is_none())
            .filter_map(|(host, monitor)| {
                let counts = monitor.counts(origin);
                counts
                    .success_rate_percent()
                    .map(|success_rate_percent| Candidate {
                        host,
                        success_rate_percent,
                        requests: counts.requests,
                    })
            })
            .collect()
    }

    /// Success-rate ejection (cc#L702-L722): among candidates with the request volume, if there
    /// are at least `success_rate_minimum_hosts` of them, ejects those strictly below
    /// mean − `stdev_factor` × standard deviation (the population deviation, cc#L615-L643).
    fn eject_success_rate_outliers(
        &mut self,
        now: SimTime,
        candidates: &[Candidate],
        reason: EjectionReason,
        changes: &mut Vec<OutlierChange>,
    ) {
        let volume = u64::from(self.config.success_rate_request_volume);
        let judged: Vec<Candidate> = candidates
            .iter()
            .copied()
            .filter(|candidate| candidate.requests >= volume)
            .collect();
        if judged.is_empty() || judged.len() < self.config.success_rate_minimum_hosts as usize {
            return;
        }
        let count = judged.len() as f64;
        let mean = judged
            .iter()
            .map(|candidate| candidate.success_rate_percent)
            .sum::<f64>()
            / count;
        let variance = judged
            .iter()
            .map(|candidate| (candidate.success_rate_percent - mean).powi(2))
            .sum::<f64>()
            / count;
        let threshold = mean - self.config.success_rate_stdev_factor * variance.sqrt();
        for candidate in judged {
            if candidate.success_rate_percent < threshold {
                self.eject_at_tick(now, candidate.host, reason, changes);
            }
        }
    }

    /// Failure-percentage ejection (cc#L724-L743): among candidates with the request volume, if
    /// there are at least `minimum_hosts` of them, ejects those whose failed share is at least
    /// `threshold_percent`.
    fn eject_failure_percentage_outliers(
        &mut self,
        now: SimTime,
        candidates: &[Candidate],
        failure_percentage: FailurePercentage,
        changes: &mut Vec<OutlierChange>,
    ) {
        let volume = u64::from(failure_percentage.request_volume);
        let judged_count = candidates
            .iter()
            .filter(|candidate| candidate.requests >= volume)
            .count();
        if judged_count == 0 || judged_count < failure_percentage.minimum_hosts as usize {
            return;
        }
        let threshold = f64::from(failure_percentage.threshold_percent);
        for candidate in candidates {
            let failing =
                candidate.requests >= volume && 100.0 - candidate.success_rate_percent >= threshold;
            // Envoy would eject a host success rate just ejected a second time, counting one
            // host twice in `ejections_active`; this model skips it (see the module docs).
            if failing && !self.is_ejected(candidate.host) {
                self.eject_at_tick(
                    now,
                    candidate.host,
                    EjectionReason::FailurePercentage,
                    changes,
                );
            }
        }
    }
}
