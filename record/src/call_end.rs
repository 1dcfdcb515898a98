//! A call's end as the caller's proxy sees it: who called, who answered, the status, how long
//! it took and what the proxy did. The mesh's telemetry (Istio's standard metrics) is made of
//! these; the trace digest leaves them out, so a run's digest does not depend on them.

use meshsim_sim::{GroupId, NodeId};

use crate::reason::ReasonKind;

/// Why the caller's proxy stopped retrying a call whose last try it would have retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum RetryStop {
    /// It did not stop a retry: the answer was not one it retries, or it was retried.
    #[default]
    None,
    /// Every try the policy allows was spent (Envoy's `URX`).
    LimitExceeded,
    /// The cluster's retry limit or budget denied the retry (Envoy's `UO` with
    /// `upstream_rq_retry_overflow`).
    Overflow,
}

/// One call through a caller's sidecar, ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallEnd {
    /// The node whose sidecar made the call.
    pub caller: NodeId,
    /// The service called.
    pub callee: GroupId,
    /// The instance that held the last try, if a try went out.
    pub peer: Option<NodeId>,
    /// From the call reaching the sidecar to its end: injected delay, tries and back-offs.
    pub duration_ns: u64,
    /// The status the proxy saw (before any application fallback); 0 when the caller gave up
    /// and cancelled it.
    pub status: u16,
    pub reason: ReasonKind,
    pub retry_stop: RetryStop,
    /// Fault injection delayed it.
    pub delayed: bool,
}
