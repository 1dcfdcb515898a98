//! Distributions of durations, sampled in whole nanoseconds.
//!
//! Transcendental functions come from the pure-Rust `libm`, not the platform's, so a draw gives
//! the same bits on every machine and operating system.

use std::sync::Arc;

use crate::rng::SimRng;

/// z such that P(Z <= z) = 0.99 for a standard normal Z: turns a lognormal's p99 into sigma.
const NORMAL_Z_P99: f64 = 2.326_347_874_040_841;

/// A distribution of non-negative durations in nanoseconds.
///
/// The data-driven variants hold their tables behind an `Arc`, so the enum stays as small as its
/// two-number variants (the hot path copies and matches it) and a clone is a reference count.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    Const {
        value_ns: u64,
    },
    Uniform {
        min_ns: u64,
        max_ns: u64,
    },
    Exp {
        mean_ns: f64,
    },
    /// Cut at zero: a negative draw counts as zero.
    Normal {
        mean_ns: f64,
        stddev_ns: f64,
    },
    /// `ln(X)` is normal with mean `mu` and deviation `sigma` (of nanoseconds).
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// Each draw is one of the samples, each equally likely: the samples' empirical
    /// distribution, resampled as recorded, without interpolation. Never empty.
    Empirical(Arc<[u64]>),
    /// A part chosen with its weight, then a draw from it. Weights are positive and sum to 1.
    Mixture(Arc<[(f64, Distribution)]>),
}

// The chain bench is sensitive to the enum's size: the data-driven variants must not grow it.
const _: () = assert!(std::mem::size_of::<Distribution>() <= 24);

impl Distribution {
    pub const ZERO: Distribution = Distribution::Const { value_ns: 0 };

    /// A lognormal given by its median and 99th percentile, as users think of latency.
    pub fn lognormal(median_ns: u64, p99_ns: u64) -> Self {
        assert!(
            median_ns > 0 && p99_ns >= median_ns,
            "lognormal needs 0 < median <= p99"
        );
        let mu = libm::log(median_ns as f64);
        let sigma = libm::log(p99_ns as f64 / median_ns as f64) / NORMAL_Z_P99;
        Distribution::LogNormal { mu, sigma }
    }

    /// The empirical distribution of `samples_ns`: each draw is one of them.
    pub fn empirical(samples_ns: Arc<[u64]>) -> Self {
        assert!(
            !samples_ns.is_empty(),
            "an empirical distribution needs samples"
        );
        Distribution::Empirical(samples_ns)
    }

    /// A mixture of `parts`, each with its weight: weights positive, summing to 1.
    pub fn mixture(parts: Arc<[(f64, Distribution)]>) -> Self {
        assert!(
            !parts.is_empty() && parts.iter().all(|(weight, _)| *weight > 0.0),
            "a mixture needs parts with positive weights"
        );
        let total: f64 = parts.iter().map(|(weight, _)| weight).sum();
        assert!((total - 1.0).abs() < 1e-6, "mixture weights sum to {total}");
        Distribution::Mixture(parts)
    }

    /// The mean, for documentation and for the statistical tests.
    pub fn mean_ns(&self) -> f64 {
        match *self {
            Distribution::Const { value_ns } => value_ns as f64,
            Distribution::Uniform { min_ns, max_ns } => f64::midpoint(min_ns as f64, max_ns as f64),
            Distribution::Exp { mean_ns } | Distribution::Normal { mean_ns, .. } => mean_ns,
            Distribution::LogNormal { mu, sigma } => libm::exp(mu + sigma * sigma / 2.0),
            Distribution::Empirical(ref samples_ns) => {
                let total: f64 = samples_ns.iter().map(|&sample| sample as f64).sum();
                total / samples_ns.len() as f64
            }
            Distribution::Mixture(ref parts) => parts
                .iter()
                .map(|(weight, part)| weight * part.mean_ns())
                .sum(),
        }
    }

    /// True when every draw is zero: lets hot paths skip drawing.
    pub fn is_zero(&self) -> bool {
        matches!(self, Distribution::Const { value_ns: 0 })
    }

