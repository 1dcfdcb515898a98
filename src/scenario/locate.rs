//! From a path in the document back to the bytes it spans, so a semantic error can point at the
//! offending text.
//!
//! serde forgets positions once the scenario is parsed, so validation names what it checks by a
//! path (`service[1].endpoint[0].calls[2].service`) and [`Locator`] finds that path in a second,
//! position-keeping parse of the same text by `toml_edit`. When the path ends at a key that is
//! not written (a key a fault's kind requires, say), the span falls back to the nearest parent
//! that is: the `[[fault]]` header, or the inline table that lacks it.

use std::fmt;
use std::ops::Range;

use toml_edit::{Document, Item, Key, Table, Value};

/// One step of a path: a key of a table or an index into an array (of tables or of values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

impl From<&str> for PathPart {
    fn from(key: &str) -> Self {
        PathPart::Key(key.to_owned())
    }
}

impl From<&String> for PathPart {
    fn from(key: &String) -> Self {
        PathPart::Key(key.clone())
    }
}

impl From<String> for PathPart {
    fn from(key: String) -> Self {
        PathPart::Key(key)
    }
}

impl From<usize> for PathPart {
    fn from(index: usize) -> Self {
        PathPart::Index(index)
    }
}

/// A path from the document's root, built step by step: `DocPath::root().key("service").index(1)`
/// or with [`doc_path!`](crate::doc_path): `doc_path!["service", 1, "name"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocPath {
    parts: Vec<PathPart>,
}

impl DocPath {
    pub fn root() -> Self {
        DocPath::default()
    }

    pub fn from_parts(parts: Vec<PathPart>) -> Self {
        DocPath { parts }
    }

    /// This path extended by a key.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut parts = self.parts.clone();
        parts.push(PathPart::Key(key.to_owned()));
        DocPath { parts }
    }

    /// This path extended by an index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut parts = self.parts.clone();
        parts.push(PathPart::Index(index));
        DocPath { parts }
    }

    pub fn parts(&self) -> &[PathPart] {
        &self.parts
    }

    /// The path without its last part; the root is its own parent.
    #[must_use]
    pub fn parent(&self) -> Self {
        let mut parts = self.parts.clone();
        parts.pop();
        DocPath { parts }
    }

    /// The last key of the path, the name a message calls the value by (`calls` for
    /// `service[0].endpoint[0].calls[2]`).
    pub fn last_key(&self) -> &str {
        self.parts
            .iter()
            .rev()
            .find_map(|part| match part {
                PathPart::Key(key) => Some(key.as_str()),
                PathPart::Index(_) => None,
            })
            .unwrap_or("")
    }
}

