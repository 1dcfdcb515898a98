//! A run with code: the scenario assembled with its code versions' instances as the doors in
//! front of their code, each such instance a paired turmoil host (the instance's model and its
//! pod's task), driven as any turmoil run.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use meshsim_models::{FromCode, Node, ToCode};
use meshsim_record::RecorderOutputs;
use meshsim_sim::{Link, PairedTask, SimTime, Software, TurmoilEngine, TurmoilOptions};

use super::connector::PodRegistry;
use super::pod::{PodCore, PodSetup, RequestBody, pod_main};
use super::service_code::{Factory, ServiceCode, make_server};
use super::targets::{EndpointName, Targets};
use crate::assemble::{Layout, assemble_with_code, code_callees};
use crate::run_limits::RunLimits;
use crate::scenario::Resolved;
use crate::scenario::schema::FaultKind;
use crate::simulate::{
    EngineKind, SimulateError, Simulation, TURMOIL_HOSTS_MAX, drive_turmoil, finished,
};

/// The versions of `resolved` that `code` names, as (service, version) indices; an error names
/// what the scenario does not have, or a fault the code cannot take.
fn code_versions(
    resolved: Resolved<'_>,
    code: &ServiceCode,
) -> Result<Vec<(usize, usize)>, SimulateError> {
    let scenario = resolved.parsed;
    let mut versions = Vec::new();
    for (service_name, version_name) in code.versions.keys() {
        let Some(service_index) = scenario
            .services
            .iter()
            .position(|s| &s.name == service_name)
        else {
            return Err(SimulateError::Unsupported(format!(
                "no service `{service_name}` in the scenario to run code for; it has {}",
                list(scenario.services.iter().map(|s| s.name.as_str()))
            )));
        };
        let service = &scenario.services[service_index];
        let names = service.version_replicas();
        let Some(version_index) = names
            .iter()
            .position(|(name, _)| *name == version_name.as_str())
        else {
            return Err(SimulateError::Unsupported(format!(
                "service `{service_name}` has no version `{version_name}`; it has {}",
                list(names.iter().map(|(name, _)| *name))
            )));
        };
        refuse_process_faults(resolved, service_index)?;
        versions.push((service_index, version_index));
    }
    for (service_name, endpoint) in code.bodies.keys() {
        let service = scenario.services.iter().find(|s| &s.name == service_name);
        if !service.is_some_and(|service| service.endpoints.iter().any(|e| &e.name == endpoint)) {
            return Err(SimulateError::Unsupported(format!(
                "a request body is given for `{endpoint}` of `{service_name}`, which the scenario does not have"
            )));
        }
    }
    Ok(versions)
}

/// A crash or a pause of an instance whose work is code cannot be simulated: its process is
/// the user's code, running on the host, which meshsim can neither kill nor freeze.
fn refuse_process_faults(
    resolved: Resolved<'_>,
    service_index: usize,
) -> Result<(), SimulateError> {
    let service = &resolved.parsed.services[service_index].name;
    let targeted = resolved.parsed.faults.iter().find(|fault| {
        matches!(fault.kind, FaultKind::Crash | FaultKind::Pause)
            && fault
                .target
                .as_deref()
                .is_some_and(|target| target.split('/').next() == Some(service.as_str()))
    });
    match targeted {
        Some(fault) => Err(SimulateError::Unsupported(format!(
            "a {} at {} targets `{service}`, whose code runs as Rust on its hosts: meshsim cannot \
             crash or freeze the code's process; target another service, or run `{service}` as \
             its model",
            fault.kind.name(),
            fault.at
        ))),
        None => Ok(()),
    }
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|name| format!("`{name}`")).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// What every pod of one code version shares: the code's factory and how its requests look.
#[derive(Clone)]
struct VersionCode {
    factory: Factory,
    targets: Rc<Targets>,
    endpoints: Rc<[EndpointName]>,
    bodies: Rc<[Option<RequestBody>]>,
    service: Rc<str>,
    clients: u32,
}

