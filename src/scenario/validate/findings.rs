//! What validation found.

use crate::scenario::diagnostic::Diagnostic;

/// What validation found: errors stop the load, warnings do not.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}
