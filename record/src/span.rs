//! One stretch of a sampled request's life at one node, for the trace export.

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
