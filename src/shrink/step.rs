//! One accepted step of a shrinking search, as `meshsim shrink` prints it.

use std::fmt;

use crate::fault_timeline::spell;
use crate::scenario::Duration;

/// One accepted step of the search, as the command prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Faults dropped: each one's number in the original file and its label.
    Removed(Vec<(usize, String)>),
    /// Every fault dropped: the failure needs none of them.
    RemovedAll(usize),
    /// A fault's `duration` (or a crash's `restart_after`) shortened, or given to an
    /// open-ended one (`from` is `None`).
    Shortened {
        fault: usize,
        key: &'static str,
        from: Option<Duration>,
        to: Duration,
    },
    /// A fault starting later.
    Moved {
        fault: usize,
        from: Duration,
        to: Duration,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Removed(faults) => {
                let numbers: Vec<String> = faults.iter().map(|(n, _)| n.to_string()).collect();
                let labels: Vec<&str> = faults.iter().map(|(_, label)| label.as_str()).collect();
                let plural = if faults.len() == 1 { "" } else { "s" };
                write!(
                    formatter,
                    "removed fault{plural} {} ({})",
                    numbers.join(", "),
                    labels.join("; ")
                )
            }
            Step::RemovedAll(count) => write!(
                formatter,
                "removed all {count} faults: the expectations fail without any"
            ),
            Step::Shortened {
                fault,
                key,
                from,
                to,
            } => {
                let from = from.map_or_else(|| "open-ended".to_owned(), spell);
                write!(formatter, "fault {fault}: {key} {from} -> {}", spell(*to))
            }
            Step::Moved { fault, from, to } => {
                write!(
                    formatter,
                    "fault {fault}: at {} -> {}",
                    spell(*from),
                    spell(*to)
                )
            }
        }
    }
}
