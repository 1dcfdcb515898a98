//! A problem found in a scenario file and how it is shown to the user.
//!
//! The layout is rustc's (a headline, an arrow to `file:line:column`, the line with carets under
//! the offending bytes) and the wording uv's: no trailing period, a hint on its own line. The
//! output depends only on the diagnostic and the source text, so snapshots of it are stable.
//!
//! Also here: the helpers every message uses to quote user text and to suggest a name ("did you
//! mean `payment`?"), so all messages quote and suggest the same way.

use std::fmt::Write as _;
use std::ops::Range;

/// How bad a diagnostic is: errors stop the load, warnings are shown and the run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A 1-based line and a 1-based column counted in characters, as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

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
    /// What to do about it: "did you mean `payment`? services here: order, payment".
    pub hint: Option<String>,
}

// ANSI styles, used only when the caller asks for color.
const STYLE_ERROR: &str = "\x1b[1;31m";
const STYLE_WARNING: &str = "\x1b[1;33m";
const STYLE_BOLD: &str = "\x1b[1m";
const STYLE_GUTTER: &str = "\x1b[1;34m";
const STYLE_HINT: &str = "\x1b[1;36m";
const STYLE_RESET: &str = "\x1b[0m";

/// Tabs are shown as this many spaces so the carets line up whatever the terminal's tab stops.
const TAB_WIDTH: usize = 4;

impl Diagnostic {
    pub fn new(severity: Severity, file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            message: message.into(),
            file: file.to_owned(),
            span: None,
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

    /// The diagnostic in rustc's layout; ANSI colors only when `color` is true.
    pub fn render(&self, source: &str, color: bool) -> String {
        let paint = |style: &'static str, text: &str| -> String {
            if color {
                format!("{style}{text}{STYLE_RESET}")
            } else {
                text.to_owned()
            }
        };
        let level_style = level_style(self.severity);
        let mut out = headline(self.severity, &self.message, color);
        let excerpt = self.span.as_ref().map(|span| Excerpt::new(source, span));
        let gutter_width = excerpt
            .as_ref()
            .map_or(1, |excerpt| excerpt.location.line.to_string().len());
        let pad = " ".repeat(gutter_width);
        match &excerpt {
            Some(excerpt) => {
                let Location { line, column } = excerpt.location;
                let _ = writeln!(
                    out,
                    "{pad}{} {}:{line}:{column}",
                    paint(STYLE_GUTTER, "-->"),
                    self.file
                );
                let _ = writeln!(out, "{pad} {}", paint(STYLE_GUTTER, "|"));
                let line_label = paint(STYLE_GUTTER, &format!("{line} |"));
                if excerpt.text.is_empty() {
                    let _ = writeln!(out, "{line_label}");
                } else {
                    let _ = writeln!(out, "{line_label} {}", excerpt.text);
                }
                let carets = "^".repeat(excerpt.caret_width);
                let _ = writeln!(
                    out,
                    "{pad} {} {}{}",
                    paint(STYLE_GUTTER, "|"),
                    " ".repeat(excerpt.caret_offset),
                    paint(level_style, &carets)
                );
            }
            None => {
                let _ = writeln!(out, "{pad}{} {}", paint(STYLE_GUTTER, "-->"), self.file);
            }
        }
        if let Some(hint) = &self.hint {
            // Continuation lines of a long hint line up under its first word.
            let indent = " ".repeat(gutter_width + " = hint: ".len());
            let hint = escape_controls(hint);
            let mut lines = hint.lines();
            let first = lines.next().unwrap_or_default();
            let _ = writeln!(out, "{pad} {} {first}", paint(STYLE_HINT, "= hint:"));
            for line in lines {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        out
    }
}

fn level_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => STYLE_ERROR,
        Severity::Warning => STYLE_WARNING,
    }
}

/// The first line of a diagnostic, `error: MESSAGE` and a line break, colored as a diagnostic's
/// when `color`; alone, it closes a list of diagnostics (`error: 9 mistakes in x.toml`).
pub fn headline(severity: Severity, message: &str, color: bool) -> String {
    let message = format!(": {}", escape_controls(message));
    if color {
        format!(
            "{}{}{STYLE_RESET}{STYLE_BOLD}{message}{STYLE_RESET}\n",
            level_style(severity),
            severity.label()
        )
    } else {
        format!("{}{message}\n", severity.label())
    }
}

