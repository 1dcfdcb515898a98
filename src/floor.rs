//! The floor: a minimal event loop that walks a scenario's workload call graph — the same hops,
//! the same service-time and latency draws, round robin over each service's replicas — with no
//! queues, workers, sidecars, policies, faults or recording. What meshsim costs above it is the
//! price of everything it models and writes; `meshsim bench --floor` and `cargo bench --bench
//! chain` print the ratio.
//!
//! It models only what it can walk without modelling anything else: sequential synchronous
//! calls between services' endpoints, from Poisson or constant workloads, over the network's
//! one latency. [`Floor::of`] refuses any other scenario, naming the first part it does not
//! model, rather than give a yardstick for different work.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use meshsim_sim::{Distribution, Seeder, SimRng};

use crate::assemble::distribution;
use crate::scenario::resolved::Call as ResolvedCall;
use crate::scenario::schema::{Arrival, CallEntry, Endpoint, Scenario, Service};
use crate::scenario::{DocPath, Resolved};

/// A scenario's call graph, compiled for the floor's loop.
#[derive(Debug, Clone)]
pub struct Floor {
    end_ns: u64,
    /// One-way latency per hop; `None` when hops are instantaneous, which draws nothing.
    latency: Option<Distribution>,
    /// Every service's endpoints, one after another.
    endpoints: Vec<FloorEndpoint>,
    /// The callee of each endpoint's calls, as an index into `endpoints`; each endpoint owns
    /// the range `calls_start..calls_end`.
    callees: Vec<u32>,
    /// How many services: each has a round robin.
    services: usize,
    workloads: Vec<FloorWorkload>,
}

#[derive(Debug, Clone)]
struct FloorEndpoint {
    service: u32,
    /// The service's replicas (at least 1, or it is refused): the round robin's modulus.
    replicas: u32,
    service_time: Option<Distribution>,
    calls_start: u32,
    calls_end: u32,
}

#[derive(Debug, Clone)]
struct FloorWorkload {
    gap: Distribution,
    endpoint: u32,
}

/// What one run of the floor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloorRun {
    /// Workload requests sent.
    pub requests: u64,
    /// Events taken off the queue, one per hop's arrival and per workload arrival.
    pub events: u64,
}

/// The first part of a scenario the floor does not model, and where it is written.
#[derive(Debug, Clone)]
pub struct Unmodelled {
    pub path: DocPath,
    /// What it is, in words: "a `[[fault]]`", "a call with a `probability`".
    pub what: String,
}

impl Unmodelled {
    fn at(path: DocPath, what: &str) -> Self {
        Unmodelled {
            path,
            what: what.to_owned(),
        }
    }
}

impl Floor {
    /// The floor of a checked scenario, or the first part of it the floor does not model.
    pub fn of(resolved: Resolved<'_>) -> Result<Floor, Unmodelled> {
        let scenario = resolved.parsed;
        refuse_unmodelled_kinds(scenario)?;
        let offsets = endpoint_offsets(scenario);
        let mut floor = Floor {
            end_ns: scenario.scenario.duration.as_nanos(),
            latency: scenario.network.latency.as_ref().map(distribution),
            endpoints: Vec::new(),
            callees: Vec::new(),
            services: scenario.services.len(),
            workloads: Vec::new(),
        };
        for (service_index, service) in scenario.services.iter().enumerate() {
            floor.add_service(resolved, service_index, service, &offsets)?;
        }
        for (index, workload) in scenario.workloads.iter().enumerate() {
            let path = DocPath::root().key("workload").index(index).key("arrival");
            let gap = match workload.arrival {
                Arrival::Poisson { rate } => Distribution::Exp {
                    mean_ns: 1e9 / rate.get(),
                },
                Arrival::Constant { rate } => Distribution::Const {
                    value_ns: (1e9 / rate.get()) as u64,
                },
                _ => {
                    return Err(Unmodelled::at(
                        path,
                        "an arrival other than poisson or constant",
                    ));
                }
            };
            let target = resolved.resolution.workloads[index];
            if !scenario.services[target.0.0 as usize].exposed {
                let path = DocPath::root().key("workload").index(index).key("target");
                return Err(Unmodelled::at(
                    path,
                    "a workload sent to a service not exposed",
                ));
            }
            let endpoint = offsets[target.0.0 as usize] + u32::from(target.1);
            floor.workloads.push(FloorWorkload { gap, endpoint });
        }
        Ok(floor)
    }

    /// The simulated time the floor runs for: the scenario's duration.
    pub fn duration_ns(&self) -> u64 {
        self.end_ns
    }

    /// Runs the loop from `seed` to the scenario's end.
    pub fn run(&self, seed: u64) -> FloorRun {
        Walk::new(self, seed).run()
    }

