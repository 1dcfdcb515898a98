//! Each workload's client: its arrivals, its headers' distribution and its sidecar.

use std::sync::Arc;

use meshsim_models::{
    ArrivalConfig, HeaderDistribution, Sidecar, UpstreamConfig, WorkloadClient, WorkloadConfig,
};
use meshsim_record::ClientId;
use meshsim_sim::{NodeId, Seeder};

use super::distribution::distribution;
use super::upstreams::sidecar_upstreams;
use crate::layout::Layout;
use crate::rollout;
use crate::scenario::resolved::{EndpointId, Resolved};
use crate::scenario::schema::{self, Arrival};
use crate::scenario::{ArrivalTable, Duration};

// The client's sidecar records itself as a holder of its upstreams, for the rollout
// controllers: one more argument than clippy likes, and no struct would make it clearer.
#[allow(clippy::too_many_arguments)]
pub(super) fn workload_client(
    scenario: Resolved<'_>,
    layout: &Layout,
    workload: &schema::Workload,
    client_index: usize,
    trace_sample_rate: f64,
    upstreams: &[Arc<UpstreamConfig>],
    seeder: Seeder,
    holders: &mut [Vec<NodeId>],
) -> WorkloadClient {
    let EndpointId(target, endpoint) = scenario.resolution.workloads[client_index];
    let (target, endpoint) = (target.index(), usize::from(endpoint));
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
        Arrival::Profile { .. } | Arrival::Replay { .. } => {
            match &scenario.resolution.arrival_tables[client_index] {
                Some(ArrivalTable::Profile(points)) => ArrivalConfig::Profile {
                    points: Arc::clone(points),
                },
                Some(ArrivalTable::Replay(times_ns)) => ArrivalConfig::Replay {
                    times_ns: Arc::clone(times_ns),
                },
                None => unreachable!("the checker reads every arrival file or refuses it"),
            }
        }
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
    rollout::add_strangler_callees(&scenario, &mut callees);
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
