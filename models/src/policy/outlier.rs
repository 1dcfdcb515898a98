//! Envoy's outlier detection for one upstream cluster: passive health checking of its hosts, as a
//! sans-IO state machine. The caller reports what each attempt told it ([`AttemptOutcome`]), says
//! when hosts join or leave the cluster ([`OutlierDetector::set_member`]), and calls
//! [`OutlierDetector::on_interval`] every `interval_ns`. Time comes in as [`SimTime`]; there is
//! no clock, no timer and no randomness here, and every pass runs in host-index order.
//!
//! Follows Envoy v1.37.0 (commit `6d9bb7d9`). Below, `cc#L…` is short for
//! `envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L…`, `router.cc#L…` for
//! `envoy@v1.37.0:source/common/router/router.cc#L…` and `proto#L…` for
//! `envoy@v1.37.0:api/envoy/config/cluster/v3/outlier_detection.proto#L…`.
//!
//! # What is modelled
//! - **Membership.** The detector's hosts are the cluster's current hosts (Envoy's
//!   `host_monitors_`), and every count of hosts below counts members only. A host that joins
//!   starts with a fresh monitor; a host that leaves is forgotten, and if it was ejected its
//!   ejection stops counting without a return to service
//!   (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L326-L351`). Results for a
//!   host outside the cluster are dropped, as Envoy drops an ejection for a removed host
//!   (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L576-L580`).
//! - **How results are counted**, in both modes of `split_external_local_origin_errors`
//!   (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L68-L208`):
//!   - Not split (Envoy's default): every result becomes an HTTP status (a connect failure or
//!     reset 503, a timeout 504, a connection success nothing) and goes to the external-origin
//!     counters: any 5xx extends the consecutive-5xx streak, a 502/503/504 also extends the
//!     gateway streak, another 5xx resets the gateway streak, anything else resets both.
//!   - Split: HTTP answers go to the external-origin counters as above; connect failures, resets
//!     and timeouts only extend the consecutive-local-origin-failure streak, which a connection
//!     success resets (an HTTP answer does not, since Envoy 1.35).
//! - **Consecutive ejection** (5xx, gateway failure, local-origin failure) runs inline, at the
//!   result that brings the streak to *equal* the threshold; the streak is then reset whether or
//!   not the ejection was allowed. A streak that reaches its threshold while the host is ejected
//!   is ignored and not reset. When one result completes both the gateway and the 5xx streak,
//!   the gateway ejection is tried first
//!   (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L574-L613`).
//! - **Each interval tick**
//!   (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L746-L780`): returns hosts
//!   whose ejection time has passed, then runs the statistical pass over the external-origin
//!   counts of the interval just ended, then (split only) over the local-origin counts, then
//!   lowers the ejection multiplier of hosts that stayed in service a whole interval, and starts
//!   a new interval (the counts are per interval, not sliding).
//! - **The statistical pass**
//!   (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L615-L744`): nothing when
//!   the cluster has fewer members than both minimum-host settings. Candidates are members in
//!   service with at least one request in the interval. Success rate: among candidates with
//!   `success_rate_request_volume` requests, if there are at least `success_rate_minimum_hosts`,
//!   those strictly below `mean − stdev_factor × stdev` (population deviation) are ejected one by
//!   one. Failure percentage (after success rate, external origin only): among candidates with
//!   `request_volume` requests, if there are at least `minimum_hosts`, those whose failed share
//!   is at least `threshold_percent` are ejected one by one. Each ejection checks the
//!   `max_ejection_percent` rule, so earlier ejections can stop later ones.
//! - **`max_ejection_percent`** (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L476-L486`):
//!   an ejection is allowed when `100 × (ejected + 1) / members <= max_ejection_percent`, or when
//!   nothing is ejected yet and `always_eject_one_host` is set (off by default).
//! - **Ejection time** (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L358-L374`,
//!   `#L493-L518`, `#L763-L777`): an ejection raises the host's multiplier while
//!   `multiplier × base < max + base`, and lasts `min(multiplier × base, max)`; the host returns
//!   at the first interval tick after that, with its streaks reset
//!   (`envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L376-L390`). A tick lowers
//!   the multiplier by one for each host in service that returned at least one interval ago.
//!
//! # What is not modelled
//! - `enforcing_*` percentages other than 0 and 100: each check is on (100) or off. A detected
//!   but unenforced ejection changes no state in Envoy (only stats and the event log), so off is
//!   exactly Envoy at 0.
//! - Local-origin failure percentage (`enforcing_failure_percentage_local_origin`, 0 by default).
//! - Ejection jitter (`max_ejection_time_jitter`, 0 by default), active health checks and their
//!   unejection, runtime overrides, and `timeout_response_code_` other than 504 (a request
//!   asking for 204 on timeout would count its timeouts as successes when not split).
//! - A host that leaves and rejoins is a new host to Envoy, and a late result of an attempt sent
//!   before it left goes to the old host's monitor; here it counts for the rejoined host.
//! - Deliberate difference: Envoy's failure-percentage loop does not skip a host that success
//!   rate ejected in the same pass, and ejects it a second time (a debug assertion in Envoy, a
//!   double count of `ejections_active` in release builds). Here such a host is skipped.
//!
//! # How the caller reports an attempt
//! Envoy's router reports each try to the host it went to:
//! - The try got a connection from the pool (a new or a reused one):
//!   [`AttemptOutcome::LocalOriginConnectSuccess`], when it is attached
//!   (`envoy@v1.37.0:source/common/router/upstream_request.cc#L592-L606`). Ignored unless split.
//! - An HTTP answer's headers arrived: [`AttemptOutcome::HttpStatus`] with its status
//!   (`envoy@v1.37.0:source/common/router/router.cc#L1743-L1747`).
//! - The connection was refused or failed, or the try's stream or connection was reset:
//!   [`AttemptOutcome::LocalOriginConnectFailure`]
//!   (`envoy@v1.37.0:source/common/router/router.cc#L1531-L1546`). A circuit-breaker overflow
//!   reports nothing. A failed connection fails every try queued on it, and each reports.
//! - A per-try timeout: [`AttemptOutcome::LocalOriginTimeout`]
//!   (`envoy@v1.37.0:source/common/router/router.cc#L1354-L1357`).
//! - The route timeout cut the try off while it awaited the answer's headers on a connection:
//!   [`AttemptOutcome::LocalOriginTimeout`]; nothing if it was still waiting for a connection (no
//!   host was chosen for it yet) or its headers had already arrived
//!   (`envoy@v1.37.0:source/common/router/router.cc#L1270-L1282`).