    fn add_service(
        &mut self,
        resolved: Resolved<'_>,
        service_index: usize,
        service: &Service,
        offsets: &[u32],
    ) -> Result<(), Unmodelled> {
        let path = DocPath::root().key("service").index(service_index);
        refuse_unmodelled_service(&path, service)?;
        let resolved_endpoints = &resolved.resolution.endpoints[service_index];
        for (index, endpoint) in service.endpoints.iter().enumerate() {
            let endpoint_path = path.key("endpoint").index(index);
            refuse_unmodelled_endpoint(&endpoint_path, endpoint)?;
            let calls_start = self.callees.len() as u32;
            for call in &resolved_endpoints[index].calls {
                let ResolvedCall::Sync(callee) = *call else {
                    unreachable!("a publish or a store call was refused above")
                };
                self.callees
                    .push(offsets[callee.0.0 as usize] + u32::from(callee.1));
            }
            self.endpoints.push(FloorEndpoint {
                service: service_index as u32,
                replicas: service.replicas,
                service_time: endpoint.service_time.as_ref().map(distribution),
                calls_start,
                calls_end: self.callees.len() as u32,
            });
        }
        Ok(())
    }
}

/// Per service, the index of its first endpoint among all services' endpoints.
fn endpoint_offsets(scenario: &Scenario) -> Vec<u32> {
    let mut offset = 0u32;
    let mut offsets = Vec::with_capacity(scenario.services.len());
    for service in &scenario.services {
        offsets.push(offset);
        offset += service.endpoints.len() as u32;
    }
    offsets
}

/// Refuses the kinds of things the floor has no hop for: each changes the work a run does.
fn refuse_unmodelled_kinds(scenario: &Scenario) -> Result<(), Unmodelled> {
    let present = [
        ("broker", scenario.brokers.len(), "a `[[broker]]`"),
        (
            "subscription",
            scenario.subscriptions.len(),
            "a `[[subscription]]`",
        ),
        ("store", scenario.stores.len(), "a `[[store]]`"),
        ("saga", scenario.sagas.len(), "a `[[saga]]`"),
        ("fault", scenario.faults.len(), "a `[[fault]]`"),
        ("rollout", scenario.rollouts.len(), "a `[[rollout]]`"),
    ];
    for (key, count, what) in present {
        if count > 0 {
            return Err(Unmodelled::at(DocPath::root().key(key).index(0), what));
        }
    }
    let network = DocPath::root().key("network");
    if scenario.network.loss.get() > 0.0 {
        return Err(Unmodelled::at(network.key("loss"), "message loss"));
    }
    if !scenario.network.link.is_empty() {
        return Err(Unmodelled::at(
            network.key("link").index(0),
            "a `[[network.link]]`",
        ));
    }
    Ok(())
}

fn refuse_unmodelled_service(path: &DocPath, service: &Service) -> Result<(), Unmodelled> {
    if service.replicas == 0 {
        return Err(Unmodelled::at(
            path.key("replicas"),
            "a service without replicas",
        ));
    }
    if !service.versions.is_empty() {
        return Err(Unmodelled::at(
            path.key("version").index(0),
            "a `[[service.version]]`",
        ));
    }
    if service.start_time.is_some_and(|time| time.as_nanos() > 0) {
        return Err(Unmodelled::at(path.key("start_time"), "a `start_time`"));
    }
    if service.client_rate_limit.is_some() {
        return Err(Unmodelled::at(
            path.key("client_rate_limit"),
            "a `client_rate_limit`",
        ));
    }
    Ok(())
}

fn refuse_unmodelled_endpoint(path: &DocPath, endpoint: &Endpoint) -> Result<(), Unmodelled> {
    if endpoint.error_rate.get() > 0.0 {
        return Err(Unmodelled::at(path.key("error_rate"), "an `error_rate`"));
    }
    if !endpoint.on_failure.is_empty() {
        return Err(Unmodelled::at(path.key("on_failure"), "`on_failure` calls"));
    }
    if endpoint.cache.is_some() {
        return Err(Unmodelled::at(path.key("cache"), "a cache"));
    }
    if endpoint.auth.is_some() {
        return Err(Unmodelled::at(path.key("auth"), "an `auth` header"));
    }
    for (index, entry) in endpoint.calls.iter().enumerate() {
        let call_path = path.key("calls").index(index);
        let call = match entry {
            CallEntry::Parallel(_) => {
                return Err(Unmodelled::at(call_path, "`parallel` calls"));
            }
            CallEntry::Call(call) => call,
        };
        if call.service.is_none() {
            return Err(Unmodelled::at(call_path, "a call to a store or a topic"));
        }
        if call.probability.is_some_and(|share| share.get() < 1.0) {
            return Err(Unmodelled::at(
                call_path.key("probability"),
                "a call with a `probability`",
            ));
        }
    }
    Ok(())
}

/// Steps of the loop, stored in the event as a byte.
const ARRIVE: u8 = 0;
const ENTER: u8 = 1;
const ANSWERED: u8 = 2;
const BACK_AT_CLIENT: u8 = 3;

