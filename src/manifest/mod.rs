//! `[scenario] include`: the user's real configuration files (Kubernetes, Istio, Linkerd,
//! Flagger, Compose), read as they are and folded into the scenario.
//!
//! The files are read into located YAML trees (`yaml.rs`), recognised by `apiVersion` and `kind`
//! (`kind.rs`, `manifests.rs`), translated kind by kind into what they declare in meshsim's
//! terms (`kubernetes.rs`, `istio_*.rs`, ...; `declared.rs`), and merged into the scenario the
//! TOML describes (`merge.rs`). Every field no translation read is listed as not simulated
//! (`not_simulated.rs`). See `docs/include.md`.

mod compose;
mod declared;
mod kind;
mod kubernetes;
mod manifests;
mod merge;
mod not_simulated;
mod reader;
mod yaml;

use std::path::Path;

pub(crate) use manifests::{DOCUMENTS_MAX, INCLUDED_FILES_MAX};
pub(crate) use merge::Origins;
pub(crate) use not_simulated::NotSimulated;
pub(crate) use reader::{Place, SourceFile};

use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::locate::{DocPath, Locator};
use crate::scenario::schema::Scenario;

/// What including the files did, for `check` and `run` to show.
#[derive(Debug, Clone, Default)]
pub struct Included {
    /// The scenario file that includes them, as diagnostics name it.
    pub scenario: String,
    /// The files read, to render diagnostics against.
    pub(crate) files: Vec<SourceFile>,
    /// Documents in effect, by kind, in the order first seen.
    pub(crate) kinds: Vec<(String, usize)>,
    pub(crate) replaced: Vec<String>,
    pub(crate) not_simulated: Vec<NotSimulated>,
}

impl Included {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// What including did, as `check` and `run` print it: the documents by kind, which replaced
    /// which, and every field not simulated, with its place. Empty without includes.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        if self.files.is_empty() {
            return String::new();
        }
        let documents: usize = self.kinds.iter().map(|(_, count)| count).sum();
        let kinds: Vec<String> = self
            .kinds
            .iter()
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        let mut text = format!(
            "included {} {}: {documents} {} ({})\n",
            self.files.len(),
            if self.files.len() == 1 {
                "file"
            } else {
                "files"
            },
            if documents == 1 {
                "document"
            } else {
                "documents"
            },
            kinds.join(", ")
        );
        for replaced in &self.replaced {
            let _ = writeln!(text, "  replaced: {replaced}");
        }
        if self.not_simulated.is_empty() {
            return text;
        }
        let _ = writeln!(
            text,
            "not simulated ({} {}; meshsim reads them as if absent):",
            self.not_simulated.len(),
            if self.not_simulated.len() == 1 {
                "field"
            } else {
                "fields"
            }
        );
        let width = self
            .not_simulated
            .iter()
            .map(|line| line.place.len())
            .max()
            .unwrap_or(0)
            .min(48);
        for line in self.not_simulated.iter().take(not_simulated::LISTED_MAX) {
            let _ = writeln!(
                text,
                "  {:width$}  {}  {}",
                line.place, line.document, line.field
            );
        }
        if self.not_simulated.len() > not_simulated::LISTED_MAX {
            let _ = writeln!(
                text,
                "  ... and {} more",
                self.not_simulated.len() - not_simulated::LISTED_MAX
            );
        }
        text
    }

    /// Whether `label` names an included file rather than the scenario.
    pub fn is_included(&self, label: &str) -> bool {
        self.files.iter().any(|file| file.label == label)
    }

    /// `(label, text)` of the scenario (its text being `source`) and of each included file, as
    /// `Diagnostic::render_files` takes them; a diagnostic's own file among them.
    pub fn texts<'a>(
        &'a self,
        source: &'a str,
        diagnostic_file: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        let scenario = if self.scenario.is_empty() {
            diagnostic_file
        } else {
            self.scenario.as_str()
        };
        let mut texts = vec![(scenario, source)];
        texts.extend(
            self.files
                .iter()
                .map(|file| (file.label.as_str(), file.text.as_str())),
        );
        texts
    }
}

/// Reads the files `scenario`'s `include` names (relative to `base`) and folds what they declare
/// into it. Returns what was included, where each value taken now stands, and the diagnostics.
pub(crate) fn include(
    scenario: &mut Scenario,
    base: &Path,
    file: &str,
    locator: &Locator<'_>,
) -> (Included, Origins, Vec<Diagnostic>) {
    let patterns: Vec<(String, Place)> = scenario
        .scenario
        .include
        .iter()
        .enumerate()
        .map(|(index, pattern)| {
            let path = DocPath::root().key("scenario").key("include").index(index);
            let span = locator.value_span(path.parts()).unwrap_or(0..0);
            (
                pattern.clone(),
                Place {
                    file: usize::MAX,
                    span,
                },
            )
        })
        .collect();
    let mut reader = reader::Reader::default();
    let set = manifests::read_included(&patterns, base, &mut reader, file);
    let mut declared = declared::Declared::default();
    kubernetes::translate(&set.manifests, &reader, &mut declared);
    compose::translate(&set.manifests, &reader, &mut declared, scenario);
    let origins = merge::merge(declared, scenario, locator, file, &reader);
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for manifest in &set.manifests {
        let name = manifest.kind.name().to_owned();
        match kinds.iter_mut().find(|(kind, _)| *kind == name) {
            Some((_, count)) => *count += 1,
            None => kinds.push((name, 1)),
        }
    }
    let included = Included {
        scenario: file.to_owned(),
        not_simulated: not_simulated::list(&set.manifests, &reader),
        files: reader.files.clone(),
        kinds,
        replaced: set.replaced,
    };
    (included, origins, reader.take_diagnostics())
}
