//! The workload client's timers, and their place in the kernel's timer ids.

use meshsim_sim::TimerId;

use crate::sidecar::SidecarTimer;
use crate::timer::{TimerCode, compose, kind, split};

/// What a workload client waits for, its sidecar's timers included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkloadTimer {
    /// The next arrival's time came.
    Arrival(Arrival),
    /// The earliest of the client's own request timeouts came.
    ClientTimeout,
    /// A closed-loop user finished thinking.
    Think(UserIndex),
    /// One of the client's sidecar's timers.
    Sidecar(SidecarTimer),
}

/// What an arrival's timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Sends a request, then draws the next arrival.
    Send,
    /// Only draws the next arrival: a rate step's boundary came before the drawn one.
    Reconsider,
}

/// A closed-loop user's place among its workload's users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserIndex(pub(crate) u32);

/// The payloads of the two arrivals.
const ARRIVAL_SEND: u64 = 1;
const ARRIVAL_RECONSIDER: u64 = 0;

impl TimerCode for WorkloadTimer {
    fn encode(self) -> TimerId {
        match self {
            WorkloadTimer::Arrival(Arrival::Send) => compose(kind::ARRIVAL, ARRIVAL_SEND),
            WorkloadTimer::Arrival(Arrival::Reconsider) => {
                compose(kind::ARRIVAL, ARRIVAL_RECONSIDER)
            }
            WorkloadTimer::ClientTimeout => compose(kind::CLIENT_TIMEOUT, 0),
            WorkloadTimer::Think(user) => compose(kind::THINK, u64::from(user.0)),
            WorkloadTimer::Sidecar(timer) => timer.encode(),
        }
    }

    fn decode(id: TimerId) -> Option<Self> {
        Some(match split(id) {
            (kind::ARRIVAL, ARRIVAL_SEND) => WorkloadTimer::Arrival(Arrival::Send),
            (kind::ARRIVAL, ARRIVAL_RECONSIDER) => WorkloadTimer::Arrival(Arrival::Reconsider),
            (kind::CLIENT_TIMEOUT, 0) => WorkloadTimer::ClientTimeout,
            (kind::THINK, user) => WorkloadTimer::Think(UserIndex(u32::try_from(user).ok()?)),
            _ => WorkloadTimer::Sidecar(SidecarTimer::decode(id)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Arrival, UserIndex, WorkloadTimer};
    use crate::sidecar::SidecarTimer;
    use crate::timer::testing::assert_codec;
    use crate::upstream::UpstreamIndex;

    #[test]
    fn every_workload_timer_round_trips_to_its_old_id() {
        assert_codec(&[
            (WorkloadTimer::Arrival(Arrival::Send), 3 << 56 | 1),
            (WorkloadTimer::Arrival(Arrival::Reconsider), 3 << 56),
            (WorkloadTimer::ClientTimeout, 4 << 56),
            (WorkloadTimer::Think(UserIndex(9)), 5 << 56 | 9),
            (
                WorkloadTimer::Sidecar(SidecarTimer::TryTimeout(UpstreamIndex(0), 0)),
                6 << 56,
            ),
        ]);
    }
}
