//! Where a byte offset is in a text, as editors count lines and columns.

use std::ops::Range;

/// A 1-based line and a 1-based column counted in characters, as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// The location of byte `offset` of `source`, clamped into the text.
pub(crate) fn location_of(source: &str, offset: usize) -> Location {
    let offset = floor_char_boundary(source, offset);
    let before = &source[..offset];
    let line = before.bytes().filter(|byte| *byte == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    Location { line, column }
}

/// `span` made safe to slice `source` with: inside the text, on char boundaries, start before
/// end, and cut at the end of its first line. Spans from a file that changed, or from a bug
/// elsewhere, must still render, and the renderer panics on a span past the text.
///
/// The cut keeps one line with carets under it, as meshsim has always shown: a span that runs
/// on is a multi-line array or inline table (or the whole file), whose first line says where it
/// is, while drawing all of it would bury the message under forty lines of a `[[fault]]` list.
pub(crate) fn first_line_of(source: &str, span: &Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(source, span.start);
    let end = floor_char_boundary(source, span.end.max(start));
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |newline| start + newline);
    // A `\r` before the line break belongs to the break, not to the underlined text.
    let line_end = if source[..line_end].ends_with('\r') && line_end > start {
        line_end - 1
    } else {
        line_end
    };
    start..end.min(line_end)
}

/// The largest char boundary at or below `offset` (`str::floor_char_boundary` is unstable).
fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
