//! The recorder: one place every model's reports go.
//!
//! It streams `metrics.csv`, `events.csv` and `requests.csv` as the run goes, so memory does not
//! grow with the number of requests; keeps bounded histograms for percentiles; folds every
//! record into the trace digest; and checks at the end that every request is accounted for.

use std::io::{self, Write};

use indexmap::IndexMap;
use xxhash_rust::xxh3::Xxh3;

pub use crate::catalog::{
    Catalog, GroupInfo, NodeInfo, RolloutInfo, SubscriptionInfo, VersionInfo,
};
use crate::histogram::Histogram;
use crate::model::GroupId;
use crate::record::{
    BrokerEvent, ClientId, Gauge, GroupGauge, MeshEvent, Outcome, Reason, ReasonKind, Record,
    RolloutOutcome, SagaEvent, ServedResult, VersionKey,
};
use crate::summary::{
    Accounting, BrokerSummary, EdgeSummary, Facts, LatencySummary, MeshSummary, RequestCounts,
    RolloutSummary, RunSummary, SagaSummary, ServiceCounts, ServiceSummary, SubscriptionSummary,
    VersionSummary, WorkloadSummary, latency_cdf, round_ms, round_ratio,
};
use crate::time::SimTime;
use crate::trace::{TraceOutput, TraceWriter};

/// Where a rollout stands, as its controller last said.
#[derive(Debug, Clone, Copy)]
struct RolloutState {
    outcome: RolloutOutcome,
    failed_checks: u32,
    /// When it was first promoted or rolled back.
    decided_at: Option<SimTime>,
}

/// Where the streamed files go; `None` skips one.
#[derive(Default)]
pub struct RecorderOutputs {
    pub metrics: Option<Box<dyn Write>>,
    pub events: Option<Box<dyn Write>>,
    pub requests: Option<Box<dyn Write>>,
    /// The trace export of sampled requests, Chrome trace-event JSON.
    pub trace: Option<TraceOutput>,
}

#[derive(Default, Clone)]
struct VersionStats {
    counts: ServiceCounts,
    /// The latencies of every interval but the current one: each interval's histogram is merged
    /// in when the interval closes, so a request touches one histogram, not two.
    histogram: Histogram,
    interval_counts: ServiceCounts,
    interval_histogram: Histogram,
    in_flight: i64,
    queue_depth: i64,
    /// The share a rollout controller last gave the version, in hundredths of a percent;
    /// `None`: the configured share.
    route_weight_basis_points: Option<u32>,
}

/// What the mesh did to calls to one service, and its gauges.
#[derive(Default, Clone)]
struct MeshStats {
    events: [u64; MESH_EVENTS],
    interval_events: [u64; MESH_EVENTS],
    gauges: [i64; GROUP_GAUGES],
}

const MESH_EVENTS: usize = 11;

/// One broker subscription's messages: what happened to them, and what it holds now.
#[derive(Default, Clone)]
struct SubscriptionStats {
    events: [u64; BrokerEvent::COUNT],
    interval_events: [u64; BrokerEvent::COUNT],
    queued: i64,
    in_flight: i64,
    /// When the oldest waiting message was published.
    oldest: Option<SimTime>,
    max_lag_ns: u64,
    /// What the broker says it holds at the end.
    reported: Option<(u64, u64)>,
}
const GROUP_GAUGES: usize = 4;

/// Calls and attempts from one service (or workload) to another.
#[derive(Default, Clone, Copy)]
struct EdgeStats {
    calls: u64,
    attempts: u64,
    retries: u64,
}

/// Every edge's stats: for each caller group, its callees sorted by id. A call finds its edge by
/// a binary search among the few callees of one caller, where a map over all edges would take
/// several cache misses once there are thousands; the summary lists edges in (caller, callee)
/// order.
struct Edges {
    by_caller: Vec<Vec<(u32, EdgeStats)>>,
}

impl Edges {
    fn new(groups: usize) -> Self {
        Edges {
            by_caller: vec![Vec::new(); groups],
        }
    }

    fn get_mut(&mut self, caller: GroupId, callee: GroupId) -> &mut EdgeStats {
        let callees = &mut self.by_caller[caller.index()];
        let at = match callees.binary_search_by_key(&callee.0, |&(id, _)| id) {
            Ok(at) => at,
            Err(at) => {
                callees.insert(at, (callee.0, EdgeStats::default()));
                at
            }
        };
        &mut callees[at].1
    }

    /// `((caller, callee), stats)` in (caller, callee) order.
    fn iter(&self) -> impl Iterator<Item = ((u32, u32), &EdgeStats)> {
        self.by_caller
            .iter()
            .enumerate()
            .flat_map(|(caller, callees)| {
                callees
                    .iter()
                    .map(move |(callee, stats)| ((caller as u32, *callee), stats))
            })
    }
}

