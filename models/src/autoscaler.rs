//! A Kubernetes `HorizontalPodAutoscaler` as a node of the simulated world.
//!
//! Every sync period (`--horizontal-pod-autoscaler-sync-period`, 15 s) it reads what it sampled
//! from the instances it runs a second before (over the network, as metrics-server's scrape:
//! a partitioned instance goes unread), computes the count the readings ask for and the count
//! the behaviour allows (`hpa.rs`), and starts or stops instances to reach it. It acts only
//! through messages: an instance told to start goes through its start time and readiness, and
//! one told to stop drains (`service/scaling.rs`).
//!
//! A started instance counts as unready until its start time has passed (Kubernetes'
//! unready pods: they neither pull the average down nor count as idle, except on a scale-up).
//! Rates (requests per second, CPU) are the difference between an instance's last two
//! samples; an instance with one sample only, or none this sync, has no reading ("missing").

mod hpa;
#[cfg(test)]
mod hpa_tests;
#[cfg(test)]
mod tests;
mod timer;

use meshsim_record::{Record, VersionKey};
use meshsim_sim::{Input, NodeId, SimTime};

use crate::message::{Control, Message, ScaleMessage};
use crate::outbox::Outbox;
use crate::timer::{TimerCode, expect_own};
use hpa::{Reading, recommend};
use timer::AutoscalerTimer;

pub use hpa::{HpaSpec, PolicyKind, ScalingPolicy, ScalingRules, SelectPolicy};

/// The HPA reads the samples taken this long before each sync, so the answers are in.
const SAMPLE_LEAD_NS: u64 = 1_000_000_000;

/// What an autoscaler scales on, per instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScaleMetric {
    /// Average CPU utilization in percent of the instance's `cores` (a CPU request).
    Cpu { cores: f64 },
    /// Requests answered per second.
    Requests,
    /// Requests in progress (in workers and queued) at the sample.
    Concurrency,
}

impl ScaleMetric {
    fn name(self) -> &'static str {
        match self {
            ScaleMetric::Cpu { .. } => "cpu",
            ScaleMetric::Requests => "requests",
            ScaleMetric::Concurrency => "concurrency",
        }
    }
}

/// One autoscaler: the version it scales and how.
#[derive(Debug, Clone)]
pub struct AutoscalerConfig {
    /// `service/version`, for `events.csv`.
    pub subject: String,
    pub key: VersionKey,
    pub metric: ScaleMetric,
    pub spec: HpaSpec,
    /// The version's instances, `max_replicas` of them; the first `initial` run from the start.
    pub instances: Vec<NodeId>,
    pub initial: u32,
    pub sync_period_ns: u64,
    /// How long an instance takes from its start to ready.
    pub start_time_ns: u64,
}

/// Where one instance is, as the autoscaler knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pod {
    Standby,
    /// Started at this time: unready until its start time has passed.
    Running {
        since: SimTime,
    },
    /// Told to stop: it may take requests until the grace period ends, and is not started
    /// again before.
    Stopping {
        until: SimTime,
    },
}

/// One sample an instance answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sample {
    sync: u64,
    answered: u64,
    in_progress: u32,
    cpu_busy_ns: u64,
}

pub struct Autoscaler {
    config: AutoscalerConfig,
    hpa: hpa::Hpa,
    pods: Vec<Pod>,
    /// Per instance: the newest sample and the one before it.
    latest: Vec<Option<Sample>>,
    previous: Vec<Option<Sample>>,
}

impl Autoscaler {
    pub fn new(config: AutoscalerConfig) -> Self {
        let count = config.instances.len();
        let pods = (0..count)
            .map(|index| {
                if index < config.initial as usize {
                    Pod::Running {
                        since: SimTime::ZERO,
                    }
                } else {
                    Pod::Standby
                }
            })
            .collect();
        Autoscaler {
            hpa: hpa::Hpa::new(config.spec.clone()),
            pods,
            latest: vec![None; count],
            previous: vec![None; count],
            config,
        }
    }

