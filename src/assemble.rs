//! Assembly: a validated scenario becomes a network of nodes, their models and the fault
//! timeline, ready for an engine.
//!
//! Nodes are numbered services first (each service's base version "v1" first, then its
//! `[[service.version]]`s in order, so `payment/2` is the third instance declared), then one
//! client per workload. Every random stream is forked by a name that says whose it is.

use std::sync::Arc;

use indexmap::IndexMap;
use meshsim_models::{
    ArrivalConfig, Broker, BrokerConfig, CallTarget, EndpointConfig, HeaderDistribution,
    InboundPolicy, Node, Readiness, SagaPlan, SagaStepPlan, ServiceConfig, ServiceInstance,
    Sidecar, Store, StoreConfig, StoreKind, SubscriptionConfig, UpstreamConfig, WorkloadClient,
    WorkloadConfig,
};
use meshsim_record::{
    Catalog, ClientId, GroupInfo, NodeInfo, Recorder, RecorderOutputs, SubscriptionInfo,
    VersionInfo, VersionKey,
};
use meshsim_sim::control::{Effect, Rule};
use meshsim_sim::network::LinkConfig;
use meshsim_sim::{
    Control, ControlAction, Distribution, Engine, GroupId, Network, NodeId, Seeder, Selector,
    SimTime,
};

pub use crate::layout::{BASE_VERSION, Layout, ServiceLayout, WorkloadLayout};
use crate::mesh;
use crate::rollout;
use crate::scenario::schema::{self, Arrival, FaultKind, Scenario};
use crate::scenario::{DocPath, Duration, Real};

/// A scenario laid out on the event engine.
pub struct Assembly {
    pub engine: Engine<Node, Recorder>,
    pub end: SimTime,
    pub layout: Layout,
}

/// A scenario laid out for any engine: the network, one model per node, the recorder and the
/// fault timeline.
pub struct Parts {
    pub network: Network,
    pub models: Vec<Node>,
    pub recorder: Recorder,
    pub controls: Vec<Control>,
    pub end: SimTime,
    pub layout: Layout,
}

pub fn distribution(spec: &schema::Distribution) -> Distribution {
    match *spec {
        schema::Distribution::Const { value } => Distribution::Const {
            value_ns: value.as_nanos(),
        },
        schema::Distribution::Uniform { min, max } => Distribution::Uniform {
            min_ns: min.as_nanos(),
            max_ns: max.as_nanos(),
        },
        schema::Distribution::Exp { mean } => Distribution::Exp {
            mean_ns: mean.as_nanos() as f64,
        },
        schema::Distribution::Normal { mean, stddev } => Distribution::Normal {
            mean_ns: mean.as_nanos() as f64,
            stddev_ns: stddev.as_nanos() as f64,
        },
        schema::Distribution::Lognormal { median, p99 } => {
            Distribution::lognormal(median.as_nanos(), p99.as_nanos())
        }
    }
}

/// Builds the event engine for `scenario` and `seed`.
pub fn assemble(scenario: &Scenario, seed: u64, outputs: RecorderOutputs) -> Assembly {
    let parts = assemble_parts(scenario, seed, outputs);
    Assembly {
        engine: Engine::new(parts.network, parts.models, parts.recorder, parts.controls),
        end: parts.end,
        layout: parts.layout,
    }
}

