//! A YAML stream read into trees of [`Node`]s that keep their byte spans, one tree per document.
//!
//! The saphyr parser gives events with character positions; the tree is built from them here with
//! an explicit stack (no recursion a deep file could overflow), every span turned into bytes so
//! a diagnostic can point at the value. Anchors are copied where their aliases stand, within a
//! bound on the nodes of the whole stream, so a "billion laughs" file is an error, not a hang.

use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Nodes of one stream, aliases copied, at most; far above any real manifest set (Istio's whole
/// demo profile is about 40,000 nodes).
const NODES_MAX: usize = 1_000_000;

/// One value of a YAML document with the bytes it spans.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Keys in document order; a key is a node so it can be pointed at.
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
    /// A scalar's text; `quoted` when written in quotes, which makes `"1"` a string, not a number.
    Text {
        text: String,
        quoted: bool,
    },
    /// `null`, `~` or nothing at all.
    Null,
}

impl Node {
    /// The text of a scalar, `None` for anything else.
    pub(crate) fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value under `key` of a map; `None` when absent or when this is no map.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, value)| value)
    }

    /// The key and value nodes under `key` of a map.
    pub(crate) fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(name, _)| name.text() == Some(key))
                .map(|(name, value)| (name, value)),
            _ => None,
        }
    }

    /// What kind of value this is, for messages ("a list", "a number").
    pub(crate) fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a map",
            Value::Seq(_) => "a list",
            Value::Text { .. } => "a scalar",
            Value::Null => "null",
        }
    }
}

/// A YAML syntax error: where, and the parser's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// Every document of `text`, each with the span of its start, in order.
pub(crate) fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let bytes = ByteOffsets::new(text);
    let mut builder = Builder::default();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| YamlError {
            offset: bytes.of(error.marker().index()),
            message: error.info().to_owned(),
        })?;
        let span = bytes.of(span.start.index())..bytes.of(span.end.index());
        builder.take(event, span)?;
    }
    Ok(builder.documents)
}

/// Character positions to byte offsets: the identity for ASCII text, a table otherwise.
struct ByteOffsets {
    table: Option<Vec<usize>>,
    length: usize,
}

impl ByteOffsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| {
            let mut table: Vec<usize> = text.char_indices().map(|(byte, _)| byte).collect();
            table.push(text.len());
            table
        });
        ByteOffsets {
            table,
            length: text.len(),
        }
    }

    fn of(&self, character: usize) -> usize {
        match &self.table {
            Some(table) => table.get(character).copied().unwrap_or(self.length),
            None => character.min(self.length),
        }
    }
}

/// A collection being filled: its start and what it holds so far.
#[derive(Debug)]
enum Open {
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
}

#[derive(Debug, Default)]
struct Builder {
    stack: Vec<Open>,
    documents: Vec<Node>,
    anchors: Vec<(usize, Node)>,
    nodes: usize,
}

impl Builder {
    fn take(&mut self, event: Event<'_>, span: Range<usize>) -> Result<(), YamlError> {
        match event {
            Event::Scalar(text, style, anchor, _) => {
                let quoted = !matches!(style, ScalarStyle::Plain);
                let value =
                    if !quoted && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                        Value::Null
                    } else {
                        Value::Text {
                            text: text.into_owned(),
                            quoted,
                        }
                    };
                self.finish(Node { value, span }, anchor)
            }
            Event::Alias(anchor) => {
                let node = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(id, _)| *id == anchor)
                    .map(|(_, node)| node.clone())
                    .ok_or_else(|| YamlError {
                        offset: span.start,
                        message: "an alias to an anchor not defined before it".to_owned(),
                    })?;
                self.count(count_nodes(&node), span.start)?;
                self.finish(node, 0)
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Open::Map {
                    start: span.start,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                Ok(())
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Open::Seq {
                    start: span.start,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingEnd | Event::SequenceEnd => self.close(span.end),
            Event::DocumentEnd
            | Event::DocumentStart(_)
            | Event::StreamStart
            | Event::StreamEnd
            | Event::Nothing => Ok(()),
        }
    }

    fn close(&mut self, end: usize) -> Result<(), YamlError> {
        let Some(open) = self.stack.pop() else {
            return Ok(());
        };
        let (node, anchor) = match open {
            Open::Map {
                start,
                anchor,
                entries,
                ..
            } => (
                Node {
                    value: Value::Map(entries),
                    span: start..end.max(start),
                },
                anchor,
            ),
            Open::Seq {
                start,
                anchor,
                items,
            } => (
                Node {
                    value: Value::Seq(items),
                    span: start..end.max(start),
                },
                anchor,
            ),
        };
        self.finish(node, anchor)
    }

    /// A finished node goes into the collection that is open, or is a whole document.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        self.count(1, node.span.start)?;
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(name) => entries.push((name, node)),
            },
        }
        Ok(())
    }

    fn count(&mut self, nodes: usize, offset: usize) -> Result<(), YamlError> {
        self.nodes += nodes;
        if self.nodes > NODES_MAX {
            return Err(YamlError {
                offset,
                message: format!(
                    "more than {NODES_MAX} values, aliases expanded; is an anchor used in a loop of aliases?"
                ),
            });
        }
        Ok(())
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        count += 1;
        match &node.value {
            Value::Map(entries) => {
                for (key, value) in entries {
                    pending.push(key);
                    pending.push(value);
                }
            }
            Value::Seq(items) => pending.extend(items),
            Value::Text { .. } | Value::Null => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::{Value, parse_documents};

    #[test]
    fn reads_documents_with_byte_spans() {
        let text = "a: 1\nb: [x, \"é\"]\n---\nkind: Service\n";
        let documents = parse_documents(text).expect("valid YAML");
        assert_eq!(documents.len(), 2);
        let b = documents[0].get("b").expect("b");
        let Value::Seq(items) = &b.value else {
            panic!("a list")
        };
        assert_eq!(&text[items[1].span.clone()], "\"é\"");
        let kind = documents[1].get("kind").expect("kind");
        assert_eq!(&text[kind.span.clone()], "Service");
    }

    #[test]
    fn nulls_and_quoted_text() {
        let documents = parse_documents("a: ~\nb: \"null\"\nc:\n").expect("valid");
        assert_eq!(
            documents[0].get("a").map(|node| &node.value),
            Some(&Value::Null)
        );
        assert_eq!(
            documents[0].get("b").and_then(|node| node.text()),
            Some("null")
        );
        assert_eq!(
            documents[0].get("c").map(|node| &node.value),
            Some(&Value::Null)
        );
    }

    #[test]
    fn aliases_are_copied_and_bounded() {
        let documents = parse_documents("a: &x {k: 1}\nb: *x\n").expect("valid");
        assert_eq!(
            documents[0]
                .get("b")
                .and_then(|b| b.get("k"))
                .and_then(|k| k.text()),
            Some("1")
        );
        let mut laughs = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..9 {
            let previous = level - 1;
            let aliases = vec![format!("*l{previous}"); 10].join(", ");
            let _ = writeln!(laughs, "l{level}: &l{level} [{aliases}]");
        }
        assert!(parse_documents(&laughs).is_err());
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let error = parse_documents("a: [1, 2\nb: 3\n").expect_err("unclosed");
        assert!(error.offset > 0, "{error:?}");
    }
}
