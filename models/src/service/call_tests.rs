//! The application's own policy on an endpoint's calls, as a state machine: a try that times
//! out at the application's timeout, retries and their back-off, `on_error`, `probability`.
//! Each expectation is the documented behaviour of the keys (`docs/scenario-format.md`, the
//! `calls` table), not a value the code produced.

use std::sync::Arc;

use meshsim_record::{Reason, ReasonKind, Record, ServedResult, VersionKey};
use meshsim_sim::{Action, Distribution, GroupId, Input, NodeId, Seeder, SimTime};

use super::timer::ServiceTimer;
use super::{
    AppCall, CallPolicy, CallStep, CallTarget, Concurrency, EndpointConfig, InboundPolicy, OnError,
    ServiceConfig, ServiceInstance,
};
use crate::balancer::LoadBalancer;
use crate::message::{CallKey, Message, Request, RequestContext, Response};
use crate::outbox::Outbox;
use crate::sidecar::Sidecar;
use crate::timer::TimerCode;
use crate::upstream_config::UpstreamConfig;

pub(super) const GROUP: GroupId = GroupId(2);
pub(super) const CALLEE: GroupId = GroupId(3);
pub(super) const CALLER: NodeId = NodeId(1);
pub(super) const CALLEES: [NodeId; 2] = [NodeId(10), NodeId(11)];
pub(super) const MS: u64 = 1_000_000;
pub(super) const WORK_NS: u64 = 10 * MS;
const TIMEOUT_NS: u64 = 3_000 * MS;

/// What one input made the instance do.
#[derive(Default)]
pub(super) struct Output {
    /// Tries sent to the callee.
    pub(super) tries: Vec<Request>,
    /// Answers to the caller.
    pub(super) answers: Vec<Response>,
    timers: Vec<(SimTime, ServiceTimer)>,
    records: Vec<Record>,
}

impl Output {
    pub(super) fn served(&self) -> Vec<ServedResult> {
        self.records
            .iter()
            .filter_map(|record| match record {
                Record::Served { result, .. } => Some(*result),
                _ => None,
            })
            .collect()
    }

    /// When the timer `wanted` picks out was set for.
    fn timer(&self, wanted: fn(ServiceTimer) -> bool) -> Option<(SimTime, ServiceTimer)> {
        self.timers
            .iter()
            .copied()
            .find(|&(_, timer)| wanted(timer))
    }
}

fn policy(on_error: OnError) -> CallPolicy {
    CallPolicy {
        timeout_ns: Some(TIMEOUT_NS),
        on_error,
        ..CallPolicy::DEFAULT
    }
}

fn instance(policy: CallPolicy) -> ServiceInstance {
    instance_with(vec![
        AppCall {
            target: CallTarget {
                upstream: 0,
                endpoint: 0,
            },
            policy,
        }
        .into(),
    ])
}

/// An instance whose one endpoint makes `calls`, to the callees' endpoints.
pub(super) fn instance_with(calls: Vec<CallStep>) -> ServiceInstance {
    build(calls, false)
}

/// An instance whose work is code beside it, with the same sidecar.
pub(super) fn instance_running_code() -> ServiceInstance {
    build(Vec::new(), true)
}

fn build(calls: Vec<CallStep>, runs_code: bool) -> ServiceInstance {
    let config = Arc::new(ServiceConfig {
        key: VersionKey::new(GROUP, 0),
        workers: 1_000_000,
        queue: 0,
        endpoints: vec![EndpointConfig {
            service_time: Distribution::Const { value_ns: WORK_NS },
            error_rate: 0.0,
            calls,
            on_failure: Vec::new(),
            saga: None,
            cache: None,
            auth: None,
        }],
        concurrency: Concurrency::Threads,
        cores: None,
        inbound: InboundPolicy::default(),
        readiness: None,
        exports_metrics: false,
        runs_code,
    });
    let seeder = Seeder::new(1);
    let upstream = UpstreamConfig::plain(
        CALLEE,
        "reviews",
        CALLEES.to_vec(),
        LoadBalancer::RoundRobin,
    );
    let node = NodeId(5);
    let sidecar = Sidecar::new(
        node,
        GROUP,
        "productpage/0",
        vec![Arc::new(upstream)],
        seeder.stream("sidecar"),
    );
    let streams = (seeder.stream("instance"), seeder.stream("calls"));
    ServiceInstance::new(node, "productpage/0", config, streams, sidecar)
}

