//! Envoy's limits on concurrent retries to one upstream cluster: the retry budget, and without
//! one, the `max_retries` circuit breaker.
//!
//! From `circuit_breaker.proto`: `budget_percent` "Specifies the limit on concurrent retries as a
//! percentage of the sum of active requests and active pending requests. For example, if there
//! are 100 active requests and the `budget_percent` is set to 25, there may be 25 active retries.
//! [...] Defaults to 20%." `min_retry_concurrency` "Specifies the minimum retry concurrency allowed
//! for the retry budget. The limit on the number of active retries may never go below this number.
//! [...] Defaults to 3." And "If this field is set, the retry budget will override any configured
//! retry circuit breaker", whose `max_retries` is "The maximum number of parallel retries that
//! Envoy will allow to the upstream cluster. If not specified, the default is 3."
//!
//! The arithmetic is Envoy's `RetryBudgetImpl` (`resource_manager_impl.h`): the limit is
//! `std::max<uint64_t>(budget_percent / 100.0 * (active + pending), min_retry_concurrency)`, the
//! float truncated toward zero, and a retry may start while the retries in flight are below it.
//! Envoy's "active requests" count every upstream request in flight, retries included.

/// Envoy's `max_retries` circuit-breaker default: 3 retries in flight at once per cluster.
#[cfg(test)]
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 3;

/// Envoy's `retry_budget`: retries in flight may be `percent` of active plus pending requests,
/// and never fewer than `min_retry_concurrency`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryBudget {
    /// `budget_percent`, 0 to 100. Envoy's default: 20.
    pub percent: f64,
    /// `min_retry_concurrency`. Envoy's default: 3.
    pub min_retry_concurrency: u32,
}

impl RetryBudget {
    pub(crate) const DEFAULT_PERCENT: f64 = 20.0;
    pub(crate) const DEFAULT_MIN_RETRY_CONCURRENCY: u32 = 3;

    pub fn new(percent: f64, min_retry_concurrency: u32) -> Self {
        assert!(
            (0.0..=100.0).contains(&percent),
            "budget_percent {percent} is not a percentage"
        );
        RetryBudget {
            percent,
            min_retry_concurrency,
        }
    }

    /// How many retries may be in flight when `active_requests` upstream requests (retries
    /// included) are in flight and `pending_requests` wait for a connection.
    pub(crate) fn max_active_retries(&self, active_requests: u32, pending_requests: u32) -> u64 {
        let current_active = u64::from(active_requests) + u64::from(pending_requests);
        // Envoy's expression, operation for operation, so the truncation lands where Envoy's does.
        let from_budget = (self.percent / 100.0 * current_active as f64) as u64;
        from_budget.max(u64::from(self.min_retry_concurrency))
    }

    /// Whether one more retry may start now (Envoy's `canCreate`: in flight < limit).
    pub(crate) fn allows(
        &self,
        active_requests: u32,
        pending_requests: u32,
        active_retries: u32,
    ) -> bool {
        u64::from(active_retries) < self.max_active_retries(active_requests, pending_requests)
    }
}

impl Default for RetryBudget {
    /// Envoy's defaults when `retry_budget` is present but empty: 20 %, at least 3.
    fn default() -> Self {
        RetryBudget::new(Self::DEFAULT_PERCENT, Self::DEFAULT_MIN_RETRY_CONCURRENCY)
    }
}

/// Without a budget: whether one more retry may start under the `max_retries` circuit breaker.
#[cfg(test)]
pub(crate) fn default_cap_allows(active_retries: u32, max_retries: u32) -> bool {
    active_retries < max_retries
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_MAX_RETRIES, RetryBudget, default_cap_allows};

    #[test]
    fn budget_caps_retries_at_the_percent_of_active_requests() {
        let budget = RetryBudget::new(25.0, 3);
        // The proto's own example: 100 active requests at 25 % allow 25 active retries.
        assert_eq!(budget.max_active_retries(100, 0), 25);
        assert!(budget.allows(100, 0, 24));
        assert!(!budget.allows(100, 0, 25));
        assert!(!budget.allows(100, 0, 40));
    }

    #[test]
    fn pending_requests_count_toward_the_budget() {
        let budget = RetryBudget::default();
        assert_eq!(budget.max_active_retries(60, 40), 20);
        assert!(budget.allows(60, 40, 19));
        assert!(!budget.allows(60, 40, 20));
    }

    #[test]
    fn floor_applies_at_low_load() {
        let budget = RetryBudget::default();
        // 20 % of 2 is 0.4: the floor of 3 retries applies.
        assert_eq!(budget.max_active_retries(2, 0), 3);
        assert_eq!(budget.max_active_retries(0, 0), 3);
        assert!(budget.allows(0, 0, 2));
        assert!(!budget.allows(0, 0, 3));
    }

    #[test]
    fn budget_truncates_toward_zero() {
        let budget = RetryBudget::default();
        // 20 % of 24 is 4.8: four retries, not five.
        assert_eq!(budget.max_active_retries(24, 0), 4);
        assert_eq!(budget.max_active_retries(25, 0), 5);
        assert!(!budget.allows(24, 0, 4));
    }

    #[test]
    fn a_zero_floor_and_zero_percent_allow_no_retry() {
        let budget = RetryBudget::new(0.0, 0);
        assert!(!budget.allows(1_000, 1_000, 0));
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let budget = RetryBudget::new(100.0, 3);
        assert_eq!(
            budget.max_active_retries(u32::MAX, u32::MAX),
            2 * u64::from(u32::MAX)
        );
        assert!(budget.allows(u32::MAX, u32::MAX, u32::MAX));
    }

    #[test]
    fn default_cap_allows_three_concurrent_retries() {
        assert!(default_cap_allows(0, DEFAULT_MAX_RETRIES));
        assert!(default_cap_allows(2, DEFAULT_MAX_RETRIES));
        assert!(!default_cap_allows(3, DEFAULT_MAX_RETRIES));
        assert!(default_cap_allows(7, u32::MAX));
    }

    #[test]
    #[should_panic(expected = "is not a percentage")]
    fn a_percent_above_100_is_rejected() {
        RetryBudget::new(120.0, 3);
    }
}