    /// One draw. A constant draws nothing from the stream.
    pub fn sample_ns(&self, rng: &mut SimRng) -> u64 {
        match *self {
            Distribution::Const { value_ns } => value_ns,
            Distribution::Uniform { min_ns, max_ns } => {
                if max_ns <= min_ns {
                    min_ns
                } else {
                    min_ns + rng.below(max_ns - min_ns + 1)
                }
            }
            Distribution::Exp { mean_ns } => to_nanos(-mean_ns * libm::log(rng.unit_open_zero())),
            Distribution::Normal { mean_ns, stddev_ns } => {
                to_nanos(mean_ns + stddev_ns * standard_normal(rng))
            }
            Distribution::LogNormal { mu, sigma } => {
                to_nanos(libm::exp(mu + sigma * standard_normal(rng)))
            }
            Distribution::Empirical(ref samples_ns) => {
                let index = rng.below(samples_ns.len() as u64);
                usize::try_from(index)
                    .ok()
                    .and_then(|index| samples_ns.get(index))
                    .copied()
                    .unwrap_or(0)
            }
            Distribution::Mixture(ref parts) => choose_part(parts, rng.unit()).sample_ns(rng),
        }
    }

    /// The same distribution with every duration multiplied by `factor` (a slower version).
    #[must_use]
    pub fn scaled(&self, factor: f64) -> Self {
        assert!(
            factor >= 0.0 && factor.is_finite(),
            "scale factor {factor} is not a time factor"
        );
        match *self {
            Distribution::Const { value_ns } => Distribution::Const {
                value_ns: to_nanos(value_ns as f64 * factor),
            },
            Distribution::Uniform { min_ns, max_ns } => Distribution::Uniform {
                min_ns: to_nanos(min_ns as f64 * factor),
                max_ns: to_nanos(max_ns as f64 * factor),
            },
            Distribution::Exp { mean_ns } => Distribution::Exp {
                mean_ns: mean_ns * factor,
            },
            Distribution::Normal { mean_ns, stddev_ns } => Distribution::Normal {
                mean_ns: mean_ns * factor,
                stddev_ns: stddev_ns * factor,
            },
            Distribution::LogNormal { mu, sigma } => {
                if factor == 0.0 {
                    Distribution::ZERO
                } else {
                    Distribution::LogNormal {
                        mu: mu + libm::log(factor),
                        sigma,
                    }
                }
            }
            Distribution::Empirical(ref samples_ns) => Distribution::Empirical(
                samples_ns
                    .iter()
                    .map(|&sample| to_nanos(sample as f64 * factor))
                    .collect(),
            ),
            Distribution::Mixture(ref parts) => Distribution::Mixture(
                parts
                    .iter()
                    .map(|(weight, part)| (*weight, part.scaled(factor)))
                    .collect(),
            ),
        }
    }
}

/// The part whose slice of `[0, 1)` holds `unit`, the weights laid end to end. The last part
/// also takes whatever rounding leaves past the weights' float sum, so a draw always lands.
fn choose_part(parts: &[(f64, Distribution)], unit: f64) -> &Distribution {
    let mut upper = 0.0;
    for (weight, part) in parts {
        upper += weight;
        if unit < upper {
            return part;
        }
    }
    match parts.last() {
        Some((_, part)) => part,
        None => &Distribution::ZERO,
    }
}

/// Box–Muller: one standard normal from two uniforms.
fn standard_normal(rng: &mut SimRng) -> f64 {
    let radius = libm::sqrt(-2.0 * libm::log(rng.unit_open_zero()));
    let angle = 2.0 * std::f64::consts::PI * rng.unit();
    radius * libm::cos(angle)
}

