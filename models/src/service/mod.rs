//! A service instance: a pool of workers in front of a bounded FIFO queue.
//!
//! A request takes a free worker or waits in the queue; a full queue sheds it with 503. The
//! worker does the endpoint's own work (its service time, on the instance's CPU: unlimited,
//! shared cores or an event loop, `work.rs`; with probability `error_rate` the work answers
//! 500), then makes the endpoint's calls through the instance's sidecar, one step after
//! another (a step is one call, or a `parallel` whose calls go out at once, `parallel.rs`),
//! each call with the application's own timeout, retries and `on_error` (`calls.rs`). A thread
//! stays held through the calls; an event loop's request holds nothing while it waits. A
//! failed call fails the request with 500 by default, carrying the reason the failure began
//! with. An autoscaler may start, drain and stop the instance (`scaling.rs`).
use std::sync::Arc;

use meshsim_record::{Reason, ReasonKind, Record, SagaEvent, ServedResult, SpanKind};
use meshsim_sim::{GroupId, Input, NodeId, SimRng, SimTime, TimerId};
use smallvec::SmallVec;

mod admission;
mod app_call;
mod call_step;
mod call_try;
mod calls;
mod code;
mod code_state;
mod config;
mod cpu;
mod deployment;
mod lifecycle;
mod parallel;
pub(crate) mod refusal;
mod scaling;
mod steps;
mod timer;
mod work;

pub use app_call::{AppCall, CallPolicy, OnError};
pub use call_step::CallStep;
use call_step::first_call_made;
use code_state::CodeState;
pub use code_state::{FromCode, ToCode};
pub use config::{Concurrency, EndpointConfig, Readiness, ServiceConfig};

use crate::arrival::Arrival;
pub use crate::call_target::CallTarget;
use crate::message::{Control, Message, Request, Response, ScrapeNumber, SpanAt};
use crate::outbox::Outbox;
use crate::saga::SagaRun;
use crate::served_counters::ServedCounters;
use crate::sidecar::Sidecar;
use crate::sidecar::inbound::Inbound;
pub use crate::sidecar::inbound::{InboundPolicy, RateLimitConfig};
use crate::slab::{Slab, SlabKey};
use crate::timer::expect_own;
use crate::worker_pool::WorkerPool;
use call_try::CallTry;
use cpu::Cpu;
use deployment::Deployment;
pub(crate) use deployment::TERMINATION_GRACE_NS;
use timer::ServiceTimer;

/// Where a job with a cache-aside endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheStep {
    /// No cache, or not yet asked.
    Off,
    /// Waiting for the `GET`.
    Lookup,
    /// Missed: making the calls.
    Calls,
    /// The calls succeeded: waiting for the `SETEX`.
    Fill,
}

/// The instance's stream for its calls' draws, which it holds when any endpoint's calls have a
/// policy, the only calls that draw.
fn call_stream(call_rng: &mut Option<Box<SimRng>>) -> &mut SimRng {
    call_rng
        .as_deref_mut()
        .expect("an instance whose calls draw holds their stream")
}

/// Room for this many requests at once before an instance's job slab grows: made with the
/// instance, its block lies beside the instance's others (`Slab::with_capacity`).
const JOBS_AT_START: usize = 4;

struct Job {
    from: NodeId,
    request: Request,
    arrived_at: SimTime,
    /// When a worker took the request and its own work began (it may wait for a core).
    started_at: SimTime,
    /// The own work the request needs, in core-nanoseconds: its service time drawn.
    work_ns: u64,
    next_call: usize,
    /// The saga the job runs, if its endpoint has one: boxed, since most jobs run none and every
    /// job's slot is written when it starts.
    saga: Option<Box<SagaRun>>,
    /// A saga resumed after a crash: nobody waits for its answer.
    detached: bool,
    /// Set when the endpoint failed and runs its `on_failure` calls: the failure's reason.
    failing: Option<Reason>,
    cache: CacheStep,
    /// The call in progress, as the application sees it.
    call: CallTry,
    /// The members of the parallel step in progress, in the order written; empty otherwise.
    members: Vec<CallTry>,
    /// A call failed and the endpoint went on without it (`on_error = "continue"`).
    degraded: bool,
}

