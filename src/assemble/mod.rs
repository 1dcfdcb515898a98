//! Assembly: a validated scenario becomes a network of nodes, their models and the fault
//! timeline, ready for an engine.
//!
//! Nodes are numbered services first (each service's base version "v1" first, then its
//! `[[service.version]]`s in order, so `payment/2` is the third instance declared), then one
//! client per workload. Every random stream is forked by a name that says whose it is.
//!
//! One file per thing built: [`lay_out`] numbers the groups and nodes, [`upstreams`] the
//! sidecars' upstreams, [`calls`] what each service calls, [`services`], [`workloads`],
//! [`brokers`] and [`stores`] their models, [`catalog`] what the recorder names, [`controls`]
//! the fault timeline.

mod autoscalers;
mod brokers;
mod calls;
mod catalog;
mod controls;
mod distribution;
mod lay_out;
mod services;
mod stores;
mod upstreams;
mod workloads;

use std::sync::Arc;

use meshsim_models::Node;
use meshsim_record::{Recorder, RecorderOutputs};
use meshsim_sim::LinkConfig;
use meshsim_sim::{Control, Distribution, Network, NodeId, Seeder, SimTime};

pub(crate) use crate::layout::Layout;
use crate::rollout;
use crate::scenario::Real;
use crate::scenario::resolved::Resolved;
pub(crate) use distribution::distribution;
pub(crate) use services::code_callees;

/// A scenario laid out for any engine: the network, one model per node, the recorder and the
/// fault timeline.
pub(crate) struct Parts {
    pub network: Network,
    pub models: Vec<Node>,
    pub recorder: Recorder,
    pub controls: Vec<Control>,
    pub end: SimTime,
    pub layout: Layout,
}

/// Builds the network, models, recorder and controls of `scenario` for `seed`.
pub(crate) fn assemble_parts(scenario: Resolved<'_>, seed: u64, outputs: RecorderOutputs) -> Parts {
    assemble_with_code(scenario, seed, outputs, &[])
}

/// [`assemble_parts`], with the versions in `code` (a service's index and a version's, as
/// `Layout` numbers them) doing their work in code beside their instances.
pub(crate) fn assemble_with_code(
    scenario: Resolved<'_>,
    seed: u64,
    outputs: RecorderOutputs,
    code: &[(usize, usize)],
) -> Parts {
    let seeder = Seeder::new(seed);
    let trace_sample_rate = outputs
        .trace
        .as_ref()
        .map_or(0.0, |trace| trace.sample_rate)
        .max(outputs.otlp.as_ref().map_or(0.0, |otlp| otlp.sample_rate));
    let (network, layout) = network(scenario, seeder);
    let upstreams = upstreams::upstream_configs(scenario, &layout, outputs.openmetrics.is_some());
    let group_names = lay_out::group_names(&scenario, &layout);
    // The nodes holding each upstream's routes and endpoints, for the rollout controllers.
    let mut holders: Vec<Vec<NodeId>> = vec![Vec::new(); upstreams.len()];
    // Models in node order: services' instances, workloads' clients, brokers, stores and
    // rollout controllers, as `lay_out` numbered them.
    let mut models = Vec::with_capacity(network.node_count());
    services::add_models(
        scenario,
        &layout,
        &upstreams,
        &group_names,
        seeder,
        code,
        &mut holders,
        &mut models,
    );
    for (client_index, workload) in scenario.workloads.iter().enumerate() {
        let client = workloads::workload_client(
            scenario,
            &layout,
            workload,
            client_index,
            trace_sample_rate,
            &upstreams,
            seeder,
            &mut holders,
        );
        models.push(Node::Client(Box::new(client)));
    }
    for config in brokers::broker_configs(scenario, &layout) {
        models.push(Node::Broker(Box::new(meshsim_models::Broker::new(
            Arc::new(config),
        ))));
    }
    let kinds = &scenario.resolution.stores;
    for (index, (store, &kind)) in scenario.stores.iter().zip(kinds).enumerate() {
        models.push(stores::store_model(store, kind, &layout, index, seeder));
    }
    let subscribers = brokers::subscribers(scenario, &layout);
    announce_readiness(&layout, &holders, &subscribers, &mut models);
    for index in 0..scenario.rollouts.len() {
        let controller = rollout::controller(&scenario, &layout, index, &holders, &subscribers);
        models.push(Node::Rollout(Box::new(controller)));
    }
    for index in 0..layout.autoscalers.len() {
        let autoscaler = autoscalers::autoscaler(scenario, &layout, index);
        models.push(Node::Autoscaler(Box::new(autoscaler)));
    }

    let recorder = Recorder::new(catalog::catalog(scenario, &layout), outputs);
    let end = SimTime::from_nanos(scenario.scenario.duration.as_nanos());
    let controls = controls::controls(scenario, &layout);
    Parts {
        network,
        models,
        recorder,
        controls,
        end,
        layout,
    }
}

/// The network with every group and node laid out and every `[[network.link]]` set.
fn network(scenario: Resolved<'_>, seeder: Seeder) -> (Network, Layout) {
    let default_latency = scenario
        .network
        .latency
        .as_ref()
        .map_or(Distribution::ZERO, distribution);
    let mut network = Network::new(seeder, default_latency, scenario.network.loss.get());
    network.set_discovery_delay_ns(scenario.network.discovery_delay.as_nanos());
    let layout = lay_out::lay_out(&scenario, &mut network);
    for (link, between) in scenario.network.link.iter().zip(&scenario.resolution.links) {
        let [a, b] = between.map(|host| lay_out::group_of_host(&layout, host));
        let config = LinkConfig {
            latency: link.latency.as_ref().map(distribution),
            loss: link.loss.map(Real::get),
        };
        network.set_link(a, b, config);
    }
    (network, layout)
}

/// Each instance tells its callers (and the brokers delivering to it) when it is ready.
fn announce_readiness(
    layout: &Layout,
    holders: &[Vec<NodeId>],
    subscribers: &[Vec<NodeId>],
    models: &mut [Node],
) {
    for (service_index, service_layout) in layout.services.values().enumerate() {
        let mut listeners = holders[service_index].clone();
        listeners.extend(&subscribers[service_index]);
        for &node in &service_layout.instances {
            if let Node::Service(instance) = &mut models[node.index()] {
                instance.announce_to(listeners.clone());
            }
        }
    }
}
