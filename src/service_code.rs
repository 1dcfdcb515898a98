//! Services written as async Rust code: run on their turmoil hosts in place of the model.
//!
//! A user implements [`AsyncService`] for one service of a scenario and runs the scenario with
//! [`simulate_with_code`]. Every instance of that service becomes a turmoil host whose software
//! is the user's code: each request runs `call` in a task of its own on the host's tokio
//! runtime, where `tokio::time::sleep` takes simulated time, and the status it returns is the
//! answer. Callers reach it through their sidecars as they would reach a model (load balancing,
//! route timeouts, refusals), latency and loss are drawn on the same links, and its answers are
//! recorded as the service's. Only the turmoil engine can run real async code: the event engine
//! has no async runtime.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use indexmap::IndexMap;
use meshsim_models::{Message, Node, Response};
use meshsim_record::{
    Gauge, Reason, ReasonKind, Record, RecorderOutputs, ServedResult, VersionKey,
};
use meshsim_reports::RunInfo;
use meshsim_sim::SimTime;
use meshsim_sim::{Port, Software, TurmoilEngine, TurmoilOptions};

use crate::assemble::assemble_parts;
use crate::scenario::Resolved;
use crate::scenario::schema::FaultKind;
use crate::simulate::{SimulateError, Simulation, TURMOIL_HOSTS_MAX, not_simulated};

/// One request, as the service's code sees it.
#[derive(Debug, Clone)]
pub struct IncomingRequest {
    /// The endpoint's name, as the scenario gives it (`"GET /items"`).
    pub endpoint: String,
    /// The workload request this call is part of: the same for every hop of one request.
    pub trace: u64,
    /// The instance answering, `0` for `service/0`.
    pub instance: usize,
}

/// A service implemented in async Rust. `call` answers one request with an HTTP status; a
/// status from 200 to 399 is a success.
pub trait AsyncService {
    fn call(&self, request: IncomingRequest) -> Pin<Box<dyn Future<Output = u16>>>;
}

/// Which services of a scenario run user code.
#[derive(Default)]
pub struct ServiceCode {
    services: IndexMap<String, Rc<dyn AsyncService>>,
}

impl ServiceCode {
    pub fn new() -> Self {
        ServiceCode::default()
    }

    /// Runs every instance of `service` as `code`.
    #[must_use]
    pub fn with(mut self, service: &str, code: impl AsyncService + 'static) -> Self {
        self.services.insert(service.to_owned(), Rc::new(code));
        self
    }
}

/// The software of one instance running user code: every request in a task of its own.
fn serve(
    port: Rc<Port<Message, Record>>,
    code: Rc<dyn AsyncService>,
    key: VersionKey,
    endpoints: Rc<Vec<String>>,
    instance: usize,
) -> Pin<Box<dyn Future<Output = turmoil::Result>>> {
    Box::pin(async move {
        loop {
            let (from, message) = port.recv().await?;
            let Message::Request(request) = message else {
                continue;
            };
            let (port, code, endpoints) =
                (Rc::clone(&port), Rc::clone(&code), Rc::clone(&endpoints));
            tokio::task::spawn_local(async move {
                let arrived = port.now();
                port.record(Record::Gauge {
                    key,
                    gauge: Gauge::InFlight,
                    delta: 1,
                });
                let incoming = IncomingRequest {
                    endpoint: endpoints[request.endpoint as usize].clone(),
                    trace: request.context.root,
                    instance,
                };
                let status = code.call(incoming).await;
                let success = (200..400).contains(&status);
                let reason = if success {
                    Reason::OK
                } else {
                    Reason {
                        kind: ReasonKind::Error,
                        group: Some(key.group),
                    }
                };
                let response = Response {
                    call: request.call,
                    status,
                    reason,
                };
                port.record(Record::Gauge {
                    key,
                    gauge: Gauge::InFlight,
                    delta: -1,
                });
                port.record(Record::Served {
                    key,
                    node: port.node(),
                    latency_ns: port.now() - arrived,
                    result: if success {
                        ServedResult::Succeeded
                    } else {
                        ServedResult::Failed
                    },
                });
                // A send fails only when the host is going away at the end of the run.
                let _ = port.send(from, &Message::Response(response)).await;
            });
        }
    })
}

