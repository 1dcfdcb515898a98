//! Who calls whom in a scenario: every caller → callee edge, by name, as the sidecars see them
//! (a service's endpoints and its versions' own calls, its sagas' steps and cache, a workload's target, a strangler's moved
//! calls). `meshsim explain` walks it.

use indexmap::IndexMap;

use crate::scenario::schema::{Call, CallEntry, Scenario, Strategy};

/// The edges of a scenario, in the order the file declares them.
#[derive(Debug, Default)]
pub(crate) struct CallGraph {
    /// Callee to its callers (services and workloads), each once.
    callers: IndexMap<String, Vec<String>>,
    /// Service to the services, stores and brokers it calls, each once.
    callees: IndexMap<String, Vec<String>>,
}

impl CallGraph {
    pub(crate) fn of(scenario: &Scenario) -> Self {
        let mut graph = CallGraph::default();
        let topic_owner = |topic: &str| {
            scenario
                .brokers
                .iter()
                .find(|broker| broker.topics.iter().any(|owned| owned == topic))
                .map(|broker| broker.name.clone())
        };
        let target = |call: &Call| {
            call.service
                .clone()
                .or_else(|| call.store.clone())
                .or_else(|| call.topic.as_deref().and_then(topic_owner))
        };
        for service in &scenario.services {
            for endpoint in &service.endpoints {
                for call in endpoint
                    .calls
                    .iter()
                    .flat_map(CallEntry::calls)
                    .chain(&endpoint.on_failure)
                {
                    if let Some(callee) = target(call) {
                        graph.add(&service.name, &callee);
                    }
                }
                if let Some(cache) = &endpoint.cache {
                    graph.add(&service.name, &cache.store);
                }
            }
            // A version's own calls are the service's edges too: Bookinfo's reviews calls
            // ratings only in v2 and v3.
            let version_calls = service
                .versions
                .iter()
                .flat_map(|version| &version.endpoints)
                .filter_map(|entry| entry.calls.as_ref())
                .flatten()
                .flat_map(CallEntry::calls);
            for call in version_calls {
                if let Some(callee) = target(call) {
                    graph.add(&service.name, &callee);
                }
            }
        }
        for saga in &scenario.sagas {
            for step in &saga.steps {
                for call in std::iter::once(&step.action).chain(&step.compensation) {
                    if let Some(callee) = target(call) {
                        graph.add(&saga.service, &callee);
                    }
                }
            }
        }
        for workload in &scenario.workloads {
            graph.add(&workload.name, &workload.target);
        }
        graph.add_strangled(scenario);
        graph
    }

    /// A strangler migration moves a share of the monolith's callers' calls to the new service.
    fn add_strangled(&mut self, scenario: &Scenario) {
        for rollout in &scenario.rollouts {
            if rollout.strategy != Strategy::Strangler {
                continue;
            }
            let Some(monolith) = &rollout.monolith else {
                continue;
            };
            for caller in self.callers_of(monolith).to_vec() {
                self.add(&caller, &rollout.service);
            }
        }
    }

    fn add(&mut self, caller: &str, callee: &str) {
        let callers = self.callers.entry(callee.to_owned()).or_default();
        if !callers.iter().any(|known| known == caller) {
            callers.push(caller.to_owned());
        }
        let callees = self.callees.entry(caller.to_owned()).or_default();
        if !callees.iter().any(|known| known == callee) {
            callees.push(callee.to_owned());
        }
    }

    /// Who calls `callee`.
    pub(crate) fn callers_of(&self, callee: &str) -> &[String] {
        self.callers.get(callee).map_or(&[], Vec::as_slice)
    }

    /// What `caller` calls.
    pub(crate) fn callees_of(&self, caller: &str) -> &[String] {
        self.callees.get(caller).map_or(&[], Vec::as_slice)
    }

    /// Every callee, in the order its first edge was found.
    pub(crate) fn callees(&self) -> impl Iterator<Item = &str> {
        self.callers.keys().map(String::as_str)
    }
}
