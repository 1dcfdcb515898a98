//! The names behind the ids models report with: groups, nodes, subscriptions and rollouts. Its
//! own file so the recorder and the trace writer both read it without importing each other.

use meshsim_sim::GroupId;

use crate::keys::VersionKey;

/// The names behind the ids models report with.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub groups: Vec<GroupInfo>,
    pub clients: Vec<String>,
    /// Every node, by id: its group and its name (`payment/1`, or a workload's name).
    pub nodes: Vec<NodeInfo>,
    /// Every broker subscription, in the order brokers report them.
    pub subscriptions: Vec<SubscriptionInfo>,
    /// Every rollout, in the order the scenario lists them.
    pub rollouts: Vec<RolloutInfo>,
    pub metrics_interval_ns: u64,
}

/// A rollout, for `summary.json`: which service moves from which version to which.
#[derive(Debug, Clone)]
pub struct RolloutInfo {
    pub service: String,
    pub strategy: &'static str,
    pub from: String,
    pub to: String,
    pub start_ns: u64,
    /// The new version's key (a strangler's new service's versions): the requests it served
    /// are the blast radius.
    pub new_versions: Vec<VersionKey>,
}

#[derive(Debug, Clone)]
pub struct GroupInfo {
    pub name: String,
    /// Only services have versions; a workload client's group has none.
    pub versions: Vec<VersionInfo>,
    /// The endpoints' names, by index (services only), for the trace export.
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct SubscriptionInfo {
    /// The broker's name.
    pub broker: String,
    pub topic: String,
    /// The subscribing service.
    pub service: String,
}

impl SubscriptionInfo {
    /// `order.created -> notification`, for `metrics.csv` and `summary.json`.
    pub fn label(&self) -> String {
        format!("{} -> {}", self.topic, self.service)
    }
}

#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub group: GroupId,
    pub name: String,
    /// A service instance's version, by index in its group's versions; `None` for the rest.
    pub version: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct VersionInfo {
    pub name: String,
    pub instances: u32,
    /// The share of the service's traffic routed to this version, in percent.
    pub route_weight_percent: f64,
    /// The cores each instance's own work shares (`cores`, or one per event-loop process);
    /// `None`: unlimited, and `metrics.csv` leaves `cpu_percent` empty.
    pub cores: Option<f64>,
}
