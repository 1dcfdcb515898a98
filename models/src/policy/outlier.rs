//! Envoy's outlier detection for one upstream cluster: passive health checking of its hosts.
//!
//! Follows `outlier_detection.proto`, the architecture overview "Outlier detection", and
//! `DetectorImpl` in `source/common/upstream/outlier_detection_impl.cc`, in Envoy's default mode
//! (`split_external_local_origin_errors: false`). "Depending on the type of outlier detection,
//! ejection either runs inline (for example in the case of consecutive 5xx) or at a specified
//! interval (for example in the case of periodic success rate)."
//!
//! - Consecutive 5xx and consecutive gateway failure eject at the attempt that brings the streak
//!   to the threshold (Envoy fires when the counter *equals* it), then reset that streak, whether
//!   or not the ejection was allowed. A streak that reaches its threshold while the host is
//!   already ejected is ignored and not reset, as in Envoy.
//! - Each interval tick (`interval`: "The time interval between ejection analysis sweeps. This
//!   can result in both new ejections as well as hosts being returned to service") returns hosts
//!   whose ejection time has passed, runs success-rate ejection over the interval's counts, then
//!   lowers the ejection multiplier of hosts that stayed in service.
//! - Ejection time: "the `base_ejection_time` value multiplied by the number of times the host has
//!   been ejected in a row [...] When ejection time reaches `max_ejection_time` it does not increase
//!   any more. When the host becomes healthy, the ejection time multiplier decreases with time.
//!   [...] If the host is healthy during that check, the ejection time multiplier is decremented."
//!   Envoy's code: an ejection raises the multiplier while `multiplier × base < max + base`; a
//!   tick lowers it by one for each host in service that was returned at least one interval ago.
//! - `max_ejection_percent`: Envoy (1.31 and later) ejects only when
//!   `100 × (ejected + 1) / hosts <= max_ejection_percent`, or when nothing is ejected yet and
//!   `always_eject_one_host` is set. See [`OutlierConfig::always_eject_one_host`].
//!
//! Not modelled: failure-percentage ejection (enforced 0 % by default), split local-origin mode,
//! `enforcing_*` percentages other than 0 and 100 (a detector is on or off), ejection jitter
//! (`max_ejection_time_jitter`, 0 by default), active health checks, and hosts joining or leaving
//! the cluster (the host count is fixed).

use meshsim_sim::SimTime;

const SECOND_NS: u64 = 1_000_000_000;

/// What one attempt to a host tells the detector.
///
/// Which counters each kind bumps, following Envoy's `putHttpResponseCode` and
/// `putResultNoLocalExternalSplit`: every kind counts one request for success rate.
/// - `Success` (any status but 5xx, 4xx included): counts a success for success rate and resets
///   both the consecutive-5xx and the consecutive-gateway-failure streaks.
/// - `ServerError` (a 5xx other than 502, 503, 504): extends the 5xx streak and resets the
///   gateway streak.
/// - `GatewayFailure` (502, 503, 504): extends both streaks.
/// - `LocalOriginFailure` (connect failure, reset, timeout): Envoy reports a timeout as 504 and a
///   failed or reset connection as 503, so it extends both streaks, exactly as a gateway failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Success,
    ServerError,
    GatewayFailure,
    LocalOriginFailure,
}

impl AttemptOutcome {
    /// The outcome of an answer with HTTP status `status` from the host.
    pub fn from_status(status: u16) -> Self {
        match status {
            502..=504 => AttemptOutcome::GatewayFailure,
            500..=599 => AttemptOutcome::ServerError,
            _ => AttemptOutcome::Success,
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
    /// Envoy's `always_eject_one_host` (since 1.31): the first ejection is allowed whatever
    /// `max_ejection_percent` says. Envoy's default is false, under which a cluster of fewer than
    /// 10 hosts at 10 % ejects nothing; before 1.31 the rule was `ejected % < max %`, which always
    /// allowed the first. meshsim defaults to true, as `mesh-semantics.md` states ("at least one
    /// host can always be ejected").
    pub always_eject_one_host: bool,
    /// Success-rate ejection: Envoy enforces it (`enforcing_success_rate` 100); Istio turns it
    /// off (`EnforcingSuccessRate: 0`), so an Istio `outlierDetection` sets this to false.
    pub success_rate_enabled: bool,
    /// `success_rate_minimum_hosts`: 5.
    pub success_rate_minimum_hosts: u32,
    /// `success_rate_request_volume`: 100 requests in the interval.
    pub success_rate_request_volume: u32,
    /// `success_rate_stdev_factor` / 1000: 1.9.
    pub success_rate_stdev_factor: f64,
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
            always_eject_one_host: true,
            success_rate_enabled: true,
            success_rate_minimum_hosts: 5,
            success_rate_request_volume: 100,
            success_rate_stdev_factor: 1.9,
        }
    }
}

