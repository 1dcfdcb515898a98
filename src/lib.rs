//! meshsim: a deterministic simulator of microservice systems and their service mesh.
//!
//! The root crate knows the scenario file and the command line; it assembles the models of
//! `meshsim-models` onto an engine of `meshsim-sim` and hands what was recorded to
//! `meshsim-reports`.

pub mod assemble;
pub mod call_graph;
pub mod command;
pub mod expect;
pub(crate) mod explain;
pub mod fault_timeline;
pub mod interrupt;
pub mod invariants;
pub mod layout;
pub mod mesh;
pub mod output_folder;
pub mod profile;
pub mod report;
pub mod rollout;
pub mod run_limits;
pub mod scenario;
pub mod scenario_notes;
pub mod service_code;
pub mod shrink;
pub mod simulate;
pub mod sweep;
