//! What a sidecar learns of its upstreams' health from the calls it makes, and what it does when
//! no instance can take a call: Envoy's outlier detection (per cluster, on an interval aligned
//! to the start of the run), Linkerd's failure accrual (a penalty per endpoint, then one probe),
//! and Linkerd's balancer queue with its failfast timeout.

use meshsim_record::{GroupGauge, MeshEvent, Reason, ReasonKind, Record};
use meshsim_sim::{GroupId, SimTime};

use super::{Phase, Sidecar, SidecarTimer, TryResult, pending_gauge};
use crate::cluster::ClusterIndex;
use crate::cluster::{Cluster, FailFast};
use crate::message::Message;
use crate::outbox::Outbox;
use crate::policy::failure_accrual::GateState;
use crate::policy::outlier::{AttemptOutcome, EjectionReason};
use crate::slab::SlabKey;
use crate::timer::TimerCode;
use crate::upstream::{HostIndex, UpstreamIndex};
use crate::upstream_config::NoInstance;

/// How many of `cluster`'s hosts are out now: ejected, or shut by failure accrual.
pub(super) fn taken_out(cluster: &Cluster) -> usize {
    let ejected = cluster
        .outlier
        .as_ref()
        .map_or(0, |outlier| outlier.ejected_count());
    let shut = cluster.accrual.as_ref().map_or(0, |accrual| {
        (cluster.hosts.start..cluster.hosts.end)
            .filter(|&host| accrual.state(host as usize) == GateState::Shut)
            .count()
    });
    ejected + shut
}

impl Sidecar {
    /// A try to `instance` of cluster `cluster` ended with `result`: outlier detection and
    /// failure accrual learn of it.
    pub(super) fn record_health(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        cluster: usize,
        instance: u32,
        result: TryResult,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let cluster_state = &mut upstream.clusters[cluster];
        let host = instance as usize;
        if let Some(outlier) = &mut cluster_state.outlier {
            // A try that was answered, reset or timed out had its connection: with split
            // local-origin errors that success resets the local streak. Envoy reports it when
            // the try gets its connection; meshsim learns of a refused connection only when the
            // refusal comes back, so it reports the success with the outcome instead.
            if outlier.config().split_external_local_origin_errors
                && !matches!(result, TryResult::Refused)
            {
                outlier.record(now, host, AttemptOutcome::LocalOriginConnectSuccess);
            }
            let ejection = match result {
                TryResult::Answered(response) => {
                    outlier.record(now, host, AttemptOutcome::HttpStatus(response.status))
                }
                TryResult::Refused | TryResult::Reset => {
                    outlier.record(now, host, AttemptOutcome::LocalOriginConnectFailure)
                }
                TryResult::TimedOut | TryResult::FailFast => {
                    outlier.record(now, host, AttemptOutcome::LocalOriginTimeout)
                }
            };
            if let Some(ejection) = ejection {
                let name = upstream.config.name.to_string();
                let detail = format!(
                    "by {}: {}, out for {} ms",
                    self.own_name,
                    ejection_reason(ejection.reason),
                    ejection.duration_ns / 1_000_000
                );
                taken_out_now(callee, format!("{name}/{instance}"), detail, out);
            }
        }
        let cluster_state = &mut self.upstreams[usize::from(upstream_index)].clusters[cluster];
        if let Some(accrual) = &mut cluster_state.accrual {
            // Linkerd's classifier: 5xx answers and errors fail; 429 and every other answer
            // succeed (a refused or reset connection is a 502 from the proxy itself).
            let failure = match result {
                TryResult::Answered(response) => response.status >= 500,
                TryResult::Refused
                | TryResult::Reset
                | TryResult::TimedOut
                | TryResult::FailFast => true,
            };
            let probing = matches!(accrual.state(host), GateState::Probation { .. });
            if let Some(shutting) = accrual.record(now, host, failure, &mut self.rng) {
                let why = if probing {
                    "its probe failed".to_owned()
                } else {
                    format!("{} failures in a row", accrual.config().max_failures)
                };
                let name = self.upstreams[usize::from(upstream_index)]
                    .config
                    .name
                    .to_string();
                let detail = format!(
                    "by {}: {why} (failure accrual), out for {} ms",
                    self.own_name,
                    shutting.penalty_ns / 1_000_000
                );
                taken_out_now(callee, format!("{name}/{instance}"), detail, out);
                out.set_timer(
                    shutting.probation_at,
                    SidecarTimer::AccrualPenalty(
                        UpstreamIndex(upstream_index),
                        ClusterIndex::new(cluster),
                        HostIndex(instance),
                    )
                    .encode(),
                );
            }
        }
    }

