//! What each service calls: its sidecar's upstreams and, per endpoint, its calls, failure
//! calls, saga and cache as targets into them.

use std::sync::Arc;

use meshsim_models::{AppCall, CallPolicy, CallStep, CallTarget, OnError, SagaPlan, SagaStepPlan};

use super::distribution::distribution;
use crate::scenario::duration::Duration;
use crate::scenario::resolved::{
    Call, CallBehaviour, CallFailure, Callee, EndpointId, OpIndex, Resolved, TopicId,
};
use crate::scenario::schema::{self, CallEntry, Scenario};

/// The services, brokers and stores service `service_index` calls (its sidecar's upstreams,
/// by index into [`upstream_configs`](super::upstreams::upstream_configs): services, then
/// brokers, then stores) and, per endpoint, its calls as targets into that list, in order. A
/// publish is a call to the topic's broker, the topic its endpoint.
pub(super) fn resolve_calls(scenario: Resolved<'_>, service_index: usize) -> ResolvedCalls {
    let service = &scenario.services[service_index];
    let mut callees: Vec<usize> = Vec::new();
    let mut target = |call: &Call| {
        let (callee, callee_endpoint) = callee_of(&scenario, *call);
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
    let resolved_endpoints = &scenario.resolution.endpoints[service_index];
    for (endpoint, resolved) in service.endpoints.iter().zip(resolved_endpoints) {
        caches.push(
            resolved
                .cache
                .map(|(get, set)| (target(&get), target(&set))),
        );
        // Every call in the order written, a parallel's members in place, then grouped again
        // into the entries they were written in.
        let calls = resolved
            .calls
            .iter()
            .zip(&resolved.behaviours)
            .zip(endpoint.calls.iter().flat_map(CallEntry::calls))
            .map(|((call, behaviour), entry)| AppCall {
                target: target(call),
                policy: call_policy(behaviour, entry),
            });
        let steps = call_steps(&endpoint.calls, &resolved.steps, calls);
        endpoint_calls.push(steps);
        failure_calls.push(resolved.on_failure.iter().map(&mut target).collect());
        let saga = scenario
            .sagas
            .iter()
            .position(|saga| saga.service == service.name && saga.endpoint == endpoint.name);
        sagas.push(saga.map(|saga| {
            Arc::new(SagaPlan {
                steps: scenario.resolution.sagas[saga]
                    .iter()
                    .map(|step| SagaStepPlan {
                        action: target(&step.action),
                        compensation: step.compensation.as_ref().map(&mut target),
                    })
                    .collect(),
                step_retries: scenario.sagas[saga].step_retries,
            })
        }));
    }
    // After the endpoints' own calls, so a scenario without a version's calls keeps its
    // upstreams' order, and with it every draw.
    let version_calls = scenario.resolution.version_calls[service_index]
        .iter()
        .zip(&service.versions)
        .map(|(replaced, version)| {
            replaced
                .iter()
                .zip(&version.endpoints)
                .map(|(replaced, entry)| {
                    let (replaced, entries) = (replaced.as_ref()?, entry.calls.as_ref()?);
                    let calls = replaced
                        .calls
                        .iter()
                        .zip(&replaced.behaviours)
                        .zip(entries.iter().flat_map(CallEntry::calls))
                        .map(|((call, behaviour), entry)| AppCall {
                            target: target(call),
                            policy: call_policy(behaviour, entry),
                        });
                    Some(call_steps(entries, &replaced.steps, calls))
                })
                .collect()
        })
        .collect();
    let depends_on = scenario.resolution.depends_on[service_index]
        .iter()
        .map(|&callee| upstream_of(&scenario, callee))
        .collect();
    ResolvedCalls {
        depends_on,
        callees,
        endpoint_calls,
        version_calls,
        failure_calls,
        sagas,
        caches,
    }
}

/// Groups `calls` (every call in the order written, a `parallel`'s members in place) back into
/// the entries they were written in, `sizes` holding how many calls each entry has.
fn call_steps(
    entries: &[CallEntry],
    sizes: &[usize],
    mut calls: impl Iterator<Item = AppCall>,
) -> Vec<CallStep> {
    entries
        .iter()
        .zip(sizes)
        .filter_map(|(entry, &size)| match entry {
            CallEntry::Call(_) => calls.next().map(CallStep::One),
            CallEntry::Parallel(_) => Some(CallStep::Parallel(calls.by_ref().take(size).collect())),
        })
        .collect()
}

/// What a service calls: its sidecar's upstreams (indices into [`upstream_configs`](super::upstreams::upstream_configs)), and per
/// endpoint its calls and its saga, as targets into those upstreams.
pub(super) struct ResolvedCalls {
    /// What the service's `depends_on` names, as indices into
    /// [`upstream_configs`](super::upstreams::upstream_configs).
    pub(super) depends_on: Vec<usize>,
    pub(super) callees: Vec<usize>,
    pub(super) endpoint_calls: Vec<Vec<CallStep>>,
    /// Per `[[service.version]]` in the file's order, per `[[service.version.endpoint]]`, the
    /// calls it replaces the endpoint's with, if it does.
    pub(super) version_calls: Vec<Vec<Option<Vec<CallStep>>>>,
    pub(super) failure_calls: Vec<Vec<CallTarget>>,
    pub(super) sagas: Vec<Option<Arc<SagaPlan>>>,
    /// Per endpoint, its cache's `GET` and `SETEX`.
    pub(super) caches: Vec<Option<(CallTarget, CallTarget)>>,
}

/// What the application does with a call: the resolved keys, and the back-off's distribution
/// built from the file's, as service times are.
fn call_policy(behaviour: &CallBehaviour, entry: &schema::Call) -> CallPolicy {
    CallPolicy {
        timeout_ns: behaviour.timeout.map(Duration::as_nanos),
        retries: behaviour.retries,
        retry_backoff: entry.retry_backoff.as_ref().map(distribution),
        on_error: match behaviour.on_error {
            CallFailure::Fail => OnError::Fail,
            CallFailure::Continue => OnError::Continue,
            CallFailure::Status(status) => OnError::Status(status),
        },
        probability: behaviour.probability,
    }
}

/// The index of `callee` into [`upstream_configs`](super::upstreams::upstream_configs):
/// services, then brokers, then stores.
fn upstream_of(scenario: &Scenario, callee: Callee) -> usize {
    let services = scenario.services.len();
    match callee {
        Callee::Service(service) => service.index(),
        Callee::Broker(broker) => services + broker.index(),
        Callee::Store(store) => services + scenario.brokers.len() + store.index(),
    }
}

/// A call's callee, as an index into [`upstream_configs`](super::upstreams::upstream_configs)
/// (services, then brokers, then stores), and the endpoint there: a service's endpoint, a
/// broker's topic, a store's operation.
fn callee_of(scenario: &Scenario, call: Call) -> (usize, usize) {
    let services = scenario.services.len();
    let brokers = scenario.brokers.len();
    match call {
        Call::Sync(EndpointId(service, endpoint)) => (service.index(), usize::from(endpoint)),
        Call::Publish(broker, TopicId(topic)) => (services + broker.index(), usize::from(topic)),
        Call::Store(store, OpIndex(operation)) => {
            (services + brokers + store.index(), usize::from(operation))
        }
    }
}
