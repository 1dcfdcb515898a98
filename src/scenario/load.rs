//! Reading a scenario file: text to a validated [`Scenario`], or every problem with its place.
//!
//! Three passes: `toml_edit` checks the syntax (and keeps positions for later), `toml` + serde
//! build the [`Scenario`] (unknown keys, wrong types, bad durations), and
//! [`validate`](super::validate::validate) checks the meaning. The parsers stop at their first
//! error; [`Reading`] reads on past each one, so a file with nine mistakes shows nine, in file
//! order, in one check. Here too: the words of the parsers' errors, said about the file.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::diagnostic::{Diagnostic, Severity, did_you_mean, headline, quote};
use super::limits;
use super::locate::{Locator, PathTarget};
use super::reading::Reading;
use super::schema::Scenario;

/// A scenario that loaded, with the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Diagnostic>,
    /// The text the scenario was read from, to render the warnings against.
    pub source: String,
    /// The file as the user named it.
    pub file: String,
}

/// A scenario that did not load: its errors (and warnings) in the order they appear in the file.
#[derive(Debug)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
    /// The text the diagnostics point into; empty when the file could not be read.
    pub source: String,
    /// How many errors the check found, those past the shown ones included.
    pub errors_found: usize,
    /// Why the check stopped before the end of the file, if it did: there may be more errors.
    pub stopped: Option<Stop>,
}

/// Why a check stopped before it had read the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It reported [`limits::PARSE_ERRORS_MAX`] syntax and shape errors.
    Capped,
    /// Past its last error, the file could not be read on (or, without a scenario built, not
    /// validated).
    Stuck,
}

impl LoadError {
    /// A load that failed on one problem of the whole file: it could not be read, say.
    fn single(diagnostic: Diagnostic, source: String) -> Self {
        LoadError {
            diagnostics: vec![diagnostic],
            source,
            errors_found: 1,
            stopped: None,
        }
    }

    /// The line that closes the list: `error: 9 mistakes in x.toml`, and whether there may be
    /// more; `None` when the file could not be read, as its one error already says.
    pub fn summary(&self, color: bool) -> Option<String> {
        if self.source.is_empty() {
            return None;
        }
        let file = &self.diagnostics.first()?.file;
        let count = self.errors_found;
        let noun = if count == 1 { "mistake" } else { "mistakes" };
        let rest = match self.stopped {
            None => String::new(),
            Some(Stop::Capped) => format!(
                ", and perhaps more: a check stops after {}; fix these and check again",
                limits::PARSE_ERRORS_MAX
            ),
            Some(Stop::Stuck) => {
                ", and perhaps more past them: fix these and check again".to_owned()
            }
        };
        Some(headline(
            Severity::Error,
            &format!("{count} {noun} in {file}{rest}"),
            color,
        ))
    }

    /// Every diagnostic in rustc's layout, separated by blank lines; ANSI colors if `color`.
    pub fn render(&self, color: bool) -> String {
        let rendered: Vec<String> = self
            .diagnostics
            .iter()
            .map(|diagnostic| diagnostic.render(&self.source, color))
            .collect();
        rendered.join("\n")
    }

    /// How many of the diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.is_error())
            .count()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.render(false))
    }
}

impl std::error::Error for LoadError {}

