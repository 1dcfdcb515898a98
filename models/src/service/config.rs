//! What a version of a service is configured with, shared by its instances.

use std::sync::Arc;

use meshsim_record::VersionKey;
use meshsim_sim::Distribution;

use super::call_step::CallStep;
use crate::call_target::CallTarget;
use crate::route::HeaderCondition;
use crate::saga::SagaPlan;
use crate::sidecar::inbound::InboundPolicy;

#[derive(Debug, Clone)]
pub struct EndpointConfig {
    pub service_time: Distribution,
    pub error_rate: f64,
    /// Made one after another (a `parallel` step's members at once), each with the
    /// application's own policy.
    pub calls: Vec<CallStep>,
    /// Calls made instead when the endpoint fails; all succeeding, it answers 200.
    pub on_failure: Vec<CallTarget>,
    /// An orchestrated saga the endpoint runs after its own work, instead of `calls`.
    pub saga: Option<Arc<SagaPlan>>,
    /// Cache-aside: the cache's `GET` and `SETEX`. A hit answers without the calls.
    pub cache: Option<(CallTarget, CallTarget)>,
    /// Authentication: per workload client, which of its requests carry the credentials
    /// (`None`: the workload never sends the header). Without, 401 at once.
    pub auth: Option<Vec<Option<HeaderCondition>>>,
}

/// One version of a service, shared by its instances.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub key: VersionKey,
    /// Threads (`Threads`) or event-loop processes (`EventLoop`) of one instance.
    pub workers: u32,
    /// Requests waiting for a thread (`Threads`), or in progress in all phases (`EventLoop`).
    pub queue: u32,
    /// How requests hold the instance while they wait on their calls.
    pub concurrency: Concurrency,
    /// The cores an instance's own work shares by processor sharing; `None`: unlimited, every
    /// worker's work at full speed. With `EventLoop`, the number of processes, each one core:
    /// what CPU utilization is measured against.
    pub cores: Option<f64>,
    pub endpoints: Vec<EndpointConfig>,
    pub inbound: InboundPolicy,
    /// When an instance is ready to take requests; `None`: as soon as it starts.
    pub readiness: Option<Readiness>,
    /// Whether a rollout controller scrapes the instances: only then do they keep Istio's
    /// request counters, which cost a little on every answer.
    pub exports_metrics: bool,
    /// Whether the version's work is real code beside each instance (the turmoil engine's
    /// paired hosts): the instance is then its sidecar and its door, and hands each request
    /// to the code in place of drawing a service time and making the endpoint's calls.
    pub runs_code: bool,
}

/// A readiness probe: an instance is ready once `start_time_ns` has passed since its process
/// started and every dependency (a sidecar upstream) has an instance that takes calls, as
/// Docker Compose's `depends_on: condition: service_healthy` orders a start. Once ready it stays
/// ready until it dies; a restart starts it over.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub start_time_ns: u64,
    pub depends_on: Vec<u16>,
}

/// How an instance serves requests at once: `concurrency` on `[[service]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// A thread per request (Tomcat), held through its calls.
    Threads,
    /// Node.js: one event loop per process; a request holds a process's core only for its own
    /// work, and nothing while it waits on its calls.
    EventLoop,
}
