//! The caller's sidecar: every outgoing call passes through it, as through Envoy.
//!
//! A call goes, in order, through the application's circuit breaker (opossum: an open breaker
//! answers with the fallback at once), fault injection (Istio: abort or delay a share of calls),
//! and then one or more attempts. Each attempt picks an instance (load balancing over the live
//! instances that outlier detection has not ejected, a retry preferring one not tried yet),
//! waits for a connection from the pool if all are busy (503 when the pending queue is full
//! too), and has a per-try timeout. A failed attempt the retry policy covers is retried after a
//! fully jittered exponential back-off, if the retry budget allows. The route timeout covers the
//! whole call, retries included. What the sidecar cannot reach it answers itself, as Envoy does:
//! 503 "no healthy upstream", 503 on a refused or reset connection, 504 on a timeout.
//!
//! Finished calls queue up in the sidecar; the model that owns it takes them with
//! [`Sidecar::pop_completion`] after each input, so one input can finish many calls.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use meshsim_sim::record::{GroupGauge, MeshEvent};
use meshsim_sim::{
    GroupId, NodeId, Outbox, Reason, ReasonKind, Record, SimRng, SimTime, Span, SpanKind,
};

use crate::message::{Message, Request, RequestContext, Response, RouteChange, RouteUpdate};
use crate::policy::backoff::backoff_ns;
use crate::policy::breaker::{Admission, BreakerState};
use crate::policy::outlier::{AttemptOutcome, EjectionReason};
use crate::slab::{Slab, SlabKey};
use crate::timer::{TimerKind, timer};
use crate::upstream::{EPISODE_QUIET_NS, Episode, RetryOn, Upstream, UpstreamConfig};

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Held by an injected delay.
    Delayed,
    /// Waiting for a free connection.
    Pending,
    /// An attempt is on the wire.
    InFlight(SlabKey),
    /// Waiting out the back-off before a retry.
    BackingOff,
}

struct Call {
    owner: u64,
    upstream: u16,
    endpoint: u32,
    context: RequestContext,
    started_at: SimTime,
    retries: u32,
    /// Whether the call holds one of the upstream's retry slots: Envoy takes it when it decides
    /// to retry and gives it back when the retried try ends, so a retry counts against the
    /// budget through its back-off and its try.
    holds_retry: bool,
    /// Instances tried so far, so a retry goes elsewhere when it can.
    tried: Vec<u32>,
    /// The version the route chose: its instances only (all of them when `None`).
    subset: Option<Range<u32>>,
    phase: Phase,
    admission: Option<Admission>,
}

struct Attempt {
    call: SlabKey,
    instance: u32,
    started_at: SimTime,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy)]
enum TryResult {
    Answered(Response),
    /// The connection was refused: the process was gone.
    Refused,
    /// The per-try timeout ran out.
    TimedOut,
}

/// A finished call handed back to the model that made it.
#[derive(Debug, Clone, Copy)]
pub struct Completion {
    pub owner: u64,
    pub response: Response,
}

pub struct Sidecar {
    /// The node this sidecar sits beside, for spans.
    own_node: NodeId,
    /// The group of the node this sidecar sits beside: the caller's identity for the callee.
    own_group: GroupId,
    /// The node's name, for `events.csv`.
    own_name: String,
    upstreams: Vec<Upstream>,
    calls: Slab<Call>,
    attempts: Slab<Attempt>,
    completed: VecDeque<Completion>,
    rng: SimRng,
}

impl Sidecar {
    pub fn new(
        own_node: NodeId,
        own_group: GroupId,
        own_name: &str,
        upstreams: Vec<Arc<UpstreamConfig>>,
        rng: SimRng,
    ) -> Self {
        assert!(
            u16::try_from(upstreams.len()).is_ok(),
            "too many upstreams for one sidecar"
        );
        Sidecar {
            own_node,
            own_group,
            own_name: own_name.to_owned(),
            upstreams: upstreams.into_iter().map(Upstream::new).collect(),
            calls: Slab::default(),
            attempts: Slab::default(),
            completed: VecDeque::new(),
            rng,
        }
    }

    /// The node this sidecar sits beside.
    pub fn node(&self) -> NodeId {
        self.own_node
    }

    /// The service behind upstream `index`.
    pub fn upstream_group(&self, index: u16) -> GroupId {
        self.upstreams[usize::from(index)].config.group
    }

