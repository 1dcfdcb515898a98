//! Istio 1.30.3: the Envoy configuration istiod generates, and Envoy's own defaults where istiod
//! leaves a field unset.
//!
//! Read from istio/istio at tag `1.30.3` (commit 56df41f63e51), istio/api at the commit its
//! `go.mod` pins (2e43f07b30b6), and Envoy at v1.37.0 (commit 6d9bb7d9a85d), the release the proxy
//! of Istio 1.30 builds on. Every source below names its repository, tag, path and lines.

use super::{KeySpec, Release};

pub(super) const RELEASE: Release = Release {
    product: "Istio",
    version: "1.30.3",
    source: "istio/istio@1.30.3 (56df41f63e51), istio/api@1.30.3 (2e43f07b30b6)",
    proxy: "Envoy 1.37 (envoyproxy/envoy@v1.37.0, 6d9bb7d9a85d)",
};

/// The retry policy istiod gives every HTTP route without a `retries` block: named, because
/// the mesh's resolver applies it by this name rather than by looking the key up.
pub(super) const RETRIES: KeySpec = KeySpec::new(
    "retries",
    "VirtualService http[].retries",
    "2 retries on connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes (no codes), other hosts first",
    "istio@1.30.3:pilot/pkg/networking/core/route/retry/retry.go#L35-L57 (`DefaultPolicy`), route.go#L679-L707, #L1360-L1367",
    "profiles::istio_retries_a_refused_connection_twice_on_other_hosts",
)
.noting("applies to every HTTP call without a `retries` block; since 1.24 it retries no 503 answer");

