//! The caller's sidecar as a state machine: a call in, requests and timers out, answers and
//! timers in, a completion out.

use std::sync::Arc;

use meshsim_record::{MeshEvent, Reason, ReasonKind, Record};
use meshsim_sim::Action;
use meshsim_sim::{GroupId, NodeId, Seeder, SimTime, TimerId};

use super::Sidecar;
use super::SidecarTimer;
use crate::balancer::LoadBalancer;
use crate::cluster::ClusterIndex;
use crate::message::{Message, Request, RequestContext, Response};
use crate::outbox::Outbox;
use crate::policy::breaker::BreakerConfig;
use crate::slab::SlabKey;
use crate::timer::TimerCode;
use crate::timer::testing::assert_codec;
use crate::upstream::{HostIndex, UpstreamIndex};
use crate::upstream_config::{
    Backoff, BreakerPolicy, RetryLimit, RetryOn, RetryPolicy, UpstreamConfig,
};

const CALLEE: GroupId = GroupId(3);
const INSTANCES: [NodeId; 2] = [NodeId(10), NodeId(11)];
const OWNER: SlabKey = SlabKey(42);
const MS: u64 = 1_000_000;

/// What the sidecar asked for while handling one input.
#[derive(Default)]
struct Output {
    requests: Vec<(NodeId, Request)>,
    timers: Vec<(SimTime, TimerId)>,
    records: Vec<Record>,
}

impl Output {
    fn take(out: &mut Outbox<Message>) -> Output {
        let mut output = Output::default();
        for action in out.drain() {
            match action {
                Action::Send {
                    to,
                    message: Message::Request(request),
                } => output.requests.push((to, request)),
                Action::Send { .. } => panic!("a sidecar sends only requests"),
                Action::Timer { at, id } => output.timers.push((at, id)),
                Action::Record(record) => output.records.push(record),
            }
        }
        output
    }

    /// The first timer set that `wanted` picks out.
    fn timer(&self, wanted: fn(SidecarTimer) -> bool) -> Option<(SimTime, SidecarTimer)> {
        self.timers.iter().find_map(|&(at, id)| {
            let timer = SidecarTimer::decode(id).expect("a sidecar sets only its own timers");
            wanted(timer).then_some((at, timer))
        })
    }

    fn mesh_events(&self) -> Vec<MeshEvent> {
        self.records
            .iter()
            .filter_map(|record| match record {
                Record::Mesh { event, .. } => Some(*event),
                _ => None,
            })
            .collect()
    }
}

fn upstream() -> UpstreamConfig {
    UpstreamConfig::plain(
        CALLEE,
        "payment",
        INSTANCES.to_vec(),
        LoadBalancer::RoundRobin,
    )
}

fn retries(attempts: u32, per_try_timeout_ns: Option<u64>) -> RetryPolicy {
    RetryPolicy {
        attempts,
        per_try_timeout_ns,
        last_try_untimed: false,
        retry_on: RetryOn {
            statuses: vec![503..=503],
            ..RetryOn::default()
        },
        backoff: Backoff::Immediate,
        limit: RetryLimit::Unlimited,
        host_reselections: None,
    }
}

fn sidecar(config: UpstreamConfig) -> Sidecar {
    let rng = Seeder::new(1).stream("sidecar/test");
    Sidecar::new(
        NodeId(5),
        GroupId(2),
        "order/0",
        vec![Arc::new(config)],
        rng,
    )
}

const CONTEXT: RequestContext = RequestContext {
    root: 1,
    client: 0,
    headers: 0,
    sampled: false,
};

/// Starts one call at `now`; the sidecar must take it (not answer at once).
fn call(sidecar: &mut Sidecar, now: SimTime) -> Output {
    let mut out = Outbox::default();
    let started = sidecar.call(now, 0, 0, CONTEXT, OWNER, &mut out);
    assert!(started.is_ok(), "the call was answered at once");
    Output::take(&mut out)
}

fn answer(sidecar: &mut Sidecar, now: SimTime, request: &Request, status: u16) -> Output {
    let mut out = Outbox::default();
    let reason = if status == 200 {
        Reason::OK
    } else {
        Reason {
            kind: ReasonKind::Error,
            group: Some(CALLEE),
        }
    };
    sidecar.on_response(now, &Response::new(request.call, status, reason), &mut out);
    Output::take(&mut out)
}

fn fire(sidecar: &mut Sidecar, now: SimTime, timer: SidecarTimer) -> Output {
    let mut out = Outbox::default();
    sidecar.on_timer(now, timer, &mut out);
    Output::take(&mut out)
}

#[test]
fn a_call_is_routed_picked_tried_and_answered() {
    let mut sidecar = sidecar(upstream());
    let started = call(&mut sidecar, SimTime::ZERO);
    assert!(
        started
            .records
            .iter()
            .any(|record| matches!(record, Record::Call { callee, .. } if *callee == CALLEE))
    );
    assert_eq!(started.requests.len(), 1);
    let (to, request) = started.requests[0];
    assert!(INSTANCES.contains(&to));
    assert_eq!(sidecar.pending(), 1);
    assert!(sidecar.pop_completion().is_none());

    answer(&mut sidecar, SimTime::ZERO + MS, &request, 200);
    let done = sidecar.pop_completion().expect("the call completed");
    assert_eq!((done.owner, done.response.status), (OWNER, 200));
    assert_eq!(sidecar.pending(), 0);
}

