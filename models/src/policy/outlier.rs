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

use meshsim_sim::SimTime;

const SECOND_NS: u64 = 1_000_000_000;

/// The status a local-origin connect failure or reset counts as when errors are not split:
/// Envoy's `resultToHttpCode` (cc#L108-L110).
const CONNECT_FAILURE_STATUS: u16 = 503;

/// The status a local-origin timeout counts as when errors are not split: the router reports
/// its `timeout_response_code_` with the timeout, 504 unless the request asked for 204
/// (router.cc#L1356-L1357, `router.h#L677`).
const TIMEOUT_STATUS: u16 = 504;

/// What one attempt told the detector about its host: one of Envoy's `putResult` calls.
///
/// See the module docs for which one to report when. Not split, the local-origin results count
/// as HTTP statuses (a connect failure 503, a timeout 504) and a connection success counts
/// nothing; split, they feed only the local-origin streak and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The host answered with this HTTP status (external origin): a 5xx is a failure, anything
    /// else (4xx included) a success.
    HttpStatus(u16),
    /// The try was attached to a connection to the host (Envoy's `LocalOriginConnectSuccess`).
    LocalOriginConnectSuccess,
    /// The connection was refused or failed, or the stream was reset before the answer (Envoy's
    /// `LocalOriginConnectFailed`).
    LocalOriginConnectFailure,
    /// The try timed out waiting for the answer (Envoy's `LocalOriginTimeout`).
    LocalOriginTimeout,
}

impl AttemptOutcome {
    /// The outcome of an answer with HTTP status `status` from the host.
    pub fn from_status(status: u16) -> Self {
        AttemptOutcome::HttpStatus(status)
    }
}

/// Envoy's `CodeUtility::is5xx`.
fn is_5xx(status: u16) -> bool {
    (500..600).contains(&status)
}

/// Envoy's `CodeUtility::isGatewayError`: 502, 503 and 504.
fn is_gateway_error(status: u16) -> bool {
    (502..505).contains(&status)
}

/// Failure-percentage ejection, enforced (`enforcing_failure_percentage` 100); `Default` is
/// Envoy's defaults for the three settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePercentage {
    /// `failure_percentage_threshold`: a host whose failed share of the interval's requests is
    /// at least this many percent is ejected. Envoy: 85.
    pub threshold_percent: u32,
    /// `failure_percentage_minimum_hosts`: how many hosts must have the request volume for the
    /// check to run. Envoy: 5.
    pub minimum_hosts: u32,
    /// `failure_percentage_request_volume`: requests a host needs in the interval to be judged.
    /// Envoy: 50.
    pub request_volume: u32,
}

impl Default for FailurePercentage {
    fn default() -> Self {
        FailurePercentage {
            threshold_percent: 85,
            minimum_hosts: 5,
            request_volume: 50,
        }
    }
}

/// `outlier_detection` for one cluster; `Default` is Envoy's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlierConfig {
    /// `consecutive_5xx`, enforced 100 % (Envoy's default). 0 never ejects (Envoy fires when the
    /// streak equals the threshold, which a streak of at least one never does). Envoy: 5.
    pub consecutive_5xx: u32,
    /// `consecutive_gateway_failure` enforced at 100 %; `None` is Envoy's default, where the
    /// streak is counted but `enforcing_consecutive_gateway_failure` is 0. Istio's
    /// `consecutiveGatewayErrors: N` is `Some(N)`; Istio's deprecated `consecutiveErrors: N` (the
    /// shop seed's) compiled to `Some(N)` with `consecutive_5xx` not enforced (0 here).
    pub consecutive_gateway_failure: Option<u32>,
    /// `interval`: 10 s.
    pub interval_ns: u64,
    /// `base_ejection_time`: 30 s.
    pub base_ejection_time_ns: u64,
    /// `max_ejection_time`: 300 s (Envoy uses the base time instead when that is larger).
    pub max_ejection_time_ns: u64,
    /// `max_ejection_percent`: 10.
    pub max_ejection_percent: u32,
    /// `always_eject_one_host` (Envoy 1.31 and later): the first ejection is allowed whatever
    /// `max_ejection_percent` says. Envoy's default is false (cc#L221-L222, proto#L177-L179),
    /// under which a cluster of fewer than 10 members at 10 % ejects nothing. Before 1.31 the
    /// first ejection was always allowed; set this to true to get that behaviour.
    pub always_eject_one_host: bool,
    /// Success-rate ejection over external-origin results: Envoy enforces it
    /// (`enforcing_success_rate` 100); Istio turns it off (`EnforcingSuccessRate: 0`), so an
    /// Istio `outlierDetection` sets this to false.
    pub success_rate_enabled: bool,
    /// `success_rate_minimum_hosts`: 5.
    pub success_rate_minimum_hosts: u32,
    /// `success_rate_request_volume`: 100 requests in the interval.
    pub success_rate_request_volume: u32,
    /// `success_rate_stdev_factor` / 1000: 1.9.
    pub success_rate_stdev_factor: f64,
    /// Failure-percentage ejection over external-origin results; `None` is Envoy's default
    /// (`enforcing_failure_percentage` 0: detected, never ejected).
    pub failure_percentage: Option<FailurePercentage>,
    /// `split_external_local_origin_errors`: false. See the module docs for both modes.
    pub split_external_local_origin_errors: bool,
    /// `consecutive_local_origin_failure`, enforced 100 % (Envoy's default); counted only when
    /// split. 0 never ejects. Envoy: 5.
    pub consecutive_local_origin_failure: u32,
    /// Success-rate ejection over local-origin results (connection successes against connect
    /// failures, resets and timeouts), only when split. Envoy enforces it
    /// (`enforcing_local_origin_success_rate` 100); it shares the three `success_rate_*`
    /// settings with the external-origin check.
    pub local_origin_success_rate_enabled: bool,
}

impl Default for OutlierConfig {
    fn default() -> Self {
        OutlierConfig {
            consecutive_5xx: 5,
            consecutive_gateway_failure: None,
            interval_ns: 10 * SECOND_NS,
            base_ejection_time_ns: 30 * SECOND_NS,
            max_ejection_time_ns: 300 * SECOND_NS,
            max_ejection_percent: 10,
            always_eject_one_host: false,
            success_rate_enabled: true,
            success_rate_minimum_hosts: 5,
            success_rate_request_volume: 100,
            success_rate_stdev_factor: 1.9,
            failure_percentage: None,
            split_external_local_origin_errors: false,
            consecutive_local_origin_failure: 5,
            local_origin_success_rate_enabled: true,
        }
    }
}

