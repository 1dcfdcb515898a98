//! The engines that drive the models: the event engine (the default, fast path) and the turmoil
//! engine (every node a turmoil host, the cross-check). Both feed the same recorder.

pub mod event;
pub mod turmoil;

pub use event::{Engine, NetworkCounts};
