//! Where everything sits: groups and nodes numbered services first, then workloads, brokers,
//! stores and rollout controllers; and the look-ups from a scenario's names to them.

use std::sync::Arc;

use indexmap::IndexMap;
use meshsim_sim::{GroupId, Network, NodeId, Selector};

use super::autoscalers;
use crate::layout::{Layout, ServiceLayout, WorkloadLayout};
use crate::rollout;
use crate::scenario::resolved::Host;
use crate::scenario::schema::Scenario;

pub(super) fn lay_out(scenario: &Scenario, network: &mut Network) -> Layout {
    let segments = Segments::of(scenario);
    let mut services = IndexMap::new();
    for service in &scenario.services {
        let group = network.add_group(&service.name, false, !service.exposed);
        network.set_segments(group, segments.bits(service.networks.as_deref()));
        let mut instances = Vec::new();
        let mut versions = Vec::new();
        let mut counts = service.version_replicas();
        // An autoscaled service is built with every instance it may scale to.
        counts[0].1 = autoscalers::built_replicas(service);
        for (version_name, replicas) in counts {
            let first = instances.len();
            for _ in 0..replicas {
                let name = format!("{}/{}", service.name, instances.len());
                instances.push(network.add_node(group, &name));
            }
            versions.push((version_name.to_owned(), first..instances.len()));
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
        network.set_segments(group, segments.bits(store.networks.as_deref()));
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
    // Autoscalers after them.
    let autoscalers = autoscalers::autoscaled(scenario)
        .map(|(_, service)| {
            let name = autoscalers::controller_name(&service.name);
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
        autoscalers,
    }
}

/// The nodes a fault on `host` acts on: a service's instances, one instance, or the node of a
/// workload's client, a broker or a store.
pub(super) fn nodes_of(layout: &Layout, host: Host) -> Vec<NodeId> {
    match host {
        Host::Service(service) => layout.services[service.index()].instances.clone(),
        Host::Instance(service, number) => {
            vec![layout.services[service.index()].instances[number as usize]]
        }
        Host::Workload(workload) => vec![layout.workloads[workload.index()].node],
        Host::Broker(broker) => vec![layout.brokers[broker.index()].node],
        Host::Store(store) => vec![layout.stores[store.index()].node],
    }
}

/// The group of `host`: an instance's is its service's.
pub(super) fn group_of_host(layout: &Layout, host: Host) -> GroupId {
    match host {
        Host::Service(service) | Host::Instance(service, _) => {
            layout.services[service.index()].group
        }
        Host::Workload(workload) => layout.workloads[workload.index()].group,
        Host::Broker(broker) => layout.brokers[broker.index()].group,
        Host::Store(store) => layout.stores[store.index()].group,
    }
}

/// What a network fault on `host` selects: one instance's node, or a whole group.
pub(super) fn selector(layout: &Layout, host: Host) -> Selector {
    match host {
        Host::Instance(..) => Selector::Node(nodes_of(layout, host)[0]),
        _ => Selector::Group(group_of_host(layout, host)),
    }
}

pub(super) fn node_name(layout: &Layout, node: NodeId) -> String {
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

/// Every group's name, in the order `lay_out` numbered them: services, workloads, brokers,
/// stores, then the rollout controllers.
pub(super) fn group_names(scenario: &Scenario, layout: &Layout) -> Arc<[Arc<str>]> {
    let group_names: Arc<[Arc<str>]> =
        layout
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
            .chain(autoscalers::autoscaled(scenario).map(|(_, service)| {
                Arc::from(autoscalers::controller_name(&service.name).as_str())
            }))
            .collect();
    let groups = layout.services.values().map(|service| service.group).chain(
        layout
            .workloads
            .values()
            .chain(layout.brokers.values())
            .chain(layout.stores.values())
            .map(|host| host.group),
    );
    for (index, group) in groups.enumerate() {
        assert_eq!(group.0 as usize, index, "groups numbered in order");
    }
    group_names
}

/// The scenario's network names (`networks` on services and stores), a bit each in the order
/// first named; validation bounds them to 64.
struct Segments<'a> {
    names: Vec<&'a str>,
}

impl<'a> Segments<'a> {
    fn of(scenario: &'a Scenario) -> Self {
        let mut names: Vec<&str> = Vec::new();
        let lists = scenario
            .services
            .iter()
            .filter_map(|service| service.networks.as_deref())
            .chain(
                scenario
                    .stores
                    .iter()
                    .filter_map(|store| store.networks.as_deref()),
            );
        for name in lists.flatten() {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        Segments { names }
    }

    /// The bits of `networks`; 0 (every segment) when the host names none.
    fn bits(&self, networks: Option<&[String]>) -> u64 {
        networks.unwrap_or_default().iter().fold(0, |bits, name| {
            let index = self
                .names
                .iter()
                .position(|known| known == name)
                .expect("every name was collected");
            assert!(index < 64, "validation bounds the networks to 64");
            bits | 1 << index
        })
    }
}
