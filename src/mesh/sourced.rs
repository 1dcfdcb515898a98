//! A value of the effective policy together with where it came from.

use crate::profile::KeySpec;

/// Where an effective value came from, as `meshsim explain` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The scenario file set it, at this line (1-based) when the text is at hand.
    File { line: Option<usize> },
    /// An included file set it (`[scenario] include`): the file's place among them, and the
    /// 1-based line.
    Included { file: usize, line: usize },
    /// The profile's default for this key.
    Default(&'static KeySpec),
    /// The profile's default for the whole section, which the file left out (Istio's default
    /// retry policy on a service with no `retries` block).
    Section(&'static KeySpec),
    /// Derived by meshsim from other values, for the reason given.
    Derived(&'static str),
}

/// An effective value and its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Sourced { value, origin }
    }

    /// Whether the scenario file set it.
    pub fn is_set(&self) -> bool {
        matches!(self.origin, Origin::File { .. } | Origin::Included { .. })
    }
}

impl<T: Copy> Sourced<T> {
    pub fn get(&self) -> T {
        self.value
    }
}
