//! An instance an autoscaler starts and stops: a Kubernetes pod the HPA's Deployment creates
//! and deletes. The world's nodes are fixed when it is assembled, so an autoscaled version has
//! `max_replicas` instances, and those beyond the current count stand by: no process, in no
//! caller's endpoints.

use meshsim_record::Record;
use meshsim_sim::{NodeId, SimTime};

use super::ServiceInstance;
use super::deployment::{Deployment, TERMINATION_GRACE_NS};
use super::timer::ServiceTimer;
use crate::message::{Control, Message, ScaleMessage};
use crate::outbox::Outbox;
use crate::timer::TimerCode;

impl ServiceInstance {
    /// Not deployed when the run starts: an autoscaler starts it when it scales up.
    pub fn stand_by(&mut self) {
        self.deployment = Deployment::Standby;
        self.ready = false;
        self.started_at = None;
    }

    /// Whether the process runs (a standby instance has none to start, crash or restart).
    pub(super) fn deployed(&self) -> bool {
        self.deployment != Deployment::Standby
    }

    /// What an autoscaler says.
    pub(super) fn on_scale(
        &mut self,
        now: SimTime,
        from: NodeId,
        message: ScaleMessage,
        out: &mut Outbox<Message>,
    ) {
        match message {
            ScaleMessage::Start => self.scale_start(now, out),
            ScaleMessage::Stop => self.scale_stop(now, out),
            ScaleMessage::Sample { sample } => {
                let in_progress = self.pool.busy_workers() + self.pool.queue_depth();
                let usage = ScaleMessage::Usage {
                    sample,
                    answered: self.answered,
                    in_progress: u32::try_from(in_progress).unwrap_or(u32::MAX),
                    cpu_busy_ns: self.cpu_busy_ns,
                };
                out.send(from, Message::Control(Control::Scale(usage)));
            }
            // Only an autoscaler reads usage.
            ScaleMessage::Usage { .. } => {}
        }
    }

    /// A new pod: callers add it to their endpoints, and it takes requests once its start time
    /// has passed and its readiness probe answers, as after a restart.
    fn scale_start(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        if self.deployment != Deployment::Standby {
            return;
        }
        self.deployment = Deployment::Running;
        self.ready = self.config.readiness.is_none();
        self.tell_callers(true, out);
        out.record(Record::Event {
            kind: "scale_start",
            subject: self.name.clone(),
            detail: "started by the autoscaler".to_owned(),
        });
        self.restarted(now, out);
    }

    /// A deleted pod: it leaves the callers' endpoints at once and finishes the requests it
    /// holds (and any that were already on their way); at the grace period's end what remains
    /// is reset.
    fn scale_stop(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        if self.deployment != Deployment::Running {
            return;
        }
        self.deployment = Deployment::Draining;
        self.tell_callers(false, out);
        if self.config.readiness.is_some() {
            // Its readiness is announced again after a later start.
            self.announce(false, out);
        }
        let holding = self.pool.busy_workers() + self.pool.queue_depth();
        out.record(Record::Event {
            kind: "scale_stop",
            subject: self.name.clone(),
            detail: format!("stopped by the autoscaler, draining {holding} requests"),
        });
        out.set_timer(now + TERMINATION_GRACE_NS, ServiceTimer::Terminate.encode());
        self.drained(out);
    }

    /// Adds this instance to every caller's endpoints, or takes it away.
    fn tell_callers(&self, ready: bool, out: &mut Outbox<Message>) {
        for &node in &self.announce_to {
            out.send(
                node,
                Message::Control(Control::Endpoint {
                    node: self.node,
                    ready,
                }),
            );
        }
    }

    /// A draining instance that holds nothing more stops.
    pub(super) fn drained(&mut self, out: &mut Outbox<Message>) {
        if self.deployment == Deployment::Draining && self.jobs.is_empty() && self.pool.is_idle() {
            self.deployment = Deployment::Standby;
            self.ready = false;
            self.started_at = None;
            out.record(Record::Event {
                kind: "scale_stopped",
                subject: self.name.clone(),
                detail: "drained".to_owned(),
            });
        }
    }

    /// The grace period is over: what the instance still holds is reset, as a kill does.
    pub(super) fn terminate(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        if self.deployment != Deployment::Draining {
            return;
        }
        self.crash(now, out);
        self.deployment = Deployment::Standby;
        self.ready = false;
        out.record(Record::Event {
            kind: "scale_stopped",
            subject: self.name.clone(),
            detail: "killed at the end of its grace period".to_owned(),
        });
    }
}
