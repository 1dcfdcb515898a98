//! One calibration: the traces go in one at a time; what was learnt ([`System`]) and the
//! traces' statistics for `--check` ([`TraceStats`]) come out, built from the same reading of
//! each trace.

use super::check::TraceStats;
use super::system::System;
use super::trace::Trace;

#[derive(Debug)]
pub(crate) struct Calibration {
    pub(crate) system: System,
    pub(crate) stats: TraceStats,
}

impl Calibration {
    /// `keep_arrivals`: keep every arrival time, for `--arrivals replay`.
    pub(crate) fn new(keep_arrivals: bool) -> Self {
        Calibration {
            system: System::new(keep_arrivals),
            stats: TraceStats::default(),
        }
    }

    pub(crate) fn add(&mut self, trace: Trace) {
        if let Some(facts) = self.system.add_trace(trace) {
            self.stats.add(&facts);
        }
    }
}
