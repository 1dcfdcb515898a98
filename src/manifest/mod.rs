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
mod flagger;
mod fold;
mod istio_destination;
mod istio_routing;
mod istio_security;
mod kind;
mod kubernetes;
mod linkerd;
mod linkerd_annotations;
mod linkerd_backends;
mod linkerd_profile;
mod manifests;
mod merge;
mod not_simulated;
mod reader;
mod yaml;

use std::path::Path;

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
    /// Where each value the files set now stands in the scenario, and where it was written.
    pub(crate) values: Vec<crate::scenario::IncludedValue>,
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
        let groups = not_simulated::grouped(&self.not_simulated);
        let width = groups
            .iter()
            .map(|(kind, field, _)| kind.len() + field.len() + 2)
            .max()
            .unwrap_or(0)
            .min(60);
        for (kind, field, places) in groups.iter().take(not_simulated::LISTED_MAX) {
            let what = format!("{kind}  {field}");
            let _ = writeln!(text, "  {what:width$}  {}", places.join(", "));
        }
        if groups.len() > not_simulated::LISTED_MAX {
            let _ = writeln!(
                text,
                "  ... and {} more",
                groups.len() - not_simulated::LISTED_MAX
            );
        }
        text
    }

    /// The files' names, in order.
    pub fn labels(&self) -> Vec<String> {
        self.files.iter().map(|file| file.label.clone()).collect()
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
    let (reader, set, declared) = declare(&patterns, base, file, Some(scenario));
    let origins = merge::merge(declared, scenario, locator, file, &reader);
    let included = Included {
        scenario: file.to_owned(),
        not_simulated: not_simulated::list(&set.manifests, &reader),
        files: reader.files.clone(),
        kinds: kinds(&set),
        replaced: set.replaced,
        values: Vec::new(),
    };
    (included, origins, reader.take_diagnostics())
}

/// The files read and translated, kind by kind, into what they declare; `scenario`, the TOML's,
/// when there is one, for the checks that read both (calls between Compose networks).
fn declare(
    patterns: &[(String, Place)],
    base: &Path,
    file: &str,
    scenario: Option<&Scenario>,
) -> (reader::Reader, manifests::ManifestSet, declared::Declared) {
    let mut reader = reader::Reader::default();
    let set = manifests::read_included(patterns, base, &mut reader, file);
    let mut declared = declared::Declared::default();
    kubernetes::translate(&set.manifests, &reader, &mut declared);
    let subsets = istio_destination::translate(&set.manifests, &reader, &mut declared);
    istio_routing::translate(&set.manifests, &subsets, &reader, &mut declared);
    istio_security::translate(&set.manifests, &reader, &mut declared);
    flagger::translate(&set.manifests, &reader, &mut declared);
    compose::translate(&set.manifests, &reader, &mut declared, scenario);
    linkerd::translate(
        &set.manifests,
        &reader,
        &mut declared,
        scenario.map(Scenario::profile).unwrap_or_default(),
    );
    (reader, set, declared)
}

/// Documents in effect, by kind, in the order first seen.
fn kinds(set: &manifests::ManifestSet) -> Vec<(String, usize)> {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for manifest in &set.manifests {
        let name = manifest.kind.name().to_owned();
        match kinds.iter_mut().find(|(kind, _)| *kind == name) {
            Some((_, count)) => *count += 1,
            None => kinds.push((name, 1)),
        }
    }
    kinds
}

/// The services the files deploy, by name, for `meshsim import` to write a `[[service]]` each.
pub(crate) fn deployed_services(files: &[String], base: &Path) -> Vec<String> {
    let patterns: Vec<(String, Place)> = files
        .iter()
        .map(|file| {
            (
                file.clone(),
                Place {
                    file: usize::MAX,
                    span: 0..0,
                },
            )
        })
        .collect();
    let (_, _, declared) = declare(&patterns, base, "", None);
    declared
        .services
        .into_iter()
        .filter(|(_, service)| service.deployed)
        .map(|(name, _)| name)
        .collect()
}

/// The standalone TOML of a loaded scenario whose `include` was folded in: `meshsim import`.
pub(crate) fn standalone(
    source: &str,
    scenario: &Scenario,
    included: &Included,
) -> Result<String, String> {
    fold::fold(source, scenario, included)
}
