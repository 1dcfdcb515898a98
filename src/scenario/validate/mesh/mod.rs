//! `[mesh.SERVICE]`: the keys the scenario's mesh has, and values in their ranges.
//!
//! A key the mesh's product does not have is an error that names what it does have: Linkerd has
//! no outlier detection, Istio no failure accrual, neither of them Envoy's success-rate knobs.
//! A setting that does nothing where it is written (a `retries` block Istio turns off for want of
//! `attempts`) is a warning that says why.
//!
//! This file reads the policy's sections in order and checks the keys the profile has; retries,
//! the detectors that take an instance or a service out (outlier detection, failure accrual,
//! circuit breaker) and routes have files of their own.

mod ejection;
mod retries;
mod route_policy;
mod routes;

use crate::profile::Profile;
use crate::scenario::diagnostic::quote;
use crate::scenario::duration::Duration;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{FaultInjection, LoadBalancer, MeshPolicy, RateLimit};
use crate::scenario::validate::checker::{Checker, root};
use crate::scenario::validate::references::service_id;
use crate::scenario::validate::resolving::AllowFrom;

/// Envoy refuses a local rate limit's `fill_interval` below this
/// (`local_ratelimit_impl.cc#L102-L105`).
const FILL_INTERVAL_MIN: Duration = Duration::from_millis(50);

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
            self.check_policy(&path, service, policy);
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

    fn check_policy(&mut self, path: &DocPath, service: Option<usize>, policy: &MeshPolicy) {
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
            let mut callers = Some(Vec::new());
            for (index, caller) in allow_from.iter().enumerate() {
                let caller =
                    self.service_ref(&path.key("allow_from").index(index), caller, "allow_from");
                match (callers.as_mut(), caller) {
                    (Some(callers), Some(caller)) => callers.push(service_id(caller)),
                    _ => callers = None,
                }
            }
            if let Some(service) = service {
                self.resolving.allow_from[service] =
                    callers.map_or(AllowFrom::Unresolved, AllowFrom::Only);
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

    pub(super) fn status(&mut self, path: &DocPath, status: u16) {
        if !(100..=599).contains(&status) {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!("`{key}` is an HTTP status from 100 to 599, not {status}"),
            );
        }
    }

    fn check_fault_injection(&mut self, fault_path: &DocPath, fault: &FaultInjection) {
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
