//! `[mesh.SERVICE]` compiled into what the models run: the caller-side [`UpstreamConfig`] every
//! sidecar shares for calls to SERVICE, and the callee-side [`InboundPolicy`] SERVICE's own
//! sidecars enforce (authorization, the local rate limit).
//!
//! This is where the scenario's words become Envoy's settings, so every default that differs
//! between the projects is decided here, each with its reason:
//! - no `[retries]`: no retries. Istio adds two retries to every route that sets none; meshsim
//!   does not, so a scenario without a retry policy shows the system without one.
//! - `[retries]` without a budget: Envoy's `max_retries` circuit breaker, 3 retries in flight per
//!   upstream (`connection_pool.max_retries` changes it). Istio would leave it unlimited.
//! - `budget_percent` or `min_retry_concurrency` set: Envoy's retry budget, the other taking
//!   Envoy's default (20 %, 3).
//! - `backoff_max`: 10 × `backoff_base` (Envoy).
//! - outlier detection: Istio's `DestinationRule`, so success-rate ejection is off unless
//!   `success_rate_stdev_factor` is set, and at least one host can always be ejected.
//! - fault injection without a percentage: no request is touched (Istio); `check` warns.

use std::sync::Arc;

use meshsim_models::policy::{BreakerConfig, OutlierConfig, RetryBudget};
use meshsim_models::{
    BreakerPolicy, FaultInjection, HeaderCondition, InboundPolicy, LoadBalancer, PoolLimits,
    RetryOn, RetryPolicy, Route, RouteTable, UpstreamConfig,
};
use meshsim_sim::{GroupId, NodeId};

use crate::scenario::schema::{self, MeshPolicy};
use crate::scenario::{Duration, Real};

/// Envoy's `max_retries` circuit breaker: retries in flight at once when no budget is set.
const ENVOY_MAX_RETRIES: u32 = 3;

/// Envoy's `max_interval` default: ten times the base interval.
const BACKOFF_MAX_FACTOR: u64 = 10;

/// The caller side of `policy` (absent: no `[mesh.SERVICE]` at all) for the service `name`.
pub fn upstream_config(
    group: GroupId,
    name: &str,
    instances: Vec<NodeId>,
    policy: Option<&MeshPolicy>,
) -> UpstreamConfig {
    let Some(policy) = policy else {
        return UpstreamConfig::plain(group, name, instances, LoadBalancer::RoundRobin);
    };
    let pool = policy.connection_pool.as_ref();
    UpstreamConfig {
        group,
        name: Arc::from(name),
        instances,
        load_balancer: load_balancer(policy.load_balancer),
        timeout_ns: policy.timeout.map(Duration::as_nanos),
        retries: policy.retries.as_ref().map(retry_policy),
        max_concurrent_retries: pool
            .and_then(|pool| pool.max_retries)
            .unwrap_or(ENVOY_MAX_RETRIES),
        pool: pool.map_or(PoolLimits::UNLIMITED, pool_limits),
        outlier: policy.outlier_detection.as_ref().map(outlier_config),
        breaker: policy.circuit_breaker.as_ref().map(breaker_policy),
        fault: policy.fault.as_ref().map(fault_injection),
        // Routes need the versions' instances and the workloads' headers: `route_table`.
        routes: RouteTable::default(),
        // Rollouts shape these: `rollout::shape_upstream`.
        undeployed: Vec::new(),
        redirect: None,
        // Set by assembly from the service's `start_time` and `depends_on`.
        gated: false,
    }
}

/// The callee side of `policy`; `group_of` finds a caller's group by name, `group_names` names
/// every group by id.
pub fn inbound_policy(
    policy: Option<&MeshPolicy>,
    group_of: impl Fn(&str) -> GroupId,
    group_names: &Arc<[Arc<str>]>,
) -> InboundPolicy {
    let Some(policy) = policy else {
        return InboundPolicy::default();
    };
    InboundPolicy {
        group_names: Arc::clone(group_names),
        allow_from: policy
            .allow_from
            .as_ref()
            .map(|callers| callers.iter().map(|caller| group_of(caller).0).collect()),
        rate_limit: policy.rate_limit.as_ref().map(|limit| {
            (
                limit.max_tokens,
                limit.tokens_per_fill,
                limit.fill_interval.as_nanos(),
            )
        }),
        // The service's own keys, not the mesh's: assembly sets them.
        client_rate_limit: None,
        refused_status: 500,
    }
}

