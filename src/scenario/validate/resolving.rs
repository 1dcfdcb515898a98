//! What the checks have resolved so far, one slot per thing that names others; a slot stays
//! empty where a name did not resolve, and an empty slot is always an error reported.

use crate::scenario::resolved::{
    EndpointCalls, EndpointId, Fault, Host, Resolution, Rollout, Route, SagaStep,
};
use crate::scenario::schema::Scenario;

/// The resolution being built, in the scenario's shape.
pub(super) struct Resolving {
    pub(super) endpoints: Vec<Vec<Option<EndpointCalls>>>,
    pub(super) sagas: Vec<Option<Vec<SagaStep>>>,
    pub(super) faults: Vec<Option<Fault>>,
    pub(super) links: Vec<Option<[Host; 2]>>,
    pub(super) workloads: Vec<Option<EndpointId>>,
    pub(super) subscriptions: Vec<Option<EndpointId>>,
    /// Per service; a service without a `[mesh.SERVICE]` has no routes, so its slot starts
    /// filled.
    pub(super) routes: Vec<Option<Vec<Route>>>,
    pub(super) rollouts: Vec<Option<Rollout>>,
}

impl Resolving {
    pub(super) fn new(scenario: &Scenario) -> Self {
        Resolving {
            endpoints: scenario
                .services
                .iter()
                .map(|service| vec![None; service.endpoints.len()])
                .collect(),
            sagas: vec![None; scenario.sagas.len()],
            faults: vec![None; scenario.faults.len()],
            links: vec![None; scenario.network.link.len()],
            workloads: vec![None; scenario.workloads.len()],
            subscriptions: vec![None; scenario.subscriptions.len()],
            routes: vec![Some(Vec::new()); scenario.services.len()],
            rollouts: vec![None; scenario.rollouts.len()],
        }
    }

    /// The resolution, when every slot was filled: always so for a scenario without errors.
    pub(super) fn finish(self) -> Option<Resolution> {
        Some(Resolution {
            endpoints: self
                .endpoints
                .into_iter()
                .map(|endpoints| endpoints.into_iter().collect())
                .collect::<Option<_>>()?,
            sagas: self.sagas.into_iter().collect::<Option<_>>()?,
            faults: self.faults.into_iter().collect::<Option<_>>()?,
            links: self.links.into_iter().collect::<Option<_>>()?,
            workloads: self.workloads.into_iter().collect::<Option<_>>()?,
            subscriptions: self.subscriptions.into_iter().collect::<Option<_>>()?,
            routes: self.routes.into_iter().collect::<Option<_>>()?,
            rollouts: self.rollouts.into_iter().collect::<Option<_>>()?,
        })
    }
}
