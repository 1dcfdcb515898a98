//! The scenario's text with the parts already reported blanked out, so that the parsers read on
//! past a mistake, and the judgement of which later findings that blanking may have caused.
//!
//! Blanking replaces every byte but line breaks with a space, so the patched text keeps the
//! original's byte offsets: a span found in it points at the same place in the file.

use std::ops::Range;

use super::diagnostic::Diagnostic;
use super::outline::{Outline, Part};

/// The text being checked, with the broken parts found so far blanked out.
#[derive(Debug)]
pub(super) struct Patch<'source> {
    source: &'source str,
    text: String,
    blanked: Vec<Range<usize>>,
    /// Parts rewritten as a hint suggests (`replica = 3` read as `replicas=3`).
    rewritten: Vec<Range<usize>>,
    /// Whether a whole table (or the keys of one whose header is missing) was blanked out.
    table_lost: bool,
}

impl<'source> Patch<'source> {
    pub(super) fn new(source: &'source str) -> Self {
        Patch {
            source,
            text: source.to_owned(),
            blanked: Vec::new(),
            rewritten: Vec::new(),
            table_lost: false,
        }
    }

    /// The text as the parsers read it now.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    pub(super) fn is_patched(&self) -> bool {
        !self.blanked.is_empty() || !self.rewritten.is_empty()
    }

    /// Whether a whole table was blanked out: then whatever refers to it (a call to its
    /// service, a metric of its workload) would fail for that alone, and the meaning of the
    /// file cannot be checked.
    pub(super) fn lost_a_table(&self) -> bool {
        self.table_lost
    }

    /// Blanks `part` out, as [`Patch::blank`] does, and remembers a lost table.
    pub(super) fn blank_part(&mut self, part: &Part) -> bool {
        let blanked = self.blank(part.range());
        if blanked && matches!(part, Part::Table(_)) {
            self.table_lost = true;
        }
        blanked
    }

    /// Blanks `range` out; false when there was nothing left in it to blank, which means that
    /// reading on would meet the same error again.
    pub(super) fn blank(&mut self, range: Range<usize>) -> bool {
        let start = floor_char_boundary(&self.text, range.start);
        let end = floor_char_boundary(&self.text, range.end.max(start));
        let before = &self.text[start..end];
        if before.bytes().all(|byte| byte.is_ascii_whitespace()) {
            return false;
        }
        let blank: String = before
            .chars()
            .flat_map(|character| {
                let kept = if matches!(character, '\n' | '\r') {
                    character
                } else {
                    ' '
                };
                std::iter::repeat_n(kept, character.len_utf8())
            })
            .collect();
        self.text.replace_range(start..end, &blank);
        self.blanked.push(start..end);
        true
    }

    /// Rewrites `range` as `replacement`, padded with spaces to the same length, so the parsers
    /// read on as if the user had taken the hint: a key spelled as the one it was close to, a
    /// value as the one expected. False, and nothing changed, when the replacement is longer
    /// or the text would not parse.
    pub(super) fn rewrite(&mut self, range: Range<usize>, replacement: &str) -> bool {
        let Some(before) = self.text.get(range.clone()) else {
            return false;
        };
        if replacement.len() > before.len() || before.contains('\n') {
            return false;
        }
        let padded = format!("{replacement:<width$}", width = before.len());
        let mut text = self.text.clone();
        text.replace_range(range.clone(), &padded);
        if toml_edit::Document::parse(text.as_str()).is_err() {
            return false;
        }
        self.text = text;
        self.rewritten.push(range);
        true
    }

    /// Whether a later finding may be an effect of a blanked part rather than a mistake of its
    /// own: it has no place, or its place (a header stands for its whole section, nested tables
    /// included) holds a blanked part. In doubt it says yes: one mistake shown twice costs the user more than one
    /// shown on the next run.
    pub(super) fn may_have_caused(&self, diagnostic: &Diagnostic, outline: &Outline) -> bool {
        if !self.is_patched() {
            return false;
        }
        let Some(span) = &diagnostic.span else {
            return true;
        };
        let region = outline
            .section_at(span.start, true)
            .unwrap_or_else(|| span.clone());
        self.touches(&region)
    }

    /// Whether a finding of validation may be an effect of a blanked part: as
    /// [`Patch::may_have_caused`] says, or a blanked part lies in the table it is in (or in one
    /// nested under that), whose keys are checked together (`depends_on` against the calls of
    /// the endpoints below it), or it is about a name a blanked part may have defined.
    pub(super) fn may_have_misled(&self, diagnostic: &Diagnostic, outline: &Outline) -> bool {
        if self.may_have_caused(diagnostic, outline) || self.lost_the_name_in(diagnostic) {
            return true;
        }
        diagnostic
            .span
            .as_ref()
            .and_then(|span| outline.enclosing_section(span.start))
            .is_some_and(|section| self.touches(&section))
    }

    /// Whether a finding is about a name (a service, an endpoint, a topic) that a blanked part
    /// may have defined: "unknown service `payment`" when `name = "payment` was blanked out.
    pub(super) fn lost_the_name_in(&self, diagnostic: &Diagnostic) -> bool {
        let Some(name) = first_quoted(&diagnostic.message) else {
            return false;
        };
        // A name the file does not know may have lost its definition even with its closing
        // quote; other messages quote keys as well as names, so only a quoted string counts.
        let wanted = if diagnostic.message.starts_with("unknown ") {
            name.to_owned()
        } else {
            format!("\"{name}\"")
        };
        self.blanked_text().any(|text| text.contains(&wanted))
    }

    /// Whether any blanked part lies in `region` (or overlaps it).
    pub(super) fn touches(&self, region: &Range<usize>) -> bool {
        self.blanked.iter().any(|blanked| {
            blanked.start < region.end.max(region.start + 1) && region.start < blanked.end
        })
    }

    /// The original text of each blanked part.
    fn blanked_text(&self) -> impl Iterator<Item = &'source str> + '_ {
        self.blanked
            .iter()
            .filter_map(|range| self.source.get(range.clone()))
    }
}