/// The line a span starts on, made safe to print, and where the carets go under it.
struct Excerpt {
    location: Location,
    text: String,
    caret_offset: usize,
    caret_width: usize,
}

impl Excerpt {
    fn new(source: &str, span: &Range<usize>) -> Self {
        let start = floor_char_boundary(source, span.start);
        let end = floor_char_boundary(source, span.end.max(start));
        let line_start = source[..start].rfind('\n').map_or(0, |newline| newline + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |newline| start + newline);
        let line = source[line_start..line_end].trim_end_matches('\r');
        let location = location_of(source, start);
        let before = &source[line_start..start.min(line_start + line.len())];
        let underlined =
            &source[start.min(line_start + line.len())..end.min(line_start + line.len())];
        Excerpt {
            location,
            text: printable(line),
            caret_offset: display_width(before),
            // An empty span (the end of the file, a missing value) still gets one caret.
            caret_width: display_width(underlined).max(1),
        }
    }
}

/// The location of byte `offset` of `source`, clamped into the text.
pub fn location_of(source: &str, offset: usize) -> Location {
    let offset = floor_char_boundary(source, offset);
    let before = &source[..offset];
    let line = before.bytes().filter(|byte| *byte == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    Location { line, column }
}

/// The largest char boundary at or below `offset` (`str::floor_char_boundary` is unstable).
fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The text with tabs expanded and control characters replaced, so a hostile or binary file
/// cannot send escape sequences to the user's terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\t' => out.push_str(&" ".repeat(TAB_WIDTH)),
            character if character.is_control() => out.push('\u{fffd}'),
            character => out.push(character),
        }
    }
    out
}

/// Messages quote user text; control characters in it are escaped (line breaks of a long hint
/// are kept), so that a message cannot drive the terminal.
fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        if character.is_control() && character != '\n' {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out
}

fn display_width(text: &str) -> usize {
    text.chars()
        .map(|character| if character == '\t' { TAB_WIDTH } else { 1 })
        .sum()
}

