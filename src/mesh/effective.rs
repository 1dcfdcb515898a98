//! The effective policy on calls to one service: every value the caller's sidecar and the
//! callee's run, the file's or the profile's, each with its origin.

use crate::profile::Profile;
use crate::scenario::Duration;
use crate::scenario::schema::{LoadBalancer, RetryOn};

use super::sourced::{Origin, Sourced};

/// What every caller's sidecar does for calls to one service, and what the service's own
/// sidecars enforce.
#[derive(Debug, Clone)]
pub struct Effective {
    pub profile: Profile,
    /// A store or a broker: its callers speak TCP (Redis, `PostgreSQL`, AMQP), so the mesh's HTTP
    /// defaults (retries, balancing) do not apply; only what the file sets does.
    pub tcp: bool,
    pub timeout: Sourced<Option<Duration>>,
    pub load_balancer: Sourced<LoadBalancer>,
    /// `None`: no retries.
    pub retries: Option<Retries>,
    /// The origin of "no retries" when `retries` is `None`.
    pub retries_origin: Origin,
    pub pool: Pool,
    pub outlier: Option<Outlier>,
    pub failure_accrual: Option<FailureAccrual>,
    pub breaker: Option<Breaker>,
    pub fault: Option<Fault>,
    pub rate_limit: Option<RateLimit>,
    pub allow_from: Sourced<Option<Vec<String>>>,
    /// Per `[[mesh.SERVICE.route]]`, in order: the policy of the calls it takes.
    pub routes: Vec<RoutePolicy>,
}

/// The policy of the calls one route takes: its own keys over the service's.
#[derive(Debug, Clone)]
pub struct RoutePolicy {
    /// Whether the route sets any of `timeout`, `retries` or `fault` itself; a route that sets
    /// none runs the service's policy.
    pub own: bool,
    pub timeout: Sourced<Option<Duration>>,
    pub retries: Option<Retries>,
    pub retries_origin: Origin,
    pub fault: Option<Fault>,
}

/// The retry policy.
#[derive(Debug, Clone)]
pub struct Retries {
    /// Retries after the first try; `u32::MAX` for Linkerd's ServiceProfile retries, which only
    /// the budget limits.
    pub attempts: Sourced<u32>,
    pub per_try_timeout: Sourced<Option<Duration>>,
    pub retry_on: Sourced<Vec<RetryOn>>,
    pub retriable_status_codes: Sourced<Vec<u16>>,
    pub backoff: Backoff,
    pub limit: RetryLimit,
    /// A retry draws its host again while it lands on one tried before, this many times
    /// (Envoy's `previous_hosts` predicate); `None`: no predicate.
    pub host_reselections: Sourced<Option<u32>>,
}

/// How long a retry waits first.
#[derive(Debug, Clone)]
pub enum Backoff {
    /// Envoy's: uniform below a bound that doubles from `base` to `max`.
    Envoy {
        base: Sourced<Duration>,
        max: Sourced<Duration>,
    },
    /// Linkerd's controller's: doubling from 25 ms to 250 ms, plus jitter up to the interval.
    Linkerd(Origin),
    /// Linkerd's ServiceProfile retries: at once.
    None(Origin),
}

/// What bounds the retries in flight.
#[derive(Debug, Clone)]
pub enum RetryLimit {
    /// Envoy's `max_retries` circuit breaker: retries in flight at once.
    Concurrent(Sourced<u32>),
    /// Envoy's retry budget.
    Budget {
        percent: Sourced<f64>,
        min_retry_concurrency: Sourced<u32>,
    },
    /// Linkerd's ServiceProfile budget (tower's `TpsBudget`).
    Tps {
        retry_ratio: Sourced<f64>,
        min_retries_per_second: Sourced<u32>,
        ttl: Sourced<Duration>,
    },
    /// Nothing but the attempts (Linkerd's annotations).
    None(Origin),
}

/// Envoy's cluster circuit breakers; `u32::MAX` is no limit.
#[derive(Debug, Clone)]
#[allow(
    clippy::struct_field_names,
    reason = "the fields are named as Envoy's circuit-breaker thresholds are (max_connections, ...)"
)]
pub struct Pool {
    pub max_connections: Sourced<u32>,
    pub max_pending_requests: Sourced<u32>,
    pub max_requests: Sourced<u32>,
    pub max_retries: Sourced<u32>,
    pub max_requests_per_connection: Sourced<u32>,
}

/// Envoy's outlier detection.
#[derive(Debug, Clone)]
pub struct Outlier {
    pub consecutive_5xx: Sourced<u32>,
    pub enforcing_consecutive_5xx: Sourced<u32>,
    /// `None`: off (Istio without `consecutiveGatewayErrors`).
    pub consecutive_gateway_failure: Sourced<Option<u32>>,
    pub enforcing_consecutive_gateway_failure: Sourced<u32>,
    pub split_external_local_origin_errors: Sourced<bool>,
    pub consecutive_local_origin_failure: Sourced<u32>,
    pub enforcing_consecutive_local_origin_failure: Sourced<u32>,
    pub interval: Sourced<Duration>,
    pub base_ejection_time: Sourced<Duration>,
    pub max_ejection_time: Sourced<Duration>,
    pub max_ejection_percent: Sourced<f64>,
    pub always_eject_one_host: Sourced<bool>,
    pub min_health_percent: Sourced<f64>,
    pub success_rate_stdev_factor: Sourced<f64>,
    pub success_rate_minimum_hosts: Sourced<u32>,
    pub success_rate_request_volume: Sourced<u32>,
    pub enforcing_success_rate: Sourced<u32>,
    pub failure_percentage_threshold: Sourced<f64>,
    pub failure_percentage_minimum_hosts: Sourced<u32>,
    pub failure_percentage_request_volume: Sourced<u32>,
    pub enforcing_failure_percentage: Sourced<u32>,
}

/// Linkerd's consecutive failure accrual.
#[derive(Debug, Clone)]
pub struct FailureAccrual {
    pub consecutive_failures: Sourced<u32>,
    pub min_penalty: Sourced<Duration>,
    pub max_penalty: Sourced<Duration>,
    pub jitter_ratio: Sourced<f64>,
}

/// opossum's breaker with resilience4j's slow-call rule.
#[derive(Debug, Clone)]
pub struct Breaker {
    pub timeout: Sourced<Duration>,
    pub error_threshold_percent: Sourced<f64>,
    pub volume_threshold: Sourced<u32>,
    pub window: Sourced<Duration>,
    pub buckets: Sourced<u32>,
    pub reset_timeout: Sourced<Duration>,
    pub fallback_status: Sourced<Option<u16>>,
    pub slow_call_duration: Sourced<Option<Duration>>,
    pub slow_call_rate_percent: Sourced<f64>,
    pub slow_call_minimum_calls: Sourced<u32>,
}

/// Fault injection in the caller's sidecar.
#[derive(Debug, Clone)]
pub struct Fault {
    pub delay: Sourced<Option<Duration>>,
    pub delay_percent: Sourced<f64>,
    pub abort_status: Sourced<Option<u16>>,
    pub abort_percent: Sourced<f64>,
}

/// The callee's local rate limit: a token bucket per instance.
#[derive(Debug, Clone)]
pub struct RateLimit {
    pub max_tokens: Sourced<u32>,
    pub tokens_per_fill: Sourced<u32>,
    pub fill_interval: Sourced<Duration>,
}