/// The first name a message quotes between backticks: `paymnt` in "unknown service `paymnt`
/// in `calls`".
fn first_quoted(message: &str) -> Option<&str> {
    message.split('`').nth(1).filter(|name| !name.is_empty())
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::Patch;
    use crate::scenario::diagnostic::Diagnostic;
    use crate::scenario::outline::Outline;

    #[test]
    fn blanking_keeps_offsets_and_line_breaks() {
        let source = "a = \"é\"\r\nb = 2\n";
        let mut patch = Patch::new(source);
        assert!(patch.blank(0..10));
        assert_eq!(patch.text().len(), source.len());
        assert_eq!(patch.text(), "        \r\nb = 2\n");
        assert!(!patch.blank(0..10), "nothing left to blank");
    }

    #[test]
    fn rewrites_within_the_same_length_only() {
        let source = "replica = 3\nmesh = \"envy\"\n";
        let mut patch = Patch::new(source);
        assert!(patch.rewrite(0..11, "replicas=3"));
        assert_eq!(patch.text(), "replicas=3 \nmesh = \"envy\"\n");
        assert!(
            !patch.rewrite(12..25, "mesh = \"envoy\""),
            "one byte too long"
        );
        assert!(!patch.rewrite(12..25, "mesh=\"envoy"), "does not parse");
        assert!(patch.rewrite(12..25, "mesh=\"envoy\""));
    }

    #[test]
    fn judges_findings_near_a_blanked_part_as_its_effects() {
        let source = "[[service]]\nname = \"payment\n[[service]]\nname = \"order\"\ncalls = [{ service = \"payment\" }]\n";
        let outline = Outline::new(source);
        let mut patch = Patch::new(source);
        let broken = source.find("name").unwrap();
        patch.blank_part(&outline.broken_part(broken));
        assert!(!patch.lost_a_table());
        let header = Diagnostic::error("f", "missing key").with_span(Some(0..11));
        assert!(patch.may_have_caused(&header, &outline));
        let call = source.find("{ service").unwrap();
        let unknown = Diagnostic::error("f", "unknown service `payment` in `calls`")
            .with_span(Some(call..call + 5));
        assert!(!patch.may_have_caused(&unknown, &outline));
        assert!(patch.lost_the_name_in(&unknown));
        let other = Diagnostic::error("f", "unknown service `order` in `calls`")
            .with_span(Some(call..call + 5));
        assert!(!patch.lost_the_name_in(&other));
    }
}
