//! Deadlines that all lie the same span after their start: a FIFO behind one engine timer.
//!
//! A workload's timeout, or a route timeout, is the same for every request it covers, so its
//! deadlines come in the order the requests were sent. Rather than queue one engine timer per
//! request (60,000 pending timers at 2,000 requests a second with a 30 s timeout, each making
//! every pop of the event queue dearer), the model keeps the deadlines here and arms a single
//! timer for the earliest one still open. Requests that end before their deadline are skipped
//! when they reach the front; they are never searched for.

use std::collections::VecDeque;

use meshsim_sim::{SimTime, TimerId};

use crate::outbox::Outbox;
use crate::slab::SlabKey;

#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    entries: VecDeque<(SimTime, SlabKey)>,
    /// The engine timer currently set, if any. It is never later than the front entry.
    armed: Option<SimTime>,
}

impl Deadlines {
    /// Adds a deadline; deadlines must come in order, which a fixed timeout guarantees.
    pub(crate) fn push<M>(
        &mut self,
        at: SimTime,
        key: SlabKey,
        timer: TimerId,
        out: &mut Outbox<M>,
    ) {
        if let Some(&(last, _)) = self.entries.back() {
            assert!(last <= at, "deadlines of one timeout come in order");
        }
        self.entries.push_back((at, key));
        if self.armed.is_none() {
            self.armed = Some(at);
            out.set_timer(at, timer);
        }
    }

    /// The timer fired at `now`: returns the keys whose deadline has come and that are still
    /// open (`is_open`), and arms the timer again for the earliest open deadline left.
    pub(crate) fn expire<M>(
        &mut self,
        now: SimTime,
        is_open: impl Fn(SlabKey) -> bool,
        timer: TimerId,
        out: &mut Outbox<M>,
    ) -> Vec<SlabKey> {
        self.armed = None;
        let mut due = Vec::new();
        while let Some(&(at, key)) = self.entries.front() {
            if at > now && is_open(key) {
                self.armed = Some(at);
                out.set_timer(at, timer);
                break;
            }
            self.entries.pop_front();
            if at <= now && is_open(key) {
                due.push(key);
            }
        }
        due
    }

    /// Forgets every deadline (the process crashed); a timer already set will find none.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.armed = None;
    }
}
