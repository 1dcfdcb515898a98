//! How the controller writes numbers into `events.csv`: seconds and percentages without
//! trailing zeros, measured values to four decimals.

/// A duration in seconds: `30s`, `2.5s`.
pub(super) fn seconds(ns: u64) -> String {
    format!("{}s", trim(ns as f64 / 1e9))
}

/// A number without trailing zeros: `10`, `12.5`.
pub(super) fn trim(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A measured value as `events.csv` shows it: four significant decimals at most.
pub(super) fn round(value: f64) -> String {
    trim((value * 10_000.0).round() / 10_000.0)
}
