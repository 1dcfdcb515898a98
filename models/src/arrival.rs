//! A request as it reached the node that serves it: who sent it, and when. What a service
//! instance's and a store's worker pool queue, so both answer the sender and measure the wait
//! the same way.

use meshsim_sim::{NodeId, SimTime};

use crate::message::Request;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    /// Who the answer goes back to.
    pub(crate) from: NodeId,
    pub(crate) request: Request,
    /// When it reached the node: its time in the queue and its served latency start here.
    pub(crate) arrived_at: SimTime,
}