/// Why a host was ejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EjectionReason {
    Consecutive5xx,
    ConsecutiveGatewayFailure,
    SuccessRate,
}

/// One host taken out of the load-balancing set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ejection {
    pub host: usize,
    pub reason: EjectionReason,
    /// How long the host stays out at least; it returns at the first interval tick after.
    pub duration_ns: u64,
    /// This host's ejections so far, this one included.
    pub times_ejected: u32,
}

/// A change made at an interval tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutlierChange {
    pub host: usize,
    /// True for an ejection (success rate), false for a return to service.
    pub ejected: bool,
    /// The ejection, when `ejected`.
    pub ejection: Option<Ejection>,
}

/// What the detector knows of one host.
#[derive(Debug, Clone, Default)]
struct HostMonitor {
    consecutive_5xx: u32,
    consecutive_gateway_failure: u32,
    /// Requests and successes since the last interval tick, for success rate.
    interval_requests: u64,
    interval_successes: u64,
    ejected_at: Option<SimTime>,
    last_returned_at: Option<SimTime>,
    times_ejected: u32,
    /// Envoy's `ejectTimeBackoff`: the ejection time is this many base times, capped.
    ejection_multiplier: u32,
}

impl HostMonitor {
    /// The host's success rate in percent over the last interval, if it takes part in
    /// success-rate detection: in service, with at least `request_volume` requests (and one).
    fn success_rate(&self, request_volume: u64) -> Option<f64> {
        let eligible = self.ejected_at.is_none()
            && self.interval_requests > 0
            && self.interval_requests >= request_volume;
        eligible.then(|| self.interval_successes as f64 * 100.0 / self.interval_requests as f64)
    }
}

/// Outlier detection over the `host_count` hosts of one upstream cluster, indexed from 0.
#[derive(Debug, Clone)]
pub struct OutlierDetector {
    config: OutlierConfig,
    hosts: Vec<HostMonitor>,
    ejected_count: usize,
}

impl OutlierDetector {
    pub fn new(config: OutlierConfig, host_count: usize) -> Self {
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
        OutlierDetector {
            config,
            hosts: vec![HostMonitor::default(); host_count],
            ejected_count: 0,
        }
    }

