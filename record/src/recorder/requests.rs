//! The workloads' requests: how each ended, their latencies, what failures began with, and the
//! check that every request sent ended once or is still in flight.

use indexmap::IndexMap;
use meshsim_sim::SimTime;

use super::Recorder;
use super::client_stats::{RequestDone, WorkloadTotals};
use super::output::{KeptRows, MetricsRow, format_millis, format_seconds, quantile_text};
use crate::histogram::Histogram;
use crate::keys::{ClientId, trace_id};
use crate::outcome::Outcome;
use crate::summary::{LatencySummary, RequestCounts, WorkloadSummary, latency_cdf, round_ratio};

impl Recorder {
    pub(super) fn request_sent(&mut self, client: ClientId) {
        let stats = &mut self.clients[client.0 as usize];
        stats.counts.sent += 1;
        stats.interval_counts.sent += 1;
    }

    pub(super) fn request_done(&mut self, now: SimTime, done: RequestDone) {
        let latency_ns = now.as_nanos().saturating_sub(done.sent_at_ns);
        let stats = &mut self.clients[done.client.0 as usize];
        for counts in [&mut stats.counts, &mut stats.interval_counts] {
            match done.outcome {
                Outcome::Succeeded => counts.succeeded += 1,
                Outcome::Failed => counts.failed += 1,
                Outcome::TimedOut => counts.timed_out += 1,
                Outcome::Shed => counts.shed += 1,
            }
        }
        if done.outcome == Outcome::Succeeded {
            stats.interval_latencies.record(latency_ns);
        } else {
            *stats.failures.entry(done.reason).or_insert(0) += 1;
        }
        if self.files.requests.is_some() {
            let origin = done
                .reason
                .group
                .map_or("", |group| self.catalog.groups[group.index()].name.as_str());
            let row = [
                done.request.to_string(),
                self.catalog.clients[done.client.0 as usize].clone(),
                format_seconds(SimTime::from_nanos(done.sent_at_ns)),
                format_seconds(now),
                format_millis(latency_ns as f64),
                done.outcome.name().to_owned(),
                done.status.to_string(),
                done.reason.kind.name().to_owned(),
                origin.to_owned(),
                trace_id(done.client, done.request),
            ];
            self.files.requests_row(&row);
        }
    }

    pub(super) fn in_flight_at_end(&mut self, client: ClientId, count: u64) {
        let stats = &mut self.clients[client.0 as usize];
        assert!(
            stats.reported_in_flight.is_none(),
            "client {client:?} reported twice"
        );
        stats.reported_in_flight = Some(count);
    }

    /// Each workload's row of the interval that ends, and the interval's counts emptied.
    pub(super) fn workload_rows(&mut self, time: &str, kept: &mut KeptRows) {
        let writing = self.files.metrics.is_some();
        for (client_index, stats) in self.clients.iter_mut().enumerate() {
            if writing {
                let counts = &stats.interval_counts;
                // A request that ended twice is the accounting check's to report, not a wrap here.
                let in_flight = stats.counts.sent.saturating_sub(stats.counts.ended());
                let mut row: MetricsRow = Default::default();
                time.clone_into(&mut row[0]);
                row[1] = "workload".into();
                row[2].clone_from(&self.catalog.clients[client_index]);
                row[4] = counts.sent.to_string();
                row[5] = counts.succeeded.to_string();
                row[6] = counts.failed.to_string();
                row[7] = counts.timed_out.to_string();
                row[8] = counts.shed.to_string();
                row[9] = quantile_text(&mut stats.interval_latencies, 0.50);
                row[10] = quantile_text(&mut stats.interval_latencies, 0.99);
                row[11] = in_flight.to_string();
                self.files.interval_row(row, kept);
            }
            stats.interval_counts = RequestCounts::default();
            stats.fold_interval();
        }
    }

    /// Each workload's summary, and what did not add up (a request neither ended nor in flight).
    pub(super) fn summarise_workloads(&mut self, problems: &mut Vec<String>) -> WorkloadTotals {
        let mut totals = RequestCounts::default();
        let mut total_histogram = Histogram::new();
        let mut workloads = IndexMap::new();
        for (index, mut stats) in std::mem::take(&mut self.clients).into_iter().enumerate() {
            let name = &self.catalog.clients[index];
            let derived_in_flight = stats.counts.sent.checked_sub(stats.counts.ended());
            match (derived_in_flight, stats.reported_in_flight) {
                (Some(derived), Some(reported)) if derived == reported => {}
                (derived, reported) => problems.push(format!(
                    "workload {name}: sent {} but ended {} and the client holds {reported:?} \
                     (expected {derived:?})",
                    stats.counts.sent,
                    stats.counts.ended()
                )),
            }
            stats.counts.in_flight = stats.reported_in_flight.unwrap_or(0);
            totals.add(&stats.counts);
            total_histogram.merge(&stats.histogram);
            let failures = stats
                .failures
                .iter()
                .map(|(reason, count)| (super::reason_text(&self.catalog, *reason), *count))
                .collect();
            workloads.insert(
                name.clone(),
                WorkloadSummary {
                    requests: stats.counts,
                    success_rate: stats.counts.success_rate().map(round_ratio),
                    latency_ms: LatencySummary::of(&stats.histogram),
                    failures,
                    latency_cdf_ms: latency_cdf(&stats.histogram),
                    histogram: stats.histogram,
                },
            );
        }
        WorkloadTotals {
            workloads,
            totals,
            histogram: total_histogram,
        }
    }
}
