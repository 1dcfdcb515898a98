//! One run as the charts read it: its data, its timeline, and its workloads and services.

use indexmap::IndexMap;

use crate::run_data::{RowKind, RunData};

use super::subject::{Subject, subjects};
use super::timeline::Timeline;

/// A run ready to be charted.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    pub run: &'a RunData,
    pub timeline: Timeline,
    pub workloads: IndexMap<&'a str, Subject<'a>>,
    pub services: IndexMap<&'a str, Subject<'a>>,
    pub subscriptions: IndexMap<&'a str, Subject<'a>>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(run: &'a RunData) -> Source<'a> {
        let timeline = Timeline::new(run);
        let workloads = subjects(run, &timeline, RowKind::Workload);
        let services = subjects(run, &timeline, RowKind::Service);
        let subscriptions = subjects(run, &timeline, RowKind::Subscription);
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
