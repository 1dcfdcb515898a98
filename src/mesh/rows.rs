//! The effective policy as rows of key, value and origin: what `meshsim explain` prints and
//! what the docs' default column is checked against.

use crate::profile::Profile;
use crate::scenario::Duration;
use crate::scenario::schema::{LoadBalancer, RetryOn};

use super::effective::{Backoff, Effective, Outlier, Retries, RetryLimit};
use super::sourced::{Origin, Sourced};

/// One effective value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// The key under `[mesh.SERVICE]`: `retries.attempts`.
    pub key: String,
    /// The value as a scenario would write it, or a word (`off`, `unlimited`, `none`).
    pub value: String,
    pub origin: Origin,
}

impl Row {
    /// Whether the scenario file set this value.
    pub(crate) fn origin_is_file(&self) -> bool {
        matches!(self.origin, Origin::File { .. } | Origin::Included { .. })
    }
}

/// Every value that acts on calls to the service, in the order of the format reference.
/// Values of a mechanism that is off (success-rate ejection's hosts when it is not enforced)
/// are left out; the row that turns it off is kept.
pub(crate) fn rows(effective: &Effective) -> Vec<Row> {
    let mut rows = Rows::default();
    rows.push("timeout", &effective.timeout, |timeout| optional(*timeout));
    rows.push("load_balancer", &effective.load_balancer, |balancer| {
        balancer_name(*balancer).to_owned()
    });
    match &effective.retries {
        Some(retries) => retry_rows(&mut rows, effective.profile, retries),
        None => rows.word("retries", "none", effective.retries_origin),
    }
    pool_rows(&mut rows, effective);
    match &effective.outlier {
        Some(outlier) => outlier_rows(&mut rows, outlier),
        None if effective.profile != Profile::Linkerd => {
            rows.word(
                "outlier_detection",
                "off",
                section_default(effective.profile, "outlier_detection"),
            );
        }
        None => {}
    }
    match &effective.failure_accrual {
        Some(accrual) => {
            rows.push(
                "failure_accrual.consecutive_failures",
                &accrual.consecutive_failures,
                u32::to_string,
            );
            rows.push(
                "failure_accrual.min_penalty",
                &accrual.min_penalty,
                Duration::to_string,
            );
            rows.push(
                "failure_accrual.max_penalty",
                &accrual.max_penalty,
                Duration::to_string,
            );
            rows.push(
                "failure_accrual.jitter_ratio",
                &accrual.jitter_ratio,
                |ratio| number(*ratio),
            );
        }
        None if effective.profile == Profile::Linkerd => {
            rows.word(
                "failure_accrual",
                "off",
                section_default(effective.profile, "failure_accrual"),
            );
        }
        None => {}
    }
    breaker_rows(&mut rows, effective);
    fault_rows(&mut rows, effective);
    inbound_rows(&mut rows, effective);
    route_rows(&mut rows, effective);
    rows.rows
}

/// The policy of each route that sets keys of its own, as `route[N].timeout`, `route[N].retries.*`
/// and `route[N].fault.*` (N from 1, as `check` numbers routes): each value the route's, or the
/// service's it took, with its origin. Routes with no keys of their own run the rows above.
fn route_rows(rows: &mut Rows, effective: &Effective) {
    for (index, route) in effective.routes.iter().enumerate() {
        if !route.own {
            continue;
        }
        let mut own = Rows::default();
        own.push("timeout", &route.timeout, |timeout| optional(*timeout));
        match &route.retries {
            Some(retries) => retry_rows(&mut own, effective.profile, retries),
            None => own.word("retries", "none", route.retries_origin),
        }
        let view = Effective {
            fault: route.fault.clone(),
            routes: Vec::new(),
            ..effective.clone()
        };
        fault_rows(&mut own, &view);
        // The retry limit is the cluster's (`connection_pool.max_retries`), shown once above.
        for row in own
            .rows
            .into_iter()
            .filter(|row| !row.key.starts_with("connection_pool."))
        {
            rows.rows.push(Row {
                key: format!("route[{}].{}", index + 1, row.key),
                ..row
            });
        }
    }
}

#[derive(Default)]
struct Rows {
    rows: Vec<Row>,
}

