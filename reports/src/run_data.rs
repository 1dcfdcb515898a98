//! A recorded run as the reports read it back: `summary.json`, `metrics.csv` and `events.csv`
//! from a run's folder. Charts and the HTML report are drawn from this alone, so `meshsim report
//! DIR` re-renders them without running anything, and a run from another machine renders the same.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::metrics::Metrics;
use crate::run_data_error::RunDataError;
use crate::summary_file::FaultWindow;

/// Everything a report needs of one run.
#[derive(Debug, Clone)]
pub struct RunData {
    pub summary: SummaryData,
    /// What the reports keep of `metrics.csv`: never its rows, which are read again for the
    /// subjects the charts draw (see `metrics`).
    pub(crate) metrics: Metrics,
    pub events: Vec<EventRow>,
}

/// The parts of `summary.json` the reports use.
#[derive(Debug, Clone, Deserialize)]
pub struct SummaryData {
    pub scenario: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    pub engine: String,
    /// Absent from summaries written before mesh profiles.
    #[serde(default)]
    pub mesh: crate::summary_file::MeshInfo,
    pub digest: String,
    pub sim_seconds: f64,
    #[serde(default)]
    pub events: u64,
    pub requests: Counts,
    pub success_rate: Option<f64>,
    pub latency_ms: Latency,
    #[serde(default)]
    pub workloads: IndexMap<String, WorkloadData>,
    #[serde(default)]
    pub services: IndexMap<String, ServiceData>,
    #[serde(default)]
    pub edges: IndexMap<String, EdgeData>,
    #[serde(default)]
    pub brokers: IndexMap<String, BrokerData>,
    #[serde(default)]
    pub rollouts: IndexMap<String, RolloutData>,
    #[serde(default)]
    pub accounted: bool,
    #[serde(default)]
    pub not_simulated: Vec<String>,
    /// The service versions that ran as code (`backend v1`); empty for models alone.
    #[serde(default)]
    pub code: Vec<String>,
    #[serde(default)]
    pub faults: Vec<FaultWindow>,
    #[serde(default)]
    pub expectations: Vec<ExpectationData>,
    #[serde(default)]
    pub invariants: Vec<crate::summary_file::InvariantOutcome>,
    /// Header routes by service, in words; absent from summaries written before them.
    #[serde(default)]
    pub matched_routes: IndexMap<String, Vec<String>>,
}

/// How a rollout went, as `summary.json` has it.
#[derive(Debug, Clone, Deserialize)]
pub struct RolloutData {
    pub strategy: String,
    pub from: String,
    pub to: String,
    pub outcome: String,
    pub time_s: Option<f64>,
    pub failed_checks: u32,
    pub blast_radius: u64,
    pub blast_radius_failed: u64,
    /// When it was promoted or rolled back, in seconds of the run.
    #[serde(default)]
    pub decided_at_s: Option<f64>,
    /// The checks as the scenario bounds them: `success_rate >= 0.99`.
    #[serde(default)]
    pub checks: Vec<String>,
}

