//! The parsers' errors in words about the file: `toml_edit`'s syntax errors and serde's shape
//! errors (unknown keys, missing keys, wrong types), each with a hint.

use super::diagnostic::{Diagnostic, did_you_mean, quote};
use super::locate::{Locator, PathTarget};

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
    value_error(file, message, key.as_deref(), span)
}

/// A serde error about a value (its type, its length, its form), with the key it is under.
fn value_error(
    file: &str,
    message: &str,
    key: Option<&str>,
    span: Option<std::ops::Range<usize>>,
) -> Diagnostic {
    let subject = key.map_or_else(|| "a value".to_owned(), |key| format!("`{key}`"));
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
        return if matches!(key, Some("steps" | "arrival")) {
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
    use super::split_expected;

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
}
