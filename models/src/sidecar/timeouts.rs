//! The timeouts a sidecar keeps per upstream, each a FIFO of deadlines behind one timer: the
//! route timeout, the application breaker's timeout and the per-try timeout.

use meshsim_record::{Reason, ReasonKind};
use meshsim_sim::SimTime;

use super::{Phase, Sidecar, SidecarTimer, TryResult};
use crate::message::Message;
use crate::outbox::Outbox;
use crate::timer::TimerCode;
use crate::upstream::UpstreamIndex;

/// Which of a call's two whole-call deadlines ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// The route timeout of one policy, the sidecar's own.
    Route(u16),
    /// The application circuit breaker's timeout, which the sidecar only sees as a cancel.
    Breaker,
}

impl Sidecar {
    /// The route timeout ran out for some calls.
    pub(super) fn on_route_deadline(
        &mut self,
        now: SimTime,
        (upstream_index, policy): (UpstreamIndex, u16),
        out: &mut Outbox<Message>,
    ) {
        self.on_call_deadline(now, upstream_index, Deadline::Route(policy), out);
    }

    /// The application breaker's timeout ran out for some calls.
    pub(super) fn on_breaker_deadline(
        &mut self,
        now: SimTime,
        upstream_index: UpstreamIndex,
        out: &mut Outbox<Message>,
    ) {
        self.on_call_deadline(now, upstream_index, Deadline::Breaker, out);
    }

    /// The route timeout or the application breaker's timeout ran out for some calls.
    fn on_call_deadline(
        &mut self,
        now: SimTime,
        upstream_index: UpstreamIndex,
        deadline: Deadline,
        out: &mut Outbox<Message>,
    ) {
        let index = upstream_index.0;
        let calls = &self.calls;
        let upstream = &mut self.upstreams[usize::from(index)];
        let callee = upstream.config.group;
        let (deadlines, reason_kind, id) = match deadline {
            Deadline::Route(policy) => (
                &mut upstream.route_deadlines[usize::from(policy)],
                ReasonKind::RouteTimeout,
                SidecarTimer::CallTimeout(upstream_index, policy).encode(),
            ),
            Deadline::Breaker => (
                &mut upstream.breaker_deadlines,
                ReasonKind::BreakerTimeout,
                SidecarTimer::BreakerTimeout(upstream_index).encode(),
            ),
        };
        for key in deadlines.expire(now, |key| calls.get(key).is_some(), id, out) {
            // Envoy tells outlier detection of a try the route timeout cut off (a local-origin
            // timeout); the application's breaker timeout is invisible to the sidecar, which
            // only sees the request cancelled.
            if matches!(deadline, Deadline::Route(_))
                && let Some(call) = self.calls.get(key)
                && let Phase::InFlight(attempt) = call.phase
                && let Some(instance) = self.attempts.get(attempt).map(|attempt| attempt.instance)
            {
                let cluster = usize::from(call.cluster);
                self.record_health(now, index, cluster, instance, TryResult::TimedOut, out);
            }
            let reason = Reason {
                kind: reason_kind,
                group: Some(callee),
            };
            self.finish(now, key, 504, reason, out);
        }
    }

    /// Per-try timeouts ran out for some tries.
    pub(super) fn on_try_deadline(
        &mut self,
        now: SimTime,
        (upstream_index, policy): (UpstreamIndex, u16),
        out: &mut Outbox<Message>,
    ) {
        let attempts = &self.attempts;
        let id = SidecarTimer::TryTimeout(upstream_index, policy).encode();
        let upstream = &mut self.upstreams[usize::from(upstream_index.0)];
        for key in upstream.try_deadlines[usize::from(policy)].expire(
            now,
            |key| attempts.get(key).is_some(),
            id,
            out,
        ) {
            self.end_attempt(now, key, TryResult::TimedOut, out);
        }
    }
}
