//! `summary.json`: the run's figures in the shape the format document fixes.
//!
//! Nothing here holds a wall-clock figure or an absolute path, so the same scenario, seed and
//! engine give the same bytes.

use indexmap::IndexMap;
use meshsim_record::RunSummary;
use meshsim_record::summary::{
    BrokerSummary, EdgeSummary, LatencySummary, RequestCounts, RolloutSummary, SagaSummary,
    ServiceSummary, WorkloadSummary,
};
use meshsim_sim::NetworkCounts;
use serde::Serialize;

/// What the run was, besides what it recorded.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub engine: String,
    /// The mesh whose defaults and semantics the run followed.
    pub mesh: MeshInfo,
    pub events: u64,
    pub network: NetworkCounts,
    /// Parts of the scenario this build parsed but does not simulate yet.
    pub not_simulated: Vec<String>,
    /// The scenario's fault timeline, for the charts' shaded windows.
    pub faults: Vec<FaultWindow>,
    /// The invariants checked at the end, those that apply to the run.
    pub invariants: Vec<InvariantOutcome>,
    /// Each rollout's checks as the scenario bounds them, by service: `success_rate >= 0.99`.
    pub rollout_checks: IndexMap<String, Vec<String>>,
    /// Routes that pick a version by a request's headers, by service, in words:
    /// `user-type = beta → v2`. They send traffic past the default route's weights.
    pub matched_routes: IndexMap<String, Vec<String>>,
    /// The service versions that ran as the team's own code, not as their models:
    /// `backend v1`. Empty for a run of models alone.
    pub code: Vec<String>,
}

/// The mesh profile a run followed: which product, pinned to which release, and its proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MeshInfo {
    /// `istio`, `linkerd` or `envoy`.
    pub profile: String,
    pub release: String,
    pub proxy: String,
}

impl MeshInfo {
    /// `istio 1.30.3`, for a person; empty for a summary written before profiles existed.
    pub fn label(&self) -> String {
        if self.profile.is_empty() {
            return String::new();
        }
        format!("{} {}", self.profile, self.release)
    }
}

/// One invariant checked at the end of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InvariantOutcome {
    pub name: String,
    pub holds: bool,
    /// Things checked: orders, stores, subscriptions, sagas.
    pub checked: u64,
    pub violations: u64,
    /// The first few violations, in words.
    pub examples: Vec<String>,
}

/// One `[[fault]]` as a window of time: what, on whom, from when to when.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FaultWindow {
    /// `partition`, `partition_oneway`, `latency`, `loss`, `crash` or `pause`.
    pub kind: String,
    /// `order<->payment`, `order->payment`, `payment/1`.
    pub subject: String,
    pub start_s: f64,
    /// `None`: to the end of the run (a crash without restart, a fault without duration).
    pub end_s: Option<f64>,
    /// `+200ms per hop`, `loss 0.3`, or empty.
    pub detail: String,
}

/// One `[[expect]]`, checked.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectationOutcome {
    pub metric: String,
    pub ok: bool,
    pub actual: serde_json::Value,
    pub expected: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The metric's unit, for a person reading it: `ms`, `ratio`, `count`, or `text`.
    pub unit: &'static str,
    /// The bounds in that unit (milliseconds for durations); absent where not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<f64>,
}

#[derive(Serialize)]
struct NetworkSection {
    messages: u64,
    lost: u64,
    partitioned: u64,
    refused: u64,
}

#[derive(Serialize)]
struct SummaryFile<'a> {
    scenario: &'a str,
    description: &'a str,
    seed: u64,
    engine: &'a str,
    mesh: &'a MeshInfo,
    digest: &'a str,
    sim_seconds: f64,
    events: u64,
    requests: RequestCounts,
    success_rate: Option<f64>,
    latency_ms: LatencySummary,
    workloads: &'a IndexMap<String, WorkloadSummary>,
    services: &'a IndexMap<String, ServiceSummary>,
    edges: &'a IndexMap<String, EdgeSummary>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    brokers: &'a IndexMap<String, BrokerSummary>,
    network: NetworkSection,
    accounted: bool,
    not_simulated: &'a [String],
    faults: &'a [FaultWindow],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    invariants: &'a [InvariantOutcome],
    #[serde(skip_serializing_if = "skip_sagas")]
    sagas: SagaSummary,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    rollouts: IndexMap<&'a str, RolloutSection<'a>>,
    /// Header routes, by service: what sends traffic past the default route's weights.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    matched_routes: &'a IndexMap<String, Vec<String>>,
    /// The versions that ran as code; absent for a run of models alone.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    code: &'a [String],
    /// What each store reported at the end, with a cache's hit ratio.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    stores: IndexMap<&'a str, serde_json::Map<String, serde_json::Value>>,
    expectations: &'a [ExpectationOutcome],
}

/// A rollout as it went, and the checks that decided it.
#[derive(Serialize)]
struct RolloutSection<'a> {
    #[serde(flatten)]
    rollout: &'a RolloutSummary,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    checks: &'a [String],
}

/// The text of `summary.json`, ending with a newline.
pub fn summary_json(
    info: &RunInfo,
    summary: &RunSummary,
    expectations: &[ExpectationOutcome],
) -> String {
    let file = SummaryFile {
        scenario: &info.scenario,
        description: &info.description,
        seed: info.seed,
        engine: &info.engine,
        mesh: &info.mesh,
        digest: &summary.digest,
        sim_seconds: summary.sim_seconds,
        events: info.events,
        requests: summary.requests,
        success_rate: summary.success_rate,
        latency_ms: summary.latency_ms,
        workloads: &summary.workloads,
        services: &summary.services,
        edges: &summary.edges,
        brokers: &summary.brokers,
        network: NetworkSection {
            messages: info.network.sent,
            lost: info.network.lost,
            partitioned: info.network.partitioned,
            refused: info.network.refused,
        },
        accounted: summary.accounting.ok,
        not_simulated: &info.not_simulated,
        faults: &info.faults,
        invariants: &info.invariants,
        sagas: summary.sagas,
        rollouts: summary
            .rollouts
            .iter()
            .map(|(service, rollout)| {
                let checks = info
                    .rollout_checks
                    .get(service)
                    .map_or(&[][..], Vec::as_slice);
                (service.as_str(), RolloutSection { rollout, checks })
            })
            .collect(),
        matched_routes: &info.matched_routes,
        code: &info.code,
        stores: summary
            .stores
            .iter()
            .map(|(name, tallies)| (name.as_str(), store_section(tallies)))
            .collect(),
        expectations,
    };
    let mut text = serde_json::to_string_pretty(&file).expect("summary serialises");
    text.push('\n');
    text
}

/// A store's tallies, and a cache's hit ratio (hits over `GET`s) when it had any `GET`.
fn store_section(
    tallies: &std::collections::BTreeMap<&'static str, u64>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut section: serde_json::Map<String, serde_json::Value> = tallies
        .iter()
        .map(|(name, value)| ((*name).to_owned(), serde_json::Value::from(*value)))
        .collect();
    if let (Some(hits), Some(misses)) = (tallies.get("hits"), tallies.get("misses"))
        && hits + misses > 0
    {
        let ratio = (*hits as f64 / (hits + misses) as f64 * 1e6).round() / 1e6;
        section.insert("hit_ratio".to_owned(), serde_json::Value::from(ratio));
    }
    section
}

fn skip_sagas(sagas: &SagaSummary) -> bool {
    sagas.started == 0
}
