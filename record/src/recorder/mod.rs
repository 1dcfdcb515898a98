//! The recorder: one place every model's reports go.
//!
//! It streams `metrics.csv`, `events.csv` and `requests.csv` as the run goes, so memory does not
//! grow with the number of requests; keeps bounded histograms for percentiles; folds every
//! record into the trace digest; and checks at the end that every request is accounted for.
//! Each thing it sums has a file of its own: requests, services, the mesh and its edges,
//! brokers, rollouts, and the tallies and sagas models report at the end.

mod brokers;
mod client_stats;
mod digest;
mod edges;
mod interval_latencies;
mod mesh;
mod output;
mod requests;
mod rollout_state;
mod rollouts;
mod services;
mod subscription_stats;
mod tallies;
mod version_stats;

use std::io;

use meshsim_sim::{Control, GroupId, SimTime, Sink};

use crate::catalog::Catalog;
use crate::openmetrics::OpenMetrics;
use crate::reason::{Reason, ReasonKind};
use crate::record::Record;
use crate::summary::{Accounting, Facts, LatencySummary, RunSummary, SagaSummary, round_ratio};
use client_stats::{ClientStats, RequestDone, WorkloadTotals};
use digest::DigestStream;
use edges::Edges;
use mesh::MeshStats;
pub use output::RecorderOutputs;
use output::{Files, format_seconds};
use rollout_state::RolloutState;
use subscription_stats::SubscriptionStats;
use version_stats::VersionStats;

pub struct Recorder {
    catalog: Catalog,
    versions: Vec<Vec<VersionStats>>,
    mesh: Vec<MeshStats>,
    edges: Edges,
    clients: Vec<ClientStats>,
    digest: DigestStream,
    files: Files,
    subscriptions: Vec<SubscriptionStats>,
    sagas: SagaSummary,
    facts: Facts,
    rollouts: Vec<RolloutState>,
    /// The run's series for `--openmetrics`, written when it ends.
    openmetrics: Option<OpenMetrics>,
    /// Set when the run ends: the last interval is cut there.
    end_of_run: Option<SimTime>,
    interval_start: SimTime,
    interval_end: SimTime,
}

impl Recorder {
    pub fn new(catalog: Catalog, mut outputs: RecorderOutputs) -> Self {
        assert!(
            catalog.metrics_interval_ns > 0,
            "a metrics interval has a width"
        );
        let versions = catalog
            .groups
            .iter()
            .map(|group| vec![VersionStats::default(); group.versions.len()])
            .collect();
        let openmetrics =
            (outputs.openmetrics.take()).map(|output| OpenMetrics::new(output, &catalog));
        let files = Files::open(outputs, &catalog);
        Recorder {
            mesh: vec![MeshStats::default(); catalog.groups.len()],
            edges: Edges::new(catalog.groups.len()),
            interval_start: SimTime::ZERO,
            interval_end: SimTime::from_nanos(catalog.metrics_interval_ns),
            versions,
            clients: vec![ClientStats::default(); catalog.clients.len()],
            digest: DigestStream::default(),
            files,
            subscriptions: vec![SubscriptionStats::default(); catalog.subscriptions.len()],
            rollouts: vec![RolloutState::default(); catalog.rollouts.len()],
            openmetrics,
            end_of_run: None,
            sagas: SagaSummary::default(),
            facts: Facts::default(),
            catalog,
        }
    }

    /// Workload requests sent and not ended yet, over every workload: what a run holds in
    /// memory for its clients, which the run limits bound.
    pub fn requests_in_flight(&self) -> u64 {
        self.clients
            .iter()
            .map(|stats| stats.counts.sent.saturating_sub(stats.counts.ended()))
            .sum()
    }

    /// Hands a record that only the exports read (a span, a call's end) to them; `false` for
    /// every other record. These stay out of the digest: a run has the same digest with and
    /// without `--trace`, `--otlp` or `--openmetrics`.
    #[inline]
    fn exported(&mut self, record: &Record) -> bool {
        match record {
            Record::Span(span) => {
                if let Some(trace) = &mut self.files.trace {
                    let result = trace.span(&self.catalog, span);
                    self.files.keep_error(result);
                }
                if let Some(otlp) = &mut self.files.otlp {
                    let result = otlp.span(&self.catalog, span);
                    self.files.keep_error(result);
                }
                true
            }
            Record::CallEnded(end) => {
                if let Some(openmetrics) = &mut self.openmetrics {
                    openmetrics.call_ended(&self.catalog, end);
                }
                true
            }
            _ => false,
        }
    }

