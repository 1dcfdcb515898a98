//! The service instance as a state machine: inputs in, sends, timers and records out.

use std::sync::Arc;

use meshsim_record::{Gauge, MeshEvent, ReasonKind, Record, ServedResult, VersionKey};
use meshsim_sim::Action;
use meshsim_sim::{Distribution, GroupId, Input, NodeId, Seeder, SimTime, TimerId};

use super::{
    Concurrency, EndpointConfig, InboundPolicy, RateLimitConfig, ServiceConfig, ServiceInstance,
};
use crate::message::{Message, Request, RequestContext, Response};
use crate::outbox::Outbox;
use crate::policy::rate_limit::Refill;
use crate::sidecar::Sidecar;

const GROUP: GroupId = GroupId(2);
pub(super) const CALLER: NodeId = NodeId(1);
const WORK_NS: u64 = 10_000_000;

/// What one input made the instance do.
#[derive(Default)]
struct Output {
    answers: Vec<(NodeId, Response)>,
    timers: Vec<(SimTime, TimerId)>,
    records: Vec<Record>,
}

impl Output {
    fn mesh_events(&self) -> Vec<MeshEvent> {
        self.records
            .iter()
            .filter_map(|record| match record {
                Record::Mesh { event, .. } => Some(*event),
                _ => None,
            })
            .collect()
    }

    fn served(&self) -> Vec<ServedResult> {
        self.records
            .iter()
            .filter_map(|record| match record {
                Record::Served { result, .. } => Some(*result),
                _ => None,
            })
            .collect()
    }

    fn events(&self, wanted: &str) -> usize {
        self.records
            .iter()
            .filter(|record| matches!(record, Record::Event { kind, .. } if *kind == wanted))
            .count()
    }

    fn gauge_sum(&self, wanted: Gauge) -> i64 {
        self.records
            .iter()
            .filter_map(|record| match record {
                Record::Gauge { gauge, delta, .. } if *gauge == wanted => Some(*delta),
                _ => None,
            })
            .sum()
    }
}

fn config(workers: u32, queue: u32, inbound: InboundPolicy) -> Arc<ServiceConfig> {
    config_with_work(WORK_NS, workers, queue, inbound)
}

/// One endpoint whose own work takes `work_ns`, without calls: the instance the other test
/// files of the service build on too.
pub(super) fn config_with_work(
    work_ns: u64,
    workers: u32,
    queue: u32,
    inbound: InboundPolicy,
) -> Arc<ServiceConfig> {
    Arc::new(ServiceConfig {
        key: VersionKey::new(GROUP, 0),
        workers,
        queue,
        endpoints: vec![EndpointConfig {
            service_time: Distribution::Const { value_ns: work_ns },
            error_rate: 0.0,
            calls: Vec::new(),
            on_failure: Vec::new(),
            saga: None,
            cache: None,
            auth: None,
        }],
        concurrency: Concurrency::Threads,
        cores: None,
        inbound,
        readiness: None,
        exports_metrics: false,
        runs_code: false,
    })
}

fn instance(config: Arc<ServiceConfig>) -> ServiceInstance {
    let seeder = Seeder::new(1);
    let node = NodeId(5);
    let sidecar = Sidecar::new(
        node,
        GROUP,
        "service/5",
        Vec::new(),
        seeder.stream("sidecar"),
    );
    let streams = (seeder.stream("service"), seeder.stream("calls"));
    ServiceInstance::new(node, "service/5", config, streams, sidecar)
}

fn handle(instance: &mut ServiceInstance, now: SimTime, input: Input<Message>) -> Output {
    let mut out = Outbox::default();
    instance.handle(now, input, &mut out);
    let mut output = Output::default();
    for action in out.drain() {
        match action {
            Action::Send {
                to,
                message: Message::Response(response),
            } => output.answers.push((to, response)),
            Action::Send { .. } => panic!("an instance without calls sent something else"),
            Action::Timer { at, id } => output.timers.push((at, id)),
            Action::Record(record) => output.records.push(record),
        }
    }
    output
}

/// A request to endpoint 0 from the node `CALLER`, from workload client 0, by `caller`.
pub(super) fn request(call: u64, caller: u32) -> Input<Message> {
    Input::Message {
        from: CALLER,
        message: Message::Request(Request {
            call: crate::message::CallKey(call),
            endpoint: 0,
            context: RequestContext {
                root: call,
                client: 0,
                headers: 0,
                sampled: false,
            },
            caller,
        }),
    }
}