/// Builds the network, models, recorder and controls of `scenario` for `seed`.
pub fn assemble_parts(scenario: &Scenario, seed: u64, outputs: RecorderOutputs) -> Parts {
    let seeder = Seeder::new(seed);
    let trace_sample_rate = outputs
        .trace
        .as_ref()
        .map_or(0.0, |trace| trace.sample_rate);
    let default_latency = scenario
        .network
        .latency
        .as_ref()
        .map_or(Distribution::ZERO, distribution);
    let mut network = Network::new(seeder, default_latency, scenario.network.loss.get());
    network.set_discovery_delay_ns(scenario.network.discovery_delay.as_nanos());

    let layout = lay_out(scenario, &mut network);
    for link in &scenario.network.link {
        let [a, b] = [&link.between[0], &link.between[1]].map(|name| group_of(&layout, name));
        let config = LinkConfig {
            latency: link.latency.as_ref().map(distribution),
            loss: link.loss.map(Real::get),
        };
        network.set_link(a, b, config);
    }

    let upstreams = upstream_configs(scenario, &layout);
    // Groups are numbered services first, then workloads, as `lay_out` added them.
    let group_names: Arc<[Arc<str>]> = layout
        .services
        .keys()
        .chain(layout.workloads.keys())
        .chain(layout.brokers.keys())
        .chain(layout.stores.keys())
        .map(|name| Arc::from(name.as_str()))
        .chain(
            scenario
                .rollouts
                .iter()
                .map(|rollout| Arc::from(rollout::controller_name(rollout).as_str())),
        )
        .collect();
    for (index, name) in group_names
        .iter()
        .enumerate()
        .take(group_names.len() - layout.rollouts.len())
    {
        assert_eq!(
            group_of(&layout, name).0 as usize,
            index,
            "groups numbered in order"
        );
    }
    // The nodes holding each upstream's routes and endpoints, for the rollout controllers.
    let mut holders: Vec<Vec<NodeId>> = vec![Vec::new(); upstreams.len()];
    let mut models = Vec::with_capacity(network.node_count());
    for (service_index, service) in scenario.services.iter().enumerate() {
        let service_layout = &layout.services[service_index];
        let resolved = resolve_calls(scenario, service, &layout);
        let mut callees = resolved.callees.clone();
        rollout::add_strangler_callees(scenario, &mut callees);
        for (version_index, (version_name, range)) in service_layout.versions.iter().enumerate() {
            let config = Arc::new(service_config(
                &scenario.rollouts,
                &scenario.workloads,
                service,
                mesh::inbound_policy(
                    &effective_policy(scenario, &service.name, false),
                    |caller| group_of(&layout, caller),
                    &group_names,
                ),
                version_name,
                VersionKey::new(service_layout.group, version_index as u32),
                &resolved,
            ));
            for instance_index in range.clone() {
                let node = service_layout.instances[instance_index];
                let name = format!("{}/{instance_index}", service.name);
                let sidecar_upstreams = sidecar_upstreams(node, &callees, &upstreams, &mut holders);
                let sidecar = Sidecar::new(
                    node,
                    service_layout.group,
                    &name,
                    sidecar_upstreams,
                    seeder.stream(&format!("sidecar/{name}")),
                );
                let rng = seeder.stream(&format!("instance/{name}"));
                models.push(Node::Service(Box::new(ServiceInstance::new(
                    node,
                    &name,
                    Arc::clone(&config),
                    rng,
                    sidecar,
                ))));
            }
        }
    }
    for (client_index, workload) in scenario.workloads.iter().enumerate() {
        models.push(Node::Client(Box::new(workload_client(
            scenario,
            &layout,
            workload,
            client_index,
            trace_sample_rate,
            &upstreams,
            seeder,
            &mut holders,
        ))));
    }

    for config in broker_configs(scenario, &layout) {
        models.push(Node::Broker(Box::new(Broker::new(Arc::new(config)))));
    }
    for (index, store) in scenario.stores.iter().enumerate() {
        let config = StoreConfig {
            group: layout.stores[index].group,
            kind: store_kind(store),
            workers: store.workers,
            service_time: store
                .service_time
                .as_ref()
                .map_or(Distribution::ZERO, distribution),
            idempotent: store.idempotent,
            row_locks: store.row_locks,
        };
        let rng = seeder.stream(&format!("store/{}", store.name));
        models.push(Node::Store(Box::new(Store::new(
            layout.stores[index].node,
            Arc::new(config),
            rng,
        ))));
    }

    // The brokers delivering to each service, for a rolling update's endpoint changes.
    let mut subscribers: Vec<Vec<NodeId>> = vec![Vec::new(); scenario.services.len()];
    for subscription in &scenario.subscriptions {
        let service = layout
            .services
            .get_index_of(&subscription.service)
            .expect("validated subscriber");
        for (index, broker) in scenario.brokers.iter().enumerate() {
            let node = layout.brokers[index].node;
            if broker.topics.contains(&subscription.topic) && !subscribers[service].contains(&node)
            {
                subscribers[service].push(node);
            }
        }
    }
    // Each instance tells its callers (and the brokers delivering to it) when it is ready.
    for (service_index, service_layout) in layout.services.values().enumerate() {
        let mut listeners = holders[service_index].clone();
        listeners.extend(&subscribers[service_index]);
        for &node in &service_layout.instances {
            if let Node::Service(instance) = &mut models[node.index()] {
                instance.announce_to(listeners.clone());
            }
        }
    }
    for index in 0..scenario.rollouts.len() {
        models.push(Node::Rollout(Box::new(rollout::controller(
            scenario,
            &layout,
            index,
            &holders,
            &subscribers,
        ))));
    }

    let catalog = catalog(scenario, &layout);
    let recorder = Recorder::new(catalog, outputs);
    let end = SimTime::from_nanos(scenario.scenario.duration.as_nanos());
    let controls = controls(scenario, &layout);
    Parts {
        network,
        models,
        recorder,
        controls,
        end,
        layout,
    }
}

