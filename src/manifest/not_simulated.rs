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
    /// `Deployment`: fields are grouped by kind and path when listed.
    pub(crate) kind: String,
    /// The file, and the line and column in it, to list places in one file briefly.
    pub(crate) file: String,
    pub(crate) line_column: String,
    /// `spec.template.spec.containers[0].image`, or the kind for a whole document.
    pub(crate) field: String,
}

pub(crate) fn list(manifests: &[Manifest], reader: &Reader) -> Vec<NotSimulated> {
    let mut listed = Vec::new();
    for manifest in manifests {
        if let Kind::Other { api_version, kind } = &manifest.kind {
            let whole = format!(
                "(the whole document: {api_version} {kind} is a kind meshsim does not read)"
            );
            listed.push(entry(reader, manifest, &manifest.place(), whole));
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
            let place = Place {
                file: manifest.file,
                span: key.span.clone(),
            };
            listed.push(entry(reader, manifest, &place, path));
        }
    }
    listed
}

fn entry(reader: &Reader, manifest: &Manifest, place: &Place, field: String) -> NotSimulated {
    let at = where_is(reader, place);
    let file = reader.label(place.file).to_owned();
    let line_column = at[file.len()..].trim_start_matches(':').to_owned();
    NotSimulated {
        place: at,
        document: manifest.title(),
        kind: manifest.kind.name().to_owned(),
        file,
        line_column,
        field,
    }
}

/// The listed fields grouped by kind and path, each group with its places: one line for the
/// image of six Deployments. Groups come in the order first seen.
pub(crate) fn grouped(listed: &[NotSimulated]) -> Vec<(String, String, Vec<String>)> {
    let mut groups: Vec<(String, String, Vec<String>)> = Vec::new();
    for entry in listed {
        let found = groups
            .iter()
            .position(|(kind, field, _)| *kind == entry.kind && *field == entry.field);
        let index = found.unwrap_or_else(|| {
            groups.push((entry.kind.clone(), entry.field.clone(), Vec::new()));
            groups.len() - 1
        });
        let places = &mut groups[index].2;
        let same_file = places.last().is_some() && listed_file(listed, entry, places);
        places.push(if same_file {
            entry.line_column.clone()
        } else {
            entry.place.clone()
        });
    }
    groups
}

/// Whether the group's previous place is in `entry`'s file (its places are listed in order).
fn listed_file(listed: &[NotSimulated], entry: &NotSimulated, places: &[String]) -> bool {
    let Some(previous) = listed
        .iter()
        .filter(|other| other.kind == entry.kind && other.field == entry.field)
        .nth(places.len() - 1)
    else {
        return false;
    };
    previous.file == entry.file
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
