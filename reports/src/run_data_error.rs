//! A run's files that cannot be read back.

use std::fmt;
use std::path::PathBuf;

/// A run's folder could not be read back.
#[derive(Debug)]
pub struct RunDataError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for RunDataError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for RunDataError {}