fn lay_out(scenario: &Scenario, network: &mut Network) -> Layout {
    let mut services = IndexMap::new();
    for service in &scenario.services {
        let group = network.add_group(&service.name, false, !service.exposed);
        let mut instances = Vec::new();
        let mut versions = Vec::new();
        let counts = std::iter::once((BASE_VERSION.to_owned(), service.replicas)).chain(
            service
                .versions
                .iter()
                .map(|version| (version.name.clone(), version.replicas)),
        );
        for (version_name, replicas) in counts {
            let first = instances.len();
            for _ in 0..replicas {
                let name = format!("{}/{}", service.name, instances.len());
                instances.push(network.add_node(group, &name));
            }
            versions.push((version_name, first..instances.len()));
        }
        services.insert(
            service.name.clone(),
            ServiceLayout {
                group,
                instances,
                versions,
            },
        );
    }
    let mut workloads = IndexMap::new();
    for workload in &scenario.workloads {
        let group = network.add_group(&workload.name, true, false);
        let node = network.add_node(group, &workload.name);
        workloads.insert(workload.name.clone(), WorkloadLayout { group, node });
    }
    // Brokers come last, so services' and workloads' numbers do not depend on them.
    let mut brokers = IndexMap::new();
    for broker in &scenario.brokers {
        let group = network.add_group(&broker.name, false, true);
        let node = network.add_node(group, &broker.name);
        brokers.insert(broker.name.clone(), WorkloadLayout { group, node });
    }
    // Stores after brokers, for the same reason.
    let mut stores = IndexMap::new();
    for store in &scenario.stores {
        let group = network.add_group(&store.name, false, true);
        let node = network.add_node(group, &store.name);
        stores.insert(store.name.clone(), WorkloadLayout { group, node });
    }
    // Rollout controllers last of all.
    let rollouts = scenario
        .rollouts
        .iter()
        .map(|rollout| {
            let name = rollout::controller_name(rollout);
            let group = network.add_group(&name, false, true);
            let node = network.add_node(group, &name);
            WorkloadLayout { group, node }
        })
        .collect();
    Layout {
        services,
        workloads,
        brokers,
        stores,
        rollouts,
    }
}

/// A service's or a workload's group, by name; validation guarantees it exists.
fn group_of(layout: &Layout, name: &str) -> GroupId {
    if let Some(service) = layout.services.get(name) {
        return service.group;
    }
    layout
        .workloads
        .get(name)
        .or_else(|| layout.brokers.get(name))
        .or_else(|| layout.stores.get(name))
        .unwrap_or_else(|| panic!("validated name `{name}`"))
        .group
}