impl Rows {
    fn push<T>(&mut self, key: &str, sourced: &Sourced<T>, show: impl Fn(&T) -> String) {
        self.rows.push(Row {
            key: key.to_owned(),
            value: show(&sourced.value),
            origin: sourced.origin,
        });
    }

    fn word(&mut self, key: &str, value: &str, origin: Origin) {
        self.rows.push(Row {
            key: key.to_owned(),
            value: value.to_owned(),
            origin,
        });
    }
}

fn section_default(profile: Profile, section: &str) -> Origin {
    profile.key(section).map_or(
        Origin::Derived("not a setting of this mesh"),
        Origin::Default,
    )
}

fn retry_rows(rows: &mut Rows, profile: Profile, retries: &Retries) {
    if retries.attempts.value == u32::MAX {
        rows.word("retries.attempts", "unlimited", retries.attempts.origin);
    } else {
        rows.push("retries.attempts", &retries.attempts, u32::to_string);
    }
    rows.push("retries.retry_on", &retries.retry_on, |on| {
        retry_on_names(on)
    });
    rows.push(
        "retries.retriable_status_codes",
        &retries.retriable_status_codes,
        |codes| codes_text(codes),
    );
    rows.push(
        "retries.per_try_timeout",
        &retries.per_try_timeout,
        |timeout| optional(*timeout),
    );
    match &retries.backoff {
        Backoff::Envoy { base, max } => {
            rows.push("retries.backoff_base", base, Duration::to_string);
            rows.push("retries.backoff_max", max, Duration::to_string);
        }
        Backoff::Linkerd(origin) => rows.word(
            "retries.backoff",
            "25ms doubling to 250ms, jitter 1.0",
            *origin,
        ),
        Backoff::None(origin) => rows.word("retries.backoff", "none", *origin),
    }
    match &retries.limit {
        RetryLimit::Concurrent(max) => {
            rows.push("connection_pool.max_retries", max, |max| limit(*max));
        }
        RetryLimit::Budget {
            percent,
            min_retry_concurrency,
        } => {
            rows.push("retries.budget_percent", percent, |percent| {
                number(*percent)
            });
            rows.push(
                "retries.min_retry_concurrency",
                min_retry_concurrency,
                u32::to_string,
            );
        }
        RetryLimit::Tps {
            retry_ratio,
            min_retries_per_second,
            ttl,
        } => {
            rows.push("retries.retry_budget.retry_ratio", retry_ratio, |ratio| {
                number(*ratio)
            });
            rows.push(
                "retries.retry_budget.min_retries_per_second",
                min_retries_per_second,
                u32::to_string,
            );
            rows.push("retries.retry_budget.ttl", ttl, Duration::to_string);
        }
        RetryLimit::None(origin) => rows.word("retries.budget", "none", *origin),
    }
    let key = match profile {
        Profile::Linkerd => "retries.other_hosts",
        Profile::Istio | Profile::Envoy => "retries.retry_ignore_previous_hosts",
    };
    rows.push(
        key,
        &retries.host_reselections,
        |reselections| match reselections {
            Some(draws) => format!("true ({draws} more draws at most)"),
            None => "false".to_owned(),
        },
    );
}

fn pool_rows(rows: &mut Rows, effective: &Effective) {
    if effective.profile == Profile::Linkerd {
        return;
    }
    let pool = &effective.pool;
    rows.push(
        "connection_pool.max_connections",
        &pool.max_connections,
        |max| limit(*max),
    );
    rows.push(
        "connection_pool.max_pending_requests",
        &pool.max_pending_requests,
        |max| limit(*max),
    );
    rows.push("connection_pool.max_requests", &pool.max_requests, |max| {
        limit(*max)
    });
    if !matches!(
        effective.retries.as_ref().map(|retries| &retries.limit),
        Some(RetryLimit::Concurrent(_) | RetryLimit::Budget { .. })
    ) {
        rows.push("connection_pool.max_retries", &pool.max_retries, |max| {
            limit(*max)
        });
    }
    if pool.max_requests_per_connection.is_set() {
        rows.push(
            "connection_pool.max_requests_per_connection",
            &pool.max_requests_per_connection,
            |max| limit(*max),
        );
    }
}

