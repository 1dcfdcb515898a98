//! The steps of an endpoint that are not its plain calls: a cache-aside call, and a saga's
//! moves.

use meshsim_record::{Reason, Record, SagaEvent};
use meshsim_sim::SimTime;

use super::ServiceInstance;
use super::call_try::CallTry;
use super::timer::ServiceTimer;
use crate::call_target::CallTarget;
use crate::message::Message;
use crate::outbox::Outbox;
use crate::saga::SagaNext;
use crate::slab::SlabKey;
use crate::timer::TimerCode;

impl ServiceInstance {
    /// Makes one cache call for job `key`; an answer the sidecar gives at once is handled at
    /// once.
    pub(super) fn call(
        &mut self,
        now: SimTime,
        key: SlabKey,
        target: CallTarget,
        out: &mut Outbox<Message>,
    ) {
        let job = self.jobs.get_mut(key).expect("live job");
        job.call = CallTry::new(target, None);
        let context = job.request.context;
        match self
            .sidecar
            .call(now, target.upstream, target.endpoint, context, key, out)
        {
            Ok(call) => job.call.wait_for(call.into(), None),
            Err(response) => {
                job.call.wait_for(response.call, None);
                self.on_call_answered(now, key, response, out);
            }
        }
    }

    /// Carries out a saga's next move for job `key`.
    pub(super) fn saga_next(
        &mut self,
        now: SimTime,
        key: SlabKey,
        next: SagaNext,
        out: &mut Outbox<Message>,
    ) {
        match next {
            SagaNext::Call(target) => {
                let context = self.jobs.get(key).expect("live saga").request.context;
                if let Err(response) =
                    self.sidecar
                        .call(now, target.upstream, target.endpoint, context, key, out)
                {
                    self.on_call_answered(now, key, response, out);
                }
            }
            SagaNext::RetryAfter(wait_ns) => {
                out.set_timer(now + wait_ns, ServiceTimer::SagaRetry(key).encode());
            }
            SagaNext::Completed => {
                out.record(Record::Saga {
                    event: SagaEvent::Completed,
                });
                self.finish(now, key, 200, Reason::OK, out);
            }
            SagaNext::Compensated(reason) => {
                out.record(Record::Saga {
                    event: SagaEvent::Compensated,
                });
                self.finish(now, key, 500, reason, out);
            }
        }
    }
}
