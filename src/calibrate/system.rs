//! What calibration has learnt so far: the services, their endpoints and versions, topics and
//! subscriptions, hop times and workloads, built one trace at a time. It keeps counts and
//! bounded samples, never the traces, so memory does not grow with the input (but for the
//! arrival times `--arrivals replay` asks for, bounded by the replay's own limit).

use std::collections::{BTreeMap, BTreeSet};

use super::call_tree::{
    EntrySource, Handler, HandlerKind, SERVICE_NAME_CHARS_MAX, Target, TraceFacts, read_facts,
};
use super::endpoint_stats::EndpointStats;
use super::reservoir::Reservoir;
use super::skew::adjust_clock_skew;
use super::span_tree::SpanTree;
use super::trace::Trace;

const SERVICES_MAX: usize = 2000;
const ENDPOINTS_PER_SERVICE_MAX: usize = 256;
const WORKLOADS_MAX: usize = 1000;
const TOPICS_MAX: usize = 10_000;
/// Instance names kept per service version: past it replicas are counted as this many.
const INSTANCES_KEPT_MAX: usize = 10_000;
/// The arrivals a replay file may hold (`arrivals of a replay` in the limits).
pub(crate) const REPLAY_ARRIVALS_MAX: usize = 10_000_000;

/// What calibration could not use, or corrected, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BuildCounts {
    pub(crate) traces: u64,
    pub(crate) traces_used: u64,
    /// Traces with a span whose parent is not in the trace, several roots or a repeated span
    /// id: partial, skipped whole.
    pub(crate) traces_partial: u64,
    pub(crate) orphan_spans: u64,
    pub(crate) skew_corrected_spans: u64,
    /// Whole traces whose root is neither a SERVER span nor a load generator's CLIENT span.
    pub(crate) traces_without_entry: u64,
    /// Traces that would take the scenario past one of its limits (services, endpoints,
    /// workloads, topics).
    pub(crate) traces_over_limits: u64,
    /// Calls left out because their endpoint already had the most a scenario takes.
    pub(crate) calls_over_limit: u64,
    /// Arrivals past the replay's limit, not written.
    pub(crate) arrivals_dropped: u64,
}

#[derive(Debug, Default)]
pub(crate) struct ServiceStats {
    /// Answers only as a leaf behind client spans (a database, an uninstrumented service).
    pub(crate) leaf: bool,
    /// Some workload targets it.
    pub(crate) exposed: bool,
    /// Per version (`""` when none is named), the instances seen.
    pub(crate) instances: BTreeMap<String, BTreeSet<String>>,
    pub(crate) endpoints: BTreeMap<String, EndpointStats>,
    /// Requests handled, and their total time (for Little's law: the concurrency the traces had).
    pub(crate) requests: u64,
    pub(crate) busy_ns: u128,
}

/// Requests from one entry source to one endpoint.
#[derive(Debug)]
pub(crate) struct WorkloadStats {
    pub(crate) requests: u64,
    pub(crate) arrivals_ns: Vec<i64>,
    pub(crate) one_way: Reservoir,
    pub(crate) duration: Reservoir,
}

/// A workload's key: its source (the load generator's service, or `None` for unseen clients),
/// the target service and endpoint.
pub(crate) type WorkloadKey = (Option<String>, String, String);

/// Distinct broker names counted: a bound against a trace that names a new peer per publish.
const BROKER_NAMES_MAX: usize = 64;

#[derive(Debug)]
pub(crate) struct System {
    pub(crate) counts: BuildCounts,
    pub(crate) services: BTreeMap<String, ServiceStats>,
    /// Topic → its subscriptions (service, endpoint).
    pub(crate) topics: BTreeMap<String, BTreeSet<(String, String)>>,
    /// The names publishes gave their broker, with how many publishes gave each: the scenario's
    /// broker takes the most common.
    pub(crate) broker_names: BTreeMap<String, u64>,
    /// One-way hop samples per caller → callee service pair (`None`: the broker).
    pub(crate) hops: BTreeMap<(String, Option<String>), Reservoir>,
    pub(crate) workloads: BTreeMap<WorkloadKey, WorkloadStats>,
    pub(crate) first_arrival_ns: Option<i64>,
    pub(crate) last_arrival_ns: Option<i64>,
    keep_arrivals: bool,
    arrivals_kept: usize,
}

