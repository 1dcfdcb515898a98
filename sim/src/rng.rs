//! Seeded random streams, forked by name.
//!
//! Every component draws from its own `ChaCha` stream: the key is the run's seed, the stream
//! number a hash of the component's name (`"workload/shoppers"`, `"link/order->payment"`). Adding
//! a component therefore never shifts another's draws, and two scenarios that share a workload
//! name share its arrivals (common random numbers for `meshsim compare`).
//!
//! The draws are `rand_chacha`'s `ChaCha8Rng` ones bit for bit (the tests hold it as the
//! reference), but a stream keeps one block of output instead of four: 120 bytes instead of 320,
//! because an instance holds several streams and a large run is bound by the cache.

use std::fmt;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::xxh3_64;

use crate::chacha::{Block, ChaCha8};

/// The number of `u64` draws one block gives.
const DRAWS_PER_BLOCK: usize = 8;

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
        // The key is `rand_chacha`'s own derivation from the seed, so the streams stay the ones
        // `ChaCha8Rng::seed_from_u64(seed)` with `set_stream(xxh3_64(name))` gives.
        let key = ChaCha8Rng::seed_from_u64(self.seed).get_seed();
        SimRng::new(ChaCha8::new(key, xxh3_64(name.as_bytes())))
    }
}

/// One random stream. `ChaCha8` is a cryptographic-quality generator that is still fast enough
/// for the hot path, and its output is specified bit for bit.
///
/// The fields every draw reads come first (`repr(C)` keeps the order): the position in the
/// buffer, then the buffer; the key and counter, read once per eight draws, come last.
#[derive(Clone)]
#[repr(C)]
pub struct SimRng {
    /// The next entry of `buffer` to hand out; `DRAWS_PER_BLOCK` when it is used up.
    index: usize,
    buffer: Block,
    keystream: ChaCha8,
}

impl fmt::Debug for SimRng {
    /// The stream and the position in it; the key and the buffered output stay private.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SimRng")
            .field("stream", &self.keystream.stream())
            .field("blocks_used", &self.keystream.counter())
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl SimRng {
    /// A stream whose first draw starts block 0, as a fresh `ChaCha8Rng` does.
    fn new(keystream: ChaCha8) -> Self {
        SimRng {
            index: DRAWS_PER_BLOCK,
            buffer: [0; DRAWS_PER_BLOCK],
            keystream,
        }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        if self.index >= DRAWS_PER_BLOCK {
            self.refill();
        }
        let value = self.buffer[self.index];
        self.index += 1;
        value
    }

    /// Out of line, so the draw that needs no new block stays a load and an add.
    #[inline(never)]
    fn refill(&mut self) {
        self.buffer = self.keystream.next_block();
        self.index = 0;
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
    use proptest::prelude::*;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use xxhash_rust::xxh3::xxh3_64;

    use super::{Seeder, SimRng};

    /// What `Seeder::stream` gave before it kept one block: the reference the draws must match.
    fn reference(seed: u64, name: &str) -> ChaCha8Rng {
        let mut reference = ChaCha8Rng::seed_from_u64(seed);
        reference.set_stream(xxh3_64(name.as_bytes()));
        reference
    }

    /// Draws `count` values from both and asserts they agree, naming the first that does not.
    fn assert_same_draws(ours: &mut SimRng, theirs: &mut ChaCha8Rng, count: usize, what: &str) {
        for draw in 0..count {
            assert_eq!(
                ours.next_u64(),
                theirs.next_u64(),
                "{what}: draw {draw} differs"
            );
        }
    }

    #[test]
    fn draws_match_rand_chacha_for_many_seeds_and_names() {
        let seeds = [0, 1, 2, 7, 42, 1_000_003, u64::from(u32::MAX), u64::MAX];
        let names = [
            "",
            "x",
            "workload/shoppers",
            "link/order->payment",
            "service/a#2/calls",
        ];
        // Clones taken at the start, mid-block, at a block's end and mid-way through later blocks.
        let clone_points = [0, 3, 7, 8, 9, 31, 32, 1_001, 5_003];
        for seed in seeds {
            for name in names {
                let what = format!("seed {seed}, name {name:?}");
                let mut ours = Seeder::new(seed).stream(name);
                let mut theirs = reference(seed, name);
                let mut drawn = 0;
                for point in clone_points {
                    assert_same_draws(&mut ours, &mut theirs, point - drawn, &what);
                    drawn = point;
                    let mut ours_clone = ours.clone();
                    let mut theirs_clone = theirs.clone();
                    assert_same_draws(&mut ours_clone, &mut theirs_clone, 100, &what);
                }
                assert_same_draws(&mut ours, &mut theirs, 10_000 - drawn, &what);
            }
        }
    }

    #[test]
    fn debug_names_the_stream_without_the_key() {
        let mut rng = Seeder::new(3).stream("workload/a");
        rng.next_u64();
        let text = format!("{rng:?}");
        let stream = xxh3_64(b"workload/a");
        assert!(text.contains(&format!("stream: {stream}")), "{text}");
        assert!(text.contains("blocks_used: 1"), "{text}");
        assert!(text.contains("index: 1"), "{text}");
    }

    #[test]
    fn a_stream_is_at_most_two_cache_lines() {
        assert!(std::mem::size_of::<SimRng>() <= 128);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any seed, any name, any number of draws, a clone at any point: the same draws as
        /// `rand_chacha`.
        #[test]
        fn any_stream_matches_rand_chacha(
            seed in any::<u64>(),
            name in "[a-z/#>0-9-]{0,24}",
            count in 0usize..400,
            clone_at in 0usize..400,
        ) {
            let clone_at = clone_at.min(count);
            let mut ours = Seeder::new(seed).stream(&name);
            let mut theirs = reference(seed, &name);
            for _ in 0..clone_at {
                prop_assert_eq!(ours.next_u64(), theirs.next_u64());
            }
            let mut ours_clone = ours.clone();
            let mut theirs_clone = theirs.clone();
            for _ in clone_at..count {
                prop_assert_eq!(ours.next_u64(), theirs.next_u64());
                prop_assert_eq!(ours_clone.next_u64(), theirs_clone.next_u64());
            }
        }
    }

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
