//! A `parallel` step of an endpoint's calls: its members go out at once, in the order written,
//! each with its own policy (timeout, retries, back-off, `on_error`, `probability`), and the
//! step ends when all have answered, as `Promise.all` resolves.
//!
//! A member whose last failure fails the endpoint (`on_error = "fail"` or a status) ends it at
//! once, without waiting for the others: `Promise.all` "rejects when any of the input's
//! promises rejects" (MDN, `Promise.all()`,
//! <https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Promise/all>).
//! The other members' calls go on in the mesh, which counts them; their answers, when they
//! come, find no member waiting and are dropped.
//!
//! The application's timers of a member carry only the job: a timer finds the first member
//! whose deadline (or back-off) ends at that instant, as a single call's timer finds its try
//! by its deadline. Two members ending at the same instant have a timer each.

use meshsim_record::{Reason, ReasonKind};
use meshsim_sim::SimTime;

use super::ServiceInstance;
use super::app_call::{CallPolicy, OnError};
use super::call_step::CallStep;
use super::call_try::{CallTry, TryPhase};
use super::timer::ServiceTimer;
use crate::message::{Message, Response};
use crate::outbox::Outbox;
use crate::slab::SlabKey;
use crate::timer::TimerCode;

impl ServiceInstance {
    /// Starts job `key`'s parallel step `step`: draws which members this request makes, sends
    /// each, and then handles, in member order, the answers the sidecar gave at once (an open
    /// breaker, an injected abort): every call of `Promise.all` is made before any answer is
    /// handled.
    pub(super) fn start_parallel(
        &mut self,
        now: SimTime,
        key: SlabKey,
        step: usize,
        out: &mut Outbox<Message>,
    ) {
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        let CallStep::Parallel(members) =
            &self.config.endpoints[job.request.endpoint as usize].calls[step]
        else {
            unreachable!("a parallel step is started only for a `parallel` entry")
        };
        job.members.clear();
        for member in members {
            let mut call = CallTry::new(member.target, Some(step));
            if super::call_stream(&mut self.call_rng).chance(member.policy.probability) {
                call.phase = TryPhase::Due;
            }
            job.members.push(call);
        }
        let mut at_once = Vec::new();
        for index in 0..job.members.len() {
            let due = self
                .jobs
                .get(key)
                .is_some_and(|job| job.members[index].phase == TryPhase::Due);
            if due && let Err(response) = self.send_member_try(now, key, index, out) {
                at_once.push((index, response));
            }
        }
        if at_once.is_empty() {
            // No member made (each drew against its probability), or all of them sent.
            self.member_done(now, key, out);
            return;
        }
        for (index, response) in at_once {
            if self
                .jobs
                .get(key)
                .is_none_or(|job| job.members.len() <= index)
            {
                // A member before this one ended the endpoint.
                return;
            }
            self.member_try_ended(now, key, index, response, out);
        }
    }

    /// The policy of member `index` of job `key`'s parallel step.
    fn member_policy(&self, key: SlabKey, index: usize) -> &CallPolicy {
        let job = self.jobs.get(key).expect("job is live while it calls");
        let member = &job.members[index];
        let step = member.index.expect("a member knows its step");
        match &self.config.endpoints[job.request.endpoint as usize].calls[step] {
            CallStep::Parallel(members) => &members[index].policy,
            CallStep::One(call) => &call.policy,
        }
    }

    /// Sends a try of member `index` of job `key`'s parallel step through the sidecar, with
    /// the application's timeout on it; the sidecar's answer when it gives one at once (the
    /// member then waits for it, so that the step stays open until it is handled).
    fn send_member_try(
        &mut self,
        now: SimTime,
        key: SlabKey,
        index: usize,
        out: &mut Outbox<Message>,
    ) -> Result<(), Response> {
        let timeout_ns = self.member_policy(key, index).timeout_ns;
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        let context = job.request.context;
        let member = &mut job.members[index];
        member.tries += 1;
        let target = member.target;
        match self
            .sidecar
            .call(now, target.upstream, target.endpoint, context, key, out)
        {
            Ok(call) => {
                let deadline = timeout_ns.map(|timeout_ns| now + timeout_ns);
                member.wait_for(call.into(), deadline);
                if let Some(deadline) = deadline {
                    out.set_timer(deadline, ServiceTimer::AppTimeout(key).encode());
                }
                Ok(())
            }
            Err(response) => {
                member.wait_for(response.call, None);
                Err(response)
            }
        }
    }