/// One upstream configuration per service, shared by every caller's sidecar.
/// One upstream configuration per service and then per broker (a publish is a call to the
/// broker), shared by every caller's sidecar.
fn upstream_configs(scenario: &Scenario, layout: &Layout) -> Vec<Arc<UpstreamConfig>> {
    let services = scenario
        .services
        .iter()
        .enumerate()
        .map(|(index, service)| {
            let service_layout = &layout.services[index];
            let subsets = service_layout
                .versions
                .iter()
                .map(|(_, range)| range.start as u32..range.end as u32)
                .collect();
            let mut config = mesh::upstream_config(
                service_layout.group,
                &service.name,
                service_layout.instances.clone(),
                subsets,
                &effective_policy(scenario, &service.name, false),
            );
            if let Some(policy) = scenario.mesh.get(&service.name) {
                config.routes =
                    mesh::route_table(&policy.route, &service_layout.versions, &scenario.workloads);
            }
            rollout::shape_upstream(scenario, layout, index, &mut config);
            config.gated = !service.depends_on.is_empty() || service.start_time.is_some();
            Arc::new(config)
        });
    let brokers = scenario.brokers.iter().enumerate().map(|(index, broker)| {
        Arc::new(mesh::single_node_upstream_config(
            layout.brokers[index].group,
            &broker.name,
            layout.brokers[index].node,
            &effective_policy(scenario, &broker.name, true),
            mesh::PUBLISH_CONFIRM_TIMEOUT_NS,
        ))
    });
    let stores = scenario.stores.iter().enumerate().map(|(index, store)| {
        Arc::new(mesh::single_node_upstream_config(
            layout.stores[index].group,
            &store.name,
            layout.stores[index].node,
            &effective_policy(scenario, &store.name, true),
            mesh::STORE_CALL_TIMEOUT_NS,
        ))
    });
    services.chain(brokers).chain(stores).collect()
}

/// The policy on calls to `name` under the scenario's mesh profile; `tcp` for a store or a
/// broker, whose clients speak their own protocols over TCP.
pub fn effective_policy(scenario: &Scenario, name: &str, tcp: bool) -> mesh::Effective {
    mesh::resolve(
        scenario.profile(),
        scenario.mesh.get(name),
        tcp,
        &DocPath::root().key("mesh").key(name),
        None,
    )
}

/// Each broker's model: its topics' fan-out to the subscriptions, each subscriber's instances
/// as consumers with a prefetch of their workers. Subscriptions are numbered across brokers in
/// the catalog's order.
fn broker_configs(scenario: &Scenario, layout: &Layout) -> Vec<BrokerConfig> {
    let mut catalog_index = 0u32;
    scenario
        .brokers
        .iter()
        .enumerate()
        .map(|(index, broker)| {
            let mut topics = vec![Vec::new(); broker.topics.len()];
            let mut subscriptions = Vec::new();
            for subscription in &scenario.subscriptions {
                let Some(topic) = broker.topics.iter().position(|t| *t == subscription.topic)
                else {
                    continue;
                };
                let service_index = layout
                    .services
                    .get_index_of(&subscription.service)
                    .expect("validated subscriber");
                let service = &scenario.services[service_index];
                let endpoint = service
                    .endpoints
                    .iter()
                    .position(|e| e.name == subscription.endpoint)
                    .expect("validated endpoint");
                topics[topic].push(subscriptions.len());
                subscriptions.push(SubscriptionConfig {
                    catalog_index,
                    group: layout.services[service_index].group,
                    consumers: layout.services[service_index].instances.clone(),
                    endpoint: endpoint as u32,
                    prefetch: service.workers,
                    undeployed: if service.depends_on.is_empty() && service.start_time.is_none() {
                        rollout::undeployed_nodes(scenario, layout, &service.name)
                    } else {
                        // Not ready at the start: each joins the consumers when it says so.
                        layout.services[service_index].instances.clone()
                    },
                });
                catalog_index += 1;
            }
            BrokerConfig {
                group: layout.brokers[index].group,
                ack_timeout_ns: broker.ack_timeout.as_nanos(),
                max_deliveries: broker.max_deliveries,
                redelivery_delay_ns: broker.redelivery_delay.as_nanos(),
                topics,
                subscriptions,
            }
        })
        .collect()
}