pub(super) const KEYS: &[KeySpec] = &[
    KeySpec::new(
        "timeout",
        "VirtualService http[].timeout",
        "off",
        "istio@1.30.3:pilot/pkg/networking/core/route/route.go#L1335-L1358 (`action.Timeout = Notimeout`)",
        "profiles::istio_sets_no_route_timeout_unless_asked",
    )
    .noting("covers every try and back-off; starts after an injected delay, as Envoy's router starts it after the fault filter"),
    KeySpec::new(
        "load_balancer",
        "DestinationRule trafficPolicy.loadBalancer.simple",
        "least_request",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L343-L356 (`defaultLBAlgorithm`)",
        "profiles::istio_balances_by_least_request",
    )
    .noting("round_robin, random or least_request (Envoy's: two draws with replacement, fewer requests in flight wins, the first on a tie)"),
    RETRIES,
    KeySpec::new(
        "retries.attempts",
        "VirtualService http[].retries.attempts (Envoy num_retries)",
        "0",
        "istio@1.30.3:pilot/pkg/networking/core/route/retry/retry.go#L105-L112 (`if in.Attempts <= 0 { return nil }`)",
        "profiles::istio_retries_nothing_when_a_retries_block_omits_attempts",
    )
    .noting("0 turns retries off: a `retries` block without `attempts` retries nothing (check warns)"),
    KeySpec::new(
        "retries.per_try_timeout",
        "VirtualService http[].retries.perTryTimeout",
        "off",
        "istio@1.30.3:pilot/pkg/networking/core/route/retry/retry.go#L126-L128",
        "mesh::a_per_try_timeout_ends_the_try_and_the_retry_goes_to_another_instance",
    )
    .noting("starts when the try has a connection; ignored when not below the route timeout (Envoy router.cc#L256-L258)"),
    KeySpec::new(
        "retries.retry_on",
        "VirtualService http[].retries.retryOn",
        "connect-failure, refused-stream, unavailable, cancelled, retriable-status-codes",
        "istio@1.30.3:pilot/pkg/networking/core/route/retry/retry.go#L35-L57, #L116-L123; envoy@v1.37.0:source/common/router/retry_state_impl.cc#L383-L520",
        "profiles::retry_on_follows_envoys_retry_state",
    )
    .noting("gRPC names (cancelled, unavailable, ...) match only a grpc-status, never an HTTP answer; refused-stream is HTTP/2's, never a refused connection"),
    KeySpec::new(
        "retries.retriable_status_codes",
        "VirtualService http[].retries.retryOn (the numbers in it)",
        "none",
        "istio@1.30.3:pilot/pkg/networking/core/route/retry/retry.go#L152-L174 (`parseRetryOn`)",
        "profiles::retry_on_follows_envoys_retry_state",
    ),
    KeySpec::new(
        "retries.backoff_base",
        "VirtualService http[].retries.backoff",
        "25ms",
        "istio@1.30.3:pilot/pkg/networking/core/route/retry/retry.go#L143-L147; envoy@v1.37.0:source/common/router/retry_state_impl.cc#L90-L104",
        "policy::backoff::retries_one_two_three_wait_less_than_25_50_100_ms",
    )
    .noting("retry N waits uniform in [0, min(base × 2^(N−1), 10 × base)) (envoy@v1.37.0:source/common/common/backoff_strategy.cc#L13-L19)"),
    KeySpec::new(
        "retries.budget_percent",
        "DestinationRule trafficPolicy.retryBudget.percent",
        "20",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L182-L203",
        "mesh::the_retry_budget_allows_a_share_of_active_requests_and_at_least_the_minimum",
    )
    .noting("a budget is set when either budget key is; it replaces `connection_pool.max_retries`"),
    KeySpec::new(
        "retries.min_retry_concurrency",
        "DestinationRule trafficPolicy.retryBudget.minRetryConcurrency",
        "3",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L182-L203",
        "policy::retry_budget::floor_applies_at_low_load",
    ),
    KeySpec::new(
        "retries.retry_ignore_previous_hosts",
        "VirtualService http[].retries.retryIgnorePreviousHosts",
        "true",
        "istio@1.30.3:pilot/pkg/networking/core/route/retry/retry.go#L130-L137; envoy@v1.37.0:source/extensions/load_balancing_policies/common/load_balancer_impl.cc#L617-L634",
        "profiles::istio_retries_a_refused_connection_twice_on_other_hosts",
    )
    .noting("Envoy's previous_hosts predicate with 5 host selection attempts: a retry draws again up to 5 times while it lands on a host already tried"),
    KeySpec::new(
        "connection_pool",
        "DestinationRule trafficPolicy.connectionPool",
        "unlimited",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L437-L451 (`getDefaultCircuitBreakerThresholds`)",
        "profiles::istio_puts_no_limit_on_concurrent_retries",
    )
    .noting("istiod sets Envoy's four thresholds to 2^32 − 1 on every cluster; 0 means unset"),
    KeySpec::new(
        "connection_pool.max_connections",
        "DestinationRule trafficPolicy.connectionPool.tcp.maxConnections",
        "unlimited",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L134-L136, #L437-L451",
        "mesh::pending_calls_wait_for_a_connection_in_order",
    )
    .noting("HTTP/1: one request per connection; without an idle connection to the host a call waits for one, or fails 503 when the pending queue is full"),
    KeySpec::new(
        "connection_pool.max_pending_requests",
        "DestinationRule trafficPolicy.connectionPool.http.http1MaxPendingRequests",
        "unlimited",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L114-L116; envoy@v1.37.0:source/common/conn_pool/conn_pool_base.cc#L347-L353",
        "mesh::a_full_connection_pool_fails_fast_with_503_counted_as_shed_by_the_mesh",
    ),
    KeySpec::new(
        "connection_pool.max_requests",
        "DestinationRule trafficPolicy.connectionPool.http.http2MaxRequests",
        "unlimited",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L111-L113; envoy@v1.37.0:source/common/conn_pool/conn_pool_base.cc#L240-L246",
        "profiles::max_requests_fails_a_call_at_once_instead_of_queueing_it",
    )
    .noting("not a queue: a call that would pass it fails at once with 503 (UO), never retried"),
    KeySpec::new(
        "connection_pool.max_requests_per_connection",
        "DestinationRule trafficPolicy.connectionPool.http.maxRequestsPerConnection",
        "unlimited",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L162-L164",
        "cli::not_simulated_parts_are_said_plainly",
    )
    .noting("no effect: meshsim's connections open at no cost"),
    KeySpec::new(
        "connection_pool.max_retries",
        "DestinationRule trafficPolicy.connectionPool.http.maxRetries",
        "unlimited",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L119-L121, #L437-L451",
        "profiles::istio_puts_no_limit_on_concurrent_retries",
    )
    .noting("retries in flight at once to the cluster; a retry holds its place from the decision through its back-off and try"),
    KeySpec::new(
        "outlier_detection",
        "DestinationRule trafficPolicy.outlierDetection",
        "off",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L453-L521 (`applyOutlierDetection`)",
        "mesh::an_ejected_host_stays_out_longer_each_time_it_is_ejected",
    )
    .noting("per caller's sidecar and per cluster (a version reached through a route is a cluster of its own)"),
    KeySpec::new(
        "outlier_detection.consecutive_5xx",
        "DestinationRule outlierDetection.consecutive5xxErrors",
        "5",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L464-L473; envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::ejects_at_the_fifth_consecutive_5xx",
    )
    .noting("0 turns it off; the deprecated consecutiveErrors is ignored by istiod since 1.7"),
    KeySpec::new(
        "outlier_detection.consecutive_gateway_failure",
        "DestinationRule outlierDetection.consecutiveGatewayErrors",
        "off",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L474-L483",
        "policy::outlier::gateway_failures_do_not_eject_unless_configured",
    ),
    KeySpec::new(
        "outlier_detection.split_external_local_origin_errors",
        "DestinationRule outlierDetection.splitExternalLocalOriginErrors",
        "false",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L495-L503",
        "profiles::split_local_origin_errors_eject_on_their_own_streak",
    )
    .noting("false: refused and reset connections count as 503 and timeouts as 504 toward both streaks"),
    KeySpec::new(
        "outlier_detection.consecutive_local_origin_failure",
        "DestinationRule outlierDetection.consecutiveLocalOriginFailures",
        "5",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L497-L500",
        "profiles::split_local_origin_errors_eject_on_their_own_streak",
    )
    .noting("only with split_external_local_origin_errors"),
    KeySpec::new(
        "outlier_detection.interval",
        "DestinationRule outlierDetection.interval",
        "10s",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L485-L487",
        "policy::outlier::returns_only_at_an_interval_tick_after_the_time_passed",
    ),
    KeySpec::new(
        "outlier_detection.base_ejection_time",
        "DestinationRule outlierDetection.baseEjectionTime",
        "30s",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L488-L490",
        "policy::outlier::ejection_time_grows_with_repeat_ejections_and_is_capped",
    ),
    KeySpec::new(
        "outlier_detection.max_ejection_percent",
        "DestinationRule outlierDetection.maxEjectionPercent",
        "10",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L491-L493; envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L478-L486",
        "profiles::istio_outlier_detection_ejects_nothing_below_ten_instances_by_default",
    )
    .noting("an ejection needs 100 × (ejected + 1) / hosts ≤ this, the first one too: below 10 instances the default ejects nothing"),
    KeySpec::new(
        "outlier_detection.min_health_percent",
        "DestinationRule outlierDetection.minHealthPercent (Envoy healthy_panic_threshold)",
        "0",
        "istio@1.30.3:pilot/pkg/networking/core/cluster_traffic_policy.go#L507-L520",
        "profiles::istio_outlier_detection_turns_panic_mode_off",
    )
    .noting("0: no panic mode; with every host ejected a call finds none (503)"),
    KeySpec::new(
        "fault",
        "VirtualService http[].fault",
        "off",
        "istio@1.30.3:pilot/pkg/networking/core/route/route.go#L1369-L1440 (`TranslateFault`); envoy@v1.37.0:source/extensions/filters/http/fault/fault_filter.cc#L153-L163, #L446-L470",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    )
    .noting("in the caller's sidecar before the router: the delay first, then the abort drawn on its own"),
    KeySpec::new(
        "fault.delay",
        "VirtualService http[].fault.delay.fixedDelay",
        "off",
        "istio@1.30.3:pilot/pkg/networking/core/route/route.go#L1369-L1400",
        "profiles::the_route_timeout_starts_after_an_injected_delay",
    ),
    KeySpec::new(
        "fault.delay_percent",
        "VirtualService http[].fault.delay.percentage.value",
        "0",
        "istio@1.30.3:pilot/pkg/networking/core/route/route.go#L1371-L1400",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    ),
    KeySpec::new(
        "fault.abort_status",
        "VirtualService http[].fault.abort.httpStatus",
        "off",
        "istio@1.30.3:pilot/pkg/networking/core/route/route.go#L1405-L1428",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    ),
    KeySpec::new(
        "fault.abort_percent",
        "VirtualService http[].fault.abort.percentage.value",
        "0",
        "istio@1.30.3:pilot/pkg/networking/core/route/route.go#L1414-L1416",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    ),
    KeySpec::new(
        "rate_limit",
        "EnvoyFilter: envoy.filters.http.local_ratelimit on the callee's inbound listener",
        "off",
        "istio@1.30.3 has no rate-limit API (api networking/v1alpha3/envoy_filter.proto#L396-L415 shows the EnvoyFilter); envoy@v1.37.0:source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc#L77-L83",
        "mesh::the_local_rate_limit_answers_429_beyond_its_token_bucket",
    )
    .noting("a token bucket per instance, full at the start, refilled continuously (Envoy ≥ 1.34): over it, 429"),
    KeySpec::new(
        "rate_limit.max_tokens",
        "local_ratelimit token_bucket.max_tokens",
        "required",
        "envoy@v1.37.0:api/envoy/type/v3/token_bucket.proto#L24-L26",
        "policy::rate_limit::bursts_up_to_max_tokens_from_a_full_start",
    ),
    KeySpec::new(
        "rate_limit.tokens_per_fill",
        "local_ratelimit token_bucket.tokens_per_fill",
        "1",
        "envoy@v1.37.0:api/envoy/type/v3/token_bucket.proto#L28-L30",
        "policy::rate_limit::continuous_refill_accrues_fractions_of_a_fill",
    ),
    KeySpec::new(
        "rate_limit.fill_interval",
        "local_ratelimit token_bucket.fill_interval",
        "required",
        "envoy@v1.37.0:source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc#L102-L105",
        "policy::rate_limit::continuous_refill_accrues_fractions_of_a_fill",
    ),
    KeySpec::new(
        "allow_from",
        "AuthorizationPolicy (ALLOW, from.source.principals)",
        "everyone",
        "istio@1.30.3:pilot/pkg/networking/plugin/authz/authorization.go#L104-L111; tests/integration/security/authz_test.go#L1514-L1519",
        "mesh::allow_from_denies_every_other_caller_with_403",
    )
    .noting("the callee's sidecar answers 403 (`RBAC: access denied`)"),
    KeySpec::new(
        "route",
        "VirtualService http[] (match.headers, route[].destination.subset, weight)",
        "every instance",
        "istio@1.30.3:pilot/pkg/networking/core/route/route.go; each subset a cluster: pilot/pkg/networking/core/cluster_builder.go#L292-L348",
        "profiles::each_version_reached_by_a_route_is_a_cluster_of_its_own",
    )
    .noting("first match wins; each version a route reaches is a cluster of its own, with its own pool, outlier detection and panic threshold"),
];

/// What istiod's Envoy does that no key changes.
pub(super) const BEHAVIOURS: &[KeySpec] = super::envoy::PROXY_BEHAVIOURS;

#[cfg(test)]
mod tests {
    #[test]
    fn sources_name_the_pinned_release() {
        for spec in super::KEYS {
            assert!(
                spec.source.contains("istio@1.30.3") || spec.source.contains("envoy@v1.37.0"),
                "`{}` cites {}",
                spec.key,
                spec.source
            );
        }
    }
}
