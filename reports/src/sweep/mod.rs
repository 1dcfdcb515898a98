//! A sweep: one scenario over many seeds, as its two files hold it. `sweep.json` says what was
//! swept (the scenario and a digest of its text, the engine, the seeds, the shard) and
//! `sweep.csv` has a row per seed. Everything a person reads of a sweep (the terminal summary,
//! `sweep.html` and its charts) is computed from these two files alone, so shards merged by
//! `meshsim merge` read exactly as the same seeds swept in one go, byte for byte.
//!
//! Figures are kept at the precision the CSV writes them (a success rate to six decimals, a
//! p99 to the microsecond) from the moment a row is made, and written with Rust's shortest
//! round-trip formatting, so reading a row back gives the very same numbers.

/// The version of the `sweep.json` layout; `merge` refuses another.
pub const SWEEP_FORMAT: u32 = 1;

/// Worst seeds listed with their replay command.
pub const WORST_LISTED: usize = 5;

mod error;
mod figures;
mod files;
mod row;
mod seeds;
#[cfg(test)]
mod tests;
mod text;

pub use error::SweepError;
pub use figures::{Figures, OutcomeFigures, RolloutFigures, Spread};
pub use row::{MS_DECIMALS, RATE_DECIMALS, RolloutCell, SeedRow, rounded};
pub use seeds::{SeedRange, Shard, SweepInfo};
pub use text::percent;

/// A sweep's rows with what was swept.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub info: SweepInfo,
    /// In seed order, one per seed of `info.own_seeds()`.
    pub rows: Vec<SeedRow>,
}

impl Sweep {
    /// The command that replays one seed's run.
    pub fn replay_command(&self, seed: u64) -> String {
        let engine = if self.info.engine == "event" {
            String::new()
        } else {
            format!(" --engine {}", self.info.engine)
        };
        format!("meshsim run {} --seed {seed}{engine}", self.info.file)
    }

    /// The worst seeds: those that failed an expectation first, then by success rate, then by
    /// p99.
    pub fn worst(&self) -> Vec<&SeedRow> {
        let mut order: Vec<&SeedRow> = self.rows.iter().collect();
        order.sort_by(|a, b| {
            a.ok()
                .cmp(&b.ok())
                .then(a.passed().cmp(&b.passed()))
                .then(
                    a.success_rate
                        .unwrap_or(0.0)
                        .total_cmp(&b.success_rate.unwrap_or(0.0)),
                )
                .then(b.latency_p99_ms.total_cmp(&a.latency_p99_ms))
                .then(a.seed.cmp(&b.seed))
        });
        order.truncate(WORST_LISTED);
        order
    }
}
