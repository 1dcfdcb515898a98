//! The ids a run's records name besides the kernel's nodes and groups: a workload's client, a
//! service's version, and a request's trace id.

use meshsim_sim::GroupId;

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

impl VersionKey {
    pub fn new(group: GroupId, version: u32) -> Self {
        VersionKey { group, version }
    }
}