/// A publisher confirm that does not come within this fails the publish: a broker that is down
/// or cut off must not hold the publisher's worker forever. `[mesh.BROKER] timeout` overrides it.
pub const PUBLISH_CONFIRM_TIMEOUT_NS: u64 = 5_000_000_000;

/// A store call with no answer within this fails: a database client's query timeout.
/// `[mesh.STORE] timeout` overrides it.
pub const STORE_CALL_TIMEOUT_NS: u64 = 5_000_000_000;

/// The caller side of a host of one node (a broker, a store): its `[mesh.NAME]` policy if there
/// is one, and `default_timeout_ns` when that sets no timeout.
pub fn single_node_upstream_config(
    group: GroupId,
    name: &str,
    node: NodeId,
    policy: Option<&MeshPolicy>,
    default_timeout_ns: u64,
) -> UpstreamConfig {
    let mut config = upstream_config(group, name, vec![node], policy);
    config.timeout_ns.get_or_insert(default_timeout_ns);
    config
}

pub fn load_balancer(balancer: schema::LoadBalancer) -> LoadBalancer {
    match balancer {
        schema::LoadBalancer::RoundRobin => LoadBalancer::RoundRobin,
        schema::LoadBalancer::Random => LoadBalancer::Random,
        schema::LoadBalancer::LeastRequest => LoadBalancer::LeastRequest,
        schema::LoadBalancer::PeakEwma => LoadBalancer::PeakEwma,
    }
}

fn retry_policy(retries: &schema::Retries) -> RetryPolicy {
    let mut retry_on = RetryOn::default();
    for condition in &retries.retry_on {
        match condition {
            schema::RetryOn::FiveXx => retry_on.five_xx = true,
            schema::RetryOn::GatewayError => retry_on.gateway_error = true,
            schema::RetryOn::ConnectFailure => retry_on.connect_failure = true,
            schema::RetryOn::Reset => retry_on.reset = true,
            schema::RetryOn::Retriable4xx => retry_on.retriable_4xx = true,
            schema::RetryOn::RefusedStream => retry_on.refused_stream = true,
            schema::RetryOn::Unavailable => retry_on.unavailable = true,
        }
    }
    let backoff_base_ns = retries.backoff_base.as_nanos();
    let budget = (retries.budget_percent.is_some() || retries.min_retry_concurrency.is_some())
        .then(|| {
            RetryBudget::new(
                retries
                    .budget_percent
                    .map_or(RetryBudget::DEFAULT_PERCENT, Real::get),
                retries
                    .min_retry_concurrency
                    .unwrap_or(RetryBudget::DEFAULT_MIN_RETRY_CONCURRENCY),
            )
        });
    RetryPolicy {
        attempts: retries.attempts,
        per_try_timeout_ns: retries.per_try_timeout.map(Duration::as_nanos),
        retry_on,
        backoff_base_ns,
        backoff_max_ns: retries.backoff_max.map_or(
            backoff_base_ns.saturating_mul(BACKOFF_MAX_FACTOR),
            Duration::as_nanos,
        ),
        budget,
    }
}

/// An HTTP/1 connection carries one request at a time, so the attempts in flight are bounded by
/// the lower of the connection and request limits.
fn pool_limits(pool: &schema::ConnectionPool) -> PoolLimits {
    let max_in_flight = pool
        .max_connections
        .unwrap_or(u32::MAX)
        .min(pool.max_requests.unwrap_or(u32::MAX));
    PoolLimits {
        max_in_flight,
        max_pending: pool.max_pending_requests.unwrap_or(u32::MAX),
    }
}

fn outlier_config(outlier: &schema::OutlierDetection) -> OutlierConfig {
    OutlierConfig {
        consecutive_5xx: outlier.consecutive_5xx,
        consecutive_gateway_failure: outlier.consecutive_gateway_failure,
        interval_ns: outlier.interval.as_nanos(),
        base_ejection_time_ns: outlier.base_ejection_time.as_nanos(),
        max_ejection_time_ns: outlier.max_ejection_time.as_nanos(),
        // Envoy's field is a whole percentage; a fraction rounds down, never ejecting more than
        // the user allowed.
        max_ejection_percent: outlier.max_ejection_percent.get().floor() as u32,
        always_eject_one_host: true,
        success_rate_enabled: outlier.success_rate_stdev_factor.is_some(),
        success_rate_minimum_hosts: outlier.success_rate_minimum_hosts,
        success_rate_request_volume: outlier.success_rate_request_volume,
        success_rate_stdev_factor: outlier.success_rate_stdev_factor.map_or(1.9, Real::get),
    }
}

