//! The settings of Envoy's `outlier_detection` for one cluster, with Envoy's defaults.

/// One second in nanoseconds, for the defaults below.
pub(super) const SECOND_NS: u64 = 1_000_000_000;

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