pub(super) fn handle(
    instance: &mut ServiceInstance,
    now: SimTime,
    input: Input<Message>,
) -> Output {
    let mut out = Outbox::default();
    instance.handle(now, input, &mut out);
    read(out)
}

/// What an outbox holds, sorted by kind.
pub(super) fn read(mut out: Outbox<Message>) -> Output {
    let mut output = Output::default();
    for action in out.drain() {
        match action {
            Action::Send {
                message: Message::Request(request),
                ..
            } => output.tries.push(request),
            Action::Send {
                to,
                message: Message::Response(response),
            } => {
                assert_eq!(to, CALLER, "answers go to the caller");
                output.answers.push(response);
            }
            Action::Send { .. } => {}
            Action::Timer { at, id } => {
                if let Some(timer) = ServiceTimer::decode(id) {
                    output.timers.push((at, timer));
                }
            }
            Action::Record(record) => output.records.push(record),
        }
    }
    output
}

pub(super) fn at_ms(ms: u64) -> SimTime {
    SimTime::ZERO + ms * MS
}

/// A request from the caller arrives at `now`; its own work ends `WORK_NS` later, when the
/// first try goes out. Returns that output.
pub(super) fn request_and_work(service: &mut ServiceInstance, call: u64, now: SimTime) -> Output {
    let arrived = handle(
        service,
        now,
        Input::Message {
            from: CALLER,
            message: Message::Request(Request {
                call: CallKey(call),
                endpoint: 0,
                context: RequestContext {
                    root: call,
                    client: 0,
                    headers: 0,
                    sampled: false,
                },
                caller: 0,
            }),
        },
    );
    let (at, work) = arrived
        .timer(|timer| matches!(timer, ServiceTimer::Work(_)))
        .expect("the own work starts");
    assert_eq!(at, now + WORK_NS);
    handle(service, at, Input::Timer(work.encode()))
}

fn fire(service: &mut ServiceInstance, (at, timer): (SimTime, ServiceTimer)) -> Output {
    handle(service, at, Input::Timer(timer.encode()))
}

pub(super) fn answer(
    service: &mut ServiceInstance,
    now: SimTime,
    to: &Request,
    status: u16,
) -> Output {
    let reason = if status < 400 {
        Reason::OK
    } else {
        Reason {
            kind: ReasonKind::Error,
            group: Some(CALLEE),
        }
    };
    let response = Response::new(to.call, status, reason);
    handle(
        service,
        now,
        Input::Message {
            from: CALLEES[0],
            message: Message::Response(response),
        },
    )
}

fn app_timeout(output: &Output) -> (SimTime, ServiceTimer) {
    output
        .timer(|timer| matches!(timer, ServiceTimer::AppTimeout(_)))
        .expect("the application's timeout is set")
}

/// A try that times out at the application's timeout answers per `on_error`: 200 (degraded) for
/// `continue`, the status given, or 500 for `fail`; the callee's late answer is dropped.
#[test]
fn a_try_timed_out_answers_per_on_error_and_its_late_answer_is_dropped() {
    let cases = [
        (OnError::Continue, 200, ServedResult::Degraded),
        (OnError::Status(503), 503, ServedResult::Failed),
        (OnError::Fail, 500, ServedResult::Failed),
    ];
    for (on_error, status, served) in cases {
        let mut service = instance(policy(on_error));
        let first = request_and_work(&mut service, 7, SimTime::ZERO);
        assert_eq!(first.tries.len(), 1, "{on_error:?}: one try");
        let timeout = app_timeout(&first);
        assert_eq!(timeout.0, at_ms(10) + TIMEOUT_NS, "{on_error:?}");
        let timed_out = fire(&mut service, timeout);
        let statuses: Vec<u16> = timed_out.answers.iter().map(|a| a.status).collect();
        assert_eq!(statuses, vec![status], "{on_error:?}");
        assert_eq!(timed_out.answers[0].call, CallKey(7), "{on_error:?}");
        assert_eq!(timed_out.served(), vec![served], "{on_error:?}");
        let late = answer(&mut service, at_ms(5_000), &first.tries[0], 200);
        assert!(
            late.answers.is_empty(),
            "{on_error:?}: the late answer is dropped"
        );
        assert!(late.served().is_empty(), "{on_error:?}");
    }
}

