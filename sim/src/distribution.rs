//! Distributions of durations, sampled in whole nanoseconds.
//!
//! Transcendental functions come from the pure-Rust `libm`, not the platform's, so a draw gives
//! the same bits on every machine and operating system.

use crate::rng::SimRng;

/// z such that P(Z <= z) = 0.99 for a standard normal Z: turns a lognormal's p99 into sigma.
const NORMAL_Z_P99: f64 = 2.326_347_874_040_841;

/// A distribution of non-negative durations in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
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
}

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

    /// The mean, for documentation and for the statistical tests.
    pub fn mean_ns(&self) -> f64 {
        match *self {
            Distribution::Const { value_ns } => value_ns as f64,
            Distribution::Uniform { min_ns, max_ns } => f64::midpoint(min_ns as f64, max_ns as f64),
            Distribution::Exp { mean_ns } | Distribution::Normal { mean_ns, .. } => mean_ns,
            Distribution::LogNormal { mu, sigma } => libm::exp(mu + sigma * sigma / 2.0),
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
        }
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
    use super::Distribution;
    use crate::rng::Seeder;

    fn sample_mean(distribution: Distribution, count: u32) -> f64 {
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
            let observed = sample_mean(distribution, 200_000);
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
}
