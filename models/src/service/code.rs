//! An instance whose work is real code beside it (the turmoil engine's paired host): the
//! instance stays the sidecar and the door in front of the code, and the code does the work.
//!
//! A request goes through everything a model's request goes through at the door (readiness,
//! authentication, the inbound policy, the workers and the queue); then, instead of drawing a
//! service time and making the endpoint's calls, the instance hands it to the code
//! ([`ToCode::Serve`]) and waits for the code's answer ([`FromCode::Answer`]). Whatever the code
//! calls while it works ([`FromCode::Call`]) goes out through this instance's sidecar, with every
//! route, retry, timeout, breaker and outlier rule of the mesh, and its end goes back to the
//! code ([`ToCode::Answered`]). The answer is recorded, traced and sent back as a model's is.

use meshsim_record::{Reason, ReasonKind};
use meshsim_sim::SimTime;

use super::ServiceInstance;
use super::code_state::{FromCode, ToCode};
use crate::message::{CallKey, Message, Response};
use crate::outbox::Outbox;
use crate::slab::SlabKey;

/// The owner the sidecar is told for a call no request of this instance owns (code that calls
/// from a task of its own): no job ever has this key, since a slab's generation is 24 bits.
const NO_JOB: SlabKey = SlabKey(u64::MAX);

impl ServiceInstance {
    /// Whether this instance's work is code beside it.
    pub fn runs_code(&self) -> bool {
        self.code.is_some()
    }

    /// Hands job `key` to the code.
    pub(super) fn serve_in_code(&mut self, key: SlabKey) {
        let job = self.jobs.get(key).expect("a job just started");
        let serve = ToCode::Serve {
            request: key.0,
            endpoint: job.request.endpoint,
            context: job.request.context,
        };
        self.code
            .as_mut()
            .expect("an instance that runs code")
            .to_code
            .push_back(serve);
    }

    /// The next thing for the code, if any.
    pub fn next_for_code(&mut self) -> Option<ToCode> {
        self.code.as_mut()?.to_code.pop_front()
    }

    /// What the code says.
    pub fn on_code_message(&mut self, now: SimTime, message: FromCode, out: &mut Outbox<Message>) {
        assert!(
            self.code.is_some(),
            "code spoke to an instance without code"
        );
        match message {
            FromCode::Answer { request, status } => {
                self.code_answered(now, SlabKey(request), status, out);
            }
            FromCode::Call {
                call,
                request,
                upstream,
                endpoint,
                context,
            } => {
                let owner = request
                    .map(SlabKey)
                    .filter(|&key| self.jobs.get(key).is_some())
                    .unwrap_or(NO_JOB);
                match self
                    .sidecar
                    .call(now, upstream, endpoint, context, owner, out)
                {
                    Ok(key) => {
                        let code = self.code.as_mut().expect("an instance that runs code");
                        code.calls.insert(CallKey::from(key), (call, owner));
                    }
                    Err(response) => self.tell_code(call, owner, response),
                }
            }
        }
        while let Some(done) = self.sidecar.pop_completion() {
            self.code_call_ended(done.response);
        }
        self.drained(out);
    }

    /// A call through the sidecar ended: the code learns how.
    pub(super) fn code_call_ended(&mut self, response: Response) {
        let code = self.code.as_mut().expect("an instance that runs code");
        // Every sidecar call of an instance running code is the code's.
        let Some((call, owner)) = code.calls.remove(&response.call) else {
            unreachable!("a sidecar call the code did not make")
        };
        self.tell_code(call, owner, response);
    }

    fn tell_code(&mut self, call: u64, owner: SlabKey, response: Response) {
        // A call may end after the code answered its request (the code stopped waiting): its
        // failure no longer explains anything, and is not kept.
        let live = owner != NO_JOB && self.jobs.get(owner).is_some();
        let code = self.code.as_mut().expect("an instance that runs code");
        if !response.is_success() && live {
            code.first_failures.entry(owner).or_insert(response.reason);
        }
        code.to_code.push_back(ToCode::Answered {
            call,
            status: response.status,
            reason: response.reason,
        });
    }

    /// The code answered job `key`: the answer goes back as a model's would. A failure carries
    /// the reason the first failed call of the job began with, or is the code's own.
    fn code_answered(
        &mut self,
        now: SimTime,
        key: SlabKey,
        status: u16,
        out: &mut Outbox<Message>,
    ) {
        let code = self.code.as_mut().expect("an instance that runs code");
        let first_failure = code.first_failures.remove(&key);
        if self.jobs.get(key).is_none() {
            // The process's jobs are gone only with a crash, which an instance running code is
            // never given: the code answers each request it was handed once.
            debug_assert!(false, "the code answered a request it was not handed");
            return;
        }
        let own_error = Reason {
            kind: ReasonKind::Error,
            group: Some(self.group()),
        };
        let reason = match first_failure {
            _ if (200..400).contains(&status) => Reason::OK,
            // A reset travels as an answer whose reason is a reset: carried up, the caller's
            // sidecar would read the code's HTTP answer as its own connection reset. The code
            // answered; the failure is its own.
            Some(reason) if reason.kind != ReasonKind::Reset => reason,
            _ => own_error,
        };
        self.finish(now, key, status, reason, out);
    }
}
