//! `[mesh.SERVICE]`: the keys the scenario's mesh has, and values in their ranges.
//!
//! A key the mesh's product does not have is an error that names what it does have: Linkerd has
//! no outlier detection, Istio no failure accrual, neither of them Envoy's success-rate knobs.
//! A setting that does nothing where it is written (a `retries` block Istio turns off for want of
//! `attempts`) is a warning that says why.

use super::{Checker, SUM_TOLERANCE, number, root};
use crate::profile::Profile;
use crate::scenario::diagnostic::quote;
use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{
    CircuitBreaker, FailureAccrual, HeaderMatch, LoadBalancer, MeshPolicy, OutlierDetection,
    RateLimit, Retries, RetryOn,
};

/// Envoy refuses a local rate limit's `fill_interval` below this
/// (`local_ratelimit_impl.cc#L102-L105`).
const FILL_INTERVAL_MIN: Duration = Duration::from_millis(50);

/// Envoy's `host_selection_retry_max_attempts` gets a bound of meshsim's: each draw is a pick.
const HOST_SELECTION_ATTEMPTS_MAX: u32 = 100;

impl Checker<'_, '_> {
    pub(super) fn check_mesh(&mut self) {
        for (name, policy) in &self.scenario.mesh {
            let path = root("mesh").key(name);
            let service = if let Some(index) = self.names.services.get(name.as_str()) {
                Some(*index)
            } else if self.names.brokers.contains_key(name.as_str())
                || self.names.stores.contains_key(name.as_str())
            {
                // A publisher's sidecar applies `[mesh.BROKER]` to its publishes.
                None
            } else {
                let hint = self.suggest(
                    name,
                    "services here",
                    || self.names.service_names(),
                    "no [[service]] is declared",
                );
                self.error_at_key(
                    &path,
                    format!("mesh policy for unknown service {}", quote(name)),
                )
                .set_hint(format!(
                    "[mesh.NAME] applies to calls to the service NAME{}",
                    hint.map_or_else(String::new, |hint| format!("; {hint}"))
                ));
                None
            };
            self.check_profile_keys(&path, "");
            self.check_policy(&path, policy);
            self.check_routes(&path, service, policy);
        }
    }

    /// Every key written under `path` (`[mesh.NAME]`, then each section) is one the profile's
    /// product has; `prefix` is the section's key path (`retries.`).
    fn check_profile_keys(&mut self, path: &DocPath, prefix: &str) {
        let profile = self.scenario.profile();
        for key in self.locator.keys(path.parts()) {
            let full = format!("{prefix}{key}");
            if full == "route" {
                continue;
            }
            let key_path = path.key(&key);
            if profile.key(&full).is_some() {
                if !self.locator.keys(key_path.parts()).is_empty() {
                    self.check_profile_keys(&key_path, &format!("{full}."));
                }
                continue;
            }
            let release = profile.release();
            let message = format!(
                "`{full}` is not a setting of {} {}",
                release.product, release.version
            );
            let hint = missing_key_hint(profile, prefix, &full);
            self.error_at_key(&key_path, message).set_hint(hint);
        }
    }

    fn check_policy(&mut self, path: &DocPath, policy: &MeshPolicy) {
        if let Some(timeout) = policy.timeout {
            self.positive_duration(&path.key("timeout"), timeout);
        }
        if let Some(balancer) = policy.load_balancer {
            self.check_balancer(&path.key("load_balancer"), balancer);
        }
        if let Some(pool) = &policy.connection_pool {
            let pool_path = path.key("connection_pool");
            for (key, value) in [
                ("max_connections", pool.max_connections),
                ("max_pending_requests", pool.max_pending_requests),
                ("max_requests", pool.max_requests),
                (
                    "max_requests_per_connection",
                    pool.max_requests_per_connection,
                ),
                ("max_retries", pool.max_retries),
            ] {
                if let Some(value) = value {
                    self.pool_limit(&pool_path.key(key), value);
                }
            }
        }
        if let Some(fault) = &policy.fault {
            self.check_fault_injection(&path.key("fault"), fault);
        }
        if let Some(rate_limit) = &policy.rate_limit {
            self.check_rate_limit(&path.key("rate_limit"), rate_limit);
        }
        if let Some(allow_from) = &policy.allow_from {
            for (index, caller) in allow_from.iter().enumerate() {
                self.service_ref(&path.key("allow_from").index(index), caller, "allow_from");
            }
        }
        if let Some(retries) = &policy.retries {
            self.check_retries(&path.key("retries"), policy, retries);
        }
        if let Some(outlier) = &policy.outlier_detection {
            self.check_outlier(&path.key("outlier_detection"), outlier);
        }
        if let Some(accrual) = &policy.failure_accrual {
            self.check_failure_accrual(&path.key("failure_accrual"), accrual);
            if self.scenario.profile() == Profile::Linkerd
                && policy
                    .retries
                    .as_ref()
                    .is_some_and(|retries| retries.retry_budget.is_some())
            {
                self.warning(
                    &path.key("failure_accrual"),
                    "Linkerd applies no failure accrual to a service whose ServiceProfile has routes",
                )
                .set_hint("`retries.retry_budget` makes these ServiceProfile retries; drop one of the two");
            }
        }
        if let Some(breaker) = &policy.circuit_breaker {
            self.check_breaker(&path.key("circuit_breaker"), breaker);
        }
    }

