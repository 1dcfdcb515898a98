//! Linkerd edge-26.8.3 with its proxy v2.366.0: the policy controller's defaults and the Rust
//! proxy's behaviour.
//!
//! The open-source project publishes only edge releases since stable-2.14.10 (February 2024), so
//! the newest edge release is pinned: linkerd/linkerd2 at `edge-26.8.3` (commit 19a0d90d5a4a),
//! whose `.proxy-version` names linkerd/linkerd2-proxy `release/v2.366.0` (commit 0dcf4e17f4ac).
//! The proxy's balancer and retry budget come from tower 0.5.3.

use super::{KeySpec, Release};

pub(super) const RELEASE: Release = Release {
    product: "Linkerd",
    version: "edge-26.8.3",
    source: "linkerd/linkerd2@edge-26.8.3 (19a0d90d5a4a)",
    proxy: "linkerd2-proxy v2.366.0 (linkerd/linkerd2-proxy@release/v2.366.0, 0dcf4e17f4ac)",
};

pub(super) const KEYS: &[KeySpec] = &[
    KeySpec::new(
        "timeout",
        "HTTPRoute or Service annotation timeout.linkerd.io/request",
        "off",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2236-L2256; linkerd2-proxy@v2.366.0:linkerd/app/core/src/errors/respond.rs#L99-L117",
        "linkerd::linkerd_request_timeout_covers_every_try",
    )
    .noting("a deadline over every try and back-off; 504"),
    KeySpec::new(
        "load_balancer",
        "(none: every Service backend is balanced this way)",
        "peak_ewma",
        "linkerd2@edge-26.8.3:policy-controller/grpc/src/outbound.rs#L820-L836; linkerd2-proxy@v2.366.0:linkerd/pool/p2c/src/lib.rs#L90-L131",
        "mesh::peak_ewma_sends_less_to_the_slower_host",
    )
    .noting("two distinct endpoints drawn, the lower RTT estimate × (in flight + 1) wins; default RTT 30 ms, decay 10 s; only peak_ewma is accepted"),
    KeySpec::new(
        "retries",
        "HTTPRoute or Service annotations retry.linkerd.io/*",
        "none",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index/http.rs#L371-L445",
        "profiles::envoy_and_linkerd_retry_nothing_unless_asked",
    ),
    KeySpec::new(
        "retries.attempts",
        "retry.linkerd.io/limit",
        "1",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index/http.rs#L371-L445 (`limit.unwrap_or(1)`)",
        "linkerd::linkerd_retries_a_5xx_once_by_default",
    ),
    KeySpec::new(
        "retries.retry_on",
        "retry.linkerd.io/http",
        "none",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index/http.rs#L371-L445",
        "linkerd::linkerd_retries_a_5xx_once_by_default",
    )
    .noting("5xx (500–599) or gateway-error (502–504); without it no answer is retried, only a try's timeout (check warns)"),
    KeySpec::new(
        "retries.retriable_status_codes",
        "retry.linkerd.io/http (status codes)",
        "none",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index/http.rs#L371-L445",
        "linkerd::linkerd_retries_a_5xx_once_by_default",
    ),
    KeySpec::new(
        "retries.per_try_timeout",
        "retry.linkerd.io/timeout",
        "off",
        "linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/logical/policy/route/retry.rs#L84-L94, #L127-L154",
        "linkerd::linkerd_retries_a_try_that_runs_out_of_time",
    )
    .noting("a try that runs out is retried; the last try has no such timeout"),
    KeySpec::new(
        "retries.retry_budget",
        "ServiceProfile spec.retryBudget (routes with isRetryable: true)",
        "off",
        "linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/retry.rs#L87-L124",
        "linkerd::linkerd_service_profile_retries_spend_a_budget",
    )
    .noting("set: ServiceProfile retries: 5xx answers are retried while the budget allows, with no attempt limit and no back-off"),
    KeySpec::new(
        "retries.retry_budget.retry_ratio",
        "ServiceProfile spec.retryBudget.retryRatio",
        "0.2",
        "linkerd2@edge-26.8.3:controller/api/destination/profile_translator.go#L159-L167; tower@tower-0.5.3:tower/src/retry/budget/tps_budget.rs#L77-L107",
        "policy::tps_budget::one_retry_per_five_deposits_beyond_the_reserve",
    ),
    KeySpec::new(
        "retries.retry_budget.min_retries_per_second",
        "ServiceProfile spec.retryBudget.minRetriesPerSecond",
        "10",
        "linkerd2@edge-26.8.3:controller/api/destination/profile_translator.go#L159-L167",
        "policy::tps_budget::the_reserve_allows_min_per_sec_times_ttl_retries_without_deposits",
    ),
    KeySpec::new(
        "retries.retry_budget.ttl",
        "ServiceProfile spec.retryBudget.ttl",
        "10s",
        "linkerd2@edge-26.8.3:controller/api/destination/profile_translator.go#L159-L167",
        "policy::tps_budget::deposits_older_than_the_ttl_expire",
    ),
    KeySpec::new(
        "failure_accrual",
        "Service annotation balancer.linkerd.io/failure-accrual: consecutive",
        "off",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2027-L2136; linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/breaker/consecutive_failures.rs#L44-L105",
        "linkerd::linkerd_failure_accrual_shuts_an_endpoint_and_probes_it",
    )
    .noting("per endpoint, per backend, per caller: after the failures in a row the endpoint takes nothing for a penalty, then one probe"),
    KeySpec::new(
        "failure_accrual.consecutive_failures",
        "balancer.linkerd.io/failure-accrual-consecutive-max-failures",
        "7",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2105-L2136",
        "policy::failure_accrual::trips_at_exactly_the_seventh_consecutive_failure",
    )
    .noting("failures: 5xx answers and errors; 429 counts as a success"),
    KeySpec::new(
        "failure_accrual.min_penalty",
        "balancer.linkerd.io/failure-accrual-consecutive-min-penalty",
        "1s",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2105-L2136",
        "policy::failure_accrual::sub_second_penalties_jitter_continuously_within_the_ratio",
    ),
    KeySpec::new(
        "failure_accrual.max_penalty",
        "balancer.linkerd.io/failure-accrual-consecutive-max-penalty",
        "1m",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2105-L2136",
        "policy::failure_accrual::penalties_double_in_whole_seconds_up_to_60_s",
    ),
    KeySpec::new(
        "failure_accrual.jitter_ratio",
        "balancer.linkerd.io/failure-accrual-consecutive-jitter-ratio",
        "0.5",
        "linkerd2@edge-26.8.3:policy-controller/k8s/index/src/outbound/index.rs#L2105-L2136; linkerd2-proxy@v2.366.0:linkerd/exp-backoff/src/lib.rs#L103-L135",
        "policy::failure_accrual::sub_second_penalties_jitter_continuously_within_the_ratio",
    ),
    KeySpec::new(
        "rate_limit",
        "HTTPLocalRateLimitPolicy (policy.linkerd.io/v1alpha1) on the callee's Server",
        "off",
        "linkerd2-proxy@v2.366.0:linkerd/proxy/server-policy/src/local_rate_limit.rs#L50-L103",
        "linkerd::linkerd_rate_limit_allows_a_second_of_burst",
    )
    .noting("GCRA with a burst of one second's requests, per instance, after authorization: over it, 429"),
    KeySpec::new(
        "rate_limit.requests_per_second",
        "HTTPLocalRateLimitPolicy spec.total.requestsPerSecond",
        "required",
        "linkerd2@edge-26.8.3:policy-controller/k8s/api/src/policy/ratelimit_policy.rs#L7-L41",
        "linkerd::linkerd_rate_limit_allows_a_second_of_burst",
    ),
    KeySpec::new(
        "allow_from",
        "AuthorizationPolicy on the callee's Server",
        "everyone",
        "linkerd2@edge-26.8.3:charts/linkerd-control-plane/values.yaml#L248-L251; linkerd2-proxy@v2.366.0:linkerd/app/core/src/errors/respond.rs#L129-L137",
        "mesh::allow_from_denies_every_other_caller_with_403",
    )
    .noting("the callee's proxy answers 403"),
    KeySpec::new(
        "route",
        "HTTPRoute rules[] (matches.headers, backendRefs[].weight)",
        "every instance",
        "linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/logical/policy/router.rs#L148-L181",
        "profiles::each_version_reached_by_a_route_is_a_cluster_of_its_own",
    )
    .noting("each backend a balancer of its own, with its own failure accrual and failfast"),
];

