//! What the checks have resolved so far, one slot per thing that names others; a slot stays
//! empty where a name did not resolve, and an empty slot is always an error reported.

use meshsim_models::{HpaSpec, ScaleMetric, StoreKind};

use crate::scenario::metric::MetricRef;
use crate::scenario::resolved::{
    Callee, EndpointCalls, EndpointId, Fault, Host, Policies, ReplacedCalls, Resolution, Rollout,
    Route, SagaStep, ServiceId,
};
use crate::scenario::schema::Scenario;

/// The resolution being built, in the scenario's shape.
pub(super) struct Resolving {
    pub(super) endpoints: Vec<Vec<Option<EndpointCalls>>>,
    /// Per service, per version; a call that does not resolve is an error reported.
    pub(super) version_calls: Vec<Vec<Vec<Option<ReplacedCalls>>>>,
    pub(super) sagas: Vec<Option<Vec<SagaStep>>>,
    pub(super) faults: Vec<Option<Fault>>,
    pub(super) links: Vec<Option<[Host; 2]>>,
    pub(super) workloads: Vec<Option<EndpointId>>,
    /// Per workload; a kind without a file leaves its slot empty, and that is no error.
    pub(super) arrival_tables: Vec<Option<crate::scenario::ArrivalTable>>,
    pub(super) subscriptions: Vec<Option<EndpointId>>,
    /// Per service; a service without a `[mesh.SERVICE]` has no routes, so its slot starts
    /// filled.
    pub(super) routes: Vec<Option<Vec<Route>>>,
    pub(super) rollouts: Vec<Option<Rollout>>,
    pub(super) stores: Vec<Option<StoreKind>>,
    pub(super) depends_on: Vec<Option<Vec<Callee>>>,
    /// Per service; one without `allow_from` lets in every caller, so its slot starts filled.
    pub(super) allow_from: Vec<AllowFrom>,
    pub(super) expectations: Vec<Option<MetricRef>>,
    /// Per service; one without an autoscaler keeps `None`, and that is no error.
    pub(super) autoscalers: Vec<Option<(ScaleMetric, HpaSpec)>>,
}

impl Resolving {
    pub(super) fn new(scenario: &Scenario) -> Self {
        Resolving {
            endpoints: scenario
                .services
                .iter()
                .map(|service| vec![None; service.endpoints.len()])
                .collect(),
            version_calls: scenario
                .services
                .iter()
                .map(|service| vec![Vec::new(); service.versions.len()])
                .collect(),
            sagas: vec![None; scenario.sagas.len()],
            faults: vec![None; scenario.faults.len()],
            links: vec![None; scenario.network.link.len()],
            workloads: vec![None; scenario.workloads.len()],
            arrival_tables: vec![None; scenario.workloads.len()],
            subscriptions: vec![None; scenario.subscriptions.len()],
            routes: vec![Some(Vec::new()); scenario.services.len()],
            rollouts: vec![None; scenario.rollouts.len()],
            stores: vec![None; scenario.stores.len()],
            depends_on: vec![None; scenario.services.len()],
            allow_from: vec![AllowFrom::Everyone; scenario.services.len()],
            expectations: vec![None; scenario.expectations.len()],
            autoscalers: vec![None; scenario.services.len()],
        }
    }

    /// The resolution with `policies`, when every slot was filled: always so for a scenario
    /// without errors.
    pub(super) fn finish(self, policies: Policies) -> Option<Resolution> {
        Some(Resolution {
            endpoints: self
                .endpoints
                .into_iter()
                .map(|endpoints| endpoints.into_iter().collect())
                .collect::<Option<_>>()?,
            version_calls: self.version_calls,
            sagas: self.sagas.into_iter().collect::<Option<_>>()?,
            faults: self.faults.into_iter().collect::<Option<_>>()?,
            links: self.links.into_iter().collect::<Option<_>>()?,
            workloads: self.workloads.into_iter().collect::<Option<_>>()?,
            arrival_tables: self.arrival_tables,
            subscriptions: self.subscriptions.into_iter().collect::<Option<_>>()?,
            routes: self.routes.into_iter().collect::<Option<_>>()?,
            rollouts: self.rollouts.into_iter().collect::<Option<_>>()?,
            stores: self.stores.into_iter().collect::<Option<_>>()?,
            depends_on: self.depends_on.into_iter().collect::<Option<_>>()?,
            allow_from: self
                .allow_from
                .into_iter()
                .map(AllowFrom::finish)
                .collect::<Option<_>>()?,
            expectations: self.expectations.into_iter().collect::<Option<_>>()?,
            autoscalers: self.autoscalers,
            policies,
        })
    }
}

/// A service's `allow_from` as far as it resolved.
#[derive(Debug, Clone)]
pub(super) enum AllowFrom {
    Everyone,
    Only(Vec<ServiceId>),
    /// A caller it names is not a service: an error was reported.
    Unresolved,
}

impl AllowFrom {
    /// The callers let in (`None`: all), or `None` outside when it did not resolve.
    #[allow(
        clippy::option_option,
        reason = "resolved or not, and then everyone or these"
    )]
    fn finish(self) -> Option<Option<Vec<ServiceId>>> {
        match self {
            AllowFrom::Everyone => Some(None),
            AllowFrom::Only(callers) => Some(Some(callers)),
            AllowFrom::Unresolved => None,
        }
    }
}
