//! Retry back-off: how long a sidecar waits before sending retry N, as Envoy's code and
//! linkerd2-proxy's code compute it.
//!
//! # Envoy
//!
//! Follows `JitteredExponentialBackOffStrategy` at `envoy@v1.37.0` (commit `6d9bb7d9`, read in
//! the `penguingao/envoy` fork, which carries that release commit):
//! `source/common/common/backoff_strategy.cc#L13-L19`:
//!
//! ```text
//! const uint64_t backoff = next_interval_;
//! // Set next_interval_ to max_interval_ if doubling the interval would exceed the max or overflow.
//! next_interval_ = (next_interval_ < doubling_limit_) ? (next_interval_ * 2u) : max_interval_;
//! return (random_.random() % backoff);
//! ```
//!
//! with `next_interval_(base_interval)` (`#L7`) and `doubling_limit_{max_interval_ / 2u}`
//! (`backoff_strategy.h#L47`). The router builds one strategy per request
//! (`source/common/router/retry_state_impl.cc#L90-L104`), with `base_interval` from the route or
//! the runtime key `upstream.base_retry_backoff_ms` (default 25 ms) and `max_interval` from the
//! route or 10 × base. So retry N waits uniform in [0, I(N)) with I(1) = base and
//! I(N+1) = 2 × I(N) while I(N) is below half the max, else the max: in effect
//! min(2^(N−1) × base, max), below 25, 50, 100, 200, then 250 ms with the defaults.
//!
//! Envoy's router documentation still gives the older formula, [0, (2^N − 1) × base), "0-24ms,
//! 0-74ms, 0-174ms" (`docs/root/configuration/http/http_filters/router_filter.rst#L45-L49`).
//! The code replaced it with the doubling in Envoy 1.14 (PR #10417) and the docs were never
//! updated; meshsim follows the code.
//!
//! Where meshsim differs: Envoy draws whole milliseconds (`random() % backoff`, in ms), meshsim
//! draws nanoseconds, so meshsim's mean wait is I(N) / 2 where Envoy's is (I(N) − 1 ms) / 2.
//!
//! # Linkerd
//!
//! Follows `ExponentialBackoff` in
//! `linkerd2-proxy@release/v2.366.0:linkerd/exp-backoff/src/lib.rs`, which Linkerd uses both for
//! retries and for failure-accrual penalties:
//! - `base` (`#L103-L116`): `self.min.checked_mul(2_u32.saturating_pow(iterations))
//!   .unwrap_or(self.max).min(self.max)`. The multiplier saturates at `u32::MAX`, not at 2^32.
//! - `jitter` (`#L118-L136`): nothing when the ratio is 0; otherwise one `f64` draw `u` in [0, 1),
//!   `rand_jitter = u * jitter`, `secs = (base.as_secs() as f64) * rand_jitter`,
//!   `nanos = (base.subsec_nanos() as f64) * rand_jitter`, and
//!   `Duration::new(secs as u64, nanos as u32).min(self.max - base)`. The whole seconds and the
//!   sub-second nanoseconds are scaled and truncated *separately*, so the jitter of a 1 s base at
//!   ratio 0.5 is always 0 and the jitter of a 4 s base is 0 or 1 s.
//! - the stream (`#L161-L189`) waits `base(iterations) + jitter(base)` and counts `iterations` up
//!   from 0, so the first wait uses 2^0.
//!
//! For retries, `linkerd/http/retry/src/lib.rs#L300-L304` builds one stream per request and waits
//! on it before each retry, so retry N uses iteration N − 1. The policy controller always sends
//! min 25 ms, max 250 ms, jitter 1.0 (`linkerd2@edge-26.8.3:policy-controller/grpc/src/outbound/
//! http.rs#L566-L570`): retries wait 25–50, 50–100, 100–200, 200–250, then exactly 250 ms.

use meshsim_sim::SimRng;

const MS: u64 = 1_000_000;
const SECOND_NS: u64 = 1_000_000_000;

/// Envoy's default `base_interval` (runtime key `upstream.base_retry_backoff_ms`): 25 ms.
#[cfg(test)]
pub(crate) const DEFAULT_BASE_NS: u64 = 25 * MS;

