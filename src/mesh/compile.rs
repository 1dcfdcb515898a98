//! The [`Effective`] policy compiled into what the models run: the caller-side
//! [`UpstreamConfig`] every sidecar shares for calls to a service, and the callee-side
//! [`InboundPolicy`] the service's own sidecars enforce.
//!
//! This is where a product's words become mechanisms: Envoy's `retry_on` and Linkerd's status
//! conditions become one [`RetryOn`], Istio's fixed enforcement becomes on or off, Linkerd's
//! GCRA becomes a token bucket. Each rule cites the source it follows.

use std::ops::Range;
use std::sync::Arc;

use meshsim_models::FailureAccrualConfig;
use meshsim_models::FailurePercentage;
use meshsim_models::Refill;
use meshsim_models::TpsBudgetConfig;
use meshsim_models::{
    Backoff, BreakerPolicy, FaultInjection, InboundPolicy, LoadBalancer, NoInstance, PoolLimits,
    RateLimitConfig, RetryLimit, RetryOn, RetryPolicy, RoutePolicy, RouteTable, UpstreamConfig,
};
use meshsim_models::{BreakerConfig, OutlierConfig, RetryBudget};
use meshsim_sim::{GroupId, NodeId};

use crate::profile::Profile;
use crate::scenario::Duration;
use crate::scenario::schema::{self, RetryOn as RetryWord};

use super::effective::{self, Effective};

/// Linkerd's controller's retry back-off (policy-controller/grpc/src/outbound/http.rs#L562-L585).
const LINKERD_BACKOFF_MIN_NS: u64 = 25_000_000;
const LINKERD_BACKOFF_MAX_NS: u64 = 250_000_000;
const LINKERD_BACKOFF_JITTER: f64 = 1.0;

/// Linkerd's outbound balancer queue (linkerd/app/src/env.rs#L300-L301).
const LINKERD_FAILFAST_NS: u64 = 3_000_000_000;
const LINKERD_QUEUE_CAPACITY: u32 = 10_000;

/// Envoy's healthy panic threshold when nothing sets it (round_robin/config.cc#L21-L22).
const ENVOY_PANIC_THRESHOLD_PERCENT: u32 = 50;

/// The caller side of `effective` for the service `name`, whose versions' instances are
/// `subsets`.
pub(crate) fn upstream_config(
    group: GroupId,
    name: &str,
    instances: Vec<NodeId>,
    subsets: Vec<Range<u32>>,
    effective: &Effective,
) -> UpstreamConfig {
    let profile = effective.profile;
    let timeout_ns = effective.timeout.value.map(Duration::as_nanos);
    UpstreamConfig {
        group,
        name: Arc::from(name),
        instances,
        subsets,
        load_balancer: load_balancer(effective.load_balancer.value),
        timeout_ns,
        retries: effective
            .retries
            .as_ref()
            .and_then(|retries| retry_policy(profile, retries, timeout_ns)),
        pool: PoolLimits {
            max_connections: effective.pool.max_connections.value,
            max_pending_requests: effective.pool.max_pending_requests.value,
            max_requests: effective.pool.max_requests.value,
        },
        outlier: effective
            .outlier
            .as_ref()
            .map(|outlier| outlier_config(profile, outlier)),
        panic_threshold_percent: panic_threshold(effective),
        failure_accrual: effective.failure_accrual.as_ref().map(failure_accrual),
        no_instance: match profile {
            Profile::Linkerd => NoInstance::Queue {
                failfast_ns: LINKERD_FAILFAST_NS,
                capacity: LINKERD_QUEUE_CAPACITY,
            },
            Profile::Istio | Profile::Envoy => NoInstance::FailAtOnce,
        },
        // Linkerd's endpoint stack turns an I/O error into a 502 of its own
        // (linkerd/app/outbound/src/http/endpoint.rs#L162-L175); Envoy answers 503 (UF, UC).
        connection_error_status: if profile == Profile::Linkerd {
            502
        } else {
            503
        },
        // Linkerd's retry layer sits above its backend distribution
        // (linkerd/app/outbound/src/http/logical/policy/route.rs#L118-L137).
        route_each_try: profile == Profile::Linkerd,
        breaker: effective.breaker.as_ref().map(breaker_policy),
        fault: effective.fault.as_ref().map(fault_injection),
        // In the order of the routes that set their own keys: `routes::route_table` numbers them.
        route_policies: (effective.routes.iter())
            .filter(|route| route.own)
            .map(|route| route_policy(profile, route))
            .collect(),
        // Routes need the versions' instances and the workloads' headers: `routes::route_table`.
        routes: RouteTable::default(),
        // Rollouts shape these: `rollout::shape_upstream`.
        undeployed: Vec::new(),
        redirect: None,
        // Set by assembly from the service's `start_time` and `depends_on`.
        gated: false,
        report_call_ends: false,
    }
}