#[test]
fn a_try_that_outlives_its_per_try_timeout_answers_504() {
    let mut config = upstream();
    config.retries = Some(retries(0, Some(100 * MS)));
    let mut sidecar = sidecar(config);
    let started = call(&mut sidecar, SimTime::ZERO);
    assert_eq!(started.requests.len(), 1);
    let (at, timer) = started
        .timer(|timer| matches!(timer, SidecarTimer::TryTimeout(..)))
        .expect("a per-try timeout");
    assert_eq!(at, SimTime::ZERO + 100 * MS);
    fire(&mut sidecar, at, timer);
    let done = sidecar.pop_completion().expect("the call timed out");
    assert_eq!((done.owner, done.response.status), (OWNER, 504));
    assert_eq!(done.response.reason.group, Some(CALLEE));
}

#[test]
fn a_503_is_retried_and_the_retry_answers() {
    let mut config = upstream();
    config.retries = Some(retries(1, None));
    let mut sidecar = sidecar(config);
    let started = call(&mut sidecar, SimTime::ZERO);
    let (_, first) = started.requests[0];
    let failed = answer(&mut sidecar, SimTime::ZERO + MS, &first, 503);
    assert!(
        sidecar.pop_completion().is_none(),
        "a retry is due, not an answer"
    );
    // The retry goes out at once, or after a back-off of no time.
    let retried = match failed.timer(|timer| matches!(timer, SidecarTimer::Backoff(_))) {
        Some((at, timer)) => fire(&mut sidecar, at, timer),
        None => failed,
    };
    assert_eq!(retried.requests.len(), 1);
    let (_, second) = retried.requests[0];
    assert_ne!(second.call, first.call, "a retry is a new try");
    answer(&mut sidecar, SimTime::ZERO + 2 * MS, &second, 200);
    let done = sidecar.pop_completion().expect("the retry answered");
    assert_eq!((done.owner, done.response.status), (OWNER, 200));
}

#[test]
fn an_open_breaker_answers_with_its_fallback_without_a_try() {
    let mut config = upstream();
    config.breaker = Some(BreakerPolicy {
        config: BreakerConfig::default(),
        timeout_ns: 10_000 * MS,
        fallback_status: Some(200),
    });
    let mut sidecar = sidecar(config);
    let started = call(&mut sidecar, SimTime::ZERO);
    let (_, request) = started.requests[0];
    // One failure in a window of one call is over the threshold: the breaker opens, and the
    // failed call itself gets the fallback.
    let failed = answer(&mut sidecar, SimTime::ZERO + MS, &request, 500);
    assert!(failed.mesh_events().contains(&MeshEvent::CircuitOpened));
    assert!(failed.mesh_events().contains(&MeshEvent::Fallback));
    let done = sidecar.pop_completion().expect("the call completed");
    assert_eq!(done.response.reason.kind, ReasonKind::Fallback);

    let mut out = Outbox::default();
    let refused = sidecar.call(SimTime::ZERO + 2 * MS, 0, 0, CONTEXT, OWNER, &mut out);
    let output = Output::take(&mut out);
    let response = refused.expect_err("an open breaker answers at once");
    assert_eq!(response.status, 200);
    assert_eq!(response.reason.kind, ReasonKind::Fallback);
    assert!(output.requests.is_empty(), "no try goes out");
    assert_eq!(
        output.mesh_events(),
        vec![MeshEvent::CircuitRejected, MeshEvent::Fallback]
    );
}

#[test]
fn every_sidecar_timer_round_trips_to_its_old_id() {
    // The ids one shared timer enum gave these timers: a kind byte in the top 8 bits, and the
    // upstream (bits 40..56), cluster (32..40) and host (0..32), or the call's slab key, below.
    let (upstream, cluster, host) = (UpstreamIndex(3), ClusterIndex(2), HostIndex(7));
    let call = SlabKey(5 << 32 | 9);
    assert_codec(&[
        (SidecarTimer::CallTimeout(upstream, 0), 2 << 56 | 3),
        (SidecarTimer::TryTimeout(upstream, 0), 6 << 56 | 3),
        (
            SidecarTimer::CallTimeout(upstream, 2),
            2 << 56 | 2 << 16 | 3,
        ),
        (SidecarTimer::TryTimeout(upstream, 1), 6 << 56 | 1 << 16 | 3),
        (SidecarTimer::BreakerTimeout(upstream), 7 << 56 | 3),
        (SidecarTimer::Backoff(call), 8 << 56 | 5 << 32 | 9),
        (SidecarTimer::FaultDelay(call), 9 << 56 | 5 << 32 | 9),
        (
            SidecarTimer::OutlierInterval(upstream, cluster),
            10 << 56 | 3 << 40 | 2 << 32,
        ),
        (SidecarTimer::BreakerReset(upstream), 11 << 56 | 3),
        (
            SidecarTimer::AccrualPenalty(upstream, cluster, host),
            20 << 56 | 3 << 40 | 2 << 32 | 7,
        ),
        (
            SidecarTimer::FailFast(upstream, cluster),
            21 << 56 | 3 << 40 | 2 << 32,
        ),
    ]);
}

#[test]
fn an_id_that_is_not_a_sidecar_timer_decodes_to_none() {
    for kind in [1u64, 3, 12, 19, 22, 0xff] {
        assert_eq!(SidecarTimer::decode(TimerId(kind << 56)), None);
    }
}

mod routes;
mod spans;
