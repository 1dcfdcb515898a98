//! An orchestrated saga as a pure state machine: which call to make next, given how the last
//! one ended. The service instance that runs it makes the calls and keeps the timers.
//!
//! The steps run in order. When one fails for certain (a refusal, an error answer), the steps
//! before it are undone in reverse by their compensations. When its outcome is unknown (a
//! timeout or a reset: the action may have applied), the step is tried again, idempotently, up
//! to `step_retries` times; if it still does not succeed, the saga undoes it too, since every
//! compensation is safe for an action that never applied. A compensation is retried, with a
//! capped exponential back-off, until it succeeds: a saga either completes, is compensated, or
//! is still working on it when the run ends. It never guesses.

use std::sync::Arc;

use meshsim_record::{Reason, ReasonKind};

use crate::call_target::CallTarget;
use crate::message::Response;

/// A saga's steps, fixed at assembly.
#[derive(Debug, Clone)]
pub struct SagaPlan {
    pub steps: Vec<SagaStepPlan>,
    /// Tries of a step whose outcome is unknown, after the first.
    pub step_retries: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct SagaStepPlan {
    pub action: CallTarget,
    pub compensation: Option<CallTarget>,
}

/// The first wait before a failed compensation is tried again; it doubles up to the cap.
const COMPENSATION_BACKOFF_NS: u64 = 100_000_000;
const COMPENSATION_BACKOFF_MAX_NS: u64 = 5_000_000_000;

/// What the orchestrator does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SagaNext {
    /// Make this call now.
    Call(CallTarget),
    /// A compensation failed: call [`SagaRun::retry`] after this long.
    RetryAfter(u64),
    /// Every step succeeded.
    Completed,
    /// Undone: the failure that started the undoing.
    Compensated(Reason),
}

/// One saga in progress.
#[derive(Debug, Clone)]
pub(crate) struct SagaRun {
    plan: Arc<SagaPlan>,
    /// The step being tried, going forward.
    step: usize,
    /// Tries of the current step so far.
    tries: u32,
    /// Whether a try of the current step ended with an unknown outcome: then the step may have
    /// applied, whatever its later tries say, and is undone with the others.
    maybe_applied: bool,
    /// Undoing: the steps `0..undo` are left to compensate, the last first.
    undo: Option<usize>,
    failure: Reason,
    backoff_ns: u64,
}

impl SagaRun {
    /// A new saga and its first call.
    pub(crate) fn start(plan: Arc<SagaPlan>) -> (SagaRun, SagaNext) {
        assert!(!plan.steps.is_empty(), "a saga has steps");
        let first = SagaNext::Call(plan.steps[0].action);
        let run = SagaRun {
            plan,
            step: 0,
            tries: 1,
            maybe_applied: false,
            undo: None,
            failure: Reason::OK,
            backoff_ns: COMPENSATION_BACKOFF_NS,
        };
        (run, first)
    }

    #[cfg(test)]
    fn is_compensating(&self) -> bool {
        self.undo.is_some()
    }

    /// The last call ended with `response`.
    pub(crate) fn answered(&mut self, response: &Response) -> SagaNext {
        if self.undo.is_some() {
            if response.is_success() {
                let undo = self.undo.as_mut().expect("undoing");
                *undo -= 1;
                self.backoff_ns = COMPENSATION_BACKOFF_NS;
                return self.next_compensation();
            }
            let wait = self.backoff_ns;
            self.backoff_ns = (self.backoff_ns * 2).min(COMPENSATION_BACKOFF_MAX_NS);
            return SagaNext::RetryAfter(wait);
        }
        if response.is_success() {
            self.step += 1;
            self.tries = 1;
            self.maybe_applied = false;
            return match self.plan.steps.get(self.step) {
                Some(step) => SagaNext::Call(step.action),
                None => SagaNext::Completed,
            };
        }
        let unknown = outcome_unknown(response);
        self.maybe_applied |= unknown;
        if unknown && self.tries <= self.plan.step_retries {
            self.tries += 1;
            return SagaNext::Call(self.plan.steps[self.step].action);
        }
        self.failure = response.reason;
        // An action that may have applied (any of its tries) is undone with the ones before
        // it: a later try refused outright says nothing of an earlier one that timed out.
        self.undo = Some(self.step + usize::from(self.maybe_applied));
        self.next_compensation()
    }

    /// The orchestrator's process died: the saga log survives, and the saga is undone from
    /// whatever may have applied (the step in progress included).
    pub(crate) fn interrupted(&mut self) {
        if self.undo.is_none() {
            self.undo = Some((self.step + 1).min(self.plan.steps.len()));
            self.failure = Reason {
                kind: ReasonKind::Reset,
                group: None,
            };
        }
        self.backoff_ns = COMPENSATION_BACKOFF_NS;
    }

    /// The call to make after a back-off, or when a restarted orchestrator resumes the saga.
    pub(crate) fn retry(&mut self) -> SagaNext {
        self.next_compensation()
    }

