//! The autoscaler's timers, and their place in the kernel's timer ids.

use meshsim_sim::TimerId;

use crate::timer::{TimerCode, compose, kind, split};

/// What an autoscaler waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AutoscalerTimer {
    /// The sync numbered so came.
    Sync(u64),
    /// The samples read by the sync numbered so are due.
    Sample(u64),
}

impl TimerCode for AutoscalerTimer {
    fn encode(self) -> TimerId {
        match self {
            AutoscalerTimer::Sync(sync) => compose(kind::AUTOSCALE_SYNC, sync),
            AutoscalerTimer::Sample(sync) => compose(kind::AUTOSCALE_SAMPLE, sync),
        }
    }

    fn decode(id: TimerId) -> Option<Self> {
        Some(match split(id) {
            (kind::AUTOSCALE_SYNC, sync) => AutoscalerTimer::Sync(sync),
            (kind::AUTOSCALE_SAMPLE, sync) => AutoscalerTimer::Sample(sync),
            _ => return None,
        })
    }
}
