//! An expectation's actual value and bounds as a person reads them, in the metric's unit, the
//! same on the terminal and on the page: `5m 00s, expected ≤ 6m 00s`, `0.9928, expected ≥ 0.98`.

use crate::quantity::{duration_ms, significant};
use crate::run_data::ExpectationData;

/// The actual value, in the expectation's unit.
pub(crate) fn shown_actual(expectation: &ExpectationData) -> String {
    let unit = expectation.unit.as_deref();
    match &expectation.actual {
        serde_json::Value::Null => "none".to_owned(),
        serde_json::Value::Number(number) => {
            let value = number.as_f64().unwrap_or(f64::NAN);
            shown_number(unit, value)
        }
        // A duration is written `300000ms` in the summary: its exact value, in milliseconds.
        serde_json::Value::String(text) => match text.strip_suffix("ms") {
            Some(millis) if unit == Some("ms") => millis
                .parse::<f64>()
                .map_or_else(|_| text.clone(), duration_ms),
            _ => text.clone(),
        },
        other => other.to_string(),
    }
}

/// The bounds, in the expectation's unit: `≥ 0.9900 and ≤ 1.000`. A summary written before
/// units keeps its words as the scenario had them.
pub(crate) fn shown_expected(expectation: &ExpectationData) -> String {
    let unit = expectation.unit.as_deref();
    if unit.is_none() || unit == Some("text") {
        return expectation.expected.clone();
    }
    let mut parts = Vec::new();
    for (symbol, bound) in [
        ("≥", expectation.min),
        ("≤", expectation.max),
        ("=", expectation.equals),
    ] {
        if let Some(bound) = bound {
            parts.push(format!("{symbol} {}", shown_bound(unit, bound)));
        }
    }
    if parts.is_empty() {
        return expectation.expected.clone();
    }
    parts.join(" and ")
}

/// `5m 00s, expected ≤ 6m 00s`, with the note when there is one.
pub(crate) fn shown_expectation(expectation: &ExpectationData) -> String {
    let note = expectation
        .note
        .as_ref()
        .map_or(String::new(), |note| format!(" ({note})"));
    format!(
        "{}: {}, expected {}{note}",
        expectation.metric,
        shown_actual(expectation),
        shown_expected(expectation)
    )
}

/// A bound as the scenario set it: a ratio keeps the digits it was written with (`0.98`,
/// not `0.9800`), since they are not a measurement's precision.
fn shown_bound(unit: Option<&str>, value: f64) -> String {
    match unit {
        Some("ratio") => format!("{value}"),
        _ => shown_number(unit, value),
    }
}

fn shown_number(unit: Option<&str>, value: f64) -> String {
    match unit {
        Some("ms") => duration_ms(value),
        Some("ratio") => significant(value),
        // Counts are whole; a ratio of counts (retry amplification) is not.
        _ if value.fract() == 0.0 && value.abs() < 1e15 => format!("{value:.0}"),
        _ => significant(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectation(unit: &str, actual: serde_json::Value, max: Option<f64>) -> ExpectationData {
        ExpectationData {
            metric: "m".into(),
            ok: true,
            actual,
            expected: "<= 6m".into(),
            note: None,
            unit: Some(unit.into()),
            min: None,
            max,
            equals: None,
        }
    }

    #[test]
    fn figures_are_written_in_their_unit() {
        let time = expectation("ms", "300000ms".into(), Some(360_000.0));
        assert_eq!(shown_expectation(&time), "m: 5m 00s, expected ≤ 6m 00s");
        let ratio = expectation(
            "ratio",
            serde_json::json!(0.981_504_679_095_129_3),
            Some(1.0),
        );
        assert_eq!(shown_expectation(&ratio), "m: 0.9815, expected ≤ 1");
        let count = expectation("count", serde_json::json!(10224), Some(15000.0));
        assert_eq!(shown_expectation(&count), "m: 10224, expected ≤ 15000");
        let lag = expectation("ms", "61017.204ms".into(), None);
        assert_eq!(shown_actual(&lag), "61.0 s");
    }

    #[test]
    fn an_old_summary_keeps_its_words() {
        let mut old = expectation("ms", "300000ms".into(), None);
        old.unit = None;
        assert_eq!(shown_expected(&old), "<= 6m");
    }
}
