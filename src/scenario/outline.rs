//! Where the statements and table sections of a scenario's text start and end, read line by line
//! without a TOML parser, so that it works on text that does not parse.
//!
//! Finding every mistake of a file in one pass means blanking out each broken part and reading
//! on. The part to blank is a whole statement (`key = value`, with every line of a multi-line
//! value) or a whole table section (its header, its keys and the tables nested under it).
//! Blanking less leaves orphans that read as new mistakes: the last lines of an array without
//! its `key = [`, or the keys of a table moved into the table above.

use std::ops::Range;

/// A broken part of the text: a statement or a value, or a whole table (or what is left of
/// one), whose loss leaves the tables that refer to it without what they refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Value(Range<usize>),
    Table(Range<usize>),
}

impl Part {
    pub(super) fn range(&self) -> Range<usize> {
        match self {
            Part::Value(range) | Part::Table(range) => range.clone(),
        }
    }
}

/// The lines of a text, each marked with whether a statement or a table section starts on it.
#[derive(Debug)]
pub(super) struct Outline {
    lines: Vec<Line>,
    text_length: usize,
}

#[derive(Debug)]
struct Line {
    /// The line's bytes, its newline included.
    bytes: Range<usize>,
    /// Nothing is left open above it: no array, inline table or multi-line string.
    starts_statement: bool,
    /// The keys of its table header (`[[service.endpoint]]`: `service`, `endpoint`).
    header: Option<Vec<String>>,
    /// A header read while a value above it is still open (`calls = [` never closed): the
    /// header is sound, the open value is what is broken.
    inside_value: bool,
    /// It starts as the inside of a value does (`{`, `}`, `]`, `,`, an array), not as a
    /// statement: a line of a value whose first line is missing.
    orphan: bool,
}

/// How the scan stands at the start of a line: the brackets left open and whether a
/// multi-line string (`"""` or `'''`) is.
#[derive(Debug, Clone, Copy, Default)]
struct ScanState {
    depth: usize,
    open_string: Option<&'static str>,
}

