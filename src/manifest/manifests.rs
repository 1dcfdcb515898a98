//! The files `[scenario] include` names, read into documents and recognised by kind.
//!
//! Paths and globs are relative to the scenario file; a glob's matches come sorted by name, so
//! the order documents apply in never depends on the file system. Documents apply in the order
//! given, as `kubectl apply -f` in that order would: a later document with the same kind,
//! namespace and name replaces the earlier one, and the report says which replaced which.

use std::path::{Path, PathBuf};

use super::kind::Kind;
use super::reader::{Field, Place, Reader};
use super::yaml::{Node, parse_documents};
use crate::scenario::Diagnostic;

/// Files one scenario may include, and documents in all of them: bounds a typo'd glob
/// (`**/*.yaml` from the root of a big repository) could inflate.
pub(crate) const INCLUDED_FILES_MAX: usize = 256;
pub(crate) const DOCUMENTS_MAX: usize = 4_096;
/// Bytes of one included file: Kubernetes refuses objects over 1.5 MiB (etcd's request limit).
const FILE_BYTES_MAX: u64 = 4 * 1024 * 1024;

/// One recognised document of an included file.
#[derive(Debug, Clone)]
pub(crate) struct Manifest {
    pub(crate) file: usize,
    pub(crate) root: Node,
    pub(crate) kind: Kind,
    /// `metadata.name`; a Compose file's own name.
    pub(crate) name: String,
    /// `metadata.namespace`, `default` when absent.
    pub(crate) namespace: String,
}

impl Manifest {
    pub(crate) fn place(&self) -> Place {
        Place {
            file: self.file,
            span: self.root.span.clone(),
        }
    }

    /// `Deployment default/reviews-v1`, as messages name a document.
    pub(crate) fn title(&self) -> String {
        match self.kind {
            Kind::Compose => format!("Compose file {}", self.name),
            _ => format!("{} {}/{}", self.kind.name(), self.namespace, self.name),
        }
    }
}

/// The documents in effect, in the order they apply, with what replaced what.
#[derive(Debug, Default)]
pub(crate) struct ManifestSet {
    pub(crate) manifests: Vec<Manifest>,
    /// "`VirtualService default/reviews` at a.yaml:1:1 replaced by b.yaml:1:1".
    pub(crate) replaced: Vec<String>,
}

/// Reads every file the patterns name into `reader`, recognising each document.
pub(crate) fn read_included(
    patterns: &[(String, Place)],
    base: &Path,
    reader: &mut Reader,
    scenario_label: &str,
) -> ManifestSet {
    let mut set = ManifestSet::default();
    let mut files = 0;
    for (pattern, place) in patterns {
        let paths = match expand(pattern, base) {
            Ok(paths) => paths,
            Err(message) => {
                reader.push(at_include(scenario_label, place, message));
                continue;
            }
        };
        if paths.is_empty() {
            reader.push(
                at_include(scenario_label, place, format!("`{pattern}` names no file"))
                    .with_hint("paths and globs are relative to the scenario file's folder"),
            );
        }
        for path in paths {
            files += 1;
            if files > INCLUDED_FILES_MAX {
                reader.push(
                    at_include(
                        scenario_label,
                        place,
                        format!("more than {INCLUDED_FILES_MAX} included files"),
                    )
                    .with_hint(
                        "name the folders of the system's manifests, not a whole repository",
                    ),
                );
                return set;
            }
            read_file(&path, place, scenario_label, reader, &mut set);
        }
    }
    set
}

fn at_include(scenario_label: &str, place: &Place, message: String) -> Diagnostic {
    Diagnostic::error(scenario_label, message).with_span(Some(place.span.clone()))
}

/// The files `pattern` names, sorted; a pattern without a wildcard names one file.
fn expand(pattern: &str, base: &Path) -> Result<Vec<PathBuf>, String> {
    let joined = base.join(pattern);
    let text = joined.to_string_lossy();
    if !pattern.contains(['*', '?', '[']) {
        return Ok(vec![joined]);
    }
    let paths = glob::glob(&text).map_err(|error| format!("`{pattern}` is not a glob: {error}"))?;
    let mut found: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|path| path.is_file())
        .collect();
    found.sort();
    Ok(found)
}