pub struct ServiceInstance {
    node: NodeId,
    /// `service/N`, for `events.csv`.
    name: String,
    config: Arc<ServiceConfig>,
    rng: SimRng,
    /// The draws of the application's calls (which to make, the back-off before a retry): a
    /// stream of their own, so an endpoint without them draws as it did. Only an instance with
    /// an endpoint whose calls have a policy draws from it, so only such an instance holds it:
    /// most would carry its 120 bytes for nothing.
    call_rng: Option<Box<SimRng>>,
    /// Per endpoint, whether every call has the default policy (no timeout, no retries, made
    /// for every request, a failure fails the endpoint): such calls go out as they did before
    /// the application had a policy, without reading one, drawing or setting a timer. Inline
    /// for up to 16 endpoints: a block of its own would be one more cache miss a call.
    plain_calls: SmallVec<[bool; 16]>,
    sidecar: Sidecar,
    /// The instance's own sidecar: what it lets through to the service; `None` when it lets
    /// everything through (no authorization, no rate limit), as most do. Boxed: its 272 bytes
    /// would sit among the fields every request reads, and most instances need none of them.
    inbound: Option<Box<Inbound>>,
    /// The running jobs' state, keyed as their timers and calls are; the pool counts them.
    jobs: Slab<Job>,
    /// The workers and the queue of requests waiting for one; with event loops, the requests
    /// in progress (`queue` of them), and no queue.
    pool: WorkerPool<Arrival>,
    /// Where the own work runs: unlimited, shared cores or event loops.
    cpu: Cpu,
    /// Core-nanoseconds of own work this instance has finished since the run began (a crash
    /// does not reset it), counted when each work ends: what a CPU metric's rate is taken of.
    pub(crate) cpu_busy_ns: u64,
    /// Sagas in progress when the process died: the durable saga log, undone on restart.
    saga_log: Vec<(Request, SagaRun)>,
    /// What the instance's sidecar exports for a metrics scrape, when something scrapes it; a
    /// crash resets it. Boxed, and only then: its 184 bytes would sit among hot fields.
    served: Option<Box<ServedCounters>>,
    /// Whether the instance takes requests: always without a readiness probe.
    ready: bool,
    /// When the process last started; `None` while it is dead (a dead process probes nothing,
    /// though its sidecar's view of the upstreams goes on).
    started_at: Option<SimTime>,
    /// Who learns of this instance's readiness: every caller's sidecar (and brokers).
    announce_to: Vec<NodeId>,
    /// Whether an autoscaler has it running, draining or standing by.
    deployment: Deployment,
    /// Requests answered since the run began, for an autoscaler's samples.
    answered: u64,
    /// What an instance whose work is code beside it keeps; `None` for a model's instance.
    code: Option<Box<CodeState>>,
}

impl ServiceInstance {
    pub fn new(
        node: NodeId,
        name: &str,
        config: Arc<ServiceConfig>,
        (rng, call_rng): (SimRng, SimRng),
        sidecar: Sidecar,
    ) -> Self {
        let plain_calls: SmallVec<[bool; 16]> = config
            .endpoints
            .iter()
            .map(|endpoint| endpoint.calls.iter().all(CallStep::is_plain))
            .collect();
        let draws_calls = plain_calls.iter().any(|&plain| !plain);
        ServiceInstance {
            node,
            name: name.to_owned(),
            rng,
            call_rng: draws_calls.then(|| Box::new(call_rng)),
            plain_calls,
            sidecar,
            inbound: (!config.inbound.is_open())
                .then(|| Box::new(Inbound::new(config.inbound.clone(), name))),
            jobs: Slab::with_capacity(JOBS_AT_START),
            pool: match config.concurrency {
                Concurrency::Threads => WorkerPool::new(config.key, config.workers, config.queue),
                // An event loop takes every request up to `queue` in progress, and waits none.
                Concurrency::EventLoop => WorkerPool::new(config.key, config.queue, 0),
            },
            cpu: Cpu::of(&config),
            cpu_busy_ns: 0,
            saga_log: Vec::new(),
            served: config.exports_metrics.then(Box::default),
            ready: config.readiness.is_none(),
            started_at: Some(SimTime::ZERO),
            announce_to: Vec::new(),
            deployment: Deployment::Running,
            answered: 0,
            code: config.runs_code.then(Box::default),
            config,
        }
    }

    /// The nodes told when this instance becomes ready or dies (set once the whole world is
    /// assembled, since callers are built after it).
    pub fn announce_to(&mut self, nodes: Vec<NodeId>) {
        self.announce_to = nodes;
    }