#[derive(Default, Clone)]
struct ClientStats {
    counts: RequestCounts,
    /// Every interval's latencies but the current one's, as for a service version.
    histogram: Histogram,
    interval_counts: RequestCounts,
    interval_histogram: Histogram,
    failures: IndexMap<Reason, u64>,
    reported_in_flight: Option<u64>,
}

pub struct Recorder {
    catalog: Catalog,
    versions: Vec<Vec<VersionStats>>,
    mesh: Vec<MeshStats>,
    edges: Edges,
    clients: Vec<ClientStats>,
    digest: DigestStream,
    metrics: Option<csv::Writer<Box<dyn Write>>>,
    events: Option<csv::Writer<Box<dyn Write>>>,
    requests: Option<csv::Writer<Box<dyn Write>>>,
    trace: Option<TraceWriter>,
    subscriptions: Vec<SubscriptionStats>,
    sagas: SagaSummary,
    facts: Facts,
    rollouts: Vec<RolloutState>,
    /// Set when the run ends: the last interval is cut there.
    end_of_run: Option<SimTime>,
    interval_start: SimTime,
    interval_end: SimTime,
    /// The first write error; the run goes on and reports it at the end.
    write_error: Option<io::Error>,
}

impl Recorder {
    pub fn new(catalog: Catalog, outputs: RecorderOutputs) -> Self {
        assert!(
            catalog.metrics_interval_ns > 0,
            "a metrics interval has a width"
        );
        let versions = catalog
            .groups
            .iter()
            .map(|group| vec![VersionStats::default(); group.versions.len()])
            .collect();
        let clients = vec![ClientStats::default(); catalog.clients.len()];
        let mesh = vec![MeshStats::default(); catalog.groups.len()];
        let catalog_subscriptions = catalog.subscriptions.len();
        let catalog_rollouts = catalog.rollouts.len();
        let mut write_error = None;
        let trace =
            outputs
                .trace
                .and_then(|trace| match TraceWriter::new(trace.writer, &catalog) {
                    Ok(writer) => Some(writer),
                    Err(error) => {
                        write_error = Some(error);
                        None
                    }
                });
        let mut recorder = Recorder {
            mesh,
            edges: Edges::new(catalog.groups.len()),
            interval_start: SimTime::ZERO,
            interval_end: SimTime::from_nanos(catalog.metrics_interval_ns),
            catalog,
            versions,
            clients,
            digest: DigestStream::default(),
            metrics: outputs.metrics.map(csv::Writer::from_writer),
            events: outputs.events.map(csv::Writer::from_writer),
            requests: outputs.requests.map(csv::Writer::from_writer),
            trace,
            subscriptions: vec![SubscriptionStats::default(); catalog_subscriptions],
            rollouts: vec![
                RolloutState {
                    outcome: RolloutOutcome::InProgress,
                    failed_checks: 0,
                    decided_at: None,
                };
                catalog_rollouts
            ],
            end_of_run: None,
            sagas: SagaSummary::default(),
            facts: Facts::default(),
            write_error,
        };
        recorder.write_headers();
        recorder
    }

    fn write_headers(&mut self) {
        let metrics_header = [
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
        ];
        let result = write_row(self.metrics.as_mut(), &metrics_header)
            .and_then(|()| {
                write_row(
                    self.events.as_mut(),
                    &["time_s", "kind", "subject", "detail"],
                )
            })
            .and_then(|()| {
                write_row(
                    self.requests.as_mut(),
                    &[
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
                    ],
                )
            });
        self.keep_error(result);
    }

