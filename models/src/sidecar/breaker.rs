//! The application's circuit breaker around calls to one service (opossum, with resilience4j's
//! slow-call rule): it lives in the caller's process, in front of its sidecar, so it sees a call
//! from the moment the application makes it to the answer the sidecar finally gives.

use meshsim_record::{GroupGauge, MeshEvent, ReasonKind, Record};
use meshsim_sim::{GroupId, SimTime};

use super::{Sidecar, SidecarTimer};
use crate::message::{CallKey, Message, Response};
use crate::outbox::Outbox;
use crate::policy::breaker::{Admission, BreakerState};
use crate::timer::TimerCode;
use crate::upstream::UpstreamIndex;

impl Sidecar {
    /// The circuit breaker's verdict on a new call; `Err` is the answer to an open breaker.
    pub(super) fn admit(
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

    /// The call ended with `response`: the breaker records it, and its fallback answers in
    /// place of a failure.
    pub(super) fn settle_breaker(
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
    pub(super) fn breaker_moved(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        out: &mut Outbox<Message>,
    ) {
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
                SidecarTimer::BreakerReset(UpstreamIndex(upstream_index)).encode(),
            );
        }
        if let Some(gauge) = self::gauge(before) {
            out.record(Record::GroupGauge {
                group: callee,
                gauge,
                delta: -1,
            });
        }
        if let Some(gauge) = self::gauge(after) {
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
}

/// The gauge a breaker in `state` holds up, if any.
pub(super) fn gauge(state: BreakerState) -> Option<GroupGauge> {
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
            Response::refusal(CallKey(0), status, ReasonKind::Fallback, callee)
        }
        None => Response::refusal(CallKey(0), status, kind, callee),
    }
}

fn state_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half_open",
    }
}