/// Request counts of a workload (or of all of them); services have `received` instead of `sent`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Counts {
    #[serde(default)]
    pub sent: u64,
    #[serde(default)]
    pub received: u64,
    #[serde(default)]
    pub succeeded: u64,
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub timed_out: u64,
    #[serde(default)]
    pub shed: u64,
    #[serde(default)]
    pub in_flight: u64,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Latency {
    pub mean: f64,
    #[serde(default)]
    pub stddev: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkloadData {
    pub requests: Counts,
    pub success_rate: Option<f64>,
    pub latency_ms: Latency,
    #[serde(default)]
    pub failures: IndexMap<String, u64>,
    /// `[percent, milliseconds]` points of the latency distribution.
    #[serde(default)]
    pub latency_cdf_ms: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServiceData {
    pub requests: Counts,
    pub success_rate: Option<f64>,
    pub latency_ms: Latency,
    #[serde(default)]
    pub versions: IndexMap<String, VersionData>,
    #[serde(default)]
    pub mesh: IndexMap<String, serde_json::Value>,
    #[serde(default)]
    pub latency_cdf_ms: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VersionData {
    pub instances: u32,
    pub requests: Counts,
    pub success_rate: Option<f64>,
    pub latency_ms: Latency,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct EdgeData {
    pub calls: u64,
    pub attempts: u64,
    pub retries: u64,
    pub amplification: f64,
}

/// A broker's figures, its subscriptions' added up; each subscription's by its label.
#[derive(Debug, Clone, Deserialize)]
pub struct BrokerData {
    #[serde(flatten)]
    pub totals: SubscriptionData,
    #[serde(default)]
    pub subscriptions: IndexMap<String, SubscriptionData>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct SubscriptionData {
    pub enqueued: u64,
    pub delivered: u64,
    pub redelivered: u64,
    pub acked: u64,
    pub failed: u64,
    pub dead_lettered: u64,
    pub queued_at_end: u64,
    pub in_flight_at_end: u64,
    pub max_lag_ms: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExpectationData {
    pub metric: String,
    pub ok: bool,
    pub actual: serde_json::Value,
    pub expected: String,
    #[serde(default)]
    pub note: Option<String>,
    /// `ms`, `ratio`, `count` or `text`; absent from summaries written before units.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub equals: Option<f64>,
}

/// One row of `events.csv`.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub time_s: f64,
    pub kind: String,
    pub subject: String,
    pub detail: String,
}

impl RunData {
    /// Reads `summary.json`, `metrics.csv` and `events.csv` from a run's folder. `metrics.csv`
    /// is read as a stream, and read again for the rows a chart draws.
    pub fn load(folder: &Path) -> Result<RunData, RunDataError> {
        let read = |name: &str| {
            let path = folder.join(name);
            std::fs::read_to_string(&path).map_err(|error| RunDataError {
                message: format!(
                    "cannot read it ({error}); is this the output folder of `meshsim run`?"
                ),
                path,
            })
        };
        let located = |name: &str, message: String| RunDataError {
            path: folder.join(name),
            message,
        };
        let summary_text = read("summary.json")?;
        let summary =
            parse_summary(&summary_text).map_err(|message| located("summary.json", message))?;
        let metrics = Metrics::from_file(folder.join("metrics.csv"), summary.sim_seconds)?;
        let events_text = read("events.csv")?;
        let events =
            parse_events(&events_text).map_err(|message| located("events.csv", message))?;
        Ok(RunData {
            summary,
            metrics,
            events,
        })
    }

    /// Parses the three files' texts; an error names the file and what is wrong.
    pub fn parse(
        summary: &str,
        metrics: &str,
        events: &str,
    ) -> Result<RunData, (&'static str, String)> {
        let summary = parse_summary(summary).map_err(|message| ("summary.json", message))?;
        let metrics = Metrics::from_text(metrics, summary.sim_seconds)
            .map_err(|message| ("metrics.csv", message))?;
        let events = parse_events(events).map_err(|message| ("events.csv", message))?;
        Ok(RunData {
            summary,
            metrics,
            events,
        })
    }

    /// A run known by its summary alone, without metrics or events: a run that wrote no files
    /// (an embedded run, as in `examples/async_service.rs`) still gets its headline.
    pub fn from_summary(summary: &str) -> Result<RunData, String> {
        Ok(RunData {
            summary: parse_summary(summary)?,
            metrics: Metrics::default(),
            events: Vec::new(),
        })
    }

    /// The width of a `metrics.csv` row, in seconds: the run's length with a single interval.
    pub(crate) fn interval_s(&self) -> f64 {
        self.metrics
            .interval_s()
            .unwrap_or(self.summary.sim_seconds)
    }
}

fn parse_summary(text: &str) -> Result<SummaryData, String> {
    serde_json::from_str(text).map_err(|error| format!("not a meshsim summary: {error}"))
}

fn parse_events(text: &str) -> Result<Vec<EventRow>, String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|error| error.to_string())?;
        let field = |index: usize| record.get(index).unwrap_or_default().to_owned();
        rows.push(EventRow {
            time_s: field(0)
                .parse()
                .map_err(|_| format!("line {}: `{}` is not a time", line + 2, field(0)))?,
            kind: field(1),
            subject: field(2),
            detail: field(3),
        });
    }
    Ok(rows)
}