    /// The next compensation to run, skipping steps that have none.
    fn next_compensation(&mut self) -> SagaNext {
        let undo = self.undo.as_mut().expect("undoing");
        while *undo > 0 {
            if let Some(compensation) = self.plan.steps[*undo - 1].compensation {
                return SagaNext::Call(compensation);
            }
            *undo -= 1;
        }
        SagaNext::Compensated(self.failure)
    }
}

/// Whether a failed call may still have applied: no answer came (a timeout), or the
/// connection broke after the request went out (a reset).
fn outcome_unknown(response: &Response) -> bool {
    matches!(
        response.reason.kind,
        ReasonKind::RouteTimeout
            | ReasonKind::ClientTimeout
            | ReasonKind::BreakerTimeout
            | ReasonKind::Reset
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use meshsim_record::{Reason, ReasonKind};

    use super::{SagaNext, SagaPlan, SagaRun, SagaStepPlan};
    use crate::call_target::CallTarget;
    use crate::message::Response;

    fn target(endpoint: u32) -> CallTarget {
        CallTarget {
            upstream: 0,
            endpoint,
        }
    }

    /// Steps 0, 1, 2 with actions 10, 11, 12 and compensations 20, 21 (the last has none).
    fn plan() -> Arc<SagaPlan> {
        Arc::new(SagaPlan {
            steps: vec![
                SagaStepPlan {
                    action: target(10),
                    compensation: Some(target(20)),
                },
                SagaStepPlan {
                    action: target(11),
                    compensation: Some(target(21)),
                },
                SagaStepPlan {
                    action: target(12),
                    compensation: None,
                },
            ],
            step_retries: 1,
        })
    }

    fn answer(status: u16, kind: ReasonKind) -> Response {
        Response {
            call: crate::message::CallKey(0),
            status,
            reason: Reason { kind, group: None },
        }
    }

    fn ok() -> Response {
        answer(200, ReasonKind::Ok)
    }

    #[test]
    fn all_steps_succeed_in_order() {
        let (mut run, first) = SagaRun::start(plan());
        assert_eq!(first, SagaNext::Call(target(10)));
        assert_eq!(run.answered(&ok()), SagaNext::Call(target(11)));
        assert_eq!(run.answered(&ok()), SagaNext::Call(target(12)));
        assert_eq!(run.answered(&ok()), SagaNext::Completed);
    }

    #[test]
    fn a_certain_failure_undoes_the_steps_before_it_in_reverse() {
        let (mut run, _) = SagaRun::start(plan());
        run.answered(&ok());
        run.answered(&ok());
        // Step 2 fails for certain: undo 1, then 0.
        let failure = answer(409, ReasonKind::Error);
        assert_eq!(run.answered(&failure), SagaNext::Call(target(21)));
        assert_eq!(run.answered(&ok()), SagaNext::Call(target(20)));
        assert_eq!(run.answered(&ok()), SagaNext::Compensated(failure.reason));
    }

    #[test]
    fn an_unknown_outcome_is_retried_then_undone_with_its_step() {
        let (mut run, _) = SagaRun::start(plan());
        run.answered(&ok());
        let timeout = answer(504, ReasonKind::RouteTimeout);
        // One retry of step 1, then it is undone itself (it may have applied), then step 0.
        assert_eq!(run.answered(&timeout), SagaNext::Call(target(11)));
        assert_eq!(run.answered(&timeout), SagaNext::Call(target(21)));
        assert_eq!(run.answered(&ok()), SagaNext::Call(target(20)));
        assert!(matches!(run.answered(&ok()), SagaNext::Compensated(_)));
    }

    #[test]
    fn a_step_that_timed_out_once_is_undone_even_if_a_later_try_is_refused() {
        let (mut run, _) = SagaRun::start(plan());
        run.answered(&ok());
        // Step 1's first try times out (it may have applied); the retry is shed outright.
        assert_eq!(
            run.answered(&answer(504, ReasonKind::RouteTimeout)),
            SagaNext::Call(target(11))
        );
        assert_eq!(
            run.answered(&answer(503, ReasonKind::Shed)),
            SagaNext::Call(target(21))
        );
    }

    #[test]
    fn a_failed_compensation_is_retried_with_a_growing_back_off() {
        let (mut run, _) = SagaRun::start(plan());
        run.answered(&ok());
        run.answered(&answer(500, ReasonKind::Error));
        let failure = answer(503, ReasonKind::Refused);
        assert_eq!(run.answered(&failure), SagaNext::RetryAfter(100_000_000));
        assert_eq!(run.retry(), SagaNext::Call(target(20)));
        assert_eq!(run.answered(&failure), SagaNext::RetryAfter(200_000_000));
        for _ in 0..10 {
            run.retry();
            run.answered(&failure);
        }
        assert_eq!(run.answered(&failure), SagaNext::RetryAfter(5_000_000_000));
    }

    #[test]
    fn an_interrupted_saga_undoes_the_step_in_progress_too() {
        let (mut run, _) = SagaRun::start(plan());
        run.answered(&ok());
        // Step 1 was out when the orchestrator crashed.
        run.interrupted();
        assert!(run.is_compensating());
        assert_eq!(run.retry(), SagaNext::Call(target(21)));
        assert_eq!(run.answered(&ok()), SagaNext::Call(target(20)));
    }
}
