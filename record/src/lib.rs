//! meshsim-record: the vocabulary of a meshsim run, and what is made of it.
//!
//! What the models report ([`Record`]: requests and their outcomes, what an instance served,
//! what the mesh did to a call, brokers, sagas, rollouts, stores' last figures), the names
//! behind the ids they report with ([`Catalog`]), the [`Recorder`] that sums the records into
//! `metrics.csv`, `events.csv`, `requests.csv`, the trace digest and the [`RunSummary`], and the
//! Chrome trace and OTLP exports of sampled requests.
//!
//! The kernel (`meshsim-sim`) never reads any of it: its engines hand each record to the
//! recorder as a [`meshsim_sim::Sink`]. The reports crate reads these types only, so it needs
//! neither an engine nor a model.

#![warn(unreachable_pub)]

mod call_end;
mod catalog;
mod events;
mod gauge;
mod histogram;
mod keys;
mod openmetrics;
mod otlp;
mod outcome;
mod reason;
mod record;
mod recorder;
mod span;
pub mod summary;
mod trace;

pub use call_end::{CallEnd, RetryStop};
pub use catalog::{Catalog, GroupInfo, NodeInfo, RolloutInfo, SubscriptionInfo, VersionInfo};
pub use events::{BrokerEvent, MeshEvent, RolloutOutcome, SagaEvent};
pub use gauge::{Gauge, GroupGauge};
pub use histogram::Histogram;
pub use keys::{ClientId, VersionKey, trace_id};
pub use openmetrics::{ISTIO_BUCKET_BOUNDS_MS, OPENMETRICS_START_UNIX_S, OpenMetricsOutput};
pub use otlp::{EPOCH_UNIX_NS, OtlpOutput};
pub use outcome::{Outcome, ServedResult};
pub use reason::{Reason, ReasonKind};
pub use record::Record;
pub use recorder::{Recorder, RecorderOutputs};
pub use span::{Span, SpanEvent, SpanEventKind, SpanKind, SpanRole, span_id};
pub use summary::RunSummary;
pub use trace::TraceOutput;