/// `retries = N` makes N + 1 tries of a call that keeps failing, then `on_error` applies.
#[test]
fn retries_make_n_plus_one_tries() {
    for retries in [0, 1, 3] {
        let mut service = instance(CallPolicy {
            retries,
            ..CallPolicy::DEFAULT
        });
        let mut output = request_and_work(&mut service, 1, SimTime::ZERO);
        let mut tries = 0;
        let mut now = at_ms(10);
        while let Some(request) = output.tries.first().copied() {
            tries += 1;
            assert!(output.answers.is_empty(), "no answer before the last try");
            now = now + MS;
            output = answer(&mut service, now, &request, 500);
        }
        assert_eq!(tries, retries + 1);
        let statuses: Vec<u16> = output.answers.iter().map(|a| a.status).collect();
        assert_eq!(statuses, vec![500], "on_error = fail answers 500");
    }
}

/// A retry waits its back-off as drawn (a constant here), and a retry's success answers 200.
#[test]
fn a_retry_waits_its_backoff() {
    let mut service = instance(CallPolicy {
        retries: 1,
        retry_backoff: Some(Distribution::Const { value_ns: 50 * MS }),
        ..CallPolicy::DEFAULT
    });
    let first = request_and_work(&mut service, 1, SimTime::ZERO);
    let failed = answer(&mut service, at_ms(20), &first.tries[0], 503);
    assert!(failed.tries.is_empty(), "no try during the back-off");
    let backoff = failed
        .timer(|timer| matches!(timer, ServiceTimer::AppBackoff(_)))
        .expect("a back-off");
    assert_eq!(backoff.0, at_ms(70), "the failure's time plus the back-off");
    let retried = fire(&mut service, backoff);
    assert_eq!(
        retried.tries.len(),
        1,
        "the retry goes out when the back-off ends"
    );
    let done = answer(&mut service, at_ms(80), &retried.tries[0], 200);
    let statuses: Vec<u16> = done.answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![200]);
    assert_eq!(done.served(), vec![ServedResult::Succeeded], "not degraded");
}

/// After a timed-out try, its late answer does not end the retry that replaced it; the retry's
/// own answer does. The first try's timer, fired late, changes nothing either.
#[test]
fn a_late_answer_does_not_end_the_retry() {
    let mut service = instance(CallPolicy {
        retries: 1,
        ..policy(OnError::Fail)
    });
    let first = request_and_work(&mut service, 1, SimTime::ZERO);
    let timed_out = fire(&mut service, app_timeout(&first));
    assert_eq!(timed_out.tries.len(), 1, "the retry goes out at once");
    assert!(timed_out.answers.is_empty());
    let late = answer(&mut service, at_ms(4_000), &first.tries[0], 200);
    assert!(late.answers.is_empty(), "the first try's answer is dropped");
    let done = answer(&mut service, at_ms(4_100), &timed_out.tries[0], 200);
    let statuses: Vec<u16> = done.answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![200]);
}

/// `probability = p` makes the call for a share p of requests: over n requests the count is
/// Binomial(n, p); it must fall within 4.5 standard deviations of n·p (a false failure about once
/// in 150,000 seeds).
#[test]
fn probability_makes_the_call_for_its_share_of_requests() {
    let (n, p) = (10_000_u64, 0.3);
    let mut service = instance(CallPolicy {
        probability: p,
        ..CallPolicy::DEFAULT
    });
    let mut made = 0_u64;
    for call in 0..n {
        let output = request_and_work(&mut service, call, at_ms(call * 100));
        if let Some(request) = output.tries.first() {
            made += 1;
            answer(&mut service, at_ms(call * 100 + 20), request, 200);
        } else {
            let statuses: Vec<u16> = output.answers.iter().map(|a| a.status).collect();
            assert_eq!(statuses, vec![200], "a call not made answers at once");
        }
    }
    let mean = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (made as f64 - mean).abs() <= 4.5 * sd,
        "{made} calls of {n}, expected {mean} ± {}",
        4.5 * sd
    );
}
