//! The smallest fault timeline that still fails: the search behind `meshsim shrink FILE --seed N`
//! (the command is `command::shrink`).
//!
//! A failing scenario often carries more faults than its failure needs. The shrinker drops
//! faults, shortens them and moves them later for as long as at least one of the expectations
//! that failed still fails. The search ([`shrink_timeline`]) is pure logic over a list of faults
//! and an oracle that says whether a candidate still fails; the command makes the oracle from the
//! simulation, run in-process without writing a file. Same input and seed: same steps, same file.

mod search;
mod step;

pub(crate) use search::fault_number;
pub use search::{Bounds, Shrunk, Verdict, shrink_timeline};
pub use step::Step;

#[cfg(test)]
mod tests;
