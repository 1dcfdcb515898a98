//! One check of a scenario's text that reads on past each error, so that every mistake the
//! parsers can find shows in one pass.
//!
//! The parsers stop at their first error. Each error is reported, then the part it is about is
//! read as its hint suggests (`replica = 3` as `replicas=3`) or blanked out ([`Patch`]), and
//! the pass parses again, until the text reads clean or [`limits::PARSE_ERRORS_MAX`] errors are
//! shown. What a blanked part may have caused (the missing key of a table whose broken line was
//! blanked, an unknown name that line defined) is not reported: a check shows fewer errors
//! rather than errors that are not there. Once a whole table is blanked out, the meaning of the
//! file is not checked at all, as every reference to that table would fail.

use std::ops::Range;

use super::diagnostic::{Diagnostic, did_you_mean, quote};
use super::limits;
use super::load_error::{LoadError, Stop};
use super::locate::{Entry, Locator, PathTarget};
use super::outline::{Outline, Part};
use super::parse_error::{shape_error, split_expected, syntax_error};
use super::patch::Patch;
use super::resolved::Resolution;
use super::schema::Scenario;
use super::validate::validate;

/// One check of a text: what it found so far, and the text with those parts blanked out.
pub(super) struct Reading<'source> {
    file: &'source str,
    patch: Patch<'source>,
    pub(super) errors: Vec<Diagnostic>,
    pub(super) warnings: Vec<Diagnostic>,
    pub(super) stopped: Option<Stop>,
    /// Where included files set values, for the checker to point there.
    pub(super) included_places: Vec<super::locate::IncludedValue>,
    pub(super) included: crate::Included,
}

impl<'source> Reading<'source> {
    pub(super) fn new(file: &'source str, source: &'source str) -> Self {
        Reading {
            file,
            patch: Patch::new(source),
            errors: Vec::new(),
            warnings: Vec::new(),
            stopped: None,
            included_places: Vec::new(),
            included: crate::Included::default(),
        }
    }