    /// Records a span of a sampled call from `start` to `now`; an attempt's retry number is
    /// the call's retries so far.
    fn span(
        &self,
        call: &Call,
        kind: SpanKind,
        (start, now): (SimTime, SimTime),
        peer: Option<NodeId>,
        status: u16,
        out: &mut Outbox<Message>,
    ) {
        if !call.context.sampled {
            return;
        }
        out.record(Record::Span(Box::new(Span {
            trace: call.context.trace(),
            node: self.own_node,
            kind,
            start_ns: start.as_nanos(),
            end_ns: now.as_nanos(),
            endpoint: Some((
                self.upstreams[usize::from(call.upstream)].config.group,
                call.endpoint,
            )),
            peer,
            status,
            number: call.retries,
        })));
    }

    /// Calls in progress.
    pub fn pending(&self) -> usize {
        self.calls.len()
    }

    /// The next finished call, if any.
    pub fn pop_completion(&mut self) -> Option<Completion> {
        self.completed.pop_front()
    }

    /// Starts a call to `upstream`'s `endpoint` on behalf of `owner`. Returns the call's key; its
    /// answer comes later through [`Sidecar::pop_completion`], possibly right after this returns.
    /// An `Err` is an answer the sidecar gives before a call exists: an open breaker, an
    /// injected abort.
    pub fn call(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        endpoint: u32,
        context: RequestContext,
        owner: u64,
        out: &mut Outbox<Message>,
    ) -> Result<SlabKey, Response> {
        let (upstream_index, endpoint) = self.redirect(upstream_index, endpoint);
        let callee = self.upstreams[usize::from(upstream_index)].config.group;
        out.record(Record::Call {
            caller: self.own_group,
            callee,
        });
        self.arm_outlier_interval(now, upstream_index, out);
        let admission = self.admit(now, upstream_index, out)?;
        let upstream = &self.upstreams[usize::from(upstream_index)];
        if let Some(fault) = upstream.config.fault
            && self.rng.chance(fault.abort_probability)
        {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::FaultAborted,
            });
            let reason = Reason {
                kind: ReasonKind::FaultAbort,
                group: Some(callee),
            };
            let response = Response {
                call: 0,
                status: fault.abort_status,
                reason,
            };
            return Err(self.settle_breaker(now, upstream_index, admission, now, response, out));
        }
        let routes = &self.upstreams[usize::from(upstream_index)].routes;
        let Ok(subset) = routes.choose(&context, &mut self.rng) else {
            // No route matches: Envoy answers 404 itself (`NR`).
            let response = Response {
                call: 0,
                status: 404,
                reason: Reason {
                    kind: ReasonKind::NoRoute,
                    group: Some(callee),
                },
            };
            return Err(self.settle_breaker(now, upstream_index, admission, now, response, out));
        };
        let key = self.calls.insert(Call {
            owner,
            upstream: upstream_index,
            endpoint,
            context,
            started_at: now,
            retries: 0,
            holds_retry: false,
            tried: Vec::new(),
            subset,
            phase: Phase::Pending,
            admission,
        });
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        if let Some(timeout_ns) = upstream.config.timeout_ns {
            let id = timer(TimerKind::CallTimeout, u64::from(upstream_index));
            upstream
                .route_deadlines
                .push(now + timeout_ns, key, id, out);
        }
        if let Some(breaker) = &upstream.config.breaker {
            let id = timer(TimerKind::BreakerTimeout, u64::from(upstream_index));
            upstream
                .breaker_deadlines
                .push(now + breaker.timeout_ns, key, id, out);
        }
        if let Some(fault) = upstream.config.fault
            && self.rng.chance(fault.delay_probability)
        {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::FaultDelayed,
            });
            self.calls.get_mut(key).expect("just inserted").phase = Phase::Delayed;
            out.set_timer(now + fault.delay_ns, timer(TimerKind::FaultDelay, key.0));
            return Ok(key);
        }
        self.start_attempt(now, key, out);
        Ok(key)
    }

    /// The circuit breaker's verdict on a new call; `Err` is the answer to an open breaker.
    fn admit(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        out: &mut Outbox<Message>,
    ) -> Result<Option<Admission>, Response> {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let Some(breaker) = &mut upstream.breaker else {
            return Ok(None);
        };
        let admission = breaker.admit(now);
        self.breaker_moved(now, upstream_index, out);
        if admission == Admission::Rejected {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::CircuitRejected,
            });
            let upstream = &self.upstreams[usize::from(upstream_index)];
            let fallback = upstream
                .config
                .breaker
                .as_ref()
                .and_then(|b| b.fallback_status);
            return Err(fallback_or(
                callee,
                fallback,
                503,
                ReasonKind::CircuitOpen,
                out,
            ));
        }
        Ok(Some(admission))
    }

    /// Sends the next attempt of call `key`, or queues it for a connection, or fails it.
    fn start_attempt(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let call = self.calls.get(key).expect("attempting a live call");
        let upstream_index = call.upstream;
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        if !upstream.has_live(call.subset.as_ref()) {
            let reason = Reason {
                kind: ReasonKind::NoHealthyUpstream,
                group: Some(callee),
            };
            self.finish(now, key, 503, reason, out);
            return;
        }
        if upstream.in_flight >= upstream.config.pool.max_in_flight {
            if upstream.pending_count >= upstream.config.pool.max_pending {
                out.record(Record::Mesh {
                    callee,
                    event: MeshEvent::Overflow,
                });
                let reason = Reason {
                    kind: ReasonKind::Overflow,
                    group: Some(callee),
                };
                self.finish(now, key, 503, reason, out);
                return;
            }
            upstream.pending.push_back(key);
            upstream.pending_count += 1;
            out.record(Record::GroupGauge {
                group: callee,
                gauge: GroupGauge::Pending,
                delta: 1,
            });
            self.calls.get_mut(key).expect("live").phase = Phase::Pending;
            return;
        }
        self.send_attempt(now, key, out);
    }

    /// Puts an attempt of call `key` on the wire; a connection is free.
    fn send_attempt(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let call = self.calls.get_mut(key).expect("sending for a live call");
        let upstream_index = call.upstream;
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let Some(instance) = upstream.pick(now, &call.tried, call.subset.as_ref(), &mut self.rng)
        else {
            let reason = Reason {
                kind: ReasonKind::NoHealthyUpstream,
                group: Some(upstream.config.group),
            };
            self.finish(now, key, 503, reason, out);
            return;
        };
        let retry = call.retries > 0;
        call.tried.push(instance);
        upstream.active[instance as usize] += 1;
        upstream.in_flight += 1;
        let callee = upstream.config.group;
        let attempt = self.attempts.insert(Attempt {
            call: key,
            instance,
            started_at: now,
        });
        call.phase = Phase::InFlight(attempt);
        let request = Request {
            call: attempt.0,
            endpoint: call.endpoint,
            context: call.context,
            caller: self.own_group.0,
        };
        out.send(
            upstream.config.instances[instance as usize],
            Message::Request(request),
        );
        out.record(Record::Attempt {
            caller: self.own_group,
            callee,
            retry,
        });
        if retry {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::Retry,
            });
        }
        if let Some(per_try_ns) = upstream
            .config
            .retries
            .as_ref()
            .and_then(|r| r.per_try_timeout_ns)
        {
            let id = timer(TimerKind::TryTimeout, u64::from(upstream_index));
            upstream
                .try_deadlines
                .push(now + per_try_ns, attempt, id, out);
        }
    }

    /// An attempt is over: frees its connection, feeds outlier detection and the balancer, then
    /// retries or finishes the call.
    fn end_attempt(
        &mut self,
        now: SimTime,
        attempt_key: SlabKey,
        result: TryResult,
        out: &mut Outbox<Message>,
    ) {
        let Some(attempt) = self.attempts.remove(attempt_key) else {
            return;
        };
        let upstream_index = self
            .calls
            .get(attempt.call)
            .expect("an attempt's call outlives it")
            .upstream;
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        upstream.observe(now, attempt.instance, now - attempt.started_at);
        let outcome = match result {
            TryResult::Answered(response) if (502..=504).contains(&response.status) => {
                AttemptOutcome::GatewayFailure
            }
            TryResult::Answered(response) if response.status >= 500 => AttemptOutcome::ServerError,
            TryResult::Answered(_) => AttemptOutcome::Success,
            TryResult::Refused | TryResult::TimedOut => AttemptOutcome::LocalOriginFailure,
        };
        self.record_outlier(now, upstream_index, attempt.instance, outcome, out);
        let response = match result {
            TryResult::Answered(response) => response,
            TryResult::Refused => {
                let reason = Reason {
                    kind: ReasonKind::Refused,
                    group: Some(callee),
                };
                Response {
                    call: 0,
                    status: 503,
                    reason,
                }
            }
            TryResult::TimedOut => {
                let reason = Reason {
                    kind: ReasonKind::RouteTimeout,
                    group: Some(callee),
                };
                Response {
                    call: 0,
                    status: 504,
                    reason,
                }
            }
        };
        let call = self.calls.get(attempt.call).expect("live call");
        let peer =
            self.upstreams[usize::from(upstream_index)].config.instances[attempt.instance as usize];
        self.span(
            call,
            SpanKind::Attempt,
            (attempt.started_at, now),
            Some(peer),
            response.status,
            out,
        );
        let call = self.calls.get_mut(attempt.call).expect("live call");
        call.phase = Phase::BackingOff;
        if std::mem::take(&mut call.holds_retry) {
            self.upstreams[usize::from(upstream_index)].active_retries -= 1;
        }
        if self.should_retry(now, upstream_index, attempt.call, result, out) {
            self.upstreams[usize::from(upstream_index)].active_retries += 1;
            let call = self.calls.get_mut(attempt.call).expect("live call");
            call.holds_retry = true;
            call.retries += 1;
            let retries = call.retries;
            let upstream = &self.upstreams[usize::from(upstream_index)];
            let policy = upstream
                .config
                .retries
                .as_ref()
                .expect("retrying needs a policy");
            let wait_ns = backoff_ns(
                retries,
                policy.backoff_base_ns,
                policy.backoff_max_ns,
                &mut self.rng,
            );
            out.set_timer(now + wait_ns, timer(TimerKind::Backoff, attempt.call.0));
        } else {
            self.finish(now, attempt.call, response.status, response.reason, out);
        }
        self.release_connection(now, upstream_index, &attempt, out);
    }

    /// Frees an attempt's connection and hands it to the oldest call still waiting for one.
    fn release_connection(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        attempt: &Attempt,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let active = &mut upstream.active[attempt.instance as usize];
        assert!(
            *active > 0 && upstream.in_flight > 0,
            "an ended attempt was counted as active"
        );
        *active -= 1;
        upstream.in_flight -= 1;
        let callee = upstream.config.group;
        while let Some(waiting) = upstream.pending.pop_front() {
            if !self
                .calls
                .get(waiting)
                .is_some_and(|call| call.phase == Phase::Pending)
            {
                // A call that timed out while it waited: its count was dropped then.
                continue;
            }
            upstream.pending_count -= 1;
            out.record(Record::GroupGauge {
                group: callee,
                gauge: GroupGauge::Pending,
                delta: -1,
            });
            self.send_attempt(now, waiting, out);
            return;
        }
    }

    fn record_outlier(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        instance: u32,
        outcome: AttemptOutcome,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let Some(outlier) = &mut upstream.outlier else {
            return;
        };
        if let Some(ejection) = outlier.record(now, instance as usize, outcome) {
            let callee = upstream.config.group;
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::Ejected,
            });
            out.record(Record::GroupGauge {
                group: callee,
                gauge: GroupGauge::Ejected,
                delta: 1,
            });
            out.record(Record::Event {
                kind: "ejection",
                subject: format!("{}/{instance}", upstream.config.name),
                detail: format!(
                    "by {}: {}, out for {} ms",
                    self.own_name,
                    ejection_reason(ejection.reason),
                    ejection.duration_ns / 1_000_000
                ),
            });
        }
    }

    /// Whether a failed attempt is retried: the policy covers it, retries are left, and the
    /// budget (or Envoy's cap of concurrent retries) allows one more.
    fn should_retry(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        call_key: SlabKey,
        result: TryResult,
        out: &mut Outbox<Message>,
    ) -> bool {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let Some(policy) = &upstream.config.retries else {
            return false;
        };
        let call = self.calls.get(call_key).expect("live call");
        if call.retries >= policy.attempts || !retriable(policy.retry_on, result) {
            return false;
        }
        // The attempt that just failed still holds its connection here; it is not active any
        // more, so it is taken out of the count the budget sees.
        let in_flight = upstream.in_flight.saturating_sub(1);
        let active_retries = upstream.active_retries;
        let allowed = match &policy.budget {
            Some(budget) => budget.allows(in_flight, upstream.pending_count, active_retries),
            None => active_retries < upstream.config.max_concurrent_retries,
        };
        let limit = match &policy.budget {
            Some(budget) => format!(
                "the retry budget ({} %, at least {})",
                budget.percent, budget.min_retry_concurrency
            ),
            None => format!(
                "the cap of {} retries at once",
                upstream.config.max_concurrent_retries
            ),
        };
        let callee = upstream.config.group;
        if !allowed {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::BudgetExhausted,
            });
            if let Some(episode) = &mut upstream.denials {
                episode.last = now;
                episode.count += 1;
            } else {
                upstream.denials = Some(Episode {
                    since: now,
                    last: now,
                    count: 1,
                });
                out.record(Record::Event {
                    kind: "retry_budget",
                    subject: upstream.config.name.to_string(),
                    detail: format!("by {}: retries denied by {limit}", self.own_name),
                });
            }
        } else if let Some(episode) = upstream.denials
            && now - episode.last >= EPISODE_QUIET_NS
        {
            upstream.denials = None;
            out.record(Record::Event {
                kind: "retry_budget",
                subject: upstream.config.name.to_string(),
                detail: format!(
                    "by {}: retries allowed again; {} denied in {:.3} s",
                    self.own_name,
                    episode.count,
                    (episode.last - episode.since) as f64 / 1e9
                ),
            });
        }
        allowed
    }

    /// Ends call `key` with an answer: releases what it holds, settles the breaker (whose
    /// fallback may answer instead) and queues the completion for the owner.
    fn finish(
        &mut self,
        now: SimTime,
        key: SlabKey,
        status: u16,
        reason: Reason,
        out: &mut Outbox<Message>,
    ) {
        let call = self.discard(now, key, out);
        let response = Response {
            call: key.0,
            status,
            reason,
        };
        let response = self.settle_breaker(
            now,
            call.upstream,
            call.admission,
            call.started_at,
            response,
            out,
        );
        self.span(
            &call,
            SpanKind::Call,
            (call.started_at, now),
            None,
            response.status,
            out,
        );
        self.completed.push_back(Completion {
            owner: call.owner,
            response,
        });
    }

    /// Removes call `key` and gives back what it holds: its connection, its place in the queue.
    fn discard(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) -> Call {
        let call = self.calls.remove(key).expect("discarding a live call");
        if call.holds_retry {
            self.upstreams[usize::from(call.upstream)].active_retries -= 1;
        }
        match call.phase {
            Phase::InFlight(attempt_key) => {
                // Given up while an attempt is out (a timeout): its connection is reset.
                if let Some(attempt) = self.attempts.remove(attempt_key) {
                    let peer = self.upstreams[usize::from(call.upstream)].config.instances
                        [attempt.instance as usize];
                    self.span(
                        &call,
                        SpanKind::Attempt,
                        (attempt.started_at, now),
                        Some(peer),
                        0,
                        out,
                    );
                    self.release_connection(now, call.upstream, &attempt, out);
                }
            }
            Phase::Pending => {
                let upstream = &mut self.upstreams[usize::from(call.upstream)];
                if upstream.pending.contains(&key) {
                    upstream.pending_count -= 1;
                    let group = upstream.config.group;
                    out.record(Record::GroupGauge {
                        group,
                        gauge: GroupGauge::Pending,
                        delta: -1,
                    });
                }
            }
            Phase::Delayed | Phase::BackingOff => {}
        }
        call
    }

    fn settle_breaker(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        admission: Option<Admission>,
        started_at: SimTime,
        response: Response,
        out: &mut Outbox<Message>,
    ) -> Response {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let (Some(admission), Some(breaker)) = (admission, &mut upstream.breaker) else {
            return response;
        };
        let success = response.is_success();
        breaker.record(now, admission, success, now - started_at);
        self.breaker_moved(now, upstream_index, out);
        if success {
            return response;
        }
        let upstream = &self.upstreams[usize::from(upstream_index)];
        match upstream
            .config
            .breaker
            .as_ref()
            .and_then(|b| b.fallback_status)
        {
            Some(status) => {
                let answer = fallback_or(callee, Some(status), status, ReasonKind::Fallback, out);
                Response {
                    call: response.call,
                    ..answer
                }
            }
            None => response,
        }
    }

    /// Logs and gauges a breaker's change of state since it was last looked at.
    fn breaker_moved(&mut self, now: SimTime, upstream_index: u16, out: &mut Outbox<Message>) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let Some(breaker) = &mut upstream.breaker else {
            return;
        };
        let (before, after) = (upstream.breaker_seen, breaker.state(now));
        if before == after {
            return;
        }
        upstream.breaker_seen = after;
        let callee = upstream.config.group;
        if after == BreakerState::Open {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::CircuitOpened,
            });
            let reset_ns = breaker.config().reset_timeout_ns;
            out.set_timer(
                now + reset_ns,
                timer(TimerKind::BreakerReset, u64::from(upstream_index)),
            );
        }
        if let Some(gauge) = breaker_gauge(before) {
            out.record(Record::GroupGauge {
                group: callee,
                gauge,
                delta: -1,
            });
        }
        if let Some(gauge) = breaker_gauge(after) {
            out.record(Record::GroupGauge {
                group: callee,
                gauge,
                delta: 1,
            });
        }
        out.record(Record::Event {
            kind: "circuit",
            subject: upstream.config.name.to_string(),
            detail: format!(
                "breaker in {}: {} -> {}",
                self.own_name,
                state_name(before),
                state_name(after)
            ),
        });
    }

    /// Outlier detection runs on an interval per upstream, armed at the first call.
    fn arm_outlier_interval(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        if upstream.outlier_armed {
            return;
        }
        if let Some(config) = &upstream.config.outlier {
            upstream.outlier_armed = true;
            out.set_timer(
                now + config.interval_ns,
                timer(TimerKind::OutlierInterval, u64::from(upstream_index)),
            );
        }
    }

    fn outlier_interval(&mut self, now: SimTime, upstream_index: u16, out: &mut Outbox<Message>) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let Some(outlier) = &mut upstream.outlier else {
            return;
        };
        for change in outlier.on_interval(now) {
            let delta = if change.ejected { 1 } else { -1 };
            out.record(Record::GroupGauge {
                group: callee,
                gauge: GroupGauge::Ejected,
                delta,
            });
            if change.ejected {
                out.record(Record::Mesh {
                    callee,
                    event: MeshEvent::Ejected,
                });
            }
            let detail = match change.ejection {
                Some(ejection) => format!(
                    "by {}: {}, out for {} ms",
                    self.own_name,
                    ejection_reason(ejection.reason),
                    ejection.duration_ns / 1_000_000
                ),
                None => format!("by {}", self.own_name),
            };
            out.record(Record::Event {
                kind: if change.ejected { "ejection" } else { "return" },
                subject: format!("{}/{}", upstream.config.name, change.host),
                detail,
            });
        }
        let interval_ns = upstream
            .config
            .outlier
            .as_ref()
            .expect("detector has a config")
            .interval_ns;
        out.set_timer(
            now + interval_ns,
            timer(TimerKind::OutlierInterval, u64::from(upstream_index)),
        );
    }

    /// An answer arrived.
    pub fn on_response(&mut self, now: SimTime, response: &Response, out: &mut Outbox<Message>) {
        self.end_attempt(
            now,
            SlabKey(response.call),
            TryResult::Answered(*response),
            out,
        );
    }

    /// A request this sidecar sent was refused: the instance's process is gone.
    pub fn on_refused(&mut self, now: SimTime, request: &Request, out: &mut Outbox<Message>) {
        self.end_attempt(now, SlabKey(request.call), TryResult::Refused, out);
    }

    /// One of the sidecar's timers fired; returns false when the timer is not the sidecar's.
    pub fn on_timer(
        &mut self,
        now: SimTime,
        kind: TimerKind,
        payload: u64,
        out: &mut Outbox<Message>,
    ) -> bool {
        match kind {
            TimerKind::CallTimeout | TimerKind::BreakerTimeout => {
                let index = u16::try_from(payload).expect("upstream index");
                let calls = &self.calls;
                let upstream = &mut self.upstreams[usize::from(index)];
                let callee = upstream.config.group;
                let id = timer(kind, payload);
                let (deadlines, reason_kind) = if kind == TimerKind::CallTimeout {
                    (&mut upstream.route_deadlines, ReasonKind::RouteTimeout)
                } else {
                    (&mut upstream.breaker_deadlines, ReasonKind::BreakerTimeout)
                };
                for key in deadlines.expire(now, |key| calls.get(key).is_some(), id, out) {
                    // Envoy tells outlier detection of a try the route timeout cut off (a
                    // local-origin timeout); the application's breaker timeout is invisible
                    // to the sidecar, which only sees the request cancelled.
                    if kind == TimerKind::CallTimeout
                        && let Some(Phase::InFlight(attempt)) =
                            self.calls.get(key).map(|call| call.phase)
                        && let Some(instance) =
                            self.attempts.get(attempt).map(|attempt| attempt.instance)
                    {
                        self.record_outlier(
                            now,
                            index,
                            instance,
                            AttemptOutcome::LocalOriginFailure,
                            out,
                        );
                    }
                    self.finish(
                        now,
                        key,
                        504,
                        Reason {
                            kind: reason_kind,
                            group: Some(callee),
                        },
                        out,
                    );
                }
            }
            TimerKind::TryTimeout => {
                let index = u16::try_from(payload).expect("upstream index");
                let attempts = &self.attempts;
                let id = timer(kind, payload);
                let upstream = &mut self.upstreams[usize::from(index)];
                for key in
                    upstream
                        .try_deadlines
                        .expire(now, |key| attempts.get(key).is_some(), id, out)
                {
                    self.end_attempt(now, key, TryResult::TimedOut, out);
                }
            }
            TimerKind::Backoff => {
                let key = SlabKey(payload);
                if self
                    .calls
                    .get(key)
                    .is_some_and(|call| call.phase == Phase::BackingOff)
                {
                    self.start_attempt(now, key, out);
                }
            }
            TimerKind::FaultDelay => {
                let key = SlabKey(payload);
                if self
                    .calls
                    .get(key)
                    .is_some_and(|call| call.phase == Phase::Delayed)
                {
                    self.start_attempt(now, key, out);
                }
            }
            TimerKind::BreakerReset => {
                self.breaker_moved(now, u16::try_from(payload).expect("upstream index"), out);
            }
            TimerKind::OutlierInterval => {
                self.outlier_interval(now, u16::try_from(payload).expect("upstream index"), out);
            }
            TimerKind::Work
            | TimerKind::Arrival
            | TimerKind::ClientTimeout
            | TimerKind::Think
            | TimerKind::BrokerAck
            | TimerKind::StoreWork
            | TimerKind::SagaRetry
            | TimerKind::BrokerRedeliver
            | TimerKind::RolloutTick
            | TimerKind::RolloutScrape
            | TimerKind::RolloutReady
            | TimerKind::Startup => {
                return false;
            }
        }
        true
    }

    /// The caller gave up on call `key` (its own timeout): forget it, so a late answer is dropped.
    pub fn abandon(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        if self.calls.get(key).is_some() {
            let call = self.discard(now, key, out);
            self.span(&call, SpanKind::Call, (call.started_at, now), None, 0, out);
        }
    }

    /// The control plane reports `node` up or down.
    /// A strangler migration's share of calls to a service goes to the new one instead: the
    /// upstream and endpoint a call really goes to. One draw per call that could move, and
    /// only while the share is neither 0 nor 100.
    fn redirect(&mut self, upstream_index: u16, endpoint: u32) -> (u16, u32) {
        let upstream = &self.upstreams[usize::from(upstream_index)];
        let percent = upstream.redirect_percent;
        let Some(redirect) = &upstream.config.redirect else {
            return (upstream_index, endpoint);
        };
        let Some(Some(to_endpoint)) = redirect.endpoints.get(endpoint as usize).copied() else {
            return (upstream_index, endpoint);
        };
        if percent <= 0.0 || (percent < 100.0 && self.rng.unit() * 100.0 >= percent) {
            return (upstream_index, endpoint);
        }
        match self.upstream_of(redirect.to) {
            Some(to_upstream) => (to_upstream, to_endpoint),
            None => (upstream_index, endpoint),
        }
    }

    /// This sidecar's upstream for `group`, if it calls that service.
    fn upstream_of(&self, group: GroupId) -> Option<u16> {
        self.upstreams
            .iter()
            .position(|upstream| upstream.config.group == group)
            .map(|index| index as u16)
    }

    /// The control plane changed the routes of a service this sidecar calls.
    pub fn on_routes(&mut self, update: &RouteUpdate) {
        let Some(index) = self.upstream_of(GroupId(update.service)) else {
            return;
        };
        let upstream = &mut self.upstreams[usize::from(index)];
        let from = update.from.0..update.from.1;
        let to = update.to.0..update.to.1;
        match update.change {
            RouteChange::Weight { percent } => upstream.routes.set_weight(&from, &to, percent),
            RouteChange::Revert => upstream.routes.shift_all(&to, &from),
            RouteChange::Promote => upstream.routes.shift_all(&from, &to),
            RouteChange::Redirect { percent } => upstream.redirect_percent = percent,
        }
    }

    /// Runs `change` on every upstream that has `node` among its instances, with its index.
    fn for_instance(&mut self, node: NodeId, mut change: impl FnMut(&mut Upstream, usize)) {
        for upstream in &mut self.upstreams {
            if let Some(index) = upstream
                .config
                .instances
                .iter()
                .position(|&instance| instance == node)
            {
                change(upstream, index);
            }
        }
    }

    /// An instance of a service this sidecar calls says it is ready, or no longer.
    pub fn on_ready(&mut self, node: NodeId, ready: bool) {
        self.for_instance(node, |upstream, index| upstream.set_ready(index, ready));
    }

    /// Whether upstream `index` has an instance to take a call.
    pub fn has_live(&self, index: u16) -> bool {
        self.upstreams[usize::from(index)].has_live(None)
    }

    /// The control plane added `node` to its service's endpoints, or took it away.
    pub fn on_endpoint(&mut self, node: NodeId, ready: bool) {
        self.for_instance(node, |upstream, index| upstream.set_deployed(index, ready));
    }

    pub fn on_membership(&mut self, node: NodeId, up: bool) {
        self.for_instance(node, |upstream, index| {
            upstream.set_up(index, up);
        });
    }

    /// The process crashed: every call in flight is forgotten and its gauges given back. The
    /// view of the upstreams is the control plane's, so it survives; detectors and breakers
    /// are the process's memory and start again.
    pub fn clear(&mut self, out: &mut Outbox<Message>) {
        self.calls.drain();
        self.attempts.drain();
        self.completed.clear();
        for upstream in &mut self.upstreams {
            let group = upstream.config.group;
            if upstream.pending_count > 0 {
                out.record(Record::GroupGauge {
                    group,
                    gauge: GroupGauge::Pending,
                    delta: -i64::from(upstream.pending_count),
                });
            }
            if let Some(outlier) = &upstream.outlier {
                let ejected = outlier.ejected_count() as i64;
                if ejected > 0 {
                    out.record(Record::GroupGauge {
                        group,
                        gauge: GroupGauge::Ejected,
                        delta: -ejected,
                    });
                }
            }
            if let Some(gauge) = breaker_gauge(upstream.breaker_seen) {
                out.record(Record::GroupGauge {
                    group,
                    gauge,
                    delta: -1,
                });
            }
            upstream.reset();
        }
    }
}

