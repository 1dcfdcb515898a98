//! The caller's sidecar: every outgoing call passes through it, as through Envoy or Linkerd's
//! proxy.
//!
//! A call goes, in order, through the application's circuit breaker (opossum: an open breaker
//! answers with the fallback at once), the route (which version, hence which cluster), fault
//! injection (Envoy's fault filter, before the router: a delay first, then an abort drawn on its
//! own), and then one or more tries. The route timeout starts when the call reaches the router,
//! after any injected delay, and covers every try and back-off. Each try picks an instance
//! (the cluster's balancer over its endpoints that outlier detection or failure accrual has not
//! taken out), gets a connection from the cluster's pool (waiting when the pool is at
//! `max_connections`, failing 503 when the pending queue or `max_requests` is full), and has a
//! per-try timeout from the moment it is on a connection. A failed try the retry policy covers
//! is retried after a back-off, if the retry limit allows. What the sidecar cannot reach it
//! answers itself: Envoy's 503 "no healthy upstream" and 503 on a refused or reset connection,
//! Linkerd's queue and failfast and 502, and 504 on a timeout.
//!
//! Finished calls queue up in the sidecar; the model that owns it takes them with
//! [`Sidecar::pop_completion`] after each input, so one input can finish many calls.
//!
//! The work is split by concern: [`call`](self) entry and end of a call here; `pool` the
//! connection pool; `retry` the retry decision; `health` outlier detection, failure accrual and
//! the failfast queue; `breaker` the application's circuit breaker.

mod breaker;
mod call;
mod completions;
mod health;
pub(crate) mod inbound;
mod pool;
mod retry;
mod spans;
#[cfg(test)]
mod tests;
mod timeouts;
mod timer;

use std::sync::Arc;

use meshsim_record::{
    CallEnd, GroupGauge, MeshEvent, Reason, ReasonKind, Record, RetryStop, SpanEvent, SpanEventKind,
};
use meshsim_sim::{GroupId, NodeId, SimRng, SimTime};
use smallvec::SmallVec;

pub(crate) use call::Completion;
use call::{Attempt, CALLS_AT_START, Call, Phase, TryResult};
use completions::Completions;
pub(crate) use timer::SidecarTimer;

use crate::message::{
    CallKey, Message, Request, RequestContext, Response, RouteChange, RouteUpdate,
};
use crate::outbox::Outbox;
use crate::slab::{Slab, SlabKey};
use crate::timer::TimerCode;
use crate::upstream::{Upstream, UpstreamIndex};
use crate::upstream_config::UpstreamConfig;

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
    completed: Completions,
    rng: SimRng,
    /// Sampled calls answered before they existed (an open breaker, no route): their spans'
    /// ids count them.
    refused_spans: u64,
}

