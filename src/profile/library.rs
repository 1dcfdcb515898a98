//! The application's own circuit breaker, the same under every mesh: opossum (the shop seed's
//! `order-service` wraps its payment calls in it), with resilience4j's slow-call rule.
//!
//! Read from nodeshift/opossum at v10.0.0 (commit 6c00a87a021d) and resilience4j at v2.4.0
//! (commit f1c3be8e79d0).

use super::KeySpec;

pub(super) const KEYS: &[KeySpec] = &[
    KeySpec::new(
        "circuit_breaker",
        "opossum CircuitBreaker(action, options) in the caller",
        "off",
        "opossum@v10.0.0:lib/circuit.js#L179-L241",
        "mesh::the_breaker_opens_tries_one_call_half_open_and_closes_when_it_succeeds",
    )
    .noting("in the caller's process, per caller instance; an open breaker answers with the fallback at once"),
    KeySpec::new(
        "circuit_breaker.timeout",
        "options.timeout",
        "10s",
        "opossum@v10.0.0:lib/circuit.js#L179-L189",
        "mesh::a_call_slower_than_the_breaker_timeout_fails",
    )
    .noting("starts when the application calls, before the sidecar's injected delay"),
    KeySpec::new(
        "circuit_breaker.error_threshold_percent",
        "options.errorThresholdPercentage",
        "50",
        "opossum@v10.0.0:lib/circuit.js#L179-L189, #L981-L997",
        "policy::breaker::opens_above_the_threshold_not_at_it",
    ),
    KeySpec::new(
        "circuit_breaker.volume_threshold",
        "options.volumeThreshold",
        "0",
        "opossum@v10.0.0:lib/circuit.js#L238-L241",
        "policy::breaker::stays_closed_below_the_volume_threshold",
    ),
    KeySpec::new(
        "circuit_breaker.window",
        "options.rollingCountTimeout",
        "10s",
        "opossum@v10.0.0:lib/circuit.js#L179-L189",
        "policy::breaker::old_buckets_roll_out_of_the_window",
    ),
    KeySpec::new(
        "circuit_breaker.buckets",
        "options.rollingCountBuckets",
        "10",
        "opossum@v10.0.0:lib/circuit.js#L179-L189",
        "policy::breaker::old_buckets_roll_out_of_the_window",
    ),
    KeySpec::new(
        "circuit_breaker.reset_timeout",
        "options.resetTimeout",
        "30s",
        "opossum@v10.0.0:lib/circuit.js#L179-L189, #L315-L335",
        "policy::breaker::reopens_on_trial_failure_and_restarts_the_timer",
    ),
    KeySpec::new(
        "circuit_breaker.fallback_status",
        "breaker.fallback(() => ...)",
        "off",
        "opossum@v10.0.0:lib/circuit.js#L711-L724",
        "mesh::an_open_breaker_answers_with_the_fallback",
    )
    .noting("without it an open breaker answers 503"),
    KeySpec::new(
        "circuit_breaker.slow_call_duration",
        "resilience4j slowCallDurationThreshold",
        "off",
        "resilience4j@v2.4.0:resilience4j-circuitbreaker/src/main/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerMetrics.java#L111-L126",
        "policy::breaker::slow_calls_open_at_the_slow_call_rate",
    )
    .noting("a call longer than this is slow (resilience4j's own default, 60 s, applies only to a resilience4j breaker)"),
    KeySpec::new(
        "circuit_breaker.slow_call_rate_percent",
        "resilience4j slowCallRateThreshold",
        "100",
        "resilience4j@v2.4.0:resilience4j-circuitbreaker/src/main/java/io/github/resilience4j/circuitbreaker/CircuitBreakerConfig.java#L43-L52",
        "policy::breaker::slow_call_rate_defaults_to_100_percent",
    ),
    KeySpec::new(
        "circuit_breaker.slow_call_minimum_calls",
        "resilience4j minimumNumberOfCalls",
        "100",
        "resilience4j@v2.4.0:resilience4j-circuitbreaker/src/main/java/io/github/resilience4j/circuitbreaker/internal/CircuitBreakerMetrics.java#L141-L176",
        "policy::breaker::the_slow_call_rule_waits_for_the_minimum_number_of_calls",
    )
    .noting("the slow-call rule judges no window holding fewer calls"),
];