    /// Outlier detection sweeps on an interval per cluster, from its first call; the sweeps fall
    /// on multiples of the interval since the start, as a detector created with the sidecar
    /// would sweep.
    pub(super) fn arm_outlier_interval(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        cluster: usize,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let cluster_state = &mut upstream.clusters[cluster];
        if cluster_state.outlier_armed {
            return;
        }
        if let Some(config) = &upstream.config.outlier {
            cluster_state.outlier_armed = true;
            let interval_ns = config.interval_ns;
            let next = (now.as_nanos() / interval_ns + 1) * interval_ns;
            out.set_timer(
                SimTime::from_nanos(next),
                SidecarTimer::OutlierInterval(
                    UpstreamIndex(upstream_index),
                    ClusterIndex::new(cluster),
                )
                .encode(),
            );
        }
    }

    /// A cluster's outlier sweep: returns, success-rate and failure-percentage ejections.
    pub(super) fn outlier_interval(
        &mut self,
        now: SimTime,
        (upstream_index, cluster): (UpstreamIndex, ClusterIndex),
        out: &mut Outbox<Message>,
    ) {
        let upstream = &mut self.upstreams[usize::from(upstream_index.0)];
        let config = &upstream.config;
        let Some(outlier) = &mut upstream.clusters[usize::from(cluster.0)].outlier else {
            return;
        };
        for change in outlier.on_interval(now) {
            let (callee, subject) = (config.group, format!("{}/{}", config.name, change.host));
            match change.ejection.filter(|_| change.ejected) {
                Some(ejection) => {
                    let detail = format!(
                        "by {}: {}, out for {} ms",
                        self.own_name,
                        ejection_reason(ejection.reason),
                        ejection.duration_ns / 1_000_000
                    );
                    taken_out_now(callee, subject, detail, out);
                }
                None => returned(callee, subject, format!("by {}", self.own_name), out),
            }
        }
        let interval_ns = config
            .outlier
            .as_ref()
            .expect("a detector has a config")
            .interval_ns;
        out.set_timer(
            now + interval_ns,
            SidecarTimer::OutlierInterval(upstream_index, cluster).encode(),
        );
    }

    /// A failure-accrual penalty ran out: the endpoint takes one probe, and calls waiting for
    /// an endpoint may go.
    pub(super) fn accrual_penalty_over(
        &mut self,
        now: SimTime,
        (upstream_index, cluster, host): (UpstreamIndex, ClusterIndex, HostIndex),
        out: &mut Outbox<Message>,
    ) {
        let (upstream_index, cluster, host) = (upstream_index.0, usize::from(cluster.0), host.0);
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let subject = format!("{}/{host}", upstream.config.name);
        let Some(accrual) = &mut upstream.clusters[cluster].accrual else {
            return;
        };
        if accrual.on_penalty_over(now, host as usize) {
            let detail = format!("by {}: on probation, one probe", self.own_name);
            returned(callee, subject, detail, out);
            self.drain_queues(now, upstream_index, out);
        }
    }

    /// No instance of call `key`'s cluster can take it: Envoy answers 503 at once; Linkerd's
    /// balancer queues it, or sheds it while it fails fast.
    pub(super) fn no_instance(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let call = self.calls.get(key).expect("a live call");
        let (upstream_index, cluster) = (call.upstream, usize::from(call.cluster));
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let NoInstance::Queue {
            failfast_ns,
            capacity,
        } = upstream.config.no_instance
        else {
            self.finish(
                now,
                key,
                503,
                reason(ReasonKind::NoHealthyUpstream, callee),
                out,
            );
            return;
        };
        let cluster_state = &mut upstream.clusters[cluster];
        if cluster_state.failfast == FailFast::Failing || cluster_state.queued >= capacity {
            self.finish(now, key, 503, reason(ReasonKind::LoadShed, callee), out);
            return;
        }
        cluster_state.queue.push_back(key);
        cluster_state.queued += 1;
        pending_gauge(callee, 1, out);
        if cluster_state.failfast == FailFast::Idle {
            cluster_state.failfast = FailFast::Waiting { since: now };
            out.set_timer(
                now + failfast_ns,
                SidecarTimer::FailFast(UpstreamIndex(upstream_index), ClusterIndex::new(cluster))
                    .encode(),
            );
        }
        self.calls.get_mut(key).expect("live").phase = Phase::Queued;
    }

