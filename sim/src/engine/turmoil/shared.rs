//! What the driver and every host share: the network, the hosts' addresses and inboxes, the
//! records of the current step and the counts.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::IpAddr;

use tokio::sync::Notify;

use crate::model::NodeId;
use crate::network::{Network, NetworkCounts};
use crate::time::SimTime;

/// What the driver tells a host between ticks.
#[derive(Debug, Clone, Copy)]
pub(super) enum HostControl {
    Crash,
    Restart,
    Pause,
    Resume,
    Membership { node: NodeId, up: bool },
    Finish,
}

pub(super) struct Inbox {
    pub(super) queue: RefCell<VecDeque<HostControl>>,
    pub(super) notify: Notify,
}

/// What every host and the driver share. turmoil runs every host on this one thread, in a
/// fixed order, so sharing through `RefCell` is deterministic.
pub(super) struct Shared<R> {
    pub(super) network: RefCell<Network>,
    pub(super) addresses: RefCell<Vec<IpAddr>>,
    pub(super) inboxes: Vec<Inbox>,
    /// Records of the current step, with the host order as a tie-breaker.
    pub(super) records: RefCell<Vec<(SimTime, u64, R)>>,
    pub(super) record_sequence: Cell<u64>,
    pub(super) counts: Cell<NetworkCounts>,
    pub(super) events: Cell<u64>,
    pub(super) end: SimTime,
    /// Hosts whose socket is bound; no model starts before every host's is, so nothing sent at
    /// time zero (a readiness notice) reaches a host that cannot receive it yet.
    pub(super) bound: Cell<usize>,
    pub(super) all_bound: Notify,
}

impl<R> Shared<R> {
    /// Counts this host's socket as bound, then waits until every host's is.
    pub(super) async fn bound_and_wait(&self) {
        self.bound.set(self.bound.get() + 1);
        self.all_bound.notify_waiters();
        while self.bound.get() < self.inboxes.len() {
            self.all_bound.notified().await;
        }
    }

    pub(super) fn push_record(&self, time: SimTime, record: R) {
        let sequence = self.record_sequence.get();
        self.record_sequence.set(sequence + 1);
        self.records.borrow_mut().push((time, sequence, record));
    }

    pub(super) fn count(&self, change: impl FnOnce(&mut NetworkCounts)) {
        let mut counts = self.counts.get();
        change(&mut counts);
        self.counts.set(counts);
    }
}