impl Sidecar {
    pub fn new(
        own_node: NodeId,
        own_group: GroupId,
        own_name: &str,
        upstreams: Vec<Arc<UpstreamConfig>>,
        mut rng: SimRng,
    ) -> Self {
        assert!(
            u16::try_from(upstreams.len()).is_ok(),
            "too many upstreams for one sidecar"
        );
        // A sidecar that calls nothing (a leaf service's) never holds a call.
        let calls_capacity = usize::from(!upstreams.is_empty()) * CALLS_AT_START;
        Sidecar {
            own_node,
            own_group,
            own_name: own_name.to_owned(),
            upstreams: upstreams
                .into_iter()
                .map(|config| Upstream::new(config, &mut rng))
                .collect(),
            calls: Slab::with_capacity(calls_capacity),
            attempts: Slab::with_capacity(calls_capacity),
            completed: Completions::default(),
            rng,
            refused_spans: 0,
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

    /// Calls in progress.
    pub fn pending(&self) -> usize {
        self.calls.len()
    }

    /// The next finished call, if any.
    pub fn pop_completion(&mut self) -> Option<Completion> {
        self.completed.pop_front()
    }

    /// Whether upstream `index` has an instance to take a call.
    pub fn has_live(&self, index: u16) -> bool {
        self.upstreams[usize::from(index)].has_live(None)
    }

    /// Starts a call to `upstream`'s `endpoint` on behalf of `owner`. Returns the call's key; its
    /// answer comes later through [`Sidecar::pop_completion`], possibly right after this returns.
    /// An `Err` is an answer the sidecar gives before a call exists: an open breaker, no route.
    pub fn call(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        endpoint: u32,
        context: RequestContext,
        owner: SlabKey,
        out: &mut Outbox<Message>,
    ) -> Result<SlabKey, Response> {
        let (upstream_index, endpoint) = self.redirect(upstream_index, endpoint);
        let callee = self.upstreams[usize::from(upstream_index)].config.group;
        out.record(Record::Call {
            caller: self.own_group,
            callee,
        });
        let target = (upstream_index, endpoint);
        let admission = match self.admit(now, upstream_index, out) {
            Ok(admission) => admission,
            Err(response) => {
                let refusal = (&response, Some(SpanEventKind::BreakerOpen));
                self.refused_span(now, target, (&context, owner), refusal, out);
                return Err(response);
            }
        };
        let Ok((policy, subset)) = self.choose_route(upstream_index, endpoint, &context) else {
            // No route matches: Envoy answers 404 itself (`NR`).
            if self.upstreams[usize::from(upstream_index)]
                .config
                .report_call_ends
            {
                out.record(Record::CallEnded(CallEnd {
                    caller: self.own_node,
                    callee,
                    peer: None,
                    duration_ns: 0,
                    status: 404,
                    reason: ReasonKind::NoRoute,
                    retry_stop: RetryStop::None,
                    delayed: false,
                }));
            }
            let response = answer(404, ReasonKind::NoRoute, callee);
            let response = self.settle_breaker(now, upstream_index, admission, now, response, out);
            self.refused_span(now, target, (&context, owner), (&response, None), out);
            return Err(response);
        };
        let cluster = self.upstreams[usize::from(upstream_index)]
            .config
            .cluster_of(subset.as_ref());
        self.arm_outlier_interval(now, upstream_index, cluster, out);
        let key = self.calls.insert(Call {
            owner,
            upstream: upstream_index,
            cluster: cluster as u16,
            endpoint,
            policy,
            context,
            started_at: now,
            retries: 0,
            holds_retry: false,
            tried: SmallVec::new(),
            phase: Phase::Delayed,
            admission,
            events: Vec::new(),
            delayed: false,
            retry_stop: RetryStop::None,
        });
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        if let Some(breaker) = &upstream.config.breaker {
            // The application's own timeout starts when it calls, before anything the sidecar
            // does (an injected delay included).
            let id = SidecarTimer::BreakerTimeout(UpstreamIndex(upstream_index)).encode();
            upstream
                .breaker_deadlines
                .push(now + breaker.timeout_ns, key, id, out);
        }
        if let Some(fault) = upstream.config.fault(policy)
            && self.rng.chance(fault.delay_probability)
        {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::FaultDelayed,
            });
            self.note(key, SpanEvent::at(now, SpanEventKind::FaultDelay));
            self.calls.get_mut(key).expect("just inserted").delayed = true;
            out.set_timer(now + fault.delay_ns, SidecarTimer::FaultDelay(key).encode());
            return Ok(key);
        }
        self.after_fault(now, key, out);
        Ok(key)
    }

    /// The policy and version of a call to `endpoint`, by the upstream's routes; Linkerd passes
    /// over a version whose balancer is failing fast.
    fn choose_route(
        &mut self,
        upstream_index: u16,
        endpoint: u32,
        context: &RequestContext,
    ) -> Result<(u16, Option<std::ops::Range<u32>>), ()> {
        let upstream = &self.upstreams[usize::from(upstream_index)];
        if !matches!(
            upstream.config.no_instance,
            crate::upstream_config::NoInstance::Queue { .. }
        ) {
            return upstream.routes.choose(context, endpoint, &mut self.rng);
        }
        let config = &upstream.config;
        let clusters = &upstream.clusters;
        upstream
            .routes
            .choose_ready(context, endpoint, &mut self.rng, |range| {
                clusters[config.cluster_of(Some(range))].failfast
                    != crate::cluster::FailFast::Failing
            })
    }

