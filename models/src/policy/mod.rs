//! The resilience policies a sidecar or an application applies to its calls, as pure state
//! machines: no engine, no timers of their own, no clock. Time comes in as [`SimTime`] and
//! randomness as a [`SimRng`] stream, so the same inputs give the same decisions on every
//! machine.
//!
//! Each file is one mechanism and follows one source's semantics, quoted in its module docs:
//! - [`backoff`]: Envoy's fully jittered exponential retry back-off, and linkerd2-proxy's
//!   jittered exponential back-off (its retries and failure-accrual penalties).
//! - [`retry_budget`]: Envoy's retry budget and its `max_retries` circuit breaker.
//! - [`tps_budget`]: tower's `TpsBudget`, the retry budget of Linkerd's service profiles.
//! - [`failure_accrual`]: Linkerd's consecutive failure accrual, a gate per endpoint.
//! - [`outlier`]: Envoy's outlier detection (consecutive 5xx, gateway failures, success rate).
//! - [`breaker`]: opossum's application circuit breaker, with resilience4j's slow-call rule.
//! - [`rate_limit`]: Envoy's local rate limit token bucket.
//! - [`peak_ewma`]: Linkerd's (tower's, after Finagle's) peak-EWMA power-of-two-choices balancer.
//!
//! Their tests are the conformance tests for those semantics: each is named for the behaviour
//! it guards.
//!
//! [`SimTime`]: meshsim_sim::SimTime
//! [`SimRng`]: meshsim_sim::SimRng

pub(crate) mod backoff;
pub(crate) mod breaker;
pub(crate) mod failure_accrual;
pub(crate) mod outlier;
pub(crate) mod peak_ewma;
pub(crate) mod rate_limit;
pub(crate) mod retry_budget;
pub(crate) mod tps_budget;

// The settings the scenario's mesh compiles into; the machines themselves are the sidecar's.
pub use breaker::BreakerConfig;
pub use failure_accrual::FailureAccrualConfig;
pub use outlier::FailurePercentage;
pub use outlier::OutlierConfig;
pub use rate_limit::Refill;
pub use retry_budget::RetryBudget;
pub use tps_budget::TpsBudgetConfig;
