//! Envoy's retry back-off: how long a sidecar waits before sending retry N.
//!
//! Follows Envoy's router documentation (`x-envoy-max-retries`): "Envoy uses a fully jittered
//! exponential back-off algorithm for retries with a default base interval of 25ms. Given a base
//! interval B and retry number N, the back-off for the retry is in the range [0, (2^N-1)B)", and
//! the route's `retry_back_off.max_interval`: "The default is 10 times the `base_interval`". So
//! retries 1, 2 and 3 wait up to 24, 74 and 174 ms (Envoy draws whole milliseconds; meshsim draws
//! nanoseconds), and from retry 4 on every wait is uniform below 250 ms.
//!
//! "Capped at the max" caps the range, not the draw: the wait is uniform in
//! [0, min((2^N − 1) × B, max)), as full jitter means and as Envoy's code caps its interval.
//!
//! Envoy's code has drifted from that documentation: `JitteredBackOffStrategy` starts its interval
//! at B and doubles it after each retry, so retry N is uniform in [0, min(2^(N−1) × B, max)):
//! below 25, 50, 100, 200, then 250 ms. meshsim follows the documented formula, which
//! `mesh-semantics.md` states; the two differ by less than a factor of two and agree once the
//! cap is reached.

use meshsim_sim::SimRng;

/// Envoy's default `base_interval` (runtime key `upstream.base_retry_backoff_ms`): 25 ms.
pub const DEFAULT_BASE_NS: u64 = 25_000_000;

/// Envoy's default `max_interval` is this many times the base interval.
pub const DEFAULT_MAX_MULTIPLE: u64 = 10;

/// The exclusive upper bound of retry `retry_number`'s wait: (2^N − 1) × base, capped at max.
///
/// Saturates instead of overflowing, so any retry number is safe.
pub fn backoff_bound_ns(retry_number: u32, base_ns: u64, max_ns: u64) -> u64 {
    assert!(
        retry_number >= 1,
        "retry numbers start at 1 (the first retry)"
    );
    assert!(base_ns > 0, "Envoy requires a positive base_interval");
    assert!(
        max_ns >= base_ns,
        "Envoy requires max_interval >= base_interval"
    );
    // 2^N − 1 for N < 64; from N = 64 on the multiplier is past any cap anyway.
    let multiplier = 1u64
        .checked_shl(retry_number)
        .map_or(u64::MAX, |power| power - 1);
    multiplier.saturating_mul(base_ns).min(max_ns)
}

/// The wait before retry `retry_number` (1 for the first retry): uniform in
/// [0, [`backoff_bound_ns`]). Draws exactly once from `rng`.
pub fn backoff_ns(retry_number: u32, base_ns: u64, max_ns: u64, rng: &mut SimRng) -> u64 {
    let bound_ns = backoff_bound_ns(retry_number, base_ns, max_ns);
    rng.below(bound_ns)
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_BASE_NS, DEFAULT_MAX_MULTIPLE, backoff_bound_ns, backoff_ns};
    use meshsim_sim::Seeder;

    const MS: u64 = 1_000_000;
    const MAX_NS: u64 = DEFAULT_BASE_NS * DEFAULT_MAX_MULTIPLE;

    #[test]
    fn bounds_follow_the_documented_formula() {
        assert_eq!(backoff_bound_ns(1, DEFAULT_BASE_NS, MAX_NS), 25 * MS);
        assert_eq!(backoff_bound_ns(2, DEFAULT_BASE_NS, MAX_NS), 75 * MS);
        assert_eq!(backoff_bound_ns(3, DEFAULT_BASE_NS, MAX_NS), 175 * MS);
        // (2^4 − 1) × 25 ms = 375 ms is past the 250 ms cap.
        assert_eq!(backoff_bound_ns(4, DEFAULT_BASE_NS, MAX_NS), 250 * MS);
    }

    #[test]
    fn retries_one_two_three_wait_less_than_25_75_175_ms() {
        let mut rng = Seeder::new(1).stream("backoff");
        for (retry, bound_ms) in [(1, 25), (2, 75), (3, 175)] {
            let longest = (0..20_000)
                .map(|_| backoff_ns(retry, DEFAULT_BASE_NS, MAX_NS, &mut rng))
                .max()
                .unwrap();
            assert!(longest < bound_ms * MS, "retry {retry}: {longest}");
            // The top of the range is reached, not just respected.
            assert!(longest > (bound_ms - 1) * MS, "retry {retry}: {longest}");
        }
    }

    #[test]
    fn waits_are_capped_at_the_max_interval() {
        let mut rng = Seeder::new(2).stream("backoff");
        for retry in 4..=12 {
            for _ in 0..2_000 {
                assert!(backoff_ns(retry, DEFAULT_BASE_NS, MAX_NS, &mut rng) < MAX_NS);
            }
        }
        // A cap below the first bound caps the first retry too.
        assert_eq!(backoff_bound_ns(1, 25 * MS, 25 * MS), 25 * MS);
    }

    #[test]
    fn mean_wait_is_half_the_bound() {
        let mut rng = Seeder::new(3).stream("backoff");
        let draws = 40_000u64;
        let total: u64 = (0..draws)
            .map(|_| backoff_ns(2, DEFAULT_BASE_NS, MAX_NS, &mut rng))
            .sum();
        let mean_ms = total as f64 / draws as f64 / MS as f64;
        // Uniform on [0, 75 ms): mean 37.5 ms, standard error about 0.11 ms.
        assert!((mean_ms - 37.5).abs() < 0.6, "{mean_ms}");
    }

    #[test]
    fn huge_retry_numbers_do_not_overflow() {
        for retry in [40, 63, 64, 65, 1_000, u32::MAX] {
            assert_eq!(
                backoff_bound_ns(retry, DEFAULT_BASE_NS, MAX_NS),
                MAX_NS,
                "retry {retry}"
            );
        }
        // A huge base times a large multiplier saturates before the cap applies.
        assert_eq!(backoff_bound_ns(62, u64::MAX / 4, u64::MAX), u64::MAX);
    }

    #[test]
    fn same_seed_gives_the_same_waits() {
        let mut first = Seeder::new(4).stream("backoff");
        let mut second = Seeder::new(4).stream("backoff");
        for retry in 1..=6 {
            assert_eq!(
                backoff_ns(retry, DEFAULT_BASE_NS, MAX_NS, &mut first),
                backoff_ns(retry, DEFAULT_BASE_NS, MAX_NS, &mut second)
            );
        }
    }

    #[test]
    #[should_panic(expected = "retry numbers start at 1")]
    fn retry_zero_is_a_bug() {
        backoff_bound_ns(0, DEFAULT_BASE_NS, MAX_NS);
    }
}
