//! The included files as they are read: their texts, which of their values a translation read,
//! and what it found wrong, so that nothing is dropped silently and every problem has a place.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::ops::Range;

use super::yaml::{Node, Value};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::{Duration, Real};

/// An included file: how the user named it (relative to where they stand) and its text.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub(crate) label: String,
    pub(crate) text: String,
}

/// Bytes of an included file: where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) file: usize,
    pub(crate) span: Range<usize>,
}

/// The files, the values read from them and the diagnostics found.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    pub(crate) files: Vec<SourceFile>,
    /// Values read, by file and span (a block map starts where its first key does, so the start
    /// alone would not tell them apart).
    used: RefCell<BTreeSet<(usize, usize, usize)>>,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

impl Reader {
    pub(crate) fn add_file(&mut self, label: String, text: String) -> usize {
        self.files.push(SourceFile { label, text });
        self.files.len() - 1
    }

    pub(crate) fn label(&self, file: usize) -> &str {
        &self.files[file].label
    }

    /// A diagnostic at `place`.
    pub(crate) fn at(&self, place: &Place, diagnostic: Diagnostic) -> Diagnostic {
        Diagnostic {
            file: self.label(place.file).to_owned(),
            ..diagnostic
        }
        .with_span(Some(place.span.clone()))
    }

    pub(crate) fn push(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    pub(crate) fn error(&self, place: &Place, message: impl Into<String>, hint: &str) {
        let diagnostic = self.at(place, Diagnostic::error("", message));
        self.push(if hint.is_empty() {
            diagnostic
        } else {
            diagnostic.with_hint(hint)
        });
    }

    pub(crate) fn warning(&self, place: &Place, message: impl Into<String>, hint: &str) {
        let diagnostic = self.at(place, Diagnostic::warning("", message));
        self.push(if hint.is_empty() {
            diagnostic
        } else {
            diagnostic.with_hint(hint)
        });
    }

    pub(crate) fn take_diagnostics(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.diagnostics.borrow_mut())
    }

    fn mark(&self, file: usize, node: &Node) {
        self.used
            .borrow_mut()
            .insert((file, node.span.start, node.span.end));
    }

    pub(crate) fn is_used(&self, file: usize, node: &Node) -> bool {
        self.used
            .borrow()
            .contains(&(file, node.span.start, node.span.end))
    }

    /// A document's root to read from.
    pub(crate) fn field<'a>(&'a self, file: usize, node: &'a Node) -> Field<'a> {
        Field {
            node,
            file,
            reader: self,
        }
    }
}

/// A value of an included file being read: reading it marks it used, and a value of the wrong
/// kind is a located error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    pub(crate) node: &'a Node,
    pub(crate) file: usize,
    reader: &'a Reader,
}

impl<'a> Field<'a> {
    pub(crate) fn place(self) -> Place {
        Place {
            file: self.file,
            span: self.node.span.clone(),
        }
    }