    pub fn config(&self) -> &OutlierConfig {
        &self.config
    }

    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }

    pub fn is_ejected(&self, host: usize) -> bool {
        self.hosts[host].ejected_at.is_some()
    }

    pub fn ejected_count(&self) -> usize {
        self.ejected_count
    }

    /// How many times `host` has been ejected since the run began.
    pub fn times_ejected(&self, host: usize) -> u32 {
        self.hosts[host].times_ejected
    }

    /// The multiplier of `host`'s next ejection time, before the ejection raises it.
    pub fn ejection_multiplier(&self, host: usize) -> u32 {
        self.hosts[host].ejection_multiplier
    }

    /// An attempt to `host` ended with `outcome`; returns the ejection it caused, if any.
    pub fn record(
        &mut self,
        now: SimTime,
        host: usize,
        outcome: AttemptOutcome,
    ) -> Option<Ejection> {
        let monitor = &mut self.hosts[host];
        monitor.interval_requests += 1;
        match outcome {
            AttemptOutcome::Success => {
                monitor.interval_successes += 1;
                monitor.consecutive_5xx = 0;
                monitor.consecutive_gateway_failure = 0;
                return None;
            }
            AttemptOutcome::ServerError => monitor.consecutive_gateway_failure = 0,
            AttemptOutcome::GatewayFailure | AttemptOutcome::LocalOriginFailure => {
                monitor.consecutive_gateway_failure =
                    monitor.consecutive_gateway_failure.saturating_add(1);
            }
        }
        monitor.consecutive_5xx = monitor.consecutive_5xx.saturating_add(1);
        let gateway_reached = outcome != AttemptOutcome::ServerError
            && self.config.consecutive_gateway_failure == Some(monitor.consecutive_gateway_failure);
        let five_xx_reached = monitor.consecutive_5xx == self.config.consecutive_5xx;
        // Envoy checks the gateway streak first and handles both in that order: when both reach
        // their thresholds at once, the second finds the host ejected and is ignored.
        let mut ejection = None;
        if gateway_reached {
            ejection = self.on_consecutive(now, host, EjectionReason::ConsecutiveGatewayFailure);
        }
        if five_xx_reached {
            let by_5xx = self.on_consecutive(now, host, EjectionReason::Consecutive5xx);
            ejection = ejection.or(by_5xx);
        }
        ejection
    }

    /// The interval timer fired: returns hosts whose ejection time has passed, ejects
    /// success-rate outliers, lowers the multipliers of hosts that stayed in service, and starts
    /// a new interval. Runs once per interval, so the allocation is off the per-request path.
    pub fn on_interval(&mut self, now: SimTime) -> Vec<OutlierChange> {
        let mut changes = Vec::new();
        self.return_expired(now, &mut changes);
        if self.config.success_rate_enabled {
            self.eject_success_rate_outliers(now, &mut changes);
        }
        for monitor in &mut self.hosts {
            let stayed_in_service = monitor.ejected_at.is_none()
                && monitor.last_returned_at.is_some_and(|returned_at| {
                    now.nanos_since(returned_at) >= self.config.interval_ns
                });
            if stayed_in_service {
                monitor.ejection_multiplier = monitor.ejection_multiplier.saturating_sub(1);
            }
            monitor.interval_requests = 0;
            monitor.interval_successes = 0;
        }
        changes
    }

    /// A consecutive-failure streak of `reason` reached its threshold on `host`.
    fn on_consecutive(
        &mut self,
        now: SimTime,
        host: usize,
        reason: EjectionReason,
    ) -> Option<Ejection> {
        if self.is_ejected(host) {
            return None;
        }
        let ejection = self.try_eject(now, host, reason);
        let monitor = &mut self.hosts[host];
        match reason {
            EjectionReason::Consecutive5xx => monitor.consecutive_5xx = 0,
            EjectionReason::ConsecutiveGatewayFailure => monitor.consecutive_gateway_failure = 0,
            EjectionReason::SuccessRate => unreachable!("success rate is not a streak"),
        }
        ejection
    }

    /// Ejects `host` unless `max_ejection_percent` forbids it (Envoy's `ejections_overflow`).
    fn try_eject(&mut self, now: SimTime, host: usize, reason: EjectionReason) -> Option<Ejection> {
        assert!(!self.is_ejected(host), "host {host} is already ejected");
        let max_percent = f64::from(self.config.max_ejection_percent.min(100));
        let ejected_percent = 100.0 * (self.ejected_count + 1) as f64 / self.hosts.len() as f64;
        let allowed = ejected_percent <= max_percent
            || (self.config.always_eject_one_host && self.ejected_count == 0);
        if !allowed {
            return None;
        }
        let (base_ns, max_ns) = (
            self.config.base_ejection_time_ns,
            self.config.max_ejection_time_ns,
        );
        let monitor = &mut self.hosts[host];
        monitor.ejected_at = Some(now);
        monitor.times_ejected = monitor.times_ejected.saturating_add(1);
        if u64::from(monitor.ejection_multiplier).saturating_mul(base_ns)
            < max_ns.saturating_add(base_ns)
        {
            monitor.ejection_multiplier += 1;
        }
        self.ejected_count += 1;
        Some(Ejection {
            host,
            reason,
            duration_ns: ejection_duration_ns(monitor.ejection_multiplier, base_ns, max_ns),
            times_ejected: monitor.times_ejected,
        })
    }

    /// Returns to service every host whose ejection time has passed, resetting its streaks.
    fn return_expired(&mut self, now: SimTime, changes: &mut Vec<OutlierChange>) {
        let (base_ns, max_ns) = (
            self.config.base_ejection_time_ns,
            self.config.max_ejection_time_ns,
        );
        for (host, monitor) in self.hosts.iter_mut().enumerate() {
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

    /// Success-rate ejection over the interval just ended: among hosts in service with enough
    /// requests, if there are at least `minimum_hosts` of them, eject those whose success rate is
    /// below mean − `stdev_factor` × standard deviation (the population deviation, as Envoy).
    fn eject_success_rate_outliers(&mut self, now: SimTime, changes: &mut Vec<OutlierChange>) {
        let minimum_hosts = self.config.success_rate_minimum_hosts as usize;
        if self.hosts.len() < minimum_hosts {
            return;
        }
        let volume = u64::from(self.config.success_rate_request_volume);
        let (count, sum) = self
            .hosts
            .iter()
            .filter_map(|monitor| monitor.success_rate(volume))
            .fold((0usize, 0.0f64), |(count, sum), rate| {
                (count + 1, sum + rate)
            });
        if count == 0 || count < minimum_hosts {
            return;
        }
        let mean = sum / count as f64;
        let squares = self
            .hosts
            .iter()
            .filter_map(|monitor| monitor.success_rate(volume))
            .fold(0.0f64, |acc, rate| acc + (rate - mean) * (rate - mean));
        let stdev = (squares / count as f64).sqrt();
        let threshold = mean - self.config.success_rate_stdev_factor * stdev;
        // A host's eligibility depends only on its own state, which only its own visit changes,
        // so this pass sees the same set the mean was taken over.
        for host in 0..self.hosts.len() {
            let below = self.hosts[host]
                .success_rate(volume)
                .is_some_and(|rate| rate < threshold);
            if below && let Some(ejection) = self.try_eject(now, host, EjectionReason::SuccessRate)
            {
                changes.push(OutlierChange {
                    host,
                    ejected: true,
                    ejection: Some(ejection),
                });
            }
        }
    }
}

/// Envoy's ejection time: `min(base × multiplier, max)`.
fn ejection_duration_ns(multiplier: u32, base_ns: u64, max_ns: u64) -> u64 {
    u64::from(multiplier).saturating_mul(base_ns).min(max_ns)
}

#[cfg(test)]
mod tests {
    use super::{AttemptOutcome, EjectionReason, OutlierConfig, OutlierDetector, SECOND_NS};
    use meshsim_sim::SimTime;

    use AttemptOutcome::{GatewayFailure, LocalOriginFailure, ServerError, Success};

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

    /// Records `count` outcomes; returns the first ejection they caused.
    fn feed(
        detector: &mut OutlierDetector,
        now: SimTime,
        host: usize,
        outcome: AttemptOutcome,
        count: u32,
    ) -> Option<super::Ejection> {
        let mut first = None;
        for _ in 0..count {
            let ejection = detector.record(now, host, outcome);
            first = first.or(ejection);
        }
        first
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

    #[test]
    fn status_codes_map_to_outcomes() {
        assert_eq!(AttemptOutcome::from_status(200), Success);
        assert_eq!(AttemptOutcome::from_status(404), Success);
        assert_eq!(AttemptOutcome::from_status(429), Success);
        assert_eq!(AttemptOutcome::from_status(500), ServerError);
        assert_eq!(AttemptOutcome::from_status(501), ServerError);
        assert_eq!(AttemptOutcome::from_status(502), GatewayFailure);
        assert_eq!(AttemptOutcome::from_status(503), GatewayFailure);
        assert_eq!(AttemptOutcome::from_status(504), GatewayFailure);
        assert_eq!(AttemptOutcome::from_status(505), ServerError);
    }

    #[test]
    fn ejects_at_the_fifth_consecutive_5xx() {
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 3, ServerError, 4), None);
        assert!(!detector.is_ejected(3));
        let ejection = detector
            .record(secs(1), 3, ServerError)
            .expect("fifth 5xx ejects");
        assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
        assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
        assert_eq!(ejection.times_ejected, 1);
        assert!(detector.is_ejected(3));
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn a_success_resets_the_streak() {
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, ServerError, 4), None);
        assert_eq!(detector.record(secs(1), 0, Success), None);
        assert_eq!(feed(&mut detector, secs(1), 0, ServerError, 4), None);
        assert!(!detector.is_ejected(0));
        assert!(detector.record(secs(1), 0, ServerError).is_some());
    }

    #[test]
    fn gateway_failures_count_as_5xx_by_default() {
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert_eq!(feed(&mut detector, secs(1), 0, GatewayFailure, 2), None);
        assert_eq!(feed(&mut detector, secs(1), 0, LocalOriginFailure, 2), None);
        let ejection = detector
            .record(secs(1), 0, ServerError)
            .expect("five 5xx of any kind");
        assert_eq!(ejection.reason, EjectionReason::Consecutive5xx);
    }

    #[test]
    fn gateway_failures_do_not_eject_unless_configured() {
        let config = OutlierConfig {
            consecutive_5xx: 0,
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, GatewayFailure, 50), None);
        assert_eq!(
            feed(&mut detector, secs(1), 0, LocalOriginFailure, 50),
            None
        );
        assert!(!detector.is_ejected(0));
    }

    #[test]
    fn local_origin_failures_extend_the_gateway_streak() {
        let config = OutlierConfig {
            consecutive_5xx: 0,
            consecutive_gateway_failure: Some(3),
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, LocalOriginFailure, 2), None);
        let ejection = detector
            .record(secs(1), 0, GatewayFailure)
            .expect("third gateway failure");
        assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
    }

    #[test]
    fn a_non_gateway_5xx_breaks_the_gateway_streak() {
        let config = OutlierConfig {
            consecutive_5xx: 0,
            consecutive_gateway_failure: Some(3),
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        assert_eq!(feed(&mut detector, secs(1), 0, GatewayFailure, 2), None);
        assert_eq!(detector.record(secs(1), 0, ServerError), None);
        assert_eq!(feed(&mut detector, secs(1), 0, GatewayFailure, 2), None);
        assert!(detector.record(secs(1), 0, GatewayFailure).is_some());
    }

    #[test]
    fn both_streaks_reaching_their_thresholds_eject_once_as_gateway() {
        let config = OutlierConfig {
            consecutive_gateway_failure: Some(5),
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 10);
        let ejection = feed(&mut detector, secs(1), 0, GatewayFailure, 5).expect("ejected");
        assert_eq!(ejection.reason, EjectionReason::ConsecutiveGatewayFailure);
        assert_eq!(detector.times_ejected(0), 1);
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn failures_while_ejected_do_not_eject_again() {
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, ServerError, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 0, ServerError, 20), None);
        assert_eq!(detector.times_ejected(0), 1);
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn returning_resets_the_streaks() {
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, ServerError, 5).is_some());
        // Three more failures while ejected (panic mode can still send it traffic).
        assert_eq!(feed(&mut detector, secs(1), 0, ServerError, 3), None);
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert_eq!(feed(&mut detector, returned, 0, ServerError, 4), None);
        assert!(detector.record(returned, 0, ServerError).is_some());
    }

    #[test]
    fn returns_only_at_an_interval_tick_after_the_time_passed() {
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(5), 1, ServerError, 5).is_some());
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
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        let mut now = secs(0);
        let mut durations_s = Vec::new();
        for _ in 0..12 {
            let ejection = feed(&mut detector, now, 0, ServerError, 5).expect("ejected");
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
        let mut detector = OutlierDetector::new(consecutive_only(), 10);
        assert!(feed(&mut detector, secs(0), 0, ServerError, 5).is_some());
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert!(feed(&mut detector, returned, 0, ServerError, 5).is_some());
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
            feed(&mut detector, returned + 31 * SECOND_NS, 0, ServerError, 5).expect("ejected");
        assert_eq!(ejection.duration_ns, 30 * SECOND_NS);
        assert_eq!(ejection.times_ejected, 3);
    }

    #[test]
    fn max_ejection_percent_caps_ejections() {
        // 20 hosts at 10 %: two may be out at once.
        let mut detector = OutlierDetector::new(consecutive_only(), 20);
        assert!(feed(&mut detector, secs(1), 0, ServerError, 5).is_some());
        assert!(feed(&mut detector, secs(1), 1, ServerError, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 2, ServerError, 5), None);
        assert!(!detector.is_ejected(2));
        assert_eq!(detector.ejected_count(), 2);
    }

    #[test]
    fn at_least_one_host_can_always_be_ejected() {
        // 5 hosts at 10 %: one ejection is 20 %, allowed only as the first.
        let mut detector = OutlierDetector::new(consecutive_only(), 5);
        assert!(feed(&mut detector, secs(1), 0, ServerError, 5).is_some());
        assert_eq!(feed(&mut detector, secs(1), 1, ServerError, 5), None);
        assert_eq!(detector.ejected_count(), 1);
    }

    #[test]
    fn without_always_eject_one_host_a_small_cluster_ejects_nothing() {
        let config = OutlierConfig {
            always_eject_one_host: false,
            ..consecutive_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        assert_eq!(feed(&mut detector, secs(1), 0, ServerError, 50), None);
        assert_eq!(detector.ejected_count(), 0);
    }

    #[test]
    fn an_overflowed_ejection_restarts_the_streak() {
        let mut detector = OutlierDetector::new(consecutive_only(), 5);
        assert!(feed(&mut detector, secs(0), 0, ServerError, 5).is_some());
        assert_eq!(feed(&mut detector, secs(0), 1, ServerError, 5), None);
        // Host 0 returns, freeing room; host 1's streak started over at the refusal.
        let returned = tick_until_returned(&mut detector, secs(0), 0);
        assert_eq!(feed(&mut detector, returned, 1, ServerError, 4), None);
        assert!(detector.record(returned, 1, ServerError).is_some());
    }

    /// Gives each host `requests` requests this interval, the first `failures[host]` of them
    /// failing, spread so that no streak forms.
    fn interval_traffic(
        detector: &mut OutlierDetector,
        now: SimTime,
        requests: &[u32],
        failures: &[u32],
    ) {
        for (host, (&total, &failed)) in requests.iter().zip(failures).enumerate() {
            for i in 0..total {
                let outcome = if i % 2 == 0 && i / 2 < failed {
                    ServerError
                } else {
                    Success
                };
                detector.record(now, host, outcome);
            }
        }
    }

    fn success_rate_only() -> OutlierConfig {
        OutlierConfig {
            consecutive_5xx: 0,
            ..OutlierConfig::default()
        }
    }

    #[test]
    fn success_rate_ejects_an_outlier_among_five_hosts() {
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        // Envoy's own example: rates 50, 100, 100, 100, 100 give mean 90, stdev 20, threshold 52.
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
    fn success_rate_ejects_only_below_mean_minus_factor_stdev() {
        // Rates 90, 95, 100, 100, 100: mean 97, stdev 4, threshold 89.4; nobody is below it.
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[10, 5, 0, 0, 0]);
        assert!(detector.on_interval(secs(10)).is_empty());
        // Rates 80, 95, 100, 100, 100: mean 95, stdev 7.75, threshold 80.3; host 0 is out.
        let mut detector = OutlierDetector::new(success_rate_only(), 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[20, 5, 0, 0, 0]);
        let changes = detector.on_interval(secs(10));
        assert_eq!(
            changes.iter().map(|change| change.host).collect::<Vec<_>>(),
            [0]
        );
    }

    #[test]
    fn success_rate_needs_the_minimum_hosts() {
        let mut detector = OutlierDetector::new(success_rate_only(), 4);
        interval_traffic(&mut detector, secs(5), &[100; 4], &[0, 0, 0, 90]);
        assert!(detector.on_interval(secs(10)).is_empty());
    }

    #[test]
    fn success_rate_needs_the_request_volume() {
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
    fn success_rate_counts_only_the_last_interval() {
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

    #[test]
    fn success_rate_respects_max_ejection_percent() {
        let config = OutlierConfig {
            always_eject_one_host: false,
            ..success_rate_only()
        };
        let mut detector = OutlierDetector::new(config, 5);
        interval_traffic(&mut detector, secs(5), &[100; 5], &[0, 0, 0, 0, 50]);
        assert!(detector.on_interval(secs(10)).is_empty());
        assert!(!detector.is_ejected(4));
    }
}
