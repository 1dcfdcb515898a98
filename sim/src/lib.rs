//! meshsim-sim: the simulation core. Time, seeded random streams, the event engine, the network
//! and its faults, and the recorder.
//!
//! This crate knows nothing of services or meshes. It moves opaque messages between numbered
//! nodes grouped under names, fires timers, applies network faults, and records what the models
//! report. The models (in `meshsim-models`) are sans-IO state machines that implement [`Model`].

mod catalog;
pub mod control;
pub mod distribution;
pub mod engine;
pub mod histogram;
mod ids;
pub mod model;
pub mod network;
pub mod queue;
pub mod record;
pub mod recorder;
pub mod rng;
pub mod summary;
pub mod time;
pub mod trace;

pub use control::{Control, ControlAction, Selector};
pub use distribution::Distribution;
pub use engine::Engine;
pub use histogram::Histogram;
pub use model::{GroupId, Input, Model, NodeId, Outbox, TimerId, Wire};
pub use network::{Network, NodeState};
pub use record::{
    ClientId, Outcome, Reason, ReasonKind, Record, ServedResult, Span, SpanKind, VersionKey,
};
pub use recorder::{
    Catalog, GroupInfo, NodeInfo, Recorder, RecorderOutputs, RolloutInfo, SubscriptionInfo,
    VersionInfo,
};
pub use rng::{Seeder, SimRng};
pub use summary::RunSummary;
pub use time::SimTime;
pub use trace::TraceOutput;
