//! Envoy 1.37.0 configured by hand: every default is its protos' and its code's.
//!
//! Read from envoyproxy/envoy at the v1.37.0 release commit 6d9bb7d9a85d (through a full-history
//! fork, since the project's own snapshot is too large to fetch). Where Envoy's documentation and
//! its code disagree (the retry back-off, the local rate limit's headers), the code is followed.

use super::{KeySpec, Release};

pub(super) const RELEASE: Release = Release {
    product: "Envoy",
    version: "1.37.0",
    source: "envoyproxy/envoy@v1.37.0 (6d9bb7d9a85d)",
    proxy: "Envoy 1.37.0",
};

pub(super) const KEYS: &[KeySpec] = &[
    KeySpec::new(
        "timeout",
        "route.timeout",
        "15s",
        "envoy@v1.37.0:source/common/router/config_impl.h#L872 (`DEFAULT_ROUTE_TIMEOUT_MS = 15000`)",
        "profiles::envoy_times_a_call_out_after_15_s_by_default",
    )
    .noting("covers every try and back-off; starts after an injected delay"),
    KeySpec::new(
        "load_balancer",
        "cluster.lb_policy",
        "round_robin",
        "envoy@v1.37.0:api/envoy/config/cluster/v3/cluster.proto#L90; round_robin_lb.h#L44-L52",
        "profiles::envoy_balances_round_robin_by_default",
    )
    .noting("round robin starts at a random host; least_request draws two with replacement"),
    KeySpec::new(
        "retries",
        "route.retry_policy",
        "none",
        "envoy@v1.37.0:source/common/router/retry_state_impl.cc#L40-L48",
        "profiles::envoy_and_linkerd_retry_nothing_unless_asked",
    ),
    KeySpec::new(
        "retries.attempts",
        "retry_policy.num_retries",
        "1",
        "envoy@v1.37.0:source/common/router/retry_policy_impl.cc#L39",
        "mesh::retry_on_decides_which_failures_are_retried",
    ),
    KeySpec::new(
        "retries.per_try_timeout",
        "retry_policy.per_try_timeout",
        "off",
        "envoy@v1.37.0:source/common/router/retry_policy_impl.cc#L35-L36; router.cc#L256-L258",
        "mesh::a_per_try_timeout_ends_the_try_and_the_retry_goes_to_another_instance",
    )
    .noting("starts when the try has a connection; ignored when not below the route timeout"),
    KeySpec::new(
        "retries.retry_on",
        "retry_policy.retry_on",
        "none",
        "envoy@v1.37.0:source/common/router/retry_state_impl.cc#L383-L520",
        "profiles::retry_on_follows_envoys_retry_state",
    )
    .noting("empty: nothing is retried (check warns)"),
    KeySpec::new(
        "retries.retriable_status_codes",
        "retry_policy.retriable_status_codes",
        "none",
        "envoy@v1.37.0:source/common/router/retry_state_impl.cc#L414-L429",
        "profiles::retry_on_follows_envoys_retry_state",
    )
    .noting("only with retry_on = [\"retriable-status-codes\"]"),
    KeySpec::new(
        "retries.backoff_base",
        "retry_policy.retry_back_off.base_interval",
        "25ms",
        "envoy@v1.37.0:source/common/router/retry_state_impl.cc#L90-L104",
        "policy::backoff::retries_one_two_three_wait_less_than_25_50_100_ms",
    )
    .noting("retry N waits uniform in [0, min(base × 2^(N−1), max)) (backoff_strategy.cc#L13-L19; the docs' (2^N − 1) × base is stale)"),
    KeySpec::new(
        "retries.backoff_max",
        "retry_policy.retry_back_off.max_interval",
        "250ms",
        "envoy@v1.37.0:source/common/router/retry_state_impl.cc#L90-L104",
        "mesh::back_off_is_capped_at_backoff_max",
    )
    .noting("10 × backoff_base"),
    KeySpec::new(
        "retries.budget_percent",
        "circuit_breakers.thresholds[].retry_budget.budget_percent",
        "20",
        "envoy@v1.37.0:source/common/upstream/upstream_impl.cc#L2019-L2035; resource_manager_impl.h#L140-L157",
        "mesh::the_retry_budget_allows_a_share_of_active_requests_and_at_least_the_minimum",
    )
    .noting("a budget is set when either budget key is; it replaces max_retries"),
    KeySpec::new(
        "retries.min_retry_concurrency",
        "circuit_breakers.thresholds[].retry_budget.min_retry_concurrency",
        "3",
        "envoy@v1.37.0:source/common/upstream/upstream_impl.cc#L2019-L2035",
        "policy::retry_budget::floor_applies_at_low_load",
    ),
    KeySpec::new(
        "retries.retry_ignore_previous_hosts",
        "retry_policy.retry_host_predicate: envoy.retry_host_predicates.previous_hosts",
        "false",
        "envoy@v1.37.0:source/extensions/retry/host/previous_hosts/previous_hosts.h#L9-L15",
        "profiles::envoy_retries_may_land_on_the_host_that_failed",
    ),
    KeySpec::new(
        "retries.host_selection_retry_max_attempts",
        "retry_policy.host_selection_retry_max_attempts",
        "1",
        "envoy@v1.37.0:source/common/router/retry_policy_impl.h#L79; load_balancer_impl.cc#L617-L634",
        "profiles::envoy_retries_may_land_on_the_host_that_failed",
    )
    .noting("draws again while a retry lands on a host tried before, this many times, then takes the last draw"),
    KeySpec::new(
        "connection_pool",
        "cluster.circuit_breakers.thresholds",
        "1024 connections, 1024 pending, 1024 requests, 3 retries",
        "envoy@v1.37.0:source/common/upstream/upstream_impl.cc#L2052-L2057",
        "mesh::without_a_budget_envoy_caps_concurrent_retries_at_three",
    ),
    KeySpec::new(
        "connection_pool.max_connections",
        "circuit_breakers.thresholds[].max_connections",
        "1024",
        "envoy@v1.37.0:source/common/upstream/upstream_impl.cc#L2052-L2057; conn_pool_base.cc#L198-L228",
        "mesh::pending_calls_wait_for_a_connection_in_order",
    )
    .noting("HTTP/1: one request per connection; a host with no connection may always open one"),
    KeySpec::new(
        "connection_pool.max_pending_requests",
        "circuit_breakers.thresholds[].max_pending_requests",
        "1024",
        "envoy@v1.37.0:source/common/conn_pool/conn_pool_base.cc#L347-L353",
        "mesh::a_full_connection_pool_fails_fast_with_503_counted_as_shed_by_the_mesh",
    ),
    KeySpec::new(
        "connection_pool.max_requests",
        "circuit_breakers.thresholds[].max_requests",
        "1024",
        "envoy@v1.37.0:source/common/conn_pool/conn_pool_base.cc#L240-L246",
        "profiles::max_requests_fails_a_call_at_once_instead_of_queueing_it",
    )
    .noting("not a queue: checked when a call gets its connection; beyond it 503 (UO) at once, never retried"),
    KeySpec::new(
        "connection_pool.max_requests_per_connection",
        "cluster.typed_extension_protocol_options common_http_protocol_options.max_requests_per_connection",
        "unlimited",
        "envoy@v1.37.0:api/envoy/config/core/v3/protocol.proto#L376-L380",
        "cli::not_simulated_parts_are_said_plainly",
    )
    .noting("no effect: meshsim's connections open at no cost"),
    KeySpec::new(
        "connection_pool.max_retries",
        "circuit_breakers.thresholds[].max_retries",
        "3",
        "envoy@v1.37.0:source/common/upstream/upstream_impl.cc#L2052-L2057; retry_state_impl.cc#L269-L336",
        "mesh::without_a_budget_envoy_caps_concurrent_retries_at_three",
    )
    .noting("taken when a retry is decided, held through its back-off and try"),
    KeySpec::new(
        "outlier_detection",
        "cluster.outlier_detection",
        "off",
        "envoy@v1.37.0:api/envoy/config/cluster/v3/outlier_detection.proto#L29-L179",
        "mesh::an_ejected_host_stays_out_longer_each_time_it_is_ejected",
    ),
    KeySpec::new(
        "outlier_detection.consecutive_5xx",
        "outlier_detection.consecutive_5xx",
        "5",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::ejects_at_the_fifth_consecutive_5xx",
    ),
    KeySpec::new(
        "outlier_detection.enforcing_consecutive_5xx",
        "outlier_detection.enforcing_consecutive_5xx",
        "100",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::ejects_at_the_fifth_consecutive_5xx",
    )
    .noting("0 or 100: meshsim does not draw partial enforcement"),
    KeySpec::new(
        "outlier_detection.consecutive_gateway_failure",
        "outlier_detection.consecutive_gateway_failure",
        "5",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::gateway_failures_do_not_eject_unless_configured",
    ),
    KeySpec::new(
        "outlier_detection.enforcing_consecutive_gateway_failure",
        "outlier_detection.enforcing_consecutive_gateway_failure",
        "0",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::gateway_failures_do_not_eject_unless_configured",
    ),
    KeySpec::new(
        "outlier_detection.split_external_local_origin_errors",
        "outlier_detection.split_external_local_origin_errors",
        "false",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L131-L172",
        "profiles::split_local_origin_errors_eject_on_their_own_streak",
    ),
    KeySpec::new(
        "outlier_detection.consecutive_local_origin_failure",
        "outlier_detection.consecutive_local_origin_failure",
        "5",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "profiles::split_local_origin_errors_eject_on_their_own_streak",
    ),
    KeySpec::new(
        "outlier_detection.enforcing_consecutive_local_origin_failure",
        "outlier_detection.enforcing_consecutive_local_origin_failure",
        "100",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "profiles::split_local_origin_errors_eject_on_their_own_streak",
    ),
    KeySpec::new(
        "outlier_detection.interval",
        "outlier_detection.interval",
        "10s",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::returns_only_at_an_interval_tick_after_the_time_passed",
    ),
    KeySpec::new(
        "outlier_detection.base_ejection_time",
        "outlier_detection.base_ejection_time",
        "30s",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::ejection_time_grows_with_repeat_ejections_and_is_capped",
    ),
    KeySpec::new(
        "outlier_detection.max_ejection_time",
        "outlier_detection.max_ejection_time",
        "5m",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L256-L260",
        "policy::outlier::ejection_time_grows_with_repeat_ejections_and_is_capped",
    ),
    KeySpec::new(
        "outlier_detection.max_ejection_percent",
        "outlier_detection.max_ejection_percent",
        "10",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L478-L486",
        "profiles::istio_outlier_detection_ejects_nothing_below_ten_instances_by_default",
    )
    .noting("an ejection needs 100 × (ejected + 1) / hosts ≤ this, the first one too"),
    KeySpec::new(
        "outlier_detection.always_eject_one_host",
        "outlier_detection.always_eject_one_host",
        "false",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L221-L222, #L478-L486",
        "policy::outlier::always_eject_one_host_allows_only_the_first_ejection",
    ),
    KeySpec::new(
        "outlier_detection.min_health_percent",
        "cluster.common_lb_config.healthy_panic_threshold",
        "50",
        "envoy@v1.37.0:source/extensions/load_balancing_policies/common/load_balancer_impl.cc#L636-L651",
        "mesh::below_half_healthy_the_balancer_panics_and_uses_every_host",
    )
    .noting("below this share of healthy hosts the balancer uses every host, ejected ones too; 0 never panics"),
    KeySpec::new(
        "outlier_detection.success_rate_stdev_factor",
        "outlier_detection.success_rate_stdev_factor (÷ 1000)",
        "1.9",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L615-L643",
        "policy::outlier::success_rate_uses_the_population_standard_deviation",
    ),
    KeySpec::new(
        "outlier_detection.success_rate_minimum_hosts",
        "outlier_detection.success_rate_minimum_hosts",
        "5",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::success_rate_needs_the_minimum_hosts",
    ),
    KeySpec::new(
        "outlier_detection.success_rate_request_volume",
        "outlier_detection.success_rate_request_volume",
        "100",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "policy::outlier::success_rate_needs_the_request_volume",
    ),
    KeySpec::new(
        "outlier_detection.enforcing_success_rate",
        "outlier_detection.enforcing_success_rate",
        "100",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "mesh::success_rate_ejection_is_envoys_default_and_istio_turns_it_off",
    ),
    KeySpec::new(
        "outlier_detection.failure_percentage_threshold",
        "outlier_detection.failure_percentage_threshold",
        "85",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L645-L744",
        "profiles::failure_percentage_ejects_hosts_failing_most_calls",
    ),
    KeySpec::new(
        "outlier_detection.failure_percentage_minimum_hosts",
        "outlier_detection.failure_percentage_minimum_hosts",
        "5",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "profiles::failure_percentage_ejects_hosts_failing_most_calls",
    ),
    KeySpec::new(
        "outlier_detection.failure_percentage_request_volume",
        "outlier_detection.failure_percentage_request_volume",
        "50",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "profiles::failure_percentage_ejects_hosts_failing_most_calls",
    ),
    KeySpec::new(
        "outlier_detection.enforcing_failure_percentage",
        "outlier_detection.enforcing_failure_percentage",
        "0",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.h#L348-L368",
        "profiles::failure_percentage_ejects_hosts_failing_most_calls",
    ),
    KeySpec::new(
        "fault",
        "http_filters: envoy.filters.http.fault, before the router",
        "off",
        "envoy@v1.37.0:source/extensions/filters/http/fault/fault_filter.cc#L153-L163, #L446-L470",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    )
    .noting("the delay first, then the abort drawn on its own; the route timeout starts after the delay"),
    KeySpec::new(
        "fault.delay",
        "fault.delay.fixed_delay",
        "off",
        "envoy@v1.37.0:source/extensions/filters/http/fault/fault_filter.cc#L153-L163",
        "profiles::the_route_timeout_starts_after_an_injected_delay",
    ),
    KeySpec::new(
        "fault.delay_percent",
        "fault.delay.percentage",
        "0",
        "envoy@v1.37.0:api/envoy/type/v3/percent.proto#L51-L56",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    ),
    KeySpec::new(
        "fault.abort_status",
        "fault.abort.http_status",
        "off",
        "envoy@v1.37.0:source/extensions/filters/http/fault/fault_filter.cc#L446-L480",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    ),
    KeySpec::new(
        "fault.abort_percent",
        "fault.abort.percentage",
        "0",
        "envoy@v1.37.0:api/envoy/type/v3/percent.proto#L51-L56",
        "mesh::fault_injection_aborts_and_delays_the_given_shares",
    ),
    KeySpec::new(
        "rate_limit",
        "http_filters: envoy.filters.http.local_ratelimit on the callee's listener",
        "off",
        "envoy@v1.37.0:source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc#L77-L83; source/common/common/token_bucket_impl.h#L56-L80",
        "mesh::the_local_rate_limit_answers_429_beyond_its_token_bucket",
    )
    .noting("a token bucket per instance, full at the start, refilled continuously: over it, 429"),
    KeySpec::new(
        "rate_limit.max_tokens",
        "local_ratelimit.token_bucket.max_tokens",
        "required",
        "envoy@v1.37.0:api/envoy/type/v3/token_bucket.proto#L24-L26",
        "policy::rate_limit::bursts_up_to_max_tokens_from_a_full_start",
    ),
    KeySpec::new(
        "rate_limit.tokens_per_fill",
        "local_ratelimit.token_bucket.tokens_per_fill",
        "1",
        "envoy@v1.37.0:api/envoy/type/v3/token_bucket.proto#L28-L30",
        "policy::rate_limit::continuous_refill_accrues_fractions_of_a_fill",
    ),
    KeySpec::new(
        "rate_limit.fill_interval",
        "local_ratelimit.token_bucket.fill_interval",
        "required",
        "envoy@v1.37.0:source/extensions/filters/common/local_ratelimit/local_ratelimit_impl.cc#L102-L105",
        "policy::rate_limit::continuous_refill_accrues_fractions_of_a_fill",
    ),
    KeySpec::new(
        "allow_from",
        "http_filters: envoy.filters.http.rbac on the callee's listener",
        "everyone",
        "envoy@v1.37.0:source/extensions/filters/http/rbac/rbac_filter.cc (`sendLocalReply(Http::Code::Forbidden, \"RBAC: access denied\")`)",
        "mesh::allow_from_denies_every_other_caller_with_403",
    ),
    KeySpec::new(
        "route",
        "route_config virtual_hosts[].routes (match.headers, route.weighted_clusters)",
        "every instance",
        "envoy@v1.37.0:api/envoy/config/route/v3/route_components.proto",
        "profiles::each_version_reached_by_a_route_is_a_cluster_of_its_own",
    )
    .noting("first match wins; each version a route reaches is a cluster of its own"),
];

