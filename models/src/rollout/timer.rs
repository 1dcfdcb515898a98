//! The rollout controller's timers, and their place in the kernel's timer ids.

use meshsim_sim::TimerId;

use crate::timer::{TimerCode, compose, kind, split};

/// What a rollout controller waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RolloutTimer {
    /// The analysis interval numbered so came.
    Tick(u64),
    /// The scrape read by the analysis interval numbered so is due.
    Scrape(u64),
    /// A rolling update's new instance in `slot` finished the start numbered `generation`; a
    /// start undone in between has moved the generation on, so its timer is ignored.
    Ready { slot: u32, generation: u32 },
}

/// The bits of a ready timer's payload below its generation: the slot.
const SLOT_BITS: u32 = 24;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

impl TimerCode for RolloutTimer {
    fn encode(self) -> TimerId {
        match self {
            RolloutTimer::Tick(tick) => compose(kind::ROLLOUT_TICK, tick),
            RolloutTimer::Scrape(tick) => compose(kind::ROLLOUT_SCRAPE, tick),
            RolloutTimer::Ready { slot, generation } => {
                assert!(u64::from(slot) <= SLOT_MASK, "fewer than 2^24 instances");
                let payload = u64::from(generation) << SLOT_BITS | u64::from(slot);
                compose(kind::ROLLOUT_READY, payload)
            }
        }
    }

    fn decode(id: TimerId) -> Option<Self> {
        Some(match split(id) {
            (kind::ROLLOUT_TICK, tick) => RolloutTimer::Tick(tick),
            (kind::ROLLOUT_SCRAPE, tick) => RolloutTimer::Scrape(tick),
            (kind::ROLLOUT_READY, payload) => RolloutTimer::Ready {
                slot: (payload & SLOT_MASK) as u32,
                generation: u32::try_from(payload >> SLOT_BITS).ok()?,
            },
            _ => return None,
        })
    }
}
