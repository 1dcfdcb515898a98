//! What the application does with one of its endpoint's calls, on top of what its sidecar does:
//! its own timeout per try, its own retries and back-off, what a failure does to the endpoint,
//! and how often it makes the call at all.
//!
//! These are the application's client settings (Python `requests` with `timeout=3.0` and a
//! retry adapter, axios with a timeout), independent of the mesh's: each of the application's
//! tries is a whole call through the sidecar, which may retry within it.

use meshsim_sim::Distribution;

use crate::call_target::CallTarget;

/// What an endpoint does when a call has failed its last try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// The endpoint stops and answers 500 (or its `on_failure` calls run): the handler's catch.
    Fail,
    /// The endpoint goes on as if the call had succeeded, and its answer counts as degraded:
    /// Istio's Bookinfo product page renders "reviews unavailable".
    Continue,
    /// The endpoint stops and answers this status.
    Status(u16),
}

/// The application's own policy for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallPolicy {
    /// How long the application waits for each try; `None`: as long as the mesh takes.
    pub timeout_ns: Option<u64>,
    /// Tries after the first, each after a failed or timed-out one.
    pub retries: u32,
    /// The wait before each retry; `None`: at once.
    pub retry_backoff: Option<Distribution>,
    pub on_error: OnError,
    /// The share of requests the call is made for.
    pub probability: f64,
}

impl CallPolicy {
    /// Today's behaviour: one try, waited for as long as the mesh takes, a failure fails the
    /// endpoint, made for every request.
    pub const DEFAULT: CallPolicy = CallPolicy {
        timeout_ns: None,
        retries: 0,
        retry_backoff: None,
        on_error: OnError::Fail,
        probability: 1.0,
    };
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy::DEFAULT
    }
}

/// One entry of an endpoint's `calls`: where it goes and what the application does with it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppCall {
    pub target: CallTarget,
    pub policy: CallPolicy,
}

impl AppCall {
    /// A call with today's behaviour.
    pub fn plain(target: CallTarget) -> AppCall {
        AppCall {
            target,
            policy: CallPolicy::DEFAULT,
        }
    }
}
