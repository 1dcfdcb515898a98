//! Reading a scenario file: text to a validated [`Scenario`], or every problem with its place.
//!
//! Three passes: `toml_edit` checks the syntax (and keeps positions for later), `toml` + serde
//! build the [`Scenario`] (unknown keys, wrong types, bad durations), and
//! [`validate`](super::validate::validate) checks the meaning. The parsers stop at their first
//! error; [`Reading`] reads on past each one, so a file with nine mistakes shows nine, in file
//! order, in one check. The parsers' errors are put in words about the file by `parse_error.rs`,
//! and a load that fails returns a [`LoadError`] (`load_error.rs`); both are read by `load` and
//! `reading` alike, so the imports run one way: `load` uses `reading`, never the reverse.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::checked::Checked;
use super::diagnostic::{Diagnostic, quote};
use super::limits;
use super::reading::{Reading, sort_by_place};
use super::resolved::Resolved;
use super::schema::Scenario;

pub use super::load_error::{LoadError, Stop};

/// A scenario that loaded, with what the checker resolved of it and the warnings found on the
/// way.
#[derive(Debug)]
pub struct Loaded {
    /// Kept whole: a scenario that passed the checker always has its resolution.
    checked: Checked,
    pub warnings: Vec<Diagnostic>,
    /// The text the scenario was read from, to render the warnings against.
    pub source: String,
    /// The file as the user named it.
    pub file: String,
    /// The files `[scenario] include` read, and what including them did.
    pub included: crate::Included,
}

impl Loaded {
    pub fn scenario(&self) -> &Scenario {
        self.checked.scenario()
    }

    /// The scenario with its resolution, as a run reads them.
    pub fn resolved(&self) -> Resolved<'_> {
        self.checked.resolved()
    }

    pub fn checked(&self) -> &Checked {
        &self.checked
    }

    pub fn into_checked(self) -> Checked {
        self.checked
    }

    /// The scenario alone, to change it (and check it again with [`Checked::check`]).
    pub fn into_scenario(self) -> Scenario {
        self.checked.into_scenario()
    }

    /// The warnings in rustc's layout, separated by blank lines; empty when there are none.
    pub fn render_warnings(&self, color: bool) -> String {
        let rendered: Vec<String> = self
            .warnings
            .iter()
            .map(|warning| self.render(warning, color))
            .collect();
        rendered.join("\n")
    }

    /// One diagnostic in rustc's layout, against the scenario's text or an included file's.
    pub fn render(&self, diagnostic: &Diagnostic, color: bool) -> String {
        let files = self.included.texts(&self.source, &diagnostic.file);
        diagnostic.render_files(&files, color)
    }
}

/// Reads and loads a scenario file; diagnostics name it as `path` is written.
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let label = path.display().to_string();
    let fail =
        |message: String| LoadError::single(Diagnostic::error(&label, message), String::new());
    let file = File::open(path).map_err(|error| {
        fail(format!(
            "cannot read {}: {}",
            quote(&label),
            describe_io(&error)
        ))
    })?;
    // Read one byte past the limit rather than trusting the file's size: `/dev/zero` or a pipe
    // has none, and a file may grow while it is read.
    let limit = limits::FILE_BYTES_MAX as u64;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| {
            fail(format!(
                "cannot read {}: {}",
                quote(&label),
                describe_io(&error)
            ))
        })?;
    if bytes.len() > limits::FILE_BYTES_MAX {
        return Err(too_large(&label));
    }
    match String::from_utf8(bytes) {
        Ok(source) => load_str_in(&label, &source, path.parent().unwrap_or(Path::new(""))),
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let source = String::from_utf8_lossy(error.as_bytes()).into_owned();
            // The lossy copy matches the file byte for byte up to the first bad byte, which it
            // replaces by U+FFFD (three bytes): that is where the caret goes.
            let diagnostic = Diagnostic::error(&label, "the file is not UTF-8 text")
                .with_span(Some(valid_up_to..valid_up_to + '\u{fffd}'.len_utf8()))
                .with_hint(
                    "a scenario is a TOML file, which must be UTF-8; re-save it in that encoding",
                );
            Err(LoadError::single(diagnostic, source))
        }
    }
}

fn too_large(label: &str) -> LoadError {
    let diagnostic = Diagnostic::error(
        label,
        format!(
            "the file is larger than the limit of {} MiB for a scenario",
            limits::FILE_BYTES_MAX / (1024 * 1024)
        ),
    )
    .with_hint("a scenario this large is generated: generate fewer services, or split it into several scenarios");
    LoadError::single(diagnostic, String::new())
}

/// An I/O error in words that do not depend on the platform's error numbers.
fn describe_io(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "it is a directory".to_owned(),
        _ => error.to_string(),
    }
}

/// Loads a scenario from text; `file_label` is how diagnostics name the file. Included files are
/// found relative to where the process stands.
pub fn load_str(file_label: &str, source: &str) -> Result<Loaded, LoadError> {
    load_str_in(file_label, source, Path::new(""))
}

