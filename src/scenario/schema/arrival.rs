//! `arrival = {...}` of a `[[workload]]`: how its requests arrive, on a schedule, from a rate
//! profile's file, from a recorded log, or from closed-loop users.

use serde::Deserialize;

use super::Distribution;
use crate::scenario::duration::Duration;
use crate::scenario::number::Real;

/// How a workload's requests arrive.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrival {
    /// Evenly spaced, `rate` per second.
    Constant { rate: Real },
    /// A Poisson process of `rate` per second.
    Poisson { rate: Real },
    /// A Poisson process whose rate changes at the given times: `[["0s", 50], ["5m", 400]]`.
    Steps { steps: Vec<(Duration, Real)> },
    /// A closed loop: `users` each send, wait for the answer, think, and send again.
    Closed {
        users: u32,
        think_time: Distribution,
    },
    /// A Poisson process whose rate follows the `time,rate` rows of a CSV file, interpolated
    /// linearly between rows: a day's shape, a launch.
    Profile { file: String },
    /// One request at each time in a CSV file's first column: an access log replayed.
    Replay { file: String },
}
