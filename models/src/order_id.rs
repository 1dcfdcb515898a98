//! Which order a store operation concerns. Its own file so the key-value state and the store
//! both name it without importing each other.

use meshsim_record::ClientId;

use crate::message::RequestContext;

/// The order an operation concerns: the trace of the workload request that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId {
    pub client: ClientId,
    /// The workload request's id within its client (`RequestContext::root`).
    pub root: u64,
}

impl OrderId {
    pub fn of(context: &RequestContext) -> OrderId {
        OrderId {
            client: ClientId(context.client),
            root: context.root,
        }
    }
}
