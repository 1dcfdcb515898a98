//! meshsim-sim: the simulation kernel. Time, seeded random streams, distributions, node and
//! group ids, the network and its faults, the event queue and the two engines.
//!
//! This crate knows nothing of services or meshes, and a simulator of something else (a
//! database cluster, say) could use it whole. It moves opaque messages between numbered nodes
//! grouped under names, fires timers, applies the fault timeline, and hands what the models
//! report to a [`Sink`] without reading it. The models (in `meshsim-models`) are sans-IO state
//! machines that implement [`Model`]; the run's vocabulary (records, the recorder, summaries)
//! is `meshsim-record`'s.
//!
//! The turmoil engine, and with it tokio and turmoil, sit behind the default `turmoil`
//! feature: a crate that only reads a run's types depends on this one without it.

#![warn(unreachable_pub)]

mod chacha;
mod control;
mod distribution;
mod engine;
mod ids;
mod model;
mod network;
mod queue;
mod rng;
mod sink;
mod time;

pub use control::{Control, ControlAction, Effect, Rule, Selector};
pub use distribution::Distribution;
#[cfg(feature = "turmoil")]
pub use engine::turmoil::{Link, PairedTask, Software, TurmoilEngine, TurmoilOptions};
pub use engine::{Engine, NodeState};
pub use model::{Action, GroupId, Input, Loopback, Model, NodeId, Outbox, TimerId, Wire};
pub use network::{LinkConfig, Network, NetworkCounts, Transit};
pub use rng::{Seeder, SimRng};
pub use sink::Sink;
pub use time::SimTime;