    fn check_balancer(&mut self, path: &DocPath, balancer: LoadBalancer) {
        let profile = self.scenario.profile();
        let allowed = match profile {
            Profile::Linkerd => balancer == LoadBalancer::PeakEwma,
            Profile::Istio | Profile::Envoy => balancer != LoadBalancer::PeakEwma,
        };
        if !allowed {
            let release = profile.release();
            let (message, hint) = match profile {
                Profile::Linkerd => (
                    format!("{} balances every service by peak EWMA", release.product),
                    "remove `load_balancer`, or run another mesh: [scenario] mesh = \"istio\"",
                ),
                Profile::Istio | Profile::Envoy => (
                    format!("{} has no peak-EWMA balancer", release.product),
                    "use round_robin, random or least_request, or [scenario] mesh = \"linkerd\"",
                ),
            };
            self.error(path, message).set_hint(hint);
        }
    }

    /// A connection-pool limit: Istio reads 0 as unset, Envoy as "nothing at all".
    fn pool_limit(&mut self, path: &DocPath, value: u32) {
        if value == 0 {
            let key = path.last_key().to_owned();
            self.error(path, format!("`{key}` must be at least 1, not 0"))
                .set_hint("leave it out for the mesh's default (Istio: unlimited; Envoy: 1024, max_retries 3)");
        }
    }

