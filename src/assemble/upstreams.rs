//! The sidecars' upstreams: one configuration per service, broker and store, shared by every
//! caller's sidecar, under the scenario's mesh profile.

use std::sync::Arc;

use meshsim_models::UpstreamConfig;
use meshsim_sim::NodeId;

use super::autoscalers;
use crate::layout::Layout;
use crate::mesh;
use crate::rollout;
use crate::scenario::resolved::Resolved;

/// One upstream configuration per service, shared by every caller's sidecar.
/// One upstream configuration per service and then per broker (a publish is a call to the
/// broker), shared by every caller's sidecar.
/// `report_call_ends`: the run writes `--openmetrics`, whose request metrics every sidecar feeds
/// with the end of each call.
pub(super) fn upstream_configs(
    scenario: Resolved<'_>,
    layout: &Layout,
    report_call_ends: bool,
) -> Vec<Arc<UpstreamConfig>> {
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
                &scenario.resolution.policies.services[index],
            );
            config.routes = mesh::route_table(
                &scenario.resolution.routes[index],
                &scenario.resolution.policies.services[index].routes,
                &service_layout.versions,
                (&scenario.workloads, &service.endpoints),
            );
            rollout::shape_upstream(&scenario, layout, index, &mut config);
            config
                .undeployed
                .extend(autoscalers::standby_range(service));
            config.gated = !service.depends_on.is_empty() || service.start_time.is_some();
            config.report_call_ends = report_call_ends;
            Arc::new(config)
        });
    let brokers = scenario.brokers.iter().enumerate().map(|(index, broker)| {
        let mut config = mesh::single_node_upstream_config(
            layout.brokers[index].group,
            &broker.name,
            layout.brokers[index].node,
            &scenario.resolution.policies.brokers[index],
            mesh::PUBLISH_CONFIRM_TIMEOUT_NS,
        );
        config.report_call_ends = report_call_ends;
        Arc::new(config)
    });
    let stores = scenario.stores.iter().enumerate().map(|(index, store)| {
        let mut config = mesh::single_node_upstream_config(
            layout.stores[index].group,
            &store.name,
            layout.stores[index].node,
            &scenario.resolution.policies.stores[index],
            mesh::STORE_CALL_TIMEOUT_NS,
        );
        config.report_call_ends = report_call_ends;
        Arc::new(config)
    });
    services.chain(brokers).chain(stores).collect()
}

/// The upstreams of `node`'s sidecar, one per callee; `node` is recorded as a holder of each,
/// so the rollout controllers and readiness notices reach it.
pub(super) fn sidecar_upstreams(
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
