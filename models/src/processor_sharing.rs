//! `cores = N`: the own work of an instance's concurrent requests shares N cores by processor
//! sharing. With k jobs in their own work, each progresses at rate min(1, N/k): the egalitarian
//! processor sharing of queueing theory (Kleinrock, "Queueing Systems, Volume 2", 1976, §4.4),
//! which the Linux CFS scheduler approximates for runnable threads of equal weight.
//!
//! Every job in work progresses at the same rate, so one virtual clock V serves them all:
//! dV/dt = min(1, N/k). A job entering with work w at V₀ finishes when V reaches V₀ + w, so the
//! jobs wait in a min-heap of their finish virtual times and only the earliest needs a timer.
//! That timer is re-armed whenever k changes (a job enters or finishes); each arming bumps a
//! generation, carried in the timer, so an earlier arming's timer finds nothing to do.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use meshsim_sim::SimTime;

use crate::slab::SlabKey;

/// The one timer the owner keeps armed: at `at`, hand `generation` back to
/// [`ProcessorSharing::on_timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arming {
    pub(crate) at: SimTime,
    pub(crate) generation: u64,
}

/// N cores shared by the jobs in their own work.
pub(crate) struct ProcessorSharing {
    cores: f64,
    /// V, in nanoseconds of work done by each job in work since the cores were last idle.
    virtual_ns: f64,
    /// When V was last brought up to date.
    updated_at: SimTime,
    /// The jobs in work by finish virtual time, then key (a tie broken the same way every
    /// run). The finish is non-negative, so its bits order as the number does.
    jobs: BinaryHeap<Reverse<(u64, SlabKey)>>,
    /// The arming the live timer carries; earlier timers are stale.
    generation: u64,
}

impl ProcessorSharing {
    /// `cores` is positive and finite: the checker bounds it.
    pub(crate) fn new(cores: f64) -> ProcessorSharing {
        assert!(
            cores.is_finite() && cores > 0.0,
            "cores must be positive, not {cores}"
        );
        ProcessorSharing {
            cores,
            virtual_ns: 0.0,
            updated_at: SimTime::ZERO,
            jobs: BinaryHeap::new(),
            generation: 0,
        }
    }

    /// Jobs in their own work now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    /// The rate every job in work progresses at, in work per unit of time.
    fn rate(&self) -> f64 {
        let jobs = self.jobs.len() as f64;
        if jobs <= self.cores {
            1.0
        } else {
            self.cores / jobs
        }
    }

    /// Brings V up to `now` at the rate of the jobs in work since the last change.
    fn advance(&mut self, now: SimTime) {
        if self.jobs.is_empty() {
            // Idle cores: V starts again from zero, which keeps its precision in long runs.
            self.virtual_ns = 0.0;
        } else {
            self.virtual_ns += (now - self.updated_at) as f64 * self.rate();
        }
        self.updated_at = now;
    }

    /// A job with `work_ns` of own work starts at `now`. Returns the timer to arm, for the
    /// earliest finish among the jobs in work (maybe this one).
    pub(crate) fn enter(&mut self, now: SimTime, key: SlabKey, work_ns: u64) -> Arming {
        self.advance(now);
        let finish = self.virtual_ns + work_ns as f64;
        self.jobs.push(Reverse((finish.to_bits(), key)));
        self.arm(now)
    }

    /// The timer of `generation` came at `now`. Returns the jobs whose work is done, earliest
    /// first, and the timer to arm for the rest (if any). A stale timer finishes nothing.
    pub(crate) fn on_timer(
        &mut self,
        now: SimTime,
        generation: u64,
    ) -> (Vec<SlabKey>, Option<Arming>) {
        if generation != self.generation {
            return (Vec::new(), None);
        }
        self.advance(now);
        let mut done = Vec::new();
        // The armed job is done: its timer was rounded up to the next nanosecond, so V has
        // reached its finish up to rounding, and V is set to it exactly.
        if let Some(Reverse((finish, key))) = self.jobs.pop() {
            self.virtual_ns = self.virtual_ns.max(f64::from_bits(finish));
            done.push(key);
        }
        // Jobs that finish at the same virtual time end together.
        while let Some(&Reverse((finish, key))) = self.jobs.peek() {
            if f64::from_bits(finish) > self.virtual_ns {
                break;
            }
            self.jobs.pop();
            done.push(key);
        }
        let arming = (!self.jobs.is_empty()).then(|| self.arm(now));
        (done, arming)
    }

    /// The earliest finish's timer, at the rate of the jobs now in work, rounded up to the
    /// next nanosecond so that V has reached it when the timer comes.
    fn arm(&mut self, now: SimTime) -> Arming {
        let Some(&Reverse((finish, _))) = self.jobs.peek() else {
            unreachable!("a timer is armed only for a job in work")
        };
        let left_ns = (f64::from_bits(finish) - self.virtual_ns).max(0.0) / self.rate();
        self.generation += 1;
        Arming {
            at: now.plus_nanos(left_ns.ceil() as u64),
            generation: self.generation,
        }
    }

    /// The process died: its jobs are gone, and any timer armed for them is stale.
    pub(crate) fn clear(&mut self) {
        self.jobs.clear();
        self.virtual_ns = 0.0;
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests;
