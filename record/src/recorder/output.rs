//! The files the recorder streams as the run goes (`metrics.csv`, `events.csv`, `requests.csv`
//! and the trace export), and how their cells are written.

use std::io::{self, Write};

use meshsim_sim::SimTime;

use super::interval_latencies::IntervalLatencies;

use crate::catalog::Catalog;
use crate::openmetrics::OpenMetricsOutput;
use crate::otlp::{OtlpOutput, OtlpWriter};
use crate::trace::{TraceOutput, TraceWriter};

/// Where the streamed files go; `None` skips one.
#[derive(Default)]
pub struct RecorderOutputs {
    pub metrics: Option<Box<dyn Write>>,
    pub events: Option<Box<dyn Write>>,
    pub requests: Option<Box<dyn Write>>,
    /// The trace export of sampled requests, Chrome trace-event JSON.
    pub trace: Option<TraceOutput>,
    /// The OTLP JSON export of sampled requests.
    pub otlp: Option<OtlpOutput>,
    /// The run as timestamped `OpenMetrics` text (`--openmetrics`), written at the end.
    pub openmetrics: Option<OpenMetricsOutput>,
}

pub(super) type CsvWriter = csv::Writer<Box<dyn Write>>;

/// One row of `metrics.csv`, a cell a column.
pub(super) type MetricsRow = [String; METRICS_COLUMNS];

/// An interval's rows kept for the `OpenMetrics` export to sample before they are written;
/// `None` when there is no export, and each row is written as it is made.
pub(super) type KeptRows = Option<Vec<MetricsRow>>;

/// The open files, and the first error writing any of them: the run goes on and reports it at
/// the end.
pub(super) struct Files {
    pub(super) metrics: Option<CsvWriter>,
    pub(super) events: Option<CsvWriter>,
    pub(super) requests: Option<CsvWriter>,
    pub(super) trace: Option<TraceWriter>,
    pub(super) otlp: Option<OtlpWriter>,
    pub(super) write_error: Option<io::Error>,
}

/// The columns of `metrics.csv`: one row per workload, service version and subscription at the
/// end of each interval.
const METRICS_COLUMNS: usize = 24;

const METRICS_HEADER: [&str; METRICS_COLUMNS] = [
    "time_s",
    "kind",
    "name",
    "version",
    "requests",
    "succeeded",
    "failed",
    "timed_out",
    "shed",
    "p50_ms",
    "p99_ms",
    "in_flight",
    "queue_depth",
    "circuit_state",
    "ejected",
    "route_weight",
    "retries",
    "budget_denials",
    "pending",
    "lag_ms",
    "failed_checks",
    "degraded",
    "cpu_percent",
    "replicas",
];

const EVENTS_HEADER: [&str; 4] = ["time_s", "kind", "subject", "detail"];

const REQUESTS_HEADER: [&str; 10] = [
    "request",
    "workload",
    "sent_s",
    "done_s",
    "latency_ms",
    "outcome",
    "status",
    "reason",
    "origin",
    "trace_id",
];

impl Files {
    /// Opens the files and writes their headers.
    pub(super) fn open(outputs: RecorderOutputs, catalog: &Catalog) -> Self {
        let mut write_error = None;
        let trace = outputs
            .trace
            .and_then(|trace| match TraceWriter::new(trace.writer, catalog) {
                Ok(writer) => Some(writer),
                Err(error) => {
                    write_error = Some(error);
                    None
                }
            });
        let mut files = Files {
            metrics: outputs.metrics.map(csv::Writer::from_writer),
            events: outputs.events.map(csv::Writer::from_writer),
            requests: outputs.requests.map(csv::Writer::from_writer),
            trace,
            otlp: outputs
                .otlp
                .map(|otlp| OtlpWriter::new(otlp.writer, catalog)),
            write_error,
        };
        let result = write_row(files.metrics.as_mut(), &METRICS_HEADER)
            .and_then(|()| write_row(files.events.as_mut(), &EVENTS_HEADER))
            .and_then(|()| write_row(files.requests.as_mut(), &REQUESTS_HEADER));
        files.keep_error(result);
        files
    }

    pub(super) fn keep_error(&mut self, result: io::Result<()>) {
        if let Err(error) = result {
            self.write_error.get_or_insert(error);
        }
    }

    /// A metrics interval's row: written at once, unless the `OpenMetrics` export is to sample
    /// the interval's rows first (`kept` is then `Some`), when it is kept and written after. So a
    /// thousand services' rows are not all held at once (they were a megabyte of a run's peak).
    pub(super) fn interval_row(&mut self, row: MetricsRow, kept: &mut KeptRows) {
        match kept {
            Some(rows) => rows.push(row),
            None => self.metrics_row(&row),
        }
    }

    pub(super) fn metrics_row(&mut self, row: &[String]) {
        let result = write_row(self.metrics.as_mut(), row);
        self.keep_error(result);
    }

    pub(super) fn event_row(&mut self, row: &[&str]) {
        let result = write_row(self.events.as_mut(), row);
        self.keep_error(result);
    }

    pub(super) fn requests_row(&mut self, row: &[String]) {
        let result = write_row(self.requests.as_mut(), row);
        self.keep_error(result);
    }

    /// Flushes every file and closes the trace; the first error of the run, if any.
    pub(super) fn close(&mut self, catalog: &Catalog) -> io::Result<()> {
        for writer in [
            self.metrics.as_mut(),
            self.events.as_mut(),
            self.requests.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if let Err(error) = writer.flush() {
                self.write_error.get_or_insert(error);
            }
        }
        if let Some(trace) = &mut self.trace
            && let Err(error) = trace.finish(catalog)
        {
            self.write_error.get_or_insert(error);
        }
        if let Some(otlp) = &mut self.otlp
            && let Err(error) = otlp.finish(catalog)
        {
            self.write_error.get_or_insert(error);
        }
        match self.write_error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

fn write_row<S: AsRef<[u8]>>(writer: Option<&mut CsvWriter>, row: &[S]) -> io::Result<()> {
    match writer {
        Some(writer) => writer.write_record(row).map_err(io::Error::other),
        None => Ok(()),
    }
}

pub(super) fn format_seconds(time: SimTime) -> String {
    format!("{:.6}", time.as_secs_f64())
}

pub(super) fn format_millis(nanos: f64) -> String {
    format!("{:.3}", nanos / 1e6)
}

pub(super) fn quantile_text(latencies: &mut IntervalLatencies, quantile: f64) -> String {
    if latencies.is_empty() {
        String::new()
    } else {
        format_millis(latencies.quantile_ns(quantile) as f64)
    }
}