fn read_file(
    path: &Path,
    include: &Place,
    scenario_label: &str,
    reader: &mut Reader,
    set: &mut ManifestSet,
) {
    let label = path.display().to_string();
    let text = match read_text(path) {
        Ok(text) => text,
        Err(message) => {
            reader.push(at_include(
                scenario_label,
                include,
                format!("cannot read `{label}`: {message}"),
            ));
            return;
        }
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = reader.add_file(label, text);
    let documents = match parse_documents(&reader.files[file].text) {
        Ok(documents) => documents,
        Err(error) => {
            let place = Place {
                file,
                span: error.offset..error.offset,
            };
            reader.error(
                &place,
                format!("this is not YAML: {}", error.message),
                "kubectl would refuse the file as well; fix the syntax at the caret",
            );
            return;
        }
    };
    for root in documents {
        if set.manifests.len() >= DOCUMENTS_MAX {
            reader.error(
                &Place {
                    file,
                    span: root.span.clone(),
                },
                format!("more than {DOCUMENTS_MAX} included documents"),
                "include the manifests of the system to simulate, not a whole cluster's",
            );
            return;
        }
        if let Some(manifest) = recognise(file, root, &file_name, reader) {
            apply(manifest, reader, set);
        }
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => error.to_string(),
    })?;
    let mut bytes = Vec::new();
    file.take(FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    if bytes.len() as u64 > FILE_BYTES_MAX {
        return Err(format!(
            "larger than the limit of {} MiB for an included file",
            FILE_BYTES_MAX / (1024 * 1024)
        ));
    }
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())
}

/// The document's kind, name and namespace; `None` for an empty document.
fn recognise(file: usize, root: Node, file_name: &str, reader: &Reader) -> Option<Manifest> {
    let field = reader.field(file, &root);
    let api_version = field.get("apiVersion");
    let is_compose =
        api_version.is_none() && (file_name.contains("compose") || field.get("services").is_some());
    if matches!(root.value, super::yaml::Value::Null) {
        return None;
    }
    let (kind, name, namespace) = if is_compose {
        (Kind::Compose, file_name.to_owned(), String::new())
    } else {
        let api = api_version.and_then(Field::text).unwrap_or_default();
        let kind_text = field.get("kind").and_then(Field::text);
        let Some(kind_text) = kind_text else {
            reader.error(
                &field.place(),
                "a document without `kind`",
                "every Kubernetes object names its `apiVersion` and `kind`",
            );
            return None;
        };
        let kind = Kind::recognise(api, kind_text);
        let name = field
            .at("metadata.name")
            .and_then(Field::text)
            .unwrap_or_default()
            .to_owned();
        let namespace = field
            .at("metadata.namespace")
            .and_then(Field::text)
            .unwrap_or("default")
            .to_owned();
        (kind, name, namespace)
    };
    Some(Manifest {
        file,
        root,
        kind,
        name,
        namespace,
    })
}

/// Adds `manifest`, replacing an earlier one with the same kind, namespace and name.
fn apply(manifest: Manifest, reader: &Reader, set: &mut ManifestSet) {
    let same = |other: &Manifest| {
        other.kind == manifest.kind
            && other.namespace == manifest.namespace
            && other.name == manifest.name
            && manifest.kind != Kind::Compose
    };
    if let Some(index) = set.manifests.iter().position(same) {
        let old = set.manifests.remove(index);
        set.replaced.push(format!(
            "{} at {} replaced by the one at {}",
            old.title(),
            where_is(reader, &old.place()),
            where_is(reader, &manifest.place())
        ));
    }
    set.manifests.push(manifest);
}

/// `file:line:column` of a place.
pub(crate) fn where_is(reader: &Reader, place: &Place) -> String {
    let text = &reader.files[place.file].text;
    let location = crate::scenario::diagnostic::location_of(text, place.span.start);
    format!(
        "{}:{}:{}",
        reader.label(place.file),
        location.line,
        location.column
    )
}
