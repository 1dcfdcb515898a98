//! A Kubernetes-style rolling update: pods of the new version started within `max_surge`,
//! pods of the old one stopped within `max_unavailable`, each new pod ready after its
//! readiness delay, and what failed checks do to it (roll back, pause or carry on).

use meshsim_record::RolloutOutcome;
use meshsim_sim::{NodeId, SimTime};

use crate::outbox::Outbox;

use super::config::{FailureAction, RolloutStrategy};
use super::number_text::seconds;
use super::timer::RolloutTimer;
use super::{Pod, RolloutController};
use crate::message::{Control, Message};
use crate::served_counters::ServedCounters;
use crate::timer::TimerCode;

impl RolloutController {
    pub(super) fn analyse_rolling(
        &mut self,
        now: SimTime,
        failure_action: FailureAction,
        window: &ServedCounters,
        out: &mut Outbox<Message>,
    ) {
        // Before a new instance is ready there is nothing to judge: not a failure.
        if self.reverting || window.requests == 0 {
            return;
        }
        if self.analyse(window, out) || self.failed_checks < self.config.threshold {
            return;
        }
        match failure_action {
            FailureAction::Continue => {}
            FailureAction::Pause => {
                self.paused = true;
                let detail = format!(
                    "paused after {} failed checks: {} stays as it is",
                    self.failed_checks, self.config.service_name
                );
                self.event(out, "rollout_pause", detail);
            }
            FailureAction::Rollback => {
                self.reverting = true;
                let detail = format!(
                    "{} failed {} check{}: rolling back to {}",
                    self.config.to_name,
                    self.failed_checks,
                    if self.failed_checks == 1 { "" } else { "s" },
                    self.config.from_name
                );
                self.event(out, "rollout_rollback", detail);
                self.outcome = RolloutOutcome::RolledBack;
                self.record_state(out);
                self.reconcile(now, out);
            }
        }
    }

    /// Kubernetes' rolling update, one pass: start pods of the version being rolled to while
    /// the total stays within `desired + max_surge`, and stop pods of the other while the
    /// ready ones stay at `desired − max_unavailable` or more. Called at the start and each
    /// time a pod becomes ready.
    pub(super) fn reconcile(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let RolloutStrategy::Rolling {
            max_surge,
            max_unavailable,
            readiness_delay_ns,
            ..
        } = self.config.strategy
        else {
            unreachable!("only a rolling update reconciles pods");
        };
        // Each pass starts and stops what the bounds allow; stopping can make room to start
        // more, so passes repeat until neither moves (at most one pass per pod and then one).
        let passes = self.old_pods.len() + self.new_pods.len() + 1;
        for _ in 0..passes {
            // Rolling back swaps the roles: the old version's pods are the ones to bring up.
            let (incoming, outgoing) = if self.reverting {
                (&self.old_pods, &self.new_pods)
            } else {
                (&self.new_pods, &self.old_pods)
            };
            let desired = incoming.len() as u32;
            let count = |pods: &[Pod], state: Pod| pods.iter().filter(|&&pod| pod == state).count();
            let incoming_up = (incoming.len() - count(incoming, Pod::Stopped)) as u32;
            let incoming_ready = count(incoming, Pod::Ready) as u32;
            let outgoing_up = (outgoing.len() - count(outgoing, Pod::Stopped)) as u32;
            let outgoing_ready = count(outgoing, Pod::Ready) as u32;
            let room = (desired + max_surge).saturating_sub(incoming_up + outgoing_up);
            let to_start = room.min(desired - incoming_up);
            let min_available = desired.saturating_sub(max_unavailable);
            // Stopping a pod still starting costs no availability.
            let outgoing_starting = outgoing_up - outgoing_ready;
            let to_stop = ((incoming_ready + outgoing_ready).saturating_sub(min_available)
                + outgoing_starting)
                .min(outgoing_up);
            if to_start == 0 && to_stop == 0 {
                break;
            }
            for _ in 0..to_start {
                self.start_pod(now, readiness_delay_ns, out);
            }
            for _ in 0..to_stop {
                self.stop_pod(out);
            }
        }
        self.record_pod_weights(out);
        let (incoming, outgoing) = if self.reverting {
            (&self.old_pods, &self.new_pods)
        } else {
            (&self.new_pods, &self.old_pods)
        };
        let done = incoming.iter().all(|&pod| pod == Pod::Ready)
            && outgoing.iter().all(|&pod| pod == Pod::Stopped);
        if done {
            let (outcome, kind, verb) = if self.reverting {
                (RolloutOutcome::RolledBack, "rollout_rollback", "rollback")
            } else {
                (RolloutOutcome::Promoted, "rollout_promote", "update")
            };
            self.outcome = outcome;
            self.paused = true;
            let after = now.as_nanos().saturating_sub(self.config.start_ns);
            let detail = format!(
                "{verb} complete after {}: {} runs on every instance",
                seconds(after),
                if self.reverting {
                    &self.config.from_name
                } else {
                    &self.config.to_name
                }
            );
            self.event(out, kind, detail);
            self.record_state(out);
        }
    }