    /// Records an answer this instance gave, and counts it for the scrapes if anything
    /// scrapes this instance.
    fn record_served(
        &mut self,
        status: u16,
        latency_ns: u64,
        result: ServedResult,
        out: &mut Outbox<Message>,
    ) {
        out.record(Record::Served {
            key: self.config.key,
            node: self.node,
            latency_ns,
            result,
        });
        if let Some(served) = &mut self.served {
            served.count(status, latency_ns);
        }
        self.answered += 1;
    }

    fn group(&self) -> GroupId {
        self.config.key.group
    }

    pub fn busy_workers(&self) -> usize {
        self.pool.busy_workers()
    }

    pub fn queue_depth(&self) -> usize {
        self.pool.queue_depth()
    }

    /// Core-nanoseconds of own work finished here since the run began.
    pub fn cpu_busy_ns(&self) -> u64 {
        self.cpu_busy_ns
    }

    // Inputs are handed over by value, as the engine gives them up; most fields are `Copy`.
    #[allow(clippy::needless_pass_by_value)]
    pub fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match input {
            Input::Message {
                from,
                message: Message::Request(request),
            } => self.on_request(now, from, request, out),
            Input::Message {
                message: Message::Response(response),
                ..
            } => self.sidecar.on_response(now, &response, out),
            Input::Refused {
                message: Message::Request(request),
                ..
            } => self.sidecar.on_refused(now, &request, out),
            Input::Message {
                from,
                message: Message::Control(control),
            } => match control {
                Control::Scrape { scrape } => self.answer_scrape(from, scrape, out),
                Control::Routes(update) => self.sidecar.on_routes(&update),
                Control::Endpoint { node, ready } => {
                    self.sidecar.on_endpoint(now, node, ready, out);
                    self.probe(now, out);
                }
                Control::Ready { node, ready } => {
                    self.sidecar.on_ready(now, node, ready, out);
                    self.probe(now, out);
                }
                Control::Scale(message) => self.on_scale(now, from, message, out),
                // Only a controller reads scrapes.
                Control::Scraped { .. } => {}
            },
            // An answer is never refused back to the one answering: resets travel as answers.
            // Control-plane messages are fire and forget.
            Input::Refused {
                message: Message::Response(_) | Message::Control(_),
                ..
            } => {}
            // A standby instance has no process to start, crash or restart.
            Input::Start | Input::Crashed | Input::Restarted if !self.deployed() => {}
            Input::Start => self.starting(now, out),
            Input::Finish => self.report_unfinished(out),
            Input::Timer(id) => self.on_timer(now, id, out),
            Input::Crashed => self.crash(now, out),
            Input::Restarted => self.restarted(now, out),
            Input::Membership { node, up } => {
                self.sidecar.on_membership(now, node, up, out);
                self.probe(now, out);
            }
        }
        // Whatever the input finished, the workers waiting on those calls go on now.
        while let Some(done) = self.sidecar.pop_completion() {
            if self.code.is_some() {
                self.code_call_ended(done.response);
            } else {
                self.on_call_answered(now, done.owner, done.response, out);
            }
        }
        self.drained(out);
    }

    /// Answers a metrics scrape with the counters since the process started, in parts.
    fn answer_scrape(&self, from: NodeId, scrape: ScrapeNumber, out: &mut Outbox<Message>) {
        let nothing_served = ServedCounters::default();
        let served = self.served.as_deref().unwrap_or(&nothing_served);
        for (part, values) in served.to_parts().into_iter().enumerate() {
            let part = part as u8;
            out.send(
                from,
                Message::Control(Control::Scraped {
                    scrape,
                    part,
                    values,
                }),
            );
        }
    }

    fn on_timer(&mut self, now: SimTime, id: TimerId, out: &mut Outbox<Message>) {
        match expect_own(id, "a service instance") {
            ServiceTimer::Work(key) => self.work_done(now, key, out),
            ServiceTimer::CpuShare(generation) => self.cpu_share_over(now, generation, out),
            ServiceTimer::LoopWork(process) => self.loop_work_over(now, process, out),
            ServiceTimer::Startup => self.probe(now, out),
            ServiceTimer::Terminate => self.terminate(now, out),
            ServiceTimer::SagaRetry(key) => {
                if let Some(run) = self.jobs.get_mut(key).and_then(|job| job.saga.as_mut()) {
                    let next = run.retry();
                    self.saga_next(now, key, next, out);
                }
            }
            ServiceTimer::AppTimeout(key) => self.app_timeout(now, key, out),
            ServiceTimer::AppBackoff(key) => self.backoff_over(now, key, out),
            ServiceTimer::Sidecar(timer) => self.sidecar.on_timer(now, timer, out),
        }
    }

    /// Records a span of a sampled request at this instance, sent by `from`; `job` is the
    /// visit's key when it has one (its calls name it as their parent).
    fn span(
        &self,
        (from, request, job): (NodeId, &Request, Option<SlabKey>),
        kind: SpanKind,
        start: SimTime,
        now: SimTime,
        status: u16,
        out: &mut Outbox<Message>,
    ) {
        let at = SpanAt {
            node: self.node,
            group: self.group(),
            from,
            owner: job,
        };
        request.record_span(at, kind, (start, now), status, out);
    }

    /// Starts a request on the worker the pool gave it.
    fn start(&mut self, now: SimTime, arrival: Arrival, out: &mut Outbox<Message>) {
        let Arrival {
            from,
            request,
            arrived_at,
        } = arrival;
        let endpoint = &self.config.endpoints[request.endpoint as usize];
        let work_ns = endpoint.service_time.sample_ns(&mut self.rng);
        let key = self.jobs.insert(Job {
            from,
            request,
            arrived_at,
            started_at: now,
            work_ns,
            next_call: 0,
            saga: None,
            detached: false,
            failing: None,
            cache: CacheStep::Off,
            call: CallTry::NONE,
            members: Vec::new(),
            degraded: false,
        });
        if now > arrived_at {
            let spanned = (from, &request, Some(key));
            self.span(spanned, SpanKind::Queue, arrived_at, now, 0, out);
        }
        if self.code.is_some() {
            self.serve_in_code(key);
        } else {
            self.begin_work(now, key, work_ns, out);
        }
    }

    fn after_work(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let Some(job) = self.jobs.get(key) else {
            unreachable!("a work timer outlived its job: crashes bump the incarnation")
        };
        let spanned = (job.from, &job.request, Some(key));
        self.span(spanned, SpanKind::Work, job.started_at, now, 0, out);
        let endpoint = &self.config.endpoints[job.request.endpoint as usize];
        if self.rng.chance(endpoint.error_rate) {
            let reason = Reason {
                kind: ReasonKind::Error,
                group: Some(self.group()),
            };
            self.failed(now, key, 500, reason, out);
        } else if let Some(plan) = endpoint.saga.clone() {
            out.record(Record::Saga {
                event: SagaEvent::Started,
            });
            let (run, next) = SagaRun::start(plan);
            self.jobs.get_mut(key).expect("live job").saga = Some(Box::new(run));
            self.saga_next(now, key, next, out);
        } else if let Some((lookup, _)) = endpoint.cache {
            self.jobs.get_mut(key).expect("live job").cache = CacheStep::Lookup;
            self.call(now, key, lookup, out);
        } else {
            self.next_call(now, key, out);
        }
    }

    /// The endpoint failed with `status`. A refusal it got from a callee (a 4xx other than
    /// 429: the business said no) runs its `on_failure` calls, if it has any; anything else (its
    /// own error, a timeout, an unreachable or overloaded callee) is a technical failure that may
    /// pass, and answers 500 so that the caller (or the broker) tries again.
    fn failed(
        &mut self,
        now: SimTime,
        key: SlabKey,
        status: u16,
        reason: Reason,
        out: &mut Outbox<Message>,
    ) {
        let job = self.jobs.get_mut(key).expect("job is live when it fails");
        let endpoint = &self.config.endpoints[job.request.endpoint as usize];
        let refused = (400..500).contains(&status) && status != 429;
        if job.failing.is_some() || endpoint.on_failure.is_empty() || !refused {
            // The handler's catch: any failed call fails the request, as the seed's services
            // do; a failure while handling a failure ends it with the first one's reason. A
            // call whose connection was refused (or found no instance) answers the service's
            // `refused_status`: the seed's gateway says 503 for `ECONNREFUSED`.
            let unreachable = status == 503
                && matches!(
                    reason.kind,
                    ReasonKind::Refused | ReasonKind::NoHealthyUpstream
                );
            let answer = if unreachable && job.failing.is_none() {
                self.config.inbound.refused_status
            } else {
                500
            };
            let reason = job.failing.unwrap_or(reason);
            self.finish(now, key, answer, reason, out);
            return;
        }
        job.failing = Some(reason);
        job.next_call = 0;
        self.next_call(now, key, out);
    }

    fn next_call(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        let endpoint = &self.config.endpoints[job.request.endpoint as usize];
        let failing = job.failing.is_some();
        // The common path: an `on_failure` call or a call of a plain endpoint has the default
        // policy, so nothing is drawn and no policy is read.
        let plain = failing || self.plain_calls[job.request.endpoint as usize];
        if !plain {
            job.next_call = first_call_made(
                &endpoint.calls,
                job.next_call,
                call_stream(&mut self.call_rng),
            );
        }
        let target = if failing {
            endpoint.on_failure.get(job.next_call).copied()
        } else {
            match endpoint.calls.get(job.next_call) {
                Some(CallStep::One(call)) => Some(call.target),
                Some(CallStep::Parallel(_)) => {
                    let step = job.next_call;
                    job.next_call += 1;
                    self.start_parallel(now, key, step, out);
                    return;
                }
                None => None,
            }
        };
        let Some(target) = target else {
            // Done: every call made, or the failure handled and reported. A cache missed on
            // the way in is filled before the answer.
            if job.cache == CacheStep::Calls
                && job.failing.is_none()
                && let Some((_, fill)) = endpoint.cache
            {
                job.cache = CacheStep::Fill;
                self.call(now, key, fill, out);
                return;
            }
            self.finish(now, key, 200, Reason::OK, out);
            return;
        };
        job.call = CallTry::new(target, (!failing).then_some(job.next_call));
        job.next_call += 1;
        if plain {
            self.make_plain_try(now, key, out);
        } else {
            self.make_try(now, key, out);
        }
    }

    fn on_call_answered(
        &mut self,
        now: SimTime,
        key: SlabKey,
        response: Response,
        out: &mut Outbox<Message>,
    ) {
        let Some(job) = self.jobs.get_mut(key) else {
            return;
        };
        if let Some(run) = &mut job.saga {
            let next = run.answered(&response);
            self.saga_next(now, key, next, out);
            return;
        }
        if !job.members.is_empty() {
            self.member_answered(now, key, response, out);
            return;
        }
        if !job.call.awaits(response.call) {
            // A try the application stopped waiting for (its own timeout ran out) answered
            // late: the mesh counted it on the edge; the application drops it.
            return;
        }
        match job.cache {
            CacheStep::Lookup if response.status == 200 => {
                // A hit: the cached answer, without the calls.
                self.finish(now, key, 200, Reason::OK, out);
                return;
            }
            CacheStep::Lookup => {
                // A miss, or the cache is unreachable: fail open, to the calls.
                job.cache = CacheStep::Calls;
                self.next_call(now, key, out);
                return;
            }
            CacheStep::Fill => {
                // The answer is ready whether the fill worked or not.
                self.finish(now, key, 200, Reason::OK, out);
                return;
            }
            CacheStep::Off | CacheStep::Calls => {}
        }
        self.try_ended(now, key, response, out);
    }

    fn finish(
        &mut self,
        now: SimTime,
        key: SlabKey,
        status: u16,
        reason: Reason,
        out: &mut Outbox<Message>,
    ) {
        let job = self.jobs.remove(key).expect("finishing a live job");
        let response = Response::new(job.request.call, status, reason);
        if job.detached {
            // A saga resumed after a crash: its caller got its reset long ago, and nothing
            // counts it in flight.
            self.pool.release_background();
            return;
        }
        out.send(job.from, Message::Response(response));
        self.span(
            (job.from, &job.request, Some(key)),
            SpanKind::Serve,
            job.arrived_at,
            now,
            status,
            out,
        );
        let result = if response.is_success() && job.degraded {
            ServedResult::Degraded
        } else if response.is_success() {
            ServedResult::Succeeded
        } else {
            ServedResult::Failed
        };
        self.record_served(status, now - job.arrived_at, result, out);
        if let Some(next) = self.pool.finish(out) {
            self.start(now, next, out);
        }
    }
}

/// A duration as `events.csv` shows it: `12.5s`.
fn seconds_text(ns: u64) -> String {
    let text = format!("{:.3}", ns as f64 / 1e9);
    format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
}

#[cfg(test)]
mod call_tests;
#[cfg(test)]
mod code_tests;
#[cfg(test)]
mod parallel_tests;
#[cfg(test)]
mod scaling_tests;
#[cfg(test)]
mod tests;