mod attempt_outcome;
mod config;
mod consecutive;
mod ejection;
mod ejection_clock;
mod statistical;

use meshsim_sim::SimTime;

use attempt_outcome::{CONNECT_FAILURE_STATUS, TIMEOUT_STATUS};

pub(crate) use attempt_outcome::AttemptOutcome;
pub use config::{FailurePercentage, OutlierConfig};
pub(crate) use ejection::{Ejection, EjectionReason, MembershipChange, OutlierChange};

/// Where a result came from, for the two sets of interval counts Envoy keeps per host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// HTTP answers (and, when not split, every result as an HTTP status).
    External,
    /// Connection successes, connect failures, resets and timeouts, when split.
    Local,
}

/// The consecutive-failure streaks a host keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Streak {
    FiveXx,
    GatewayFailure,
    LocalOriginFailure,
}

impl Streak {
    fn reason(self) -> EjectionReason {
        match self {
            Streak::FiveXx => EjectionReason::Consecutive5xx,
            Streak::GatewayFailure => EjectionReason::ConsecutiveGatewayFailure,
            Streak::LocalOriginFailure => EjectionReason::ConsecutiveLocalOriginFailure,
        }
    }
}

/// Requests and successes of one origin since the last interval tick.
#[derive(Debug, Clone, Copy, Default)]
struct IntervalCounts {
    requests: u64,
    successes: u64,
}

impl IntervalCounts {
    fn count(&mut self, success: bool) {
        self.requests += 1;
        self.successes += u64::from(success);
    }

    /// The success rate in percent, or `None` without a request (cc#L877-L886).
    fn success_rate_percent(self) -> Option<f64> {
        (self.requests > 0).then(|| self.successes as f64 * 100.0 / self.requests as f64)
    }
}

