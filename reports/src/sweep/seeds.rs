//! What was swept: the scenario, the engine, the seeds and the shard (`sweep.json`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Seeds from `start` to `end`, the end excluded, as Rust writes a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

impl SeedRange {
    pub fn count(self) -> u64 {
        self.end - self.start
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}..{}", self.start, self.end)
    }
}

/// Part `index` (from 1) of `count` equal parts of a sweep's seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N`, as `--shard` takes it: K from 1 to N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a shard: write K/N, such as 2/8"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{part}` in `{text}` is not a whole number"))
        };
        let shard = Shard {
            index: number(index)?,
            count: number(count)?,
        };
        if shard.count == 0 || shard.index == 0 || shard.index > shard.count {
            return Err(format!(
                "`{text}` names no shard: K runs from 1 to N, as in 1/{} to {}/{}",
                shard.count.max(1),
                shard.count.max(1),
                shard.count.max(1)
            ));
        }
        Ok(shard)
    }

    /// This shard's seeds of `all`: contiguous, in order, sizes differing by one at most, and
    /// the shards together cover every seed once.
    pub fn seeds(self, all: SeedRange) -> SeedRange {
        let total = u128::from(all.count());
        let cut =
            |part: u64| all.start + (total * u128::from(part) / u128::from(self.count)) as u64;
        SeedRange {
            start: cut(self.index - 1),
            end: cut(self.index),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.index, self.count)
    }
}

/// What was swept: `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepInfo {
    pub format: u32,
    pub meshsim_version: String,
    pub scenario: String,
    /// The scenario file as it was named on the command line, for the replay commands.
    pub file: String,
    /// A digest of the scenario file's text: shards of one sweep must have swept the same text.
    pub scenario_digest: String,
    pub engine: String,
    /// The seeds of the whole sweep.
    pub seeds: SeedRange,
    /// Which part of them these rows are; none for a whole sweep or a merged one.
    pub shard: Option<Shard>,
    /// Each expectation as it reads, like `success_rate >= 0.99`, in the file's order.
    pub expectations: Vec<String>,
    /// The services with a rollout, in the file's order.
    pub rollouts: Vec<String>,
}

impl SweepInfo {
    /// The seeds these rows are meant to cover.
    pub fn own_seeds(&self) -> SeedRange {
        self.shard
            .map_or(self.seeds, |shard| shard.seeds(self.seeds))
    }
}