    /// A rolling update's route weights are the versions' shares of the ready instances.
    pub(super) fn record_pod_weights(&self, out: &mut Outbox<Message>) {
        let ready = |pods: &[Pod]| pods.iter().filter(|&&pod| pod == Pod::Ready).count();
        let (old, new) = (ready(&self.old_pods), ready(&self.new_pods));
        if old + new > 0 {
            self.record_weights(100.0 * new as f64 / (old + new) as f64, out);
        }
    }

    /// The pod list being brought up, its nodes, and the offset of its generations.
    pub(super) fn incoming(&mut self) -> (&mut Vec<Pod>, &[NodeId], usize) {
        if self.reverting {
            (&mut self.old_pods, &self.config.from_nodes, 0)
        } else {
            let offset = self.config.from_nodes.len();
            (&mut self.new_pods, &self.config.to_nodes, offset)
        }
    }

    pub(super) fn start_pod(
        &mut self,
        now: SimTime,
        readiness_delay_ns: u64,
        out: &mut Outbox<Message>,
    ) {
        let (pods, nodes, offset) = self.incoming();
        let index = pods
            .iter()
            .position(|&pod| pod == Pod::Stopped)
            .expect("a stopped pod to start");
        pods[index] = Pod::Starting;
        let node = nodes[index];
        let slot = offset + index;
        self.generations[slot] += 1;
        let ready = RolloutTimer::Ready {
            slot: slot as u32,
            generation: self.generations[slot],
        };
        out.set_timer(now + readiness_delay_ns, ready.encode());
        let detail = format!(
            "{} started, ready in {}",
            self.pod_name(node),
            seconds(readiness_delay_ns)
        );
        self.event(out, "rollout_instance", detail);
    }

    pub(super) fn stop_pod(&mut self, out: &mut Outbox<Message>) {
        let (pods, nodes) = if self.reverting {
            (&mut self.new_pods, &self.config.to_nodes)
        } else {
            (&mut self.old_pods, &self.config.from_nodes)
        };
        // Pods still starting go first (Kubernetes scales down unready pods first), then the
        // oldest ready one.
        let index = pods
            .iter()
            .position(|&pod| pod == Pod::Starting)
            .or_else(|| pods.iter().position(|&pod| pod == Pod::Ready))
            .expect("a pod to stop");
        let was_ready = pods[index] == Pod::Ready;
        pods[index] = Pod::Stopped;
        let node = nodes[index];
        if was_ready {
            for &caller in &self.config.callers {
                out.send(
                    caller,
                    Message::Control(Control::Endpoint { node, ready: false }),
                );
            }
        }
        let detail = if was_ready {
            format!("{} stopped", self.pod_name(node))
        } else {
            format!("{} stopped before it was ready", self.pod_name(node))
        };
        self.event(out, "rollout_instance", detail);
    }

    pub(super) fn on_ready(
        &mut self,
        now: SimTime,
        (slot, generation): (u32, u32),
        out: &mut Outbox<Message>,
    ) {
        let slot = slot as usize;
        if generation != self.generations[slot] {
            return;
        }
        let old = self.config.from_nodes.len();
        let (pods, nodes, index) = if slot < old {
            (&mut self.old_pods, &self.config.from_nodes, slot)
        } else {
            (&mut self.new_pods, &self.config.to_nodes, slot - old)
        };
        if pods[index] != Pod::Starting {
            return;
        }
        pods[index] = Pod::Ready;
        let node = nodes[index];
        for &caller in &self.config.callers {
            out.send(
                caller,
                Message::Control(Control::Endpoint { node, ready: true }),
            );
        }
        let detail = format!("{} ready", self.pod_name(node));
        self.event(out, "rollout_instance", detail);
        self.record_pod_weights(out);
        if self.outcome == RolloutOutcome::Promoted || (self.paused && !self.reverting) {
            return;
        }
        self.reconcile(now, out);
    }

    /// `service/N (version)`, N the instance's number within its service.
    pub(super) fn pod_name(&self, node: NodeId) -> String {
        let config = &self.config;
        let (index, version) =
            if let Some(position) = config.to_nodes.iter().position(|&pod| pod == node) {
                (config.to.start + position as u32, &config.to_name)
            } else {
                let position = config
                    .from_nodes
                    .iter()
                    .position(|&pod| pod == node)
                    .expect("a pod of the rollout");
                (config.from.start + position as u32, &config.from_name)
            };
        format!("{}/{index} ({version})", config.service_name)
    }
}
