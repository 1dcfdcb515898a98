//! An instance's life: its process starts (and becomes ready), crashes, restarts, and the run
//! ends with some of its work still open.

use meshsim_record::{ReasonKind, Record};
use meshsim_sim::SimTime;

use super::call_try::CallTry;
use super::refusal::{Refusal, RefusedBy};
use super::timer::ServiceTimer;
use super::{CacheStep, Job, ServiceInstance, seconds_text};
use crate::message::{Control, Message};
use crate::outbox::Outbox;
use crate::served_counters::ServedCounters;
use crate::timer::TimerCode;

impl ServiceInstance {
    /// The process started: with a readiness probe, it is not ready until its start time has
    /// passed and its dependencies answer.
    pub(super) fn starting(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        self.started_at = Some(now);
        if let Some(readiness) = &self.config.readiness {
            self.ready = false;
            out.set_timer(
                now + readiness.start_time_ns,
                ServiceTimer::Startup.encode(),
            );
        }
    }

    /// Tells every caller's sidecar (and broker) whether this instance is ready.
    pub(super) fn announce(&self, ready: bool, out: &mut Outbox<Message>) {
        for &node in &self.announce_to {
            out.send(
                node,
                Message::Control(Control::Ready {
                    node: self.node,
                    ready,
                }),
            );
        }
    }

    /// Becomes ready if the start time has passed and every dependency takes calls.
    pub(super) fn probe(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let Some(readiness) = &self.config.readiness else {
            return;
        };
        let Some(started_at) = self.started_at else {
            return;
        };
        if self.ready || now < started_at + readiness.start_time_ns {
            return;
        }
        if !readiness
            .depends_on
            .iter()
            .all(|&upstream| self.sidecar.has_live(upstream))
        {
            return;
        }
        self.ready = true;
        self.announce(true, out);
        out.record(Record::Event {
            kind: "ready",
            subject: self.name.clone(),
            detail: format!("ready {} after its start", seconds_text(now - started_at)),
        });
    }

    /// The run ends: what is still in flight here, for each order's story.
    pub(super) fn report_unfinished(&self, out: &mut Outbox<Message>) {
        // Sagas still going, in workers or in the log of a dead process.
        let running = self
            .jobs
            .iter()
            .filter(|(_, job)| job.saga.is_some())
            .map(|(_, job)| job.request.context)
            .chain(self.saga_log.iter().map(|(request, _)| request.context));
        for context in running {
            out.record(Record::OrderFact {
                group: self.group(),
                order: context.trace(),
                fact: "saga_in_flight",
                count: 1,
            });
        }
        // Requests still being served or waiting: work for their orders not done yet.
        let serving = self
            .jobs
            .iter()
            .filter(|(_, job)| job.saga.is_none())
            .map(|(_, job)| job.request.context)
            .chain(self.pool.queued().map(|waiting| waiting.request.context));
        for context in serving {
            out.record(Record::OrderFact {
                group: self.group(),
                order: context.trace(),
                fact: "request_in_flight",
                count: 1,
            });
        }
    }

    /// A new process after a crash: it starts over, and undoes the sagas it had begun.
    pub(super) fn restarted(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        debug_assert!(self.jobs.is_empty() && self.pool.is_idle());
        self.starting(now, out);
        if let Some(inbound) = &mut self.inbound {
            inbound.restarted(now);
        }
        // The saga log is read back: each interrupted saga is undone, in the background.
        for (request, mut run) in std::mem::take(&mut self.saga_log) {
            let next = run.retry();
            let key = self.jobs.insert(Job {
                from: self.node,
                request,
                arrived_at: now,
                started_at: now,
                work_ns: 0,
                next_call: 0,
                saga: Some(Box::new(run)),
                detached: true,
                failing: None,
                cache: CacheStep::Off,
                call: CallTry::NONE,
                members: Vec::new(),
                degraded: false,
            });
            self.pool.take_for_background();
            self.saga_next(now, key, next, out);
        }
    }

    /// The process dies. The kernel resets every connection it held, so each waiting caller
    /// learns at once (one hop later); the queue, the workers' work and the calls in flight are
    /// gone.
    pub(super) fn crash(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        // The counters lived in the process: a scrape after the restart sees them reset, and
        // the rate limiter's windows start empty.
        if let Some(served) = &mut self.served {
            **served = ServedCounters::default();
        }
        if let Some(inbound) = &mut self.inbound {
            inbound.crashed();
        }
        self.started_at = None;
        if self.config.readiness.is_some() {
            // The readiness probe fails from now on: callers take the instance out of their
            // endpoints, and it must become ready again after its restart.
            self.ready = false;
            self.announce(false, out);
        }
        debug_assert_eq!(
            self.jobs.len(),
            self.pool.busy_workers(),
            "a job per busy worker"
        );
        self.cpu.clear();
        let mut jobs = self.jobs.drain();
        // The saga log is durable: the sagas in progress survive, to be undone on restart.
        for job in &mut jobs {
            if let Some(mut run) = job.saga.take() {
                run.interrupted();
                self.saga_log.push((job.request, *run));
            }
        }
        jobs.retain(|job| !job.detached);
        // The pool's gauges go back to zero now; the resets below are sends, not records, so
        // the records keep the order they had when the gauges came after the resets.
        let waiting = self.pool.reset(out);
        let held = jobs.into_iter().map(|job| (job.from, job.request)).chain(
            waiting
                .into_iter()
                .map(|waiting| (waiting.from, waiting.request)),
        );
        // The kernel resets every connection the process held, in workers or in the queue.
        let reset = Refusal::new(503, ReasonKind::Reset, RefusedBy::Kernel);
        for (from, request) in held {
            self.refuse(now, from, &request, reset, out);
        }
        self.sidecar.clear(now, out);
    }
}