fn outlier_rows(rows: &mut Rows, outlier: &Outlier) {
    consecutive_error_rows(rows, outlier);
    ejection_rows(rows, outlier);
    statistical_rows(rows, outlier);
}

/// Ejection on consecutive errors: 5xx, gateway failures, local-origin failures.
fn consecutive_error_rows(rows: &mut Rows, outlier: &Outlier) {
    let key = |name: &str| format!("outlier_detection.{name}");
    rows.push(
        &key("consecutive_5xx"),
        &outlier.consecutive_5xx,
        u32::to_string,
    );
    rows.push(
        &key("enforcing_consecutive_5xx"),
        &outlier.enforcing_consecutive_5xx,
        u32::to_string,
    );
    rows.push(
        &key("consecutive_gateway_failure"),
        &outlier.consecutive_gateway_failure,
        |count| count.map_or_else(|| "off".to_owned(), |count| count.to_string()),
    );
    rows.push(
        &key("enforcing_consecutive_gateway_failure"),
        &outlier.enforcing_consecutive_gateway_failure,
        u32::to_string,
    );
    rows.push(
        &key("split_external_local_origin_errors"),
        &outlier.split_external_local_origin_errors,
        bool::to_string,
    );
    if outlier.split_external_local_origin_errors.value {
        rows.push(
            &key("consecutive_local_origin_failure"),
            &outlier.consecutive_local_origin_failure,
            u32::to_string,
        );
        rows.push(
            &key("enforcing_consecutive_local_origin_failure"),
            &outlier.enforcing_consecutive_local_origin_failure,
            u32::to_string,
        );
    }
}

/// How long and how many hosts are ejected.
fn ejection_rows(rows: &mut Rows, outlier: &Outlier) {
    let key = |name: &str| format!("outlier_detection.{name}");
    rows.push(&key("interval"), &outlier.interval, Duration::to_string);
    rows.push(
        &key("base_ejection_time"),
        &outlier.base_ejection_time,
        Duration::to_string,
    );
    rows.push(
        &key("max_ejection_time"),
        &outlier.max_ejection_time,
        Duration::to_string,
    );
    rows.push(
        &key("max_ejection_percent"),
        &outlier.max_ejection_percent,
        |percent| number(*percent),
    );
    rows.push(
        &key("always_eject_one_host"),
        &outlier.always_eject_one_host,
        bool::to_string,
    );
    rows.push(
        &key("min_health_percent"),
        &outlier.min_health_percent,
        |percent| number(*percent),
    );
}

/// Ejection by the hosts' success rate and failure percentage against the others'.
fn statistical_rows(rows: &mut Rows, outlier: &Outlier) {
    let key = |name: &str| format!("outlier_detection.{name}");
    rows.push(
        &key("enforcing_success_rate"),
        &outlier.enforcing_success_rate,
        u32::to_string,
    );
    if outlier.enforcing_success_rate.value > 0 {
        rows.push(
            &key("success_rate_stdev_factor"),
            &outlier.success_rate_stdev_factor,
            |factor| number(*factor),
        );
        rows.push(
            &key("success_rate_minimum_hosts"),
            &outlier.success_rate_minimum_hosts,
            u32::to_string,
        );
        rows.push(
            &key("success_rate_request_volume"),
            &outlier.success_rate_request_volume,
            u32::to_string,
        );
    }
    rows.push(
        &key("enforcing_failure_percentage"),
        &outlier.enforcing_failure_percentage,
        u32::to_string,
    );
    if outlier.enforcing_failure_percentage.value > 0 {
        rows.push(
            &key("failure_percentage_threshold"),
            &outlier.failure_percentage_threshold,
            |threshold| number(*threshold),
        );
        rows.push(
            &key("failure_percentage_minimum_hosts"),
            &outlier.failure_percentage_minimum_hosts,
            u32::to_string,
        );
        rows.push(
            &key("failure_percentage_request_volume"),
            &outlier.failure_percentage_request_volume,
            u32::to_string,
        );
    }
}

