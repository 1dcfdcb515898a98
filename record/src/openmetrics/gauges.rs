//! meshsim's own gauges, `meshsim_*`: every numeric column of `metrics.csv`, one series per row
//! (workload, service version, subscription), labelled `kind`, `name` and `version` as the row
//! is.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::points::Points;
use super::text::{FamilyType, family_header, label_text, sample};

/// `metrics.csv`'s columns before the numbers: time, kind, name, version.
const KEY_COLUMNS: usize = 4;
/// The cells of a row of `metrics.csv`.
pub(super) const ROW_CELLS: usize = KEY_COLUMNS + COLUMNS.len();

/// Each numeric column of `metrics.csv`, in its order, and its help.
const COLUMNS: [(&str, &str); 20] = [
    (
        "requests",
        "Requests that ended in the interval (metrics.csv's requests).",
    ),
    ("succeeded", "Requests that succeeded in the interval."),
    ("failed", "Requests that failed in the interval."),
    ("timed_out", "Requests that timed out in the interval."),
    ("shed", "Requests shed in the interval."),
    ("p50_ms", "The interval's median latency, in milliseconds."),
    (
        "p99_ms",
        "The interval's 99th percentile latency, in milliseconds.",
    ),
    (
        "in_flight",
        "Requests being worked on at the interval's end.",
    ),
    (
        "queue_depth",
        "Requests waiting for a worker at the interval's end.",
    ),
    (
        "circuit_state",
        "Callers' circuit breakers: 0 closed, 1 half open, 2 open.",
    ),
    (
        "ejected",
        "Instances ejected by outlier detection, over every caller's sidecar.",
    ),
    (
        "route_weight",
        "The version's share of its service's traffic, in percent.",
    ),
    ("retries", "Retries sent to the service in the interval."),
    (
        "budget_denials",
        "Retries the retry limit or budget denied in the interval.",
    ),
    (
        "pending",
        "Calls waiting for a connection at the interval's end.",
    ),
    ("lag_ms", "A subscription's consumer lag, in milliseconds."),
    ("failed_checks", "A rollout's failed checks so far."),
    (
        "degraded",
        "Requests answered without a call that failed, in the interval.",
    ),
    (
        "cpu_percent",
        "CPU used by the version's instances, in percent of their cores.",
    ),
    ("replicas", "The version's instances."),
];

/// Every row's series, by (kind, name, version).
#[derive(Default)]
pub(super) struct Rows {
    series: BTreeMap<[String; 3], Points>,
}

impl Rows {
    /// One interval's rows of `metrics.csv`; `point` is the interval's index.
    pub(super) fn sample(&mut self, rows: &[[String; ROW_CELLS]], point: u32) {
        for row in rows {
            let key = [row[1].clone(), row[2].clone(), row[3].clone()];
            let values = row[KEY_COLUMNS..].iter().map(|cell| cell_value(cell));
            self.series
                .entry(key)
                .or_insert_with(|| Points::new(point, COLUMNS.len()))
                .push(values);
        }
    }

    pub(super) fn write(&self, out: &mut dyn Write, timestamps: &[String]) -> io::Result<()> {
        let labels: Vec<(&Points, String)> = self
            .series
            .iter()
            .map(|([kind, name, version], points)| {
                let labels = [
                    ("kind", kind.as_str()),
                    ("name", name),
                    ("version", version),
                ];
                (points, label_text(&labels))
            })
            .collect();
        for (column, (name, help)) in COLUMNS.iter().enumerate() {
            let family = format!("meshsim_{name}");
            family_header(out, &family, FamilyType::Gauge, None, help)?;
            for (points, labels) in &labels {
                for (interval, values) in points.iter() {
                    // An empty cell (no latency in the interval, no CPU limit) is no sample.
                    if !values[column].is_nan() {
                        sample(out, &family, labels, values[column], &timestamps[interval])?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A cell of `metrics.csv` as a number: the circuit state by its order, an empty cell NaN.
fn cell_value(cell: &str) -> f64 {
    match cell {
        "closed" => 0.0,
        "half_open" => 1.0,
        "open" => 2.0,
        _ => cell.parse().unwrap_or(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_becomes_one_series_per_column_and_empty_cells_no_sample() {
        let mut cells: [String; ROW_CELLS] = Default::default();
        for (cell, text) in cells.iter_mut().zip(["0.000000", "service", "order", "v1"]) {
            *cell = text.to_owned();
        }
        cells[KEY_COLUMNS] = "7".to_owned();
        cells[KEY_COLUMNS + 9] = "open".to_owned();
        let mut rows = Rows::default();
        rows.sample(&[cells], 0);
        let mut out = Vec::new();
        rows.write(&mut out, &["10.000".to_owned()])
            .expect("writes to memory");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains(
            "meshsim_requests{kind=\"service\",name=\"order\",version=\"v1\"} 7 10.000\n"
        ));
        assert!(text.contains(
            "meshsim_circuit_state{kind=\"service\",name=\"order\",version=\"v1\"} 2 10.000\n"
        ));
        assert!(!text.contains("meshsim_p50_ms{"));
        assert_eq!(text.matches("# TYPE ").count(), COLUMNS.len());
    }
}