/// Envoy's default `max_interval` is this many times the base interval.
#[cfg(test)]
pub(crate) const DEFAULT_MAX_MULTIPLE: u64 = 10;

/// The retry back-off Linkerd's policy controller configures: min 25 ms.
#[cfg(test)]
pub(crate) const LINKERD_RETRY_MIN_NS: u64 = 25 * MS;

/// The retry back-off Linkerd's policy controller configures: max 250 ms.
#[cfg(test)]
pub(crate) const LINKERD_RETRY_MAX_NS: u64 = 250 * MS;

/// The retry back-off Linkerd's policy controller configures: jitter ratio 1.0.
#[cfg(test)]
pub(crate) const LINKERD_RETRY_JITTER_RATIO: f64 = 1.0;

/// Envoy's exclusive upper bound of retry `retry_number`'s wait: `next_interval_` after
/// `retry_number − 1` doublings, each taken only while the interval is below half the max.
pub(crate) fn backoff_bound_ns(retry_number: u32, base_ns: u64, max_ns: u64) -> u64 {
    assert!(
        retry_number >= 1,
        "retry numbers start at 1 (the first retry)"
    );
    assert!(base_ns > 0, "Envoy requires a positive base_interval");
    assert!(
        max_ns >= base_ns,
        "Envoy requires max_interval >= base_interval"
    );
    let doubling_limit_ns = envoy_doubling_limit_ns(max_ns);
    let mut interval_ns = base_ns;
    // A positive interval below the limit (at most u64::MAX / 2) doubles without overflow, and
    // after 63 doublings it would exceed the limit, so 64 steps always reach the max.
    for _ in 1..retry_number.min(65) {
        if interval_ns < doubling_limit_ns {
            interval_ns *= 2;
        } else {
            return max_ns;
        }
    }
    interval_ns
}

/// Envoy's `doubling_limit_ = max_interval_ / 2u`. Envoy's intervals are whole milliseconds, so
/// for a max that is a whole number of milliseconds the halving truncates in milliseconds: a
/// 51 ms max gives a 25 ms limit, and an interval of 25 ms jumps to 51 ms instead of doubling.
fn envoy_doubling_limit_ns(max_ns: u64) -> u64 {
    if max_ns.is_multiple_of(MS) {
        max_ns / MS / 2 * MS
    } else {
        max_ns / 2
    }
}

/// Envoy's wait before retry `retry_number` (1 for the first retry): uniform in
/// [0, [`backoff_bound_ns`]). Draws exactly once from `rng`.
pub(crate) fn backoff_ns(retry_number: u32, base_ns: u64, max_ns: u64, rng: &mut SimRng) -> u64 {
    let bound_ns = backoff_bound_ns(retry_number, base_ns, max_ns);
    rng.below(bound_ns)
}

/// Linkerd's un-jittered wait before retry `retry_number` (1 for the first retry):
/// min × 2^(N−1), the power saturating at `u32::MAX`, capped at max.
pub(crate) fn linkerd_backoff_base_ns(retry_number: u32, min_ns: u64, max_ns: u64) -> u64 {
    assert!(
        retry_number >= 1,
        "retry numbers start at 1 (the first retry)"
    );
    assert!(
        min_ns <= max_ns,
        "Linkerd requires the minimum not to exceed the maximum"
    );
    assert!(max_ns > 0, "Linkerd requires a non-zero maximum");
    let iterations = retry_number - 1;
    let multiplier = u64::from(2u32.saturating_pow(iterations));
    // `Duration::checked_mul` overflowing falls back to the max; a product past u64::MAX
    // nanoseconds is past any max in nanoseconds too, so saturating gives the same result.
    min_ns.saturating_mul(multiplier).min(max_ns)
}