    /// Makes a try of member `index` (a retry); an answer the sidecar gives at once ends it at
    /// once.
    fn make_member_try(
        &mut self,
        now: SimTime,
        key: SlabKey,
        index: usize,
        out: &mut Outbox<Message>,
    ) {
        if let Err(response) = self.send_member_try(now, key, index, out) {
            self.member_try_ended(now, key, index, response, out);
        }
    }

    /// An answer to job `key`, which is in a parallel step: it ends the try of the member
    /// that waits for it, or nothing when none does (a try its timeout gave up on, or a
    /// member's of a step a failure ended).
    pub(super) fn member_answered(
        &mut self,
        now: SimTime,
        key: SlabKey,
        response: Response,
        out: &mut Outbox<Message>,
    ) {
        let job = self.jobs.get(key).expect("an answered job is live");
        if let Some(index) = job
            .members
            .iter()
            .position(|member| member.awaits(response.call))
        {
            self.member_try_ended(now, key, index, response, out);
        }
    }

    /// The application's timeout of a member of job `key`'s parallel step ran out at `now`.
    /// Whether the job is in a parallel step.
    pub(super) fn member_timeout(
        &mut self,
        now: SimTime,
        key: SlabKey,
        out: &mut Outbox<Message>,
    ) -> bool {
        let Some(job) = self.jobs.get(key).filter(|job| !job.members.is_empty()) else {
            return false;
        };
        let Some(index) = job
            .members
            .iter()
            .position(|member| member.times_out_at(now))
        else {
            return true;
        };
        let reason = Reason {
            kind: ReasonKind::ClientTimeout,
            group: Some(
                self.sidecar
                    .upstream_group(job.members[index].target.upstream),
            ),
        };
        let response = Response::new(job.request.call, 504, reason);
        self.member_try_ended(now, key, index, response, out);
        true
    }

    /// The back-off before a member's next try ran out at `now`. Whether the job is in a
    /// parallel step.
    pub(super) fn member_backoff_over(
        &mut self,
        now: SimTime,
        key: SlabKey,
        out: &mut Outbox<Message>,
    ) -> bool {
        let Some(job) = self.jobs.get(key).filter(|job| !job.members.is_empty()) else {
            return false;
        };
        if let Some(index) = job
            .members
            .iter()
            .position(|member| member.backs_off_until(now))
        {
            self.make_member_try(now, key, index, out);
        }
        true
    }

    /// A try of member `index` of job `key`'s parallel step ended with `response`: the member
    /// is done, tries again, or does what its `on_error` says.
    fn member_try_ended(
        &mut self,
        now: SimTime,
        key: SlabKey,
        index: usize,
        response: Response,
        out: &mut Outbox<Message>,
    ) {
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        job.members[index].phase = TryPhase::Idle;
        if response.is_success() {
            self.member_done(now, key, out);
            return;
        }
        let policy = self.member_policy(key, index);
        let (retries, backoff, on_error) = (
            policy.retries,
            policy.retry_backoff.clone(),
            policy.on_error,
        );
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        if job.members[index].tries <= retries {
            match backoff {
                Some(backoff) => {
                    let until = now + backoff.sample_ns(super::call_stream(&mut self.call_rng));
                    job.members[index].phase = TryPhase::BackingOff { until };
                    out.set_timer(until, ServiceTimer::AppBackoff(key).encode());
                }
                None => self.make_member_try(now, key, index, out),
            }
            return;
        }
        match on_error {
            OnError::Continue => {
                job.degraded = true;
                self.member_done(now, key, out);
            }
            // The first failure that fails the endpoint ends the step, the others' answers
            // dropped (`Promise.all` rejects at once).
            OnError::Fail => {
                job.members.clear();
                self.failed(now, key, response.status, response.reason, out);
            }
            OnError::Status(status) => {
                job.members.clear();
                self.finish(now, key, status, response.reason, out);
            }
        }
    }

    /// A member of job `key`'s parallel step is done: when all are, the step is over and the
    /// endpoint goes on.
    fn member_done(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let job = self.jobs.get_mut(key).expect("job is live while it calls");
        if job
            .members
            .iter()
            .all(|member| member.phase == TryPhase::Idle)
        {
            job.members.clear();
            self.next_call(now, key, out);
        }
    }
}
