//! The spans of sampled calls: the call's and each try's, with ids their callee and their
//! children can name (see `meshsim_record::span_id`), and the mesh's decisions as events.

use meshsim_record::{
    ReasonKind, Record, Span, SpanEvent, SpanEventKind, SpanKind, SpanRole, span_id,
};
use meshsim_sim::{NodeId, SimTime};

use super::Sidecar;
use super::call::Call;
use crate::message::{Message, RequestContext, Response};
use crate::outbox::Outbox;
use crate::slab::SlabKey;

impl Sidecar {
    /// Records a span of sampled call `key` from `start` to `now`: the call's own, or with
    /// `attempt` (the try's key and instance) a try's, whose retry number is the call's retries
    /// so far.
    pub(super) fn span(
        &self,
        (key, call): (SlabKey, &Call),
        attempt: Option<(SlabKey, NodeId)>,
        (start, now): (SimTime, SimTime),
        status: u16,
        out: &mut Outbox<Message>,
    ) {
        if !call.context.sampled {
            return;
        }
        let trace = call.context.trace();
        let call_id = span_id(trace, self.own_node, SpanRole::Call, (key.0, 0));
        let (kind, peer, id, parent, events) = if let Some((attempt, peer)) = attempt {
            let id = span_id(trace, self.own_node, SpanRole::Attempt, (attempt.0, 0));
            (SpanKind::Attempt, Some(peer), id, call_id, Vec::new())
        } else {
            let parent = span_id(trace, self.own_node, SpanRole::Visit, (call.owner.0, 0));
            (SpanKind::Call, None, call_id, parent, call.events.clone())
        };
        out.record(Record::Span(Box::new(Span {
            trace: call.context.trace(),
            node: self.own_node,
            kind,
            start_ns: start.as_nanos(),
            end_ns: now.as_nanos(),
            endpoint: Some((
                self.upstreams[usize::from(call.upstream)].config.group,
                call.endpoint,
            )),
            peer,
            status,
            number: call.retries,
            id,
            parent,
            events,
        })));
    }

    /// Notes a decision of the mesh on sampled call `key`, for its span.
    pub(super) fn note(&mut self, key: SlabKey, event: SpanEvent) {
        if let Some(call) = self.calls.get_mut(key)
            && call.context.sampled
        {
            call.events.push(event);
        }
    }

    /// Records the span of a sampled call the sidecar answered before it existed (an open
    /// breaker, with its event; no route): zero length, under the visit that made it.
    pub(super) fn refused_span(
        &mut self,
        now: SimTime,
        (upstream_index, endpoint): (u16, u32),
        (context, owner): (&RequestContext, SlabKey),
        (response, event): (&Response, Option<SpanEventKind>),
        out: &mut Outbox<Message>,
    ) {
        if !context.sampled {
            return;
        }
        self.refused_spans += 1;
        let trace = context.trace();
        let event = event.map(|kind| SpanEvent::at(now, kind));
        out.record(Record::Span(Box::new(Span {
            trace,
            node: self.own_node,
            kind: SpanKind::Call,
            start_ns: now.as_nanos(),
            end_ns: now.as_nanos(),
            endpoint: Some((self.upstream_group(upstream_index), endpoint)),
            peer: None,
            status: response.status,
            number: 0,
            id: span_id(
                trace,
                self.own_node,
                SpanRole::Refused,
                (owner.0, self.refused_spans),
            ),
            parent: span_id(trace, self.own_node, SpanRole::Visit, (owner.0, 0)),
            events: event.into_iter().collect(),
        })));
    }
}

/// The span event a call's end records for the reason it ended with, if the mesh decided it.
pub(super) fn ended_by(kind: ReasonKind) -> Option<SpanEventKind> {
    match kind {
        ReasonKind::Overflow => Some(SpanEventKind::Overflow),
        ReasonKind::RouteTimeout | ReasonKind::BreakerTimeout => Some(SpanEventKind::Timeout),
        ReasonKind::FaultAbort => Some(SpanEventKind::FaultAbort),
        ReasonKind::NoHealthyUpstream => Some(SpanEventKind::EjectedSkipped),
        _ => None,
    }
}
