//! One call through the sidecar and each of its tries: where it stands and how a try ended.

use meshsim_record::{RetryStop, SpanEvent};
use meshsim_sim::SimTime;
use smallvec::SmallVec;

use crate::message::{RequestContext, Response};
use crate::policy::breaker::Admission;
use crate::slab::SlabKey;

/// Room for this many calls (and tries) at once before a calling sidecar's slabs grow: made
/// with the sidecar, their blocks lie beside its others (`Slab::with_capacity`).
pub(super) const CALLS_AT_START: usize = 4;

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Held by an injected delay.
    Delayed,
    /// Linkerd: waiting in the balancer's queue for an endpoint.
    Queued,
    /// Waiting for a connection to this instance.
    Pending(u32),
    /// A try is on the wire.
    InFlight(SlabKey),
    /// Waiting out the back-off before a retry.
    BackingOff,
    /// Holding nothing, between a queue and the pool.
    Between,
}

pub(super) struct Call {
    pub(super) owner: SlabKey,
    pub(super) upstream: u16,
    /// The cluster the route chose: 0 for the whole service, `1 + v` for version `v`.
    pub(super) cluster: u16,
    pub(super) endpoint: u32,
    /// The policy of the route the call took: 0 the service's, `n` the `n`th route policy.
    pub(super) policy: u16,
    pub(super) context: RequestContext,
    pub(super) started_at: SimTime,
    pub(super) retries: u32,
    /// Whether the call holds one of the cluster's retry places: Envoy takes it when it decides
    /// to retry and gives it back when the retried try ends, so a retry counts against the
    /// limit through its back-off and its try.
    pub(super) holds_retry: bool,
    /// Instances tried so far, for Envoy's `previous_hosts` predicate: inline for the first
    /// four, so a call allocates nothing for its first try.
    pub(super) tried: SmallVec<[u32; 4]>,
    pub(super) phase: Phase,
    pub(super) admission: Option<Admission>,
    /// What the mesh decided on the call, for its span; sampled calls only.
    pub(super) events: Vec<SpanEvent>,
    /// Fault injection delayed it, and why the retry policy stopped retrying it: Envoy's `DI`,
    /// `URX` and `UO` flags in the call's telemetry.
    pub(super) delayed: bool,
    pub(super) retry_stop: RetryStop,
}

pub(super) struct Attempt {
    pub(super) call: SlabKey,
    pub(super) instance: u32,
    pub(super) started_at: SimTime,
}

/// How one try ended.
#[derive(Debug, Clone, Copy)]
pub(super) enum TryResult {
    /// An answer from the instance.
    Answered(Response),
    /// The connection was refused: the process was gone.
    Refused,
    /// The connection was reset before the answer: the process crashed while holding it.
    Reset,
    /// The per-try timeout ran out.
    TimedOut,
    /// Linkerd's balancer found no endpoint within its failfast timeout: no try went out.
    FailFast,
}

/// A finished call handed back to the model that made it.
#[derive(Debug, Clone, Copy)]
pub struct Completion {
    /// The owner's key for the call, as it gave it to [`Sidecar::call`](super::Sidecar::call).
    pub owner: SlabKey,
    pub response: Response,
}
