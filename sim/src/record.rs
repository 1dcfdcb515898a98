//! What models report, and the shapes the recorder hands to the reports.
//!
//! These are the only types the reports crate sees of a run: it needs no engine and no model.

use serde::Serialize;

use crate::ids::{GroupId, NodeId};

/// A workload's client, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u32);

/// A workload request's trace id as W3C Trace Context writes it: 32 lowercase hex digits, the
/// client (counted from 1, so no id is all zeros) then the request number. The same request has
/// the same id on every run and on both engines; `requests.csv` and the trace export both show it.
pub fn trace_id(client: ClientId, request: u64) -> String {
    format!("{:016x}{request:016x}", u64::from(client.0) + 1)
}

/// A group's version, by index within the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionKey {
    pub group: GroupId,
    pub version: u32,
}

/// How a workload request ended. Every request sent ends as exactly one of these, or is still
/// in flight when the run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    Failed,
    TimedOut,
    Shed,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed_out",
            Outcome::Shed => "shed",
        }
    }
}

/// What a request's failure began with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonKind {
    /// Not a failure.
    Ok,
    /// The service's own work answered an error (its `error_rate`).
    Error,
    /// A full queue turned the request away with 503.
    Shed,
    /// The connection was refused: the instance's process was gone.
    Refused,
    /// The connection was reset: the instance crashed while it held the request.
    Reset,
    /// No instance was up to take the request ("no healthy upstream").
    NoHealthyUpstream,
    /// A sidecar's route timeout ran out (504).
    RouteTimeout,
    /// The client's own timeout ran out.
    ClientTimeout,
    /// The caller's connection pool was full (503): shed by the mesh, not by the service.
    Overflow,
    /// The caller's circuit breaker was open and there was no fallback (503).
    CircuitOpen,
    /// The callee's local rate limit turned the request away (429).
    RateLimited,
    /// The callee's authorization policy denied the caller (403).
    Denied,
    /// Fault injection aborted the request with its configured status.
    FaultAbort,
    /// The circuit breaker's own timeout ran out before the answer (opossum's `timeout`).
    BreakerTimeout,
    /// The circuit breaker's fallback answered in place of the failed or rejected call.
    Fallback,
    /// No route of the callee's mesh policy matched the request (404, Envoy's `NR`).
    NoRoute,
    /// The request carried no credentials where an endpoint asks for them (401).
    Unauthenticated,
    /// Linkerd's balancer found no endpoint to take the request within its failfast timeout
    /// (504).
    FailFast,
    /// Linkerd's balancer is failing fast, or its queue is full: the request is shed at once
    /// (503).
    LoadShed,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 19] = [
        ReasonKind::Ok,
        ReasonKind::Error,
        ReasonKind::Shed,
        ReasonKind::Refused,
        ReasonKind::Reset,
        ReasonKind::NoHealthyUpstream,
        ReasonKind::RouteTimeout,
        ReasonKind::ClientTimeout,
        ReasonKind::Overflow,
        ReasonKind::CircuitOpen,
        ReasonKind::RateLimited,
        ReasonKind::Denied,
        ReasonKind::FaultAbort,
        ReasonKind::BreakerTimeout,
        ReasonKind::Fallback,
        ReasonKind::NoRoute,
        ReasonKind::Unauthenticated,
        ReasonKind::FailFast,
        ReasonKind::LoadShed,
    ];

    /// The kind with this discriminant, for decoding from the wire.
    pub fn from_u8(value: u8) -> Option<ReasonKind> {
        ReasonKind::ALL
            .into_iter()
            .find(|kind| *kind as u8 == value)
    }

    pub fn name(self) -> &'static str {
        match self {
            ReasonKind::Ok => "ok",
            ReasonKind::Error => "error",
            ReasonKind::Shed => "shed",
            ReasonKind::Refused => "connection_refused",
            ReasonKind::Reset => "connection_reset",
            ReasonKind::NoHealthyUpstream => "no_healthy_upstream",
            ReasonKind::RouteTimeout => "route_timeout",
            ReasonKind::ClientTimeout => "client_timeout",
            ReasonKind::Overflow => "overflow",
            ReasonKind::CircuitOpen => "circuit_open",
            ReasonKind::RateLimited => "rate_limited",
            ReasonKind::Denied => "denied",
            ReasonKind::FaultAbort => "fault_abort",
            ReasonKind::BreakerTimeout => "breaker_timeout",
            ReasonKind::Fallback => "fallback",
            ReasonKind::NoRoute => "no_route",
            ReasonKind::Unauthenticated => "unauthenticated",
            ReasonKind::FailFast => "fail_fast",
            ReasonKind::LoadShed => "load_shed",
        }
    }
}

/// Why a request ended as it did: the kind, and the group where it began (`shed at backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reason {
    pub kind: ReasonKind,
    pub group: Option<GroupId>,
}