    /// Linkerd's balancer waited its failfast timeout: if still no endpoint can take a call,
    /// the waiting calls fail (504) and later ones are shed until one can.
    pub(super) fn failfast_timeout(
        &mut self,
        now: SimTime,
        (upstream_index, cluster): (UpstreamIndex, ClusterIndex),
        out: &mut Outbox<Message>,
    ) {
        let (upstream_index, cluster) = (upstream_index.0, usize::from(cluster.0));
        let upstream = &mut self.upstreams[usize::from(upstream_index)];
        let callee = upstream.config.group;
        let NoInstance::Queue { failfast_ns, .. } = upstream.config.no_instance else {
            return;
        };
        let cluster_state = &mut upstream.clusters[cluster];
        let FailFast::Waiting { since } = cluster_state.failfast else {
            return;
        };
        if now < since + failfast_ns {
            // The balancer recovered and started waiting again since this timer was set.
            return;
        }
        cluster_state.failfast = FailFast::Failing;
        out.record(Record::Event {
            kind: "failfast",
            subject: upstream.config.name.to_string(),
            detail: format!(
                "by {}: no endpoint for {} ms; failing fast",
                self.own_name,
                failfast_ns / 1_000_000
            ),
        });
        while let Some(key) = self.upstreams[usize::from(upstream_index)].clusters[cluster]
            .queue
            .pop_front()
        {
            if !self
                .calls
                .get(key)
                .is_some_and(|call| call.phase == Phase::Queued)
            {
                continue;
            }
            // Out of the queue: its count goes, and it fails fast, or is retried, which may
            // find another backend that is available.
            let cluster_state = &mut self.upstreams[usize::from(upstream_index)].clusters[cluster];
            cluster_state.queued -= 1;
            pending_gauge(callee, -1, out);
            self.calls.get_mut(key).expect("live").phase = Phase::Between;
            if self.should_retry(now, key, TryResult::FailFast, out) {
                self.schedule_retry(now, key, out);
            } else {
                self.finish(now, key, 504, reason(ReasonKind::FailFast, callee), out);
            }
        }
    }

    /// Endpoints of `upstream_index` may have become available: each cluster's waiting calls go
    /// to them, oldest first, and a balancer failing fast recovers.
    pub(super) fn drain_queues(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        out: &mut Outbox<Message>,
    ) {
        let upstream = &self.upstreams[usize::from(upstream_index)];
        if !matches!(upstream.config.no_instance, NoInstance::Queue { .. }) {
            return;
        }
        for cluster in 0..upstream.clusters.len() {
            self.drain_queue(now, upstream_index, cluster, out);
        }
    }

    fn drain_queue(
        &mut self,
        now: SimTime,
        upstream_index: u16,
        cluster: usize,
        out: &mut Outbox<Message>,
    ) {
        let callee = self.upstreams[usize::from(upstream_index)].config.group;
        loop {
            let upstream = &mut self.upstreams[usize::from(upstream_index)];
            let cluster_state = &upstream.clusters[cluster];
            if cluster_state.failfast == FailFast::Idle && cluster_state.queue.is_empty() {
                return;
            }
            let front = cluster_state.queue.front().copied();
            if let Some(key) = front
                && !self
                    .calls
                    .get(key)
                    .is_some_and(|call| call.phase == Phase::Queued)
            {
                upstream.clusters[cluster].queue.pop_front();
                continue;
            }
            // Linkerd's balancer does not steer away from hosts tried: no reselection, so the
            // call's tried hosts are not consulted.
            let Some(instance) = upstream.pick(now, cluster, &[], None, &mut self.rng) else {
                return;
            };
            // An endpoint can take a call: the balancer is ready again.
            let cluster_state = &mut upstream.clusters[cluster];
            cluster_state.failfast = FailFast::Idle;
            let Some(key) = front else {
                return;
            };
            cluster_state.queue.pop_front();
            cluster_state.queued -= 1;
            pending_gauge(callee, -1, out);
            self.calls.get_mut(key).expect("live").phase = Phase::Between;
            self.connect(now, key, instance, out);
        }
    }
}

/// An instance is taken out: counted, gauged and logged.
fn taken_out_now(callee: GroupId, subject: String, detail: String, out: &mut Outbox<Message>) {
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
        subject,
        detail,
    });
}

/// An instance is back: gauged and logged.
fn returned(callee: GroupId, subject: String, detail: String, out: &mut Outbox<Message>) {
    out.record(Record::GroupGauge {
        group: callee,
        gauge: GroupGauge::Ejected,
        delta: -1,
    });
    out.record(Record::Event {
        kind: "return",
        subject,
        detail,
    });
}

fn reason(kind: ReasonKind, callee: GroupId) -> Reason {
    Reason {
        kind,
        group: Some(callee),
    }
}

fn ejection_reason(reason: EjectionReason) -> &'static str {
    match reason {
        EjectionReason::Consecutive5xx => "consecutive 5xx",
        EjectionReason::ConsecutiveGatewayFailure => "consecutive gateway failures",
        EjectionReason::ConsecutiveLocalOriginFailure => "consecutive local-origin failures",
        EjectionReason::SuccessRate => "success rate below the others'",
        EjectionReason::LocalOriginSuccessRate => "local-origin success rate below the others'",
        EjectionReason::FailurePercentage => "failure percentage above the threshold",
    }
}
