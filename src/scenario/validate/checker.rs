//! The [`Checker`]: what every section's checks share, and how they record what they find.
//!
//! Each section of the scenario has its own file of `impl Checker` blocks; this one holds the
//! state they read and write, and the few helpers that turn a path and a message into a
//! diagnostic.

use std::ops::Range;

use indexmap::IndexMap;

use super::findings::Findings;
use super::graph::CallGraph;
use super::names::Names;
use super::resolving::Resolving;
use crate::scenario::diagnostic::{Diagnostic, suggestion};
use crate::scenario::locate::{DocPath, Locator};
use crate::scenario::schema::Scenario;

/// Probabilities that should sum to 1 and weights that should sum to 100 are compared with this
/// slack, so `0.1 + 0.2 + 0.7` passes despite binary floating point.
pub(super) const SUM_TOLERANCE: f64 = 1e-9;

/// Past this many errors, "did you mean" hints are no longer computed: each compares a name with
/// every declared one, and a file with thousands of broken references would otherwise take
/// seconds. Only the first errors are shown anyway.
const HINTED_ERRORS_MAX: usize = 200;

/// One pass over a scenario: what it reads, what it has indexed, and what it has found so far.
pub(super) struct Checker<'s, 'l> {
    pub(super) scenario: &'s Scenario,
    pub(super) file: &'s str,
    pub(super) locator: &'l Locator<'l>,
    pub(super) names: Names<'s>,
    pub(super) graph: CallGraph,
    /// Topics that calls publish to, with the path of the first call doing so.
    pub(super) published: IndexMap<&'s str, DocPath>,
    pub(super) findings: Findings,
    /// What the checks have resolved so far.
    pub(super) resolving: Resolving,
}

pub(super) fn root(key: &str) -> DocPath {
    DocPath::root().key(key)
}

/// A number for a message: the shortest exact spelling, with float noise below 1e-9 removed so
/// that a sum of `0.1 + 0.2` reads `0.3`.
pub(super) fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let rounded = (value * 1e9).round() / 1e9;
    if rounded.is_finite() {
        rounded.to_string()
    } else {
        value.to_string()
    }
}

impl Checker<'_, '_> {
    pub(super) fn error(&mut self, path: &DocPath, message: impl Into<String>) -> &mut Diagnostic {
        let (file, span) = self.place(path, false);
        self.push(Diagnostic::error(&file, message).with_span(span))
    }

    /// The file and span `path` names: an included file's when one set the value, else the
    /// scenario's (the key itself when `at_key`).
    fn place(&self, path: &DocPath, at_key: bool) -> (String, Option<Range<usize>>) {
        if let Some(value) = self.locator.included_place(path.parts()) {
            return (value.file.clone(), Some(value.span.clone()));
        }
        let span = if at_key {
            self.locator.key_span(path.parts())
        } else {
            self.locator.value_span(path.parts())
        };
        (self.file.to_owned(), span)
    }

    /// An error about a key itself (unknown, misplaced) rather than its value.
    pub(super) fn error_at_key(
        &mut self,
        path: &DocPath,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let (file, span) = self.place(path, true);
        self.push(Diagnostic::error(&file, message).with_span(span))
    }

    pub(super) fn warning(
        &mut self,
        path: &DocPath,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let (file, span) = self.place(path, false);
        let diagnostic = Diagnostic::warning(&file, message).with_span(span);
        self.findings.warnings.push(diagnostic);
        self.findings
            .warnings
            .last_mut()
            .expect("a warning was just pushed")
    }

    pub(super) fn push(&mut self, diagnostic: Diagnostic) -> &mut Diagnostic {
        self.findings.errors.push(diagnostic);
        self.findings
            .errors
            .last_mut()
            .expect("an error was just pushed")
    }

    /// A "did you mean" hint over the names `names` lists, or `when_none` when it lists none;
    /// `None` once so many errors were found that hints stopped mattering. `names` is only
    /// called when a hint is made, so a flood of errors costs no list building either.
    pub(super) fn suggest<'n>(
        &self,
        wanted: &str,
        label: &str,
        names: impl FnOnce() -> Vec<&'n str>,
        when_none: &str,
    ) -> Option<String> {
        if self.findings.errors.len() > HINTED_ERRORS_MAX {
            return None;
        }
        Some(suggestion(wanted, label, &names()).unwrap_or_else(|| when_none.to_owned()))
    }

    pub(super) fn line_of(&self, path: &DocPath) -> Option<usize> {
        let span: Range<usize> = self.locator.value_span(path.parts())?;
        Some(self.locator.line_of(&span))
    }
}