fn breaker_rows(rows: &mut Rows, effective: &Effective) {
    let Some(breaker) = &effective.breaker else {
        rows.word(
            "circuit_breaker",
            "off",
            section_default(effective.profile, "circuit_breaker"),
        );
        return;
    };
    let key = |name: &str| format!("circuit_breaker.{name}");
    rows.push(&key("timeout"), &breaker.timeout, Duration::to_string);
    rows.push(
        &key("error_threshold_percent"),
        &breaker.error_threshold_percent,
        |percent| number(*percent),
    );
    rows.push(
        &key("volume_threshold"),
        &breaker.volume_threshold,
        u32::to_string,
    );
    rows.push(&key("window"), &breaker.window, Duration::to_string);
    rows.push(&key("buckets"), &breaker.buckets, u32::to_string);
    rows.push(
        &key("reset_timeout"),
        &breaker.reset_timeout,
        Duration::to_string,
    );
    rows.push(
        &key("fallback_status"),
        &breaker.fallback_status,
        |status| status.map_or_else(|| "off".to_owned(), |status| status.to_string()),
    );
    rows.push(
        &key("slow_call_duration"),
        &breaker.slow_call_duration,
        |duration| optional(*duration),
    );
    if breaker.slow_call_duration.value.is_some() {
        rows.push(
            &key("slow_call_rate_percent"),
            &breaker.slow_call_rate_percent,
            |percent| number(*percent),
        );
        rows.push(
            &key("slow_call_minimum_calls"),
            &breaker.slow_call_minimum_calls,
            u32::to_string,
        );
    }
}

fn fault_rows(rows: &mut Rows, effective: &Effective) {
    if effective.profile == Profile::Linkerd {
        return;
    }
    let Some(fault) = &effective.fault else {
        rows.word("fault", "off", section_default(effective.profile, "fault"));
        return;
    };
    rows.push("fault.delay", &fault.delay, |delay| optional(*delay));
    rows.push("fault.delay_percent", &fault.delay_percent, |percent| {
        number(*percent)
    });
    rows.push("fault.abort_status", &fault.abort_status, |status| {
        status.map_or_else(|| "off".to_owned(), |status| status.to_string())
    });
    rows.push("fault.abort_percent", &fault.abort_percent, |percent| {
        number(*percent)
    });
}

fn inbound_rows(rows: &mut Rows, effective: &Effective) {
    match &effective.rate_limit {
        Some(limit) => {
            rows.push("rate_limit.max_tokens", &limit.max_tokens, u32::to_string);
            rows.push(
                "rate_limit.tokens_per_fill",
                &limit.tokens_per_fill,
                u32::to_string,
            );
            rows.push(
                "rate_limit.fill_interval",
                &limit.fill_interval,
                Duration::to_string,
            );
        }
        None => rows.word(
            "rate_limit",
            "off",
            section_default(effective.profile, "rate_limit"),
        ),
    }
    rows.push(
        "allow_from",
        &effective.allow_from,
        |callers| match callers {
            Some(callers) if callers.is_empty() => "nobody".to_owned(),
            Some(callers) => callers.join(", "),
            None => "everyone".to_owned(),
        },
    );
}

/// A duration, or `off`.
pub(crate) fn optional(duration: Option<Duration>) -> String {
    duration.map_or_else(|| "off".to_owned(), |duration| duration.to_string())
}

/// A limit, `unlimited` at `u32::MAX`.
pub(crate) fn limit(value: u32) -> String {
    if value == u32::MAX {
        "unlimited".to_owned()
    } else {
        value.to_string()
    }
}

/// A number as a scenario writes it: `20`, `0.5`, `1.9`.
pub(crate) fn number(value: f64) -> String {
    format!("{value}")
}

pub(crate) fn balancer_name(balancer: LoadBalancer) -> &'static str {
    match balancer {
        LoadBalancer::RoundRobin => "round_robin",
        LoadBalancer::Random => "random",
        LoadBalancer::LeastRequest => "least_request",
        LoadBalancer::PeakEwma => "peak_ewma",
    }
}

pub(crate) fn retry_on_names(on: &[RetryOn]) -> String {
    if on.is_empty() {
        return "none".to_owned();
    }
    on.iter().map(|on| on.name()).collect::<Vec<_>>().join(", ")
}

fn codes_text(codes: &[u16]) -> String {
    if codes.is_empty() {
        return "none".to_owned();
    }
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