/// A route's own policy as the models run it, read by Envoy from the selected route
/// (`RouteAction.timeout`, `retry_policy`, the fault filter's `typed_per_filter_config`:
/// <https://www.envoyproxy.io/docs/envoy/v1.37.0/api-v3/config/route/v3/route_components.proto>).
fn route_policy(profile: Profile, route: &effective::RoutePolicy) -> RoutePolicy {
    let timeout_ns = route.timeout.value.map(Duration::as_nanos);
    RoutePolicy {
        timeout_ns,
        retries: route
            .retries
            .as_ref()
            .and_then(|retries| retry_policy(profile, retries, timeout_ns)),
        fault: route.fault.as_ref().map(fault_injection),
    }
}

/// The callee side of `effective`; `group_of` finds a caller's group by name, `group_names`
/// names every group by id.
pub(crate) fn inbound_policy(
    effective: &Effective,
    allow_from: Option<Vec<GroupId>>,
    group_names: &Arc<[Arc<str>]>,
) -> InboundPolicy {
    InboundPolicy {
        group_names: Arc::clone(group_names),
        // The callers `effective.allow_from` names, resolved to their groups by the caller.
        allow_from: allow_from.map(|groups| groups.iter().map(|group| group.0).collect()),
        // Envoy refills its local rate limit continuously since 1.34 (local_ratelimit_impl.cc
        // #L77-L83); Linkerd's GCRA is the same bucket.
        rate_limit: effective.rate_limit.as_ref().map(|limit| RateLimitConfig {
            max_tokens: limit.max_tokens.value,
            tokens_per_fill: limit.tokens_per_fill.value,
            fill_interval_ns: limit.fill_interval.value.as_nanos(),
            refill: Refill::Continuous,
        }),
        // The service's own keys, not the mesh's: assembly sets them.
        client_rate_limit: None,
        refused_status: 500,
    }
}

/// A publisher confirm that does not come within this fails the publish: a broker that is down
/// or cut off must not hold the publisher's worker forever. `[mesh.BROKER] timeout` overrides it.
pub(crate) const PUBLISH_CONFIRM_TIMEOUT_NS: u64 = 5_000_000_000;

/// A store call with no answer within this fails: a database client's query timeout.
/// `[mesh.STORE] timeout` overrides it.
pub(crate) const STORE_CALL_TIMEOUT_NS: u64 = 5_000_000_000;

/// The caller side of a host of one node (a broker, a store): its effective policy, with
/// `default_timeout_ns` when that sets no timeout.
pub(crate) fn single_node_upstream_config(
    group: GroupId,
    name: &str,
    node: NodeId,
    effective: &Effective,
    default_timeout_ns: u64,
) -> UpstreamConfig {
    let mut config = upstream_config(group, name, vec![node], Vec::new(), effective);
    config.timeout_ns.get_or_insert(default_timeout_ns);
    config
}

pub(crate) fn load_balancer(balancer: schema::LoadBalancer) -> LoadBalancer {
    match balancer {
        schema::LoadBalancer::RoundRobin => LoadBalancer::RoundRobin,
        schema::LoadBalancer::Random => LoadBalancer::Random,
        schema::LoadBalancer::LeastRequest => LoadBalancer::LeastRequest,
        schema::LoadBalancer::PeakEwma => LoadBalancer::PeakEwma,
    }
}

/// The retry policy the models run; `None` when it retries nothing (Istio's `attempts: 0`).
fn retry_policy(
    profile: Profile,
    retries: &effective::Retries,
    route_timeout_ns: Option<u64>,
) -> Option<RetryPolicy> {
    let attempts = retries.attempts.value;
    if attempts == 0 {
        return None;
    }
    let per_try_ns = retries.per_try_timeout.value.map(Duration::as_nanos);
    let per_try_timeout_ns = match (profile, per_try_ns, route_timeout_ns) {
        // Envoy ignores a per-try timeout that is not below the route's (router.cc#L256-L258).
        (Profile::Istio | Profile::Envoy, Some(per_try), Some(route)) if per_try >= route => None,
        _ => per_try_ns,
    };
    let service_profile = matches!(retries.limit, effective::RetryLimit::Tps { .. });
    Some(RetryPolicy {
        attempts,
        per_try_timeout_ns,
        last_try_untimed: profile == Profile::Linkerd,
        retry_on: retry_on(
            profile,
            &retries.retry_on.value,
            &retries.retriable_status_codes.value,
            service_profile,
        ),
        backoff: match &retries.backoff {
            effective::Backoff::Envoy { base, max } => Backoff::Envoy {
                base_ns: base.value.as_nanos(),
                max_ns: max.value.as_nanos(),
            },
            effective::Backoff::Linkerd(_) => Backoff::Linkerd {
                min_ns: LINKERD_BACKOFF_MIN_NS,
                max_ns: LINKERD_BACKOFF_MAX_NS,
                jitter_ratio: LINKERD_BACKOFF_JITTER,
            },
            effective::Backoff::None(_) => Backoff::Immediate,
        },
        limit: retry_limit(&retries.limit),
        host_reselections: retries.host_reselections.value,
    })
}

