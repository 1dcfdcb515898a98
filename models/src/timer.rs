//! Timer ids: a kind in the top byte, a payload (usually a slab key) below it.

use meshsim_sim::TimerId;

use crate::slab::SlabKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TimerKind {
    /// A worker finished an endpoint's own work.
    Work = 1,
    /// A sidecar's route timeout for one call.
    CallTimeout = 2,
    /// A workload's next arrival.
    Arrival = 3,
    /// A workload client's own timeout for one request.
    ClientTimeout = 4,
    /// A closed-loop user finished thinking.
    Think = 5,
    /// A sidecar's per-try timeout (payload: the upstream).
    TryTimeout = 6,
    /// A sidecar's circuit-breaker timeout (payload: the upstream).
    BreakerTimeout = 7,
    /// A retry's back-off ran out (payload: the call).
    Backoff = 8,
    /// An injected delay ran out (payload: the call).
    FaultDelay = 9,
    /// Outlier detection's interval (payload: the upstream).
    OutlierInterval = 10,
    /// An open circuit breaker's reset timeout ran out (payload: the upstream): it is half
    /// open now, logged when it happens rather than at the next call.
    BreakerReset = 11,
    /// A broker's earliest acknowledgement deadline came.
    BrokerAck = 12,
    /// A store finished an operation (payload: the operation's slab key).
    StoreWork = 13,
    /// A saga's failed compensation is tried again (payload: the job).
    SagaRetry = 14,
    /// A broker's earliest delayed redelivery is due.
    BrokerRedeliver = 15,
    /// A rollout controller's analysis interval came (payload: the tick's number).
    RolloutTick = 16,
    /// A rollout controller scrapes the instances it watches (payload: the scrape's number).
    RolloutScrape = 17,
    /// A rolling update's new instance finished starting (payload: the instance and the
    /// generation of its start, so a start undone in between is ignored).
    RolloutReady = 18,
    /// An instance's start time has passed: it may be ready now.
    Startup = 19,
    /// A failure-accrual penalty ran out (payload: the upstream, the cluster and the host):
    /// the endpoint takes one probe.
    AccrualPenalty = 20,
    /// Linkerd's balancer waited its failfast timeout for an endpoint (payload: the upstream
    /// and the cluster).
    FailFast = 21,
}

const PAYLOAD_BITS: u32 = 56;
const PAYLOAD_MASK: u64 = (1 << PAYLOAD_BITS) - 1;

pub fn timer(kind: TimerKind, payload: u64) -> TimerId {
    assert!(payload <= PAYLOAD_MASK, "timer payload {payload} too large");
    TimerId((kind as u64) << PAYLOAD_BITS | payload)
}

pub fn slab_timer(kind: TimerKind, key: SlabKey) -> TimerId {
    // Slab generations are 24 bits above a 32-bit index: 56 bits in all.
    timer(kind, key.0)
}

pub fn decode(id: TimerId) -> (Option<TimerKind>, u64) {
    let kind = match id.0 >> PAYLOAD_BITS {
        1 => Some(TimerKind::Work),
        2 => Some(TimerKind::CallTimeout),
        3 => Some(TimerKind::Arrival),
        4 => Some(TimerKind::ClientTimeout),
        5 => Some(TimerKind::Think),
        6 => Some(TimerKind::TryTimeout),
        7 => Some(TimerKind::BreakerTimeout),
        8 => Some(TimerKind::Backoff),
        9 => Some(TimerKind::FaultDelay),
        10 => Some(TimerKind::OutlierInterval),
        11 => Some(TimerKind::BreakerReset),
        12 => Some(TimerKind::BrokerAck),
        13 => Some(TimerKind::StoreWork),
        14 => Some(TimerKind::SagaRetry),
        15 => Some(TimerKind::BrokerRedeliver),
        16 => Some(TimerKind::RolloutTick),
        17 => Some(TimerKind::RolloutScrape),
        18 => Some(TimerKind::RolloutReady),
        19 => Some(TimerKind::Startup),
        20 => Some(TimerKind::AccrualPenalty),
        21 => Some(TimerKind::FailFast),
        _ => None,
    };
    (kind, id.0 & PAYLOAD_MASK)
}