/// The parent of a frame the workload's client opened.
const CLIENT: u32 = u32::MAX;

/// One request at one endpoint: the call it makes next (an index into the floor's callees,
/// set on entry), where its calls end, and who waits for its answer.
#[derive(Clone, Copy)]
struct Frame {
    endpoint: u32,
    call: u32,
    calls_end: u32,
    parent: u32,
}

/// One run of the floor's loop: a binary heap of (time, sequence, index, step), where the
/// index is a workload for `ARRIVE` and a frame otherwise; frames are reused once answered.
struct Walk<'floor> {
    floor: &'floor Floor,
    queue: BinaryHeap<Reverse<(u64, u64, u32, u8)>>,
    sequence: u64,
    frames: Vec<Frame>,
    free_frames: Vec<u32>,
    round_robin: Vec<u32>,
    arrivals: SimRng,
    network: SimRng,
    work: SimRng,
    sent: u64,
    done: u64,
}

impl<'floor> Walk<'floor> {
    fn new(floor: &'floor Floor, seed: u64) -> Self {
        let seeder = Seeder::new(seed);
        Walk {
            floor,
            queue: BinaryHeap::new(),
            sequence: 0,
            frames: Vec::new(),
            free_frames: Vec::new(),
            round_robin: vec![0; floor.services],
            arrivals: seeder.stream("arrivals"),
            network: seeder.stream("network"),
            work: seeder.stream("work"),
            sent: 0,
            done: 0,
        }
    }

    fn run(mut self) -> FloorRun {
        for workload in 0..self.floor.workloads.len() {
            self.push(0, workload as u32, ARRIVE);
        }
        let mut events = 0u64;
        // Bounded: every event is at a later or equal time, and the loop stops past the end.
        while let Some(Reverse((now, _, index, step))) = self.queue.pop() {
            if now > self.floor.end_ns {
                break;
            }
            events += 1;
            match step {
                ARRIVE => self.arrive(now, index),
                ENTER => self.enter(now, index),
                ANSWERED => self.answered(now, index),
                _ => self.done += 1,
            }
        }
        assert!(self.done <= self.sent);
        FloorRun {
            requests: self.sent,
            events,
        }
    }

    fn push(&mut self, at: u64, index: u32, step: u8) {
        self.sequence += 1;
        self.queue.push(Reverse((at, self.sequence, index, step)));
    }

    fn hop(&mut self) -> u64 {
        self.floor
            .latency
            .as_ref()
            .map_or(0, |latency| latency.sample_ns(&mut self.network))
    }

    /// A workload's request leaves its client; the next one is due after a gap.
    fn arrive(&mut self, now: u64, workload: u32) {
        self.sent += 1;
        let target = &self.floor.workloads[workload as usize];
        let (gap, endpoint) = (target.gap.sample_ns(&mut self.arrivals), target.endpoint);
        self.push(now + gap, workload, ARRIVE);
        let frame = self.open(endpoint, CLIENT);
        let at = now + self.hop();
        self.push(at, frame, ENTER);
    }

    /// A request reaches an endpoint: its own work, then its first call or its answer.
    fn enter(&mut self, now: u64, frame: u32) {
        let state = &mut self.frames[frame as usize];
        let endpoint = &self.floor.endpoints[state.endpoint as usize];
        (state.call, state.calls_end) = (endpoint.calls_start, endpoint.calls_end);
        let service = endpoint.service as usize;
        let next = self.round_robin[service] + 1;
        self.round_robin[service] = if next == endpoint.replicas { 0 } else { next };
        let work_ns = endpoint
            .service_time
            .as_ref()
            .map_or(0, |time| time.sample_ns(&mut self.work));
        self.next_or_answer(now + work_ns, frame);
    }

    /// A callee answered the frame's current call.
    fn answered(&mut self, now: u64, frame: u32) {
        self.frames[frame as usize].call += 1;
        self.next_or_answer(now, frame);
    }

    /// Sends the frame's next call, or, when none is left, its answer back to its caller.
    fn next_or_answer(&mut self, now: u64, frame: u32) {
        let Frame {
            call,
            calls_end,
            parent,
            ..
        } = self.frames[frame as usize];
        let at = now + self.hop();
        if call < calls_end {
            let child = self.open(self.floor.callees[call as usize], frame);
            self.push(at, child, ENTER);
            return;
        }
        self.free_frames.push(frame);
        if parent == CLIENT {
            self.push(at, frame, BACK_AT_CLIENT);
        } else {
            self.push(at, parent, ANSWERED);
        }
    }

    fn open(&mut self, endpoint: u32, parent: u32) -> u32 {
        let frame = Frame {
            endpoint,
            call: 0,
            calls_end: 0,
            parent,
        };
        if let Some(index) = self.free_frames.pop() {
            self.frames[index as usize] = frame;
            return index;
        }
        self.frames.push(frame);
        (self.frames.len() - 1) as u32
    }
}