fn retry_limit(limit: &effective::RetryLimit) -> RetryLimit {
    match limit {
        effective::RetryLimit::Concurrent(max) => RetryLimit::Concurrent(max.value),
        effective::RetryLimit::Budget {
            percent,
            min_retry_concurrency,
        } => RetryLimit::Budget(RetryBudget::new(percent.value, min_retry_concurrency.value)),
        effective::RetryLimit::Tps {
            retry_ratio,
            min_retries_per_second,
            ttl,
        } => RetryLimit::Tps(TpsBudgetConfig {
            ttl_ns: ttl.value.as_nanos(),
            min_per_sec: min_retries_per_second.value,
            // tower computes its amounts in f32, as Linkerd's proto carries the ratio.
            retry_ratio: retry_ratio.value as f32,
        }),
        effective::RetryLimit::None(_) => RetryLimit::Unlimited,
    }
}

/// The failed tries a policy retries.
///
/// Envoy (retry_state_impl.cc#L383-L520): `5xx` covers every 5xx answer and every reset,
/// refused connection and per-try timeout; `gateway-error` the same with 502–504 answers;
/// `reset` the resets, refused connections and per-try timeouts; `connect-failure` refused
/// connections; `retriable-4xx` 409; `retriable-status-codes` its codes. `refused-stream` is
/// HTTP/2's and the gRPC names read a `grpc-status`: neither matches anything meshsim's HTTP/1
/// services send.
///
/// Linkerd (policy-controller/k8s/index/src/outbound/index/http.rs#L371-L445): status ranges
/// only; a refused or reset connection is a 502 from the proxy, and a try out of time is always
/// retried. Its ServiceProfile retries read the default response classes: 5xx.
fn retry_on(
    profile: Profile,
    words: &[RetryWord],
    codes: &[u16],
    service_profile: bool,
) -> RetryOn {
    let mut on = RetryOn::default();
    let has = |word| words.contains(&word);
    if has(RetryWord::FiveXx) {
        on.statuses.push(500..=599);
    }
    if has(RetryWord::GatewayError) {
        on.statuses.push(502..=504);
    }
    if has(RetryWord::Retriable4xx) {
        on.statuses.push(409..=409);
    }
    // Envoy reads `retriable_status_codes` only with `retriable-status-codes`; Istio adds the
    // word when `retryOn` has numbers (retry.go#L121-L123); Linkerd's are its conditions.
    if profile != Profile::Envoy || has(RetryWord::RetriableStatusCodes) {
        on.statuses.extend(codes.iter().map(|&code| code..=code));
    }
    match profile {
        Profile::Linkerd => {
            let gateway = on.status(502);
            on.connect_failure = gateway;
            on.reset = gateway;
            on.try_timeout = !service_profile;
            // ServiceProfile retries read response classes only: an error is never retried.
            on.fail_fast = !service_profile;
        }
        Profile::Istio | Profile::Envoy => {
            let broad = has(RetryWord::FiveXx) || has(RetryWord::GatewayError);
            on.reset = broad || has(RetryWord::Reset);
            on.try_timeout = on.reset;
            on.connect_failure =
                on.reset || has(RetryWord::ConnectFailure) || has(RetryWord::ResetBeforeRequest);
        }
    }
    on
}