/// Loads a scenario from text whose included files are relative to `base`.
pub fn load_str_in(file_label: &str, source: &str, base: &Path) -> Result<Loaded, LoadError> {
    if source.len() > limits::FILE_BYTES_MAX {
        return Err(too_large(file_label));
    }
    let mut reading = Reading::new(file_label, source);
    reading.find_syntax_errors();
    let mut scenario = if reading.stopped.is_none() {
        reading.build_scenario()
    } else {
        None
    };
    if let Some(scenario) = scenario.as_mut().filter(|s| !s.scenario.include.is_empty()) {
        include(&mut reading, scenario, source, base);
    }
    let resolution = scenario
        .as_ref()
        .and_then(|scenario| reading.validate(scenario));
    match (scenario, resolution) {
        (Some(scenario), Some(resolution)) if reading.errors.is_empty() => {
            let mut warnings = std::mem::take(&mut reading.warnings);
            sort_by_place(&mut warnings);
            Ok(Loaded {
                checked: Checked::from_checker(scenario, resolution),
                warnings,
                source: source.to_owned(),
                file: file_label.to_owned(),
                included: reading.included,
            })
        }
        _ => Err(reading.into_error(source)),
    }
}

/// Folds the included files into `scenario`, their diagnostics into `reading`.
fn include(reading: &mut Reading<'_>, scenario: &mut Scenario, source: &str, base: &Path) {
    let locator = super::locate::Locator::new(source);
    let (included, origins, diagnostics) =
        crate::manifest::include(scenario, base, reading.file(), &locator);
    for diagnostic in diagnostics {
        if diagnostic.is_error() {
            reading.errors.push(diagnostic);
        } else {
            reading.warnings.push(diagnostic);
        }
    }
    let mut included = included;
    included.values = origins
        .into_iter()
        .map(|(path, place)| {
            let file = &included.files[place.file];
            super::locate::IncludedValue {
                path,
                file: file.label.clone(),
                file_index: place.file,
                line: super::diagnostic::location_of(&file.text, place.span.start).line,
                span: place.span,
            }
        })
        .collect();
    reading.included_places = included.values.clone();
    reading.included = included;
}

#[cfg(test)]
mod tests {
    use super::{Stop, limits, load_str};

    const SHOP: &str = "[scenario]\nname = \"w\"\nduration = \"1m\"\n\n[[service]]\nname = \"order\"\nexposed = true\n\n[[service.endpoint]]\nname = \"GET /\"\n\n[[workload]]\nname = \"shoppers\"\ntarget = \"order\"\nendpoint = \"GET /\"\narrival = { kind = \"poisson\", rate = 10 }\n";

    /// The errors of `SHOP` with `from` written as `to`: their lines, and why the check stopped.
    fn errors_with(from: &str, to: &str) -> (Vec<usize>, Option<Stop>) {
        assert!(SHOP.contains(from), "{from}");
        let source = SHOP.replacen(from, to, 1);
        let error = load_str("x.toml", &source).expect_err("a mistake");
        let lines = error
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.is_error())
            .filter_map(|diagnostic| diagnostic.location(&source))
            .map(|location| location.line)
            .collect();
        assert_eq!(error.errors_found, error.error_count(), "{error}");
        (lines, error.stopped)
    }

    /// Issue 16: one mistake is one error, whatever the parsers meet after the part that is
    /// blanked out to read on.
    #[test]
    fn a_mistake_is_shown_without_what_it_causes() {
        assert!(load_str("x.toml", SHOP).is_ok());
        // The service without its name would be a missing key, and the workload's target
        // unknown.
        assert_eq!(
            errors_with("name = \"order\"", "name = \"order"),
            (vec![6], Some(Stop::Stuck))
        );
        // Its keys would land in [scenario]; its endpoint would have no service.
        assert_eq!(
            errors_with("[[service]]", "[[service]"),
            (vec![5], Some(Stop::Stuck))
        );
        assert_eq!(
            errors_with("[[service]]", "[[servic]]"),
            (vec![5], Some(Stop::Stuck))
        );
        // The workload's header would be a mistake inside the open array.
        assert_eq!(
            errors_with(
                "name = \"GET /\"\n",
                "name = \"GET /\"\ncalls = [\n  { topic = \"t\" },\n"
            ),
            (vec![11], None)
        );
        // Read as `mesh="envoy"`, the keys meant for Envoy stay right.
        assert_eq!(
            errors_with("name = \"w\"\n", "name = \"w\"\nmesh = \"envy\"\n"),
            (vec![3], None)
        );
        // Typos are read as the keys they are close to; a key like no other of its table is
        // read as the first of a table whose header is missing.
        assert_eq!(
            errors_with(
                "exposed = true\n",
                "exposd = true\nreplica = 2\nsize = 1\nweight = 2\n"
            ),
            (vec![7, 8, 9], Some(Stop::Stuck))
        );
    }

    #[test]
    fn stops_after_the_most_errors_it_reports() {
        let garbage = "x = = 1\n".repeat(30);
        let error = load_str("x.toml", &garbage).expect_err("garbage");
        assert_eq!(error.errors_found, limits::PARSE_ERRORS_MAX);
        assert_eq!(error.stopped, Some(Stop::Capped));
        assert!(
            error
                .summary(false)
                .unwrap()
                .starts_with("error: 20 mistakes in x.toml, and perhaps more")
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        for source in [
            "",
            "\u{0}",
            "[",
            "[[scenario]]",
            "scenario = 3",
            "[scenario]\nname = \"\"\nduration = \"0s\"\n",
        ] {
            assert!(
                load_str("x.toml", source).is_err(),
                "{source:?} should not load"
            );
        }
    }
}
