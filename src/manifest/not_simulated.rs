//! Every field of the included documents that no translation read, listed with its place, so a
//! setting meshsim does not simulate is never dropped silently.
//!
//! A field is listed at the shallowest key none of whose values was read: a container's whole
//! `env` is one line, not one per variable. A document of a kind meshsim does not read is one
//! line for the whole document.

use super::kind::Kind;
use super::manifests::{Manifest, where_is};
use super::reader::{Place, Reader};
use super::yaml::{Node, Value};

/// Lines listed at most; the count of the rest is given.
pub(crate) const LISTED_MAX: usize = 200;

/// One field meshsim does not simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotSimulated {
    /// `file:line:column`.
    pub(crate) place: String,
    /// `Deployment default/reviews-v1`.
    pub(crate) document: String,
    /// `spec.template.spec.containers[0].image`, or the kind for a whole document.
    pub(crate) field: String,
}

pub(crate) fn list(manifests: &[Manifest], reader: &Reader) -> Vec<NotSimulated> {
    let mut listed = Vec::new();
    for manifest in manifests {
        if let Kind::Other { api_version, kind } = &manifest.kind {
            listed.push(NotSimulated {
                place: where_is(reader, &manifest.place()),
                document: manifest.title(),
                field: format!(
                    "the whole document ({api_version} {kind} is a kind meshsim does not read)"
                ),
            });
            continue;
        }
        let mut pending: Vec<(String, &Node, &Node)> = Vec::new();
        push_children(&mut pending, "", &manifest.root);
        while let Some((path, key, value)) = pending.pop() {
            if reader.is_used(manifest.file, value) {
                // A map read as a whole thing (a Compose service) still has its fields listed.
                push_children(&mut pending, &path, value);
                continue;
            }
            if any_used(reader, manifest.file, value) {
                push_children(&mut pending, &path, value);
                continue;
            }
            listed.push(NotSimulated {
                place: where_is(
                    reader,
                    &Place {
                        file: manifest.file,
                        span: key.span.clone(),
                    },
                ),
                document: manifest.title(),
                field: path,
            });
        }
    }
    listed
}

/// The children of a map or list, pushed so they pop in document order.
fn push_children<'n>(pending: &mut Vec<(String, &'n Node, &'n Node)>, path: &str, node: &'n Node) {
    let dot = if path.is_empty() { "" } else { "." };
    match &node.value {
        Value::Map(entries) => {
            for (key, value) in entries.iter().rev() {
                let name = key.text().unwrap_or("?");
                pending.push((format!("{path}{dot}{name}"), key, value));
            }
        }
        Value::Seq(items) => {
            for (index, item) in items.iter().enumerate().rev() {
                pending.push((format!("{path}[{index}]"), item, item));
            }
        }
        Value::Text { .. } | Value::Null => {}
    }
}

fn any_used(reader: &Reader, file: usize, node: &Node) -> bool {
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        if reader.is_used(file, node) {
            return true;
        }
        match &node.value {
            Value::Map(entries) => pending.extend(entries.iter().map(|(_, value)| value)),
            Value::Seq(items) => pending.extend(items),
            Value::Text { .. } | Value::Null => {}
        }
    }
    false
}
