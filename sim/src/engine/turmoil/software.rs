//! What runs on a host: a model alone, or a model with a task of real async code beside it.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use super::link::Link;
use crate::model::Loopback;

/// A paired host's task: handed its end of the loopback, it runs until the end of the run.
/// turmoil's clock drives its sleeps; whatever else it spawns runs on the host's runtime.
pub type PairedTask<M> = Box<
    dyn FnOnce(
        Rc<Link<<M as Loopback>::FromTask, <M as Loopback>::ToTask>>,
    ) -> Pin<Box<dyn Future<Output = turmoil::Result>>>,
>;

/// What runs on a host.
pub enum Software<M: Loopback> {
    /// A model, as on the event engine.
    Model(M),
    /// A model and a task of real async code on one host, talking over a [`Link`]: the model
    /// keeps the host's network, timers and process state, and the task is what the model
    /// stands in front of (a service's code behind its sidecar). A task's error ends the run.
    Paired(M, PairedTask<M>),
}