/// What the detector knows of one member of the cluster.
#[derive(Debug, Clone, Default)]
struct HostMonitor {
    consecutive_5xx: u32,
    consecutive_gateway_failure: u32,
    consecutive_local_origin_failure: u32,
    external_origin: IntervalCounts,
    local_origin: IntervalCounts,
    ejected_at: Option<SimTime>,
    last_returned_at: Option<SimTime>,
    times_ejected: u32,
    /// Envoy's `ejectTimeBackoff`: the ejection time is this many base times, capped.
    ejection_multiplier: u32,
}

impl HostMonitor {
    fn streak_mut(&mut self, streak: Streak) -> &mut u32 {
        match streak {
            Streak::FiveXx => &mut self.consecutive_5xx,
            Streak::GatewayFailure => &mut self.consecutive_gateway_failure,
            Streak::LocalOriginFailure => &mut self.consecutive_local_origin_failure,
        }
    }

    fn counts(&self, origin: Origin) -> IntervalCounts {
        match origin {
            Origin::External => self.external_origin,
            Origin::Local => self.local_origin,
        }
    }
}

/// Outlier detection over the hosts of one upstream cluster, in slots indexed from 0 up to a
/// fixed capacity; only the slots that are members of the cluster take part.
#[derive(Debug, Clone)]
pub(crate) struct OutlierDetector {
    config: OutlierConfig,
    /// One slot per possible host; `None` for a host outside the cluster.
    hosts: Vec<Option<HostMonitor>>,
    member_count: usize,
    ejected_count: usize,
}

impl OutlierDetector {
    /// A detector with `host_capacity` slots, every one of them a member; call
    /// [`set_member`](Self::set_member) with `false` for the slots not in the cluster at start.
    pub(crate) fn new(config: OutlierConfig, host_capacity: usize) -> Self {
        assert!(config.interval_ns > 0, "outlier interval must be positive");
        assert!(
            config.base_ejection_time_ns > 0,
            "base_ejection_time must be positive"
        );
        assert!(
            config.max_ejection_time_ns >= config.base_ejection_time_ns,
            "Envoy rejects a max_ejection_time smaller than base_ejection_time"
        );
        assert!(
            config.max_ejection_percent <= 100,
            "max_ejection_percent is a percentage"
        );
        assert!(
            config.success_rate_stdev_factor.is_finite() && config.success_rate_stdev_factor >= 0.0,
            "success_rate_stdev_factor must be a non-negative number"
        );
        assert!(
            config
                .failure_percentage
                .is_none_or(|failure_percentage| failure_percentage.threshold_percent <= 100),
            "failure_percentage threshold_percent is a percentage"
        );
        OutlierDetector {
            config,
            hosts: vec![Some(HostMonitor::default()); host_capacity],
            member_count: host_capacity,
            ejected_count: 0,
        }
    }

    pub(crate) fn config(&self) -> &OutlierConfig {
        &self.config
    }

    /// How many hosts are in the cluster: the denominator of `max_ejection_percent`.
    #[cfg(test)]
    pub(crate) fn member_count(&self) -> usize {
        self.member_count
    }

    #[cfg(test)]
    pub(crate) fn is_member(&self, host: usize) -> bool {
        self.hosts[host].is_some()
    }

    /// Whether `host` is ejected; a host outside the cluster never is.
    pub(crate) fn is_ejected(&self, host: usize) -> bool {
        self.monitor(host)
            .is_some_and(|monitor| monitor.ejected_at.is_some())
    }

    /// How many members are ejected.
    pub(crate) fn ejected_count(&self) -> usize {
        self.ejected_count
    }

    /// How many times `host` has been ejected since it joined the cluster.
    #[cfg(test)]
    pub(crate) fn times_ejected(&self, host: usize) -> u32 {
        self.monitor(host)
            .map_or(0, |monitor| monitor.times_ejected)
    }

    /// The multiplier of `host`'s next ejection time, before the ejection raises it.
    #[cfg(test)]
    pub(crate) fn ejection_multiplier(&self, host: usize) -> u32 {
        self.monitor(host)
            .map_or(0, |monitor| monitor.ejection_multiplier)
    }

