//! Each `[service.autoscale]`: its controller node, and the instances that stand by.
//!
//! The engines' nodes are fixed when the world is assembled, so an autoscaled service is built
//! with `max_replicas` instances; those from `replicas` on stand by (no process, in no caller's
//! endpoints) until the autoscaler starts them.

use std::ops::Range;

use meshsim_models::{Autoscaler, AutoscalerConfig};
use meshsim_record::VersionKey;
use meshsim_sim::NodeId;

use crate::layout::Layout;
use crate::scenario::Duration;
use crate::scenario::resolved::Resolved;
use crate::scenario::schema::{Scenario, Service};

/// Kubernetes' `--horizontal-pod-autoscaler-sync-period` default.
const SYNC_PERIOD_NS: u64 = 15_000_000_000;

/// The name of the autoscaler of `service`, for its host and `events.csv`.
pub(super) fn controller_name(service: &str) -> String {
    format!("autoscaler:{service}")
}

/// The services with an autoscaler, by their place in the file.
pub(super) fn autoscaled(scenario: &Scenario) -> impl Iterator<Item = (usize, &Service)> {
    scenario
        .services
        .iter()
        .enumerate()
        .filter(|(_, service)| service.autoscale.is_some())
}

/// The instances a service is built with: `max_replicas` for an autoscaled one.
pub(super) fn built_replicas(service: &Service) -> u32 {
    service
        .autoscale
        .as_ref()
        .map_or(service.base_replicas(), |autoscale| autoscale.max_replicas)
}

/// The places (among the service's instances) of those standing by when the run starts.
pub(super) fn standby_range(service: &Service) -> Range<u32> {
    match &service.autoscale {
        Some(autoscale) => service.replicas..autoscale.max_replicas,
        None => 0..0,
    }
}

/// The nodes of service `service_index`'s instances standing by when the run starts.
pub(super) fn standby_nodes(
    scenario: &Scenario,
    layout: &Layout,
    service_index: usize,
) -> Vec<NodeId> {
    let range = standby_range(&scenario.services[service_index]);
    layout.services[service_index].instances[range.start as usize..range.end as usize].to_vec()
}

/// The autoscaler of the `index`th autoscaled service.
pub(super) fn autoscaler(scenario: Resolved<'_>, layout: &Layout, index: usize) -> Autoscaler {
    let (service_index, service) = autoscaled(&scenario)
        .nth(index)
        .expect("one autoscaler per autoscaled service");
    let (metric, spec) = scenario.resolution.autoscalers[service_index]
        .clone()
        .expect("the checker resolved every autoscaler");
    let service_layout = &layout.services[service_index];
    Autoscaler::new(AutoscalerConfig {
        subject: format!("{}/v1", service.name),
        key: VersionKey::new(service_layout.group, 0),
        metric,
        spec,
        instances: service_layout.instances.clone(),
        initial: service.replicas,
        sync_period_ns: SYNC_PERIOD_NS,
        start_time_ns: service.start_time.map_or(0, Duration::as_nanos),
    })
}