    /// Takes one record from a model at time `now`.
    pub fn record(&mut self, now: SimTime, record: &Record) {
        if self.exported(record) {
            return;
        }
        self.digest.fold(now, record);
        match *record {
            Record::RequestSent { client, .. } => self.request_sent(client),
            Record::RequestDone {
                client,
                request,
                sent_at_ns,
                outcome,
                status,
                reason,
            } => {
                let done = RequestDone {
                    client,
                    request,
                    sent_at_ns,
                    outcome,
                    status,
                    reason,
                };
                self.request_done(now, done);
            }
            Record::Served {
                key,
                latency_ns,
                result,
                ..
            } => self.served(key, latency_ns, result),
            Record::Gauge { key, gauge, delta } => self.gauge(key, gauge, delta),
            Record::CpuWork { key, core_ns } => self.cpu_work(key, core_ns),
            Record::InFlightAtEnd { client, count } => self.in_flight_at_end(client, count),
            Record::Call { caller, callee } => self.edges.call(caller, callee),
            Record::Attempt {
                caller,
                callee,
                retry,
            } => self.edges.attempt(caller, callee, retry),
            Record::Mesh { callee, event } => self.mesh[callee.index()].count(event),
            Record::GroupGauge {
                group,
                gauge,
                delta,
            } => self.mesh[group.index()].move_gauge(gauge, delta, group),
            Record::Event {
                kind,
                ref subject,
                ref detail,
            } => {
                let time = format_seconds(now);
                self.files
                    .event_row(&[time.as_str(), kind, subject.as_str(), detail.as_str()]);
            }
            Record::Span(_) | Record::CallEnded(_) => unreachable!("taken above"),
            Record::RouteWeight { key, basis_points } => self.route_weight(key, basis_points),
            Record::Replicas { key, count } => self.replicas(key, count),
            Record::Rollout {
                rollout,
                outcome,
                failed_checks,
            } => self.rollouts[rollout as usize].decide(now, outcome, failed_checks),
            Record::Broker {
                subscription,
                event,
            } => self.subscriptions[subscription as usize].count(subscription, event),
            Record::BrokerOldest {
                subscription,
                published_at_ns,
            } => self.subscriptions[subscription as usize].oldest(now, published_at_ns),
            Record::BrokerAtEnd {
                subscription,
                queued,
                in_flight,
            } => self.subscriptions[subscription as usize].at_end(queued, in_flight),
            Record::Saga { event } => self.saga(event),
            Record::Tally { group, name, value } => self.tally(group, name, value),
            Record::OrderFact {
                group,
                order,
                fact,
                count,
            } => self.order_fact(group, order, fact, count),
        }
    }

    /// Writes the rows of every metrics interval that ended at or before `now`.
    pub fn advance(&mut self, now: SimTime) {
        while now >= self.interval_end {
            self.flush_interval();
            self.interval_start = self.interval_end;
            self.interval_end = self
                .interval_end
                .plus_nanos(self.catalog.metrics_interval_ns);
        }
    }

    /// Writes the interval's rows: workloads, then service versions, then subscriptions.
    fn flush_interval(&mut self) {
        let time = format_seconds(self.interval_start);
        // The last interval ends with the run.
        let end = self
            .end_of_run
            .map_or(self.interval_end, |end| end.min(self.interval_end));
        let mut kept = self.openmetrics.is_some().then(Vec::new);
        self.workload_rows(&time, &mut kept);
        self.service_rows(&time, end - self.interval_start, &mut kept);
        self.subscription_rows(&time, &mut kept);
        if let (Some(openmetrics), Some(rows)) = (&mut self.openmetrics, kept) {
            let clusters: Vec<_> = self.mesh.iter().map(MeshStats::cluster_stats).collect();
            openmetrics.sample(end.as_nanos(), &clusters, &rows);
            for row in rows {
                self.files.metrics_row(&row);
            }
        }
    }

    /// Closes the files and computes the summary; `end` is the run's last instant.
    pub fn finish(mut self, end: SimTime) -> io::Result<RunSummary> {
        self.end_of_run = Some(end);
        // The last, partial interval gets its row too.
        if end > self.interval_start {
            self.flush_interval();
        }
        // Models' last words, after the last interval closed, still count in the totals.
        for stats in &mut self.clients {
            stats.fold_interval();
        }
        for stats in self.versions.iter_mut().flatten() {
            stats.fold_interval();
        }
        if let Some(openmetrics) = self.openmetrics.take() {
            let result = openmetrics.finish(&self.catalog);
            self.files.keep_error(result);
        }
        self.files.close(&self.catalog)?;
        Ok(self.summarise(end))
    }

    fn summarise(mut self, end: SimTime) -> RunSummary {
        let mut problems = Vec::new();
        let WorkloadTotals {
            workloads,
            totals,
            histogram,
        } = self.summarise_workloads(&mut problems);
        let services = self.summarise_services();
        let edges = self.edges.summaries(&self.catalog);
        let brokers = self.summarise_brokers(&mut problems);
        self.check_sagas(&mut problems);
        let rollouts = self.summarise_rollouts();
        let stores = self.summarise_stores();
        RunSummary {
            digest: format!("{:032x}", self.digest.digest128()),
            sim_seconds: end.as_secs_f64(),
            requests: totals,
            success_rate: totals.success_rate().map(round_ratio),
            latency_ms: LatencySummary::of(&histogram),
            workloads,
            services,
            edges,
            brokers,
            sagas: self.sagas,
            rollouts,
            stores,
            facts: self.facts,
            accounting: Accounting {
                ok: problems.is_empty(),
                problems,
            },
            histogram,
        }
    }
}

/// The engines drive the recorder through the kernel's sink. A control of the fault timeline
/// becomes a line of `events.csv`, a record like the models' (it is in the digest too).
impl Sink for Recorder {
    type Record = Record;

    fn advance(&mut self, now: SimTime) {
        Recorder::advance(self, now);
    }

    fn record(&mut self, now: SimTime, record: &Record) {
        Recorder::record(self, now, record);
    }

    fn control(&mut self, now: SimTime, control: &Control) {
        let event = Record::Event {
            kind: control.event_kind,
            subject: control.subject.clone(),
            detail: control.detail.clone(),
        };
        Recorder::record(self, now, &event);
    }
}

/// `"shed at backend"`, `"client_timeout"`.
pub(crate) fn reason_text(catalog: &Catalog, reason: Reason) -> String {
    match reason.group {
        Some(group) if reason.kind != ReasonKind::ClientTimeout => {
            format!("{} at {}", reason.kind.name(), group_name(catalog, group))
        }
        _ => reason.kind.name().to_owned(),
    }
}

fn group_name(catalog: &Catalog, group: GroupId) -> &str {
    &catalog.groups[group.index()].name
}

#[cfg(test)]
mod tests;
