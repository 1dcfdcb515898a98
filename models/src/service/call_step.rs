//! One step of an endpoint's calls: one call, or calls that go out at once.

use meshsim_sim::SimRng;

use super::app_call::{AppCall, CallPolicy};

/// One entry of an endpoint's `calls`.
#[derive(Debug, Clone, PartialEq)]
pub enum CallStep {
    /// One call, made once the steps before it have answered.
    One(AppCall),
    /// `{ parallel = [...] }`: the members go out at once, in the order written, each with
    /// its own policy, and the step ends when all have answered (`Promise.all`), or at the
    /// first failure that fails the endpoint.
    Parallel(Vec<AppCall>),
}

impl CallStep {
    /// Whether the step is one call with the default policy.
    pub(super) fn is_plain(&self) -> bool {
        matches!(self, CallStep::One(call) if call.policy == CallPolicy::DEFAULT)
    }
}

impl From<AppCall> for CallStep {
    fn from(call: AppCall) -> CallStep {
        CallStep::One(call)
    }
}

/// The first of `calls` from `next` on that this request makes: each is made for its
/// `probability` share of requests, drawn from `rng` (the instance's own stream for calls). A
/// call made for every request draws nothing; a `parallel` is made, its members drawing when
/// it starts.
pub(super) fn first_call_made(calls: &[CallStep], mut next: usize, rng: &mut SimRng) -> usize {
    while let Some(CallStep::One(call)) = calls.get(next) {
        if rng.chance(call.policy.probability) {
            break;
        }
        next += 1;
    }
    next
}
