//! Where the engines put what happens: the models' records, the kernel's own fault and control
//! events, and the passing of time. The kernel does not know what a record means; the sink does
//! (meshsim's recorder, in `meshsim-record`, sums them into a run's files and summary).

use crate::control::Control;
use crate::time::SimTime;

/// A recording sink an engine drives. Both engines call it in time order: `advance` before
/// anything at a later time, so a sink can close its metrics intervals as time passes.
pub trait Sink {
    /// What a model reports (its `Model::Record`).
    type Record;

    /// Time has reached `now`; nothing earlier will come.
    fn advance(&mut self, now: SimTime);

    /// A model reported `record` at `now`.
    fn record(&mut self, now: SimTime, record: &Self::Record);

    /// The kernel applied a control of the fault timeline at `now` (a partition, a crash...).
    /// Its own method, not a record, so the kernel needs no variant of the models' record type.
    fn control(&mut self, now: SimTime, control: &Control);
}
