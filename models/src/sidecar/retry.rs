//! The retry decision: whether a failed try is retried (the policy covers it, tries are left, the
//! cluster's retry limit has room), and how long the retry waits.
//!
//! Envoy's `RetryStateImpl::shouldRetry` (retry_state_impl.cc#L269-L336) takes the `max_retries`
//! place (or counts against the budget) when it decides to retry and holds it through the
//! back-off until the retried try ends. Linkerd's ServiceProfile retries spend tower's
//! `TpsBudget`: every outcome not retried deposits, every retry withdraws
//! (linkerd2-proxy@v2.366.0:linkerd/app/outbound/src/http/retry.rs#L87-L124).

use std::sync::Arc;

use meshsim_record::{MeshEvent, Record, RetryStop};
use meshsim_sim::SimTime;

use super::{Sidecar, SidecarTimer, TryResult};
use crate::episode::{EPISODE_QUIET_NS, Episode};
use crate::message::Message;
use crate::outbox::Outbox;
use crate::policy::backoff::{backoff_ns, linkerd_backoff_ns};
use crate::slab::SlabKey;
use crate::timer::TimerCode;
use crate::upstream_config::{Backoff, RetryLimit, RetryOn};

impl Sidecar {
    /// Whether the failed try of call `call_key` is retried.
    pub(super) fn should_retry(
        &mut self,
        now: SimTime,
        call_key: SlabKey,
        result: TryResult,
        out: &mut Outbox<Message>,
    ) -> bool {
        let call = self.calls.get(call_key).expect("live call");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        let (retries_so_far, route_policy) = (call.retries, call.policy);
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let Some(policy) = upstream.config.retries(route_policy) else {
            return false;
        };
        if !retriable(&policy.retry_on, result) {
            // Linkerd deposits in its budget for every answer it would not retry.
            if let Some(budget) = &mut upstream.tps_budget {
                budget.deposit(now);
            }
            return false;
        }
        if retries_so_far >= policy.attempts {
            self.calls.get_mut(call_key).expect("live call").retry_stop = RetryStop::LimitExceeded;
            return false;
        }
        // Most tries end above; only a retry's candidates pay for holding the policy.
        let config = Arc::clone(&upstream.config);
        let policy = config.retries(route_policy).expect("checked above");
        let cluster_state = &upstream.clusters[cluster];
        // The try that just failed still holds its connection here; it is not active any more,
        // so it is taken out of the count the budget sees.
        let in_flight = cluster_state.in_flight.saturating_sub(1);
        let allowed = match &policy.limit {
            RetryLimit::Concurrent(max) => cluster_state.active_retries < *max,
            RetryLimit::Budget(budget) => budget.allows(
                in_flight,
                cluster_state.pending_count,
                cluster_state.active_retries,
            ),
            RetryLimit::Tps(_) => upstream
                .tps_budget
                .as_mut()
                .is_some_and(|budget| budget.withdraw(now)),
            RetryLimit::Unlimited => true,
        };
        self.note_denial(now, upstream_index, cluster, allowed, &policy.limit, out);
        if !allowed {
            self.calls.get_mut(call_key).expect("live call").retry_stop = RetryStop::Overflow;
        }
        allowed
    }

    /// Logs the start and end of a run of retries the limit denied.
    fn note_denial(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        cluster: usize,
        allowed: bool,
        limit: &RetryLimit,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let name = &upstream.config.name;
        let denials = &mut upstream.clusters[cluster].denials;
        if !allowed {
            out.record(Record::Mesh {
                callee,
                event: MeshEvent::BudgetExhausted,
            });
            if let Some(episode) = denials {
                episode.last = now;
                episode.count += 1;
            } else {
                *denials = Some(Episode {
                    since: now,
                    last: now,
                    count: 1,
                });
                out.record(Record::Event {
                    kind: "retry_budget",
                    subject: name.to_string(),
                    detail: format!(
                        "by {}: retries denied by {}",
                        self.own_name,
                        limit_text(limit)
                    ),
                });
            }
        } else if let Some(episode) = *denials
            && now - episode.last >= EPISODE_QUIET_NS
        {
            *denials = None;
            out.record(Record::Event {
                kind: "retry_budget",
                subject: name.to_string(),
                detail: format!(
                    "by {}: retries allowed again; {} denied in {:.3} s",
                    self.own_name,
                    episode.count,
                    (episode.last - episode.since) as f64 / 1e9
                ),
            });
        }
    }

    /// Call `call_key` will be retried: it takes a retry place and waits out its back-off.
    pub(super) fn schedule_retry(
        &mut self,
        now: SimTime,
        call_key: SlabKey,
        out: &mut Outbox<Message>,
    ) {
        let call = self.calls.get_mut(call_key).expect("live call");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        call.holds_retry = true;
        call.retries += 1;
        let route_policy = call.policy;
        let retry_number = call.retries;
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        upstream.clusters[cluster].active_retries += 1;
        let policy = upstream
            .config
            .retries(route_policy)
            .expect("retrying needs a policy");
        let wait_ns = match policy.backoff {
            Backoff::Envoy { base_ns, max_ns } => {
                backoff_ns(retry_number, base_ns, max_ns, &mut self.rng)
            }
            Backoff::Linkerd {
                min_ns,
                max_ns,
                jitter_ratio,
            } => linkerd_backoff_ns(retry_number, min_ns, max_ns, jitter_ratio, &mut self.rng),
            Backoff::Immediate => 0,
        };
        out.set_timer(now + wait_ns, SidecarTimer::Backoff(call_key).encode());
    }
}

/// Whether the retry policy covers a failed try.
pub(super) fn retriable(on: &RetryOn, result: TryResult) -> bool {
    match result {
        TryResult::Answered(response) => on.status(response.status),
        TryResult::Refused => on.connect_failure,
        TryResult::Reset => on.reset,
        TryResult::TimedOut => on.try_timeout,
        TryResult::FailFast => on.fail_fast,
    }
}

fn limit_text(limit: &RetryLimit) -> String {
    match limit {
        RetryLimit::Concurrent(max) => format!("the cap of {max} retries at once"),
        RetryLimit::Budget(budget) => format!(
            "the retry budget ({} %, at least {})",
            budget.percent, budget.min_retry_concurrency
        ),
        RetryLimit::Tps(budget) => format!(
            "the ServiceProfile retry budget (ratio {}, {} a second)",
            budget.retry_ratio, budget.min_per_sec
        ),
        RetryLimit::Unlimited => "nothing".to_owned(),
    }
}
