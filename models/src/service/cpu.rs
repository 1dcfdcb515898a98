//! What an instance's own work runs on: a core of its own for each worker (no `cores`, as
//! before), `cores` shared by processor sharing, or its event-loop processes.

use super::config::{Concurrency, ServiceConfig};
use crate::event_loops::EventLoops;
use crate::processor_sharing::ProcessorSharing;

/// The CPU an instance's own work runs on.
pub(super) enum Cpu {
    /// No `cores`: each job's work is a timer of its own.
    Unlimited,
    /// `cores = N` with threads.
    Shared(ProcessorSharing),
    /// `concurrency = "event_loop"`: a core per process.
    Loops(EventLoops),
}

impl Cpu {
    pub(super) fn of(config: &ServiceConfig) -> Cpu {
        match (config.concurrency, config.cores) {
            (Concurrency::EventLoop, _) => Cpu::Loops(EventLoops::new(config.workers)),
            (Concurrency::Threads, Some(cores)) => Cpu::Shared(ProcessorSharing::new(cores)),
            (Concurrency::Threads, None) => Cpu::Unlimited,
        }
    }

    /// The process died: the work in progress is gone.
    pub(super) fn clear(&mut self) {
        match self {
            Cpu::Unlimited => {}
            Cpu::Shared(shared) => shared.clear(),
            Cpu::Loops(loops) => loops.clear(),
        }
    }
}
