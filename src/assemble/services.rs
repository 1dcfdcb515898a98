//! Each service's instances: one configuration per version, shared by its instances, and one
//! sidecar per instance.

use std::sync::Arc;

use meshsim_models::{
    Concurrency, EndpointConfig, InboundPolicy, Node, Readiness, ServiceConfig, ServiceInstance,
    Sidecar, UpstreamConfig,
};
use meshsim_record::VersionKey;
use meshsim_sim::{Distribution, GroupId, NodeId, Seeder};

use super::autoscalers;
use super::calls::{ResolvedCalls, resolve_calls};
use super::distribution::distribution;
use super::upstreams::sidecar_upstreams;
use crate::layout::Layout;
use crate::mesh;
use crate::rollout;
use crate::scenario::resolved::Resolved;
use crate::scenario::schema;
use crate::scenario::{Duration, Real};

/// The upstreams of a service's sidecar (indices into the scenario's upstreams: services,
/// then brokers, then stores): what its endpoints call, in the order they call it.
fn model_callees(scenario: Resolved<'_>, resolved: &ResolvedCalls) -> Vec<usize> {
    let mut callees = resolved.callees.clone();
    rollout::add_strangler_callees(&scenario, &mut callees);
    callees
}

/// The upstreams of the sidecar of an instance whose work is code: the model's, in their
/// order, then every other service and store of the scenario, since code may call any of them
/// (as an application in Istio's mesh reaches every service by default). A broker is reached
/// by publishing, which code does not do over HTTP.
pub(crate) fn code_callees(scenario: Resolved<'_>, service_index: usize) -> Vec<usize> {
    let resolved = resolve_calls(scenario, service_index);
    with_every_upstream(scenario, model_callees(scenario, &resolved))
}

/// `callees`, then every service and store of the scenario not among them.
fn with_every_upstream(scenario: Resolved<'_>, mut callees: Vec<usize>) -> Vec<usize> {
    let services = scenario.services.len();
    let stores = services + scenario.brokers.len()
        ..services + scenario.brokers.len() + scenario.stores.len();
    for upstream in (0..services).chain(stores) {
        if !callees.contains(&upstream) {
            callees.push(upstream);
        }
    }
    callees
}

/// Pushes every service's instances onto `models`, in node order, each recorded as a holder
/// of the upstreams its sidecar calls. The versions in `code` do their work in code.
#[allow(clippy::too_many_arguments)] // The assembly's shared parts, each named.
pub(super) fn add_models(
    scenario: Resolved<'_>,
    layout: &Layout,
    upstreams: &[Arc<UpstreamConfig>],
    group_names: &Arc<[Arc<str>]>,
    seeder: Seeder,
    code: &[(usize, usize)],
    holders: &mut [Vec<NodeId>],
    models: &mut Vec<Node>,
) {
    for (service_index, service) in scenario.services.iter().enumerate() {
        let service_layout = &layout.services[service_index];
        let resolved = resolve_calls(scenario, service_index);
        let model_callees = model_callees(scenario, &resolved);
        // Computed once for the service, and only when one of its versions runs code.
        let code_callees = code
            .iter()
            .any(|&(service, _)| service == service_index)
            .then(|| with_every_upstream(scenario, model_callees.clone()));
        for (version_index, (version_name, range)) in service_layout.versions.iter().enumerate() {
            let runs_code = code.contains(&(service_index, version_index));
            let callees = match &code_callees {
                Some(code_callees) if runs_code => code_callees,
                _ => &model_callees,
            };
            let mut config = service_config(
                &scenario.rollouts,
                &scenario.workloads,
                service,
                mesh::inbound_policy(
                    &scenario.resolution.policies.services[service_index],
                    allowed_groups(scenario, layout, service_index),
                    group_names,
                ),
                version_name,
                VersionKey::new(service_layout.group, version_index as u32),
                &resolved,
            );
            config.runs_code = runs_code;
            let config = Arc::new(config);
            for instance_index in range.clone() {
                let node = service_layout.instances[instance_index];
                let name = format!("{}/{instance_index}", service.name);
                let sidecar_upstreams = sidecar_upstreams(node, callees, upstreams, holders);
                let sidecar = Sidecar::new(
                    node,
                    service_layout.group,
                    &name,
                    sidecar_upstreams,
                    seeder.stream(&format!("sidecar/{name}")),
                );
                let rng = (
                    seeder.stream(&format!("instance/{name}")),
                    seeder.stream(&format!("calls/{name}")),
                );
                let mut instance =
                    ServiceInstance::new(node, &name, Arc::clone(&config), rng, sidecar);
                if autoscalers::standby_range(service).contains(&(instance_index as u32)) {
                    instance.stand_by();
                }
                models.push(Node::Service(Box::new(instance)));
            }
        }
    }
}