impl fmt::Display for DocPath {
    /// `service[1].endpoint[0].calls[2].service`; keys that are not bare TOML keys are quoted,
    /// `mesh."my service".timeout`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, part) in self.parts.iter().enumerate() {
            match part {
                PathPart::Index(index) => write!(formatter, "[{index}]")?,
                PathPart::Key(key) => {
                    if position > 0 {
                        formatter.write_str(".")?;
                    }
                    let bare = !key.is_empty()
                        && key.chars().all(|character| {
                            character.is_ascii_alphanumeric()
                                || character == '_'
                                || character == '-'
                        });
                    if bare {
                        formatter.write_str(key)?;
                    } else {
                        write!(formatter, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Builds a [`DocPath`] from keys (`&str`, `String`) and indices (`usize`):
/// `doc_path!["service", 1, "endpoint", 0, "calls", 2, "service"]`.
#[macro_export]
macro_rules! doc_path {
    ($($part:expr),* $(,)?) => {
        $crate::scenario::locate::DocPath::from_parts(vec![
            $($crate::scenario::locate::PathPart::from($part)),*
        ])
    };
}

/// Finds paths in one source text. A text that does not parse locates nothing: every span is
/// `None`, and diagnostics then show the file without a line.
pub struct Locator<'source> {
    source: &'source str,
    document: Option<Document<&'source str>>,
}

/// A node reached while walking a path; arrays hold values while tables hold items.
#[derive(Clone, Copy)]
enum Node<'document> {
    Item(&'document Item),
    Table(&'document Table),
    Value(&'document Value),
}

impl<'document> Node<'document> {
    fn span(self) -> Option<Range<usize>> {
        match self {
            // An array of tables spans all its tables; its first header is the useful place.
            Node::Item(Item::ArrayOfTables(tables)) => tables.get(0).and_then(Table::span),
            Node::Item(item) => item.span(),
            Node::Table(table) => table.span(),
            Node::Value(value) => value.span(),
        }
    }

    /// The child under `part` with the span of its key, when the part is a key.
    fn child(self, part: &PathPart) -> Option<(Option<&'document Key>, Node<'document>)> {
        match part {
            PathPart::Key(name) => {
                let (key, item) = match self {
                    Node::Item(item) => item.as_table_like()?.get_key_value(name)?,
                    Node::Table(table) => table.get_key_value(name)?,
                    Node::Value(value) => value.as_inline_table()?.get_key_value(name)?,
                };
                Some((Some(key), Node::Item(item)))
            }
            PathPart::Index(index) => {
                let child = match self {
                    Node::Item(Item::ArrayOfTables(tables)) => Node::Table(tables.get(*index)?),
                    Node::Item(Item::Value(Value::Array(array)))
                    | Node::Value(Value::Array(array)) => Node::Value(array.get(*index)?),
                    _ => return None,
                };
                Some((None, child))
            }
        }
    }

    /// Every child with its path part and key, in document order.
    fn children(self) -> Vec<(PathPart, Option<&'document Key>, Node<'document>)> {
        let mut children = Vec::new();
        let table_like = match self {
            Node::Item(item) => item.as_table_like(),
            Node::Table(table) => Some(table as &dyn toml_edit::TableLike),
            Node::Value(value) => value
                .as_inline_table()
                .map(|table| table as &dyn toml_edit::TableLike),
        };
        if let Some(table) = table_like {
            for (name, _) in table.iter() {
                if let Some((key, item)) = table.get_key_value(name) {
                    children.push((PathPart::Key(name.to_owned()), Some(key), Node::Item(item)));
                }
            }
            return children;
        }
        match self {
            Node::Item(Item::ArrayOfTables(tables)) => {
                for (index, table) in tables.iter().enumerate() {
                    children.push((PathPart::Index(index), None, Node::Table(table)));
                }
            }
            Node::Item(Item::Value(Value::Array(array))) | Node::Value(Value::Array(array)) => {
                for (index, value) in array.iter().enumerate() {
                    children.push((PathPart::Index(index), None, Node::Value(value)));
                }
            }
            _ => {}
        }
        children
    }
}

impl<'source> Locator<'source> {
    /// A locator for `source`; if the text is not valid TOML, one that locates nothing.
    pub fn new(source: &'source str) -> Self {
        Locator {
            source,
            document: Document::parse(source).ok(),
        }
    }

    /// A locator for `source`, or the syntax error that keeps the text from being TOML.
    pub fn parse(source: &'source str) -> Result<Self, toml_edit::TomlError> {
        Ok(Locator {
            source,
            document: Some(Document::parse(source)?),
        })
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
                    let mut parts = path.parts.clone();
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
        Some(current) if current.0.parts.len() >= candidate.0.parts.len() => current,
        _ => candidate,
    }
}

struct Walk {
    span: Option<Range<usize>>,
    key_span: Option<Range<usize>>,
    complete: bool,
}

#[cfg(test)]
mod tests {
    use super::{DocPath, Locator, PathTarget};

    const SOURCE: &str = r#"[scenario]
name = "x"

[[service]]
name = "order"

[[service.endpoint]]
name = "POST /orders"
calls = [
  { service = "product", endpoint = "GET /stock" },
  { service = "paymnt", endpoint = "POST /payments" },
]

[[service]]
name = "payment"

[mesh.payment.retries]
attempts = 3

[[mesh.order.route]]
weights = { v1 = 90, v3 = 10 }
"#;

    fn text(span: Option<std::ops::Range<usize>>) -> &'static str {
        span.map_or("<none>", |span| &SOURCE[span])
    }

    #[test]
    fn finds_values_in_tables_arrays_and_inline_tables() {
        let locator = Locator::new(SOURCE);
        let path = crate::doc_path!["service", 0, "endpoint", 0, "calls", 1, "service"];
        assert_eq!(text(locator.value_span(path.parts())), "\"paymnt\"");
        assert_eq!(text(locator.key_span(path.parts())), "service");
        assert_eq!(
            text(locator.value_span(crate::doc_path!["service", 1, "name"].parts())),
            "\"payment\""
        );
        let calls = crate::doc_path!["service", 0, "endpoint", 0, "calls", 0];
        assert_eq!(
            text(locator.value_span(calls.parts())),
            "{ service = \"product\", endpoint = \"GET /stock\" }"
        );
        let weight = crate::doc_path!["mesh", "order", "route", 0, "weights", "v3"];
        assert_eq!(text(locator.key_span(weight.parts())), "v3");
        assert_eq!(text(locator.value_span(weight.parts())), "10");
        assert_eq!(
            text(locator.key_span(crate::doc_path!["mesh", "payment"].parts())),
            "payment"
        );
        assert_eq!(
            text(locator.value_span(crate::doc_path!["scenario"].parts())),
            "[scenario]"
        );
    }

    #[test]
    fn falls_back_to_the_nearest_written_parent() {
        let locator = Locator::new(SOURCE);
        assert_eq!(
            text(locator.value_span(crate::doc_path!["service", 1, "replicas"].parts())),
            "[[service]]"
        );
        assert!(!locator.exists(crate::doc_path!["service", 1, "replicas"].parts()));
        let missing = crate::doc_path!["service", 0, "endpoint", 0, "calls", 1, "topic"];
        assert_eq!(
            text(locator.key_span(missing.parts())),
            "{ service = \"paymnt\", endpoint = \"POST /payments\" }"
        );
        assert_eq!(
            text(locator.value_span(crate::doc_path!["service", 9, "name"].parts())),
            "[[service]]"
        );
        assert_eq!(
            locator.value_span(crate::doc_path!["nothing"].parts()),
            None
        );
        assert_eq!(locator.value_span(DocPath::root().parts()), None);
        let broken = Locator::new("[scenario\nname = ");
        assert_eq!(
            broken.value_span(crate::doc_path!["scenario"].parts()),
            None
        );
    }

    #[test]
    fn finds_the_path_of_a_span() {
        let locator = Locator::new(SOURCE);
        let start = SOURCE.find("\"paymnt\"").unwrap();
        let (path, target) = locator.path_at(&(start..start + 8)).unwrap();
        assert_eq!(path.to_string(), "service[0].endpoint[0].calls[1].service");
        assert_eq!(target, PathTarget::Value);
        let attempts = SOURCE.find("attempts").unwrap();
        let (path, target) = locator.path_at(&(attempts..attempts + 8)).unwrap();
        assert_eq!(path.to_string(), "mesh.payment.retries.attempts");
        assert_eq!(target, PathTarget::Key);
    }

    #[test]
    fn displays_paths_with_quoted_keys() {
        let path = DocPath::root()
            .key("mesh")
            .key("my svc")
            .key("route")
            .index(2);
        assert_eq!(path.to_string(), "mesh.\"my svc\".route[2]");
        assert_eq!(path.last_key(), "route");
    }
}