/// The services and brokers `service` calls (its sidecar's upstreams, by index into
/// [`upstream_configs`]: services, then brokers) and, per endpoint, its calls as targets into
/// that list, in order. A publish is a call to the topic's broker, the topic its endpoint.
fn resolve_calls(scenario: &Scenario, service: &schema::Service, layout: &Layout) -> ResolvedCalls {
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

/// What a service calls: its sidecar's upstreams (indices into [`upstream_configs`]), and per
/// endpoint its calls and its saga, as targets into those upstreams.
struct ResolvedCalls {
    /// The upstream index of each service, broker and store by name (services, then brokers,
    /// then stores, as [`upstream_configs`] lists them).
    upstream_names: Vec<String>,
    callees: Vec<usize>,
    endpoint_calls: Vec<Vec<CallTarget>>,
    failure_calls: Vec<Vec<CallTarget>>,
    sagas: Vec<Option<Arc<SagaPlan>>>,
    /// Per endpoint, its cache's `GET` and `SETEX`.
    caches: Vec<Option<(CallTarget, CallTarget)>>,
}

impl ResolvedCalls {
    fn upstream_index_of(&self, name: &str) -> usize {
        self.upstream_names
            .iter()
            .position(|candidate| candidate == name)
            .expect("validated name")
    }
}

/// A call's callee, as an index into [`upstream_configs`] (services, then brokers, then stores),
/// and the endpoint there: a service's endpoint, a broker's topic, a store's operation.
fn callee_of(scenario: &Scenario, layout: &Layout, call: &schema::Call) -> (usize, usize) {
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

fn store_kind(store: &schema::Store) -> StoreKind {
    match store.kind {
        schema::StoreKind::Stock => StoreKind::Stock {
            products: store.products.expect("validated stock store"),
            stock_per_product: store.stock_per_product.expect("validated stock store"),
        },
        schema::StoreKind::Ledger => StoreKind::Ledger,
        schema::StoreKind::Orders => StoreKind::Orders,
        schema::StoreKind::Redis => StoreKind::KeyValue {
            keys: store.keys.unwrap_or(REDIS_KEYS_DEFAULT),
            key_skew_thousandths: (store.key_skew.map_or(1.0, Real::get) * 1000.0).round() as u32,
            ttl_ns: store.ttl.map_or(REDIS_TTL_DEFAULT_NS, Duration::as_nanos),
        },
    }
}

/// Keys a Redis store's requests spread over when `keys` is omitted.
const REDIS_KEYS_DEFAULT: u32 = 1_000;

/// The time to live of a Redis store's `SETEX` when `ttl` is omitted: a minute.
const REDIS_TTL_DEFAULT_NS: u64 = 60_000_000_000;

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
    let version = service
        .versions
        .iter()
        .find(|version| version.name == version_name);
    let factor = version
        .and_then(|v| v.service_time_factor)
        .map_or(1.0, Real::get);
    let error_override = version.and_then(|v| v.error_rate).map(Real::get);
    let endpoints = service
        .endpoints
        .iter()
        .enumerate()
        .map(|(index, endpoint)| EndpointConfig {
            service_time: endpoint
                .service_time
                .as_ref()
                .map_or(Distribution::ZERO, distribution)
                .scaled(factor),
            error_rate: error_override.unwrap_or(endpoint.error_rate.get()),
            calls: resolved.endpoint_calls[index].clone(),
            on_failure: resolved.failure_calls[index].clone(),
            saga: resolved.sagas[index].clone(),
            cache: resolved.caches[index],
            auth: endpoint
                .auth
                .as_ref()
                .map(|header| mesh::auth_conditions(header, workloads)),
        })
        .collect();
    let gated = !service.depends_on.is_empty() || service.start_time.is_some();
    let readiness = gated.then(|| Readiness {
        start_time_ns: service.start_time.map_or(0, Duration::as_nanos),
        depends_on: service
            .depends_on
            .iter()
            .map(|name| {
                let upstream = resolved.upstream_index_of(name);
                let position = resolved
                    .callees
                    .iter()
                    .position(|&callee| callee == upstream)
                    .expect("validated: a dependency is called");
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
        endpoints,
        inbound,
        readiness,
        exports_metrics: rollouts_scrape(rollouts, &service.name),
    }
}

/// The upstreams of `node`'s sidecar, one per callee; `node` is recorded as a holder of each,
/// so the rollout controllers and readiness notices reach it.
fn sidecar_upstreams(
    node: NodeId,
    callees: &[usize],
    upstreams: &[Arc<UpstreamConfig>],
    holders: &mut [Vec<NodeId>],
) -> Vec<Arc<UpstreamConfig>> {
    callees
        .iter()
        .map(|&callee| {
            holders[callee].push(node);
            Arc::clone(&upstreams[callee])
        })
        .collect()
}

// The client's sidecar records itself as a holder of its upstreams, for the rollout
// controllers: one more argument than clippy likes, and no struct would make it clearer.
#[allow(clippy::too_many_arguments)]
fn workload_client(
    scenario: &Scenario,
    layout: &Layout,
    workload: &schema::Workload,
    client_index: usize,
    trace_sample_rate: f64,
    upstreams: &[Arc<UpstreamConfig>],
    seeder: Seeder,
    holders: &mut [Vec<NodeId>],
) -> WorkloadClient {
    let target = scenario
        .services
        .iter()
        .position(|s| s.name == workload.target)
        .expect("validated target");
    let endpoint = scenario.services[target]
        .endpoints
        .iter()
        .position(|e| e.name == workload.endpoint)
        .expect("validated endpoint");
    let arrival = match &workload.arrival {
        Arrival::Constant { rate } => ArrivalConfig::Constant {
            rate_per_second: rate.get(),
        },
        Arrival::Poisson { rate } => ArrivalConfig::Poisson {
            rate_per_second: rate.get(),
        },
        Arrival::Steps { steps } => ArrivalConfig::Steps {
            steps: steps
                .iter()
                .map(|(at, rate)| (at.as_nanos(), rate.get()))
                .collect(),
        },
        Arrival::Closed { users, think_time } => ArrivalConfig::Closed {
            users: *users,
            think_time: distribution(think_time),
        },
    };
    let headers = workload
        .headers
        .values()
        .map(|values| {
            let mut total = 0.0;
            let cumulative = values
                .values()
                .map(|probability| {
                    total += probability.get();
                    total
                })
                .collect();
            HeaderDistribution { cumulative }
        })
        .collect();
    let config = WorkloadConfig {
        client: ClientId(client_index as u32),
        endpoint: endpoint as u32,
        arrival,
        timeout_ns: workload.timeout.map(Duration::as_nanos),
        headers,
        trace_sample_rate,
    };
    let name = &workload.name;
    let node = layout.workloads[client_index].node;
    let mut callees = vec![target];
    rollout::add_strangler_callees(scenario, &mut callees);
    let sidecar_upstreams = sidecar_upstreams(node, &callees, upstreams, holders);
    let sidecar = Sidecar::new(
        node,
        layout.workloads[client_index].group,
        name,
        sidecar_upstreams,
        seeder.stream(&format!("sidecar/{name}")),
    );
    WorkloadClient::new(
        config,
        seeder.stream(&format!("workload/{name}")),
        seeder.stream(&format!("workload/{name}/headers")),
        sidecar,
    )
}

fn catalog(scenario: &Scenario, layout: &Layout) -> Catalog {
    let mut groups: Vec<GroupInfo> = layout
        .services
        .iter()
        .map(|(name, service)| {
            let total = service.instances.len().max(1) as f64;
            // The weights of the route that takes every request, when there is one.
            let catch_all = scenario.mesh.get(name).and_then(|policy| {
                policy
                    .route
                    .iter()
                    .find(|route| route.matches.as_ref().is_none_or(|m| m.headers.is_empty()))
            });
            let versions = service
                .versions
                .iter()
                .map(|(version, range)| VersionInfo {
                    name: version.clone(),
                    instances: range.len() as u32,
                    route_weight_percent: rollout::initial_weight_percent(
                        scenario,
                        name,
                        version,
                        catch_all,
                        // Without routes, traffic spreads over all instances, whatever their
                        // version.
                        100.0 * range.len() as f64 / total,
                    ),
                })
                .collect();
            let endpoints = scenario.services
                [layout.services.get_index_of(name).expect("laid out")]
            .endpoints
            .iter()
            .map(|endpoint| endpoint.name.clone())
            .collect();
            GroupInfo {
                name: name.clone(),
                versions,
                endpoints,
            }
        })
        .collect();
    groups.extend(layout.workloads.keys().map(|name| GroupInfo {
        name: name.clone(),
        versions: Vec::new(),
        endpoints: Vec::new(),
    }));
    // A broker's endpoints are its topics: a publish names one.
    groups.extend(scenario.brokers.iter().map(|broker| GroupInfo {
        name: broker.name.clone(),
        versions: Vec::new(),
        endpoints: broker.topics.clone(),
    }));
    // A store answers like a service of one instance, its endpoints its operations.
    groups.extend(scenario.stores.iter().map(|store| {
        GroupInfo {
            name: store.name.clone(),
            versions: vec![VersionInfo {
                name: BASE_VERSION.to_owned(),
                instances: 1,
                route_weight_percent: 100.0,
            }],
            endpoints: store_kind(store)
                .operations()
                .iter()
                .map(|&operation| operation.to_owned())
                .collect(),
        }
    }));
    groups.extend(scenario.rollouts.iter().map(|rollout| GroupInfo {
        name: rollout::controller_name(rollout),
        versions: Vec::new(),
        endpoints: Vec::new(),
    }));
    let mut nodes: Vec<(NodeId, NodeInfo)> = Vec::new();
    for (name, service) in &layout.services {
        for (index, &node) in service.instances.iter().enumerate() {
            let info = NodeInfo {
                group: service.group,
                name: format!("{name}/{index}"),
            };
            nodes.push((node, info));
        }
    }
    for (name, host) in layout
        .workloads
        .iter()
        .chain(&layout.brokers)
        .chain(&layout.stores)
    {
        let info = NodeInfo {
            group: host.group,
            name: name.clone(),
        };
        nodes.push((host.node, info));
    }
    for (rollout, host) in scenario.rollouts.iter().zip(&layout.rollouts) {
        let info = NodeInfo {
            group: host.group,
            name: rollout::controller_name(rollout),
        };
        nodes.push((host.node, info));
    }
    // In the order `broker_configs` numbers them.
    let subscriptions = scenario
        .brokers
        .iter()
        .flat_map(|broker| {
            scenario
                .subscriptions
                .iter()
                .filter(|subscription| broker.topics.contains(&subscription.topic))
                .map(|subscription| SubscriptionInfo {
                    broker: broker.name.clone(),
                    topic: subscription.topic.clone(),
                    service: subscription.service.clone(),
                })
        })
        .collect();
    nodes.sort_by_key(|(node, _)| node.0);
    for (index, (node, _)) in nodes.iter().enumerate() {
        assert_eq!(node.0 as usize, index, "nodes are numbered densely");
    }
    Catalog {
        groups,
        clients: scenario.workloads.iter().map(|w| w.name.clone()).collect(),
        nodes: nodes.into_iter().map(|(_, info)| info).collect(),
        subscriptions,
        rollouts: rollout::infos(scenario, layout),
        metrics_interval_ns: scenario.scenario.metrics_interval.as_nanos(),
    }
}

/// The nodes a fault names: a service's instances, one instance `svc/N`, or a workload's client.
fn nodes_named(layout: &Layout, name: &str) -> Vec<NodeId> {
    if let Some(service) = layout.services.get(name) {
        return service.instances.clone();
    }
    if let Some(host) = layout
        .workloads
        .get(name)
        .or_else(|| layout.brokers.get(name))
        .or_else(|| layout.stores.get(name))
    {
        return vec![host.node];
    }
    let (service, index) = name.split_once('/').expect("validated instance name");
    let index: usize = index.parse().expect("validated instance index");
    vec![layout.services[service].instances[index]]
}

fn selector(layout: &Layout, name: &str) -> Selector {
    if layout.services.contains_key(name)
        || layout.workloads.contains_key(name)
        || layout.brokers.contains_key(name)
        || layout.stores.contains_key(name)
    {
        Selector::Group(group_of(layout, name))
    } else {
        Selector::Node(nodes_named(layout, name)[0])
    }
}

fn controls(scenario: &Scenario, layout: &Layout) -> Vec<Control> {
    let end = scenario.scenario.duration;
    let mut controls = Vec::new();
    for (index, fault) in scenario.faults.iter().enumerate() {
        let start = SimTime::from_nanos(fault.at.as_nanos());
        let stop = fault
            .duration
            .map(|d| SimTime::from_nanos(fault.at.as_nanos().saturating_add(d.as_nanos())));
        let mut push = |at: SimTime,
                        action: ControlAction,
                        kind: &'static str,
                        subject: &str,
                        detail: String| {
            if at.as_nanos() <= end.as_nanos() {
                controls.push(Control {
                    at,
                    action,
                    event_kind: kind,
                    subject: subject.to_owned(),
                    detail,
                });
            }
        };
        let rule_id = index as u32;
        match fault.kind {
            FaultKind::Partition
            | FaultKind::PartitionOneway
            | FaultKind::Latency
            | FaultKind::Loss => {
                let both_ways = fault.kind != FaultKind::PartitionOneway;
                let (from, to, subject) = match fault.between.as_deref() {
                    Some([a, b]) => {
                        let arrow = if both_ways { "<->" } else { "->" };
                        (
                            selector(layout, a),
                            selector(layout, b),
                            format!("{a}{arrow}{b}"),
                        )
                    }
                    _ => (Selector::Any, Selector::Any, "everywhere".to_owned()),
                };
                let (effect, detail) = match fault.kind {
                    FaultKind::Latency => {
                        let add = fault.add.expect("validated latency fault");
                        (
                            Effect::AddLatency {
                                add_ns: add.as_nanos(),
                            },
                            format!("+{add} per hop"),
                        )
                    }
                    FaultKind::Loss => {
                        let loss = fault.loss.expect("validated loss fault").get();
                        (
                            Effect::Loss { probability: loss },
                            format!("drops {:.1}% of messages", loss * 100.0),
                        )
                    }
                    _ => (Effect::Block, "messages dropped".to_owned()),
                };
                let rule = Rule {
                    id: rule_id,
                    from,
                    to,
                    both_ways,
                    effect,
                };
                push(
                    start,
                    ControlAction::Apply(rule),
                    fault.kind.name(),
                    &subject,
                    detail,
                );
                if let Some(stop) = stop {
                    push(
                        stop,
                        ControlAction::Repair { rule: rule_id },
                        "repair",
                        &subject,
                        format!("{} ends", fault.kind.name()),
                    );
                }
            }
            FaultKind::Crash | FaultKind::Pause => {
                let target = fault.target.as_deref().expect("validated target");
                for node in nodes_named(layout, target) {
                    let subject = node_name(layout, node);
                    if fault.kind == FaultKind::Crash {
                        let detail = fault
                            .restart_after
                            .map_or("stays down".to_owned(), |d| format!("restarts after {d}"));
                        push(start, ControlAction::Crash(node), "crash", &subject, detail);
                        if let Some(after) = fault.restart_after {
                            let at = start + after.as_nanos();
                            push(
                                at,
                                ControlAction::Restart(node),
                                "restart",
                                &subject,
                                String::new(),
                            );
                        }
                    } else {
                        let detail = fault
                            .duration
                            .map_or("to the end".to_owned(), |d| format!("for {d}"));
                        push(start, ControlAction::Pause(node), "pause", &subject, detail);
                        if let Some(stop) = stop {
                            push(
                                stop,
                                ControlAction::Resume(node),
                                "resume",
                                &subject,
                                String::new(),
                            );
                        }
                    }
                }
            }
        }
    }
    controls
}

fn node_name(layout: &Layout, node: NodeId) -> String {
    for (name, service) in &layout.services {
        if let Some(index) = service.instances.iter().position(|&n| n == node) {
            return format!("{name}/{index}");
        }
    }
    layout
        .workloads
        .iter()
        .chain(&layout.brokers)
        .chain(&layout.stores)
        .find(|(_, host)| host.node == node)
        .map(|(name, _)| name.clone())
        .expect("node laid out")
}