/// Rounds a draw to whole nanoseconds, negative to zero, and caps it at a year so a wild tail
/// draw cannot push an event past the end of time.
fn to_nanos(value: f64) -> u64 {
    const YEAR_NS: f64 = 365.0 * 86_400.0 * 1e9;
    if value.is_nan() || value <= 0.0 {
        0
    } else {
        // Adding a half and truncating rounds half up, exactly, in one IEEE operation.
        (value.min(YEAR_NS) + 0.5) as u64
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Distribution;
    use crate::rng::Seeder;

    fn sample_mean(distribution: &Distribution, count: u32) -> f64 {
        let mut rng = Seeder::new(3).stream("test");
        let total: f64 = (0..count)
            .map(|_| distribution.sample_ns(&mut rng) as f64)
            .sum();
        total / f64::from(count)
    }

    #[test]
    fn sample_means_match_the_distribution_means() {
        let cases = [
            Distribution::Const { value_ns: 500 },
            Distribution::Uniform {
                min_ns: 1_000,
                max_ns: 3_000,
            },
            Distribution::Exp { mean_ns: 1e6 },
            Distribution::Normal {
                mean_ns: 1e6,
                stddev_ns: 1e5,
            },
            Distribution::lognormal(1_000_000, 10_000_000),
        ];
        for distribution in cases {
            let expected = distribution.mean_ns();
            let observed = sample_mean(&distribution, 200_000);
            let relative = (observed - expected).abs() / expected;
            assert!(
                relative < 0.02,
                "{distribution:?}: mean {observed} vs {expected}"
            );
        }
    }

    #[test]
    fn lognormal_p99_is_where_it_was_put() {
        let distribution = Distribution::lognormal(4_000_000, 40_000_000);
        let mut rng = Seeder::new(9).stream("p99");
        let mut draws: Vec<u64> = (0..100_000)
            .map(|_| distribution.sample_ns(&mut rng))
            .collect();
        draws.sort_unstable();
        let median = draws[50_000] as f64;
        let p99 = draws[99_000] as f64;
        assert!((median / 4e6 - 1.0).abs() < 0.03, "median {median}");
        assert!((p99 / 4e7 - 1.0).abs() < 0.06, "p99 {p99}");
    }

    #[test]
    fn scaling_scales_the_mean() {
        let distribution = Distribution::Exp { mean_ns: 1e6 }.scaled(1.5);
        assert!((distribution.mean_ns() - 1.5e6).abs() < 1e-6);
        let lognormal = Distribution::lognormal(1_000, 5_000).scaled(2.0);
        assert!(
            (lognormal.mean_ns() / Distribution::lognormal(1_000, 5_000).mean_ns() - 2.0).abs()
                < 1e-9
        );
    }

    /// Draws `count` values of `distribution` from a seeded stream.
    fn draws(distribution: &Distribution, seed: u64, count: usize) -> Vec<u64> {
        let mut rng = Seeder::new(seed).stream("draws");
        (0..count)
            .map(|_| distribution.sample_ns(&mut rng))
            .collect()
    }

    fn mean_and_variance(values: &[u64]) -> (f64, f64) {
        let count = values.len() as f64;
        let mean = values.iter().map(|&value| value as f64).sum::<f64>() / count;
        let variance = values
            .iter()
            .map(|&value| (value as f64 - mean).powi(2))
            .sum::<f64>()
            / count;
        (mean, variance)
    }

    /// Resampling: the draws' mean converges to the samples' mean (the central limit theorem
    /// bounds the error by a few standard errors), and each quantile of the draws to the
    /// samples' own quantile (the Dvoretzky–Kiefer–Wolfowitz inequality: the draws' CDF is
    /// within sqrt(ln(2/alpha) / 2n) of the samples' CDF everywhere, with probability 1 - alpha).
    #[test]
    fn empirical_draws_converge_to_the_samples() {
        // Skewed like service times: many fast answers, a long tail.
        let samples: Vec<u64> = (1..=200_u64).map(|i| i * i * 1_000).collect();
        let distribution = Distribution::empirical(samples.clone().into());
        let count = 400_000;
        let drawn = draws(&distribution, 11, count);
        assert!(drawn.iter().all(|value| samples.contains(value)));

        let (samples_mean, samples_variance) = mean_and_variance(&samples);
        let (drawn_mean, _) = mean_and_variance(&drawn);
        let standard_error = (samples_variance / count as f64).sqrt();
        assert!(
            (drawn_mean - samples_mean).abs() < 5.0 * standard_error,
            "mean {drawn_mean} vs {samples_mean} (standard error {standard_error})"
        );
        assert!((distribution.mean_ns() - samples_mean).abs() < 1e-6);

        // alpha = 1e-6 gives a bound of about 0.0027 for 400 000 draws.
        let dkw_bound = ((2.0_f64 / 1e-6).ln() / (2.0 * count as f64)).sqrt();
        let mut sorted = drawn;
        sorted.sort_unstable();
        for quantile in [0.1, 0.25, 0.5, 0.75, 0.9, 0.99] {
            let drawn_quantile = sorted[(quantile * count as f64) as usize];
            // The share of samples at or below the drawn quantile must be within the bound.
            let share = samples
                .iter()
                .filter(|&&sample| sample <= drawn_quantile)
                .count() as f64
                / samples.len() as f64;
            let share_below = samples
                .iter()
                .filter(|&&sample| sample < drawn_quantile)
                .count() as f64
                / samples.len() as f64;
            assert!(
                share + dkw_bound >= quantile && share_below - dkw_bound <= quantile,
                "quantile {quantile}: drawn {drawn_quantile}, samples' share {share_below}..{share}"
            );
        }
    }

    /// A mixture's mean is the weighted mean of its parts' means, and its variance follows the
    /// law of total variance: E[Var(X | part)] + Var(E[X | part]).
    #[test]
    fn a_mixture_follows_the_laws_of_total_expectation_and_variance() {
        // A fast path (exponential, mean 1 ms) and a slow one (uniform 20..40 ms).
        let fast = Distribution::Exp { mean_ns: 1e6 };
        let slow = Distribution::Uniform {
            min_ns: 20_000_000,
            max_ns: 40_000_000,
        };
        let (fast_weight, slow_weight) = (0.9, 0.1);
        let (fast_mean, fast_variance) = (1e6, 1e12);
        let (slow_mean, slow_variance) = (3e7, (2e7_f64).powi(2) / 12.0);
        let mixture =
            Distribution::mixture(Arc::from(vec![(fast_weight, fast), (slow_weight, slow)]));
        let expected_mean = fast_weight * fast_mean + slow_weight * slow_mean;
        let expected_variance = fast_weight * fast_variance
            + slow_weight * slow_variance
            + fast_weight * (fast_mean - expected_mean).powi(2)
            + slow_weight * (slow_mean - expected_mean).powi(2);
        assert!((mixture.mean_ns() - expected_mean).abs() < 1e-3);

        let count = 400_000;
        let (mean, variance) = mean_and_variance(&draws(&mixture, 5, count));
        let standard_error = (expected_variance / count as f64).sqrt();
        assert!(
            (mean - expected_mean).abs() < 5.0 * standard_error,
            "mean {mean} vs {expected_mean}"
        );
        assert!(
            (variance / expected_variance - 1.0).abs() < 0.02,
            "variance {variance} vs {expected_variance}"
        );
    }

    /// A mixture of one part is that part, and nested mixtures multiply their weights.
    #[test]
    fn nested_mixtures_weigh_their_parts_by_the_product_of_weights() {
        let constant = |value_ns| Distribution::Const { value_ns };
        let inner = Distribution::mixture(Arc::from(vec![(0.5, constant(1)), (0.5, constant(2))]));
        let outer = Distribution::mixture(Arc::from(vec![(0.5, inner), (0.5, constant(3))]));
        let drawn = draws(&outer, 7, 200_000);
        for (value, expected_share) in [(1, 0.25), (2, 0.25), (3, 0.5)] {
            let share = drawn.iter().filter(|&&drawn| drawn == value).count() as f64 / 200_000.0;
            // Binomial standard error at 200 000 draws is about 0.001.
            assert!((share - expected_share).abs() < 0.006, "{value}: {share}");
        }
    }

    #[test]
    fn scaling_scales_every_sample_and_part() {
        let empirical = Distribution::empirical(Arc::from(vec![1_000, 3_000]));
        assert_eq!(
            empirical.scaled(2.0),
            Distribution::empirical(Arc::from(vec![2_000, 6_000]))
        );
        let mixture = Distribution::mixture(Arc::from(vec![
            (0.25, empirical),
            (0.75, Distribution::Const { value_ns: 10 }),
        ]));
        assert!((mixture.scaled(3.0).mean_ns() - 3.0 * mixture.mean_ns()).abs() < 1e-6);
    }
}
