//! What validation found.

use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::resolved::Resolution;

/// What validation found: errors stop the load, warnings do not.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// What the checks resolved, when they found no error.
    pub resolution: Option<Resolution>,
}