impl System {
    pub(crate) fn new(keep_arrivals: bool) -> Self {
        System {
            counts: BuildCounts::default(),
            services: BTreeMap::new(),
            topics: BTreeMap::new(),
            broker_names: BTreeMap::new(),
            hops: BTreeMap::new(),
            workloads: BTreeMap::new(),
            first_arrival_ns: None,
            last_arrival_ns: None,
            keep_arrivals,
            arrivals_kept: 0,
        }
    }

    /// Adjusts the trace's clocks and learns from it, or counts why it cannot.
    pub(crate) fn add_trace(&mut self, mut trace: Trace) -> Option<TraceFacts> {
        self.counts.traces += 1;
        let tree = SpanTree::of(&trace);
        if !tree.is_whole() {
            self.counts.traces_partial += 1;
            self.counts.orphan_spans += tree.orphans.len() as u64;
            return None;
        }
        self.counts.skew_corrected_spans += adjust_clock_skew(&mut trace, &tree);
        let facts = read_facts(&trace, &tree);
        let Some(entry) = &facts.entry else {
            self.counts.traces_without_entry += 1;
            return None;
        };
        if !self.fits(&facts) {
            self.counts.traces_over_limits += 1;
            return None;
        }
        self.counts.traces_used += 1;
        for handler in &facts.handlers {
            self.add_handler(handler);
        }
        self.add_entry(entry);
        Some(facts)
    }

    /// Whether the trace's names stay within the scenario's limits once added.
    fn fits(&self, facts: &TraceFacts) -> bool {
        let mut new_services = BTreeSet::new();
        let mut new_endpoints: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut new_topics = BTreeSet::new();
        for handler in &facts.handlers {
            if handler.service.chars().count() > SERVICE_NAME_CHARS_MAX {
                return false;
            }
            let known = self.services.get(&handler.service);
            if known.is_none() {
                new_services.insert(handler.service.as_str());
            }
            if !known.is_some_and(|service| service.endpoints.contains_key(&handler.endpoint)) {
                new_endpoints
                    .entry(handler.service.as_str())
                    .or_default()
                    .insert(handler.endpoint.as_str());
            }
            if let HandlerKind::Consumer { topic } = &handler.kind
                && !self.topics.contains_key(topic)
            {
                new_topics.insert(topic.as_str());
            }
        }
        let endpoints_fit = new_endpoints.iter().all(|(service, endpoints)| {
            let known = self
                .services
                .get(*service)
                .map_or(0, |stats| stats.endpoints.len());
            known + endpoints.len() <= ENDPOINTS_PER_SERVICE_MAX
        });
        let workloads_fit = self.workloads.len() < WORKLOADS_MAX;
        self.services.len() + new_services.len() <= SERVICES_MAX
            && endpoints_fit
            && workloads_fit
            && self.topics.len() + new_topics.len() <= TOPICS_MAX
    }

