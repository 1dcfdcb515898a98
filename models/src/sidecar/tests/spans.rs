//! The spans a sampled call records: ids the callee can name as its parent, the call under the
//! visit that made it, and the mesh's decisions as events.

use meshsim_record::{Record, Span, SpanEventKind, SpanKind, SpanRole, span_id};
use meshsim_sim::{NodeId, SimTime};

use super::{MS, OWNER, Output, SidecarTimer, answer, fire, retries, sidecar, upstream};
use crate::message::{RequestContext, Response, attempt_span};
use crate::outbox::Outbox;
use crate::policy::breaker::BreakerConfig;
use crate::sidecar::Sidecar;
use crate::slab::SlabKey;
use crate::upstream_config::BreakerPolicy;

const SAMPLED: RequestContext = RequestContext {
    root: 1,
    client: 0,
    headers: 0,
    sampled: true,
};

fn spans(output: &Output) -> Vec<Span> {
    output
        .records
        .iter()
        .filter_map(|record| match record {
            Record::Span(span) => Some((**span).clone()),
            _ => None,
        })
        .collect()
}

fn sampled_call(sidecar: &mut Sidecar, now: SimTime) -> (Result<SlabKey, Response>, Output) {
    let mut out = Outbox::default();
    let started = sidecar.call(now, 0, 0, SAMPLED, OWNER, &mut out);
    (started, Output::take(&mut out))
}

#[test]
fn a_try_has_the_id_its_callee_names_and_the_call_is_under_its_owner() {
    let mut config = upstream();
    config.retries = Some(retries(1, None));
    let mut sidecar = sidecar(config);
    let (_, started) = sampled_call(&mut sidecar, SimTime::ZERO);
    let (_, first) = started.requests[0];
    // The first try fails with a 503, which the policy retries at once.
    let failed = answer(&mut sidecar, SimTime::ZERO + MS, &first, 503);
    let retried = match failed.timer(|timer| matches!(timer, SidecarTimer::Backoff(_))) {
        Some((at, timer)) => fire(&mut sidecar, at, timer),
        None => Output::default(),
    };
    let (_, second) = failed
        .requests
        .first()
        .or(retried.requests.first())
        .copied()
        .expect("the retry went out");
    let done = answer(&mut sidecar, SimTime::ZERO + 2 * MS, &second, 200);

    let trace = SAMPLED.trace();
    let tries: Vec<Span> = spans(&failed)
        .into_iter()
        .chain(spans(&done))
        .filter(|span| span.kind == SpanKind::Attempt)
        .collect();
    let call = spans(&done)
        .into_iter()
        .find(|span| span.kind == SpanKind::Call)
        .expect("the call's span");
    // What a callee computes from the sender and the request's call key is the try's id.
    assert_eq!(tries[0].id, attempt_span(trace, NodeId(5), first.call));
    assert_eq!(tries[1].id, attempt_span(trace, NodeId(5), second.call));
    for attempt in &tries {
        assert_eq!(attempt.parent, call.id);
    }
    assert_eq!(
        call.parent,
        span_id(trace, NodeId(5), SpanRole::Visit, (OWNER.0, 0))
    );
    assert_eq!(call.events.len(), 1);
    assert_eq!(call.events[0].kind, SpanEventKind::Retry);
    assert_eq!((call.events[0].number, call.events[0].status), (1, 503));
}

#[test]
fn a_call_the_open_breaker_refuses_is_a_span_of_no_length_with_the_event() {
    let mut config = upstream();
    config.breaker = Some(BreakerPolicy {
        config: BreakerConfig::default(),
        timeout_ns: 10_000 * MS,
        fallback_status: None,
    });
    let mut sidecar = sidecar(config);
    let (_, started) = sampled_call(&mut sidecar, SimTime::ZERO);
    let (_, request) = started.requests[0];
    // One failure in a window of one call opens the breaker (opossum's defaults).
    answer(&mut sidecar, SimTime::ZERO + MS, &request, 500);
    let now = SimTime::ZERO + 2 * MS;
    let (refused, output) = sampled_call(&mut sidecar, now);
    assert!(refused.is_err());
    let spans = spans(&output);
    assert_eq!(spans.len(), 1);
    let call = &spans[0];
    assert_eq!(call.kind, SpanKind::Call);
    assert_eq!(
        (call.start_ns, call.end_ns),
        (now.as_nanos(), now.as_nanos())
    );
    assert_eq!(call.status, 503);
    assert_eq!(call.events[0].kind, SpanEventKind::BreakerOpen);
    assert_eq!(
        call.parent,
        span_id(SAMPLED.trace(), NodeId(5), SpanRole::Visit, (OWNER.0, 0))
    );
}
