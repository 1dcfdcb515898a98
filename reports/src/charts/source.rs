//! One run as the charts read it: its data, its timeline, and its workloads and services.

use indexmap::IndexMap;

use crate::metrics_row::{MetricsRow, RowKind};
use crate::run_data::RunData;

use super::subject::{Subject, subjects};
use super::timeline::Timeline;

/// A run ready to be charted: every subject's totals, and the rows of those being drawn.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    pub run: &'a RunData,
    pub timeline: Timeline,
    pub workloads: IndexMap<&'a str, Subject<'a>>,
    pub services: IndexMap<&'a str, Subject<'a>>,
    pub subscriptions: IndexMap<&'a str, Subject<'a>>,
}

impl<'a> Source<'a> {
    /// `rows` are the rows of the subjects to draw (none, to choose them).
    pub(crate) fn new(run: &'a RunData, rows: &'a [MetricsRow]) -> Source<'a> {
        let timeline = Timeline::new(run);
        let workloads = subjects(run, rows, &timeline, RowKind::Workload);
        let services = subjects(run, rows, &timeline, RowKind::Service);
        let subscriptions = subjects(run, rows, &timeline, RowKind::Subscription);
        Source {
            run,
            timeline,
            workloads,
            services,
            subscriptions,
        }
    }

    /// A counter of what the mesh did to the calls into a service, from `summary.json`.
    pub(crate) fn mesh_count(&self, service: &str, counter: &str) -> u64 {
        self.run
            .summary
            .services
            .get(service)
            .and_then(|data| data.mesh.get(counter))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    }
}
