//! A scenario as the checker resolved it: every name a call, a fault or a link gives turned
//! into an index, so what runs the scenario indexes instead of looking names up again.
//!
//! The checker builds it as it checks (parse, don't validate): a name that resolves is
//! recorded here, one that does not is an error, and a [`Resolution`] exists only for a
//! scenario without errors. Any input format that produces a [`Scenario`] and passes the
//! checker yields the same resolution.

use std::ops::Deref;

use meshsim_models::{HpaSpec, ScaleMetric, StoreKind};

use super::duration::Duration;
use super::metric::{CheckMetric, MetricRef};
use super::number::Real;
use super::schema::Scenario;
use crate::mesh::Effective;

/// A `[[service]]`, by its place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u32);

/// An endpoint: its service and its place among the service's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointId(pub ServiceId, pub u16);

/// A `[[broker]]`, by its place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrokerId(pub u32);

/// A topic: its place among its broker's `topics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(pub u16);

/// A `[[store]]`, by its place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StoreId(pub u32);

/// A store operation: its place in the store kind's table of operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpIndex(pub u16);

/// A `[[workload]]`, by its place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId(pub u32);

/// What one call calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// A synchronous call of an endpoint, which waits for the answer.
    Sync(EndpointId),
    /// A publish to a topic of the first broker declaring it.
    Publish(BrokerId, TopicId),
    /// An operation of a store.
    Store(StoreId, OpIndex),
}

/// A host a fault or a link names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Host {
    /// A service: all its instances.
    Service(ServiceId),
    /// One instance, `service/N`, numbered across the service's versions.
    Instance(ServiceId, u32),
    Workload(WorkloadId),
    Broker(BrokerId),
    Store(StoreId),
}

/// A `[[fault]]` with the keys its kind takes, its hosts resolved. When it starts and how long
/// it lasts stay in the scenario's `[[fault]]` of the same index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Messages between the two hosts dropped; from the first to the second only when
    /// `one_way`.
    Partition { between: [Host; 2], one_way: bool },
    /// Latency added to every hop between the two hosts.
    Latency { between: [Host; 2], add: Duration },
    /// A share of the messages between the two hosts (everywhere without `between`) dropped.
    Loss {
        between: Option<[Host; 2]>,
        loss: Real,
    },
    /// The target's instances crashed, and restarted after `restart_after` if given.
    Crash {
        target: Host,
        restart_after: Option<Duration>,
    },
    /// The target's instances paused.
    Pause { target: Host },
}

/// An endpoint's calls resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointCalls {
    /// Every call, in the order written, a `parallel`'s members in place.
    pub calls: Vec<Call>,
    /// Per call of `calls`, a `parallel`'s members in place, what the application does with it.
    pub behaviours: Vec<CallBehaviour>,
    /// Per entry of `calls`, how many of the calls above it holds: 1 for a call, its members
    /// for a `parallel`.
    pub steps: Vec<usize>,
    pub on_failure: Vec<Call>,
    /// Its cache's `GET` and `SETEX`.
    pub cache: Option<(Call, Call)>,
}

/// The calls a `[[service.version.endpoint]]` puts in place of its endpoint's, resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplacedCalls {
    /// Every call, in the order written, a `parallel`'s members in place.
    pub calls: Vec<Call>,
    /// Per call of `calls`, what the application does with it.
    pub behaviours: Vec<CallBehaviour>,
    /// Per entry, how many of the calls above it holds, as [`EndpointCalls::steps`].
    pub steps: Vec<usize>,
}

/// What the application does with one entry of an endpoint's `calls`, defaults filled in. Its
/// `retry_backoff` stays in the schema, read at assembly as service times are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallBehaviour {
    /// The application's timeout of each try; `None`: as long as the mesh takes.
    pub timeout: Option<Duration>,
    pub retries: u32,
    pub on_error: CallFailure,
    /// The share of requests the call is made for.
    pub probability: f64,
}

impl Default for CallBehaviour {
    fn default() -> Self {
        CallBehaviour {
            timeout: None,
            retries: 0,
            on_error: CallFailure::Fail,
            probability: 1.0,
        }
    }
}

/// `on_error` resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFailure {
    Fail,
    Continue,
    Status(u16),
}

/// A saga step resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SagaStep {
    pub action: Call,
    pub compensation: Option<Call>,
}

/// How a route tests one header's value.
#[derive(Debug, Clone)]
pub enum HeaderTest {
    Exact(String),
    Prefix(String),
    /// Compiled once, as Envoy's `safe_regex` reads it: matching the whole value.
    Regex(regex::Regex),
}