    fn status(&mut self, path: &DocPath, status: u16) {
        if !(100..=599).contains(&status) {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!("`{key}` is an HTTP status from 100 to 599, not {status}"),
            );
        }
    }

    fn check_fault_injection(
        &mut self,
        fault_path: &DocPath,
        fault: &crate::scenario::schema::FaultInjection,
    ) {
        if let Some(percent) = fault.delay_percent {
            self.percent(&fault_path.key("delay_percent"), percent.get());
            if fault.delay.is_none() {
                self.error_at_key(
                    &fault_path.key("delay_percent"),
                    "`delay_percent` without a `delay`",
                )
                .set_hint("add delay = \"5s\", the time added to the delayed requests");
            }
        }
        if let Some(percent) = fault.abort_percent {
            self.percent(&fault_path.key("abort_percent"), percent.get());
            if fault.abort_status.is_none() {
                self.error_at_key(
                    &fault_path.key("abort_percent"),
                    "`abort_percent` without an `abort_status`",
                )
                .set_hint("add abort_status = 503, the status the aborted requests answer");
            }
        }
        if let Some(status) = fault.abort_status {
            self.status(&fault_path.key("abort_status"), status);
        }
        if fault.delay.is_some() && fault.delay_percent.is_none() {
            self.warning(
                &fault_path.key("delay"),
                "`delay` without `delay_percent` delays no request, as in Istio and Envoy",
            )
            .set_hint("add delay_percent = 100 to delay every request");
        }
        if fault.abort_status.is_some() && fault.abort_percent.is_none() {
            self.warning(
                &fault_path.key("abort_status"),
                "`abort_status` without `abort_percent` aborts no request, as in Istio and Envoy",
            )
            .set_hint("add abort_percent = 100 to abort every request");
        }
        if fault.delay.is_none() && fault.abort_status.is_none() {
            self.warning(
                fault_path,
                "this fault injection does nothing: it has neither `delay` nor `abort_status`",
            );
        }
    }

    fn check_rate_limit(&mut self, limit_path: &DocPath, rate_limit: &RateLimit) {
        if self.scenario.profile() == Profile::Linkerd {
            match rate_limit.requests_per_second {
                Some(rate) => {
                    self.whole_at_least(&limit_path.key("requests_per_second"), u64::from(rate), 1);
                }
                None => {
                    self.error(limit_path, "a Linkerd rate limit needs `requests_per_second`")
                        .set_hint("HTTPLocalRateLimitPolicy's total.requestsPerSecond: requests_per_second = 100");
                }
            }
            return;
        }
        match rate_limit.max_tokens {
            Some(tokens) => {
                self.whole_at_least(&limit_path.key("max_tokens"), u64::from(tokens), 1);
            }
            None => {
                self.error(limit_path, "a local rate limit needs `max_tokens`")
                    .set_hint("Envoy's token_bucket.max_tokens: the burst, and the bucket's size");
            }
        }
        if let Some(per_fill) = rate_limit.tokens_per_fill {
            self.whole_at_least(&limit_path.key("tokens_per_fill"), u64::from(per_fill), 1);
        }
        match rate_limit.fill_interval {
            Some(interval) if interval < FILL_INTERVAL_MIN => {
                self.error(
                    &limit_path.key("fill_interval"),
                    format!("`fill_interval` {interval} is below Envoy's minimum of 50ms"),
                )
                .set_hint(
                    "Envoy refuses a fill interval under 50ms; raise tokens_per_fill instead",
                );
            }
            Some(_) => {}
            None => {
                self.error(limit_path, "a local rate limit needs `fill_interval`")
                    .set_hint("Envoy's token_bucket.fill_interval: fill_interval = \"1s\"");
            }
        }
    }

    fn check_retries(&mut self, retries_path: &DocPath, policy: &MeshPolicy, retries: &Retries) {
        if let Some(attempts) = retries.attempts {
            self.whole_at_most(
                &retries_path.key("attempts"),
                u64::from(attempts),
                u64::from(limits::RETRY_ATTEMPTS_MAX),
                "retries",
            );
        }
        if let Some(per_try_timeout) = retries.per_try_timeout {
            self.positive_duration(&retries_path.key("per_try_timeout"), per_try_timeout);
            if let Some(timeout) = policy.timeout
                && per_try_timeout >= timeout
                && self.scenario.profile() != Profile::Linkerd
            {
                self.warning(
                    &retries_path.key("per_try_timeout"),
                    format!("`per_try_timeout` {per_try_timeout} is not below the route's `timeout` {timeout}: Envoy ignores it"),
                )
                .set_hint("the route timeout covers every try; a per-try timeout must be shorter to act");
            }
        }
        if let Some(base) = retries.backoff_base {
            self.positive_duration(&retries_path.key("backoff_base"), base);
            if let Some(max) = retries.backoff_max
                && max < base
            {
                self.error(
                    &retries_path.key("backoff_max"),
                    format!("`backoff_max` {max} is below `backoff_base` {base}"),
                );
            }
        }
        if let Some(budget) = retries.budget_percent {
            self.percent(&retries_path.key("budget_percent"), budget.get());
        }
        if let Some(codes) = &retries.retriable_status_codes {
            for (index, code) in codes.iter().enumerate() {
                self.status(
                    &retries_path.key("retriable_status_codes").index(index),
                    *code,
                );
            }
        }
        if let Some(attempts) = retries.host_selection_retry_max_attempts {
            self.whole_at_most(
                &retries_path.key("host_selection_retry_max_attempts"),
                u64::from(attempts),
                u64::from(HOST_SELECTION_ATTEMPTS_MAX),
                "host selections",
            );
        }
        self.check_retry_on(retries_path, retries);
        self.check_retries_do_something(retries_path, retries);
        if let Some(budget) = &retries.retry_budget
            && self.scenario.profile() == Profile::Linkerd
        {
            self.check_service_profile_retries(retries_path, retries, budget);
        }
    }

    /// The words of `retry_on` the profile's product reads, and those that match nothing an
    /// HTTP service answers.
    fn check_retry_on(&mut self, retries_path: &DocPath, retries: &Retries) {
        let Some(words) = &retries.retry_on else {
            return;
        };
        let profile = self.scenario.profile();
        for (index, word) in words.iter().enumerate() {
            let word_path = retries_path.key("retry_on").index(index);
            if profile == Profile::Linkerd
                && !matches!(word, RetryOn::FiveXx | RetryOn::GatewayError)
            {
                self.error(
                    &word_path,
                    format!("Linkerd's retry.linkerd.io/http has no `{}`", word.name()),
                )
                .set_hint("Linkerd retries \"5xx\" or \"gateway-error\" answers, or the codes in retriable_status_codes; a refused connection is a 502");
            } else if word.is_grpc() {
                self.warning(
                    &word_path,
                    format!(
                        "`{}` matches a gRPC status, never an HTTP answer: it retries nothing here",
                        word.name()
                    ),
                )
                .set_hint("meshsim's services speak HTTP; use \"5xx\", \"gateway-error\" or retriable_status_codes");
            } else if *word == RetryOn::RefusedStream && profile != Profile::Linkerd {
                self.warning(
                    &word_path,
                    "`refused-stream` is HTTP/2's REFUSED_STREAM, never a refused connection: it retries nothing here",
                )
                .set_hint("a refused connection is `connect-failure`");
            }
        }
    }

    /// A `retries` block that retries nothing says so.
    fn check_retries_do_something(&mut self, retries_path: &DocPath, retries: &Retries) {
        let profile = self.scenario.profile();
        let has_words = retries.retry_on.as_ref().is_some_and(|on| !on.is_empty());
        match profile {
            Profile::Istio if retries.attempts.unwrap_or(0) == 0 => {
                self.warning(
                    retries_path,
                    "these retries retry nothing: Istio turns retries off when `attempts` is 0 or left out",
                )
                .set_hint("add attempts = 2 (Istio's default policy's)");
            }
            Profile::Envoy if !has_words => {
                self.warning(
                    retries_path,
                    "these retries retry nothing: Envoy retries only what `retry_on` names",
                )
                .set_hint("add retry_on = [\"5xx\"] or [\"connect-failure\", \"reset\"]");
            }
            Profile::Envoy
                if retries.retriable_status_codes.is_some()
                    && !retries
                        .retry_on
                        .as_ref()
                        .is_some_and(|on| on.contains(&RetryOn::RetriableStatusCodes)) =>
            {
                self.warning(
                    &retries_path.key("retriable_status_codes"),
                    "Envoy reads `retriable_status_codes` only with `retriable-status-codes` in `retry_on`",
                )
                .set_hint("add \"retriable-status-codes\" to retry_on");
            }
            Profile::Linkerd
                if retries.retry_budget.is_none()
                    && !has_words
                    && retries.retriable_status_codes.is_none() =>
            {
                self.warning(
                    retries_path,
                    "these retries retry no answer: without `retry_on`, Linkerd retries only a try out of `per_try_timeout`",
                )
                .set_hint("add retry_on = [\"5xx\"] (retry.linkerd.io/http)");
            }
            _ => {}
        }
    }

    /// Linkerd's ServiceProfile retries: a budget, and nothing of the annotations.
    fn check_service_profile_retries(
        &mut self,
        retries_path: &DocPath,
        retries: &Retries,
        budget: &crate::scenario::schema::RetryBudget,
    ) {
        for (key, set) in [
            ("attempts", retries.attempts.is_some()),
            ("per_try_timeout", retries.per_try_timeout.is_some()),
            ("retry_on", retries.retry_on.is_some()),
            (
                "retriable_status_codes",
                retries.retriable_status_codes.is_some(),
            ),
        ] {
            if set {
                self.error_at_key(
                    &retries_path.key(key),
                    format!("ServiceProfile retries have no `{key}`: the budget alone limits them"),
                )
                .set_hint("drop this key, or drop `retry_budget` for Linkerd's annotated retries (retry.linkerd.io/*)");
            }
        }
        let budget_path = retries_path.key("retry_budget");
        if let Some(ratio) = budget.retry_ratio
            && !(0.0..=1000.0).contains(&ratio.get())
        {
            self.error(
                &budget_path.key("retry_ratio"),
                format!(
                    "`retry_ratio` is from 0 to 1000, not {}",
                    number(ratio.get())
                ),
            );
        }
        if let Some(ttl) = budget.ttl
            && !(Duration::from_secs(1)..=Duration::from_secs(60)).contains(&ttl)
        {
            self.error(
                &budget_path.key("ttl"),
                format!("`ttl` is from 1s to 60s, not {ttl}"),
            )
            .set_hint("Linkerd's proxy refuses a retry budget ttl outside 1 to 60 seconds");
        }
    }

    fn check_outlier(&mut self, outlier_path: &DocPath, outlier: &OutlierDetection) {
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

    fn check_failure_accrual(&mut self, path: &DocPath, accrual: &FailureAccrual) {
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

    fn check_breaker(&mut self, breaker_path: &DocPath, breaker: &CircuitBreaker) {
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

    fn check_routes(&mut self, path: &DocPath, service: Option<usize>, policy: &MeshPolicy) {
        let routes_path = path.key("route");
        self.count_limit(
            &routes_path,
            policy.route.len(),
            limits::ROUTES_PER_SERVICE_MAX,
            "routes",
        );
        let mut catch_all: Option<usize> = None;
        for (index, route) in policy.route.iter().enumerate() {
            let route_path = routes_path.index(index);
            if let Some(first) = catch_all {
                self.warning(&route_path, "this route is never used")
                    .set_hint(format!(
                        "route {} has no `match`, so it takes every request first",
                        first + 1
                    ));
            }
            match &route.matches {
                None => catch_all = catch_all.or(Some(index)),
                Some(matches) => {
                    for (header, condition) in &matches.headers {
                        let header_path = route_path.key("match").key("headers").key(header);
                        self.label(&header_path, header, "header name", limits::LABEL_CHARS_MAX);
                        if let HeaderMatch::How(how) = condition {
                            let given = [&how.exact, &how.prefix, &how.regex]
                                .iter()
                                .filter(|value| value.is_some())
                                .count();
                            if given != 1 {
                                self.error(&header_path, format!("header condition on {} needs exactly one of `exact`, `prefix` or `regex`, not {given}", quote(header)));
                            }
                            if let Some(pattern) = &how.regex
                                && let Err(error) = regex::Regex::new(&format!("^(?:{pattern})$"))
                            {
                                let first = error.to_string();
                                let first = first.lines().last().unwrap_or("invalid");
                                self.error(
                                    &header_path.key("regex"),
                                    format!("{} is not a regular expression: {first}", quote(pattern)),
                                )
                                .set_hint("Envoy's safe_regex (RE2) syntax; it must match the whole value");
                            }
                        }
                    }
                }
            }
            let weights_path = route_path.key("weights");
            let mut sum = 0.0;
            for (version, weight) in &route.weights {
                let weight_path = weights_path.key(version);
                if let Some(service) = service {
                    self.version_ref(&weight_path, service, version, true);
                }
                self.percent(&weight_path, weight.get());
                sum += weight.get();
            }
            if (sum - 100.0).abs() > SUM_TOLERANCE * 100.0 {
                let versions = service.map(|service| {
                    let versions: Vec<&str> =
                        self.names.versions[service].iter().copied().collect();
                    versions.join(", ")
                });
                let diagnostic = self.error(
                    &weights_path,
                    format!("route weights add up to {}, not 100", number(sum)),
                );
                match versions {
                    Some(versions) => diagnostic.set_hint(format!(
                        "weights are percentages of the route's requests sent to each version ({versions})"
                    )),
                    None => diagnostic.set_hint("weights are percentages of the route's requests sent to each version"),
                };
            }
        }
    }
}

/// What a profile has in place of a key it lacks.
fn missing_key_hint(profile: Profile, prefix: &str, full: &str) -> String {
    let product = profile.release().product;
    let instead = match (profile, full) {
        (Profile::Linkerd, "outlier_detection") => Some(
            "Linkerd takes failing endpoints out by failure accrual: [mesh.NAME.failure_accrual]",
        ),
        (Profile::Linkerd, "connection_pool") => {
            Some("Linkerd's proxy has no per-service connection or request limits")
        }
        (Profile::Linkerd, "fault") => {
            Some("Linkerd has no fault injection; split traffic to a version that fails instead")
        }
        (Profile::Istio | Profile::Envoy, "failure_accrual") => Some(
            "Envoy takes failing endpoints out by outlier detection: [mesh.NAME.outlier_detection]",
        ),
        (Profile::Istio, key) if key.starts_with("outlier_detection.") => {
            Some("this is Envoy's, and istiod does not set it: [scenario] mesh = \"envoy\" has it")
        }
        _ => None,
    };
    let section = prefix.trim_end_matches('.');
    let has = if section.is_empty() {
        profile.key_names()
    } else {
        profile.section_keys(section)
    };
    let has = if has.is_empty() {
        "nothing".to_owned()
    } else {
        has.join(", ")
    };
    let place = if section.is_empty() {
        "[mesh.NAME]".to_owned()
    } else {
        format!("`{section}`")
    };
    match instead {
        Some(instead) => format!("{instead}; {product}'s {place} has {has}"),
        None => format!("{product}'s {place} has {has}"),
    }
}
