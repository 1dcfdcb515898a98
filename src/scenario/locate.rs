//! From a path in the document back to the bytes it spans, so a semantic error can point at the
//! offending text.
//!
//! serde forgets positions once the scenario is parsed, so validation names what it checks by a
//! path (`service[1].endpoint[0].calls[2].service`) and [`Locator`] finds that path in a second,
//! position-keeping parse of the same text by `toml_edit`. When the path ends at a key that is
//! not written (a key a fault's kind requires, say), the span falls back to the nearest parent
//! that is: the `[[fault]]` header, or the inline table that lacks it.

mod doc_path;
mod node;

#[cfg(test)]
mod tests;

use std::ops::Range;

use toml_edit::{Document, Item, Key, Value};

pub use doc_path::{DocPath, PathPart};
use node::Node;

/// Finds paths in one source text. A text that does not parse locates nothing: every span is
/// `None`, and diagnostics then show the file without a line.
pub struct Locator<'source> {
    source: &'source str,
    document: Option<Document<&'source str>>,
    /// Values included files set, by their path in the scenario.
    included: Vec<IncludedValue>,
}

/// A value an included file set: its path in the scenario, and where it was written.
#[derive(Debug, Clone)]
pub struct IncludedValue {
    pub path: DocPath,
    /// The file as diagnostics name it, and its place among the included files.
    pub file: String,
    pub file_index: usize,
    pub span: Range<usize>,
    /// 1-based.
    pub line: usize,
}

impl<'source> Locator<'source> {
    /// A locator for `source`; if the text is not valid TOML, one that locates nothing.
    pub fn new(source: &'source str) -> Self {
        Locator {
            source,
            document: Document::parse(source).ok(),
            included: Vec::new(),
        }
    }

    /// A locator for `source`, or the syntax error that keeps the text from being TOML.
    pub fn parse(source: &'source str) -> Result<Self, toml_edit::TomlError> {
        Ok(Locator {
            source,
            document: Some(Document::parse(source)?),
            included: Vec::new(),
        })
    }

    /// The locator with the places of values included files set.
    #[must_use]
    pub fn with_included(mut self, included: Vec<IncludedValue>) -> Self {
        self.included = included;
        self
    }

    /// Where the value at `path` was written when an included file set it (or set the table it
    /// is in): the longest such path that starts `path`.
    pub fn included_place(&self, path: &[PathPart]) -> Option<&IncludedValue> {
        self.included
            .iter()
            .filter(|value| path.starts_with(value.path.parts()))
            .max_by_key(|value| value.path.parts().len())
    }

