//! How `OpenMetrics` text is spelled: a family's metadata lines, label values, numbers and
//! timestamps (`OpenMetrics` 1.0, "Text format": <https://prometheus.io/docs/specs/om/open_metrics_spec/>).

use std::io::{self, Write};

/// A metric family's type, as its `# TYPE` line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FamilyType {
    Counter,
    Gauge,
    Histogram,
    /// A counter whose name does not end in `_total` (Envoy's own counters, as Envoy's
    /// Prometheus exporter names them): `OpenMetrics` reserves the suffix-less counter sample for
    /// no type but `unknown`, which keeps the name as Prometheus stores it from a scrape.
    Unknown,
}

impl FamilyType {
    fn name(self) -> &'static str {
        match self {
            FamilyType::Counter => "counter",
            FamilyType::Gauge => "gauge",
            FamilyType::Histogram => "histogram",
            FamilyType::Unknown => "unknown",
        }
    }
}

/// Writes a family's `# TYPE`, `# UNIT` (when it has one) and `# HELP` lines.
pub(super) fn family_header(
    out: &mut dyn Write,
    family: &str,
    kind: FamilyType,
    unit: Option<&str>,
    help: &str,
) -> io::Result<()> {
    writeln!(out, "# TYPE {family} {}", kind.name())?;
    if let Some(unit) = unit {
        // The spec asks that a family with a unit end in `_<unit>`.
        debug_assert!(family.ends_with(&format!("_{unit}")));
        writeln!(out, "# UNIT {family} {unit}")?;
    }
    writeln!(out, "# HELP {family} {}", escape(help, false))
}

/// A label value or help text with the spec's escapes: `\\`, `\n` and, in label values, `\"`.
pub(super) fn escape(text: &str, quotes: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '"' if quotes => escaped.push_str("\\\""),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `name="value",...` for a sample's braces, values escaped.
pub(super) fn label_text(labels: &[(&str, &str)]) -> String {
    let mut text = String::new();
    for (index, (name, value)) in labels.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(name);
        text.push_str("=\"");
        text.push_str(&escape(value, true));
        text.push('"');
    }
    text
}

/// A sample's value: a whole number without a fraction, any other as Rust's shortest
/// round-trip form (the spec's floats accept both).
pub(super) fn value_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

/// A timestamp in seconds since the Unix epoch, to the millisecond: simulated time `at_ns` after
/// `start_unix_s`. Integer arithmetic, so the text is the same on every machine.
pub(super) fn timestamp_text(start_unix_s: u64, at_ns: u64) -> String {
    let millis = start_unix_s * 1000 + at_ns / 1_000_000;
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

/// One sample line: `name{labels} value timestamp`.
pub(super) fn sample(
    out: &mut dyn Write,
    name: &str,
    labels: &str,
    value: f64,
    timestamp: &str,
) -> io::Result<()> {
    if labels.is_empty() {
        writeln!(out, "{name} {} {timestamp}", value_text(value))
    } else {
        writeln!(out, "{name}{{{labels}}} {} {timestamp}", value_text(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline_as_the_spec_lists() {
        // OpenMetrics 1.0, "Escaping": `\\`, `\"` and `\n` in label values.
        assert_eq!(
            label_text(&[("a", "x\"y"), ("b", "c\\d\ne")]),
            "a=\"x\\\"y\",b=\"c\\\\d\\ne\""
        );
        // Help text escapes no quote.
        assert_eq!(escape("say \"hi\"\n", false), "say \"hi\"\\n");
    }

    #[test]
    fn timestamps_are_seconds_with_milliseconds() {
        assert_eq!(timestamp_text(1_767_225_600, 0), "1767225600.000");
        assert_eq!(
            timestamp_text(1_767_225_600, 10_500_000_000),
            "1767225610.500"
        );
        // Below a millisecond is dropped, never rounded up past the interval's end.
        assert_eq!(timestamp_text(0, 1_999_999), "0.001");
    }

    #[test]
    fn values_are_whole_numbers_or_shortest_floats() {
        assert_eq!(value_text(12.0), "12");
        assert_eq!(value_text(0.5), "0.5");
        assert_eq!(value_text(1234.567), "1234.567");
    }

    #[test]
    fn a_family_header_writes_type_unit_and_help_in_that_order() {
        let mut out = Vec::new();
        family_header(
            &mut out,
            "x_milliseconds",
            FamilyType::Histogram,
            Some("milliseconds"),
            "a\nb",
        )
        .expect("writes to memory");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "# TYPE x_milliseconds histogram\n# UNIT x_milliseconds milliseconds\n# HELP x_milliseconds a\\nb\n"
        );
    }
}