fn breaker_policy(breaker: &schema::CircuitBreaker) -> BreakerPolicy {
    BreakerPolicy {
        config: BreakerConfig {
            error_threshold_percent: breaker.error_threshold_percent.get(),
            volume_threshold: breaker.volume_threshold,
            window_ns: breaker.window.as_nanos(),
            buckets: breaker.buckets,
            reset_timeout_ns: breaker.reset_timeout.as_nanos(),
            slow_call_duration_ns: breaker.slow_call_duration.map(Duration::as_nanos),
            slow_call_rate_percent: breaker.slow_call_rate_percent.map(Real::get),
        },
        timeout_ns: breaker.timeout.as_nanos(),
        fallback_status: breaker.fallback_status,
    }
}

fn fault_injection(fault: &schema::FaultInjection) -> FaultInjection {
    let probability = |percent: Option<Real>| percent.map_or(0.0, |percent| percent.get() / 100.0);
    FaultInjection {
        delay_ns: fault.delay.map_or(0, Duration::as_nanos),
        delay_probability: if fault.delay.is_some() {
            probability(fault.delay_percent)
        } else {
            0.0
        },
        abort_status: fault.abort_status.unwrap_or(503),
        abort_probability: if fault.abort_status.is_some() {
            probability(fault.abort_percent)
        } else {
            0.0
        },
    }
}

/// `[[mesh.SERVICE.route]]` compiled: each route's header conditions decided for every workload
/// and header value, its weights over the versions' instance ranges (`versions`, by name).
pub fn route_table(
    routes: &[schema::Route],
    versions: &[(String, std::ops::Range<usize>)],
    workloads: &[schema::Workload],
) -> RouteTable {
    let compiled = routes
        .iter()
        .map(|route| {
            let matches = route.matches.as_ref();
            let catch_all = matches.is_none_or(|matches| matches.headers.is_empty());
            let conditions = workloads
                .iter()
                .map(|workload| match matches {
                    None => Some(Vec::new()),
                    Some(matches) => matches
                        .headers
                        .iter()
                        .map(|(name, condition)| header_condition(workload, name, condition))
                        .collect(),
                })
                .collect();
            let weights = route
                .weights
                .iter()
                .map(|(version, weight)| {
                    let range = versions
                        .iter()
                        .find(|(name, _)| name == version)
                        .map(|(_, range)| range.start as u32..range.end as u32)
                        .expect("validated version");
                    (range, weight.get())
                })
                .collect();
            Route {
                conditions,
                catch_all,
                weights,
            }
        })
        .collect();
    RouteTable { routes: compiled }
}

/// An endpoint's `auth = "HEADER"`, per workload: which of its requests carry the header with
/// a value that is not empty (a workload that never sends it never passes).
pub fn auth_conditions(
    header: &str,
    workloads: &[schema::Workload],
) -> Vec<Option<HeaderCondition>> {
    let non_empty = schema::HeaderMatch::How(schema::HeaderMatchHow {
        exact: None,
        prefix: None,
        regex: Some(".+".to_owned()),
    });
    workloads
        .iter()
        .map(|workload| header_condition(workload, header, &non_empty))
        .collect()
}

/// Which of `workload`'s values of header `name` pass `condition`; `None` when the workload
/// never sends the header.
fn header_condition(
    workload: &schema::Workload,
    name: &str,
    condition: &schema::HeaderMatch,
) -> Option<HeaderCondition> {
    let position = workload.headers.get_index_of(name)?;
    let counts: Vec<u32> = workload
        .headers
        .values()
        .map(|values| values.len() as u32)
        .collect();
    // Interned as a mixed-radix number, the first header most significant.
    let divisor = counts[position + 1..].iter().product();
    let test: Box<dyn Fn(&str) -> bool> = match condition {
        schema::HeaderMatch::Exact(exact) => {
            let exact = exact.clone();
            Box::new(move |value| value == exact)
        }
        schema::HeaderMatch::How(how) => {
            if let Some(exact) = how.exact.clone() {
                Box::new(move |value| value == exact)
            } else if let Some(prefix) = how.prefix.clone() {
                Box::new(move |value: &str| value.starts_with(&prefix))
            } else {
                // Envoy's `safe_regex` matches the whole value.
                let pattern = how.regex.as_deref().unwrap_or_default();
                let regex =
                    regex::Regex::new(&format!("^(?:{pattern})$")).expect("validated regex");
                Box::new(move |value| regex.is_match(value))
            }
        }
    };
    let passes = workload.headers[position]
        .keys()
        .map(|value| test(value))
        .collect();
    Some(HeaderCondition {
        divisor,
        count: counts[position],
        passes,
    })
}