impl Outline {
    pub(super) fn new(text: &str) -> Self {
        let mut lines = Vec::new();
        let mut state = ScanState::default();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let bytes = start..start + line.len();
            start = bytes.end;
            let trimmed = line.trim();
            let is_open = state.depth > 0 || state.open_string.is_some();
            let header = if state.open_string.is_some() {
                None
            } else if state.depth == 0 {
                may_be_header(trimmed).then(|| header_keys(trimmed))
            } else {
                looks_like_header(trimmed).then(|| header_keys(trimmed))
            };
            let inside_value = header.is_some() && is_open;
            if header.is_some() {
                // A header closes whatever was left open above it, so that one unclosed
                // bracket does not swallow the rest of the file.
                state = ScanState::default();
            }
            let orphan = !is_open && header.is_none() && is_orphan(trimmed);
            lines.push(Line {
                bytes,
                starts_statement: !is_open || header.is_some(),
                header,
                inside_value,
                orphan,
            });
            state = scan_line(line, state);
        }
        Outline {
            lines,
            text_length: text.len(),
        }
    }

    /// The part to blank out for a syntax error at byte `offset`: the value left open above
    /// the error's table (its header is sound, and so may the line the error is on be), else
    /// the table section when the error is on a header, else the statement the error is in.
    pub(super) fn broken_part(&self, offset: usize) -> Part {
        let Some(index) = self.line_index(offset) else {
            return Part::Value(offset..offset);
        };
        if let Some(open) = self.open_value_above(offset) {
            return Part::Value(open);
        }
        let header = (0..=index)
            .rev()
            .find(|&candidate| self.lines[candidate].header.is_some());
        if header == Some(index) {
            return Part::Table(self.section_of(index, true));
        }
        // The lines of a value whose `key = [` line is gone, or that a broken line closed
        // early (`  service = "a" },` without its `{`), go with it: each would be a mistake
        // of its own, and they are one.
        let statement = self.statement_of(index);
        let after = (index..self.lines.len())
            .find(|&candidate| self.lines[candidate].bytes.start >= statement.end)
            .unwrap_or(self.lines.len());
        let end = (after..self.lines.len())
            .take_while(|&candidate| self.lines[candidate].orphan)
            .last()
            .map_or(statement.end, |last| self.lines[last].bytes.end);
        Part::Value(statement.start..end)
    }

    /// The value left open above the table that byte `offset` is in (`calls = [` never
    /// closed before the next header), from its key to that header; the parser meets the
    /// error only in that table.
    pub(super) fn open_value_above(&self, offset: usize) -> Option<Range<usize>> {
        let index = self.line_index(offset)?;
        let header = (0..=index)
            .rev()
            .find(|&candidate| self.lines[candidate].header.is_some())?;
        (self.lines[header].inside_value && header > 0).then(|| self.statement_of(header - 1))
    }

    /// The table section whose header is on the line of byte `offset`, with the tables nested
    /// under it when `nested`; `None` when that line is no header.
    pub(super) fn section_at(&self, offset: usize, nested: bool) -> Option<Range<usize>> {
        let index = self.line_index(offset)?;
        self.lines[index].header.as_ref()?;
        Some(self.section_of(index, nested))
    }

    /// The table section that byte `offset` is in, with the tables nested under it; `None`
    /// before the first header.
    pub(super) fn enclosing_section(&self, offset: usize) -> Option<Range<usize>> {
        let index = self.line_index(offset)?;
        let header = (0..=index)
            .rev()
            .find(|&candidate| self.lines[candidate].header.is_some())?;
        Some(self.section_of(header, true))
    }

    /// The statement that the line of byte `offset` belongs to.
    pub(super) fn statement_at(&self, offset: usize) -> Range<usize> {
        match self.line_index(offset) {
            Some(index) => self.statement_of(index),
            None => offset..offset,
        }
    }

    /// From the line of byte `offset` to the end of its table: what is left of a table once a
    /// key in it shows that the keys below belong to another table, whose header is missing.
    /// The tables right after it that nest under a table not written above them (the missing
    /// `[[service]]`'s `[[service.endpoint]]`) go with it.
    pub(super) fn rest_of_section(&self, offset: usize) -> Range<usize> {
        let Some(index) = self.line_index(offset) else {
            return offset..offset;
        };
        if self.lines[index].header.is_some() {
            return self.section_of(index, true);
        }
        let own = (0..=index)
            .rev()
            .find_map(|candidate| self.lines[candidate].header.clone())
            .unwrap_or_default();
        let end = (index + 1..self.lines.len())
            .find(|&candidate| match &self.lines[candidate].header {
                Some(other) => other.len() < 2 || own.starts_with(&other[..other.len() - 1]),
                None => false,
            })
            .map_or(self.text_length, |next| self.lines[next].bytes.start);
        self.lines[index].bytes.start..end
    }

    /// The section of the header on the line of byte `offset`, with the tables nested under
    /// it as if its key `from` were `to`: the tables a misspelt header (`[[servic]]`) was meant
    /// to hold (`[[service.endpoint]]`) go with it; `None` when that line is no header.
    pub(super) fn section_renamed(
        &self,
        offset: usize,
        from: &str,
        to: &str,
    ) -> Option<Range<usize>> {
        let index = self.line_index(offset)?;
        let keys = self.lines[index].header.clone()?;
        let renamed: Vec<String> = keys
            .iter()
            .map(|key| {
                if key == from {
                    to.to_owned()
                } else {
                    key.clone()
                }
            })
            .collect();
        Some(self.section_under(index, &[keys, renamed]))
    }

    /// Whether byte `offset` is where a statement's first word is: a key of a table, not one
    /// inside an inline table or an array.
    pub(super) fn is_statement_start(&self, text: &str, offset: usize) -> bool {
        let statement = self.statement_at(offset);
        text.get(statement.start..offset)
            .is_some_and(|before| before.trim().is_empty())
    }

    /// The line holding byte `offset`; the end of the text belongs to the last line.
    fn line_index(&self, offset: usize) -> Option<usize> {
        if self.lines.is_empty() {
            return None;
        }
        let index = self
            .lines
            .partition_point(|line| line.bytes.start <= offset);
        Some(index.saturating_sub(1))
    }

    /// From the line where the statement holding line `index` starts to the line before the
    /// next statement.
    fn statement_of(&self, index: usize) -> Range<usize> {
        let first = (0..=index)
            .rev()
            .find(|&candidate| self.lines[candidate].starts_statement)
            .unwrap_or(0);
        let end = (first + 1..self.lines.len())
            .find(|&candidate| self.lines[candidate].starts_statement)
            .map_or(self.text_length, |next| self.lines[next].bytes.start);
        self.lines[first].bytes.start..end
    }

    /// From the header on line `index` to the next header that is not nested under it (or,
    /// unless `nested`, to the next header).
    fn section_of(&self, index: usize, nested: bool) -> Range<usize> {
        let keys = self.lines[index].header.clone().unwrap_or_default();
        if nested {
            self.section_under(index, &[keys])
        } else {
            self.section_under(index, &[])
        }
    }

    /// From the header on line `index` to the next header nested under none of `parents`.
    fn section_under(&self, index: usize, parents: &[Vec<String>]) -> Range<usize> {
        let end = (index + 1..self.lines.len())
            .find(|&candidate| match &self.lines[candidate].header {
                Some(other) => !parents
                    .iter()
                    .any(|keys| other.len() > keys.len() && other.starts_with(keys)),
                None => false,
            })
            .map_or(self.text_length, |next| self.lines[next].bytes.start);
        self.lines[index].bytes.start..end
    }
}

