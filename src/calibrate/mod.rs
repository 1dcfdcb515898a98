//! `meshsim calibrate`: a scenario built from the traces a team already records (Jaeger JSON,
//! Zipkin v2 JSON, OTLP JSON). The readers turn each format into [`Trace`]s; the model builder
//! turns traces into services, endpoints, calls, work times, error rates, hop times and
//! workloads, and writes a scenario that `meshsim run` accepts as it is. The rules:
//! docs/calibrate.md.

mod calibration;
mod call_tree;
mod check;
mod endpoint_stats;
mod read;
mod reservoir;
mod scenario_writer;
mod skew;
mod span_tree;
mod summary;
mod system;
// The shared trace type names its id `trace_id`, as every trace format does.
#[allow(clippy::struct_field_names)]
mod trace;

#[cfg(test)]
mod tests;

pub(crate) use calibration::Calibration;
pub(crate) use check::{Tolerances, TraceStats, compare, render as render_check};
pub(crate) use read::{ReadCounts, ReadOptions, TraceFormat, read_traces};
pub(crate) use scenario_writer::{Arrivals, WriteOptions, Written, write_scenario};
pub(crate) use summary::render as render_summary;