    pub(crate) fn reader(self) -> &'a Reader {
        self.reader
    }

    fn child(self, node: &'a Node) -> Field<'a> {
        Field { node, ..self }
    }

    /// The value under `key`, if this is a map that has it.
    pub(crate) fn get(self, key: &str) -> Option<Field<'a>> {
        let node = self.node.get(key)?;
        (!matches!(node.value, Value::Null)).then(|| self.child(node))
    }

    /// The value at a dotted path of keys, `"spec.template.metadata"`.
    pub(crate) fn at(self, path: &str) -> Option<Field<'a>> {
        path.split('.').try_fold(self, Field::get)
    }

    /// The entries of a map as (key, value); empty for anything else (reported by `expect_map`).
    pub(crate) fn entries(self) -> Vec<(&'a str, Field<'a>)> {
        match &self.node.value {
            Value::Map(entries) => entries
                .iter()
                .filter_map(|(key, value)| Some((key.text()?, self.child(value))))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The items of a list; an error, and none, for anything else.
    pub(crate) fn items(self) -> Vec<Field<'a>> {
        if let Value::Seq(items) = &self.node.value {
            return items.iter().map(|item| self.child(item)).collect();
        }
        self.wrong("a list");
        Vec::new()
    }

    /// Marks the value itself read (a map that stands for a thing meshsim simulates), leaving
    /// what is under it to be read or listed as not simulated.
    pub(crate) fn touch(self) {
        self.reader.mark(self.file, self.node);
    }

    /// Marks the value and everything under it read.
    pub(crate) fn mark(self) {
        let mut pending = vec![self.node];
        while let Some(node) = pending.pop() {
            self.reader.mark(self.file, node);
            match &node.value {
                Value::Map(entries) => {
                    for (key, value) in entries {
                        self.reader.mark(self.file, key);
                        pending.push(value);
                    }
                }
                Value::Seq(items) => pending.extend(items),
                Value::Text { .. } | Value::Null => {}
            }
        }
    }

    fn wrong(self, expected: &str) {
        self.reader.error(
            &self.place(),
            format!("expected {expected}, found {}", self.node.kind_name()),
            "",
        );
    }

    /// A scalar's text, marked read; an error for anything else.
    pub(crate) fn text(self) -> Option<&'a str> {
        self.reader.mark(self.file, self.node);
        let text = self.node.text();
        if text.is_none() {
            self.wrong("a string");
        }
        text
    }

    /// A whole number, at most `max`.
    pub(crate) fn count(self, max: u32) -> Option<u32> {
        let text = self.text()?;
        match text.parse::<u64>() {
            Ok(value) if value <= u64::from(max) => u32::try_from(value).ok(),
            Ok(_) => {
                self.reader.error(
                    &self.place(),
                    format!("{text} is more than meshsim's limit of {max} here"),
                    "a number this large is a typo, or a system too large to simulate",
                );
                None
            }
            Err(_) => {
                self.reader.error(
                    &self.place(),
                    format!("expected a whole number, found `{text}`"),
                    "",
                );
                None
            }
        }
    }

    /// A real number from 0 to `max` (a percentage, 100).
    pub(crate) fn real(self, max: f64) -> Option<Real> {
        let text = self.text()?;
        match text.parse::<f64>() {
            Ok(value) if (0.0..=max).contains(&value) => Some(Real(value)),
            _ => {
                self.reader.error(
                    &self.place(),
                    format!("expected a number from 0 to {max}, found `{text}`"),
                    "",
                );
                None
            }
        }
    }

    pub(crate) fn boolean(self) -> Option<bool> {
        match self.text()? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            other => {
                self.reader.error(
                    &self.place(),
                    format!("expected true or false, found `{other}`"),
                    "",
                );
                None
            }
        }
    }

    /// A duration as Kubernetes, Istio and Compose write them (Go's `time.ParseDuration`):
    /// `"2s"`, `"0.5s"`, `"100ms"`, `"1m30s"`.
    pub(crate) fn duration(self) -> Option<Duration> {
        let text = self.text()?;
        match go_duration(text) {
            Ok(duration) => Some(duration),
            Err(message) => {
                self.reader.error(
                    &self.place(),
                    message,
                    "write a number and a unit, like \"2s\", \"500ms\" or \"1m30s\"",
                );
                None
            }
        }
    }

    /// Whole seconds, as Kubernetes probes count them (`initialDelaySeconds: 10`).
    pub(crate) fn seconds(self) -> Option<Duration> {
        self.count(86_400)
            .map(|seconds| Duration::from_secs(u64::from(seconds)))
    }
}

/// Go's duration syntax: one or more number-unit pairs, `"1h30m"`, `"1.5s"`, `"250ms"`.
pub(crate) fn go_duration(text: &str) -> Result<Duration, String> {
    let mut rest = text.trim();
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total: u64 = 0;
    let mut pieces = 0;
    while !rest.is_empty() && pieces < 8 {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit_end = rest[number_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |end| number_end + end);
        let piece = Duration::parse(&rest[..unit_end])
            .map_err(|_| format!("`{text}` is not a duration"))?;
        total = total.saturating_add(piece.as_nanos());
        rest = &rest[unit_end..];
        pieces += 1;
    }
    if !rest.is_empty() {
        return Err(format!("`{text}` is not a duration"));
    }
    Duration::parse(&format!("{total}ns"))
}

#[cfg(test)]
mod tests {
    use super::go_duration;
    use crate::scenario::Duration;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(go_duration("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(go_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(go_duration("0"), Ok(Duration::ZERO));
        assert!(go_duration("2").is_err());
        assert!(go_duration("s").is_err());
        assert!(go_duration("1x").is_err());
    }
}