impl Reason {
    pub const OK: Reason = Reason {
        kind: ReasonKind::Ok,
        group: None,
    };
}

/// How an instance answered a request it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServedResult {
    Succeeded,
    Failed,
    Shed,
}

/// A gauge a model moves up and down; the recorder samples it at each metrics interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Gauge {
    /// Requests being worked on.
    InFlight,
    /// Requests waiting for a worker.
    QueueDepth,
}

/// Something the mesh did to a call, counted per callee service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MeshEvent {
    /// A retry was sent.
    Retry,
    /// A retry was wanted but the retry budget (or Envoy's cap of concurrent retries) denied it.
    BudgetExhausted,
    /// The connection pool was full: the call failed fast with 503.
    Overflow,
    /// An open circuit breaker turned the call away.
    CircuitRejected,
    /// The circuit breaker's fallback answered.
    Fallback,
    /// The callee's rate limit answered 429.
    RateLimited,
    /// The callee's authorization policy answered 403.
    Denied,
    /// Fault injection aborted the call.
    FaultAborted,
    /// Fault injection delayed the call.
    FaultDelayed,
    /// Outlier detection ejected an instance (counted once per caller's sidecar).
    Ejected,
    /// A caller's circuit breaker opened.
    CircuitOpened,
}

/// A per-service gauge of the mesh, summed over every caller's sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupGauge {
    /// Calls waiting in connection pools for a free connection.
    Pending,
    /// Instances ejected by outlier detection (counted once per caller's sidecar).
    Ejected,
    /// Callers' circuit breakers that are open.
    BreakersOpen,
    /// Callers' circuit breakers that are half open.
    BreakersHalfOpen,
}

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

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutOutcome {
    InProgress,
    Promoted,
    RolledBack,
}

impl RolloutOutcome {
    pub fn name(self) -> &'static str {
        match self {
            RolloutOutcome::InProgress => "in_progress",
            RolloutOutcome::Promoted => "promoted",
            RolloutOutcome::RolledBack => "rolled_back",
        }
    }
}

/// What happened to a saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SagaEvent {
    Started,
    /// Every step succeeded.
    Completed,
    /// A step failed and every step that may have applied was undone.
    Compensated,
}

/// What a broker did with one message of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BrokerEvent {
    /// A publish put a copy in the subscription's queue.
    Enqueued,
    /// The copy was sent to a consumer (the first time, or again).
    Delivered,
    /// It was sent again after a failure, a timeout or a lost consumer.
    Redelivered,
    /// The consumer answered with success: the message is done.
    Acked,
    /// The consumer failed it, or did not answer within `ack_timeout`: back to the queue.
    Failed,
    /// It failed for the `max_deliveries`-th time: moved to the dead-letter queue.
    DeadLettered,
    /// It came back to the queue without a verdict: the consumer was gone (refused), or the
    /// broker itself crashed while it was out.
    Returned,
}

impl BrokerEvent {
    pub const COUNT: usize = 7;
}

/// One span of a sampled request: what a node did for it from `start_ns` to `end_ns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The workload request the span belongs to: (client, request), unique in a run.
    pub trace: (ClientId, u64),
    pub node: NodeId,
    pub kind: SpanKind,
    pub start_ns: u64,
    pub end_ns: u64,
    /// The service and endpoint the span is about: served here, or called.
    pub endpoint: Option<(GroupId, u32)>,
    /// The instance an attempt went to.
    pub peer: Option<NodeId>,
    /// The answer's status; 0 when there was none (a timeout).
    pub status: u16,
    /// An attempt's retry number (0 for the first try).
    pub number: u32,
}

/// What a span covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// The workload's client, from the send to the answer.
    Client,
    /// An instance, from the request's arrival to its answer.
    Serve,
    /// Waiting in the instance's queue for a worker.
    Queue,
    /// The endpoint's own work (its service time).
    Work,
    /// A call through the caller's sidecar, retries included.
    Call,
    /// One try of a call.
    Attempt,
}

impl SpanKind {
    pub fn name(self) -> &'static str {
        match self {
            SpanKind::Client => "client",
            SpanKind::Serve => "serve",
            SpanKind::Queue => "queue",
            SpanKind::Work => "work",
            SpanKind::Call => "call",
            SpanKind::Attempt => "attempt",
        }
    }

    /// How deep a span of this kind sits in one request's spans at one node: a client or
    /// serve span holds the rest (0); its queue, work and calls lie one after another within
    /// it (1); a call's tries within the call (2). The trace export rebuilds the tree by it.
    pub fn depth(self) -> u8 {
        match self {
            SpanKind::Client | SpanKind::Serve => 0,
            SpanKind::Queue | SpanKind::Work | SpanKind::Call => 1,
            SpanKind::Attempt => 2,
        }
    }
}
