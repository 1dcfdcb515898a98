//! A worker pool in front of a bounded FIFO queue: the admission, the queue and the gauges of
//! a service instance and of a store, written once.
//!
//! The pool counts workers; it does not hold the running jobs. Their state (and the timers
//! keyed by it) stays with the owner, which starts a job when the pool says so. The pool
//! records the two gauges of its version, `InFlight` (busy workers serving requests) and
//! `QueueDepth`, at the moment each changes, so that the owner's records interleave with them
//! in one fixed order, and a crash brings both back to zero.

use std::collections::VecDeque;

use meshsim_record::{Gauge, Record, VersionKey};

use crate::outbox::Outbox;

/// What became of a job offered to the pool.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission<J> {
    /// A worker was free and is now the job's: the owner starts it at once.
    Started(J),
    /// Every worker is busy: the job waits its turn, and [`WorkerPool::finish`] hands it back.
    Queued,
    /// Every worker is busy and the queue is full: the owner sheds the job.
    Full(J),
}

/// `workers` workers and a FIFO queue of at most `queue_max` jobs `J` waiting for one.
pub(crate) struct WorkerPool<J> {
    /// Whose gauges the pool records.
    key: VersionKey,
    workers: usize,
    queue_max: usize,
    /// Workers serving a request: what the `InFlight` gauge counts.
    serving: usize,
    /// Workers on the owner's own work, not a request's (a saga resumed after a restart).
    background: usize,
    queue: VecDeque<J>,
}

impl<J> WorkerPool<J> {
    pub(crate) fn new(key: VersionKey, workers: u32, queue_max: u32) -> WorkerPool<J> {
        assert!(workers > 0, "a pool has at least one worker");
        WorkerPool {
            key,
            workers: workers as usize,
            queue_max: queue_max as usize,
            serving: 0,
            background: 0,
            queue: VecDeque::new(),
        }
    }

    /// Workers taken, by requests and by background work.
    pub(crate) fn busy_workers(&self) -> usize {
        self.serving + self.background
    }

    /// Jobs waiting for a worker.
    pub(crate) fn queue_depth(&self) -> usize {
        self.queue.len()
    }

    /// The waiting jobs, first in line first.
    pub(crate) fn queued(&self) -> impl Iterator<Item = &J> {
        self.queue.iter()
    }

    /// Whether no worker is taken and nothing waits: so it is after a crash.
    pub(crate) fn is_idle(&self) -> bool {
        self.busy_workers() == 0 && self.queue.is_empty()
    }

    /// A request's job arrives: it takes a free worker, or waits, or is turned away.
    pub(crate) fn offer<M>(&mut self, job: J, out: &mut Outbox<M>) -> Admission<J> {
        if self.busy_workers() < self.workers {
            self.serving += 1;
            self.gauge(Gauge::InFlight, 1, out);
            Admission::Started(job)
        } else if self.queue.len() < self.queue_max {
            self.queue.push_back(job);
            self.gauge(Gauge::QueueDepth, 1, out);
            Admission::Queued
        } else {
            Admission::Full(job)
        }
    }

    /// A request's job ended. Its worker goes to the first job in the queue, if one waits,
    /// and the owner starts that job now.
    pub(crate) fn finish<M>(&mut self, out: &mut Outbox<M>) -> Option<J> {
        assert!(
            self.serving > 0,
            "a job finished that no worker was serving"
        );
        self.serving -= 1;
        self.gauge(Gauge::InFlight, -1, out);
        let next = self.queue.pop_front()?;
        self.gauge(Gauge::QueueDepth, -1, out);
        self.serving += 1;
        self.gauge(Gauge::InFlight, 1, out);
        Some(next)
    }

    /// Takes a worker for the owner's own work: it counts against the workers as a request
    /// does, but not in the `InFlight` gauge (no request is in flight), and it is taken even
    /// when every worker is busy, because the owner's own work is never queued or shed.
    pub(crate) fn take_for_background(&mut self) {
        self.background += 1;
    }

    /// The owner's own work ended. Its worker does not go to the queue: a queued job waits
    /// for the next request to end. That is how the service instance behaved before the pool
    /// was shared, and runs must replay unchanged.
    pub(crate) fn release_background(&mut self) {
        assert!(
            self.background > 0,
            "background work ended that no worker was doing"
        );
        self.background -= 1;
    }

    /// The process died: every worker is free and the queue is empty. Records both gauges back
    /// to zero (in flight first, then the queue, each only when it moves) and returns the
    /// queued jobs in arrival order, for the owner to answer; the running jobs are the
    /// owner's to answer.
    pub(crate) fn reset<M>(&mut self, out: &mut Outbox<M>) -> Vec<J> {
        let serving = self.serving as i64;
        let queued: Vec<J> = self.queue.drain(..).collect();
        self.serving = 0;
        self.background = 0;
        if serving > 0 {
            self.gauge(Gauge::InFlight, -serving, out);
        }
        if !queued.is_empty() {
            self.gauge(Gauge::QueueDepth, -(queued.len() as i64), out);
        }
        queued
    }

    fn gauge<M>(&self, gauge: Gauge, delta: i64, out: &mut Outbox<M>) {
        out.record(Record::Gauge {
            key: self.key,
            gauge,
            delta,
        });
    }
}

#[cfg(test)]
mod tests;
