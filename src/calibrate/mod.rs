//! `meshsim calibrate`: a scenario built from the traces a team already records (Jaeger JSON,
//! Zipkin v2 JSON, OTLP JSON). The readers turn each format into [`Trace`]s; the model builder
//! turns traces into services, endpoints, calls, work times, error rates, hop times and
//! workloads, and writes a scenario that `meshsim run` accepts as it is.

// The readers and the builder land in parallel; until both are used, parts are unused.
#![allow(dead_code, unused_imports)]

mod read;
mod trace;

pub(crate) use read::{ReadCounts, ReadError, ReadOptions, TraceFormat, read_traces};
pub(crate) use trace::{SpanRole, Trace, TraceSpan};
