//! Where in a trace file the reader is: the file, the path of containers down to the element
//! (`data[3].spans[5]`), the field being read and the trace's id when known, so any error,
//! `serde_json`'s own or one a reader raises, says which file, which trace and which field.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::de;

use super::ReadError;

/// The reader's position, kept current as it descends, and the problem a reader raised.
#[derive(Debug)]
pub(crate) struct Place {
    pub(crate) file: PathBuf,
    /// The containers from the file's root down, each with the index of the element inside it.
    path: Vec<(&'static str, u64)>,
    /// The field of the innermost object being read.
    pub(crate) field: Option<&'static str>,
    /// The id of the trace being read, once its reader has seen it.
    pub(crate) trace_id: Option<String>,
    /// A problem a reader found (its message and hint), raised through serde as a custom error
    /// so that `serde_json` adds the line and column.
    problem: Option<(String, Option<String>)>,
    /// The hint for `serde_json`'s own errors: what a file of this format looks like.
    pub(crate) format_hint: &'static str,
}

impl Place {
    pub(crate) fn new(file: PathBuf) -> Self {
        Self {
            file,
            path: Vec::new(),
            field: None,
            trace_id: None,
            problem: None,
            format_hint: "",
        }
    }

    /// Going into the container `name` (a list or a map of elements).
    pub(crate) fn enter(&mut self, name: &'static str) {
        self.path.push((name, 0));
        self.field = None;
    }

    /// At the element `index` of the innermost container.
    pub(crate) fn at(&mut self, index: u64) {
        if let Some(last) = self.path.last_mut() {
            last.1 = index;
        }
        self.field = None;
    }

    /// Out of the innermost container.
    pub(crate) fn leave(&mut self) {
        self.path.pop();
        self.field = None;
    }

    /// Raises a problem found by a reader: `serde_json` adds where it is.
    pub(crate) fn fail<E: de::Error>(&mut self, message: impl Into<String>, hint: &str) -> E {
        let message = message.into();
        let error = E::custom(&message);
        self.problem = Some((message, (!hint.is_empty()).then(|| hint.to_owned())));
        error
    }

    /// The located error for what `serde_json` returned.
    pub(crate) fn error(&mut self, error: &serde_json::Error) -> ReadError {
        let (what, hint) = if let Some((message, hint)) = self.problem.take() {
            (message, hint)
        } else {
            {
                let text = error.to_string();
                let bare = text
                    .rsplit_once(" at line ")
                    .map_or(text.as_str(), |(bare, _)| bare);
                let hint = if error.is_eof() {
                    "the file ends in the middle of a value: was it cut short while being written or copied?".to_owned()
                } else {
                    self.format_hint.to_owned()
                };
                (bare.to_owned(), (!hint.is_empty()).then_some(hint))
            }
        };
        ReadError {
            file: self.file.clone(),
            line: error.line(),
            column: error.column(),
            message: format!("{}: {what}", self.describe()),
            hint,
        }
    }

    /// The error for a problem found outside serde (before or after parsing), at a position.
    pub(crate) fn error_at(
        &self,
        line: usize,
        column: usize,
        message: &str,
        hint: &str,
    ) -> ReadError {
        ReadError {
            file: self.file.clone(),
            line,
            column,
            message: message.to_owned(),
            hint: (!hint.is_empty()).then(|| hint.to_owned()),
        }
    }

    /// `data[3].spans[5].startTime (trace 4bf9…)`, or `the file` at the top.
    fn describe(&self) -> String {
        let mut text = String::new();
        for (name, index) in &self.path {
            if !text.is_empty() {
                text.push('.');
            }
            let _ = write!(text, "{name}[{index}]");
        }
        if let Some(field) = self.field {
            if !text.is_empty() {
                text.push('.');
            }
            text.push_str(field);
        }
        if text.is_empty() {
            text.push_str("the file");
        } else {
            text.insert_str(0, "at ");
        }
        if let Some(trace_id) = &self.trace_id {
            let _ = write!(text, " (trace {trace_id})");
        }
        text
    }
}