    // Inputs are handed over by value, as the engine gives them up.
    #[allow(clippy::needless_pass_by_value)]
    pub fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match input {
            Input::Start => {
                out.record(Record::Replicas {
                    key: self.config.key,
                    count: self.config.initial,
                });
                self.schedule(1, out);
            }
            Input::Timer(id) => match expect_own(id, "an autoscaler") {
                AutoscalerTimer::Sample(sync) => self.sample(sync, out),
                AutoscalerTimer::Sync(sync) => {
                    self.sync(now, sync, out);
                    self.schedule(sync + 1, out);
                }
            },
            Input::Message {
                from,
                message:
                    Message::Control(Control::Scale(ScaleMessage::Usage {
                        sample,
                        answered,
                        in_progress,
                        cpu_busy_ns,
                    })),
            } => {
                if let Some(index) = self.config.instances.iter().position(|&n| n == from) {
                    let sample = Sample {
                        sync: u64::from(sample),
                        answered,
                        in_progress,
                        cpu_busy_ns,
                    };
                    if self.latest[index].is_none_or(|latest| latest.sync < sample.sync) {
                        self.previous[index] = self.latest[index].replace(sample);
                    }
                }
            }
            Input::Message { .. }
            | Input::Refused { .. }
            | Input::Crashed
            | Input::Restarted
            | Input::Membership { .. }
            | Input::Finish => {}
        }
    }

    /// Sets the timers of sync `sync`: its samples a second before it.
    fn schedule(&self, sync: u64, out: &mut Outbox<Message>) {
        let at = SimTime::from_nanos(sync * self.config.sync_period_ns);
        let sample_at = SimTime::from_nanos(at.as_nanos().saturating_sub(SAMPLE_LEAD_NS));
        out.set_timer(sample_at, AutoscalerTimer::Sample(sync).encode());
        out.set_timer(at, AutoscalerTimer::Sync(sync).encode());
    }

    /// Asks every running instance for its usage.
    fn sample(&self, sync: u64, out: &mut Outbox<Message>) {
        let sample = u32::try_from(sync).unwrap_or(u32::MAX);
        for (index, pod) in self.pods.iter().enumerate() {
            if matches!(pod, Pod::Running { .. }) {
                out.send(
                    self.config.instances[index],
                    Message::Control(Control::Scale(ScaleMessage::Sample { sample })),
                );
            }
        }
    }

    /// What a running instance reads at sync `sync`.
    fn reading(&self, now: SimTime, sync: u64, index: usize, since: SimTime) -> Reading {
        if now < since + self.config.start_time_ns {
            return Reading::Unready;
        }
        let Some(latest) = self.latest[index].filter(|sample| sample.sync == sync) else {
            return Reading::Missing;
        };
        let rate = |value: fn(&Sample) -> u64| -> Option<(f64, f64)> {
            let previous = self.previous[index]?;
            let elapsed_ns = (latest.sync - previous.sync) * self.config.sync_period_ns;
            let delta = value(&latest).checked_sub(value(&previous))?;
            Some((delta as f64, elapsed_ns as f64))
        };
        let value = match self.config.metric {
            ScaleMetric::Concurrency => Some(f64::from(latest.in_progress)),
            ScaleMetric::Requests => {
                rate(|sample| sample.answered).map(|(delta, ns)| delta / (ns / 1e9))
            }
            ScaleMetric::Cpu { cores } => {
                rate(|sample| sample.cpu_busy_ns).map(|(delta, ns)| 100.0 * delta / (cores * ns))
            }
        };
        value.map_or(Reading::Missing, Reading::Ready)
    }

    /// One sync: read, decide, act, and say so.
    fn sync(&mut self, now: SimTime, sync: u64, out: &mut Outbox<Message>) {
        for pod in &mut self.pods {
            if let Pod::Stopping { until } = *pod
                && now >= until
            {
                *pod = Pod::Standby;
            }
        }
        let readings: Vec<Reading> = (0..self.pods.len())
            .filter_map(|index| match self.pods[index] {
                Pod::Running { since } => Some(self.reading(now, sync, index, since)),
                _ => None,
            })
            .collect();
        let current = readings.len() as u32;
        let ready: Vec<f64> = readings
            .iter()
            .filter_map(|reading| match reading {
                Reading::Ready(value) => Some(*value),
                _ => None,
            })
            .collect();
        let Some(recommended) = recommend(current, &readings, self.hpa.spec().target) else {
            return;
        };
        let decision = self.hpa.normalize(now, current, recommended);
        if decision.desired == current && !decision.stabilized {
            return;
        }
        let average = ready.iter().sum::<f64>() / ready.len() as f64;
        let held = if decision.stabilized {
            format!(", held by stabilization (recommended {recommended})")
        } else {
            String::new()
        };
        out.record(Record::Event {
            kind: "scale",
            subject: self.config.subject.clone(),
            detail: format!(
                "{} {:.1} (target {}), {current} → {} replicas{held}",
                self.config.metric.name(),
                average,
                self.hpa.spec().target,
                decision.desired
            ),
        });
        if decision.desired != current {
            self.act(now, current, decision.desired, out);
        }
    }

    /// Starts standby instances (the lowest-numbered first) or stops the newest running ones.
    fn act(&mut self, now: SimTime, current: u32, desired: u32, out: &mut Outbox<Message>) {
        let mut count = current;
        if desired > current {
            for index in 0..self.pods.len() {
                if count == desired {
                    break;
                }
                if self.pods[index] == Pod::Standby {
                    self.pods[index] = Pod::Running { since: now };
                    self.latest[index] = None;
                    self.previous[index] = None;
                    self.tell(index, ScaleMessage::Start, out);
                    count += 1;
                }
            }
        } else {
            for index in (0..self.pods.len()).rev() {
                if count == desired {
                    break;
                }
                if matches!(self.pods[index], Pod::Running { .. }) {
                    self.pods[index] = Pod::Stopping {
                        until: now + crate::service::TERMINATION_GRACE_NS,
                    };
                    self.tell(index, ScaleMessage::Stop, out);
                    count -= 1;
                }
            }
        }
        out.record(Record::Replicas {
            key: self.config.key,
            count,
        });
    }

    fn tell(&self, index: usize, message: ScaleMessage, out: &mut Outbox<Message>) {
        out.send(
            self.config.instances[index],
            Message::Control(Control::Scale(message)),
        );
    }
}