/// Why a host was ejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EjectionReason {
    Consecutive5xx,
    ConsecutiveGatewayFailure,
    /// Split mode only.
    ConsecutiveLocalOriginFailure,
    /// External-origin success rate.
    SuccessRate,
    /// Split mode only.
    LocalOriginSuccessRate,
    /// External-origin failure percentage.
    FailurePercentage,
}

/// One host taken out of the load-balancing set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ejection {
    pub host: usize,
    pub reason: EjectionReason,
    /// How long the host stays out at least; it returns at the first interval tick after.
    pub duration_ns: u64,
    /// This host's ejections since it joined the cluster, this one included.
    pub times_ejected: u32,
}

/// A change made at an interval tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutlierChange {
    pub host: usize,
    /// True for an ejection (success rate or failure percentage), false for a return to service.
    pub ejected: bool,
    /// The ejection, when `ejected`.
    pub ejection: Option<Ejection>,
}

/// What [`OutlierDetector::set_member`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipChange {
    /// The host already had that membership: nothing changed.
    Unchanged,
    /// The host joined the cluster, fresh: in service, no streaks, no counts, never ejected.
    Joined,
    /// The host left the cluster and the detector forgot it. `ejection_dropped`: it was ejected,
    /// and that ejection no longer counts (Envoy lowers `ejections_active`); no return to
    /// service is reported for it, now or later.
    Left { ejection_dropped: bool },
}

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

/// A host the statistical pass may judge: in service, with requests in the interval.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    host: usize,
    success_rate_percent: f64,
    requests: u64,
}

/// Outlier detection over the hosts of one upstream cluster, in slots indexed from 0 up to a
/// fixed capacity; only the slots that are members of the cluster take part.
#[derive(Debug, Clone)]
pub struct OutlierDetector {
    config: OutlierConfig,
    /// One slot per possible host; `None` for a host outside the cluster.
    hosts: Vec<Option<HostMonitor>>,
    member_count: usize,
    ejected_count: usize,
}

