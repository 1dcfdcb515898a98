//! The engines that drive the models: the event engine (the default, fast path) and the turmoil
//! engine (every node a turmoil host, the cross-check; behind the `turmoil` feature). Both feed
//! the same sink.

pub(crate) mod event;
mod lifecycle;
#[cfg(feature = "turmoil")]
pub(crate) mod turmoil;

pub use event::Engine;
pub use lifecycle::NodeState;
