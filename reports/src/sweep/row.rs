//! One seed's run, a row of `sweep.csv`, at the precision the file keeps.

/// How one rollout went in one seed's run.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutCell {
    pub outcome: String,
    /// Seconds from the rollout's start to its decision; none while in progress.
    pub time_s: Option<f64>,
    /// Requests the new version answered.
    pub blast_radius: u64,
}

/// One seed's run: a row of `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedRow {
    pub seed: u64,
    /// Whether every request was accounted for.
    pub accounted: bool,
    /// The invariants the run broke, by name (`no_double_charge`); none for most runs.
    pub invariants_broken: Vec<String>,
    /// Each expectation's verdict, in the order of `SweepInfo::expectations`.
    pub expectations: Vec<bool>,
    pub sent: u64,
    pub success_rate: Option<f64>,
    pub latency_p99_ms: f64,
    /// In the order of `SweepInfo::rollouts`.
    pub rollouts: Vec<RolloutCell>,
    pub digest: String,
}

/// `value` to `decimals` decimals, as the CSV keeps it.
pub fn rounded(value: f64, decimals: usize) -> f64 {
    format!("{value:.decimals$}").parse().unwrap_or(value)
}

/// Decimals kept of a success rate, and of a latency in milliseconds.
pub const RATE_DECIMALS: usize = 6;
pub const MS_DECIMALS: usize = 3;

impl SeedRow {
    /// Whether the seed met every expectation with every request accounted for.
    pub fn ok(&self) -> bool {
        self.accounted && self.expectations.iter().all(|met| *met)
    }

    pub fn passed(&self) -> usize {
        self.expectations.iter().filter(|met| **met).count()
    }
}
