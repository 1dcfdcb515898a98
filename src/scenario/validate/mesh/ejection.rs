//! What takes an instance or a service out of the balancer: outlier detection, failure accrual
//! and the circuit breaker.

use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{CircuitBreaker, FailureAccrual, OutlierDetection};
use crate::scenario::validate::checker::{Checker, number};

impl Checker<'_, '_> {
    pub(super) fn check_outlier(&mut self, outlier_path: &DocPath, outlier: &OutlierDetection) {
        if let Some(failures) = outlier.consecutive_gateway_failure {
            self.whole_at_least(
                &outlier_path.key("consecutive_gateway_failure"),
                u64::from(failures),
                1,
            );
        }
        for (key, duration) in [
            ("interval", outlier.interval),
            ("base_ejection_time", outlier.base_ejection_time),
        ] {
            if let Some(duration) = duration {
                self.positive_duration(&outlier_path.key(key), duration);
            }
        }
        let base = outlier
            .base_ejection_time
            .unwrap_or(Duration::from_secs(30));
        if let Some(max) = outlier.max_ejection_time
            && max < base
        {
            self.error(
                &outlier_path.key("max_ejection_time"),
                format!("`max_ejection_time` {max} is below `base_ejection_time` {base}"),
            );
        }
        for (key, percent) in [
            ("max_ejection_percent", outlier.max_ejection_percent),
            ("min_health_percent", outlier.min_health_percent),
            (
                "failure_percentage_threshold",
                outlier.failure_percentage_threshold,
            ),
        ] {
            if let Some(percent) = percent {
                self.percent(&outlier_path.key(key), percent.get());
            }
        }
        if let Some(factor) = outlier.success_rate_stdev_factor
            && (factor.get() <= 0.0 || !factor.get().is_finite())
        {
            self.error(
                &outlier_path.key("success_rate_stdev_factor"),
                format!(
                    "`success_rate_stdev_factor` must be above 0, not {}",
                    factor.get()
                ),
            )
            .set_hint("Envoy's default is 1.9 standard deviations");
        }
        for (key, value) in [
            (
                "success_rate_minimum_hosts",
                outlier.success_rate_minimum_hosts,
            ),
            (
                "success_rate_request_volume",
                outlier.success_rate_request_volume,
            ),
            (
                "failure_percentage_minimum_hosts",
                outlier.failure_percentage_minimum_hosts,
            ),
            (
                "failure_percentage_request_volume",
                outlier.failure_percentage_request_volume,
            ),
        ] {
            if let Some(value) = value {
                self.whole_at_least(&outlier_path.key(key), u64::from(value), 1);
            }
        }
        self.check_enforcing(outlier_path, outlier);
        if outlier.consecutive_local_origin_failure.is_some()
            && !outlier.split_external_local_origin_errors.unwrap_or(false)
        {
            self.error_at_key(
                &outlier_path.key("consecutive_local_origin_failure"),
                "`consecutive_local_origin_failure` counts only with split local-origin errors",
            )
            .set_hint("add split_external_local_origin_errors = true (Istio refuses it otherwise)");
        }
    }

    /// Envoy's `enforcing_*` percentages: meshsim enforces a detector fully or not at all.
    fn check_enforcing(&mut self, outlier_path: &DocPath, outlier: &OutlierDetection) {
        for (key, value) in [
            (
                "enforcing_consecutive_5xx",
                outlier.enforcing_consecutive_5xx,
            ),
            (
                "enforcing_consecutive_gateway_failure",
                outlier.enforcing_consecutive_gateway_failure,
            ),
            (
                "enforcing_consecutive_local_origin_failure",
                outlier.enforcing_consecutive_local_origin_failure,
            ),
            ("enforcing_success_rate", outlier.enforcing_success_rate),
            (
                "enforcing_failure_percentage",
                outlier.enforcing_failure_percentage,
            ),
        ] {
            if let Some(value) = value
                && value != 0
                && value != 100
            {
                self.error(
                    &outlier_path.key(key),
                    format!("`{key}` is 0 or 100 in meshsim, not {value}"),
                )
                .set_hint(
                    "meshsim does not draw partial enforcement: a detector ejects always or never",
                );
            }
        }
    }

    pub(super) fn check_failure_accrual(&mut self, path: &DocPath, accrual: &FailureAccrual) {
        if let Some(failures) = accrual.consecutive_failures {
            self.whole_at_least(&path.key("consecutive_failures"), u64::from(failures), 1);
        }
        let min = accrual.min_penalty.unwrap_or(Duration::from_secs(1));
        let max = accrual.max_penalty.unwrap_or(Duration::from_secs(60));
        if max.is_zero() {
            self.error(
                &path.key("max_penalty"),
                "`max_penalty` must be longer than 0s",
            );
        } else if min > max {
            self.error(
                &path.key("min_penalty"),
                format!("`min_penalty` {min} is above `max_penalty` {max}"),
            );
        }
        if let Some(jitter) = accrual.jitter_ratio
            && !(0.0..=100.0).contains(&jitter.get())
        {
            self.error(
                &path.key("jitter_ratio"),
                format!(
                    "`jitter_ratio` is from 0 to 100, not {}",
                    number(jitter.get())
                ),
            );
        }
    }

    pub(super) fn check_breaker(&mut self, breaker_path: &DocPath, breaker: &CircuitBreaker) {
        for (key, duration) in [
            ("timeout", breaker.timeout),
            ("window", breaker.window),
            ("reset_timeout", breaker.reset_timeout),
            ("slow_call_duration", breaker.slow_call_duration),
        ] {
            if let Some(duration) = duration {
                self.positive_duration(&breaker_path.key(key), duration);
            }
        }
        if let Some(threshold) = breaker.error_threshold_percent {
            self.percent(
                &breaker_path.key("error_threshold_percent"),
                threshold.get(),
            );
        }
        if let Some(buckets) = breaker.buckets {
            let buckets_path = breaker_path.key("buckets");
            self.whole_at_least(&buckets_path, u64::from(buckets), 1);
            self.whole_at_most(
                &buckets_path,
                u64::from(buckets),
                u64::from(limits::BREAKER_BUCKETS_MAX),
                "buckets",
            );
        }
        if let Some(status) = breaker.fallback_status {
            self.status(&breaker_path.key("fallback_status"), status);
        }
        if let Some(minimum) = breaker.slow_call_minimum_calls {
            self.whole_at_least(
                &breaker_path.key("slow_call_minimum_calls"),
                u64::from(minimum),
                1,
            );
        }
        for (key, set) in [
            (
                "slow_call_rate_percent",
                breaker.slow_call_rate_percent.is_some(),
            ),
            (
                "slow_call_minimum_calls",
                breaker.slow_call_minimum_calls.is_some(),
            ),
        ] {
            if set && breaker.slow_call_duration.is_none() {
                self.warning(
                    &breaker_path.key(key),
                    format!("`{key}` does nothing without `slow_call_duration`"),
                );
            }
        }
        if let Some(rate) = breaker.slow_call_rate_percent {
            self.percent(&breaker_path.key("slow_call_rate_percent"), rate.get());
        }
    }
}
