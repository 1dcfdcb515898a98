//! Where every service and workload ended up in the assembled system: their groups and nodes.
//! Its own file so assembly and the rollout controllers both read it without importing each
//! other.

use indexmap::IndexMap;
use meshsim_sim::{GroupId, NodeId};

/// Where every service and workload ended up.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub services: IndexMap<String, ServiceLayout>,
    pub workloads: IndexMap<String, WorkloadLayout>,
    pub brokers: IndexMap<String, WorkloadLayout>,
    pub stores: IndexMap<String, WorkloadLayout>,
    /// One controller host per rollout, in the scenario's order.
    pub rollouts: Vec<WorkloadLayout>,
    /// One controller host per autoscaled service, in the scenario's order.
    pub autoscalers: Vec<WorkloadLayout>,
}

/// Where a single-node host (a workload's client, a broker) sits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkloadLayout {
    pub group: GroupId,
    pub node: NodeId,
}

#[derive(Debug, Clone)]
pub(crate) struct ServiceLayout {
    pub group: GroupId,
    /// Instances in order; `instances[n]` is `service/n`.
    pub instances: Vec<NodeId>,
    /// Each version's name and its range in `instances`.
    pub versions: Vec<(String, std::ops::Range<usize>)>,
}

/// The base version every service has, named as the format says: the scenario owns the name.
pub(crate) use crate::scenario::schema::BASE_VERSION;