/// What Linkerd's proxy does that no key changes.
pub(super) const BEHAVIOURS: &[KeySpec] = &[
    KeySpec::new(
        "no instance to take a call",
        "balancer queue (LINKERD2_PROXY_OUTBOUND_HTTP_QUEUE_CAPACITY, _FAILFAST_TIMEOUT)",
        "wait up to 3s in a queue of 10000, then 504; 503 until an instance is ready",
        "linkerd2-proxy@v2.366.0:linkerd/app/src/env.rs#L300-L301; linkerd/proxy/balance/queue/src/worker.rs#L44-L50; linkerd/app/outbound/src/http/server.rs#L124-L133",
        "linkerd::linkerd_fails_fast_after_3_s_without_an_instance",
    ),
    KeySpec::new(
        "a refused or reset connection",
        "endpoint stack: ClientRescue",
        "502",
        "linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/endpoint.rs#L162-L175",
        "linkerd::linkerd_answers_502_for_a_refused_connection",
    ),
    KeySpec::new(
        "concurrency limits",
        "LINKERD2_PROXY_OUTBOUND_MAX_IN_FLIGHT",
        "none per service",
        "linkerd2-proxy@v2.366.0:linkerd/app/src/env.rs#L355-L356",
        "linkerd::linkerd_has_no_connection_pool",
    )
    .noting("the proxy's global limit of 100000 requests in flight is not modelled"),
];
