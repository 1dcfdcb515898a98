//! How a request ended: at the workload that sent it, and at the instance that answered it.

use serde::Serialize;

/// How a workload request ended. Every request sent ends as exactly one of these, or is still
/// in flight when the run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    TimedOut,
    Shed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed_out",
            Outcome::Shed => "shed",
        }
    }
}

/// How an instance answered a request it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServedResult {
    Succeeded,
    Failed,
    Shed,
    /// Succeeded without a call that failed: the endpoint went on (`on_error = "continue"`).
    Degraded,
}
