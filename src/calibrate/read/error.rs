//! A located error in a trace file.

use std::path::PathBuf;

/// Where a trace file is wrong: which file, where in it, which trace and which field, what is
/// wrong, and a hint. `calibrate` prints it and exits 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub(crate) struct ReadError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole (it cannot be opened).
    pub line: usize,
    pub column: usize,
    /// What is wrong, naming the trace (its index or id) and the field.
    pub message: String,
    pub hint: Option<String>,
}