/// A `[[mesh.SERVICE.route]]` resolved.
#[derive(Debug, Clone)]
pub struct Route {
    /// Each header the route matches and its test; empty for a route that takes every request.
    pub headers: Vec<(String, HeaderTest)>,
    /// The tests of the callee endpoint's path and method, when the route has them.
    pub uri: Option<HeaderTest>,
    pub method: Option<HeaderTest>,
    /// Each version's weight in percent, the version by its place among the service's (the
    /// base version first, then `[[service.version]]` in order).
    pub weights: Vec<(usize, f64)>,
}

/// What a service's `depends_on` names: something it calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callee {
    Service(ServiceId),
    Broker(BrokerId),
    Store(StoreId),
}

/// What a rollout moves the traffic between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutMove {
    /// A canary, blue/green or rolling update: from one version of the rollout's service to
    /// another, each by its place among the service's versions (the base version first).
    Versions { from: usize, to: usize },
    /// A strangler: from the monolith to the rollout's service.
    Strangler { monolith: ServiceId },
}

/// A rollout's check, its bounds in the metric's unit (milliseconds for a latency).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RolloutCheck {
    pub metric: CheckMetric,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A `[[rollout]]` resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollout {
    pub service: ServiceId,
    pub moves: RolloutMove,
    pub checks: Vec<RolloutCheck>,
}

/// Everything the checker resolved, each list in the file's order.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// Per service, per endpoint.
    pub endpoints: Vec<Vec<EndpointCalls>>,
    /// Per service, per `[[service.version]]` in the file's order, per
    /// `[[service.version.endpoint]]`: the calls it replaces the endpoint's with, if it does.
    pub version_calls: Vec<Vec<Vec<Option<ReplacedCalls>>>>,
    /// Per `[[saga]]`, its steps.
    pub sagas: Vec<Vec<SagaStep>>,
    /// Per `[[fault]]`.
    pub faults: Vec<Fault>,
    /// Per `[[network.link]]`, its two hosts.
    pub links: Vec<[Host; 2]>,
    /// Per `[[workload]]`, the endpoint it sends to.
    pub workloads: Vec<EndpointId>,
    /// Per `[[workload]]`, what its arrival file held (none for the kinds without a file).
    pub arrival_tables: Vec<Option<crate::scenario::ArrivalTable>>,
    /// Per `[[subscription]]`, the endpoint its messages are delivered to.
    pub subscriptions: Vec<EndpointId>,
    /// Per service, the routes of its `[mesh.SERVICE]` (none without one).
    pub routes: Vec<Vec<Route>>,
    /// Per `[[rollout]]`.
    pub rollouts: Vec<Rollout>,
    /// Per `[[store]]`, its kind as the store model takes it, with the keys its kind needs and
    /// a Redis store's defaults filled in.
    pub stores: Vec<StoreKind>,
    /// Per service, what its `depends_on` names.
    pub depends_on: Vec<Vec<Callee>>,
    /// Per service, the callers its `[mesh.SERVICE] allow_from` lets in; `None` lets in all.
    pub allow_from: Vec<Option<Vec<ServiceId>>>,
    /// Per `[[expect]]`, the metric it names, parsed.
    pub expectations: Vec<MetricRef>,
    /// Per service, its autoscaler's metric and spec (`None` without `[service.autoscale]`).
    pub autoscalers: Vec<Option<(ScaleMetric, HpaSpec)>>,
    /// The effective mesh policy on calls to each host.
    pub policies: Policies,
}

/// The effective mesh policy on calls to each host, resolved once from its `[mesh.NAME]` and
/// the scenario's mesh profile: each value the file sets, with its line when the scenario was
/// read from a file, and the profile's default for each it leaves out, with the profile's
/// citation. Assembly compiles it and `explain` shows it, so the two cannot differ.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    /// Per `[[service]]`.
    pub services: Vec<Effective>,
    /// Per `[[broker]]`: what a publisher's sidecar applies to its publishes.
    pub brokers: Vec<Effective>,
    /// Per `[[store]]`.
    pub stores: Vec<Effective>,
}

/// A scenario with what the checker resolved of it.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'s> {
    pub parsed: &'s Scenario,
    pub resolution: &'s Resolution,
}

/// A resolved scenario reads as the scenario it resolves: the file's values stay there.
impl Deref for Resolved<'_> {
    type Target = Scenario;

    fn deref(&self) -> &Scenario {
        self.parsed
    }
}

impl ServiceId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl BrokerId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl StoreId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl WorkloadId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
