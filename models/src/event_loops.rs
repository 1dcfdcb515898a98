//! `concurrency = "event_loop"`: an instance runs `workers` Node.js processes, each one event
//! loop on one core of its own. A request goes to a process round-robin, as Node's `cluster`
//! module hands out connections by default on every platform but Windows ("How it works",
//! Node 22: <https://nodejs.org/api/cluster.html#how-it-works>). Its own work runs on that
//! process's core to completion, one request at a time in arrival order; while it waits on its
//! calls it holds nothing, so the loop goes on with the next request's work.

use std::collections::VecDeque;

use crate::slab::SlabKey;

/// A job's own work, waiting for its process's core or running on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LoopWork {
    pub(crate) key: SlabKey,
    pub(crate) work_ns: u64,
}

/// The processes of one instance, each a FIFO of the own work handed to it.
pub(crate) struct EventLoops {
    /// Per process, the work in arrival order; the first is running.
    processes: Vec<VecDeque<LoopWork>>,
    /// The process the next request goes to.
    next: usize,
}

impl EventLoops {
    pub(crate) fn new(processes: u32) -> EventLoops {
        assert!(processes > 0, "an instance runs one process or more");
        EventLoops {
            processes: (0..processes).map(|_| VecDeque::new()).collect(),
            next: 0,
        }
    }

    /// Hands a new request's own work to the next process, round-robin. Returns its process,
    /// and the work when it runs at once (the process was idle): the owner sets its timer.
    pub(crate) fn enter(&mut self, work: LoopWork) -> (u32, Option<LoopWork>) {
        let process = self.next;
        self.next = (self.next + 1) % self.processes.len();
        let queue = &mut self.processes[process];
        queue.push_back(work);
        let runs_now = queue.len() == 1;
        (process as u32, runs_now.then_some(work))
    }

    /// The running work of `process` is done. Returns it, and the next work the process runs
    /// now, if any waits.
    pub(crate) fn done(&mut self, process: u32) -> (LoopWork, Option<LoopWork>) {
        let queue = &mut self.processes[process as usize];
        let Some(done) = queue.pop_front() else {
            unreachable!("process {process}'s work timer came with nothing running")
        };
        (done, queue.front().copied())
    }

    /// Requests whose own work waits for a core, across the processes (the running ones not
    /// counted).
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.processes
            .iter()
            .map(|queue| queue.len().saturating_sub(1))
            .sum()
    }

    /// The processes died: the work is gone. The round-robin starts over with the first.
    pub(crate) fn clear(&mut self) {
        for queue in &mut self.processes {
            queue.clear();
        }
        self.next = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::{EventLoops, LoopWork};
    use crate::slab::SlabKey;

    fn work(key: u64) -> LoopWork {
        LoopWork {
            key: SlabKey(key),
            work_ns: 10 * key,
        }
    }

    #[test]
    fn requests_go_round_robin_and_run_at_once_on_an_idle_process() {
        let mut loops = EventLoops::new(2);
        assert_eq!(loops.enter(work(1)), (0, Some(work(1))));
        assert_eq!(loops.enter(work(2)), (1, Some(work(2))));
        // Back to the first process, which is busy: it waits.
        assert_eq!(loops.enter(work(3)), (0, None));
        assert_eq!(loops.waiting(), 1);
    }

    #[test]
    fn a_process_runs_its_work_one_at_a_time_in_arrival_order() {
        let mut loops = EventLoops::new(1);
        loops.enter(work(1));
        loops.enter(work(2));
        loops.enter(work(3));
        assert_eq!(loops.done(0), (work(1), Some(work(2))));
        assert_eq!(loops.done(0), (work(2), Some(work(3))));
        assert_eq!(loops.done(0), (work(3), None));
        assert_eq!(loops.waiting(), 0);
    }

    #[test]
    fn a_crash_empties_every_process() {
        let mut loops = EventLoops::new(2);
        loops.enter(work(1));
        loops.enter(work(2));
        loops.enter(work(3));
        loops.clear();
        assert_eq!(loops.waiting(), 0);
        assert_eq!(loops.enter(work(4)), (0, Some(work(4))));
    }
}