/// Linkerd's wait before retry `retry_number` (1 for the first retry): the base plus a jitter
/// uniform in [0, base × `jitter_ratio`], computed as linkerd2-proxy does and capped so the
/// wait never exceeds `max_ns`. Draws once from `rng`, or not at all when `jitter_ratio` is 0.
pub(crate) fn linkerd_backoff_ns(
    retry_number: u32,
    min_ns: u64,
    max_ns: u64,
    jitter_ratio: f64,
    rng: &mut SimRng,
) -> u64 {
    assert!(
        jitter_ratio.is_finite() && (0.0..=100.0).contains(&jitter_ratio),
        "Linkerd requires a finite jitter ratio in [0, 100], not {jitter_ratio}"
    );
    let base_ns = linkerd_backoff_base_ns(retry_number, min_ns, max_ns);
    if jitter_ratio == 0.0 {
        return base_ns;
    }
    base_ns + linkerd_jitter_ns(base_ns, max_ns, jitter_ratio, rng.unit())
}

/// linkerd2-proxy's jitter for a draw `unit` in [0, 1): whole seconds and sub-second
/// nanoseconds scaled and truncated separately, as `Duration::new(secs as u64, nanos as u32)`
/// does, then capped at what is left below the max.
fn linkerd_jitter_ns(base_ns: u64, max_ns: u64, jitter_ratio: f64, unit: f64) -> u64 {
    debug_assert!((0.0..1.0).contains(&unit), "the draw must be in [0, 1)");
    let rand_jitter = unit * jitter_ratio;
    let base_secs = base_ns / SECOND_NS;
    let base_subsec_ns = base_ns % SECOND_NS;
    // Rust's float-to-int casts truncate toward zero and saturate, as the proxy's do; the
    // sub-second part is cast to u32, so it saturates at about 4.29 s when the ratio is above 4.
    let jitter_secs = (base_secs as f64 * rand_jitter) as u64;
    let jitter_subsec_ns = (base_subsec_ns as f64 * rand_jitter) as u32;
    let jitter_ns = jitter_secs
        .saturating_mul(SECOND_NS)
        .saturating_add(u64::from(jitter_subsec_ns));
    jitter_ns.min(max_ns - base_ns)
}

#[cfg(test)]
mod tests {
    use super::{
        DEFAULT_BASE_NS, DEFAULT_MAX_MULTIPLE, LINKERD_RETRY_JITTER_RATIO, LINKERD_RETRY_MAX_NS,
        LINKERD_RETRY_MIN_NS, backoff_bound_ns, backoff_ns, linkerd_backoff_base_ns,
        linkerd_backoff_ns, linkerd_jitter_ns,
    };
    use meshsim_sim::{Seeder, SimRng};

    const MS: u64 = 1_000_000;
    const SECOND_NS: u64 = 1_000_000_000;
    const MAX_NS: u64 = DEFAULT_BASE_NS * DEFAULT_MAX_MULTIPLE;

    fn linkerd_retry(retry: u32, rng: &mut SimRng) -> u64 {
        linkerd_backoff_ns(
            retry,
            LINKERD_RETRY_MIN_NS,
            LINKERD_RETRY_MAX_NS,
            LINKERD_RETRY_JITTER_RATIO,
            rng,
        )
    }

    #[test]
    fn bounds_follow_envoys_doubling_code() {
        let bounds_ms: Vec<u64> = (1..=6)
            .map(|retry| backoff_bound_ns(retry, DEFAULT_BASE_NS, MAX_NS) / MS)
            .collect();
        // 400 ms is past the 250 ms cap, so retry 5 jumps to the max and stays there.
        assert_eq!(bounds_ms, [25, 50, 100, 200, 250, 250]);
    }

