//! What each service calls: its sidecar's upstreams and, per endpoint, its calls, failure
//! calls, saga and cache as targets into them.

use std::sync::Arc;

use meshsim_models::{CallTarget, SagaPlan, SagaStepPlan};

use super::stores::store_kind;
use crate::layout::Layout;
use crate::scenario::schema::{self, Scenario};

/// The services and brokers `service` calls (its sidecar's upstreams, by index into
/// [`upstream_configs`](super::upstreams::upstream_configs): services, then brokers) and, per endpoint, its calls as targets into
/// that list, in order. A publish is a call to the topic's broker, the topic its endpoint.
pub(super) fn resolve_calls(
    scenario: &Scenario,
    service: &schema::Service,
    layout: &Layout,
) -> ResolvedCalls {
    let mut callees: Vec<usize> = Vec::new();
    let mut target = |call: &schema::Call| {
        let (callee, callee_endpoint) = callee_of(scenario, layout, call);
        let upstream = callees
            .iter()
            .position(|&c| c == callee)
            .unwrap_or_else(|| {
                callees.push(callee);
                callees.len() - 1
            });
        CallTarget {
            upstream: upstream as u16,
            endpoint: callee_endpoint as u32,
        }
    };
    let mut endpoint_calls = Vec::new();
    let mut failure_calls = Vec::new();
    let mut sagas = Vec::new();
    let mut caches = Vec::new();
    for endpoint in &service.endpoints {
        caches.push(endpoint.cache.as_ref().map(|cache| {
            let operation = |op: &str| schema::Call {
                service: None,
                endpoint: None,
                topic: None,
                store: Some(cache.store.clone()),
                op: Some(op.to_owned()),
            };
            (target(&operation("GET")), target(&operation("SETEX")))
        }));
        endpoint_calls.push(endpoint.calls.iter().map(&mut target).collect());
        failure_calls.push(endpoint.on_failure.iter().map(&mut target).collect());
        let saga = scenario
            .sagas
            .iter()
            .find(|saga| saga.service == service.name && saga.endpoint == endpoint.name);
        sagas.push(saga.map(|saga| {
            Arc::new(SagaPlan {
                steps: saga
                    .steps
                    .iter()
                    .map(|step| SagaStepPlan {
                        action: target(&step.action),
                        compensation: step.compensation.as_ref().map(&mut target),
                    })
                    .collect(),
                step_retries: saga.step_retries,
            })
        }));
    }
    ResolvedCalls {
        upstream_names: scenario
            .services
            .iter()
            .map(|service| service.name.clone())
            .chain(scenario.brokers.iter().map(|broker| broker.name.clone()))
            .chain(scenario.stores.iter().map(|store| store.name.clone()))
            .collect(),
        callees,
        endpoint_calls,
        failure_calls,
        sagas,
        caches,
    }
}

/// What a service calls: its sidecar's upstreams (indices into [`upstream_configs`](super::upstreams::upstream_configs)), and per
/// endpoint its calls and its saga, as targets into those upstreams.
pub(super) struct ResolvedCalls {
    /// The upstream index of each service, broker and store by name (services, then brokers,
    /// then stores, as [`upstream_configs`](super::upstreams::upstream_configs) lists them).
    pub(super) upstream_names: Vec<String>,
    pub(super) callees: Vec<usize>,
    pub(super) endpoint_calls: Vec<Vec<CallTarget>>,
    pub(super) failure_calls: Vec<Vec<CallTarget>>,
    pub(super) sagas: Vec<Option<Arc<SagaPlan>>>,
    /// Per endpoint, its cache's `GET` and `SETEX`.
    pub(super) caches: Vec<Option<(CallTarget, CallTarget)>>,
}

impl ResolvedCalls {
    pub(super) fn upstream_index_of(&self, name: &str) -> usize {
        self.upstream_names
            .iter()
            .position(|candidate| candidate == name)
            .expect("validated name")
    }
}

/// A call's callee, as an index into [`upstream_configs`](super::upstreams::upstream_configs) (services, then brokers, then stores),
/// and the endpoint there: a service's endpoint, a broker's topic, a store's operation.
pub(super) fn callee_of(
    scenario: &Scenario,
    layout: &Layout,
    call: &schema::Call,
) -> (usize, usize) {
    let services = scenario.services.len();
    let brokers = scenario.brokers.len();
    match (
        &call.service,
        &call.endpoint,
        &call.topic,
        &call.store,
        &call.op,
    ) {
        (Some(callee_name), Some(endpoint_name), ..) => {
            let callee = layout
                .services
                .get_index_of(callee_name)
                .expect("validated callee");
            let callee_endpoint = scenario.services[callee]
                .endpoints
                .iter()
                .position(|e| &e.name == endpoint_name)
                .expect("validated endpoint");
            (callee, callee_endpoint)
        }
        (_, _, Some(topic), ..) => {
            let (broker, topic) = scenario
                .brokers
                .iter()
                .enumerate()
                .find_map(|(index, broker)| {
                    broker
                        .topics
                        .iter()
                        .position(|t| t == topic)
                        .map(|topic| (index, topic))
                })
                .expect("validated topic");
            (services + broker, topic)
        }
        (_, _, _, Some(store), Some(op)) => {
            let index = layout.stores.get_index_of(store).expect("validated store");
            let operation = store_kind(&scenario.stores[index])
                .operation_index(op)
                .expect("validated operation");
            (services + brokers + index, operation as usize)
        }
        _ => unreachable!("validated call: a service and endpoint, a topic, or a store operation"),
    }
}