/// Quotes user text for a message: `` `text` ``, with control characters escaped and long text
/// cut, so a message stays one readable line whatever the file holds.
pub fn quote(text: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 80;
    let mut out = String::from("`");
    for (count, character) in text.chars().enumerate() {
        if count == SHOWN_CHARS_MAX {
            out.push('…');
            break;
        }
        if character.is_control() {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out.push('`');
    out
}

/// The candidate closest to `wanted` by edit distance, if it is close enough to be a typo:
/// case-insensitively equal, or at most a third of the length apart (at least one edit).
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // Names are short; a long "name" is pasted text, and comparing it costs length squared.
    const COMPARED_CHARS_MAX: usize = 128;
    let wanted_length = wanted.chars().count();
    if wanted_length > COMPARED_CHARS_MAX {
        return None;
    }
    let wanted_lower = wanted.to_lowercase();
    let threshold = (wanted_length / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == wanted || candidate.chars().count() > COMPARED_CHARS_MAX {
            continue;
        }
        let distance = if candidate.to_lowercase() == wanted_lower {
            0
        } else {
            edit_distance(&wanted_lower, &candidate.to_lowercase())
        };
        // Strictly smaller keeps the first of equally close candidates: declaration order.
        if distance <= threshold && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters, in one row of memory.
pub fn edit_distance(left: &str, right: &str) -> usize {
    let right: Vec<char> = right.chars().collect();
    let mut row: Vec<usize> = (0..=right.len()).collect();
    for (left_index, left_char) in left.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = left_index + 1;
        for (right_index, right_char) in right.iter().enumerate() {
            let substitution = diagonal + usize::from(left_char != *right_char);
            diagonal = row[right_index + 1];
            row[right_index + 1] = substitution.min(diagonal + 1).min(row[right_index] + 1);
        }
    }
    row[right.len()]
}

/// A list of names for a hint, sorted, past ten cut to "and N more".
pub fn name_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    const SHOWN_MAX: usize = 10;
    let mut sorted: Vec<&str> = names.into_iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    let shown: Vec<String> = sorted
        .iter()
        .take(SHOWN_MAX)
        .map(|name| {
            if name.chars().any(char::is_control) || name.chars().count() > 80 {
                quote(name)
            } else {
                (*name).to_owned()
            }
        })
        .collect();
    let mut list = shown.join(", ");
    if sorted.len() > SHOWN_MAX {
        let _ = write!(list, " and {} more", sorted.len() - SHOWN_MAX);
    }
    list
}

/// "did you mean `x`? LABEL: a, b, c", or only the list when nothing is close; `None` when
/// there is nothing to list. `label` says what the names are: "services here".
pub fn suggestion(wanted: &str, label: &str, names: &[&str]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let list = name_list(names.iter().copied());
    Some(match did_you_mean(wanted, names.iter().copied()) {
        Some(close) => format!("did you mean {}? {label}: {list}", quote(close)),
        None => format!("{label}: {list}"),
    })
}

#[cfg(test)]
mod tests {
    use super::{Diagnostic, Location, did_you_mean, edit_distance, name_list, quote};

    const SOURCE: &str = "[[service]]\nname = \"order\"\n\tcalls = [ { service = \"paymnt\" } ]\n";

    #[test]
    fn renders_a_span_with_line_column_and_carets() {
        let start = SOURCE.find("\"paymnt\"").unwrap();
        let diagnostic = Diagnostic::error("shop.toml", "unknown service `paymnt` in `calls`")
            .with_span(Some(start..start + 8))
            .with_hint("did you mean `payment`?");
        assert_eq!(
            diagnostic.location(SOURCE),
            Some(Location {
                line: 3,
                column: 24
            })
        );
        let expected = "error: unknown service `paymnt` in `calls`\n --> shop.toml:3:24\n  |\n3 |     calls = [ { service = \"paymnt\" } ]\n  |                           ^^^^^^^^\n  = hint: did you mean `payment`?\n";
        assert_eq!(diagnostic.render(SOURCE, false), expected);
    }

    #[test]
    fn renders_without_a_span_and_clips_to_the_first_line() {
        let diagnostic = Diagnostic::warning("x.toml", "something");
        assert_eq!(
            diagnostic.render("", false),
            "warning: something\n --> x.toml\n"
        );
        let whole = Diagnostic::error("x.toml", "whole").with_span(Some(0..SOURCE.len()));
        assert!(
            whole
                .render(SOURCE, false)
                .contains("1 | [[service]]\n  | ^^^^^^^^^^^\n")
        );
    }

    #[test]
    fn never_panics_on_odd_spans() {
        let source = "é\r\nx";
        // Spans from a file that changed, or from a bug elsewhere, must still render.
        let reversed = std::ops::Range { start: 7, end: 3 };
        for span in [0..0, 1..1, 1..9, reversed, 100..200, 2..3, 4..5] {
            let diagnostic = Diagnostic::error("f", "m").with_span(Some(span));
            let _ = diagnostic.render(source, true);
            let _ = diagnostic.location(source);
        }
    }

    #[test]
    fn colors_only_when_asked() {
        let diagnostic = Diagnostic::error("f", "m")
            .with_span(Some(0..1))
            .with_hint("h");
        assert!(!diagnostic.render("x", false).contains('\x1b'));
        assert!(
            diagnostic
                .render("x", true)
                .contains("\x1b[1;31merror\x1b[0m")
        );
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(edit_distance("paymnt", "payment"), 1);
        assert_eq!(
            did_you_mean("paymnt", ["order", "payment"]),
            Some("payment")
        );
        assert_eq!(did_you_mean("Order", ["order"]), Some("order"));
        assert_eq!(did_you_mean("zzz", ["order", "payment"]), None);
        let many: Vec<String> = (0..12).map(|index| format!("s{index:02}")).collect();
        assert_eq!(
            name_list(many.iter().map(String::as_str)),
            "s00, s01, s02, s03, s04, s05, s06, s07, s08, s09 and 2 more"
        );
        assert_eq!(quote("a\u{1b}b"), "`a\\u{1b}b`");
    }
}