    #[test]
    fn retries_one_two_three_wait_less_than_25_50_100_ms() {
        let mut rng = Seeder::new(1).stream("backoff");
        for (retry, bound_ms) in [(1, 25), (2, 50), (3, 100)] {
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
        // A cap equal to the base caps every retry at the base.
        assert_eq!(backoff_bound_ns(1, 25 * MS, 25 * MS), 25 * MS);
        assert_eq!(backoff_bound_ns(3, 25 * MS, 25 * MS), 25 * MS);
    }

    #[test]
    fn an_interval_at_half_the_max_jumps_to_the_max() {
        // 100 ms is not below 150 / 2 = 75 ms, so the next interval is the max, not 200 ms.
        assert_eq!(backoff_bound_ns(2, 100 * MS, 150 * MS), 150 * MS);
        // Envoy halves a 51 ms max in whole milliseconds: the limit is 25 ms, and an interval of
        // exactly 25 ms is not below it, so retry 2 may wait up to 51 ms rather than 50.
        assert_eq!(backoff_bound_ns(2, 25 * MS, 51 * MS), 51 * MS);
        assert_eq!(backoff_bound_ns(2, 24 * MS, 51 * MS), 48 * MS);
        // A max that is not whole milliseconds is halved in nanoseconds.
        assert_eq!(backoff_bound_ns(2, 25 * MS, 51 * MS + 1), 50 * MS);
    }

    #[test]
    fn mean_wait_is_half_the_bound() {
        let mut rng = Seeder::new(3).stream("backoff");
        let draws = 40_000u64;
        let total: u64 = (0..draws)
            .map(|_| backoff_ns(2, DEFAULT_BASE_NS, MAX_NS, &mut rng))
            .sum();
        let mean_ms = total as f64 / draws as f64 / MS as f64;
        // Uniform on [0, 50 ms): mean 25 ms, standard error about 0.07 ms.
        assert!((mean_ms - 25.0).abs() < 0.4, "{mean_ms}");
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
        // Doubling stops below u64::MAX / 2, so even the widest range cannot overflow.
        assert_eq!(backoff_bound_ns(62, u64::MAX / 4, u64::MAX), u64::MAX);
        assert_eq!(backoff_bound_ns(u32::MAX, 1, u64::MAX), u64::MAX);
        assert_eq!(backoff_bound_ns(64, 1, u64::MAX), 1 << 63);
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
            assert_eq!(
                linkerd_retry(retry, &mut first),
                linkerd_retry(retry, &mut second)
            );
        }
    }

    #[test]
    #[should_panic(expected = "retry numbers start at 1")]
    fn retry_zero_is_a_bug() {
        backoff_bound_ns(0, DEFAULT_BASE_NS, MAX_NS);
    }

    #[test]
    fn linkerd_base_starts_at_the_min_and_doubles_to_the_max() {
        let bases_ms: Vec<u64> = (1..=6)
            .map(|retry| {
                linkerd_backoff_base_ns(retry, LINKERD_RETRY_MIN_NS, LINKERD_RETRY_MAX_NS) / MS
            })
            .collect();
        assert_eq!(bases_ms, [25, 50, 100, 200, 250, 250]);
    }

    #[test]
    fn linkerd_retries_wait_25_50_then_50_100_then_100_200_then_200_250_then_250_ms() {
        let mut rng = Seeder::new(5).stream("backoff");
        for (retry, low_ms, high_ms) in [(1, 25, 50), (2, 50, 100), (3, 100, 200)] {
            let waits: Vec<u64> = (0..20_000)
                .map(|_| linkerd_retry(retry, &mut rng))
                .collect();
            let shortest = *waits.iter().min().unwrap();
            let longest = *waits.iter().max().unwrap();
            // Jitter is in [0, base): the draw is below 1 and the ratio is 1.
            assert!(
                shortest >= low_ms * MS && longest < high_ms * MS,
                "retry {retry}"
            );
            assert!(shortest < (low_ms + 1) * MS, "retry {retry}: {shortest}");
            assert!(longest > (high_ms - 1) * MS, "retry {retry}: {longest}");
        }
        // Retry 4: a 200 ms base and jitter up to 200 ms, cut to the 50 ms left below the max, so
        // three draws in four land exactly on 250 ms.
        let waits: Vec<u64> = (0..20_000).map(|_| linkerd_retry(4, &mut rng)).collect();
        assert!(
            waits
                .iter()
                .all(|&wait| (200 * MS..=250 * MS).contains(&wait))
        );
        let at_max = waits.iter().filter(|&&wait| wait == 250 * MS).count();
        assert!((14_500..15_500).contains(&at_max), "{at_max}");
        // From retry 5 the base is the max and no jitter is left.
        for retry in 5..=9 {
            assert_eq!(linkerd_retry(retry, &mut rng), 250 * MS);
        }
    }