/// What Envoy does that no key changes.
pub(super) const BEHAVIOURS: &[KeySpec] = PROXY_BEHAVIOURS;

/// Envoy's answers of its own, shared by every profile that runs Envoy.
pub(super) const PROXY_BEHAVIOURS: &[KeySpec] = &[
    KeySpec::new(
        "no instance to take a call",
        "router: no healthy upstream (UH)",
        "503 at once",
        "envoy@v1.37.0:source/common/router/router.cc#L948-L956, #L2256-L2261",
        "faults::a_crashed_instance_refuses_after_one_round_trip_then_leaves_the_balancer",
    ),
    KeySpec::new(
        "a refused or reset connection",
        "router: upstream connect failure (UF), connection termination (UC)",
        "503",
        "envoy@v1.37.0:source/common/router/router.cc#L1552-L1554, #L1606-L1632",
        "profiles::retry_on_follows_envoys_retry_state",
    ),
    KeySpec::new(
        "a try or a call out of time",
        "router: upstream request timeout (UT)",
        "504",
        "envoy@v1.37.0:source/common/router/router.cc#L1289-L1290, #L1363-L1368",
        "mesh::the_route_timeout_covers_the_whole_request_and_cuts_retries_short",
    ),
    KeySpec::new(
        "outlier detection's sweeps",
        "DetectorImpl interval timer",
        "every interval from the start",
        "envoy@v1.37.0:source/common/upstream/outlier_detection_impl.cc#L358-L374",
        "policy::outlier::returns_only_at_an_interval_tick_after_the_time_passed",
    ),
];
