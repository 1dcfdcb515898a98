//! A span of bytes in a named file, for a diagnostic that points at more than one place.

use std::ops::Range;

/// Bytes of one file: a place a diagnostic points at besides its main span, possibly in another
/// file ("`replicas` set here" in the Deployment, "and here" in the scenario).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpan {
    /// The file as the user named it, shown as is, like [`Diagnostic::file`](super::Diagnostic).
    pub file: String,
    pub bytes: Range<usize>,
}

impl SourceSpan {
    pub fn new(file: &str, bytes: Range<usize>) -> Self {
        SourceSpan {
            file: file.to_owned(),
            bytes,
        }
    }
}