    pub(super) fn file(&self) -> &'source str {
        self.file
    }

    /// Reports each syntax error and blanks out the statement or table it is in, until the text
    /// parses, the cap is reached, or the file cannot be read on.
    pub(super) fn find_syntax_errors(&mut self) {
        // An error before this offset follows from an earlier blanking, not from the file.
        let mut read_up_to = 0;
        for _ in 0..limits::PARSE_ERRORS_MAX {
            let Err(error) = toml_edit::Document::parse(self.patch.text()) else {
                return;
            };
            let end_of_text = self.patch.text().len();
            let span = error.span().unwrap_or(end_of_text..end_of_text);
            if span.start < read_up_to {
                self.stopped = Some(Stop::Stuck);
                return;
            }
            let message = error.message().trim().to_owned();
            let outline = Outline::new(self.patch.text());
            let diagnostic = match outline.open_value_above(span.start) {
                Some(open) => unclosed_value(self.file, self.patch.text(), &open),
                None => syntax_error(self.file, self.patch.text(), &error),
            };
            // A table written in a way that clashes with the tables above it (`mesh = "envoy"`
            // and then `[mesh.order]`, or `[[service.endpoint]]` before any `[[service]]`)
            // makes every later table of that name clash the same way: it is shown once.
            let repeated = self
                .errors
                .iter()
                .any(|shown| shown.message == diagnostic.message)
                && (message.starts_with("cannot extend")
                    || outline.section_at(span.start, false).is_some());
            if !repeated {
                self.errors.push(diagnostic);
            }
            // A key twice in a table is, more often than not, the first key of a table whose
            // header is missing: the keys after it are not the table's either.
            let part = if message == "duplicate key" {
                Part::Table(outline.rest_of_section(span.start))
            } else {
                outline.broken_part(span.start)
            };
            read_up_to = part.range().end.max(span.start + 1);
            if !self.patch.blank_part(&part) {
                self.stopped = Some(Stop::Stuck);
                return;
            }
        }
        if toml_edit::Document::parse(self.patch.text()).is_err() {
            self.stopped = Some(Stop::Capped);
        }
    }

    /// Builds the scenario from the text that parses, reporting each unknown key, wrong type or
    /// missing key and blanking out the key (or the table) it is about; `None` when it could
    /// not be built.
    pub(super) fn build_scenario(&mut self) -> Option<Scenario> {
        for _ in 0..limits::SHAPE_PARSES_MAX {
            let error = match toml::from_str::<Scenario>(self.patch.text()) {
                Ok(scenario) => return Some(scenario),
                Err(error) => error,
            };
            if self.errors.len() >= limits::PARSE_ERRORS_MAX {
                self.stopped = Some(Stop::Capped);
                return None;
            }
            if !self.repair_shape_error(&error) {
                return None;
            }
        }
        self.stopped = Some(Stop::Stuck);
        None
    }

    /// Reports `error` unless a blanked part may have caused it, then rewrites or blanks out
    /// what it is about; false when the check stops here.
    fn repair_shape_error(&mut self, error: &toml::de::Error) -> bool {
        let text = self.patch.text();
        let locator = Locator::new(text);
        let outline = Outline::new(text);
        let (message, span) = first_unknown_key(&locator, error.message(), error.span())
            .unwrap_or_else(|| (error.message().to_owned(), error.span()));
        let diagnostic = shape_error(self.file, &locator, &message, span.clone());
        let repair = diagnostic
            .span
            .clone()
            .or(span)
            .map(|span| shape_repair(text, &locator, &outline, &message, &span));
        if !self.patch.may_have_caused(&diagnostic, &outline) {
            self.errors.push(diagnostic);
        }
        let repaired = match repair {
            Some(ShapeRepair::Rewrite(range, replacement)) => {
                self.patch.rewrite(range.clone(), &replacement)
                    || self.blank_and_parse(&Part::Value(range))
            }
            Some(ShapeRepair::Blank(part)) => self.blank_and_parse(&part),
            None => false,
        };
        if !repaired {
            self.stopped = Some(Stop::Stuck);
        }
        repaired
    }

    /// Blanks `part` out; whether that left text that still parses.
    fn blank_and_parse(&mut self, part: &Part) -> bool {
        self.patch.blank_part(part) && toml_edit::Document::parse(self.patch.text()).is_ok()
    }

    /// Validates the scenario built from the patched text, keeping what the blanked parts
    /// cannot have caused; not at all once a whole table is lost. What the checker resolved,
    /// when it found no error.
    pub(super) fn validate(&mut self, scenario: &Scenario) -> Option<Resolution> {
        if self.patch.lost_a_table() {
            self.stopped = Some(Stop::Stuck);
            return None;
        }
        let text = self.patch.text();
        let locator = Locator::new(text).with_included(self.included_places.clone());
        let findings = validate(scenario, self.file, &locator);
        let outline = Outline::new(text);
        let patch = &self.patch;
        let own = |diagnostic: &Diagnostic| !patch.may_have_misled(diagnostic, &outline);
        self.errors
            .extend(findings.errors.into_iter().filter(|error| own(error)));
        self.warnings
            .extend(findings.warnings.into_iter().filter(|warning| own(warning)));
        findings.resolution
    }

    /// The errors in file order, the shown ones capped, with the warnings in place.
    pub(super) fn into_error(self, source: &str) -> LoadError {
        let mut errors = self.errors;
        sort_by_place(&mut errors);
        let errors_found = errors.len();
        if errors_found > limits::DIAGNOSTICS_SHOWN_MAX {
            errors.truncate(limits::DIAGNOSTICS_SHOWN_MAX);
            errors.push(Diagnostic::error(
                self.file,
                format!(
                    "{} more errors not shown",
                    errors_found - limits::DIAGNOSTICS_SHOWN_MAX
                ),
            ));
        }
        // Warnings still matter to someone fixing the errors, so they come along, in place.
        let mut diagnostics = errors;
        diagnostics.extend(self.warnings);
        sort_by_place(&mut diagnostics);
        LoadError {
            diagnostics,
            source: source.to_owned(),
            errors_found,
            stopped: self.stopped,
            included: Box::new(self.included),
        }
    }
}

/// Sorts by position in the file (problems of the whole file last), errors before warnings at
/// one place, and drops exact repeats. The sort is stable, so the order is deterministic.
pub(super) fn sort_by_place(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by_key(|diagnostic| {
        (
            diagnostic.span.is_none(),
            diagnostic.file.clone(),
            diagnostic.span.as_ref().map(|span| (span.start, span.end)),
            diagnostic.severity,
        )
    });
    diagnostics.dedup();
}

/// How the shape pass reads on past an error.
enum ShapeRepair {
    /// Read the part as written differently, as the error's hint suggests.
    Rewrite(Range<usize>, String),
    /// Read the part as blank.
    Blank(Part),
}

