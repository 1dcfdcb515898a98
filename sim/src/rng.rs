//! Seeded random streams, forked by name.
//!
//! Every component draws from its own `ChaCha` stream: the key is the run's seed, the stream
//! number a hash of the component's name (`"workload/shoppers"`, `"link/order->payment"`). Adding
//! a component therefore never shifts another's draws, and two scenarios that share a workload
//! name share its arrivals (common random numbers for `meshsim compare`).

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::xxh3_64;

/// Hands out named streams for one seed.
#[derive(Debug, Clone, Copy)]
pub struct Seeder {
    seed: u64,
}

impl Seeder {
    pub fn new(seed: u64) -> Self {
        Seeder { seed }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream for `name`: the same seed and name give the same draws on every machine.
    pub fn stream(&self, name: &str) -> SimRng {
        let mut inner = ChaCha8Rng::seed_from_u64(self.seed);
        inner.set_stream(xxh3_64(name.as_bytes()));
        SimRng { inner }
    }
}

/// One random stream. `ChaCha8` is a cryptographic-quality generator that is still fast enough
/// for the hot path, and its output is specified bit for bit.
#[derive(Debug, Clone)]
pub struct SimRng {
    inner: ChaCha8Rng,
}

impl SimRng {
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1), from the top 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn unit_open_zero(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// True with probability `p`; never draws when `p` is 0 or 1, so a certain outcome does not
    /// consume randomness.
    pub fn chance(&mut self, probability: f64) -> bool {
        if probability <= 0.0 {
            false
        } else if probability >= 1.0 {
            true
        } else {
            self.unit() < probability
        }
    }

    /// Uniform in `0..bound` (Lemire's multiply-shift with rejection, unbiased).
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "below(0) has no value to return");
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Seeder;

    #[test]
    fn same_seed_and_name_give_the_same_stream() {
        let mut first = Seeder::new(7).stream("workload/a");
        let mut second = Seeder::new(7).stream("workload/a");
        for _ in 0..100 {
            assert_eq!(first.next_u64(), second.next_u64());
        }
    }

    #[test]
    fn names_and_seeds_give_different_streams() {
        let a = Seeder::new(7).stream("workload/a").next_u64();
        let b = Seeder::new(7).stream("workload/b").next_u64();
        let c = Seeder::new(8).stream("workload/a").next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn below_stays_below() {
        let mut rng = Seeder::new(1).stream("x");
        for bound in [1, 2, 3, 7, 1000] {
            for _ in 0..200 {
                assert!(rng.below(bound) < bound);
            }
        }
    }
}