    /// The call has passed the fault filter's delay (or had none): the abort is drawn now, on
    /// its own, and then the router takes it, starting the route timeout (Envoy's
    /// `postDelayInjection`, then the router's `onRequestComplete`).
    fn after_fault(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let call = self.calls.get(key).expect("a live call");
        let (upstream_index, policy) = (call.upstream, call.policy);
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        if let Some(fault) = upstream.config.fault(policy)
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
            self.finish(now, key, fault.abort_status, reason, out);
            return;
        }
        if let Some(timeout_ns) = upstream.config.timeout_ns(policy) {
            let id = SidecarTimer::CallTimeout(UpstreamIndex(upstream_index), policy).encode();
            upstream.route_deadlines[usize::from(policy)].push(now + timeout_ns, key, id, out);
        }
        self.start_attempt(now, key, out);
    }

    /// Sends the next try of call `key`: picks an instance of its cluster and asks the pool for
    /// a connection to it; without an instance, what the proxy does then.
    fn start_attempt(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        if !self.route_retry(now, key, out) {
            return;
        }
        let call = self.calls.get(key).expect("attempting a live call");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let reselections = upstream
            .config
            .retries(call.policy)
            .and_then(|retries| retries.host_reselections);
        match upstream.pick(now, cluster, &call.tried, reselections, &mut self.rng) {
            Some(instance) => self.connect(now, key, instance, out),
            None => self.no_instance(now, key, out),
        }
    }

    /// Linkerd draws a retry's version again, as its retries sit above its backend distribution;
    /// the retry's place in the old cluster's count moves with it. False when the call ended
    /// (no route matches any more).
    fn route_retry(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) -> bool {
        let call = self.calls.get(key).expect("a live call");
        let upstream_index = call.upstream;
        let upstream = &self.upstreams[usize::from(upstream_index)];
        if call.retries == 0 || !upstream.config.route_each_try {
            return true;
        }
        let (context, endpoint) = (call.context, call.endpoint);
        let callee = upstream.config.group;
        let Ok((_, subset)) = self.choose_route(upstream_index, endpoint, &context) else {
            let reason = Reason {
                kind: ReasonKind::NoRoute,
                group: Some(callee),
            };
            self.finish(now, key, 404, reason, out);
            return false;
        };
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let cluster = upstream.config.cluster_of(subset.as_ref());
        let call = self.calls.get_mut(key).expect("a live call");
        let before = usize::from(call.cluster);
        if call.holds_retry && before != cluster {
            upstream.clusters[before].active_retries -= 1;
            upstream.clusters[cluster].active_retries += 1;
        }
        call.cluster = cluster as u16;
        true
    }

    /// Puts a try of call `key` on the wire to `instance`, on a connection the pool gave it.
    fn send_attempt(
        &mut self,
        now: SimTime,
        key: SlabKey,
        instance: u32,
        out: &mut Outbox<Message>,
    ) {
        let call = self.calls.get_mut(key).expect("sending for a live call");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let retry = call.retries > 0;
        call.tried.push(instance);
        upstream.active[instance as usize] += 1;
        let cluster_state = &mut upstream.clusters[cluster];
        cluster_state.in_flight += 1;
        if let Some(accrual) = &mut cluster_state.accrual {
            accrual.on_dispatch(instance as usize);
        }
        let callee = upstream.config.group;
        let attempt = self.attempts.insert(Attempt {
            call: key,
            instance,
            started_at: now,
        });
        call.phase = Phase::InFlight(attempt);
        let request = Request {
            call: CallKey::from(attempt),
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
        if let Some(policy) = upstream.config.retries(call.policy)
            && let Some(per_try_ns) = policy.per_try_timeout_ns
            && !(policy.last_try_untimed && call.retries >= policy.attempts)
        {
            let id = SidecarTimer::TryTimeout(UpstreamIndex(upstream_index), call.policy).encode();
            upstream.try_deadlines[usize::from(call.policy)].push(
                now + per_try_ns,
                attempt,
                id,
                out,
            );
        }
    }

    /// A try is over: frees its connection, feeds the balancer and the health checks, then
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
        let call = self
            .calls
            .get(attempt.call)
            .expect("an attempt's call outlives it");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        upstream.observe(now, cluster, attempt.instance, now - attempt.started_at);
        let response = self.try_response(upstream_index, result);
        self.record_health(now, upstream_index, cluster, attempt.instance, result, out);
        let call = self.calls.get(attempt.call).expect("live call");
        let peer =
            self.upstreams[usize::from(upstream_index)].config.instances[attempt.instance as usize];
        self.span(
            (attempt.call, call),
            Some((attempt_key, peer)),
            (attempt.started_at, now),
            response.status,
            out,
        );
        if matches!(result, TryResult::TimedOut) {
            self.note(attempt.call, SpanEvent::at(now, SpanEventKind::Timeout));
        }
        let call = self.calls.get_mut(attempt.call).expect("live call");
        call.phase = Phase::BackingOff;
        if std::mem::take(&mut call.holds_retry) {
            self.upstreams[usize::from(upstream_index)].clusters[cluster].active_retries -= 1;
        }
        if self.should_retry(now, attempt.call, result, out) {
            self.schedule_retry(now, attempt.call, out);
            let retries = self.calls.get(attempt.call).map_or(0, |call| call.retries);
            let status = if matches!(result, TryResult::Answered(_)) {
                response.status
            } else {
                0
            };
            let retry = SpanEvent {
                number: retries,
                status,
                ..SpanEvent::at(now, SpanEventKind::Retry)
            };
            self.note(attempt.call, retry);
        } else {
            self.finish(now, attempt.call, response.status, response.reason, out);
        }
        self.release_connection(now, upstream_index, cluster, attempt.instance, out);
    }

    /// What a try's result says to the caller if it is the last: the answer, or the proxy's own.
    fn try_response(&self, upstream_index: u16, result: TryResult) -> Response {
        let config = &self.upstreams[usize::from(upstream_index)].config;
        let callee = config.group;
        match result {
            TryResult::Answered(response) => response,
            TryResult::Refused => {
                answer(config.connection_error_status, ReasonKind::Refused, callee)
            }
            TryResult::Reset => answer(config.connection_error_status, ReasonKind::Reset, callee),
            TryResult::TimedOut => answer(504, ReasonKind::RouteTimeout, callee),
            TryResult::FailFast => answer(504, ReasonKind::FailFast, callee),
        }
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
        let mut call = self.discard(now, key, out);
        if call.context.sampled
            && let Some(kind) = spans::ended_by(reason.kind)
        {
            call.events.push(SpanEvent::at(now, kind));
        }
        self.record_end(now, &call, status, reason.kind, out);
        let response = Response::new(CallKey::from(key), status, reason);
        let response = self.settle_breaker(
            now,
            call.upstream,
            call.admission,
            call.started_at,
            response,
            out,
        );
        self.span(
            (key, &call),
            None,
            (call.started_at, now),
            response.status,
            out,
        );
        self.completed.push_back(Completion {
            owner: call.owner,
            response,
        });
    }

    /// Reports the call's end as the proxy saw it, before any application fallback, for the
    /// mesh's telemetry.
    fn record_end(
        &self,
        now: SimTime,
        call: &Call,
        status: u16,
        reason: ReasonKind,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &self.upstreams[usize::from(call.upstream)];
        if !upstream.config.report_call_ends {
            return;
        }
        out.record(Record::CallEnded(CallEnd {
            caller: self.own_node,
            callee: upstream.config.group,
            peer: (call.tried.last()).map(|&instance| upstream.config.instances[instance as usize]),
            duration_ns: now - call.started_at,
            status,
            reason,
            retry_stop: call.retry_stop,
            delayed: call.delayed,
        }));
    }

    /// Removes call `key` and gives back what it holds: its connection, its place in a queue,
    /// its retry place.
    fn discard(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) -> Call {
        let call = self.calls.remove(key).expect("discarding a live call");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let group = upstream.config.group;
        let cluster_state = &mut upstream.clusters[cluster];
        if call.holds_retry {
            cluster_state.active_retries -= 1;
        }
        match call.phase {
            Phase::InFlight(attempt_key) => {
                // Given up while a try is out (a timeout): its connection is reset.
                if let Some(attempt) = self.attempts.remove(attempt_key) {
                    let peer = upstream.config.instances[attempt.instance as usize];
                    self.span(
                        (key, &call),
                        Some((attempt_key, peer)),
                        (attempt.started_at, now),
                        0,
                        out,
                    );
                    self.release_connection(now, upstream_index, cluster, attempt.instance, out);
                }
            }
            Phase::Pending(_) => {
                // Its key stays in the host's queue, skipped when it comes up.
                cluster_state.pending_count -= 1;
                pending_gauge(group, -1, out);
            }
            Phase::Queued => {
                cluster_state.queued -= 1;
                pending_gauge(group, -1, out);
            }
            Phase::Delayed | Phase::BackingOff | Phase::Between => {}
        }
        call
    }

    /// An answer arrived.
    pub fn on_response(&mut self, now: SimTime, response: &Response, out: &mut Outbox<Message>) {
        // A reset travels as an answer: the connection closed before the response.
        let result = if response.reason.kind == ReasonKind::Reset {
            TryResult::Reset
        } else {
            TryResult::Answered(*response)
        };
        self.end_attempt(now, response.call.slab_key(), result, out);
    }

    /// A request this sidecar sent was refused: the instance's process is gone.
    pub fn on_refused(&mut self, now: SimTime, request: &Request, out: &mut Outbox<Message>) {
        self.end_attempt(now, request.call.slab_key(), TryResult::Refused, out);
    }

    /// One of the sidecar's timers fired.
    pub(crate) fn on_timer(
        &mut self,
        now: SimTime,
        timer: SidecarTimer,
        out: &mut Outbox<Message>,
    ) {
        match timer {
            SidecarTimer::CallTimeout(index, policy) => {
                self.on_route_deadline(now, (index, policy), out);
            }
            SidecarTimer::BreakerTimeout(index) => self.on_breaker_deadline(now, index, out),
            SidecarTimer::TryTimeout(index, policy) => {
                self.on_try_deadline(now, (index, policy), out);
            }
            SidecarTimer::Backoff(key) => self.resume(now, key, Phase::BackingOff, out),
            SidecarTimer::FaultDelay(key) => self.resume(now, key, Phase::Delayed, out),
            SidecarTimer::BreakerReset(index) => self.breaker_moved(now, index.0, out),
            SidecarTimer::OutlierInterval(index, cluster) => {
                self.outlier_interval(now, (index, cluster), out);
            }
            SidecarTimer::AccrualPenalty(index, cluster, host) => {
                self.accrual_penalty_over(now, (index, cluster, host), out);
            }
            SidecarTimer::FailFast(index, cluster) => {
                self.failfast_timeout(now, (index, cluster), out);
            }
        }
    }

    /// A back-off or an injected delay ran out for call `key`, if it still waits on it.
    fn resume(&mut self, now: SimTime, key: SlabKey, waiting: Phase, out: &mut Outbox<Message>) {
        if !self
            .calls
            .get(key)
            .is_some_and(|call| call.phase == waiting)
        {
            return;
        }
        match waiting {
            Phase::Delayed => self.after_fault(now, key, out),
            _ => self.start_attempt(now, key, out),
        }
    }

    /// The caller gave up on call `key` (its own timeout): forget it, so a late answer is dropped.
    pub fn abandon(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        if self.calls.get(key).is_some() {
            let call = self.discard(now, key, out);
            self.record_end(now, &call, 0, ReasonKind::ClientTimeout, out);
            self.span((key, &call), None, (call.started_at, now), 0, out);
        }
    }

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

    /// An instance of a service this sidecar calls says it is ready, or no longer.
    pub fn on_ready(&mut self, now: SimTime, node: NodeId, ready: bool, out: &mut Outbox<Message>) {
        self.for_instance(now, node, out, |upstream, index| {
            upstream.set_ready(now, index, ready)
        });
    }

    /// The control plane added `node` to its service's endpoints, or took it away.
    pub fn on_endpoint(
        &mut self,
        now: SimTime,
        node: NodeId,
        ready: bool,
        out: &mut Outbox<Message>,
    ) {
        self.for_instance(now, node, out, |upstream, index| {
            upstream.set_deployed(now, index, ready)
        });
    }

    /// The control plane reports `node` up or down.
    pub fn on_membership(
        &mut self,
        now: SimTime,
        node: NodeId,
        up: bool,
        out: &mut Outbox<Message>,
    ) {
        self.for_instance(now, node, out, |upstream, index| {
            upstream.set_up(now, index, up)
        });
    }

    /// Runs `change` on every upstream that has `node` among its instances; it returns the
    /// ejections its clusters forgot with a host that left. Calls waiting for an instance may go
    /// now.
    fn for_instance(
        &mut self,
        now: SimTime,
        node: NodeId,
        out: &mut Outbox<Message>,
        mut change: impl FnMut(&mut Upstream, usize) -> usize,
    ) {
        for upstream_index in 0..self.upstreams.len() {
            let upstream = &mut self.upstreams[upstream_index];
            let Some(index) = upstream
                .config
                .instances
                .iter()
                .position(|&instance| instance == node)
            else {
                continue;
            };
            let dropped = change(upstream, index);
            if dropped > 0 {
                out.record(Record::GroupGauge {
                    group: upstream.config.group,
                    gauge: GroupGauge::Ejected,
                    delta: -(dropped as i64),
                });
            }
            self.drain_queues(now, upstream_index as u16, out);
        }
    }

    /// The process crashed: every call in flight is forgotten and its gauges given back. The
    /// view of the upstreams is the control plane's, so it survives; detectors, breakers and
    /// pools are the process's memory and start again.
    pub fn clear(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        self.calls.drain();
        self.attempts.drain();
        self.completed.clear();
        for upstream in &mut self.upstreams {
            let group = upstream.config.group;
            let waiting: u32 = upstream
                .clusters
                .iter()
                .map(|cluster| cluster.pending_count + cluster.queued)
                .sum();
            if waiting > 0 {
                pending_gauge(group, -i64::from(waiting), out);
            }
            let ejected: usize = upstream.clusters.iter().map(health::taken_out).sum();
            if ejected > 0 {
                out.record(Record::GroupGauge {
                    group,
                    gauge: GroupGauge::Ejected,
                    delta: -(ejected as i64),
                });
            }
            if let Some(gauge) = breaker::gauge(upstream.breaker_seen) {
                out.record(Record::GroupGauge {
                    group,
                    gauge,
                    delta: -1,
                });
            }
            upstream.reset(now, &mut self.rng);
        }
    }
}

/// An answer the sidecar gives itself; its call is filled in when it reaches the call's owner.
fn answer(status: u16, kind: ReasonKind, callee: GroupId) -> Response {
    Response::refusal(CallKey(0), status, kind, callee)
}

fn pending_gauge(group: GroupId, delta: i64, out: &mut Outbox<Message>) {
    out.record(Record::GroupGauge {
        group,
        gauge: GroupGauge::Pending,
        delta,
    });
}
