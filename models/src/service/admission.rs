//! What meets a request at the door: readiness, authentication, the inbound policy, and the
//! worker pool's queue; and how a request refused there is answered.

use meshsim_record::{ReasonKind, Record, ServedResult, SpanKind};
use meshsim_sim::{NodeId, SimTime};

use super::ServiceInstance;
use super::refusal::{Refusal, RefusedBy};
use crate::arrival::Arrival;
use crate::message::{Message, Request, Response};
use crate::outbox::Outbox;
use crate::worker_pool::Admission;

impl ServiceInstance {
    pub(super) fn on_request(
        &mut self,
        now: SimTime,
        from: NodeId,
        request: Request,
        out: &mut Outbox<Message>,
    ) {
        if !self.ready {
            // Nothing listens yet: the connection is refused, as Envoy sees a port not open.
            let refused = Refusal::new(503, ReasonKind::Refused, RefusedBy::Kernel);
            self.refuse(now, from, &request, refused, out);
            return;
        }
        let refusal = self.authenticate(&request).or_else(|| {
            let inbound = self.inbound.as_mut()?;
            inbound.admit(now, &request, out)
        });
        if let Some(refusal) = refusal {
            self.refuse(now, from, &request, refusal, out);
            return;
        }
        let arrival = Arrival {
            from,
            request,
            arrived_at: now,
        };
        match self.pool.offer(arrival, out) {
            Admission::Started(arrival) => self.start(now, arrival, out),
            Admission::Queued => {}
            Admission::Full(arrival) => {
                let shed = Refusal::new(
                    503,
                    ReasonKind::Shed,
                    RefusedBy::Service(ServedResult::Shed),
                );
                self.refuse(now, arrival.from, &arrival.request, shed, out);
            }
        }
    }

    /// The endpoint's authentication: a request without its credentials is answered 401 at
    /// once, and never reaches the endpoint's work or calls.
    pub(super) fn authenticate(&self, request: &Request) -> Option<Refusal> {
        let auth = self.config.endpoints[request.endpoint as usize]
            .auth
            .as_ref()?;
        let passes = auth
            .get(request.context.client as usize)
            .and_then(Option::as_ref)
            .is_some_and(|condition| condition.passes_for(request.context.headers));
        (!passes).then_some(Refusal::new(
            401,
            ReasonKind::Unauthenticated,
            RefusedBy::Service(ServedResult::Failed),
        ))
    }

    /// Answers `request` at once, before it takes a worker, and records what the one who
    /// refused it records.
    pub(super) fn refuse(
        &mut self,
        now: SimTime,
        from: NodeId,
        request: &Request,
        refusal: Refusal,
        out: &mut Outbox<Message>,
    ) {
        let group = self.group();
        let response = Response::refusal(request.call, refusal.status, refusal.kind, group);
        out.send(from, Message::Response(response));
        match refusal.by {
            RefusedBy::Kernel => {}
            RefusedBy::Mesh(event) => {
                self.span(
                    (from, request, None),
                    SpanKind::Serve,
                    now,
                    now,
                    refusal.status,
                    out,
                );
                out.record(Record::Mesh {
                    callee: group,
                    event,
                });
            }
            RefusedBy::Service(result) => {
                self.record_served(refusal.status, 0, result, out);
                self.span(
                    (from, request, None),
                    SpanKind::Serve,
                    now,
                    now,
                    refusal.status,
                    out,
                );
            }
        }
    }
}