/// Runs a checked scenario on the turmoil engine with some services as user code.
pub fn simulate_with_code(
    resolved: Resolved<'_>,
    seed: u64,
    outputs: RecorderOutputs,
    code: &ServiceCode,
    progress: &mut dyn FnMut(SimTime, SimTime),
) -> Result<Simulation, SimulateError> {
    let scenario = resolved.parsed;
    for service in code.services.keys() {
        if !scenario.services.iter().any(|s| &s.name == service) {
            return Err(SimulateError::Unsupported(format!(
                "no service `{service}` in the scenario"
            )));
        }
        let targeted = scenario.faults.iter().any(|fault| {
            matches!(fault.kind, FaultKind::Crash | FaultKind::Pause)
                && fault
                    .target
                    .as_deref()
                    .is_some_and(|target| target.split('/').next() == Some(service.as_str()))
        });
        if targeted {
            return Err(SimulateError::Unsupported(format!(
                "a crash or pause targets `{service}`, which runs as Rust code: its process is the user's, \
                 so meshsim cannot crash or freeze it"
            )));
        }
    }
    let parts = assemble_parts(resolved, seed, outputs);
    let hosts = parts.network.node_count();
    if hosts > TURMOIL_HOSTS_MAX {
        return Err(SimulateError::TooManyHosts(hosts));
    }
    let end = parts.end;
    let mut software: Vec<Software<Node>> = parts.models.into_iter().map(Software::Model).collect();
    for (service_index, service) in scenario.services.iter().enumerate() {
        let Some(service_code) = code.services.get(&service.name) else {
            continue;
        };
        let layout = &parts.layout.services[service_index];
        let endpoints = Rc::new(
            service
                .endpoints
                .iter()
                .map(|e| e.name.clone())
                .collect::<Vec<_>>(),
        );
        for (version_index, (_, range)) in layout.versions.iter().enumerate() {
            let key = VersionKey::new(layout.group, version_index as u32);
            for instance in range.clone() {
                let node = layout.instances[instance];
                let (code, endpoints) = (Rc::clone(service_code), Rc::clone(&endpoints));
                software[node.index()] = Software::Task(Box::new(move |port| {
                    serve(port, code, key, endpoints, instance)
                }));
            }
        }
    }
    let options = TurmoilOptions { seed, end };
    let mut engine = TurmoilEngine::with_software(
        parts.network,
        software,
        parts.recorder,
        parts.controls,
        options,
    );
    let slice_ns = (end.as_nanos() / 100).max(1);
    let mut reached = 0u64;
    while reached < end.as_nanos() {
        reached = reached.saturating_add(slice_ns).min(end.as_nanos());
        engine
            .run_until(SimTime::from_nanos(reached))
            .map_err(SimulateError::Turmoil)?;
        progress(SimTime::from_nanos(reached), end);
    }
    let events = engine.events_processed();
    let network = engine.network_counts();
    let summary = engine
        .finish()
        .map_err(SimulateError::Turmoil)?
        .finish(end)?;
    let info = RunInfo {
        scenario: scenario.scenario.name.clone(),
        description: scenario.scenario.description.clone(),
        seed,
        engine: "turmoil".to_owned(),
        mesh: crate::simulate::mesh_info(scenario),
        events,
        network,
        not_simulated: not_simulated(scenario),
        faults: crate::simulate::fault_windows(scenario),
        invariants: crate::invariants::check(&summary),
        rollout_checks: crate::scenario_notes::rollout_checks(scenario),
        matched_routes: crate::scenario_notes::matched_routes(scenario),
    };
    Ok(Simulation { info, summary })
}