fn breaker_gauge(state: BreakerState) -> Option<GroupGauge> {
    match state {
        BreakerState::Open => Some(GroupGauge::BreakersOpen),
        BreakerState::HalfOpen => Some(GroupGauge::BreakersHalfOpen),
        BreakerState::Closed => None,
    }
}

/// The fallback's answer when there is one, else the failure itself.
fn fallback_or(
    callee: GroupId,
    fallback: Option<u16>,
    status: u16,
    kind: ReasonKind,
    out: &mut Outbox<Message>,
) -> Response {
    match fallback {
        Some(status) => {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::Fallback,
            });
            Response {
                call: 0,
                status,
                reason: Reason {
                    kind: ReasonKind::Fallback,
                    group: Some(callee),
                },
            }
        }
        None => Response {
            call: 0,
            status,
            reason: Reason {
                kind,
                group: Some(callee),
            },
        },
    }
}

/// Whether Envoy's `retry_on` covers a failed try.
fn retriable(on: RetryOn, result: TryResult) -> bool {
    match result {
        // A reset travels as a 503 answer: the connection closed before the response.
        TryResult::Answered(response) if response.reason.kind == ReasonKind::Reset => {
            on.reset || on.five_xx || on.gateway_error
        }
        TryResult::Answered(response) => {
            let status = response.status;
            (on.five_xx && status >= 500)
                || (on.gateway_error && (502..=504).contains(&status))
                || (on.unavailable && status == 503)
                || (on.retriable_4xx && status == 409)
        }
        TryResult::Refused => {
            on.connect_failure || on.five_xx || on.gateway_error || on.refused_stream
        }
        TryResult::TimedOut => on.five_xx || on.gateway_error || on.reset,
    }
}

fn ejection_reason(reason: EjectionReason) -> &'static str {
    match reason {
        EjectionReason::Consecutive5xx => "consecutive 5xx",
        EjectionReason::ConsecutiveGatewayFailure => "consecutive gateway failures",
        EjectionReason::SuccessRate => "success rate below the others'",
    }
}

fn state_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}
