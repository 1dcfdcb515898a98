//! What models report: one [`Record`] per thing that happened, handed by the engines to the
//! recorder unread. These and the summaries built from them are the only types the reports crate
//! sees of a run: it needs no engine and no model.

use meshsim_sim::{GroupId, NodeId};

use crate::call_end::CallEnd;
use crate::events::{BrokerEvent, MeshEvent, RolloutOutcome, SagaEvent};
use crate::gauge::{Gauge, GroupGauge};
use crate::keys::{ClientId, VersionKey};
use crate::outcome::{Outcome, ServedResult};
use crate::reason::Reason;
use crate::span::Span;

/// One thing a model reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A workload sent a request.
    RequestSent { client: ClientId, request: u64 },
    /// A workload request ended.
    RequestDone {
        client: ClientId,
        request: u64,
        sent_at_ns: u64,
        outcome: Outcome,
        status: u16,
        reason: Reason,
    },
    /// An instance answered a request (or shed it).
    Served {
        key: VersionKey,
        node: NodeId,
        latency_ns: u64,
        result: ServedResult,
    },
    /// An instance of a version with `cores` finished a request's own work: `core_ns` of
    /// core-time used (its work, whatever the sharing), for `metrics.csv`'s `cpu_percent`. A
    /// version without `cores` records none, so its runs replay as before.
    CpuWork { key: VersionKey, core_ns: u64 },
    /// A gauge moved.
    Gauge {
        key: VersionKey,
        gauge: Gauge,
        delta: i64,
    },
    /// Requests a client still waits for when the run ends, counted by the client itself.
    InFlightAtEnd { client: ClientId, count: u64 },
    /// A caller's sidecar started a call to `callee` (before retries).
    Call { caller: GroupId, callee: GroupId },
    /// A caller's sidecar ended a call, for the mesh's telemetry (`--openmetrics`); out of the
    /// digest, like spans.
    CallEnded(CallEnd),
    /// A caller's sidecar sent one attempt of a call; `retry` for every attempt after the first.
    Attempt {
        caller: GroupId,
        callee: GroupId,
        retry: bool,
    },
    /// The mesh acted on a call to `callee`.
    Mesh { callee: GroupId, event: MeshEvent },
    /// A per-service mesh gauge moved.
    GroupGauge {
        group: GroupId,
        gauge: GroupGauge,
        delta: i64,
    },
    /// Something worth a line in `events.csv`.
    Event {
        kind: &'static str,
        subject: String,
        detail: String,
    },
    /// A stretch of one sampled request's life at one node, for the trace export. Boxed: spans
    /// are rare (sampled requests only) and the other records stay small.
    Span(Box<Span>),
    /// A broker did something with a message of one subscription (its index in the catalog).
    Broker {
        subscription: u32,
        event: BrokerEvent,
    },
    /// A subscription's oldest waiting message was published at this time (`None`: its queue
    /// is empty), for the consumer lag.
    BrokerOldest {
        subscription: u32,
        published_at_ns: Option<u64>,
    },
    /// What a broker holds of a subscription when the run ends, counted by the broker itself:
    /// the recorder checks it against what the events add up to.
    BrokerAtEnd {
        subscription: u32,
        queued: u64,
        in_flight: u64,
    },
    /// A saga started, completed or was compensated.
    Saga { event: SagaEvent },
    /// A rollout controller set a version's share of its service's traffic, in hundredths of
    /// a percent (the route that takes every request).
    RouteWeight { key: VersionKey, basis_points: u32 },
    /// An autoscaler set a version's count of instances.
    Replicas { key: VersionKey, count: u32 },
    /// A rollout's state after one of its decisions (rollouts numbered as the scenario lists
    /// them).
    Rollout {
        rollout: u32,
        outcome: RolloutOutcome,
        failed_checks: u32,
    },
    /// At the end: a model's final figure (a store's units in stock), for the invariants the run
    /// checks afterwards.
    Tally {
        group: GroupId,
        name: &'static str,
        value: u64,
    },
    /// At the end: a fact about one order (a workload request) at one model, `count` times: a
    /// store's `charged`, an order table's `confirmed`, an orchestrator's saga `in_flight`.
    OrderFact {
        group: GroupId,
        order: (ClientId, u64),
        fact: &'static str,
        count: u32,
    },
}
