//! The catalog: what the recorder calls every group, version, endpoint, node, subscription and
//! rollout, numbered as the layout numbered them.

use meshsim_record::{Catalog, GroupInfo, NodeInfo, SubscriptionInfo, VersionInfo};
use meshsim_sim::NodeId;

use super::autoscalers;
use crate::layout::{BASE_VERSION, Layout, ServiceLayout};
use crate::rollout;
use crate::scenario::resolved::Resolved;
use crate::scenario::schema::Scenario;

pub(super) fn catalog(scenario: Resolved<'_>, layout: &Layout) -> Catalog {
    Catalog {
        groups: groups(scenario, layout),
        clients: scenario.workloads.iter().map(|w| w.name.clone()).collect(),
        nodes: nodes(&scenario, layout),
        subscriptions: subscriptions(&scenario),
        rollouts: rollout::infos(&scenario, layout),
        metrics_interval_ns: scenario.scenario.metrics_interval.as_nanos(),
    }
}

/// Every group in the layout's order: services, workloads, brokers, stores, rollout
/// controllers.
fn groups(scenario: Resolved<'_>, layout: &Layout) -> Vec<GroupInfo> {
    let mut groups: Vec<GroupInfo> = layout
        .services
        .iter()
        .enumerate()
        .map(|(index, (name, service))| service_group(scenario, index, name, service))
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
    let kinds = &scenario.resolution.stores;
    groups.extend(scenario.stores.iter().zip(kinds).map(|(store, &kind)| {
        GroupInfo {
            name: store.name.clone(),
            versions: vec![VersionInfo {
                name: BASE_VERSION.to_owned(),
                instances: 1,
                route_weight_percent: 100.0,
                cores: None,
            }],
            endpoints: kind
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
    groups.extend(
        autoscalers::autoscaled(&scenario).map(|(_, service)| GroupInfo {
            name: autoscalers::controller_name(&service.name),
            versions: Vec::new(),
            endpoints: Vec::new(),
        }),
    );
    groups
}

/// Service `index`'s group: its versions with their initial route weights, its endpoints.
fn service_group(
    scenario: Resolved<'_>,
    index: usize,
    name: &str,
    service: &ServiceLayout,
) -> GroupInfo {
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
        .enumerate()
        .map(|(version_index, (version, range))| VersionInfo {
            name: version.clone(),
            instances: range.len() as u32,
            route_weight_percent: rollout::initial_weight_percent(
                &scenario,
                index,
                version_index,
                catch_all,
                // Without routes, traffic spreads over all instances, whatever their
                // version.
                100.0 * range.len() as f64 / total,
            ),
            cores: scenario.services[index].cores_per_instance(),
        })
        .collect();
    let endpoints = scenario.services[index]
        .endpoints
        .iter()
        .map(|endpoint| endpoint.name.clone())
        .collect();
    GroupInfo {
        name: name.to_owned(),
        versions,
        endpoints,
    }
}

/// Every node's group and name, in node order.
fn nodes(scenario: &Scenario, layout: &Layout) -> Vec<NodeInfo> {
    let mut nodes: Vec<(NodeId, NodeInfo)> = Vec::new();
    for (name, service) in &layout.services {
        for (index, &node) in service.instances.iter().enumerate() {
            let version = (service.versions.iter())
                .position(|(_, range)| range.contains(&index))
                .map(|version| version as u32);
            let info = NodeInfo {
                group: service.group,
                name: format!("{name}/{index}"),
                version,
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
            version: None,
        };
        nodes.push((host.node, info));
    }
    for (rollout, host) in scenario.rollouts.iter().zip(&layout.rollouts) {
        let info = NodeInfo {
            group: host.group,
            name: rollout::controller_name(rollout),
            version: None,
        };
        nodes.push((host.node, info));
    }
    for ((_, service), host) in autoscalers::autoscaled(scenario).zip(&layout.autoscalers) {
        let info = NodeInfo {
            group: host.group,
            name: autoscalers::controller_name(&service.name),
            version: None,
        };
        nodes.push((host.node, info));
    }
    nodes.sort_by_key(|(node, _)| node.0);
    for (index, (node, _)) in nodes.iter().enumerate() {
        assert_eq!(node.0 as usize, index, "nodes are numbered densely");
    }
    nodes.into_iter().map(|(_, info)| info).collect()
}

/// Every subscription, in the order `broker_configs` numbers them.
fn subscriptions(scenario: &Scenario) -> Vec<SubscriptionInfo> {
    scenario
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
        .collect()
}