impl Loaded {
    /// The warnings in rustc's layout, separated by blank lines; empty when there are none.
    pub fn render_warnings(&self, color: bool) -> String {
        let rendered: Vec<String> = self
            .warnings
            .iter()
            .map(|warning| warning.render(&self.source, color))
            .collect();
        rendered.join("\n")
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
        Ok(source) => load_str(&label, &source),
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

/// Loads a scenario from text; `file_label` is how diagnostics name the file.
pub fn load_str(file_label: &str, source: &str) -> Result<Loaded, LoadError> {
    if source.len() > limits::FILE_BYTES_MAX {
        return Err(too_large(file_label));
    }
    let mut reading = Reading::new(file_label, source);
    reading.find_syntax_errors();
    let scenario = if reading.stopped.is_none() {
        reading.build_scenario()
    } else {
        None
    };
    if let Some(scenario) = &scenario {
        reading.validate(scenario);
    }
    match scenario {
        Some(scenario) if reading.errors.is_empty() => {
            let mut warnings = reading.warnings;
            sort_by_place(&mut warnings);
            Ok(Loaded {
                scenario,
                warnings,
                source: source.to_owned(),
                file: file_label.to_owned(),
            })
        }
        _ => Err(reading.into_error(source)),
    }
}

/// Sorts by position in the file (problems of the whole file last), errors before warnings at
/// one place, and drops exact repeats. The sort is stable, so the order is deterministic.
pub(super) fn sort_by_place(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by_key(|diagnostic| {
        (
            diagnostic.span.is_none(),
            diagnostic.span.as_ref().map(|span| (span.start, span.end)),
            diagnostic.severity,
        )
    });
    diagnostics.dedup();
}

pub(super) fn syntax_error(file: &str, source: &str, error: &toml_edit::TomlError) -> Diagnostic {
    let message = error.message().trim().replace('\n', "; ");
    let span = error.span();
    let diagnostic =
        Diagnostic::error(file, format!("invalid TOML: {message}")).with_span(span.clone());
    if message == "duplicate key" {
        let key = span.and_then(|span| source.get(span)).unwrap_or_default();
        return Diagnostic::error(file, format!("invalid TOML: duplicate key {}", quote(key.trim())))
            .with_span(diagnostic.span)
            .with_hint("a key may appear once in a table; to list several services, give each its own [[service]]");
    }
    diagnostic
}

/// A serde error, in words about the file rather than about Rust types.
pub(super) fn shape_error(
    file: &str,
    locator: &Locator<'_>,
    message: &str,
    span: Option<std::ops::Range<usize>>,
) -> Diagnostic {
    let message = message.trim();
    let mut span = span;
    let context = span.as_ref().and_then(|span| locator.path_at(span));
    let key = context
        .as_ref()
        .map(|(path, _)| path.last_key().to_owned())
        .filter(|key| !key.is_empty());
    // The table an unknown or missing key belongs to: the parent of a key, or the table itself.
    let table = context.as_ref().and_then(|(path, target)| {
        let table_path = if *target == PathTarget::Key {
            path.parent()
        } else {
            path.clone()
        };
        locator.table_title(table_path.parts())
    });
    let in_table = table.map_or_else(String::new, |title| format!(" in {title}"));
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (unknown, expected) = split_expected(rest);
        // Internally tagged enums (`{ dist = "exp", meen = "1ms" }`) report the whole table;
        // the key inside it is the better place.
        if let Some((path, PathTarget::Value)) = &context
            && let Some(key_span) = locator.key_span(path.key(&unknown).parts())
            && locator.exists(path.key(&unknown).parts())
        {
            span = Some(key_span);
        }
        return Diagnostic::error(file, format!("unknown key {}{in_table}", quote(&unknown)))
            .with_span(span)
            .with_hint(key_hint(&unknown, &expected));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (unknown, expected) = split_expected(rest);
        let subject = key
            .as_deref()
            .map_or_else(String::new, |key| format!(" for `{key}`"));
        let mut hint = format!("expected one of: {}", expected.join(", "));
        if let Some(close) = did_you_mean(&unknown, expected.iter().map(String::as_str)) {
            hint = format!("did you mean {}? {hint}", quote(close));
        }
        return Diagnostic::error(file, format!("unknown value {}{subject}", quote(&unknown)))
            .with_span(span)
            .with_hint(hint);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let (missing, _) = split_expected(rest);
        if missing == "scenario" {
            return Diagnostic::error(file, "missing the [scenario] table").with_hint(
                "a scenario file starts with [scenario], which needs at least name = \"...\" and duration = \"30m\"",
            );
        }
        let diagnostic =
            Diagnostic::error(file, format!("missing key `{missing}`{in_table}")).with_span(span);
        return match missing_hint(&missing, key.as_deref()) {
            Some(hint) => diagnostic.with_hint(hint),
            None => diagnostic,
        };
    }
    let subject = key
        .as_deref()
        .map_or_else(|| "a value".to_owned(), |key| format!("`{key}`"));
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        let diagnostic = Diagnostic::error(
            file,
            format!(
                "wrong type for {subject}: expected {}, found {}",
                nice_expected(expected),
                nice_found(found)
            ),
        )
        .with_span(span);
        // `[mesh.order.route]` for `[[mesh.order.route]]` is the usual way to get here.
        return if found == "map" && expected == "a sequence" {
            diagnostic.with_hint("a list of tables is written with double brackets: [[...]]")
        } else {
            diagnostic
        };
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        let expected = expected
            .trim_start_matches("a tuple of size ")
            .trim_end_matches(" elements in sequence");
        let diagnostic = Diagnostic::error(
            file,
            format!("wrong number of items in {subject}: {found}, expected {expected}"),
        )
        .with_span(span);
        // Steps sit in an internally tagged table, so serde reports `arrival` rather than `steps`.
        return if matches!(key.as_deref(), Some("steps" | "arrival")) {
            diagnostic.with_hint("each step is a [time, rate] pair, like [\"5m\", 400]")
        } else {
            diagnostic
        };
    }
    if message.contains("untagged enum HeaderMatch") {
        return Diagnostic::error(file, format!("invalid header condition for {subject}"))
            .with_span(span)
            .with_hint("a header condition is a string, matched exactly, or a table with one of `exact`, `prefix` or `regex`");
    }
    let diagnostic =
        Diagnostic::error(file, format!("invalid {subject}: {message}")).with_span(span);
    if message.contains("duration") {
        diagnostic.with_hint("a duration is a number and a unit in quotes, like \"250us\", \"1.5ms\", \"30s\", \"5m\" or \"1h\"")
    } else {
        diagnostic
    }
}