fn outlier_config(profile: Profile, outlier: &effective::Outlier) -> OutlierConfig {
    let enforced = |enforcing: &crate::mesh::Sourced<u32>| enforcing.value >= 100;
    let split = outlier.split_external_local_origin_errors.value;
    OutlierConfig {
        consecutive_5xx: if enforced(&outlier.enforcing_consecutive_5xx) {
            outlier.consecutive_5xx.value
        } else {
            0
        },
        consecutive_gateway_failure: outlier
            .consecutive_gateway_failure
            .value
            .filter(|_| enforced(&outlier.enforcing_consecutive_gateway_failure)),
        interval_ns: outlier.interval.value.as_nanos(),
        base_ejection_time_ns: outlier.base_ejection_time.value.as_nanos(),
        // Envoy takes the base time as the maximum when the base is larger (cc#L256-L260).
        max_ejection_time_ns: outlier
            .max_ejection_time
            .value
            .as_nanos()
            .max(outlier.base_ejection_time.value.as_nanos()),
        // Envoy's field is a whole percentage; a fraction rounds down, never ejecting more than
        // the user allowed.
        max_ejection_percent: outlier.max_ejection_percent.value.floor() as u32,
        always_eject_one_host: outlier.always_eject_one_host.value,
        success_rate_enabled: enforced(&outlier.enforcing_success_rate),
        success_rate_minimum_hosts: outlier.success_rate_minimum_hosts.value,
        success_rate_request_volume: outlier.success_rate_request_volume.value,
        success_rate_stdev_factor: outlier.success_rate_stdev_factor.value,
        failure_percentage: enforced(&outlier.enforcing_failure_percentage).then(|| {
            FailurePercentage {
                threshold_percent: outlier.failure_percentage_threshold.value.floor() as u32,
                minimum_hosts: outlier.failure_percentage_minimum_hosts.value,
                request_volume: outlier.failure_percentage_request_volume.value,
            }
        }),
        split_external_local_origin_errors: split,
        consecutive_local_origin_failure: if enforced(
            &outlier.enforcing_consecutive_local_origin_failure,
        ) {
            outlier.consecutive_local_origin_failure.value
        } else {
            0
        },
        // istiod sets `enforcing_local_origin_success_rate` to 0 (cluster_traffic_policy.go
        // #L495-L503); Envoy's default is 100, with success rate itself enforced.
        local_origin_success_rate_enabled: split
            && profile == Profile::Envoy
            && enforced(&outlier.enforcing_success_rate),
    }
}

/// Envoy's healthy panic threshold: Istio writes `minHealthPercent` (0 by default) whenever
/// outlier detection is set (cluster_traffic_policy.go#L507-L520); otherwise Envoy's 50 %.
/// Linkerd has no panic mode: its balancer picks among ready endpoints only.
fn panic_threshold(effective: &Effective) -> u32 {
    match (&effective.outlier, effective.profile) {
        (_, Profile::Linkerd) => 0,
        (Some(outlier), _) => outlier.min_health_percent.value.round() as u32,
        (None, _) => ENVOY_PANIC_THRESHOLD_PERCENT,
    }
}

fn failure_accrual(accrual: &effective::FailureAccrual) -> FailureAccrualConfig {
    FailureAccrualConfig {
        max_failures: accrual.consecutive_failures.value,
        min_penalty_ns: accrual.min_penalty.value.as_nanos(),
        max_penalty_ns: accrual.max_penalty.value.as_nanos(),
        jitter_ratio: accrual.jitter_ratio.value,
    }
}

fn breaker_policy(breaker: &effective::Breaker) -> BreakerPolicy {
    let slow_call_duration_ns = breaker.slow_call_duration.value.map(Duration::as_nanos);
    BreakerPolicy {
        config: BreakerConfig {
            error_threshold_percent: breaker.error_threshold_percent.value,
            volume_threshold: breaker.volume_threshold.value,
            window_ns: breaker.window.value.as_nanos(),
            buckets: breaker.buckets.value,
            reset_timeout_ns: breaker.reset_timeout.value.as_nanos(),
            slow_call_duration_ns,
            slow_call_rate_percent: slow_call_duration_ns
                .map(|_| breaker.slow_call_rate_percent.value),
            slow_call_minimum_calls: breaker.slow_call_minimum_calls.value,
        },
        timeout_ns: breaker.timeout.value.as_nanos(),
        fallback_status: breaker.fallback_status.value,
    }
}

/// A delay or an abort without its percentage touches no request, as in Istio and Envoy.
fn fault_injection(fault: &effective::Fault) -> FaultInjection {
    FaultInjection {
        delay_ns: fault.delay.value.map_or(0, Duration::as_nanos),
        delay_probability: if fault.delay.value.is_some() {
            fault.delay_percent.value / 100.0
        } else {
            0.0
        },
        abort_status: fault.abort_status.value.unwrap_or(503),
        abort_probability: if fault.abort_status.value.is_some() {
            fault.abort_percent.value / 100.0
        } else {
            0.0
        },
    }
}
