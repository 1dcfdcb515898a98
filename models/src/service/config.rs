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
    pub workers: u32,
    pub queue: u32,
    pub endpoints: Vec<EndpointConfig>,
    pub inbound: InboundPolicy,
    /// When an instance is ready to take requests; `None`: as soon as it starts.
    pub readiness: Option<Readiness>,
    /// Whether a rollout controller scrapes the instances: only then do they keep Istio's
    /// request counters, which cost a little on every answer.
    pub exports_metrics: bool,
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