impl OutlierDetector {
    /// A detector with `host_capacity` slots, every one of them a member; call
    /// [`set_member`](Self::set_member) with `false` for the slots not in the cluster at start.
    pub fn new(config: OutlierConfig, host_capacity: usize) -> Self {
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

    pub fn config(&self) -> &OutlierConfig {
        &self.config
    }

    /// How many host slots there are, members or not.
    pub fn host_capacity(&self) -> usize {
        self.hosts.len()
    }

    /// How many hosts are in the cluster: the denominator of `max_ejection_percent`.
    pub fn member_count(&self) -> usize {
        self.member_count
    }

    pub fn is_member(&self, host: usize) -> bool {
        self.hosts[host].is_some()
    }

    /// Whether `host` is ejected; a host outside the cluster never is.
    pub fn is_ejected(&self, host: usize) -> bool {
        self.monitor(host)
            .is_some_and(|monitor| monitor.ejected_at.is_some())
    }

    /// How many members are ejected.
    pub fn ejected_count(&self) -> usize {
        self.ejected_count
    }

    /// How many times `host` has been ejected since it joined the cluster.
    pub fn times_ejected(&self, host: usize) -> u32 {
        self.monitor(host)
            .map_or(0, |monitor| monitor.times_ejected)
    }

    /// The multiplier of `host`'s next ejection time, before the ejection raises it.
    pub fn ejection_multiplier(&self, host: usize) -> u32 {
        self.monitor(host)
            .map_or(0, |monitor| monitor.ejection_multiplier)
    }

    /// `host` joins (`member`) or leaves the cluster: Envoy's member-update callback
    /// (cc#L326-L341). A host that joins starts fresh; a host that leaves is forgotten, and if it
    /// was ejected its ejection stops counting (see [`MembershipChange::Left`]). Setting the
    /// membership a host already has changes nothing.
    pub fn set_member(&mut self, host: usize, member: bool) -> MembershipChange {
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
    pub fn record(
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
    pub fn on_interval(&mut self, now: SimTime) -> Vec<OutlierChange> {
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

    /// An HTTP status, external origin: Envoy's `putHttpResponseCode` (cc#L68-L95).
    fn record_status(&mut self, now: SimTime, host: usize, status: u16) -> Option<Ejection> {
        let monitor = self.member_mut(host);
        let failed = is_5xx(status);
        monitor.external_origin.count(!failed);
        if !failed {
            monitor.consecutive_5xx = 0;
            monitor.consecutive_gateway_failure = 0;
            return None;
        }
        let gateway = is_gateway_error(status);
        monitor.consecutive_gateway_failure = if gateway {
            monitor.consecutive_gateway_failure.saturating_add(1)
        } else {
            0
        };
        monitor.consecutive_5xx = monitor.consecutive_5xx.saturating_add(1);
        let (gateway_streak, five_xx_streak) =
            (monitor.consecutive_gateway_failure, monitor.consecutive_5xx);
        let gateway_reached =
            gateway && self.config.consecutive_gateway_failure == Some(gateway_streak);
        let five_xx_reached = five_xx_streak == self.config.consecutive_5xx;
        // Envoy checks the gateway streak first and handles both in that order: when both reach
        // their thresholds at once, the second finds the host ejected and is ignored.
        let mut ejection = None;
        if gateway_reached {
            ejection = self.on_streak_reached(now, host, Streak::GatewayFailure);
        }
        if five_xx_reached {
            ejection = ejection.or(self.on_streak_reached(now, host, Streak::FiveXx));
        }
        ejection
    }

    /// A connect failure, reset or timeout when split: Envoy's `localOriginFailure`
    /// (cc#L182-L195).
    fn record_local_origin_failure(&mut self, now: SimTime, host: usize) -> Option<Ejection> {
        let monitor = self.member_mut(host);
        monitor.local_origin.count(false);
        monitor.consecutive_local_origin_failure =
            monitor.consecutive_local_origin_failure.saturating_add(1);
        let streak = monitor.consecutive_local_origin_failure;
        if streak == self.config.consecutive_local_origin_failure {
            return self.on_streak_reached(now, host, Streak::LocalOriginFailure);
        }
        None
    }

    /// A connection success when split: Envoy's `localOriginNoFailure` (cc#L197-L208).
    fn record_local_origin_success(&mut self, host: usize) {
        let monitor = self.member_mut(host);
        monitor.local_origin.count(true);
        monitor.consecutive_local_origin_failure = 0;
    }

    /// A streak reached its threshold on `host`: Envoy's `onConsecutiveErrorWorker`
    /// (cc#L574-L613). An ejected host is left alone, its streak not reset.
    fn on_streak_reached(&mut self, now: SimTime, host: usize, streak: Streak) -> Option<Ejection> {
        if self.is_ejected(host) {
            return None;
        }
        let ejection = self.try_eject(now, host, streak.reason());
        // Reset whether or not the ejection was allowed, so a later bout can be detected.
        *self.member_mut(host).streak_mut(streak) = 0;
        ejection
    }

    /// Ejects `host` unless `max_ejection_percent` forbids it (Envoy's `ejections_overflow`):
    /// Envoy's `ejectHost` (cc#L476-L532), always enforced.
    fn try_eject(&mut self, now: SimTime, host: usize, reason: EjectionReason) -> Option<Ejection> {
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
    fn eject_at_tick(
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
    fn return_expired(&mut self, now: SimTime, changes: &mut Vec<OutlierChange>) {
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

    /// One statistical pass over the interval just ended, for one origin: Envoy's
    /// `processSuccessRateEjections` (cc#L645-L744). Success rate first, then (external origin
    /// only) failure percentage; each ejection is checked against the cap in turn.
    fn eject_statistical_outliers(
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

    /// Lowers the multiplier of every member in service that returned at least one interval ago
    /// (cc#L763-L777), and clears the interval's counts (Envoy swaps its buckets, cc#L867-L875).
    fn end_interval(&mut self, now: SimTime) {
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

#[cfg(test)]
mod tests {
    //! Citations are to Envoy v1.37.0; `cc#L…` is
    //! `source/common/upstream/outlier_detection_impl.cc#L…` (see the module docs).

    use super::{
        AttemptOutcome, Ejection, EjectionReason, FailurePercentage, MembershipChange,
        OutlierConfig, OutlierDetector, SECOND_NS,
    };
    use meshsim_sim::SimTime;

    const SUCCESS: AttemptOutcome = AttemptOutcome::HttpStatus(200);
    const SERVER_ERROR: AttemptOutcome = AttemptOutcome::HttpStatus(500);
    const GATEWAY_FAILURE: AttemptOutcome = AttemptOutcome::HttpStatus(503);
    const CONNECTED: AttemptOutcome = AttemptOutcome::LocalOriginConnectSuccess;
    const CONNECT_FAILURE: AttemptOutcome = AttemptOutcome::LocalOriginConnectFailure;
    const TIMEOUT: AttemptOutcome = AttemptOutcome::LocalOriginTimeout;

    fn secs(seconds: u64) -> SimTime {
        SimTime::from_nanos(seconds * SECOND_NS)
    }

    /// Envoy's defaults with success-rate ejection off, to test the streaks alone.
    fn consecutive_only() -> OutlierConfig {
        OutlierConfig {
            success_rate_enabled: false,
            ..OutlierConfig::default()
        }
    }

    /// Split mode with the statistical checks off, to test the local-origin streak alone.
    fn split_consecutive_only() -> OutlierConfig {
        OutlierConfig {
            split_external_local_origin_errors: true,
            local_origin_success_rate_enabled: false,
            ..consecutive_only()
        }
    }

    /// Success rate alone, with no cap, as Envoy's own tests set it.
    fn success_rate_only() -> OutlierConfig {
        OutlierConfig {
            consecutive_5xx: 0,
            max_ejection_percent: 100,
            ..OutlierConfig::default()
        }
    }

    /// Failure percentage alone (Envoy's settings), with no cap.
    fn failure_percentage_only() -> OutlierConfig {
        OutlierConfig {
            consecutive_5xx: 0,
            max_ejection_percent: 100,
            success_rate_enabled: false,
            failure_percentage: Some(FailurePercentage::default()),
            ..OutlierConfig::default()
        }
    }

    /// Records `count` outcomes; returns the first ejection they caused.
    fn feed(
        detector: &mut OutlierDetector,
        now: SimTime,
        host: usize,
        outcome: AttemptOutcome,
        count: u32,
    ) -> Option<Ejection> {
        let mut first = None;
        for _ in 0..count {
            let ejection = detector.record(now, host, outcome);
            first = first.or(ejection);
        }
        first
    }

    /// Gives each host `requests` answers this interval, the first `failures[host]` of them
    /// failing, spread so that no streak forms.
    fn interval_traffic(
        detector: &mut OutlierDetector,
        now: SimTime,
        requests: &[u32],
        failures: &[u32],
    ) {
        interval_outcomes(detector, now, requests, failures, SUCCESS, SERVER_ERROR);
    }

    /// As [`interval_traffic`], with the given outcomes for a success and a failure.
    fn interval_outcomes(
        detector: &mut OutlierDetector,
        now: SimTime,
        requests: &[u32],
        failures: &[u32],
        success: AttemptOutcome,
        failure: AttemptOutcome,
    ) {
        for (host, (&total, &failed)) in requests.iter().zip(failures).enumerate() {
            for i in 0..total {
                let outcome = if i % 2 == 0 && i / 2 < failed {
                    failure
                } else {
                    success
                };
                detector.record(now, host, outcome);
            }
        }
    }

    /// Runs interval ticks from `now` until `host` returns; the time it returned.
    fn tick_until_returned(
        detector: &mut OutlierDetector,
        mut now: SimTime,
        host: usize,
    ) -> SimTime {
        for _ in 0..1_000 {
            now = now + detector.config().interval_ns;
            if detector
                .on_interval(now)
                .iter()
                .any(|change| change.host == host && !change.ejected)
            {
                return now;
            }
        }
        panic!("host {host} never returned");
    }

    /// The hosts ejected by one tick, in the order they were ejected.
    fn ejected_at_tick(detector: &mut OutlierDetector, now: SimTime) -> Vec<usize> {
        detector
            .on_interval(now)
            .iter()
            .filter(|change| change.ejected)
            .map(|change| change.host)
            .collect()
    }

    // ---- Results and streaks ----

    #[test]
    fn http_statuses_classify_as_envoy_does() {
        // Http::CodeUtility::is5xx and isGatewayError (source/common/http/codes.h#L136-L138).
        assert_eq!(
            AttemptOutcome::from_status(404),
            AttemptOutcome::HttpStatus(404)
        );
        for status in [200, 301, 404, 429, 499] {
            assert!(!super::is_5xx(status), "{status}");
        }
        for status in [500, 501, 505, 599] {
            assert!(
                super::is_5xx(status) && !super::is_gateway_error(status),
                "{status}"
            );
        }
        for status in [502, 503, 504] {
            assert!(
                super::is_5xx(status) && super::is_gateway_error(status),
                "{status}"
            );
        }
    }

    #[test]
    fn ejects_at_the_fifth_consecutive_5xx() {
        // The streak fires when it equals consecutive_5xx (cc#L86-L89).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 3, SERVER_ERROR, 4), None);
        assert!(!detector.is_ejected(3));
        let ejection = detector
            .record(secs(1), 3, SERVER_ERROR)
            .expect("fifth 5xx ejects");
        assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
        assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
        assert_eq!(ejection.times_ejected, 1);
        assert!(detector.is_ejected(3));
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn a_success_resets_the_streak() {
        // Any status below 500, 4xx included, resets both streaks (cc#L90-L94).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
        assert_eq!(
            detector.record(secs(1), 0, AttemptOutcome::HttpStatus(404)),
            None
        );
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
        assert!(!detector.is_ejected(0));
        assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
    }

    #[test]
    fn gateway_failures_count_as_5xx_by_default() {
        // A gateway error bumps the 5xx streak too (cc#L76-L89).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 4), None);
        let ejection = detector
            .record(secs(1), 0, SERVER_ERROR)
            .expect("five 5xx of any kind");
        assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
    }

    #[test]
    fn gateway_failures_do_not_eject_unless_configured() {
        // enforcing_consecutive_gateway_failure is 0 by default (outlier_detection_impl.h#L360).
        let config = OutlierConfig {
            consecutive_5xx: 0,
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 50), None);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 50), None);
        assert!(!detector.is_ejected(0));
    }

    #[test]
    fn a_non_gateway_5xx_breaks_the_gateway_streak() {
        // cc#L82-L84.
        let config = OutlierConfig {
            consecutive_5xx: 0,
            consecutive_gateway_failure: Some(3),
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 2), None);
        assert_eq!(detector.record(secs(1), 0, SERVER_ERROR), None);
        assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 2), None);
        assert!(detector.record(secs(1), 0, GATEWAY_FAILURE).is_some());
    }

    #[test]
    fn both_streaks_reaching_their_thresholds_eject_once_as_gateway() {
        // The gateway check runs first; the 5xx worker then finds the host ejected (cc#L581-L583).
        let config = OutlierConfig {
            consecutive_gateway_failure: Some(5),
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        let ejection = feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 5).expect("ejected");
        assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
        assert_eq!(detector.times_ejected(0), 1);
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn failures_while_ejected_do_not_eject_again() {
        // cc#L581-L583: an ejected host is left alone and its streak not reset.
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 20), None);
        assert_eq!(detector.times_ejected(0), 1);
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn returning_resets_the_streaks() {
        // cc#L379-L383.
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
        // Three more failures while ejected (panic mode can still send it traffic).
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 3), None);
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert_eq!(feed(&mut detector, returned, 0, SERVER_ERROR, 4), None);
        assert!(detector.record(returned, 0, SERVER_ERROR).is_some());
    }

    // ---- Local-origin results, not split and split ----

    #[test]
    fn without_split_a_connect_failure_counts_as_503_and_a_timeout_as_504() {
        // resultToHttpCode maps them to 503 and 504, both gateway errors (cc#L105-L110,
        // cc#L131-L141; the router passes 504 with a timeout, router.cc#L1356-L1357).
        let config = OutlierConfig {
            consecutive_5xx: 0,
            consecutive_gateway_failure: Some(4),
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 2), None);
        assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 1), None);
        let ejection = detector
            .record(secs(1), 0, CONNECT_FAILURE)
            .expect("fourth gateway failure");
        assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
        // And into the 5xx streak.
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 2), None);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 2), None);
        let ejection = detector.record(secs(1), 0, TIMEOUT).expect("fifth 5xx");
        assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
    }

    #[test]
    fn without_split_a_connect_success_is_ignored() {
        // LocalOriginConnectSuccess maps to no status and is dropped (cc#L114-L120, cc#L136-L139).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
        assert_eq!(detector.record(secs(1), 0, CONNECTED), None);
        assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
    }

    #[test]
    fn without_split_local_origin_failures_count_in_success_rate() {
        // They become 503 and 504 answers, failures in the external-origin counts (cc#L68-L95).
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        interval_outcomes(
            &mut detector,
            secs(5),
            &[100; 5],
            &[0, 0, 0, 0, 50],
            SUCCESS,
            CONNECT_FAILURE,
        );
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), [4]);
    }

    #[test]
    fn consecutive_local_origin_failure_applies_only_with_split() {
        // The local-origin streak is counted only by the split handler (cc#L146-L172).
        let config = OutlierConfig {
            consecutive_5xx: 0,
            consecutive_local_origin_failure: 5,
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 50), None);
        assert!(!detector.is_ejected(0));
    }

    #[test]
    fn with_split_local_origin_failures_eject_by_their_own_streak() {
        // Connect failures and timeouts go to localOriginFailure (cc#L155-L157, cc#L182-L195).
        let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 3), None);
        assert_eq!(detector.record(secs(1), 0, TIMEOUT), None);
        let ejection = detector
            .record(secs(1), 0, CONNECT_FAILURE)
            .expect("fifth local-origin failure");
        assert_eq!(
            ejection.reason,
            EjectionReason::ConsecutiveLocalOriginFailure
        );
        assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
    }

    #[test]
    fn with_split_local_origin_failures_leave_the_5xx_streaks_alone() {
        // They neither extend nor reset the external-origin streaks (cc#L146-L172).
        let config = OutlierConfig {
            consecutive_local_origin_failure: 0,
            consecutive_gateway_failure: Some(5),
            ..split_consecutive_only()
        };
        let mut detector = OutlierDetector::new(config.clone(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 20), None);
        assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 20), None);
        let ejection = detector
            .record(secs(1), 0, SERVER_ERROR)
            .expect("fifth 5xx");
        assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, GATEWAY_FAILURE, 4), None);
        assert_eq!(feed(&mut detector, secs(1), 0, TIMEOUT, 20), None);
        let ejection = detector
            .record(secs(1), 0, GATEWAY_FAILURE)
            .expect("fifth gateway failure");
        assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
    }

    #[test]
    fn with_split_a_connect_success_resets_the_local_streak() {
        // localOriginNoFailure (cc#L151-L153, cc#L197-L208).
        let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 4), None);
        assert_eq!(detector.record(secs(1), 0, CONNECTED), None);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 4), None);
        assert!(!detector.is_ejected(0));
        assert!(detector.record(secs(1), 0, CONNECT_FAILURE).is_some());
    }

    #[test]
    fn with_split_an_http_answer_does_not_reset_the_local_streak() {
        // Since Envoy 1.35 (PR #39440) an answer goes to putHttpResponseCode only (cc#L165-L170).
        let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 4), None);
        assert_eq!(detector.record(secs(1), 0, SUCCESS), None);
        let ejection = detector
            .record(secs(1), 0, TIMEOUT)
            .expect("fifth local failure");
        assert_eq!(
            ejection.reason,
            EjectionReason::ConsecutiveLocalOriginFailure
        );
    }

    #[test]
    fn returning_resets_the_local_origin_streak() {
        // cc#L383.
        let mut detector = OutlierDetector::new(split_consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, CONNECT_FAILURE, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 0, CONNECT_FAILURE, 3), None);
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert_eq!(feed(&mut detector, returned, 0, CONNECT_FAILURE, 4), None);
        assert!(detector.record(returned, 0, CONNECT_FAILURE).is_some());
    }

    #[test]
    fn with_split_success_rate_counts_http_answers_only() {
        // Local-origin results go to the local-origin monitor, not the external one
        // (cc#L182-L208).
        let config = OutlierConfig {
            split_external_local_origin_errors: true,
            consecutive_local_origin_failure: 0,
            local_origin_success_rate_enabled: false,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0; 5]);
        feed(&mut detector, secs(5), 4, CONNECT_FAILURE, 100);
        assert!(detector.on_interval(secs(10)).is_empty());
        // A host failing its answers is still judged.
        interval_traffic(&mut detector, secs(15), &[100; 5], &[0, 0, 0, 0, 50]);
        let changes = detector.on_interval(secs(20));
        assert_eq!(changes.len(), 1);
        let ejection = changes[0].ejection.expect("an ejection");
        assert_eq!(
            (ejection.host, ejection.reason),
            (4, EjectionReason::SuccessRate)
        );
    }

    #[test]
    fn with_split_local_origin_success_rate_ejects_a_host_that_fails_to_connect() {
        // The second pass over the local-origin monitor (cc#L760-L761), enforced 100 by
        // default (outlier_detection_impl.h#L366): connection successes against failures.
        let config = OutlierConfig {
            split_external_local_origin_errors: true,
            consecutive_local_origin_failure: 0,
            success_rate_enabled: false,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_outcomes(
            &mut detector,
            secs(5),
            &[100; 5],
            &[0, 0, 0, 0, 50],
            CONNECTED,
            CONNECT_FAILURE,
        );
        let changes = detector.on_interval(secs(10));
        assert_eq!(changes.len(), 1);
        let ejection = changes[0].ejection.expect("an ejection");
        assert_eq!(
            (ejection.host, ejection.reason),
            (4, EjectionReason::LocalOriginSuccessRate)
        );
    }

    #[test]
    fn the_local_origin_pass_runs_after_the_external_one() {
        // processSuccessRateEjections runs for external, then local origin (cc#L760-L761); the
        // external ejection takes the room the cap leaves.
        let config = |max_ejection_percent| OutlierConfig {
            split_external_local_origin_errors: true,
            consecutive_local_origin_failure: 0,
            max_ejection_percent,
            ..success_rate_only()
        };
        for (max_ejection_percent, expected) in [(20, vec![5]), (40, vec![5, 0])] {
            let mut detector = OutlierDetector::new(config(max_ejection_percent), 6);
            // Host 5 fails its answers; host 0 fails its connections.
            interval_traffic(&mut detector, secs(5), &[100; 6], &[0, 0, 0, 0, 0, 50]);
            interval_outcomes(
                &mut detector,
                secs(5),
                &[100; 6],
                &[50, 0, 0, 0, 0, 0],
                CONNECTED,
                CONNECT_FAILURE,
            );
            assert_eq!(ejected_at_tick(&mut detector, secs(10)), expected);
        }
    }

    // ---- Ejection time ----

    #[test]
    fn returns_only_at_an_interval_tick_after_the_time_passed() {
        // Unejection is checked at ticks only (cc#L358-L374).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(5), 1, SERVER_ERROR, 5).is_some());
        // Ejected for 30 s from 5 s: still out at the 30 s tick (25 s later), out between ticks
        // after 35 s, back at the 40 s tick.
        assert!(detector.on_interval(secs(10)).is_empty());
        assert!(detector.on_interval(secs(20)).is_empty());
        assert!(detector.on_interval(secs(30)).is_empty());
        assert!(detector.is_ejected(1));
        let changes = detector.on_interval(secs(40));
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].host, changes[0].ejected), (1, false));
        assert!(!detector.is_ejected(1));
        assert_eq!(detector.ejected_count(), 0);
    }

    #[test]
    fn ejection_time_grows_with_repeat_ejections_and_is_capped() {
        // cc#L515-L518 raises the multiplier; cc#L370 caps the time at max_ejection_time.
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        let mut now = secs(0);
        let mut durations_s = Vec::new();
        for _ in 0..12 {
            let ejection = feed(&mut detector, now, 0, SERVER_ERROR, 5).expect("ejected");
            durations_s.push(ejection.duration_ns / SECOND_NS);
            // Fail again at once on return, before a tick can lower the multiplier.
            now = tick_until_returned(&mut detector, now, 0);
        }
        assert_eq!(
            durations_s,
            [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]
        );
        assert_eq!(detector.times_ejected(0), 12);
        // Envoy raises the multiplier while multiplier × base < max + base: it stops at 11.
        assert_eq!(detector.ejection_multiplier(0), 11);
    }

    #[test]
    fn multiplier_decreases_each_interval_the_host_stays_in_service() {
        // cc#L763-L777.
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert!(feed(&mut detector, returned, 0, SERVER_ERROR, 5).is_some());
        let returned = tick_until_returned(&mut detector, returned, 0);
        assert_eq!(detector.ejection_multiplier(0), 2);
        // Not at the tick that returned it, then one step per healthy interval.
        detector.on_interval(returned + 10 * SECOND_NS);
        assert_eq!(detector.ejection_multiplier(0), 1);
        detector.on_interval(returned + 20 * SECOND_NS);
        assert_eq!(detector.ejection_multiplier(0), 0);
        detector.on_interval(returned + 30 * SECOND_NS);
        assert_eq!(detector.ejection_multiplier(0), 0);
        let ejection =
            feed(&mut detector, returned + 31 * SECOND_NS, 0, SERVER_ERROR, 5).expect("ejected");
        assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
        assert_eq!(ejection.times_ejected, 3);
    }

    // ---- The ejection cap ----

    #[test]
    fn always_eject_one_host_is_off_by_default() {
        // cc#L221-L222; with it off, one ejection of 9 hosts is 11 % > 10 % (cc#L478-L486).
        assert!(!OutlierConfig::default().always_eject_one_host);
        let mut detector = OutlierDetector::new(consecutive_only(), 9);
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 50), None);
        assert_eq!(detector.ejected_count(), 0);
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
    }

    #[test]
    fn max_ejection_percent_caps_ejections() {
        // 100 × (ejected + 1) / hosts <= max (cc#L480-L483): 20 hosts at 10 % allow two.
        let mut detector = OutlierDetector::new(consecutive_only(), 20);
        assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
        assert!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 2, SERVER_ERROR, 5), None);
        assert!(!detector.is_ejected(2));
        assert_eq!(detector.ejected_count(), 2);
    }

    #[test]
    fn always_eject_one_host_allows_only_the_first_ejection() {
        // cc#L484-L486: 5 hosts at 10 %, one ejection is 20 %, allowed only as the first.
        let config = OutlierConfig {
            always_eject_one_host: true,
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5), None);
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn an_overflowed_ejection_restarts_the_streak() {
        // The streak is reset whether or not ejectHost ejected (cc#L587-L611).
        let config = OutlierConfig {
            always_eject_one_host: true,
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
        assert_eq!(feed(&mut detector, secs(0), 1, SERVER_ERROR, 5), None);
        // Host 0 returns, freeing room; host 1's streak started over at the refusal.
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert_eq!(feed(&mut detector, returned, 1, SERVER_ERROR, 4), None);
        assert!(detector.record(returned, 1, SERVER_ERROR).is_some());
    }

    // ---- Membership ----

    #[test]
    fn the_ejection_percentage_counts_members_only() {
        // The denominator is host_monitors_.size(), the cluster's current hosts (cc#L480).
        let mut detector = OutlierDetector::new(consecutive_only(), 20);
        for host in 10..20 {
            assert_eq!(
                detector.set_member(host, false),
                MembershipChange::Left {
                    ejection_dropped: false
                }
            );
        }
        assert_eq!(detector.member_count(), 10);
        assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
        // Two of ten is 20 %: refused, where twenty slots would have allowed it.
        assert_eq!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5), None);
    }

    #[test]
    fn members_joining_make_room_for_another_ejection() {
        // hosts_added get monitors and join the denominator (cc#L328-L330).
        let mut detector = OutlierDetector::new(consecutive_only(), 20);
        for host in 10..20 {
            detector.set_member(host, false);
        }
        assert!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5), None);
        for host in 10..20 {
            assert_eq!(detector.set_member(host, true), MembershipChange::Joined);
        }
        assert!(feed(&mut detector, secs(1), 1, SERVER_ERROR, 5).is_some());
        assert_eq!(detector.ejected_count(), 2);
    }

    #[test]
    fn removing_an_ejected_host_drops_its_ejection() {
        // hosts_removed: an ejected host lowers ejections_active and is forgotten, with no
        // unejection (cc#L332-L340; Envoy's test RemoveWhileEjected).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 3, SERVER_ERROR, 5).is_some());
        assert_eq!(
            detector.set_member(3, false),
            MembershipChange::Left {
                ejection_dropped: true
            }
        );
        assert_eq!(detector.ejected_count(), 0);
        assert!(!detector.is_ejected(3));
        assert!(!detector.is_member(3));
        assert_eq!(detector.member_count(), 9);
        for tick in 1..10 {
            assert!(detector.on_interval(secs(10 * tick)).is_empty());
        }
    }

    #[test]
    fn a_rejoining_host_starts_fresh() {
        // A new host gets a new monitor (cc#L346-L351).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert!(feed(&mut detector, returned, 0, SERVER_ERROR, 5).is_some());
        let returned = tick_until_returned(&mut detector, returned, 0);
        assert_eq!(feed(&mut detector, returned, 0, SERVER_ERROR, 4), None);
        assert_eq!(detector.ejection_multiplier(0), 2);
        detector.set_member(0, false);
        assert_eq!(detector.set_member(0, true), MembershipChange::Joined);
        assert_eq!(detector.times_ejected(0), 0);
        assert_eq!(detector.ejection_multiplier(0), 0);
        assert_eq!(feed(&mut detector, returned, 0, SERVER_ERROR, 4), None);
        let ejection = detector.record(returned, 0, SERVER_ERROR).expect("ejected");
        assert_eq!(
            (ejection.duration_ns, ejection.times_ejected),
            (30 * SECOND_NS, 1)
        );
    }

    #[test]
    fn setting_the_same_membership_changes_nothing() {
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
        assert_eq!(detector.set_member(0, true), MembershipChange::Unchanged);
        // The streak survived.
        assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
        assert!(matches!(
            detector.set_member(1, false),
            MembershipChange::Left { .. }
        ));
        assert_eq!(detector.set_member(1, false), MembershipChange::Unchanged);
        assert_eq!(detector.member_count(), 9);
    }

    #[test]
    fn results_for_a_host_outside_the_cluster_are_ignored() {
        // An ejection for a host no longer in host_monitors_ is dropped (cc#L576-L580).
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        detector.set_member(0, false);
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 50), None);
        assert!(!detector.is_ejected(0));
        detector.set_member(0, true);
        assert_eq!(feed(&mut detector, secs(1), 0, SERVER_ERROR, 4), None);
        assert!(detector.record(secs(1), 0, SERVER_ERROR).is_some());
    }

    #[test]
    fn success_rate_needs_the_minimum_hosts_among_members() {
        // A host that leaves mid-interval takes its counts with it (cc#L339).
        let mut detector = OutlierDetector::new(success_rate_only(), 10);
        for host in 5..10 {
            detector.set_member(host, false);
        }
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
        detector.set_member(3, false);
        assert!(detector.on_interval(secs(10)).is_empty());
        // The same traffic over five members ejects the outlier.
        detector.set_member(3, true);
        interval_traffic(&mut detector, secs(15), &[100; 5], &[0, 0, 0, 0, 50]);
        assert_eq!(ejected_at_tick(&mut detector, secs(20)), [4]);
    }

    // ---- Success rate ----

    #[test]
    fn success_rate_ejects_an_outlier_among_five_hosts() {
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        // Envoy's own example (cc#L626-L632): rates 50, 100, 100, 100, 100 give mean 90,
        // stdev 20, threshold 52.
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
        let changes = detector.on_interval(secs(10));
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].host, changes[0].ejected), (4, true));
        let ejection = changes[0].ejection.expect("an ejection");
        assert_eq!(ejection.reason, EjectionReason::SuccessRate);
        assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
        assert!(detector.is_ejected(4));
    }

    #[test]
    fn success_rate_uses_the_population_standard_deviation() {
        // variance /= n (cc#L639). Rates 90, 95, 100, 100, 100: mean 97, stdev 4, threshold
        // 89.4; nobody is below it.
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[10, 5, 0, 0, 0]);
        assert!(detector.on_interval(secs(10)).is_empty());
        // Rates 80, 95, 100, 100, 100: mean 95, stdev 7.75, threshold 80.3, so host 0 is out.
        // The sample deviation (8.66, threshold 78.5) would keep it.
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[20, 5, 0, 0, 0]);
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), [0]);
    }

    #[test]
    fn success_rate_ejects_only_strictly_below_the_threshold() {
        // `success_rate < threshold` (cc#L712). With a factor of 0 the threshold is the mean.
        let config = OutlierConfig {
            success_rate_stdev_factor: 0.0,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config.clone(), 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[1; 5]);
        assert!(detector.on_interval(secs(10)).is_empty());
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 2]);
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), [4]);
    }

    #[test]
    fn success_rate_ejections_stop_at_the_max_ejection_percent() {
        // Each below-threshold host goes through ejectHost in turn (cc#L711-L720, cc#L480-L483).
        // Two hosts at 50 % among eight at 100 %: mean 90, stdev 20, threshold 52.
        for (max_ejection_percent, expected) in [(10, vec![3]), (20, vec![3, 7])] {
            let config = OutlierConfig {
                max_ejection_percent,
                ..success_rate_only()
            };
            let mut detector = OutlierDetector::new(config, 10);
            let mut failures = [0; 10];
            failures[3] = 50;
            failures[7] = 50;
            interval_traffic(&mut detector, secs(5), &[100; 10], &failures);
            assert_eq!(ejected_at_tick(&mut detector, secs(10)), expected);
        }
    }

    #[test]
    fn success_rate_respects_max_ejection_percent() {
        let config = OutlierConfig {
            max_ejection_percent: 10,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
        assert!(detector.on_interval(secs(10)).is_empty());
        assert!(!detector.is_ejected(4));
    }

    #[test]
    fn success_rate_needs_the_minimum_hosts() {
        // cc#L702-L703.
        let mut detector = OutlierDetector::new(success_rate_only(), 4);
        interval_traffic(&mut detector, secs(5), &[100; 4], &[0, 0, 0, 90]);
        assert!(detector.on_interval(secs(10)).is_empty());
    }

    #[test]
    fn success_rate_needs_the_request_volume() {
        // cc#L692-L695.
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        // Host 4 has 99 requests: it is not judged, and four judged hosts are too few.
        interval_traffic(
            &mut detector,
            secs(5),
            &[100, 100, 100, 100, 99],
            &[0, 0, 0, 0, 49],
        );
        assert!(detector.on_interval(secs(10)).is_empty());
    }

    #[test]
    fn success_rate_does_not_count_hosts_already_ejected() {
        // Ejected hosts are skipped (cc#L674-L675), so they do not count toward minimum hosts.
        let config = OutlierConfig {
            consecutive_5xx: 5,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 50, 0]);
        assert!(feed(&mut detector, secs(6), 4, SERVER_ERROR, 5).is_some());
        assert!(detector.on_interval(secs(10)).is_empty());
        assert!(!detector.is_ejected(3));
    }

    #[test]
    fn a_host_returned_at_a_tick_is_judged_at_that_tick() {
        // checkHostForUneject runs before the pass (cc#L749-L761).
        let config = OutlierConfig {
            consecutive_5xx: 5,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        assert!(feed(&mut detector, secs(0), 0, SERVER_ERROR, 5).is_some());
        assert!(detector.on_interval(secs(10)).is_empty());
        assert!(detector.on_interval(secs(20)).is_empty());
        // Panic mode still sends the ejected host traffic; it fails half of it.
        interval_traffic(&mut detector, secs(25), &[100; 5], &[50, 0, 0, 0, 0]);
        let changes = detector.on_interval(secs(30));
        let summary: Vec<(usize, bool)> = changes
            .iter()
            .map(|change| (change.host, change.ejected))
            .collect();
        assert_eq!(summary, [(0, false), (0, true)]);
        assert_eq!(
            changes[1].ejection.map(|ejection| ejection.duration_ns),
            Some(60 * SECOND_NS)
        );
    }

    #[test]
    fn success_rate_counts_only_the_last_interval() {
        // The buckets swap at each tick (cc#L753, cc#L867-L875).
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        // 60 requests in each of two intervals never reach a volume of 100.
        interval_traffic(&mut detector, secs(5), &[60; 5], &[0, 0, 0, 0, 30]);
        assert!(detector.on_interval(secs(10)).is_empty());
        interval_traffic(&mut detector, secs(15), &[60; 5], &[0, 0, 0, 0, 30]);
        assert!(detector.on_interval(secs(20)).is_empty());
    }

    #[test]
    fn success_rate_is_off_when_disabled() {
        let config = OutlierConfig {
            success_rate_enabled: false,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
        assert!(detector.on_interval(secs(10)).is_empty());
    }

    // ---- Failure percentage ----

    #[test]
    fn failure_percentage_is_off_by_default() {
        // enforcing_failure_percentage defaults to 0 (outlier_detection_impl.h#L362).
        assert_eq!(OutlierConfig::default().failure_percentage, None);
        let config = OutlierConfig {
            failure_percentage: None,
            ..failure_percentage_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[50; 5], &[0; 5]);
        feed(&mut detector, secs(5), 4, SERVER_ERROR, 500);
        assert!(detector.on_interval(secs(10)).is_empty());
    }

    #[test]
    fn failure_percentage_ejects_hosts_at_or_above_the_threshold() {
        // `100 - success_rate >= threshold` (cc#L729-L730); the numbers of Envoy's test
        // BasicFlowFailurePercentageExternalOrigin, plus a host at exactly 85 %.
        assert_eq!(
            FailurePercentage::default(),
            FailurePercentage {
                threshold_percent: 85,
                minimum_hosts: 5,
                request_volume: 50
            }
        );
        let mut detector = OutlierDetector::new(failure_percentage_only(), 6);
        interval_traffic(&mut detector, secs(5), &[50, 50, 50, 50, 50, 15], &[0; 6]);
        feed(&mut detector, secs(5), 3, GATEWAY_FAILURE, 250); // 83.3 %
        feed(&mut detector, secs(5), 4, GATEWAY_FAILURE, 300); // 85.7 %
        feed(&mut detector, secs(5), 5, GATEWAY_FAILURE, 85); // 85 %
        let changes = detector.on_interval(secs(10));
        assert_eq!(
            changes.iter().map(|change| change.host).collect::<Vec<_>>(),
            [4, 5]
        );
        assert!(changes.iter().all(|change| {
            change.ejection.map(|ejection| ejection.reason)
                == Some(EjectionReason::FailurePercentage)
        }));
    }

    #[test]
    fn failure_percentage_needs_the_request_volume() {
        // cc#L696-L698.
        for (requests, ejected) in [(49, vec![]), (50, vec![5])] {
            let mut detector = OutlierDetector::new(failure_percentage_only(), 6);
            interval_traffic(&mut detector, secs(5), &[50; 5], &[0; 5]);
            feed(&mut detector, secs(5), 5, SERVER_ERROR, requests);
            assert_eq!(ejected_at_tick(&mut detector, secs(10)), ejected);
        }
    }

    #[test]
    fn failure_percentage_needs_the_minimum_hosts() {
        // cc#L724-L725: only four hosts have the volume.
        let mut detector = OutlierDetector::new(failure_percentage_only(), 5);
        interval_traffic(&mut detector, secs(5), &[50, 50, 50, 0, 40], &[0; 5]);
        feed(&mut detector, secs(5), 3, SERVER_ERROR, 50);
        assert!(detector.on_interval(secs(10)).is_empty());
    }

    #[test]
    fn failure_percentage_runs_after_success_rate_and_shares_the_cap() {
        // Success rate ejects first (cc#L702-L722), then failure percentage (cc#L724-L743).
        // Host 1 is a success-rate outlier (50 %, threshold 64.6); host 0 has too few requests
        // for success rate but fails 90 % of them.
        for (max_ejection_percent, expected) in [(10, vec![1]), (20, vec![1, 0])] {
            let config = OutlierConfig {
                success_rate_enabled: true,
                max_ejection_percent,
                ..failure_percentage_only()
            };
            let mut detector = OutlierDetector::new(config, 10);
            let mut requests = [100; 10];
            requests[0] = 6;
            let mut failures = [0; 10];
            failures[1] = 50;
            interval_traffic(&mut detector, secs(5), &requests, &failures);
            // Host 0: 6 successes and 54 failures, 60 requests.
            feed(&mut detector, secs(5), 0, SERVER_ERROR, 54);
            assert_eq!(ejected_at_tick(&mut detector, secs(10)), expected);
        }
    }

    #[test]
    fn failure_percentage_skips_a_host_success_rate_just_ejected() {
        // Envoy would call ejectHost twice for it (cc#L711-L743); this model ejects it once.
        // Rates 100 × 4 and 10: mean 82, stdev 36, threshold 13.6.
        let config = OutlierConfig {
            success_rate_enabled: true,
            ..failure_percentage_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[100, 100, 100, 100, 10], &[0; 5]);
        feed(&mut detector, secs(5), 4, SERVER_ERROR, 90);
        let changes = detector.on_interval(secs(10));
        assert_eq!(changes.len(), 1);
        let ejection = changes[0].ejection.expect("an ejection");
        assert_eq!(
            (ejection.host, ejection.reason),
            (4, EjectionReason::SuccessRate)
        );
        assert_eq!(detector.times_ejected(4), 1);
        assert_eq!(detector.ejection_multiplier(4), 1);
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn with_split_failure_percentage_counts_http_answers_only() {
        // Only the external-origin pass is enforced by default (cc#L735-L738, h#L363).
        let config = OutlierConfig {
            split_external_local_origin_errors: true,
            consecutive_local_origin_failure: 0,
            local_origin_success_rate_enabled: false,
            ..failure_percentage_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[50; 5], &[0; 5]);
        feed(&mut detector, secs(5), 4, CONNECT_FAILURE, 500);
        feed(&mut detector, secs(5), 3, GATEWAY_FAILURE, 500);
        assert_eq!(ejected_at_tick(&mut detector, secs(10)), [3]);
    }

    // ---- The early exit ----

    #[test]
    fn statistical_ejection_skips_a_cluster_below_both_minimum_hosts() {
        // cc#L663-L667: four members, both minimums 5.
        let config = OutlierConfig {
            success_rate_enabled: true,
            ..failure_percentage_only()
        };
        let mut detector = OutlierDetector::new(config, 4);
        interval_traffic(&mut detector, secs(5), &[100; 4], &[0; 4]);
        feed(&mut detector, secs(5), 3, SERVER_ERROR, 900);
        assert!(detector.on_interval(secs(10)).is_empty());
    }

    #[test]
    fn failure_percentage_runs_when_members_meet_only_its_minimum_hosts() {
        // The early exit needs the member count below both minimums (cc#L664-L665).
        let config = OutlierConfig {
            success_rate_enabled: true,
            failure_percentage: Some(FailurePercentage {
                minimum_hosts: 3,
                ..FailurePercentage::default()
            }),
            ..failure_percentage_only()
        };
        let mut detector = OutlierDetector::new(config, 4);
        interval_traffic(&mut detector, secs(5), &[100; 4], &[0; 4]);
        feed(&mut detector, secs(5), 3, SERVER_ERROR, 900);
        let changes = detector.on_interval(secs(10));
        assert_eq!(changes.len(), 1);
        let ejection = changes[0].ejection.expect("an ejection");
        assert_eq!(
            (ejection.host, ejection.reason),
            (3, EjectionReason::FailurePercentage)
        );
    }
}