    /// `host` joins (`member`) or leaves the cluster: Envoy's member-update callback
    /// (cc#L326-L341). A host that joins starts fresh; a host that leaves is forgotten, and if it
    /// was ejected its ejection stops counting (see [`MembershipChange::Left`]). Setting the
    /// membership a host already has changes nothing.
    pub(crate) fn set_member(&mut self, host: usize, member: bool) -> MembershipChange {
        assert!(
            host < self.hosts.len(),
            "host {host} is beyond the detector's {} slots",
            self.hosts.len()
        );
        match (self.hosts[host].take(), member) {
            (Some(monitor), true) => {
                self.hosts[host] = Some(monitor);
                MembershipChange::Unchanged
            }
            (None, false) => MembershipChange::Unchanged,
            (None, true) => {
                self.hosts[host] = Some(HostMonitor::default());
                self.member_count += 1;
                MembershipChange::Joined
            }
            (Some(monitor), false) => {
                self.member_count -= 1;
                let ejection_dropped = monitor.ejected_at.is_some();
                if ejection_dropped {
                    assert!(
                        self.ejected_count > 0,
                        "ejected count out of step with the hosts"
                    );
                    self.ejected_count -= 1;
                }
                MembershipChange::Left { ejection_dropped }
            }
        }
    }

    /// An attempt to `host` told `outcome`; returns the ejection it caused, if any. A result for
    /// a host outside the cluster (an attempt that outlived its host's membership) is dropped.
    pub(crate) fn record(
        &mut self,
        now: SimTime,
        host: usize,
        outcome: AttemptOutcome,
    ) -> Option<Ejection> {
        assert!(
            host < self.hosts.len(),
            "host {host} is beyond the detector's {} slots",
            self.hosts.len()
        );
        self.monitor(host)?;
        // Envoy picks one of two handlers by the mode (cc#L131-L172).
        match (outcome, self.config.split_external_local_origin_errors) {
            (AttemptOutcome::HttpStatus(status), _) => self.record_status(now, host, status),
            // A connection success says nothing about the answer to come (cc#L114-L120).
            (AttemptOutcome::LocalOriginConnectSuccess, false) => None,
            (AttemptOutcome::LocalOriginConnectFailure, false) => {
                self.record_status(now, host, CONNECT_FAILURE_STATUS)
            }
            (AttemptOutcome::LocalOriginTimeout, false) => {
                self.record_status(now, host, TIMEOUT_STATUS)
            }
            (AttemptOutcome::LocalOriginConnectSuccess, true) => {
                self.record_local_origin_success(host);
                None
            }
            (
                AttemptOutcome::LocalOriginConnectFailure | AttemptOutcome::LocalOriginTimeout,
                true,
            ) => self.record_local_origin_failure(now, host),
        }
    }

    /// The interval timer fired: returns hosts whose ejection time has passed, ejects
    /// statistical outliers, lowers the multipliers of hosts that stayed in service, and starts
    /// a new interval. Runs once per interval, so the allocations are off the per-request path.
    pub(crate) fn on_interval(&mut self, now: SimTime) -> Vec<OutlierChange> {
        let mut changes = Vec::new();
        self.return_expired(now, &mut changes);
        self.eject_statistical_outliers(now, Origin::External, &mut changes);
        if self.config.split_external_local_origin_errors {
            self.eject_statistical_outliers(now, Origin::Local, &mut changes);
        }
        self.end_interval(now);
        assert_eq!(
            self.ejected_count,
            self.members()
                .filter(|(_, monitor)| monitor.ejected_at.is_some())
                .count(),
            "ejected count out of step with the hosts"
        );
        changes
    }

    fn monitor(&self, host: usize) -> Option<&HostMonitor> {
        self.hosts[host].as_ref()
    }

    fn member_mut(&mut self, host: usize) -> &mut HostMonitor {
        self.hosts[host].as_mut().expect("host is a member")
    }

    fn members(&self) -> impl Iterator<Item = (usize, &HostMonitor)> {
        self.hosts
            .iter()
            .enumerate()
            .filter_map(|(host, slot)| slot.as_ref().map(|monitor| (host, monitor)))
    }
}

#[cfg(test)]
mod tests;
