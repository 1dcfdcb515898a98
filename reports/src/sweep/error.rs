//! Why sweep files could not be read or merged.

use std::fmt;

use super::SweepInfo;

/// Why sweep files could not be read or merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepError {
    pub message: String,
    pub hint: Option<String>,
}

impl SweepError {
    pub(super) fn new(message: impl Into<String>) -> SweepError {
        SweepError {
            message: message.into(),
            hint: None,
        }
    }

    pub(super) fn hint(mut self, hint: impl Into<String>) -> SweepError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for SweepError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for SweepError {}

pub(super) fn missing(from: u64, to: u64, info: &SweepInfo) -> SweepError {
    SweepError::new(format!(
        "seeds {from}..{to} of the sweep's {} are in none of the folders given",
        info.seeds
    ))
    .hint("give every shard's folder; a shard that did not finish must be run again")
}
