//! The callee's half of the mesh: what an instance's own sidecar decides before a request
//! reaches the service.
//!
//! A request passes, in order, a client's fixed rate-limit window (express-rate-limit), the
//! authorization policy (`allow_from`) and the local token-bucket rate limit. The first one
//! that says no answers it; the [`Inbound`] logs its own events (each caller denied once, the
//! rate limit's episodes) and leaves the answer to the instance, which has one refusal path.

use std::sync::Arc;

use meshsim_record::{MeshEvent, ReasonKind, Record, ServedResult};
use meshsim_sim::SimTime;

use crate::episode::{EPISODE_QUIET_NS, Episode};
use crate::message::{Message, Request};
use crate::outbox::Outbox;
use crate::policy::rate_limit::{Refill, TokenBucket};
use crate::service::refusal::{Refusal, RefusedBy};

/// The callee's local rate limit: a token bucket per instance, full when the process starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitConfig {
    pub max_tokens: u32,
    pub tokens_per_fill: u32,
    pub fill_interval_ns: u64,
    pub refill: Refill,
}

impl RateLimitConfig {
    /// A full bucket for a process started at `start`.
    pub fn bucket(self, start: SimTime) -> TokenBucket {
        TokenBucket::new(self.max_tokens, self.tokens_per_fill, self.fill_interval_ns)
            .with_refill(self.refill)
            .starting_at(start)
    }
}

/// What the callee's own sidecar enforces before a request reaches the service.
#[derive(Debug, Clone)]
pub struct InboundPolicy {
    /// Groups allowed to call (an Istio `AuthorizationPolicy`); `None` allows everyone. Any other
    /// caller is answered 403.
    pub allow_from: Option<Vec<u32>>,
    /// Every group's name by id, to say in `events.csv` who was denied.
    pub group_names: Arc<[Arc<str>]>,
    /// The local rate limit, a token bucket per instance (Envoy's `local_ratelimit`; Linkerd's
    /// GCRA is the same bucket): over the limit, 429.
    pub rate_limit: Option<RateLimitConfig>,
    /// express-rate-limit: (max requests, window) per client in fixed windows, per instance.
    pub client_rate_limit: Option<(u32, u64)>,
    /// The status answered when a call's connection is refused or no instance is up.
    pub refused_status: u16,
}

impl InboundPolicy {
    /// No authorization and no limit: every request passes.
    pub fn is_open(&self) -> bool {
        self.allow_from.is_none() && self.rate_limit.is_none() && self.client_rate_limit.is_none()
    }
}

impl Default for InboundPolicy {
    /// No policy: everyone may call, no limits, and a refused call answers 500.
    fn default() -> Self {
        InboundPolicy {
            allow_from: None,
            group_names: Arc::from(Vec::new()),
            rate_limit: None,
            client_rate_limit: None,
            refused_status: 500,
        }
    }
}

/// One instance's inbound proxy: its policy and what it remembers between requests.
#[derive(Debug)]
pub(crate) struct Inbound {
    policy: InboundPolicy,
    /// `service/N`, the subject of the events it logs.
    name: String,
    rate_limiter: Option<TokenBucket>,
    /// The rate limit's current episode of refusals, logged when it starts and ends.
    limiting: Option<Episode>,
    /// Callers already denied once, so each denial is logged once per instance and caller.
    denied_callers: Vec<u32>,
    /// Per client (workload): its current fixed rate-limit window and the requests in it.
    client_windows: Vec<(u64, u32)>,
}

impl Inbound {
    /// The proxy of a process started at time zero.
    pub(crate) fn new(policy: InboundPolicy, name: &str) -> Inbound {
        let rate_limiter = policy.rate_limit.map(|limit| limit.bucket(SimTime::ZERO));
        Inbound {
            policy,
            name: name.to_owned(),
            rate_limiter,
            limiting: None,
            denied_callers: Vec::new(),
            client_windows: Vec::new(),
        }
    }

    /// The process died: the client windows lived in it and start empty.
    pub(crate) fn crashed(&mut self) {
        self.client_windows.clear();
    }