/// Whether a line outside any value starts as the inside of one does.
fn is_orphan(trimmed: &str) -> bool {
    trimmed.starts_with(['{', '}', ']', ',', '['])
}

/// A line outside any value that is meant as a header, even a broken one (`[[service]`), and
/// not an array's line (`["0s", 5],`).
fn may_be_header(trimmed: &str) -> bool {
    let code = trimmed.split('#').next().unwrap_or_default().trim_end();
    let inner = code.trim_start_matches('[').trim_start();
    let opens = code.starts_with('[');
    // `mesh.payment]`: a header that lost its opening bracket.
    let closes_only = code.ends_with(']') && !code.contains(['=', '[']);
    (opens || closes_only)
        && !code.contains(',')
        && inner.starts_with(|character: char| {
            character.is_alphabetic() || matches!(character, '_' | '"' | '\'')
        })
}

/// A line inside an open value that reads as a header: `[name]` or `[[a.b]]` with nothing a
/// value would have (`["0s", 5]` is an arrival step, not a header).
fn looks_like_header(trimmed: &str) -> bool {
    let code = trimmed.split('#').next().unwrap_or_default().trim_end();
    let inner = code.trim_start_matches('[');
    code.starts_with('[')
        && code.ends_with(']')
        && inner.starts_with(|character: char| character.is_ascii_alphabetic() || character == '_')
        && !code.contains([',', '=', '"', '\'', '{'])
}

/// The keys of a header, read leniently so that a broken one still names its table:
/// `[[service]` gives `service`, `[mesh."my svc".route]` gives `mesh`, `my svc`, `route`.
fn header_keys(trimmed: &str) -> Vec<String> {
    let inner = trimmed.trim_start_matches('[');
    let inner = inner.rfind(']').map_or(inner, |end| &inner[..end]);
    let inner = inner.trim_end_matches(']');
    let mut keys = Vec::new();
    let mut key = String::new();
    let mut quote: Option<char> = None;
    for character in inner.chars() {
        match (quote, character) {
            (None, '"' | '\'') => quote = Some(character),
            (Some(open), _) if character == open => quote = None,
            (None, '.') => keys.push(std::mem::take(&mut key).trim().to_owned()),
            _ => key.push(character),
        }
    }
    keys.push(key.trim().to_owned());
    keys
}

/// The scan state after `line`, from the state before it: brackets outside strings and
/// comments open and close, and a multi-line string may open or close.
fn scan_line(line: &str, state: ScanState) -> ScanState {
    let mut state = state;
    let mut rest = line;
    // Each turn consumes at least one character, so the loop ends within the line.
    while let Some(character) = rest.chars().next() {
        if let Some(delimiter) = state.open_string {
            match find_string_end(rest, delimiter) {
                Some(end) => {
                    rest = &rest[end..];
                    state.open_string = None;
                }
                None => return state,
            }
            continue;
        }
        rest = &rest[character.len_utf8()..];
        match character {
            '#' => return state,
            '"' | '\'' => {
                let triple = if character == '"' { "\"\"\"" } else { "'''" };
                if let Some(after) = rest.strip_prefix(&triple[1..]) {
                    rest = after;
                    state.open_string = Some(triple);
                } else {
                    let delimiter = if character == '"' { "\"" } else { "'" };
                    // A one-line string left open ends with its line.
                    rest = find_string_end(rest, delimiter).map_or("", |end| &rest[end..]);
                }
            }
            '[' | '{' => state.depth += 1,
            ']' | '}' => state.depth = state.depth.saturating_sub(1),
            _ => {}
        }
    }
    state
}