impl VersionCode {
    fn new(
        resolved: Resolved<'_>,
        service_index: usize,
        factory: &Factory,
        code: &ServiceCode,
    ) -> Self {
        let scenario = resolved.parsed;
        let service = &scenario.services[service_index];
        let body = |endpoint: &str| {
            let key = (service.name.clone(), endpoint.to_owned());
            code.bodies.get(&key).cloned()
        };
        VersionCode {
            factory: Rc::clone(factory),
            targets: Rc::new(Targets::new(
                resolved,
                &code_callees(resolved, service_index),
            )),
            endpoints: service
                .endpoints
                .iter()
                .map(|e| EndpointName::parse(&e.name))
                .collect(),
            bodies: service.endpoints.iter().map(|e| body(&e.name)).collect(),
            service: Rc::from(service.name.as_str()),
            clients: scenario.workloads.len() as u32,
        }
    }

    /// The task of pod `pod`: it makes the pod's server in the pod, then serves.
    fn task(self, pod: usize) -> PairedTask<Node> {
        Box::new(move |link: Rc<Link<FromCode, ToCode>>| -> Pin<Box<dyn Future<Output = turmoil::Result>>> {
            let core = Rc::new(PodCore::new(link, self.targets, self.clients));
            PodRegistry::register(pod, Rc::clone(&core));
            let app = make_server(&self.factory, pod, self.clients);
            Box::pin(pod_main(PodSetup {
                core,
                app,
                pod,
                service: self.service,
                endpoints: self.endpoints,
                bodies: self.bodies,
                idle: RefCell::new(Vec::new()),
                h2: RefCell::new(None),
            }))
        })
    }
}

/// Every host's software: a model alone, or, for an instance of a code version, the model
/// paired with its pod's task. Also the number of pods.
fn software(
    resolved: Resolved<'_>,
    parts_models: Vec<Node>,
    layout: &Layout,
    versions: &[(usize, usize)],
    code: &ServiceCode,
) -> (Vec<Software<Node>>, usize) {
    let mut tasks: Vec<Option<PairedTask<Node>>> = parts_models.iter().map(|_| None).collect();
    let mut pods = 0;
    // `versions` lists the code's versions in the order the code names them.
    for (&(service_index, version_index), factory) in versions.iter().zip(code.versions.values()) {
        let version = VersionCode::new(resolved, service_index, factory, code);
        let service_layout = &layout.services[service_index];
        for instance in service_layout.versions[version_index].1.clone() {
            let node = service_layout.instances[instance];
            tasks[node.index()] = Some(version.clone().task(pods));
            pods += 1;
        }
    }
    let software = parts_models
        .into_iter()
        .zip(tasks)
        .map(|(model, task)| match task {
            Some(task) => Software::Paired(model, task),
            None => Software::Model(model),
        })
        .collect();
    (software, pods)
}

/// Runs a checked scenario on the turmoil engine with some versions as code.
pub fn simulate_with_code(
    resolved: Resolved<'_>,
    seed: u64,
    outputs: RecorderOutputs,
    code: &ServiceCode,
    progress: &mut dyn FnMut(SimTime, SimTime),
) -> Result<Simulation, SimulateError> {
    let versions = code_versions(resolved, code)?;
    let scenario = resolved.parsed;
    let parts = assemble_with_code(resolved, seed, outputs, &versions);
    let hosts = parts.network.node_count();
    if hosts > TURMOIL_HOSTS_MAX {
        return Err(SimulateError::TooManyHosts(hosts));
    }
    let end = parts.end;
    let (software, pods) = software(resolved, parts.models, &parts.layout, &versions, code);
    let _registry = PodRegistry::open(pods);
    let options = TurmoilOptions { seed, end };
    let engine = TurmoilEngine::with_software(
        parts.network,
        software,
        parts.recorder,
        parts.controls,
        options,
    );
    let ran = drive_turmoil(engine, end, &RunLimits::default(), progress)?;
    let code = code
        .versions
        .keys()
        .map(|(service, version)| format!("{service} {version}"))
        .collect();
    finished(scenario, seed, EngineKind::Turmoil, ran, code)
}