    /// A new process: its local rate limiter starts full, as Envoy's does.
    pub(crate) fn restarted(&mut self, now: SimTime) {
        self.rate_limiter = self.policy.rate_limit.map(|limit| limit.bucket(now));
        self.limiting = None;
    }

    /// Whether `request` may reach the service; `Some` says how to refuse it. The client's
    /// window counts first, so a request the window refuses takes no token.
    pub(crate) fn admit(
        &mut self,
        now: SimTime,
        request: &Request,
        out: &mut Outbox<Message>,
    ) -> Option<Refusal> {
        if !self.within_client_limit(now, request) {
            return Some(Refusal::new(
                429,
                ReasonKind::RateLimited,
                RefusedBy::Service(ServedResult::Failed),
            ));
        }
        self.authorize_and_limit(now, request, out)
    }

    /// express-rate-limit: at most `max` requests of one client in each fixed window, per
    /// instance; beyond, 429.
    fn within_client_limit(&mut self, now: SimTime, request: &Request) -> bool {
        let Some((max, window_ns)) = self.policy.client_rate_limit else {
            return true;
        };
        let client = request.context.client as usize;
        if self.client_windows.len() <= client {
            self.client_windows.resize(client + 1, (0, 0));
        }
        let window = now.as_nanos() / window_ns;
        let (current, count) = &mut self.client_windows[client];
        if *current != window {
            *current = window;
            *count = 0;
        }
        if *count >= max {
            return false;
        }
        *count += 1;
        true
    }

    /// Authorization, then the local rate limit; a denied request takes no token. These are
    /// the mesh's refusals: the service never sees them, so it does not count them served.
    fn authorize_and_limit(
        &mut self,
        now: SimTime,
        request: &Request,
        out: &mut Outbox<Message>,
    ) -> Option<Refusal> {
        let denied = self
            .policy
            .allow_from
            .as_ref()
            .is_some_and(|allowed| !allowed.contains(&request.caller));
        if denied {
            self.log_denial(request.caller, out);
            return Some(Refusal::new(
                403,
                ReasonKind::Denied,
                RefusedBy::Mesh(MeshEvent::Denied),
            ));
        }
        let limited = self
            .rate_limiter
            .as_mut()
            .is_some_and(|bucket| !bucket.try_take(now));
        self.log_rate_limit(now, limited, out);
        limited.then_some(Refusal::new(
            429,
            ReasonKind::RateLimited,
            RefusedBy::Mesh(MeshEvent::RateLimited),
        ))
    }

    /// Logs the first denial of each caller.
    fn log_denial(&mut self, caller: u32, out: &mut Outbox<Message>) {
        if self.denied_callers.contains(&caller) {
            return;
        }
        self.denied_callers.push(caller);
        let caller = self
            .policy
            .group_names
            .get(caller as usize)
            .map_or_else(|| format!("group {caller}"), ToString::to_string);
        out.record(Record::Event {
            kind: "denied",
            subject: self.name.clone(),
            detail: format!("403 to {caller}: not in allow_from"),
        });
    }

    /// Logs an episode of 429s when it starts, and when a request passes a quiet while after
    /// the last refusal.
    fn log_rate_limit(&mut self, now: SimTime, limited: bool, out: &mut Outbox<Message>) {
        if limited {
            if let Some(limiting) = &mut self.limiting {
                limiting.last = now;
                limiting.count += 1;
            } else {
                self.limiting = Some(Episode {
                    since: now,
                    last: now,
                    count: 1,
                });
                out.record(Record::Event {
                    kind: "rate_limit",
                    subject: self.name.clone(),
                    detail: "over the limit: answering 429".to_owned(),
                });
            }
        } else if let Some(limiting) = &self.limiting
            && now - limiting.last >= EPISODE_QUIET_NS
        {
            out.record(Record::Event {
                kind: "rate_limit",
                subject: self.name.clone(),
                detail: format!(
                    "under the limit again: {} answered 429 in {:.3} s",
                    limiting.count,
                    (limiting.last - limiting.since) as f64 / 1e9
                ),
            });
            self.limiting = None;
        }
    }
}
