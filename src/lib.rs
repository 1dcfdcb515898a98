//! meshsim: a deterministic simulator of microservice systems and their service mesh.
//!
//! The root crate knows the scenario file and the command line; it assembles the models of
//! `meshsim-models` onto an engine of `meshsim-sim` and hands what was recorded to
//! `meshsim-reports`.

#![warn(unreachable_pub)]

mod assemble;
mod calibrate;
mod call_graph;
mod code;
mod command;
mod expect;
mod explain;
mod fault_timeline;
mod floor;
mod interrupt;
mod invariants;
mod layout;
mod manifest;
mod mesh;
mod output_folder;
mod profile;
mod report;
mod rollout;
mod run_limits;
pub mod scenario;
mod scenario_notes;
mod shrink;
mod simulate;
mod sweep;

pub use code::{
    ClientError, ConnectError, MeshClient, MeshConnector, MeshStream, MeshTest, MeshTestError,
    Outcome, ServiceCode, simulate_with_code,
};
pub use command::Cli;
pub use expect::check_all as check_expectations;
pub use fault_timeline::{FaultSpec, write_scenario_with_faults};
pub use floor::{Floor, FloorRun, Unmodelled};
pub use interrupt::install_handler as install_interrupt_handler;
pub use invariants::check as check_invariants;
pub use manifest::Included;
pub use profile::Profile;
pub use run_limits::RunLimits;
pub use shrink::{Bounds, Shrunk, Step, Verdict, shrink_timeline};
pub use simulate::{
    EngineKind, Simulation, TURMOIL_HOSTS_MAX, simulate, simulate_briefly, simulate_on,
    simulate_with_host_limit,
};
pub use sweep::{default_jobs, sweep_rows};
