//! One stretch of a sampled request's life at one node, for the trace exports.
//!
//! Each span has an id and its parent's, derived from what both ends know, so the OTLP export
//! links them exactly instead of guessing from time: a callee's serve span names the try that
//! carried its request by the sending node and the call key the request carries, and a sidecar's
//! call names the visit that made it by its owner's key. The ids are hashes
//! ([`span_id`]), unique within a trace, and cost nothing for requests not sampled.

use meshsim_sim::{GroupId, NodeId};

use crate::keys::ClientId;

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
    /// This span's id within its trace; never 0.
    pub id: u64,
    /// The id of the span it belongs to; 0 for a trace's root.
    pub parent: u64,
    /// What the mesh did to a call while it lasted, in time order (calls only).
    pub events: Vec<SpanEvent>,
}

/// A decision of the mesh on a call, at one instant: a span event in OpenTelemetry's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanEvent {
    pub time_ns: u64,
    pub kind: SpanEventKind,
    /// A retry's number; else 0.
    pub number: u32,
    /// The status of the try a retry follows (0: none came, a timeout or a reset).
    pub status: u16,
}

impl SpanEvent {
    /// An event of `kind` at `now`, with no number or status.
    pub fn at(now: meshsim_sim::SimTime, kind: SpanEventKind) -> SpanEvent {
        SpanEvent {
            time_ns: now.as_nanos(),
            kind,
            number: 0,
            status: 0,
        }
    }
}

/// Which decision a [`SpanEvent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanEventKind {
    /// A try failed and the call goes on with another.
    Retry,
    /// The circuit breaker refused the call (Envoy's response flag `UO`).
    BreakerOpen,
    /// The connection pool's pending queue or request limit was full (`UO` too).
    Overflow,
    /// The balancer passed over instances outlier detection had ejected.
    EjectedSkipped,
    /// Fault injection delayed the call (`DI`).
    FaultDelay,
    /// Fault injection aborted the call (`FI`).
    FaultAbort,
    /// A timeout ended the call or a try (`UT`).
    Timeout,
}

impl SpanEventKind {
    /// The event's name in the export, and Envoy's response flag for it, if it has one.
    pub fn name_and_flag(self) -> (&'static str, Option<&'static str>) {
        match self {
            SpanEventKind::Retry => ("retry", None),
            SpanEventKind::BreakerOpen => ("circuit_breaker.open", Some("UO")),
            SpanEventKind::Overflow => ("pending_queue.overflow", Some("UO")),
            SpanEventKind::EjectedSkipped => ("outlier_detection.ejected_host_skipped", None),
            SpanEventKind::FaultDelay => ("fault.delay", Some("DI")),
            SpanEventKind::FaultAbort => ("fault.abort", Some("FI")),
            SpanEventKind::Timeout => ("timeout", Some("UT")),
        }
    }
}

/// What a span id is made from besides its trace and node, so two roles never share an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum SpanRole {
    /// A workload's client span or an instance's serve span that owns calls, by owner key.
    Visit = 1,
    /// A sidecar's call, by call key.
    Call = 2,
    /// A sidecar's try (or a broker's delivery), by the call key its request carries.
    Attempt = 3,
    /// A serve span by who sent the request and its call key (stores, refusals).
    Serve = 4,
    /// A queue span, keyed as its serve.
    Queue = 5,
    /// A work span, keyed as its serve.
    Work = 6,
    /// A call the sidecar answered before it existed (an open breaker), by a count.
    Refused = 7,
}

/// A span's id: a hash of its trace, its node, its role and two keys. Unique within a trace as
/// long as the keys are (a 64-bit hash: a collision among a trace's few hundred spans has odds
/// under 1e-14); never 0, which OTLP reads as no id.
pub fn span_id(trace: (ClientId, u64), node: NodeId, role: SpanRole, keys: (u64, u64)) -> u64 {
    let mut hash = mix(u64::from(trace.0.0) << 8 | role as u64);
    for word in [trace.1, u64::from(node.0), keys.0, keys.1] {
        hash = mix(hash ^ word);
    }
    hash.max(1)
}

/// The finaliser of `SplitMix64` (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): every input bit moves about half the output bits.
fn mix(word: u64) -> u64 {
    let mut z = word.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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
    /// A broker's delivery of a message to a consumer: no length, it links the consumer's
    /// span to the publish. The Chrome trace leaves it out.
    Deliver,
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
            SpanKind::Deliver => "deliver",
        }
    }

    /// How deep a span of this kind sits in one request's spans at one node: a client or
    /// serve span holds the rest (0); its queue, work and calls lie one after another within
    /// it (1); a call's tries within the call (2). The trace export rebuilds the tree by it.
    pub fn depth(self) -> u8 {
        match self {
            SpanKind::Client | SpanKind::Serve | SpanKind::Deliver => 0,
            SpanKind::Queue | SpanKind::Work | SpanKind::Call => 1,
            SpanKind::Attempt => 2,
        }
    }
}
