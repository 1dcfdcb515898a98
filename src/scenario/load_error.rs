//! A scenario that did not load: its diagnostics in file order, and why the check stopped.

use std::fmt;

use super::diagnostic::{Diagnostic, Severity, headline};
use super::limits;

/// A scenario that did not load: its errors (and warnings) in the order they appear in the file.
#[derive(Debug)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
    /// The text the diagnostics point into; empty when the file could not be read.
    pub source: String,
    /// How many errors the check found, those past the shown ones included.
    pub errors_found: usize,
    /// Why the check stopped before the end of the file, if it did: there may be more errors.
    pub stopped: Option<Stop>,
    /// The files `[scenario] include` read, which diagnostics may point into.
    pub included: Box<crate::Included>,
}

/// Why a check stopped before it had read the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It reported [`limits::PARSE_ERRORS_MAX`] syntax and shape errors.
    Capped,
    /// Past its last error, the file could not be read on (or, without a scenario built, not
    /// validated).
    Stuck,
}

impl LoadError {
    /// A load that failed on one problem of the whole file: it could not be read, say.
    pub(super) fn single(diagnostic: Diagnostic, source: String) -> Self {
        LoadError {
            diagnostics: vec![diagnostic],
            source,
            errors_found: 1,
            stopped: None,
            included: Box::default(),
        }
    }

    /// The line that closes the list: `error: 9 mistakes in x.toml`, and whether there may be
    /// more; `None` when the file could not be read, as its one error already says.
    pub fn summary(&self, color: bool) -> Option<String> {
        if self.source.is_empty() {
            return None;
        }
        let file = if self.included.scenario.is_empty() {
            &self.diagnostics.first()?.file
        } else {
            &self.included.scenario
        };
        let count = self.errors_found;
        let noun = if count == 1 { "mistake" } else { "mistakes" };
        let rest = match self.stopped {
            None => String::new(),
            Some(Stop::Capped) => format!(
                ", and perhaps more: a check stops after {}; fix these and check again",
                limits::PARSE_ERRORS_MAX
            ),
            Some(Stop::Stuck) => {
                ", and perhaps more past them: fix these and check again".to_owned()
            }
        };
        Some(headline(
            Severity::Error,
            &format!("{count} {noun} in {file}{rest}"),
            color,
        ))
    }

    /// Every diagnostic in rustc's layout, separated by blank lines; ANSI colors if `color`.
    pub fn render(&self, color: bool) -> String {
        let rendered: Vec<String> = self
            .diagnostics
            .iter()
            .map(|diagnostic| {
                let files = self.included.texts(&self.source, &diagnostic.file);
                diagnostic.render_files(&files, color)
            })
            .collect();
        rendered.join("\n")
    }

    /// How many of the diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.is_error())
            .count()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.render(false))
    }
}

impl std::error::Error for LoadError {}
