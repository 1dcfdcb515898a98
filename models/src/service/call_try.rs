//! Where a job's current call stands, as the application sees it: which try, and what it waits
//! for. The sidecar's call of a try the application gave up on goes on; its answer, when it
//! comes, names a call the application no longer waits for, and is dropped.

use meshsim_sim::SimTime;

use crate::call_target::CallTarget;
use crate::message::CallKey;

/// What the application waits for in its current call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TryPhase {
    /// No call in progress.
    Idle,
    /// A member of a parallel step this request makes, about to be sent with the others.
    Due,
    /// The answer of the sidecar's call `call`, until `deadline` (the application's timeout).
    Waiting {
        call: CallKey,
        deadline: Option<SimTime>,
    },
    /// The back-off before the next try, until `until`.
    BackingOff { until: SimTime },
}

/// A job's current call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CallTry {
    pub(super) target: CallTarget,
    /// The call's place in the endpoint's `calls`; `None` for an `on_failure` call, which has
    /// the default policy.
    pub(super) index: Option<usize>,
    /// Tries made so far.
    pub(super) tries: u32,
    pub(super) phase: TryPhase,
}

impl CallTry {
    /// No call yet.
    pub(super) const NONE: CallTry = CallTry {
        target: CallTarget {
            upstream: 0,
            endpoint: 0,
        },
        index: None,
        tries: 0,
        phase: TryPhase::Idle,
    };

    /// A new call to `target`, before its first try.
    pub(super) fn new(target: CallTarget, index: Option<usize>) -> CallTry {
        CallTry {
            target,
            index,
            tries: 0,
            phase: TryPhase::Idle,
        }
    }

    /// The try's call went out as the sidecar's `call`; the application waits for it until
    /// `deadline`.
    pub(super) fn wait_for(&mut self, call: CallKey, deadline: Option<SimTime>) {
        self.phase = TryPhase::Waiting { call, deadline };
    }

    /// Whether `call`'s answer is the one the application waits for.
    pub(super) fn awaits(&self, call: CallKey) -> bool {
        matches!(self.phase, TryPhase::Waiting { call: awaited, .. } if awaited == call)
    }

    /// Whether the application's timeout of the current try runs out at `now`. A timer of an
    /// earlier try (answered before its timeout) finds another deadline, or none.
    pub(super) fn times_out_at(&self, now: SimTime) -> bool {
        matches!(self.phase, TryPhase::Waiting { deadline: Some(deadline), .. } if deadline == now)
    }

    /// Whether the back-off before the next try ends at `now`.
    pub(super) fn backs_off_until(&self, now: SimTime) -> bool {
        self.phase == TryPhase::BackingOff { until: now }
    }
}
