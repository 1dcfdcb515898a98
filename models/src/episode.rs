//! A run of refusals, logged as one episode rather than one line a call. Its own file because
//! the retry path of a cluster and the rate limiting of a service instance both keep one, and
//! neither owns the other.

use meshsim_sim::SimTime;

/// A run of refusals (retries denied by a budget, requests over a rate limit): logged when it
/// starts, and when one is let through a second or more after the last refusal, so a limit at
/// its edge logs one episode, not one line a call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Episode {
    pub(crate) since: SimTime,
    pub(crate) last: SimTime,
    pub(crate) count: u64,
}

/// Quiet time after the last refusal before an episode is logged as over.
pub(crate) const EPISODE_QUIET_NS: u64 = 1_000_000_000;
