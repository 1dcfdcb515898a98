//! What travels between nodes: requests and their answers.

use meshsim_sim::Reason;

/// What a request carries from the workload through every hop it causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestContext {
    /// The workload request this call belongs to (its trace).
    pub root: u64,
    /// The workload's client index, with `root` a unique trace id.
    pub client: u32,
    /// The header values the workload drew, interned per workload (0: none).
    pub headers: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The caller's sidecar's key for this call; the answer carries it back.
    pub call: u64,
    /// The endpoint's index within the callee service.
    pub endpoint: u32,
    pub context: RequestContext,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    pub call: u64,
    pub status: u16,
    /// What the failure began with, carried up the chain; `Reason::OK` on success.
    pub reason: Reason,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..400).contains(&self.status)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}