    pub fn source(&self) -> &'source str {
        self.source
    }

    /// The span of the value at `path`, or of its nearest written parent.
    pub fn value_span(&self, path: &[PathPart]) -> Option<Range<usize>> {
        self.walk(path).span
    }

    /// The span of the key that ends `path` (`v3` in `weights = { v3 = 100 }`), for problems with
    /// the key itself rather than its value; falls back like [`Locator::value_span`].
    pub fn key_span(&self, path: &[PathPart]) -> Option<Range<usize>> {
        let walk = self.walk(path);
        if walk.complete {
            walk.key_span.or(walk.span)
        } else {
            walk.span
        }
    }

    /// The keys of the table at `path`, in document order; empty when `path` is no table.
    pub fn keys(&self, path: &[PathPart]) -> Vec<String> {
        let Some(document) = &self.document else {
            return Vec::new();
        };
        let mut node = Node::Item(document.as_item());
        for part in path {
            let Some((_, child)) = node.child(part) else {
                return Vec::new();
            };
            node = child;
        }
        let is_table = match node {
            Node::Item(item) => item.is_table_like(),
            Node::Table(_) => true,
            Node::Value(value) => value.is_inline_table(),
        };
        if !is_table {
            return Vec::new();
        }
        node.children()
            .into_iter()
            .filter_map(|(part, _, _)| match part {
                PathPart::Key(key) => Some(key),
                PathPart::Index(_) => None,
            })
            .collect()
    }

    /// Whether every step of `path` is written in the document.
    pub fn exists(&self, path: &[PathPart]) -> bool {
        self.walk(path).complete
    }

    /// The 1-based line a span starts on, for messages such as "first declared on line 5".
    pub fn line_of(&self, span: &Range<usize>) -> usize {
        super::diagnostic::location_of(self.source, span.start).line
    }

    /// How the table at `path` is written, for messages: `[[service.endpoint]]`,
    /// `[mesh.payment.retries]`, or `` `service_time` `` for an inline table; `None` if `path`
    /// is not a written table.
    pub fn table_title(&self, path: &[PathPart]) -> Option<String> {
        let document = self.document.as_ref()?;
        let mut node = Node::Item(document.as_item());
        for part in path {
            node = node.child(part)?.1;
        }
        let keys: Vec<&str> = path
            .iter()
            .filter_map(|part| match part {
                PathPart::Key(key) => Some(key.as_str()),
                PathPart::Index(_) => None,
            })
            .collect();
        let dotted = keys.join(".");
        match node {
            Node::Table(_) => Some(format!("[[{dotted}]]")),
            Node::Item(Item::Table(_)) if !path.is_empty() => Some(format!("[{dotted}]")),
            Node::Item(Item::Value(Value::InlineTable(_))) | Node::Value(Value::InlineTable(_)) => {
                let last = keys.last()?;
                if matches!(path.last(), Some(PathPart::Index(_))) {
                    Some(format!("an entry of `{last}`"))
                } else {
                    Some(format!("`{last}`"))
                }
            }
            _ => None,
        }
    }

    /// The path whose value or key spans exactly `span`, the deepest if several do; with it a
    /// serde error, which carries only a span, can name the key it is about.
    pub fn path_at(&self, span: &Range<usize>) -> Option<(DocPath, PathTarget)> {
        let document = self.document.as_ref()?;
        let mut found = None;
        let mut stack = vec![(DocPath::root(), Node::Item(document.as_item()))];
        // Depth-first without recursion; the parser bounds nesting, the stack bounds nothing else.
        while let Some((path, node)) = stack.pop() {
            for (part, key, child) in node.children() {
                let child_path = DocPath::from_parts({
                    let mut parts = path.parts().to_vec();
                    parts.push(part);
                    parts
                });
                if key.and_then(Key::span).as_ref() == Some(span) {
                    found = Some(deeper(found, (child_path.clone(), PathTarget::Key)));
                }
                if child.span().as_ref() == Some(span) {
                    found = Some(deeper(found, (child_path.clone(), PathTarget::Value)));
                }
                stack.push((child_path, child));
            }
        }
        found
    }

    /// The smallest written `key = value` that holds `span`; `None` when no pair holds it (a
    /// table header, say). Blanking it out removes the one key a serde error is about.
    pub fn entry_at(&self, span: &Range<usize>) -> Option<Entry> {
        let document = self.document.as_ref()?;
        let mut best: Option<Entry> = None;
        let mut stack = vec![Node::Item(document.as_item())];
        // Depth-first without recursion, as in `path_at`.
        while let Some(node) = stack.pop() {
            for (_, key, child) in node.children() {
                let value = match child {
                    Node::Item(Item::Value(value)) => value.span(),
                    _ => None,
                };
                if let (Some(key), Some(value)) = (key.and_then(Key::span), value) {
                    let entry = Entry { key, value };
                    let whole = entry.whole();
                    let holds = whole.start <= span.start && span.end <= whole.end;
                    if holds
                        && best
                            .as_ref()
                            .is_none_or(|best| whole.len() < best.whole().len())
                    {
                        best = Some(entry);
                    }
                }
                stack.push(child);
            }
        }
        best
    }

    fn walk(&self, path: &[PathPart]) -> Walk {
        let mut walk = Walk {
            span: None,
            key_span: None,
            complete: false,
        };
        let Some(document) = &self.document else {
            return walk;
        };
        let mut node = Node::Item(document.as_item());
        for part in path {
            let Some((key, child)) = node.child(part) else {
                return walk;
            };
            let key_span = key.and_then(Key::span);
            // Implicit tables (`[mesh.order.route]` makes `mesh` and `order`) have no span of
            // their own; their key in the header is where they are written.
            if let Some(span) = child.span().or_else(|| key_span.clone()) {
                walk.span = Some(span);
            }
            walk.key_span = key_span;
            node = child;
        }
        walk.complete = true;
        walk
    }
}

/// Where a `key = value` pair is written: its key's bytes and its value's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: Range<usize>,
    pub value: Range<usize>,
}

impl Entry {
    /// From the start of the key to the end of the value.
    pub fn whole(&self) -> Range<usize> {
        self.key.start..self.value.end
    }
}

/// Whether a path found by [`Locator::path_at`] matched the key or the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathTarget {
    Key,
    Value,
}

/// The deeper of two matches; the one found first when they are equally deep.
fn deeper(
    found: Option<(DocPath, PathTarget)>,
    candidate: (DocPath, PathTarget),
) -> (DocPath, PathTarget) {
    match found {
        Some(current) if current.0.parts().len() >= candidate.0.parts().len() => current,
        _ => candidate,
    }
}

struct Walk {
    span: Option<Range<usize>>,
    key_span: Option<Range<usize>>,
    complete: bool,
}
