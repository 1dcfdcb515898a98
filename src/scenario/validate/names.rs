//! The names every section can refer to, indexed once before the checks run.

use indexmap::{IndexMap, IndexSet};

use crate::scenario::schema::{BASE_VERSION, Scenario};

/// The names every section can refer to, indexed once.
pub(super) struct Names<'s> {
    /// Service name to the index of its first declaration.
    pub(super) services: IndexMap<&'s str, usize>,
    /// Per service index: endpoint name to the index of its first declaration.
    pub(super) endpoints: Vec<IndexMap<&'s str, usize>>,
    /// Per service index: its versions, "v1" first, then `[[service.version]]` in order.
    pub(super) versions: Vec<IndexSet<&'s str>>,
    /// Per service index: instances over all its versions.
    pub(super) instances: Vec<u64>,
    pub(super) workloads: IndexMap<&'s str, usize>,
    pub(super) brokers: IndexMap<&'s str, usize>,
    pub(super) stores: IndexMap<&'s str, usize>,
    /// Topic to the index of the first broker declaring it.
    pub(super) topics: IndexMap<&'s str, usize>,
    /// Services with a `[[rollout]]`.
    pub(super) rollouts: IndexSet<&'s str>,
}

impl<'s> Names<'s> {
    pub(super) fn collect(scenario: &'s Scenario) -> Self {
        let mut names = Names {
            services: IndexMap::new(),
            endpoints: Vec::new(),
            versions: Vec::new(),
            instances: Vec::new(),
            workloads: IndexMap::new(),
            brokers: IndexMap::new(),
            stores: IndexMap::new(),
            topics: IndexMap::new(),
            rollouts: scenario
                .rollouts
                .iter()
                .map(|rollout| rollout.service.as_str())
                .collect(),
        };
        for (index, service) in scenario.services.iter().enumerate() {
            names.services.entry(service.name.as_str()).or_insert(index);
            let mut endpoints = IndexMap::new();
            for (endpoint_index, endpoint) in service.endpoints.iter().enumerate() {
                endpoints
                    .entry(endpoint.name.as_str())
                    .or_insert(endpoint_index);
            }
            names.endpoints.push(endpoints);
            let mut versions = IndexSet::from([BASE_VERSION]);
            for version in &service.versions {
                versions.insert(version.name.as_str());
            }
            names.versions.push(versions);
            names.instances.push(service.instances());
        }
        for (index, workload) in scenario.workloads.iter().enumerate() {
            names
                .workloads
                .entry(workload.name.as_str())
                .or_insert(index);
        }
        for (index, store) in scenario.stores.iter().enumerate() {
            names.stores.entry(store.name.as_str()).or_insert(index);
        }
        for (index, broker) in scenario.brokers.iter().enumerate() {
            names.brokers.entry(broker.name.as_str()).or_insert(index);
            for topic in &broker.topics {
                names.topics.entry(topic.as_str()).or_insert(index);
            }
        }
        names
    }

    pub(super) fn service_names(&self) -> Vec<&'s str> {
        self.services.keys().copied().collect()
    }
}