    fn keep_error(&mut self, result: io::Result<()>) {
        if let Err(error) = result {
            self.write_error.get_or_insert(error);
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

    /// Takes one record from a model at time `now`.
    pub fn record(&mut self, now: SimTime, record: &Record) {
        if let Record::Span(span) = record {
            // Spans exist only when a trace is asked for; they stay out of the digest, so a run
            // has the same digest with and without `--trace`.
            if let Some(trace) = &mut self.trace {
                let result = trace.span(&self.catalog, span);
                self.keep_error(result);
            }
            return;
        }
        self.fold_digest(now, record);
        match record {
            Record::RequestSent { client, .. } => {
                let stats = &mut self.clients[client.0 as usize];
                stats.counts.sent += 1;
                stats.interval_counts.sent += 1;
            }
            Record::RequestDone {
                client,
                request,
                sent_at_ns,
                outcome,
                status,
                reason,
            } => {
                self.request_done(
                    now,
                    *client,
                    *request,
                    *sent_at_ns,
                    *outcome,
                    *status,
                    *reason,
                );
            }
            Record::Served {
                key,
                latency_ns,
                result,
                ..
            } => {
                let stats = &mut self.versions[key.group.index()][key.version as usize];
                for counts in [&mut stats.counts, &mut stats.interval_counts] {
                    counts.received += 1;
                    match result {
                        ServedResult::Succeeded => counts.succeeded += 1,
                        ServedResult::Failed => counts.failed += 1,
                        ServedResult::Shed => counts.shed += 1,
                    }
                }
                if *result == ServedResult::Succeeded {
                    stats.interval_histogram.record(*latency_ns);
                }
            }
            Record::Gauge { key, gauge, delta } => {
                let stats = &mut self.versions[key.group.index()][key.version as usize];
                let value = match gauge {
                    Gauge::InFlight => &mut stats.in_flight,
                    Gauge::QueueDepth => &mut stats.queue_depth,
                };
                *value += delta;
                assert!(*value >= 0, "gauge {gauge:?} of {key:?} went negative");
            }
            Record::InFlightAtEnd { client, count } => {
                let stats = &mut self.clients[client.0 as usize];
                assert!(
                    stats.reported_in_flight.is_none(),
                    "client {client:?} reported twice"
                );
                stats.reported_in_flight = Some(*count);
            }
            Record::Call { caller, callee } => {
                self.edges.get_mut(*caller, *callee).calls += 1;
            }
            Record::Attempt {
                caller,
                callee,
                retry,
            } => {
                let edge = self.edges.get_mut(*caller, *callee);
                edge.attempts += 1;
                edge.retries += u64::from(*retry);
            }
            Record::Mesh { callee, event } => {
                let stats = &mut self.mesh[callee.index()];
                stats.events[*event as usize] += 1;
                stats.interval_events[*event as usize] += 1;
            }
            Record::GroupGauge {
                group,
                gauge,
                delta,
            } => {
                let value = &mut self.mesh[group.index()].gauges[*gauge as usize];
                *value += delta;
                assert!(
                    *value >= 0,
                    "mesh gauge {gauge:?} of group {group:?} went negative"
                );
            }
            Record::Event {
                kind,
                subject,
                detail,
            } => {
                let time = format_seconds(now);
                let result = write_row(
                    self.events.as_mut(),
                    &[time.as_str(), kind, subject.as_str(), detail.as_str()],
                );
                self.keep_error(result);
            }
            Record::Span(_) => unreachable!("spans are written above"),
            Record::RouteWeight { key, basis_points } => {
                assert!(*basis_points <= 10_000, "a weight above 100%");
                self.versions[key.group.index()][key.version as usize].route_weight_basis_points =
                    Some(*basis_points);
            }
            Record::Rollout {
                rollout,
                outcome,
                failed_checks,
            } => {
                let state = &mut self.rollouts[*rollout as usize];
                state.outcome = *outcome;
                state.failed_checks = *failed_checks;
                if *outcome != RolloutOutcome::InProgress && state.decided_at.is_none() {
                    state.decided_at = Some(now);
                }
            }
            Record::Broker {
                subscription,
                event,
            } => {
                let stats = &mut self.subscriptions[*subscription as usize];
                stats.events[*event as usize] += 1;
                stats.interval_events[*event as usize] += 1;
                let (queued, in_flight) = match event {
                    BrokerEvent::Enqueued => (1, 0),
                    BrokerEvent::Delivered | BrokerEvent::Redelivered => (-1, 1),
                    BrokerEvent::Acked | BrokerEvent::DeadLettered => (0, -1),
                    BrokerEvent::Failed | BrokerEvent::Returned => (1, -1),
                };
                stats.queued += queued;
                stats.in_flight += in_flight;
                assert!(
                    stats.queued >= 0 && stats.in_flight >= 0,
                    "subscription {subscription} holds a negative count after {event:?}"
                );
            }
            Record::BrokerOldest {
                subscription,
                published_at_ns,
            } => {
                let stats = &mut self.subscriptions[*subscription as usize];
                if let Some(oldest) = stats.oldest {
                    stats.max_lag_ns = stats.max_lag_ns.max(now - oldest);
                }
                stats.oldest = published_at_ns.map(SimTime::from_nanos);
            }
            Record::BrokerAtEnd {
                subscription,
                queued,
                in_flight,
            } => {
                let stats = &mut self.subscriptions[*subscription as usize];
                assert!(stats.reported.is_none(), "a broker reported twice");
                stats.reported = Some((*queued, *in_flight));
            }
            Record::Saga { event } => match event {
                SagaEvent::Started => self.sagas.started += 1,
                SagaEvent::Completed => self.sagas.completed += 1,
                SagaEvent::Compensated => self.sagas.compensated += 1,
            },
            Record::Tally { group, name, value } => {
                *self.facts.tallies.entry((group.0, *name)).or_insert(0) += value;
            }
            Record::OrderFact {
                group,
                order,
                fact,
                count,
            } => {
                if *fact == "saga_in_flight" {
                    self.sagas.in_flight += u64::from(*count);
                }
                self.facts
                    .orders
                    .entry((order.0.0, order.1))
                    .or_default()
                    .push((group.0, *fact, *count));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn request_done(
        &mut self,
        now: SimTime,
        client: ClientId,
        request: u64,
        sent_at_ns: u64,
        outcome: Outcome,
        status: u16,
        reason: Reason,
    ) {
        let latency_ns = now.as_nanos().saturating_sub(sent_at_ns);
        let stats = &mut self.clients[client.0 as usize];
        for counts in [&mut stats.counts, &mut stats.interval_counts] {
            match outcome {
                Outcome::Succeeded => counts.succeeded += 1,
                Outcome::Failed => counts.failed += 1,
                Outcome::TimedOut => counts.timed_out += 1,
                Outcome::Shed => counts.shed += 1,
            }
        }
        if outcome == Outcome::Succeeded {
            stats.interval_histogram.record(latency_ns);
        } else {
            *stats.failures.entry(reason).or_insert(0) += 1;
        }
        if self.requests.is_some() {
            let origin = reason
                .group
                .map_or("", |group| self.catalog.groups[group.index()].name.as_str());
            let row = [
                request.to_string(),
                self.catalog.clients[client.0 as usize].clone(),
                format_seconds(SimTime::from_nanos(sent_at_ns)),
                format_seconds(now),
                format_millis(latency_ns as f64),
                outcome.name().to_owned(),
                status.to_string(),
                reason.kind.name().to_owned(),
                origin.to_owned(),
                crate::record::trace_id(client, request),
            ];
            let result = write_row(self.requests.as_mut(), &row);
            self.keep_error(result);
        }
    }

    fn fold_digest(&mut self, now: SimTime, record: &Record) {
        // Each record's fixed fields are laid straight into the stream's batch, in copies of
        // known size; only names and texts go through `update`.
        let buffer = &mut self.digest;
        buffer.begin_record();
        buffer.put(&now.as_nanos().to_le_bytes());
        match record {
            Record::RequestSent { client, request } => {
                buffer.put(&[1]);
                buffer.put(&client.0.to_le_bytes());
                buffer.put(&request.to_le_bytes());
            }
            Record::RequestDone {
                client,
                request,
                sent_at_ns,
                outcome,
                status,
                reason,
            } => {
                buffer.put(&[2, *outcome as u8, reason.kind as u8]);
                buffer.put(&client.0.to_le_bytes());
                buffer.put(&request.to_le_bytes());
                buffer.put(&sent_at_ns.to_le_bytes());
                buffer.put(&status.to_le_bytes());
                buffer.put(&reason.group.map_or(u32::MAX, |group| group.0).to_le_bytes());
            }
            Record::Served {
                key,
                node,
                latency_ns,
                result,
            } => {
                buffer.put(&[3, *result as u8]);
                buffer.put(&key.group.0.to_le_bytes());
                buffer.put(&key.version.to_le_bytes());
                buffer.put(&node.0.to_le_bytes());
                buffer.put(&latency_ns.to_le_bytes());
            }
            Record::Gauge { key, gauge, delta } => {
                buffer.put(&[4, *gauge as u8]);
                buffer.put(&key.group.0.to_le_bytes());
                buffer.put(&key.version.to_le_bytes());
                buffer.put(&delta.to_le_bytes());
            }
            Record::InFlightAtEnd { client, count } => {
                buffer.put(&[5]);
                buffer.put(&client.0.to_le_bytes());
                buffer.put(&count.to_le_bytes());
            }
            Record::Call { caller, callee } => {
                buffer.put(&[7]);
                buffer.put(&caller.0.to_le_bytes());
                buffer.put(&callee.0.to_le_bytes());
            }
            Record::Attempt {
                caller,
                callee,
                retry,
            } => {
                buffer.put(&[8, u8::from(*retry)]);
                buffer.put(&caller.0.to_le_bytes());
                buffer.put(&callee.0.to_le_bytes());
            }
            Record::Mesh { callee, event } => {
                buffer.put(&[9, *event as u8]);
                buffer.put(&callee.0.to_le_bytes());
            }
            Record::GroupGauge {
                group,
                gauge,
                delta,
            } => {
                buffer.put(&[10, *gauge as u8]);
                buffer.put(&group.0.to_le_bytes());
                buffer.put(&delta.to_le_bytes());
            }
            Record::Event {
                kind,
                subject,
                detail,
            } => {
                buffer.put(&[6]);
                for text in [*kind, subject.as_str(), detail.as_str()] {
                    buffer.update(&(text.len() as u64).to_le_bytes());
                    buffer.update(text.as_bytes());
                }
            }
            Record::Span(_) => unreachable!("spans stay out of the digest"),
            Record::Broker {
                subscription,
                event,
            } => {
                buffer.put(&[11, *event as u8]);
                buffer.put(&subscription.to_le_bytes());
            }
            Record::BrokerOldest {
                subscription,
                published_at_ns,
            } => {
                buffer.put(&[12]);
                buffer.put(&subscription.to_le_bytes());
                buffer.put(&published_at_ns.unwrap_or(u64::MAX).to_le_bytes());
            }
            Record::Saga { event } => buffer.put(&[14, *event as u8]),
            Record::RouteWeight { key, basis_points } => {
                buffer.put(&[17]);
                buffer.put(&key.group.0.to_le_bytes());
                buffer.put(&key.version.to_le_bytes());
                buffer.put(&basis_points.to_le_bytes());
            }
            Record::Rollout {
                rollout,
                outcome,
                failed_checks,
            } => {
                buffer.put(&[18, *outcome as u8]);
                buffer.put(&rollout.to_le_bytes());
                buffer.put(&failed_checks.to_le_bytes());
            }
            Record::Tally { group, name, value } => {
                buffer.put(&[15]);
                buffer.put(&group.0.to_le_bytes());
                buffer.put(&value.to_le_bytes());
                buffer.update(name.as_bytes());
            }
            Record::OrderFact {
                group,
                order,
                fact,
                count,
            } => {
                buffer.put(&[16]);
                buffer.put(&group.0.to_le_bytes());
                buffer.put(&order.0.0.to_le_bytes());
                buffer.put(&order.1.to_le_bytes());
                buffer.put(&count.to_le_bytes());
                buffer.update(fact.as_bytes());
            }
            Record::BrokerAtEnd {
                subscription,
                queued,
                in_flight,
            } => {
                buffer.put(&[13]);
                buffer.put(&subscription.to_le_bytes());
                buffer.put(&queued.to_le_bytes());
                buffer.put(&in_flight.to_le_bytes());
            }
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

    fn flush_interval(&mut self) {
        let time = format_seconds(self.interval_start);
        let mut rows: Vec<[String; 21]> = Vec::new();
        let writing = self.metrics.is_some();
        for (client_index, stats) in self.clients.iter_mut().enumerate() {
            if writing {
                let counts = &stats.interval_counts;
                let in_flight = stats.counts.sent - stats.counts.ended();
                rows.push([
                    time.clone(),
                    "workload".into(),
                    self.catalog.clients[client_index].clone(),
                    String::new(),
                    counts.sent.to_string(),
                    counts.succeeded.to_string(),
                    counts.failed.to_string(),
                    counts.timed_out.to_string(),
                    counts.shed.to_string(),
                    quantile_text(&stats.interval_histogram, 0.50),
                    quantile_text(&stats.interval_histogram, 0.99),
                    in_flight.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            stats.interval_counts = RequestCounts::default();
            fold_interval(&mut stats.histogram, &mut stats.interval_histogram);
        }
        for (group_index, group) in self.catalog.groups.iter().enumerate() {
            // The mesh's columns are the service's, repeated on each of its version rows.
            let mesh = &self.mesh[group_index];
            let circuit_state = if mesh.gauges[GroupGauge::BreakersOpen as usize] > 0 {
                "open"
            } else if mesh.gauges[GroupGauge::BreakersHalfOpen as usize] > 0 {
                "half_open"
            } else {
                "closed"
            };
            let ejected = mesh.gauges[GroupGauge::Ejected as usize].to_string();
            let retries = mesh.interval_events[MeshEvent::Retry as usize].to_string();
            let denials = mesh.interval_events[MeshEvent::BudgetExhausted as usize].to_string();
            let pending = mesh.gauges[GroupGauge::Pending as usize].to_string();
            for (version_index, version) in group.versions.iter().enumerate() {
                let stats = &mut self.versions[group_index][version_index];
                if writing {
                    let counts = &stats.interval_counts;
                    rows.push([
                        time.clone(),
                        "service".into(),
                        group.name.clone(),
                        version.name.clone(),
                        counts.received.to_string(),
                        counts.succeeded.to_string(),
                        counts.failed.to_string(),
                        String::new(),
                        counts.shed.to_string(),
                        quantile_text(&stats.interval_histogram, 0.50),
                        quantile_text(&stats.interval_histogram, 0.99),
                        stats.in_flight.to_string(),
                        stats.queue_depth.to_string(),
                        circuit_state.into(),
                        ejected.clone(),
                        match stats.route_weight_basis_points {
                            Some(basis_points) => format!("{:.1}", f64::from(basis_points) / 100.0),
                            None => format!("{:.1}", version.route_weight_percent),
                        },
                        retries.clone(),
                        denials.clone(),
                        pending.clone(),
                        String::new(),
                        failed_checks(&self.catalog, &self.rollouts, group_index, version_index),
                    ]);
                }
                stats.interval_counts = ServiceCounts::default();
                fold_interval(&mut stats.histogram, &mut stats.interval_histogram);
            }
        }
        for mesh in &mut self.mesh {
            mesh.interval_events = [0; MESH_EVENTS];
        }
        let at = self
            .interval_end
            .min(self.end_of_run.unwrap_or(self.interval_end));
        for (index, stats) in self.subscriptions.iter_mut().enumerate() {
            let lag_ns = stats.oldest.map_or(0, |oldest| at - oldest);
            stats.max_lag_ns = stats.max_lag_ns.max(lag_ns);
            if writing {
                let count = |event: BrokerEvent| stats.interval_events[event as usize].to_string();
                rows.push([
                    time.clone(),
                    "subscription".into(),
                    self.catalog.subscriptions[index].label(),
                    String::new(),
                    count(BrokerEvent::Enqueued),
                    count(BrokerEvent::Acked),
                    count(BrokerEvent::Failed),
                    String::new(),
                    count(BrokerEvent::DeadLettered),
                    String::new(),
                    String::new(),
                    stats.in_flight.to_string(),
                    stats.queued.to_string(),
                    String::new(),
                    String::new(),
                    String::new(),
                    count(BrokerEvent::Redelivered),
                    String::new(),
                    String::new(),
                    format!("{:.3}", lag_ns as f64 / 1e6),
                    String::new(),
                ]);
            }
            stats.interval_events = [0; BrokerEvent::COUNT];
        }
        for row in rows {
            let result = write_row(self.metrics.as_mut(), &row);
            self.keep_error(result);
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
            fold_interval(&mut stats.histogram, &mut stats.interval_histogram);
        }
        for stats in self.versions.iter_mut().flatten() {
            fold_interval(&mut stats.histogram, &mut stats.interval_histogram);
        }
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
            && let Err(error) = trace.finish(&self.catalog)
        {
            self.write_error.get_or_insert(error);
        }
        if let Some(error) = self.write_error.take() {
            return Err(error);
        }
        Ok(self.summarise(end))
    }

    fn summarise(self, end: SimTime) -> RunSummary {
        let mut problems = Vec::new();
        let mut totals = RequestCounts::default();
        let mut total_histogram = Histogram::new();
        let mut workloads = IndexMap::new();
        for (index, mut stats) in self.clients.into_iter().enumerate() {
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
                .map(|(reason, count)| (reason_text(&self.catalog, *reason), *count))
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
        // Calls and attempts into each group, from every caller.
        let mut into = vec![(0u64, 0u64); self.catalog.groups.len()];
        for ((_, callee), edge) in self.edges.iter() {
            let (calls, attempts) = &mut into[callee as usize];
            *calls += edge.calls;
            *attempts += edge.attempts;
        }
        let mut services = IndexMap::new();
        for (group_index, group) in self.catalog.groups.iter().enumerate() {
            if group.versions.is_empty() {
                continue;
            }
            let mut counts = ServiceCounts::default();
            let mut histogram = Histogram::new();
            let mut versions = IndexMap::new();
            for (version_index, version) in group.versions.iter().enumerate() {
                let stats = &self.versions[group_index][version_index];
                counts.add(&stats.counts);
                histogram.merge(&stats.histogram);
                versions.insert(
                    version.name.clone(),
                    VersionSummary {
                        instances: version.instances,
                        requests: stats.counts,
                        success_rate: stats.counts.success_rate().map(round_ratio),
                        latency_ms: LatencySummary::of(&stats.histogram),
                        histogram: stats.histogram.clone(),
                    },
                );
            }
            services.insert(
                group.name.clone(),
                ServiceSummary {
                    requests: counts,
                    success_rate: counts.success_rate().map(round_ratio),
                    latency_ms: LatencySummary::of(&histogram),
                    latency_cdf_ms: latency_cdf(&histogram),
                    versions,
                    mesh: {
                        let (calls, attempts) = into[group_index];
                        mesh_summary(&self.mesh[group_index], calls, attempts)
                    },
                    histogram,
                },
            );
        }
        let edges = self
            .edges
            .iter()
            .map(|((caller, callee), edge)| {
                let name = format!(
                    "{} -> {}",
                    self.catalog.groups[caller as usize].name,
                    self.catalog.groups[callee as usize].name
                );
                let amplification = if edge.calls == 0 {
                    0.0
                } else {
                    edge.attempts as f64 / edge.calls as f64
                };
                let summary = EdgeSummary {
                    calls: edge.calls,
                    attempts: edge.attempts,
                    retries: edge.retries,
                    amplification: round_ratio(amplification),
                };
                (name, summary)
            })
            .collect();
        let mut brokers: IndexMap<String, BrokerSummary> = IndexMap::new();
        for (index, stats) in self.subscriptions.iter().enumerate() {
            let info = &self.catalog.subscriptions[index];
            let count = |event: BrokerEvent| stats.events[event as usize];
            let summary = SubscriptionSummary {
                enqueued: count(BrokerEvent::Enqueued),
                delivered: count(BrokerEvent::Delivered),
                redelivered: count(BrokerEvent::Redelivered),
                acked: count(BrokerEvent::Acked),
                failed: count(BrokerEvent::Failed),
                dead_lettered: count(BrokerEvent::DeadLettered),
                queued_at_end: stats.queued as u64,
                in_flight_at_end: stats.in_flight as u64,
                max_lag_ms: round_ms(stats.max_lag_ns as f64),
            };
            // No message lost: every copy published is acked, dead-lettered, or still held.
            let held = summary.acked
                + summary.dead_lettered
                + summary.queued_at_end
                + summary.in_flight_at_end;
            if summary.enqueued != held {
                problems.push(format!(
                    "{}: {} messages enqueued but {held} acked, dead-lettered or held",
                    info.label(),
                    summary.enqueued
                ));
            }
            match stats.reported {
                Some(reported) if reported != (summary.queued_at_end, summary.in_flight_at_end) => {
                    problems.push(format!(
                        "{}: the broker holds {} queued and {} out, its events say {} and {}",
                        info.label(),
                        reported.0,
                        reported.1,
                        summary.queued_at_end,
                        summary.in_flight_at_end
                    ));
                }
                Some(_) => {}
                None => problems.push(format!(
                    "{}: the broker did not report what it holds at the end",
                    info.label()
                )),
            }
            let broker = brokers.entry(info.broker.clone()).or_default();
            broker.totals.add(&summary);
            broker.subscriptions.insert(info.label(), summary);
        }
        let sagas = self.sagas;
        if sagas.started != sagas.completed + sagas.compensated + sagas.in_flight {
            problems.push(format!(
                "sagas: {} started but {} completed, {} compensated and {} in flight",
                sagas.started, sagas.completed, sagas.compensated, sagas.in_flight
            ));
        }
        let rollouts = self
            .catalog
            .rollouts
            .iter()
            .zip(&self.rollouts)
            .map(|(info, state)| {
                let mut served = ServiceCounts::default();
                for key in &info.new_versions {
                    served.add(&self.versions[key.group.index()][key.version as usize].counts);
                }
                let start = SimTime::from_nanos(info.start_ns);
                let summary = RolloutSummary {
                    strategy: info.strategy,
                    from: info.from.clone(),
                    to: info.to.clone(),
                    outcome: state.outcome,
                    time_s: state
                        .decided_at
                        .map(|at| round_seconds((at - start) as f64 / 1e9)),
                    decided_at_s: state.decided_at.map(|at| round_seconds(at.as_secs_f64())),
                    failed_checks: state.failed_checks,
                    blast_radius: served.received,
                    blast_radius_failed: served.failed + served.shed,
                };
                (info.service.clone(), summary)
            })
            .collect();
        let mut stores: IndexMap<String, std::collections::BTreeMap<&'static str, u64>> =
            IndexMap::new();
        for (&(group, name), &value) in &self.facts.tallies {
            stores
                .entry(self.catalog.groups[group as usize].name.clone())
                .or_default()
                .insert(name, value);
        }
        let digest = format!("{:032x}", self.digest.digest128());
        RunSummary {
            digest,
            sim_seconds: end.as_secs_f64(),
            requests: totals,
            success_rate: totals.success_rate().map(round_ratio),
            latency_ms: LatencySummary::of(&total_histogram),
            workloads,
            services,
            edges,
            brokers,
            sagas,
            rollouts,
            stores,
            facts: self.facts,
            accounting: Accounting {
                ok: problems.is_empty(),
                problems,
            },
            histogram: total_histogram,
        }
    }
}

/// The `failed_checks` cell of a version's row: the count of the rollout to that version, if
/// one rolls to it.
fn failed_checks(
    catalog: &Catalog,
    rollouts: &[RolloutState],
    group_index: usize,
    version_index: usize,
) -> String {
    catalog
        .rollouts
        .iter()
        .zip(rollouts)
        .find(|(info, _)| {
            info.new_versions.first().is_some_and(|key| {
                key.group.index() == group_index && key.version as usize == version_index
            })
        })
        .map_or_else(String::new, |(_, state)| state.failed_checks.to_string())
}

/// Seconds to the microsecond, so `summary.json` shows no binary noise.
fn round_seconds(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

fn mesh_summary(stats: &MeshStats, calls: u64, attempts: u64) -> MeshSummary {
    let count = |event: MeshEvent| stats.events[event as usize];
    MeshSummary {
        calls,
        attempts,
        amplification: (calls > 0).then(|| round_ratio(attempts as f64 / calls as f64)),
        retries: count(MeshEvent::Retry),
        budget_denials: count(MeshEvent::BudgetExhausted),
        overflows: count(MeshEvent::Overflow),
        circuit_rejections: count(MeshEvent::CircuitRejected),
        fallbacks: count(MeshEvent::Fallback),
        rate_limited: count(MeshEvent::RateLimited),
        denied: count(MeshEvent::Denied),
        fault_aborts: count(MeshEvent::FaultAborted),
        fault_delays: count(MeshEvent::FaultDelayed),
        ejections: count(MeshEvent::Ejected),
        circuit_opens: count(MeshEvent::CircuitOpened),
    }
}

/// The trace digest's hasher behind a batch: records arrive a few dozen bytes at a time, and
/// the streaming hasher's cost per update (a copy into its own 256-byte buffer, checks) would
/// dominate if each went straight in. XXH3 hashes a byte stream, whatever the updates: batching
/// gives the same digest.
struct DigestStream {
    hasher: Xxh3,
    batch: Box<[u8; DIGEST_BATCH_BYTES]>,
    len: usize,
    /// Where the record being laid out began, to check that its fixed fields fit.
    record_start: usize,
}

/// Bytes gathered before one update of the hasher.
const DIGEST_BATCH_BYTES: usize = 4096;
/// The most bytes of fixed fields one record lays out.
const DIGEST_RECORD_BYTES_MAX: usize = 64;

impl Default for DigestStream {
    fn default() -> Self {
        DigestStream {
            hasher: Xxh3::new(),
            batch: Box::new([0; DIGEST_BATCH_BYTES]),
            len: 0,
            record_start: 0,
        }
    }
}

impl DigestStream {
    fn flush(&mut self) {
        self.hasher.update(&self.batch[..self.len]);
        self.len = 0;
        self.record_start = 0;
    }

    /// Makes room for one record's fixed fields.
    fn begin_record(&mut self) {
        if self.len + DIGEST_RECORD_BYTES_MAX > DIGEST_BATCH_BYTES {
            self.flush();
        }
        self.record_start = self.len;
    }

    /// A fixed field of the record begun last.
    fn put(&mut self, part: &[u8]) {
        let end = self.len + part.len();
        assert!(
            end - self.record_start <= DIGEST_RECORD_BYTES_MAX,
            "a record's fixed fields fit in {DIGEST_RECORD_BYTES_MAX} bytes"
        );
        self.batch[self.len..end].copy_from_slice(part);
        self.len = end;
    }

    /// Bytes of any length: a name, a text.
    fn update(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > DIGEST_BATCH_BYTES {
            self.flush();
        }
        if bytes.len() > DIGEST_BATCH_BYTES {
            self.hasher.update(bytes);
        } else {
            self.batch[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    fn digest128(&self) -> u128 {
        let mut hasher = self.hasher.clone();
        hasher.update(&self.batch[..self.len]);
        hasher.digest128()
    }
}

/// `"shed at backend"`, `"client_timeout"`.
pub fn reason_text(catalog: &Catalog, reason: Reason) -> String {
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

fn write_row<S: AsRef<[u8]>>(
    writer: Option<&mut csv::Writer<Box<dyn Write>>>,
    row: &[S],
) -> io::Result<()> {
    match writer {
        Some(writer) => writer.write_record(row).map_err(io::Error::other),
        None => Ok(()),
    }
}

fn format_seconds(time: SimTime) -> String {
    format!("{:.6}", time.as_secs_f64())
}

fn format_millis(nanos: f64) -> String {
    format!("{:.3}", nanos / 1e6)
}

/// Adds a closed interval's latencies to the run's and empties the interval's.
fn fold_interval(run: &mut Histogram, interval: &mut Histogram) {
    run.merge(interval);
    interval.clear();
}

fn quantile_text(histogram: &Histogram, quantile: f64) -> String {
    if histogram.is_empty() {
        String::new()
    } else {
        format_millis(histogram.quantile_ns(quantile) as f64)
    }
}

impl VersionKey {
    pub fn new(group: GroupId, version: u32) -> Self {
        VersionKey { group, version }
    }
}