    fn add_handler(&mut self, handler: &Handler) {
        let service = self.services.entry(handler.service.clone()).or_default();
        service.leaf = match handler.kind {
            HandlerKind::Leaf => service.requests == 0 || service.leaf,
            _ => false,
        };
        service.requests += 1;
        service.busy_ns += u128::from(handler.duration_ns);
        let instances = service
            .instances
            .entry(handler.version.clone().unwrap_or_default())
            .or_default();
        if let Some(instance) = &handler.instance
            && instances.len() < INSTANCES_KEPT_MAX
        {
            instances.insert(instance.clone());
        }
        let endpoint = service
            .endpoints
            .entry(handler.endpoint.clone())
            .or_default();
        let calls_over_limit = endpoint.calls_over_limit;
        endpoint.add(
            handler,
            &format!("work/{}/{}", handler.service, handler.endpoint),
        );
        self.counts.calls_over_limit += endpoint.calls_over_limit - calls_over_limit;
        if let HandlerKind::Consumer { topic } = &handler.kind {
            self.topics
                .entry(topic.clone())
                .or_default()
                .insert((handler.service.clone(), handler.endpoint.clone()));
        }
        for call in &handler.calls {
            let callee = match &call.target {
                Target::Sync { service, .. } => Some(service.clone()),
                Target::Publish { topic } => {
                    self.topics.entry(topic.clone()).or_default();
                    if let Some(peer) = &call.peer
                        && (self.broker_names.contains_key(peer)
                            || self.broker_names.len() < BROKER_NAMES_MAX)
                    {
                        *self.broker_names.entry(peer.clone()).or_default() += 1;
                    }
                    None
                }
                Target::Leaf { .. } => continue,
            };
            if callee.as_deref() == Some(handler.service.as_str()) {
                continue;
            }
            if let Some(one_way) = call.one_way_ns {
                let key = (handler.service.clone(), callee);
                let name = format!("hop/{}/{}", key.0, key.1.as_deref().unwrap_or("broker"));
                self.hops
                    .entry(key)
                    .or_insert_with(|| Reservoir::new(&name))
                    .add(one_way);
            }
        }
    }

    fn add_entry(&mut self, entry: &super::call_tree::Entry) {
        let source = match &entry.source {
            EntrySource::Workload(name) => Some(name.clone()),
            EntrySource::Clients => None,
        };
        if let Some(service) = self.services.get_mut(&entry.service) {
            service.exposed = true;
        }
        let key = (source, entry.service.clone(), entry.endpoint.clone());
        let stream = format!(
            "workload/{}/{}/{}",
            key.0.as_deref().unwrap_or(""),
            key.1,
            key.2
        );
        let workload = self.workloads.entry(key).or_insert_with(|| WorkloadStats {
            requests: 0,
            arrivals_ns: Vec::new(),
            one_way: Reservoir::new(&format!("{stream}/hop")),
            duration: Reservoir::new(&format!("{stream}/duration")),
        });
        workload.requests += 1;
        workload.duration.add(entry.duration_ns);
        if let Some(one_way) = entry.one_way_ns {
            workload.one_way.add(one_way);
        }
        if self.keep_arrivals {
            if self.arrivals_kept < REPLAY_ARRIVALS_MAX {
                workload.arrivals_ns.push(entry.arrival_ns);
                self.arrivals_kept += 1;
            } else {
                self.counts.arrivals_dropped += 1;
            }
        }
        self.first_arrival_ns = Some(
            self.first_arrival_ns
                .map_or(entry.arrival_ns, |first| first.min(entry.arrival_ns)),
        );
        self.last_arrival_ns = Some(
            self.last_arrival_ns
                .map_or(entry.arrival_ns, |last| last.max(entry.arrival_ns)),
        );
    }

    /// Requests counted over all workloads.
    pub(crate) fn arrivals(&self) -> u64 {
        self.workloads
            .values()
            .map(|workload| workload.requests)
            .sum()
    }

    /// The traces' window in nanoseconds: from the first arrival to the last, stretched by
    /// n / (n − 1) so that n arrivals spaced evenly over it give back their rate (the span
    /// between the first and last of n arrivals holds n − 1 gaps). 0 with fewer than 2.
    pub(crate) fn window_ns(&self) -> f64 {
        let n = self.arrivals();
        match (self.first_arrival_ns, self.last_arrival_ns) {
            (Some(first), Some(last)) if n >= 2 && last > first => {
                (last - first) as f64 * n as f64 / (n - 1) as f64
            }
            _ => 0.0,
        }
    }
}