/// The groups of the callers service `service_index`'s `allow_from` lets in; `None` lets in
/// every caller.
fn allowed_groups(
    scenario: Resolved<'_>,
    layout: &Layout,
    service_index: usize,
) -> Option<Vec<GroupId>> {
    scenario.resolution.allow_from[service_index]
        .as_ref()
        .map(|callers| {
            callers
                .iter()
                .map(|caller| layout.services[caller.index()].group)
                .collect()
        })
}

/// Whether a rollout's controller scrapes `service`'s instances (the rollout's own service; a
/// strangler's is the new one).
fn rollouts_scrape(rollouts: &[schema::Rollout], service: &str) -> bool {
    rollouts.iter().any(|rollout| rollout.service == service)
}

fn service_config(
    rollouts: &[schema::Rollout],
    workloads: &[schema::Workload],
    service: &schema::Service,
    inbound: InboundPolicy,
    version_name: &str,
    key: VersionKey,
    resolved: &ResolvedCalls,
) -> ServiceConfig {
    let version_index = service
        .versions
        .iter()
        .position(|version| version.name == version_name);
    let version = version_index.map(|index| &service.versions[index]);
    let factor = version
        .and_then(|v| v.service_time_factor)
        .map_or(1.0, Real::get);
    let error_override = version.and_then(|v| v.error_rate).map(Real::get);
    let endpoints = service
        .endpoints
        .iter()
        .enumerate()
        .map(|(index, endpoint)| {
            let replaced = version_index.and_then(|version_index| {
                let entries = &service.versions[version_index].endpoints;
                let place = entries
                    .iter()
                    .position(|entry| entry.name == endpoint.name)?;
                Some((
                    &entries[place],
                    &resolved.version_calls[version_index][place],
                ))
            });
            let (entry, calls) = replaced.unzip();
            EndpointConfig {
                // A version's own service time is its own: the version's factor scales only the
                // endpoint's.
                service_time: match entry.and_then(|entry| entry.service_time.as_ref()) {
                    Some(own) => distribution(own),
                    None => endpoint
                        .service_time
                        .as_ref()
                        .map_or(Distribution::ZERO, distribution)
                        .scaled(factor),
                },
                error_rate: entry
                    .and_then(|entry| entry.error_rate)
                    .map(Real::get)
                    .or(error_override)
                    .unwrap_or(endpoint.error_rate.get()),
                calls: calls
                    .and_then(Option::as_ref)
                    .unwrap_or(&resolved.endpoint_calls[index])
                    .clone(),
                on_failure: resolved.failure_calls[index].clone(),
                saga: resolved.sagas[index].clone(),
                cache: resolved.caches[index],
                auth: endpoint
                    .auth
                    .as_ref()
                    .map(|header| mesh::auth_conditions(header, workloads)),
            }
        })
        .collect();
    let gated = !service.depends_on.is_empty() || service.start_time.is_some();
    let readiness = gated.then(|| Readiness {
        start_time_ns: service.start_time.map_or(0, Duration::as_nanos),
        depends_on: resolved
            .depends_on
            .iter()
            .map(|&upstream| {
                // The checker refuses a `depends_on` the service does not call.
                let position = resolved
                    .callees
                    .iter()
                    .position(|&callee| callee == upstream)
                    .expect("a dependency is one of the service's callees");
                position as u16
            })
            .collect(),
    });
    let mut inbound = inbound;
    inbound.client_rate_limit = service
        .client_rate_limit
        .as_ref()
        .map(|limit| (limit.max, limit.window.as_nanos()));
    // The seed's services answer 500 for any failed call, its gateway 503 for a refused one.
    inbound.refused_status = service.refused_status.unwrap_or(500);
    ServiceConfig {
        key,
        workers: service.workers,
        queue: service.queue,
        concurrency: if service.is_event_loop() {
            Concurrency::EventLoop
        } else {
            Concurrency::Threads
        },
        cores: service.cores_per_instance(),
        endpoints,
        inbound,
        readiness,
        exports_metrics: rollouts_scrape(rollouts, &service.name),
        runs_code: false,
    }
}