    #[test]
    fn linkerd_jitter_scales_whole_seconds_and_nanoseconds_separately() {
        // A 1 s base at ratio 0.5: 1 × u × 0.5 truncates to 0 s, and there are no sub-second
        // nanoseconds to scale, so the jitter is always zero.
        for unit in [0.0, 0.3, 0.999_999] {
            assert_eq!(linkerd_jitter_ns(SECOND_NS, 60 * SECOND_NS, 0.5, unit), 0);
        }
        // A 4 s base at ratio 0.5: 4 × u × 0.5 truncates to 0 or 1 whole second.
        assert_eq!(
            linkerd_jitter_ns(4 * SECOND_NS, 60 * SECOND_NS, 0.5, 0.49),
            0
        );
        assert_eq!(
            linkerd_jitter_ns(4 * SECOND_NS, 60 * SECOND_NS, 0.5, 0.5),
            SECOND_NS
        );
        // A 1.5 s base at ratio 1 and u = 0.9: 1 × 0.9 → 0 s, 500 ms × 0.9 → 450 ms.
        assert_eq!(
            linkerd_jitter_ns(1_500 * MS, 60 * SECOND_NS, 1.0, 0.9),
            450 * MS
        );
        // Sub-second bases are scaled to the nanosecond.
        assert_eq!(linkerd_jitter_ns(25 * MS, 250 * MS, 1.0, 0.5), 12_500_000);
    }

    #[test]
    fn linkerd_jitter_is_capped_at_what_is_left_below_the_max() {
        assert_eq!(linkerd_jitter_ns(200 * MS, 250 * MS, 1.0, 0.9), 50 * MS);
        assert_eq!(linkerd_jitter_ns(250 * MS, 250 * MS, 1.0, 0.9), 0);
        // Ratios above 4 overflow the u32 of sub-second nanoseconds, which saturates: 500 ms ×
        // 99 would be 49.5 s, but the cast gives u32::MAX nanoseconds, about 4.29 s.
        assert_eq!(
            linkerd_jitter_ns(500 * MS, 1_000 * SECOND_NS, 100.0, 0.99),
            u64::from(u32::MAX)
        );
    }

    #[test]
    fn linkerd_zero_jitter_waits_the_base_and_draws_nothing() {
        let mut rng = Seeder::new(6).stream("backoff");
        let untouched = rng.clone();
        assert_eq!(
            linkerd_backoff_ns(3, 25 * MS, 250 * MS, 0.0, &mut rng),
            100 * MS
        );
        assert_eq!(rng.next_u64(), untouched.clone().next_u64());
        // A non-zero ratio draws once even when no jitter is left below the max.
        let mut drawn = untouched.clone();
        assert_eq!(
            linkerd_backoff_ns(9, 25 * MS, 250 * MS, 1.0, &mut drawn),
            250 * MS
        );
        let mut expected = untouched;
        expected.next_u64();
        assert_eq!(drawn.next_u64(), expected.next_u64());
    }

    #[test]
    fn linkerd_power_saturates_at_u32_max_from_the_33rd_retry() {
        // `2_u32.saturating_pow(32)` is u32::MAX, not 2^32.
        assert_eq!(linkerd_backoff_base_ns(32, 1, u64::MAX), 1 << 31);
        assert_eq!(
            linkerd_backoff_base_ns(33, 1, u64::MAX),
            u64::from(u32::MAX)
        );
        assert_eq!(
            linkerd_backoff_base_ns(u32::MAX, 1, u64::MAX),
            u64::from(u32::MAX)
        );
        // An overflowing product falls back to the max.
        assert_eq!(
            linkerd_backoff_base_ns(40, u64::MAX / 2, u64::MAX),
            u64::MAX
        );
    }

    #[test]
    #[should_panic(expected = "not to exceed the maximum")]
    fn linkerd_min_above_max_is_a_bug() {
        linkerd_backoff_base_ns(1, 2 * SECOND_NS, SECOND_NS);
    }
}
