//! The store's timers, and their place in the kernel's timer ids.

use meshsim_sim::TimerId;

use crate::slab::SlabKey;
use crate::timer::{TimerCode, compose_slab, kind, split};

/// What a store waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreTimer {
    /// A worker finished the operation of this job.
    Work(SlabKey),
}

impl TimerCode for StoreTimer {
    fn encode(self) -> TimerId {
        match self {
            StoreTimer::Work(key) => compose_slab(kind::STORE_WORK, key),
        }
    }

    fn decode(id: TimerId) -> Option<Self> {
        match split(id) {
            (kind::STORE_WORK, key) => Some(StoreTimer::Work(SlabKey(key))),
            _ => None,
        }
    }
}
