//! `--openmetrics FILE`: the run as timestamped `OpenMetrics` text, one point per series per
//! metrics interval, which `promtool tsdb create-blocks-from openmetrics` turns into Prometheus
//! blocks: Istio's standard request metrics (`istio`), Envoy's cluster statistics (`envoy`)
//! and meshsim's own gauges (`gauges`).
//!
//! `OpenMetrics` asks that a family's samples be contiguous and a series' points be together and
//! in time order (`OpenMetrics` 1.0, "Text format": "`MetricFamilies` MUST NOT be interleaved",
//! and the same of a family's metrics). A run produces them the other way round, every
//! series at each interval, so the points are kept, as numbers (8 bytes a value, far smaller
//! than their text), and the text is written at the end. Memory: 8 bytes × values per point ×
//! series × intervals; the series are bounded by sources × destinations × versions ×
//! response codes × flags (see `docs/observability.md`).

mod envoy;
mod gauges;
mod istio;
mod points;
mod text;

use std::io::{self, Write};

use crate::call_end::CallEnd;
use crate::catalog::Catalog;
pub(crate) use envoy::ClusterStats;
use envoy::Clusters;
use gauges::Rows;
pub use istio::BUCKET_BOUNDS_MS as ISTIO_BUCKET_BOUNDS_MS;
use istio::Requests;

/// Simulated time 0 by default: 2026-01-01T00:00:00Z, fixed so that the same seed writes the
/// same bytes (never the wall clock).
pub const OPENMETRICS_START_UNIX_S: u64 = 1_767_225_600;

/// Where `--openmetrics` writes, and the Unix time simulated time 0 maps to.
pub struct OpenMetricsOutput {
    pub writer: Box<dyn Write>,
    pub start_unix_s: u64,
}

/// The run's series, kept until the end.
pub(crate) struct OpenMetrics {
    output: OpenMetricsOutput,
    /// Each sampled interval's end, in simulated nanoseconds.
    ends_ns: Vec<u64>,
    requests: Requests,
    clusters: Clusters,
    rows: Rows,
}

impl OpenMetrics {
    pub(crate) fn new(output: OpenMetricsOutput, catalog: &Catalog) -> Self {
        OpenMetrics {
            output,
            ends_ns: Vec::new(),
            requests: Requests::default(),
            clusters: Clusters::new(catalog.groups.len()),
            rows: Rows::default(),
        }
    }

    /// The index the next interval's points will have.
    fn next_point(&self) -> u32 {
        self.ends_ns.len() as u32
    }

    pub(crate) fn call_ended(&mut self, catalog: &Catalog, end: &CallEnd) {
        let next = self.next_point();
        self.requests.call_ended(catalog, end, next);
        self.clusters.called(end.callee.0, next);
    }

    /// Every series' point for the interval that ends at `end_ns`: the request series, each
    /// service's cluster statistics (one per group) and the interval's `metrics.csv` rows.
    pub(crate) fn sample(
        &mut self,
        end_ns: u64,
        clusters: &[ClusterStats],
        rows: &[[String; gauges::ROW_CELLS]],
    ) {
        let point = self.next_point();
        self.requests.sample();
        self.clusters.sample(clusters);
        self.rows.sample(rows, point);
        self.ends_ns.push(end_ns);
    }

    /// Writes every family, then `# EOF`.
    pub(crate) fn finish(mut self, catalog: &Catalog) -> io::Result<()> {
        let start = self.output.start_unix_s;
        let timestamps: Vec<String> = self
            .ends_ns
            .iter()
            .map(|&end| text::timestamp_text(start, end))
            .collect();
        let out: &mut dyn Write = &mut self.output.writer;
        self.requests.write(out, catalog, &timestamps)?;
        self.clusters.write(out, catalog, &timestamps)?;
        self.rows.write(out, &timestamps)?;
        writeln!(out, "# EOF")?;
        out.flush()
    }
}