/// How to read on past a shape error at `span`. A key or a value close to one the format has
/// is read as that one, as its hint says, so nothing that depends on it fails in turn (`mesh =
/// "envy"` blanked would turn every Envoy key below into an error). Otherwise the part is
/// blanked: the table when the span is its header (a table missing a key, a table where a list
/// of tables belongs); the rest of the table for a key like none of its table's, as that is
/// most often a missing header; else the key and its value.
fn shape_repair(
    text: &str,
    locator: &Locator<'_>,
    outline: &Outline,
    message: &str,
    span: &Range<usize>,
) -> ShapeRepair {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (unknown, expected) = split_expected(rest);
        if let Some(close) = did_you_mean(&unknown, expected.iter().map(String::as_str))
            && let Some(section) = outline.section_renamed(span.start, &unknown, close)
        {
            return ShapeRepair::Blank(Part::Table(section));
        }
    }
    if let Some(section) = outline.section_at(span.start, true) {
        return ShapeRepair::Blank(Part::Table(section));
    }
    let Some(entry) = locator.entry_at(span) else {
        return ShapeRepair::Blank(Part::Value(outline.statement_at(span.start)));
    };
    if let Some(replacement) = rewritten_entry(text, &entry, message) {
        return ShapeRepair::Rewrite(entry.whole(), replacement);
    }
    if message.starts_with("unknown field ") && outline.is_statement_start(text, entry.key.start) {
        return ShapeRepair::Blank(Part::Table(outline.rest_of_section(entry.key.start)));
    }
    ShapeRepair::Blank(Part::Value(with_comma_after(text, entry.whole())))
}

/// serde's error about the unknown key of a table written first in the file, when serde named
/// another: it reads a table's keys in alphabetical order, and of several keys that belong to
/// a table whose header is missing, the first written is where that header goes.
fn first_unknown_key(
    locator: &Locator<'_>,
    message: &str,
    span: Option<Range<usize>>,
) -> Option<(String, Option<Range<usize>>)> {
    let rest = message.trim().strip_prefix("unknown field ")?;
    let (unknown, expected) = split_expected(rest);
    // serde names a tagged table's keys without its tag (`dist`, `kind`), and such a table by
    // its value; only a plain table's keys are all in `expected`.
    let (path, PathTarget::Key) = locator.path_at(&span?)? else {
        return None;
    };
    let table = path.parent();
    let (first_span, first) = locator
        .keys(table.parts())
        .into_iter()
        .filter(|key| !expected.contains(key) && !matches!(key.as_str(), "dist" | "kind"))
        .filter_map(|key| Some((locator.key_span(table.key(&key).parts())?, key)))
        .min_by_key(|(key_span, _)| key_span.start)?;
    if first == unknown {
        return None;
    }
    let expected_part = rest.find(", expected").map_or("", |start| &rest[start..]);
    Some((
        format!("unknown field `{first}`{expected_part}"),
        Some(first_span),
    ))
}

/// `key = value` as the hint of an unknown key or value suggests it: `replicas=3` for
/// `replica = 3`, `mesh="envoy"` for `mesh = "envy"`; `None` without a close suggestion.
fn rewritten_entry(text: &str, entry: &Entry, message: &str) -> Option<String> {
    let key = text.get(entry.key.clone())?;
    let value = text.get(entry.value.clone())?;
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (unknown, expected) = split_expected(rest);
        let close = did_you_mean(&unknown, expected.iter().map(String::as_str))?;
        return (key == unknown).then(|| format!("{close}={value}"));
    }
    let rest = message.strip_prefix("unknown variant ")?;
    let (unknown, expected) = split_expected(rest);
    let close = did_you_mean(&unknown, expected.iter().map(String::as_str))?;
    let bare = value.trim_matches(['"', '\'']);
    (bare == unknown && !close.contains(['"', '\\'])).then(|| format!("{key}=\"{close}\""))
}

/// `entry` with the comma after it, if one follows: blanking `a = 1,` out of `{ a = 1, b = 2 }`
/// leaves a table that parses, blanking `a = 1` would not.
fn with_comma_after(text: &str, entry: Range<usize>) -> Range<usize> {
    let after = &text[entry.end..];
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    if after[spaces..].starts_with(',') {
        entry.start..entry.end + spaces + 1
    } else {
        entry
    }
}

/// A value that opens an array or an inline table and does not close it before the next
/// table: the parser's own error is at that table, lines below the mistake.
fn unclosed_value(file: &str, text: &str, open: &Range<usize>) -> Diagnostic {
    let first_line = text[open.clone()].lines().next().unwrap_or_default();
    let key = first_line.split('=').next().unwrap_or_default().trim();
    let start = open.start + (first_line.len() - first_line.trim_start().len());
    Diagnostic::error(
        file,
        format!(
            "invalid TOML: {} is not closed before the next table",
            quote(key)
        ),
    )
    .with_span(Some(start..open.start + first_line.trim_end().len()))
    .with_hint("close each `[` with `]` and each `{` with `}`")
}
