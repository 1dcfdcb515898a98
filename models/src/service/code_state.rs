//! What an instance whose work is code and the code hand each other, and what the instance
//! keeps for it (`code.rs` does the work).

use std::collections::{BTreeMap, VecDeque};

use meshsim_record::Reason;

use crate::message::{CallKey, RequestContext};
use crate::slab::SlabKey;

/// What an instance hands the code beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToCode {
    /// Serve this request: the instance's key for it (the code's answer names it), the
    /// endpoint's index in the service, and what the request carries from the workload.
    Serve {
        request: u64,
        endpoint: u32,
        context: RequestContext,
    },
    /// The code's call `call` ended with this answer (the mesh's own, when the mesh gave it).
    Answered {
        call: u64,
        status: u16,
        reason: Reason,
    },
}

/// What the code hands the instance in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromCode {
    /// The code answered request `request` with `status`.
    Answer { request: u64, status: u16 },
    /// The code calls `endpoint` of the sidecar's upstream `upstream`: `call` is the code's
    /// key for it, `request` the request it serves when it calls (its trace, its span's
    /// parent), if it said.
    Call {
        call: u64,
        request: Option<u64>,
        upstream: u16,
        endpoint: u32,
        context: RequestContext,
    },
}

/// What an instance running code keeps besides a model's state.
#[derive(Debug, Default)]
pub(super) struct CodeState {
    /// What the code has not been handed yet.
    pub(super) to_code: VecDeque<ToCode>,
    /// The code's calls in the sidecar: the sidecar's key to the code's key and its job's.
    pub(super) calls: BTreeMap<CallKey, (u64, SlabKey)>,
    /// Per job, the reason the first of its calls failed with: a failure the code answers
    /// then began there, as a model's failure carries the reason it began with.
    pub(super) first_failures: BTreeMap<SlabKey, Reason>,
}
