//! The codec between a model's typed timers and the kernel's `TimerId(u64)`.
//!
//! Each owner (the sidecar, the service instance, the workload client, the store, the broker,
//! the rollout controller) has a timer enum of its own and matches only that. The kernel keeps a
//! bare `u64` so the event queue's entries stay small; a timer is encoded as a kind byte in the
//! top 8 bits and a payload (a slab key, an upstream index, ...) in the 56 below it.
//!
//! The kind bytes are listed here, in one table, so that two owners never share one even when
//! one nests another's timers (a service instance holds a sidecar). They are the values timers
//! had when one enum served every model: changing one would change the events' order at equal
//! times, hence every digest.

use meshsim_sim::TimerId;

use crate::slab::SlabKey;

/// A typed timer that travels through the kernel as a `TimerId`.
pub(crate) trait TimerCode: Sized {
    /// The kernel's id for this timer.
    fn encode(self) -> TimerId;
    /// The timer an id stands for; `None` when the id is not one of this owner's.
    fn decode(id: TimerId) -> Option<Self>;
}

/// The kind bytes, one per timer variant of every owner.
pub(crate) mod kind {
    /// A service instance's worker finished an endpoint's own work (payload: the job).
    pub(crate) const WORK: u8 = 1;
    /// A sidecar's route timeout (payload: the upstream).
    pub(crate) const CALL_TIMEOUT: u8 = 2;
    /// A workload's next arrival (payload: send, or reconsider at a rate step).
    pub(crate) const ARRIVAL: u8 = 3;
    /// A workload client's own timeout for its requests.
    pub(crate) const CLIENT_TIMEOUT: u8 = 4;
    /// A closed-loop user finished thinking (payload: the user).
    pub(crate) const THINK: u8 = 5;
    /// A sidecar's per-try timeout (payload: the upstream).
    pub(crate) const TRY_TIMEOUT: u8 = 6;
    /// A sidecar's application circuit-breaker timeout (payload: the upstream).
    pub(crate) const BREAKER_TIMEOUT: u8 = 7;
    /// A retry's back-off ran out (payload: the call).
    pub(crate) const BACKOFF: u8 = 8;
    /// An injected delay ran out (payload: the call).
    pub(crate) const FAULT_DELAY: u8 = 9;
    /// Outlier detection's interval (payload: the upstream and the cluster).
    pub(crate) const OUTLIER_INTERVAL: u8 = 10;
    /// An open circuit breaker's reset timeout ran out (payload: the upstream).
    pub(crate) const BREAKER_RESET: u8 = 11;
    /// A broker's earliest acknowledgement deadline came.
    pub(crate) const BROKER_ACK: u8 = 12;
    /// A store finished an operation (payload: the operation).
    pub(crate) const STORE_WORK: u8 = 13;
    /// A saga's failed compensation is tried again (payload: the job).
    pub(crate) const SAGA_RETRY: u8 = 14;
    /// A broker's earliest delayed redelivery is due.
    pub(crate) const BROKER_REDELIVER: u8 = 15;
    /// A rollout controller's analysis interval came (payload: the tick).
    pub(crate) const ROLLOUT_TICK: u8 = 16;
    /// A rollout controller scrapes the instances it watches (payload: the tick).
    pub(crate) const ROLLOUT_SCRAPE: u8 = 17;
    /// A rolling update's new instance finished starting (payload: the slot and generation).
    pub(crate) const ROLLOUT_READY: u8 = 18;
    /// An instance's start time has passed: it may be ready now.
    pub(crate) const STARTUP: u8 = 19;
    /// A failure-accrual penalty ran out (payload: the upstream, the cluster and the host).
    pub(crate) const ACCRUAL_PENALTY: u8 = 20;
    /// Linkerd's balancer waited its failfast timeout (payload: the upstream and the cluster).
    pub(crate) const FAIL_FAST: u8 = 21;
    /// A service's application's own timeout on a call's try (payload: the job).
    pub(crate) const APP_TIMEOUT: u8 = 22;
    /// A service's application's back-off before its next try of a call (payload: the job).
    pub(crate) const APP_BACKOFF: u8 = 23;
    /// A service's shared cores reach the earliest end of own work (payload: the arming).
    pub(crate) const CPU_SHARE: u8 = 24;
    /// A service's event-loop process finished its running own work (payload: the process).
    pub(crate) const LOOP_WORK: u8 = 25;
    /// A draining instance's termination grace period ran out.
    pub(crate) const TERMINATE: u8 = 26;
    /// An autoscaler's sync (payload: the sync's number).
    pub(crate) const AUTOSCALE_SYNC: u8 = 27;
    /// An autoscaler samples the instances it scales (payload: the sync that reads them).
    pub(crate) const AUTOSCALE_SAMPLE: u8 = 28;
}

const PAYLOAD_BITS: u32 = 56;
const PAYLOAD_MASK: u64 = (1 << PAYLOAD_BITS) - 1;

/// The id of a timer of kind `kind` with `payload` below it.
pub(crate) fn compose(kind: u8, payload: u64) -> TimerId {
    assert!(payload <= PAYLOAD_MASK, "timer payload {payload} too large");
    TimerId(u64::from(kind) << PAYLOAD_BITS | payload)
}

/// The id of a timer whose payload is a slab key.
pub(crate) fn compose_slab(kind: u8, key: SlabKey) -> TimerId {
    // Slab generations are 24 bits above a 32-bit index: 56 bits in all.
    compose(kind, key.0)
}

/// An id's kind byte and payload.
pub(crate) fn split(id: TimerId) -> (u8, u64) {
    ((id.0 >> PAYLOAD_BITS) as u8, id.0 & PAYLOAD_MASK)
}

/// Decodes a timer the kernel handed back to the owner that set it. An id that is not the
/// owner's is a bug in the model (a timer set by one owner reached another), never input.
pub(crate) fn expect_own<T: TimerCode>(id: TimerId, owner: &str) -> T {
    T::decode(id).unwrap_or_else(|| {
        unreachable!(
            "{owner} got timer {:#x}, which it never sets: timers go back to who set them",
            id.0
        )
    })
}

#[cfg(test)]
pub(crate) mod testing {
    //! What every owner's codec test checks.

    use meshsim_sim::TimerId;

    use super::TimerCode;

    /// Every timer in `cases` encodes to its expected id and decodes back to itself.
    pub(crate) fn assert_codec<T: TimerCode + Copy + PartialEq + std::fmt::Debug>(
        cases: &[(T, u64)],
    ) {
        for &(timer, id) in cases {
            assert_eq!(timer.encode(), TimerId(id), "{timer:?} encodes as before");
            assert_eq!(T::decode(TimerId(id)), Some(timer), "{id:#x} decodes back");
        }
    }
}