#[test]
fn a_request_takes_a_worker_and_is_answered_after_its_work() {
    let mut service = instance(config(1, 0, InboundPolicy::default()));
    let arrived = handle(&mut service, SimTime::ZERO, request(7, 0));
    assert!(arrived.answers.is_empty());
    assert_eq!(arrived.gauge_sum(Gauge::InFlight), 1);
    assert_eq!(arrived.timers.len(), 1);
    let (at, work) = arrived.timers[0];
    assert_eq!(at, SimTime::ZERO + WORK_NS);
    assert_eq!(service.busy_workers(), 1);

    let done = handle(&mut service, at, Input::Timer(work));
    assert_eq!(done.answers.len(), 1);
    let (to, response) = done.answers[0];
    assert_eq!((to, response.call.0, response.status), (CALLER, 7, 200));
    assert_eq!(done.served(), vec![ServedResult::Succeeded]);
    assert_eq!(done.gauge_sum(Gauge::InFlight), -1);
    assert_eq!(service.busy_workers(), 0);
}

#[test]
fn a_full_queue_sheds_with_503() {
    let mut service = instance(config(1, 1, InboundPolicy::default()));
    handle(&mut service, SimTime::ZERO, request(1, 0));
    let queued = handle(&mut service, SimTime::ZERO, request(2, 0));
    assert!(queued.answers.is_empty());
    assert_eq!(queued.gauge_sum(Gauge::QueueDepth), 1);
    let shed = handle(&mut service, SimTime::ZERO, request(3, 0));
    assert_eq!(shed.answers.len(), 1);
    let (_, response) = shed.answers[0];
    assert_eq!((response.call.0, response.status), (3, 503));
    assert_eq!(response.reason.kind, ReasonKind::Shed);
    assert_eq!(response.reason.group, Some(GROUP));
    assert_eq!(shed.served(), vec![ServedResult::Shed]);
    assert_eq!(service.queue_depth(), 1);
}

#[test]
fn allow_from_refuses_other_callers_with_403_and_logs_each_caller_once() {
    let inbound = InboundPolicy {
        allow_from: Some(vec![4]),
        ..InboundPolicy::default()
    };
    let mut service = instance(config(1, 0, inbound));
    let first = handle(&mut service, SimTime::ZERO, request(1, 3));
    let second = handle(&mut service, SimTime::ZERO, request(2, 3));
    for (output, call) in [(&first, 1), (&second, 2)] {
        assert_eq!(output.answers.len(), 1);
        let (_, response) = output.answers[0];
        assert_eq!((response.call.0, response.status), (call, 403));
        assert_eq!(response.reason.kind, ReasonKind::Denied);
        assert_eq!(output.mesh_events(), vec![MeshEvent::Denied]);
        // The service never saw it: the mesh refused it, so it is not counted served.
        assert!(output.served().is_empty());
    }
    assert_eq!(first.events("denied"), 1);
    assert_eq!(second.events("denied"), 0);
    // An allowed caller passes.
    let allowed = handle(&mut service, SimTime::ZERO, request(3, 4));
    assert!(allowed.answers.is_empty());
    assert_eq!(service.busy_workers(), 1);
}

#[test]
fn the_local_rate_limit_answers_429_once_its_bucket_is_empty() {
    let inbound = InboundPolicy {
        rate_limit: Some(RateLimitConfig {
            max_tokens: 1,
            tokens_per_fill: 1,
            fill_interval_ns: 1_000_000_000,
            refill: Refill::WholeFills,
        }),
        ..InboundPolicy::default()
    };
    let mut service = instance(config(4, 0, inbound));
    let first = handle(&mut service, SimTime::ZERO, request(1, 0));
    assert!(first.answers.is_empty());
    let limited = handle(&mut service, SimTime::ZERO, request(2, 0));
    assert_eq!(limited.answers.len(), 1);
    let (_, response) = limited.answers[0];
    assert_eq!((response.call.0, response.status), (2, 429));
    assert_eq!(response.reason.kind, ReasonKind::RateLimited);
    assert_eq!(limited.mesh_events(), vec![MeshEvent::RateLimited]);
    assert_eq!(limited.events("rate_limit"), 1);
    // After a fill the bucket has a token again.
    let later = handle(&mut service, SimTime::ZERO + 1_000_000_000, request(3, 0));
    assert!(later.answers.is_empty());
}

#[test]
fn a_crash_resets_the_work_in_flight_and_in_the_queue() {
    let mut service = instance(config(1, 1, InboundPolicy::default()));
    handle(&mut service, SimTime::ZERO, request(1, 0));
    handle(&mut service, SimTime::ZERO, request(2, 0));
    let crashed = handle(&mut service, SimTime::ZERO + 1, Input::Crashed);
    let answered: Vec<(u64, u16, ReasonKind)> = crashed
        .answers
        .iter()
        .map(|(_, response)| (response.call.0, response.status, response.reason.kind))
        .collect();
    assert_eq!(
        answered,
        vec![(1, 503, ReasonKind::Reset), (2, 503, ReasonKind::Reset)]
    );
    // The kernel answered, not the process: nothing is counted served.
    assert!(crashed.served().is_empty());
    assert_eq!(crashed.gauge_sum(Gauge::InFlight), -1);
    assert_eq!(crashed.gauge_sum(Gauge::QueueDepth), -1);
    assert_eq!((service.busy_workers(), service.queue_depth()), (0, 0));
}

