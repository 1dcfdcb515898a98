//! A problem found in a scenario file and how it is shown to the user.
//!
//! The layout is rustc's, drawn by the library rustc and cargo use (`render.rs`): a headline,
//! an arrow to `file:line:column`, the line with carets under the offending bytes, and uv's
//! wording: no trailing period, a hint on its own line. A diagnostic may also point at other
//! places, with a label each, in the same file or another ("replicas set here and here").
//!
//! Also here: the helpers every message uses to quote user text and to suggest a name ("did you
//! mean `payment`?"), so all messages quote and suggest the same way.

mod location;
mod render;
mod severity;
mod source_span;
mod suggest;
mod text;

#[cfg(test)]
mod tests;

use std::ops::Range;

pub(crate) use location::{Location, location_of};
pub(crate) use render::headline;
pub use severity::Severity;
pub(crate) use source_span::SourceSpan;
pub(crate) use suggest::{did_you_mean, name_list, suggestion};
pub(crate) use text::quote;

/// One problem in one file, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What is wrong, without a trailing period: "unknown service `paymnt` in `calls`".
    pub message: String,
    /// The file as the user named it, shown as is (never made absolute: output must not depend
    /// on where the user stands).
    pub file: String,
    /// The bytes of the source the problem is about; `None` for problems of the whole file.
    pub span: Option<Range<usize>>,
    /// Other places the problem is about, each with what it is: ("`replicas` also set here").
    pub also: Vec<(SourceSpan, String)>,
    /// What to do about it: "did you mean `payment`? services here: order, payment".
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            message: message.into(),
            file: file.to_owned(),
            span: None,
            also: Vec::new(),
            hint: None,
        }
    }

    pub fn error(file: &str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, file, message)
    }

    pub fn warning(file: &str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, file, message)
    }

    #[must_use]
    pub fn with_span(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }

    /// Adds a place the problem is also about, shown with `label` under it.
    #[must_use]
    pub fn with_also(mut self, place: SourceSpan, label: impl Into<String>) -> Self {
        self.also.push((place, label.into()));
        self
    }

    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the hint in place, for a diagnostic already recorded.
    pub fn set_hint(&mut self, hint: impl Into<String>) -> &mut Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the hint in place when there is one.
    pub fn set_optional_hint(&mut self, hint: Option<String>) -> &mut Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where the span starts in `source`; `None` without a span.
    pub fn location(&self, source: &str) -> Option<Location> {
        let span = self.span.as_ref()?;
        Some(location_of(source, span.start))
    }

    /// The diagnostic in rustc's layout, its file's text being `source`; ANSI colors only when
    /// `color` is true. Places in other files are named without their lines: use
    /// [`Diagnostic::render_files`] to show them.
    pub fn render(&self, source: &str, color: bool) -> String {
        render::render(self, &[(&self.file, source)], color)
    }

    /// The diagnostic in rustc's layout with the texts of every file it points into, each as
    /// `(file, text)`; ANSI colors only when `color` is true.
    pub fn render_files(&self, files: &[(&str, &str)], color: bool) -> String {
        render::render(self, files, color)
    }
}
