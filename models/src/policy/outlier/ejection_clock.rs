//! The ejection clock: the `max_ejection_percent` cap on each ejection, how long an ejection
//! lasts and how it grows with repeats, the return to service at an interval tick, and the
//! multiplier's decay (cc#L358-L390, cc#L476-L532, cc#L763-L777).

use meshsim_sim::SimTime;

use super::ejection::{Ejection, EjectionReason, OutlierChange};
use super::{IntervalCounts, OutlierDetector};

impl OutlierDetector {
    /// Envoy's `ejectHost` (cc#L476-L532), always enforced.
    pub(super) fn try_eject(
        &mut self,
        now: SimTime,
        host: usize,
        reason: EjectionReason,
    ) -> Option<Ejection> {
        assert!(!self.is_ejected(host), "host {host} is already ejected");
        assert!(self.member_count > 0, "only a member can be ejected");
        let max_percent = f64::from(self.config.max_ejection_percent.min(100));
        let ejected_percent = 100.0 * (self.ejected_count + 1) as f64 / self.member_count as f64;
        let allowed = ejected_percent <= max_percent
            || (self.config.always_eject_one_host && self.ejected_count == 0);
        if !allowed {
            return None;
        }
        let (base_ns, max_ns) = (
            self.config.base_ejection_time_ns,
            self.config.max_ejection_time_ns,
        );
        let monitor = self.member_mut(host);
        monitor.ejected_at = Some(now);
        monitor.times_ejected = monitor.times_ejected.saturating_add(1);
        if u64::from(monitor.ejection_multiplier).saturating_mul(base_ns)
            < max_ns.saturating_add(base_ns)
        {
            monitor.ejection_multiplier += 1;
        }
        let ejection = Ejection {
            host,
            reason,
            duration_ns: ejection_duration_ns(monitor.ejection_multiplier, base_ns, max_ns),
            times_ejected: monitor.times_ejected,
        };
        self.ejected_count += 1;
        Some(ejection)
    }

    /// Ejects `host` at an interval tick if the cap allows, noting the change.
    pub(super) fn eject_at_tick(
        &mut self,
        now: SimTime,
        host: usize,
        reason: EjectionReason,
        changes: &mut Vec<OutlierChange>,
    ) {
        if let Some(ejection) = self.try_eject(now, host, reason) {
            changes.push(OutlierChange {
                host,
                ejected: true,
                ejection: Some(ejection),
            });
        }
    }

    /// Returns to service every member whose ejection time has passed, resetting its streaks
    /// (cc#L358-L390).
    pub(super) fn return_expired(&mut self, now: SimTime, changes: &mut Vec<OutlierChange>) {
        let (base_ns, max_ns) = (
            self.config.base_ejection_time_ns,
            self.config.max_ejection_time_ns,
        );
        for (host, slot) in self.hosts.iter_mut().enumerate() {
            let Some(monitor) = slot else {
                continue;
            };
            let Some(ejected_at) = monitor.ejected_at else {
                continue;
            };
            if now.nanos_since(ejected_at)
                < ejection_duration_ns(monitor.ejection_multiplier, base_ns, max_ns)
            {
                continue;
            }
            monitor.ejected_at = None;
            monitor.last_returned_at = Some(now);
            // Envoy resets the streaks so that a few new errors do not re-eject at once.
            monitor.consecutive_5xx = 0;
            monitor.consecutive_gateway_failure = 0;
            monitor.consecutive_local_origin_failure = 0;
            assert!(
                self.ejected_count > 0,
                "ejected count out of step with the hosts"
            );
            self.ejected_count -= 1;
            changes.push(OutlierChange {
                host,
                ejected: false,
                ejection: None,
            });
        }
    }

    /// Lowers the multiplier of every member in service that returned at least one interval ago
    /// (cc#L763-L777), and clears the interval's counts (Envoy swaps its buckets, cc#L867-L875).
    pub(super) fn end_interval(&mut self, now: SimTime) {
        let interval_ns = self.config.interval_ns;
        for monitor in self.hosts.iter_mut().flatten() {
            let stayed_in_service = monitor.ejected_at.is_none()
                && monitor
                    .last_returned_at
                    .is_some_and(|returned_at| now.nanos_since(returned_at) >= interval_ns);
            if stayed_in_service {
                monitor.ejection_multiplier = monitor.ejection_multiplier.saturating_sub(1);
            }
            monitor.external_origin = IntervalCounts::default();
            monitor.local_origin = IntervalCounts::default();
        }
    }
}

/// Envoy's ejection time: `min(base × multiplier, max)`.
fn ejection_duration_ns(multiplier: u32, base_ns: u64, max_ns: u64) -> u64 {
    u64::from(multiplier).saturating_mul(base_ns).min(max_ns)
}