#[test]
fn every_service_timer_round_trips_to_its_old_id() {
    use super::timer::ServiceTimer;
    use crate::sidecar::SidecarTimer;
    use crate::slab::SlabKey;
    use crate::upstream::UpstreamIndex;

    let job = SlabKey(4 << 32 | 6);
    crate::timer::testing::assert_codec(&[
        (ServiceTimer::Work(job), 1 << 56 | 4 << 32 | 6),
        (ServiceTimer::Startup, 19 << 56),
        (ServiceTimer::SagaRetry(job), 14 << 56 | 4 << 32 | 6),
        (ServiceTimer::AppTimeout(job), 22 << 56 | 4 << 32 | 6),
        (ServiceTimer::AppBackoff(job), 23 << 56 | 4 << 32 | 6),
        (ServiceTimer::CpuShare(9), 24 << 56 | 9),
        (ServiceTimer::LoopWork(3), 25 << 56 | 3),
        // The sidecar's timers keep their own ids inside the instance's.
        (
            ServiceTimer::Sidecar(SidecarTimer::CallTimeout(UpstreamIndex(1), 0)),
            2 << 56 | 1,
        ),
        (
            ServiceTimer::Sidecar(SidecarTimer::Backoff(job)),
            8 << 56 | 4 << 32 | 6,
        ),
    ]);
}

fn cpu_config(concurrency: Concurrency, workers: u32, queue: u32) -> Arc<ServiceConfig> {
    let mut config = (*config(workers, queue, InboundPolicy::default())).clone();
    config.concurrency = concurrency;
    config.cores = Some(1.0);
    Arc::new(config)
}

fn core_ns(output: &Output) -> u64 {
    output
        .records
        .iter()
        .filter_map(|record| match record {
            Record::CpuWork { core_ns, .. } => Some(*core_ns),
            _ => None,
        })
        .sum()
}

#[test]
fn two_threads_on_one_core_each_take_twice_their_work() {
    let mut service = instance(cpu_config(Concurrency::Threads, 2, 0));
    let first = handle(&mut service, SimTime::ZERO, request(1, 0));
    let second = handle(&mut service, SimTime::ZERO, request(2, 0));
    // Processor sharing: both at half speed, both done at twice their work.
    let (at, timer) = second.timers[0];
    assert_eq!(at, SimTime::ZERO + 2 * WORK_NS);
    // The first arming went stale when the second request came.
    let (stale_at, stale) = first.timers[0];
    assert!(
        handle(&mut service, stale_at, Input::Timer(stale))
            .answers
            .is_empty()
    );
    let done = handle(&mut service, at, Input::Timer(timer));
    assert_eq!(done.answers.len(), 2);
    assert_eq!(
        core_ns(&done),
        2 * WORK_NS,
        "core-time is the work, not the time"
    );
    assert_eq!(service.cpu_busy_ns(), 2 * WORK_NS);
}

#[test]
fn an_event_loop_runs_work_one_at_a_time_and_bounds_requests_in_progress() {
    let mut service = instance(cpu_config(Concurrency::EventLoop, 1, 2));
    let first = handle(&mut service, SimTime::ZERO, request(1, 0));
    let second = handle(&mut service, SimTime::ZERO, request(2, 0));
    assert!(second.timers.is_empty(), "the one process is busy");
    // `queue = 2` requests in progress: the third is shed.
    let third = handle(&mut service, SimTime::ZERO, request(3, 0));
    assert_eq!(third.answers[0].1.status, 503);
    assert_eq!(third.served(), vec![ServedResult::Shed]);
    let (at, timer) = first.timers[0];
    assert_eq!(at, SimTime::ZERO + WORK_NS);
    let done = handle(&mut service, at, Input::Timer(timer));
    assert_eq!(done.answers[0].1.call.0, 1);
    assert_eq!(core_ns(&done), WORK_NS);
    // The second request's work starts on the freed core: done one work later.
    let (next_at, next) = done.timers[0];
    assert_eq!(next_at, at + WORK_NS);
    let done = handle(&mut service, next_at, Input::Timer(next));
    assert_eq!(done.answers[0].1.call.0, 2);
}

/// The instance's own state stays within thirteen cache lines (800 bytes on 2026-12-07:
/// docs/scale.md says how it is laid out): at thousands of instances its size is what each
/// event's first loads miss in the caches. Cold parts (the inbound sidecar, the scrape
/// counters, a saga, the calls' stream when no call draws) are boxed and present only when
/// used.
#[test]
fn an_instance_stays_within_thirteen_cache_lines() {
    let size = std::mem::size_of::<ServiceInstance>();
    assert!(size <= 13 * 64, "ServiceInstance is {size} bytes");
}
