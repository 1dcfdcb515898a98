//! The service instance's timers, and their place in the kernel's timer ids.

use meshsim_sim::TimerId;

use crate::sidecar::SidecarTimer;
use crate::slab::SlabKey;
use crate::timer::{TimerCode, compose, compose_slab, kind, split};

/// What a service instance waits for, its sidecar's timers included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceTimer {
    /// A worker finished this job's own work.
    Work(SlabKey),
    /// The instance's start time has passed: it may be ready now.
    Startup,
    /// This job's saga tries its failed compensation again.
    SagaRetry(SlabKey),
    /// The application's own timeout of this job's call ran out.
    AppTimeout(SlabKey),
    /// The application's back-off before this job's next try ran out.
    AppBackoff(SlabKey),
    /// A draining instance's grace period is over.
    Terminate,
    /// One of the instance's sidecar's timers.
    Sidecar(SidecarTimer),
    /// The earliest own work among the jobs sharing the cores ends, if this arming is still
    /// the live one (payload: the arming's generation).
    CpuShare(u64),
    /// An event-loop process finished the own work it was running (payload: the process).
    LoopWork(u32),
}

impl TimerCode for ServiceTimer {
    fn encode(self) -> TimerId {
        match self {
            ServiceTimer::Work(key) => compose_slab(kind::WORK, key),
            ServiceTimer::Startup => compose(kind::STARTUP, 0),
            ServiceTimer::SagaRetry(key) => compose_slab(kind::SAGA_RETRY, key),
            ServiceTimer::AppTimeout(key) => compose_slab(kind::APP_TIMEOUT, key),
            ServiceTimer::AppBackoff(key) => compose_slab(kind::APP_BACKOFF, key),
            ServiceTimer::Terminate => compose(kind::TERMINATE, 0),
            ServiceTimer::Sidecar(timer) => timer.encode(),
            ServiceTimer::CpuShare(generation) => compose(kind::CPU_SHARE, generation),
            ServiceTimer::LoopWork(process) => compose(kind::LOOP_WORK, u64::from(process)),
        }
    }

    fn decode(id: TimerId) -> Option<Self> {
        Some(match split(id) {
            (kind::WORK, key) => ServiceTimer::Work(SlabKey(key)),
            (kind::STARTUP, 0) => ServiceTimer::Startup,
            (kind::TERMINATE, 0) => ServiceTimer::Terminate,
            (kind::SAGA_RETRY, key) => ServiceTimer::SagaRetry(SlabKey(key)),
            (kind::APP_TIMEOUT, key) => ServiceTimer::AppTimeout(SlabKey(key)),
            (kind::APP_BACKOFF, key) => ServiceTimer::AppBackoff(SlabKey(key)),
            (kind::CPU_SHARE, generation) => ServiceTimer::CpuShare(generation),
            (kind::LOOP_WORK, process) => ServiceTimer::LoopWork(u32::try_from(process).ok()?),
            _ => ServiceTimer::Sidecar(SidecarTimer::decode(id)?),
        })
    }
}