/// Splits "`name`, expected one of `a`, `b`" into the name and the expected names.
pub(super) fn split_expected(text: &str) -> (String, Vec<String>) {
    let (head, tail) = text.split_once(", expected").unwrap_or((text, ""));
    let name = head.trim().trim_matches('`').to_owned();
    let expected = tail
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    (name, expected)
}

fn key_hint(unknown: &str, expected: &[String]) -> String {
    if expected.is_empty() {
        return "this table takes no keys".to_owned();
    }
    let list = expected.join(", ");
    match did_you_mean(unknown, expected.iter().map(String::as_str)) {
        Some(close) => format!("did you mean {}? keys here: {list}", quote(close)),
        None => format!("keys here: {list}"),
    }
}

fn missing_hint(missing: &str, context: Option<&str>) -> Option<String> {
    let hint = match (missing, context) {
        ("dist", _) => {
            "a distribution is one of { dist = \"const\", value = D }, { dist = \"uniform\", min = D, max = D }, { dist = \"exp\", mean = D }, { dist = \"normal\", mean = D, stddev = D }, { dist = \"lognormal\", median = D, p99 = D }"
        }
        ("kind", Some("arrival")) => {
            "arrival is { kind = \"constant\", rate = R }, { kind = \"poisson\", rate = R }, { kind = \"steps\", steps = [[\"0s\", R], ...] } or { kind = \"closed\", users = N, think_time = DIST }"
        }
        ("kind", _) => {
            "kind = \"partition\": one of partition, partition_oneway, latency, loss, crash, pause"
        }
        ("name", _) => "name = \"...\"",
        ("duration", _) => "duration = \"30m\": the simulated time of the run",
        ("rate", _) => "rate = 100: requests per second",
        ("strategy", _) => "strategy = \"canary\": one of canary, blue_green, rolling, strangler",
        ("weights", _) => "weights = { v1 = 90, v2 = 10 }: percentages over the service's versions",
        ("metric", _) => "metric = \"success_rate\"",
        _ => return None,
    };
    Some(hint.to_owned())
}

/// serde's name for an expected type, in the file's words.
fn nice_expected(expected: &str) -> String {
    let whole = |max: u64| format!("a whole number from 0 to {max}");
    match expected {
        "u8" => whole(u64::from(u8::MAX)),
        "u16" => whole(u64::from(u16::MAX)),
        "u32" => whole(u64::from(u32::MAX)),
        "u64" | "usize" => whole(u64::MAX),
        "i64" | "i32" => "a whole number".to_owned(),
        "a boolean" | "bool" => "true or false".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" | "map" => "a table".to_owned(),
        "a string" | "a borrowed string" => "a string".to_owned(),
        other if other.starts_with("struct ") || other.contains("enum ") => "a table".to_owned(),
        other if other.starts_with("a tuple of size ") => {
            format!(
                "an array of {} items",
                other.trim_start_matches("a tuple of size ")
            )
        }
        other => other.to_owned(),
    }
}

/// serde's description of a found value, in the file's words.
fn nice_found(found: &str) -> String {
    if let Some(text) = found.strip_prefix("string ") {
        return format!("the string {text}");
    }
    for (prefix, word) in [
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ] {
        if let Some(value) = found.strip_prefix(prefix) {
            return format!("{word}{}", value.trim_matches('`'));
        }
    }
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "an array".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Stop, limits, load_str, split_expected};

    #[test]
    fn splits_serde_lists() {
        assert_eq!(
            split_expected("`replica`, expected one of `name`, `replicas`"),
            (
                "replica".to_owned(),
                vec!["name".to_owned(), "replicas".to_owned()]
            )
        );
        assert_eq!(split_expected("`meen`, expected `mean`").1, ["mean"]);
        assert_eq!(split_expected("`x`").1, Vec::<String>::new());
    }

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