/// Where the string closed by `delimiter` ends in `rest`, after the delimiter; a backslash
/// escapes the next character in basic (double-quoted) strings.
fn find_string_end(rest: &str, delimiter: &str) -> Option<usize> {
    let escapes = delimiter.starts_with('"');
    let mut position = 0;
    while position < rest.len() {
        let tail = &rest[position..];
        if tail.starts_with(delimiter) {
            return Some(position + delimiter.len());
        }
        let character = tail.chars().next()?;
        position += character.len_utf8();
        if escapes && character == '\\' {
            position += tail[1..].chars().next().map_or(0, char::len_utf8);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::Outline;

    fn part(text: &str, needle: &str) -> String {
        let outline = Outline::new(text);
        let range = outline.broken_part(text.find(needle).unwrap()).range();
        text[range].to_owned()
    }

    #[test]
    fn a_broken_line_is_its_statement() {
        let text = "[scenario]\nname = \"shop\nduration = \"5m\"\n";
        assert_eq!(part(text, "name"), "name = \"shop\n");
    }

    #[test]
    fn a_multi_line_value_is_one_statement() {
        let text = "calls = [\n  { service = \"a\" x },\n  { service = \"b\" },\n]\nname = \"n\"\n";
        assert_eq!(
            part(text, "x }"),
            "calls = [\n  { service = \"a\" x },\n  { service = \"b\" },\n]\n"
        );
        let steps = "steps = [\n  [\"0s\", 5],\n  [\"1m\" 6],\n]\n";
        assert_eq!(part(steps, "6"), steps);
        let orphans = "[a]\n  [\"0s\", 5],\n  [\"1m\", 6],\n]\nb = 1\n";
        assert_eq!(
            part(orphans, "[\"0s\""),
            "  [\"0s\", 5],\n  [\"1m\", 6],\n]\n"
        );
    }

    #[test]
    fn the_lines_of_a_value_without_its_key_are_one_part() {
        let text = "[a]\n  { service = \"a\" },\n  { service = \"b\" },\n]\nname = \"n\"\n";
        assert_eq!(
            part(text, "{ service = \"a\""),
            "  { service = \"a\" },\n  { service = \"b\" },\n]\n"
        );
    }

    #[test]
    fn a_value_closed_early_takes_its_last_lines() {
        let text = "calls = [\n  service = \"a\" },\n]\nb = 1\n";
        assert_eq!(
            part(text, "service"),
            "calls = [\n  service = \"a\" },\n]\n"
        );
        let header = "[a]\nx = 1\nmesh.payment]\ny = 2\n[b]\n";
        assert_eq!(part(header, "mesh.payment]"), "mesh.payment]\ny = 2\n");
    }

    #[test]
    fn a_broken_header_takes_its_section_and_the_tables_under_it() {
        let text = "[[service]\nname = \"a\"\n[[service.endpoint]]\nname = \"x\"\n\n[[service]]\nname = \"b\"\n";
        assert_eq!(
            part(text, "[[service]\n"),
            "[[service]\nname = \"a\"\n[[service.endpoint]]\nname = \"x\"\n\n"
        );
    }

    #[test]
    fn a_header_after_an_unclosed_value_blames_the_value() {
        let text = "[a]\ncalls = [\n  1,\n\n[[service]]\nname = \"b\"\n";
        assert_eq!(part(text, "[[service]]"), "calls = [\n  1,\n\n");
        assert_eq!(part(text, "name"), "calls = [\n  1,\n\n");
    }

    #[test]
    fn strings_and_comments_hide_brackets() {
        let text = "a = \"[\" # [\nb = '''\n[x]\n'''\nc = 1 x\n";
        assert_eq!(part(text, "c = 1"), "c = 1 x\n");
        assert_eq!(part(text, "[x]"), "b = '''\n[x]\n'''\n");
    }

    #[test]
    fn sections_stop_at_the_next_table() {
        let text = "[mesh.a]\nx = 1\n[mesh.a.retries]\ny = 2\n[mesh.b]\n";
        let outline = Outline::new(text);
        assert_eq!(
            &text[outline.section_at(0, false).unwrap()],
            "[mesh.a]\nx = 1\n"
        );
        assert_eq!(
            &text[outline.section_at(0, true).unwrap()],
            "[mesh.a]\nx = 1\n[mesh.a.retries]\ny = 2\n"
        );
        assert_eq!(outline.section_at(10, false), None);
        assert_eq!(outline.enclosing_section(10), outline.section_at(0, true));
        assert_eq!(&text[outline.rest_of_section(9)], "x = 1\n");
        assert!(outline.is_statement_start(text, 9));
        assert!(!outline.is_statement_start(text, 11));
        let missing =
            "[[link]]\nloss = 1\nname = \"a\"\n[[service.endpoint]]\nname = \"x\"\n[[service]]\n";
        let outline = Outline::new(missing);
        let name = missing.find("name").unwrap();
        assert_eq!(
            &missing[outline.rest_of_section(name)],
            "name = \"a\"\n[[service.endpoint]]\nname = \"x\"\n"
        );
        let typo = "[[servic]]\nname = \"a\"\n[[service.endpoint]]\n[[service]]\n";
        let outline = Outline::new(typo);
        assert_eq!(
            &typo[outline.section_renamed(0, "servic", "service").unwrap()],
            "[[servic]]\nname = \"a\"\n[[service.endpoint]]\n"
        );

        assert_eq!(Outline::new("").broken_part(0).range(), 0..0);
    }
}
