//! Simulated time: whole nanoseconds since the start of the run.

use std::fmt;
use std::ops::{Add, Sub};

/// A point in simulated time, in nanoseconds since the run began. No wall clock is ever read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// The time `nanos` later, saturating rather than wrapping at the end of time.
    #[must_use]
    pub const fn plus_nanos(self, nanos: u64) -> Self {
        SimTime(self.0.saturating_add(nanos))
    }

    /// Nanoseconds from `earlier` to `self`; zero if `earlier` is later.
    pub const fn nanos_since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<u64> for SimTime {
    type Output = SimTime;
    fn add(self, nanos: u64) -> SimTime {
        self.plus_nanos(nanos)
    }
}

impl Sub for SimTime {
    type Output = u64;
    fn sub(self, earlier: SimTime) -> u64 {
        self.nanos_since(earlier)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:.6}s", self.as_secs_f64())
    }
}
