//! How an instance makes its endpoint's calls, one after another, each with the application's
//! own policy ([`CallPolicy`]): a try through the sidecar, the application's timeout on it,
//! its retries after a failed or timed-out try, and what the last failure does.

use meshsim_record::{Reason, ReasonKind};
use meshsim_sim::SimTime;

use super::ServiceInstance;
use super::app_call::{CallPolicy, OnError};
use super::call_step::CallStep;
use super::call_try::TryPhase;
use super::timer::ServiceTimer;
use crate::message::{Message, Response};
use crate::outbox::Outbox;
use crate::slab::SlabKey;
use crate::timer::TimerCode;

impl ServiceInstance {
    /// The policy of job `key`'s current call.
    fn policy(&self, key: SlabKey) -> &CallPolicy {
        let job = self.jobs.get(key).expect("job is live while it calls");
        let endpoint = &self.config.endpoints[job.request.endpoint as usize];
        job.call
            .index
            .and_then(|index| endpoint.calls.get(index))
            .map_or(&CallPolicy::DEFAULT, |step| match step {
                CallStep::One(call) => &call.policy,
                CallStep::Parallel(_) => unreachable!("a parallel step's members have their own"),
            })
    }

    /// Makes the one try of job `key`'s current call, which has the default policy: no
    /// application timeout to set.
    pub(super) fn make_plain_try(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        job.call.tries = 1;
        let (target, context) = (job.call.target, job.request.context);
        match self
            .sidecar
            .call(now, target.upstream, target.endpoint, context, key, out)
        {
            Ok(call) => job.call.wait_for(call.into(), None),
            Err(response) => self.try_ended(now, key, response, out),
        }
    }

    /// Makes one try of job `key`'s current call through the sidecar, with the application's
    /// timeout on it; an answer the sidecar gives at once ends the try at once.
    pub(super) fn make_try(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let timeout_ns = self.policy(key).timeout_ns;
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        job.call.tries += 1;
        let (target, context) = (job.call.target, job.request.context);
        match self
            .sidecar
            .call(now, target.upstream, target.endpoint, context, key, out)
        {
            Ok(call) => {
                let deadline = timeout_ns.map(|timeout_ns| now + timeout_ns);
                job.call.wait_for(call.into(), deadline);
                if let Some(deadline) = deadline {
                    out.set_timer(deadline, ServiceTimer::AppTimeout(key).encode());
                }
            }
            // Answered by the sidecar itself: an open breaker (perhaps with a fallback), an
            // injected abort.
            Err(response) => self.try_ended(now, key, response, out),
        }
    }

    /// The application's timeout of job `key`'s try ran out: the application stops waiting,
    /// as if the callee had not answered. The timer of a try that ended before it finds
    /// nothing to do.
    pub(super) fn app_timeout(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        if self.member_timeout(now, key, out) {
            return;
        }
        let Some(job) = self.jobs.get(key) else {
            return;
        };
        if !job.call.times_out_at(now) {
            return;
        }
        let callee = self.sidecar.upstream_group(job.call.target.upstream);
        let reason = Reason {
            kind: ReasonKind::ClientTimeout,
            group: Some(callee),
        };
        let response = Response::new(job.request.call, 504, reason);
        self.try_ended(now, key, response, out);
    }

    /// The back-off before job `key`'s next try ran out.
    pub(super) fn backoff_over(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        if self.member_backoff_over(now, key, out) {
            return;
        }
        if self
            .jobs
            .get(key)
            .is_some_and(|job| job.call.backs_off_until(now))
        {
            self.make_try(now, key, out);
        }
    }

    /// A try of job `key`'s current call ended with `response`: the endpoint goes on, tries
    /// again, or does what the call's `on_error` says.
    pub(super) fn try_ended(
        &mut self,
        now: SimTime,
        key: SlabKey,
        response: Response,
        out: &mut Outbox<Message>,
    ) {
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        job.call.phase = TryPhase::Idle;
        if response.is_success() {
            // The common path: the policy is read only when a try failed.
            self.next_call(now, key, out);
            return;
        }
        let policy = self.policy(key);
        // A distribution is not `Copy` (an empirical one holds its samples); without a
        // back-off the clone copies a `None`.
        let (retries, backoff, on_error) = (
            policy.retries,
            policy.retry_backoff.clone(),
            policy.on_error,
        );
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        if job.call.tries <= retries {
            match backoff {
                Some(backoff) => {
                    let until = now + backoff.sample_ns(super::call_stream(&mut self.call_rng));
                    job.call.phase = TryPhase::BackingOff { until };
                    out.set_timer(until, ServiceTimer::AppBackoff(key).encode());
                }
                None => self.make_try(now, key, out),
            }
            return;
        }
        match on_error {
            OnError::Fail => self.failed(now, key, response.status, response.reason, out),
            OnError::Continue => {
                job.degraded = true;
                self.next_call(now, key, out);
            }
            OnError::Status(status) => self.finish(now, key, status, response.reason, out),
        }
    }
}
