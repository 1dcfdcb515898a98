//! A rollout controller: Flagger's canary, blue/green and strangler analysis, and a
//! Kubernetes-style rolling update, as a node of the simulated world.
//!
//! It acts only on what it can see: every `interval` it reads the request counters it scraped
//! from the new version's instances (over the network, so a partitioned instance goes unseen)
//! and runs its checks on the difference from the previous scrape, as Flagger reads Prometheus.
//! It acts only through the network too: route changes and endpoint changes are messages to
//! every caller's sidecar, which apply them when they arrive.
//!
//! The schedule follows Flagger's scheduler (`advanceCanary`): at `start` the new revision is
//! detected; at the first interval after it the first step is taken without analysis (no
//! traffic has reached the canary yet); at each later interval the rollback threshold is
//! checked first, then the analysis runs, and only a passing analysis advances. A canary
//! promoted at `max_weight` takes all traffic one interval after its last step, so the fastest
//! promotion is `interval × (steps + 1)` after `start`, and a canary failing every check is
//! rolled back `interval × threshold` after its first failed check.

use std::ops::Range;

use meshsim_record::{Record, RolloutOutcome, VersionKey};
use meshsim_sim::{Input, NodeId, SimTime};

use crate::message::{Message, RouteChange, RouteUpdate};
use crate::outbox::Outbox;
use crate::served_counters::{SCRAPE_PARTS, ServedCounters};
use crate::timer::{TimerKind, decode, timer};

/// The analysis reads the counters scraped this long before each interval, so the answers
/// are in when it runs (Prometheus's data is always a scrape old).
pub const SCRAPE_LEAD_NS: u64 = 1_000_000_000;

/// What a check measures on the new version over the last interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CheckMetric {
    /// Answers below 500 over all answers, 0 to 1 (Flagger's `request-success-rate`).
    SuccessRate,
    ErrorRate,
    /// A latency quantile in ms (Flagger's `request-duration` is the p99).
    LatencyQuantileMs(f64),
    LatencyMeanMs,
    /// Requests answered in the interval.
    Requests,
}

impl CheckMetric {
    fn measure(self, window: &ServedCounters) -> Option<f64> {
        match self {
            CheckMetric::SuccessRate => window.success_rate(),
            CheckMetric::ErrorRate => window.success_rate().map(|rate| 1.0 - rate),
            CheckMetric::LatencyQuantileMs(quantile) => window.quantile_ms(quantile),
            CheckMetric::LatencyMeanMs => window.mean_ms(),
            CheckMetric::Requests => Some(window.requests as f64),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RolloutCheck {
    /// The metric's name as the scenario wrote it, for `events.csv`.
    pub name: String,
    pub metric: CheckMetric,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// What a rolling update does when its checks fail `threshold` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    Rollback,
    /// Stop where it is (Docker swarm's default).
    Pause,
    /// Ignore the failures.
    Continue,
}

#[derive(Debug, Clone)]
pub enum RolloutStrategy {
    /// The new version's successive weights; the last is `max_weight`.
    Canary { steps: Vec<f64> },
    /// Flagger's iterations: analysis runs this many intervals on test traffic before the
    /// switch.
    BlueGreen { iterations: u32 },
    Rolling {
        max_surge: u32,
        max_unavailable: u32,
        readiness_delay_ns: u64,
        failure_action: FailureAction,
    },
    /// The share of the monolith's calls moved to the new service, step by step.
    Strangler { steps: Vec<f64> },
}

#[derive(Debug, Clone)]
pub struct RolloutConfig {
    /// The rollout's number, as the scenario lists them.
    pub index: u32,
    /// The service whose routes change (for a strangler, the monolith), and its name.
    pub service: u32,
    pub service_name: String,
    /// The old and the new version's names, and their instances (indices into the service's).
    pub from_name: String,
    pub to_name: String,
    pub from: Range<u32>,
    pub to: Range<u32>,
    /// The old and new version's keys, for the route weight each gets.
    pub from_key: VersionKey,
    pub to_key: VersionKey,
    /// The old and the new version's instances as nodes (a rolling update's pods).
    pub from_nodes: Vec<NodeId>,
    pub to_nodes: Vec<NodeId>,
    /// The instances whose counters the analysis reads: the new version's.
    pub watched: Vec<NodeId>,
    /// Every node that holds routes or endpoints for the service: callers' sidecars (and a
    /// broker delivering to it).
    pub callers: Vec<NodeId>,
    pub start_ns: u64,
    pub interval_ns: u64,
    pub threshold: u32,
    pub checks: Vec<RolloutCheck>,
    pub strategy: RolloutStrategy,
}

/// A pod of a rolling update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pod {
    Stopped,
    /// Started; ready once its readiness delay has passed.
    Starting,
    Ready,
}

pub struct RolloutController {
    config: RolloutConfig,
    outcome: RolloutOutcome,
    /// Intervals since `start`.
    tick: u64,
    failed_checks: u32,
    /// The new version's current weight (canary, strangler); Flagger's `canaryWeight`.
    weight: f64,
    /// Blue/green: intervals of analysis passed; Flagger's `iterations`.
    iterations: u32,
    /// Whether any analysis has run: the first interval only takes the first step.
    analysed: bool,
    /// Whether a rolling update stopped on failed checks.
    paused: bool,
    /// Whether a rolling update is being undone.
    reverting: bool,
    scrape: u32,
    /// The newest counters each watched instance answered, and the scrape they answered.
    latest: Vec<(u32, ServedCounters)>,
    /// The counters as of the previous analysis: the window is the difference.
    baseline: Vec<ServedCounters>,
    /// The answer being put together from its parts, per watched instance: its scrape, the
    /// parts, and which have arrived.
    assembling: Vec<(u32, [[u64; 4]; SCRAPE_PARTS], u32)>,
    /// Rolling: the old and new version's pods, and each pod's start generation.
    old_pods: Vec<Pod>,
    new_pods: Vec<Pod>,
    generations: Vec<u32>,
}

impl RolloutController {
    pub fn new(config: RolloutConfig) -> Self {
        let watched = config.watched.len();
        let rolling = matches!(config.strategy, RolloutStrategy::Rolling { .. });
        let old_pods = vec![Pod::Ready; if rolling { config.from_nodes.len() } else { 0 }];
        let new_pods = vec![Pod::Stopped; if rolling { config.to_nodes.len() } else { 0 }];
        let pods = config.from_nodes.len() + config.to_nodes.len();
        RolloutController {
            outcome: RolloutOutcome::InProgress,
            tick: 0,
            failed_checks: 0,
            weight: 0.0,
            iterations: 0,
            analysed: false,
            paused: false,
            reverting: false,
            scrape: 0,
            latest: vec![(0, ServedCounters::default()); watched],
            baseline: vec![ServedCounters::default(); watched],
            assembling: vec![(0, [[0; 4]; SCRAPE_PARTS], 0); watched],
            old_pods,
            new_pods,
            generations: vec![0; pods],
            config,
        }
    }

    // Inputs are handed over by value, as the engine gives them up.
    #[allow(clippy::needless_pass_by_value)]
    pub fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match input {
            Input::Start => {
                let start = SimTime::from_nanos(self.config.start_ns);
                out.set_timer(start, timer(TimerKind::RolloutTick, 0));
                let first_scrape = self.config.start_ns.saturating_sub(SCRAPE_LEAD_NS);
                out.set_timer(
                    SimTime::from_nanos(first_scrape),
                    timer(TimerKind::RolloutScrape, 0),
                );
            }
            Input::Timer(id) => match decode(id) {
                (Some(TimerKind::RolloutTick), _) => self.on_tick(now, out),
                (Some(TimerKind::RolloutScrape), _) => self.send_scrapes(out),
                (Some(TimerKind::RolloutReady), payload) => self.on_ready(now, payload, out),
                (kind, _) => unreachable!("a rollout controller got a {kind:?} timer"),
            },
            Input::Message {
                from,
                message:
                    Message::Scraped {
                        scrape,
                        part,
                        values,
                    },
            } => self.scraped(from, scrape, part, values),
            // Nobody calls a controller, and its own messages are fire and forget; crashes of
            // the controller itself are not simulated (a fault cannot name it).
            Input::Message { .. }
            | Input::Refused { .. }
            | Input::Crashed
            | Input::Restarted
            | Input::Membership { .. }
            | Input::Finish => {}
        }
    }

    /// A part of an instance's answer to a scrape; the answer counts once all parts are in.
    fn scraped(&mut self, from: NodeId, scrape: u32, part: u8, values: [u64; 4]) {
        let Some(index) = self.config.watched.iter().position(|&node| node == from) else {
            return;
        };
        let assembly = &mut self.assembling[index];
        if scrape > assembly.0 {
            *assembly = (scrape, [[0; 4]; SCRAPE_PARTS], 0);
        }
        if scrape != assembly.0 {
            return;
        }
        assembly.1[usize::from(part)] = values;
        assembly.2 |= 1 << part;
        let complete = assembly.2 == (1u32 << SCRAPE_PARTS) - 1;
        if complete && scrape >= self.latest[index].0 {
            self.latest[index] = (scrape, ServedCounters::from_parts(&assembly.1));
        }
    }

    fn send_scrapes(&mut self, out: &mut Outbox<Message>) {
        self.scrape += 1;
        for &node in &self.config.watched {
            out.send(
                node,
                Message::Scrape {
                    scrape: self.scrape,
                },
            );
        }
    }

    /// What the watched instances answered since the previous analysis; moves the baseline.
    fn take_window(&mut self) -> ServedCounters {
        let mut window = ServedCounters::default();
        for (index, (_, latest)) in self.latest.iter().enumerate() {
            window.add(&latest.since(&self.baseline[index]));
            self.baseline[index] = *latest;
        }
        window
    }

    fn on_tick(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let tick = self.tick;
        self.tick += 1;
        let window = self.take_window();
        if self.outcome != RolloutOutcome::InProgress || self.paused {
            return;
        }
        // The next interval, and the scrape it will read.
        let next = now + self.config.interval_ns;
        out.set_timer(next, timer(TimerKind::RolloutTick, self.tick));
        out.set_timer(
            SimTime::from_nanos(next.as_nanos().saturating_sub(SCRAPE_LEAD_NS)).max(now),
            timer(TimerKind::RolloutScrape, self.tick),
        );
        if tick == 0 {
            self.begin(now, out);
            return;
        }
        match self.config.strategy.clone() {
            RolloutStrategy::Canary { steps } | RolloutStrategy::Strangler { steps } => {
                self.advance_weighted(now, &steps, &window, out);
            }
            RolloutStrategy::BlueGreen { iterations } => {
                self.advance_blue_green(now, iterations, &window, out);
            }
            RolloutStrategy::Rolling { failure_action, .. } => {
                self.analyse_rolling(now, failure_action, &window, out);
            }
        }
    }

    /// The new revision is detected: say what the rollout will do, set its starting state.
    fn begin(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let config = &self.config;
        let plan = match &config.strategy {
            RolloutStrategy::Canary { steps } | RolloutStrategy::Strangler { steps } => format!(
                "steps {} every {}",
                steps
                    .iter()
                    .map(|step| format!("{}%", trim(*step)))
                    .collect::<Vec<_>>()
                    .join(", "),
                seconds(config.interval_ns)
            ),
            RolloutStrategy::BlueGreen { iterations } => format!(
                "{iterations} intervals of {} on test traffic, then all traffic",
                seconds(config.interval_ns)
            ),
            RolloutStrategy::Rolling {
                max_surge,
                max_unavailable,
                ..
            } => format!("max_surge {max_surge}, max_unavailable {max_unavailable}"),
        };
        let threshold = self.config.threshold;
        let detail = format!(
            "{} -> {}: {plan}, rollback after {threshold} failed check{}",
            self.config.from_name,
            self.config.to_name,
            if threshold == 1 { "" } else { "s" }
        );
        self.event(out, "rollout_start", detail);
        self.record_state(out);
        if matches!(self.config.strategy, RolloutStrategy::Rolling { .. }) {
            self.reconcile(now, out);
        }
    }

    /// Flagger's checks on the window; logs each failure. `None`: no traffic reached the new
    /// version, which Flagger treats as a failed check ("no values found").
    fn analyse(&mut self, window: &ServedCounters, out: &mut Outbox<Message>) -> bool {
        self.analysed = true;
        let mut passed = true;
        let mut results = Vec::with_capacity(self.config.checks.len());
        for check in &self.config.checks {
            let value = check.metric.measure(window);
            let ok = value.is_some_and(|value| {
                check.min.is_none_or(|min| value >= min) && check.max.is_none_or(|max| value <= max)
            });
            passed &= ok;
            let shown = value.map_or_else(|| "no traffic".to_owned(), round);
            results.push(format!(
                "{} {shown} {}",
                check.name,
                if ok { "ok" } else { "FAILED" }
            ));
        }
        if !passed {
            self.failed_checks += 1;
        }
        let verdict = if passed {
            "passed".to_owned()
        } else {
            format!(
                "failed ({} of {})",
                self.failed_checks, self.config.threshold
            )
        };
        let detail = format!(
            "{verdict}: {} requests; {}",
            window.requests,
            if results.is_empty() {
                "no checks".to_owned()
            } else {
                results.join(", ")
            }
        );
        self.event(out, "rollout_check", detail);
        self.record_state(out);
        passed
    }

    fn advance_weighted(
        &mut self,
        now: SimTime,
        steps: &[f64],
        window: &ServedCounters,
        out: &mut Outbox<Message>,
    ) {
        if self.failed_checks >= self.config.threshold {
            self.roll_back(now, out);
            return;
        }
        // The first step is taken without analysis: nothing reached the new version yet.
        if self.weight > 0.0 || self.analysed {
            if !self.analyse(window, out) {
                return;
            }
        } else {
            self.analysed = true;
        }
        match steps.iter().copied().find(|&step| step > self.weight) {
            Some(step) => {
                self.weight = step;
                let change = self.weight_change(step);
                self.send_routes(change, out);
                self.record_weights(step, out);
                let detail = format!("{} weight {}%", self.config.to_name, trim(step));
                self.event(out, "rollout_step", detail);
            }
            None => self.promote(now, out),
        }
    }

    fn weight_change(&self, percent: f64) -> RouteChange {
        match self.config.strategy {
            RolloutStrategy::Strangler { .. } => RouteChange::Redirect { percent },
            _ => RouteChange::Weight { percent },
        }
    }

    fn advance_blue_green(
        &mut self,
        now: SimTime,
        iterations: u32,
        window: &ServedCounters,
        out: &mut Outbox<Message>,
    ) {
        if self.failed_checks >= self.config.threshold {
            self.roll_back(now, out);
            return;
        }
        if self.iterations > 0 && !self.analyse(window, out) {
            return;
        }
        match self.iterations.cmp(&iterations) {
            std::cmp::Ordering::Less => {
                self.iterations += 1;
                let detail = format!("iteration {} of {iterations}", self.iterations);
                self.event(out, "rollout_step", detail);
            }
            std::cmp::Ordering::Equal => {
                // Flagger's "Routing all traffic to canary": the switch, still under analysis.
                self.iterations += 1;
                self.weight = 100.0;
                self.send_routes(RouteChange::Promote, out);
                self.record_weights(100.0, out);
                let detail = format!("all traffic switched to {}", self.config.to_name);
                self.event(out, "rollout_step", detail);
            }
            std::cmp::Ordering::Greater => self.finish(now, RolloutOutcome::Promoted, out),
        }
    }

    fn promote(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let change = match self.config.strategy {
            RolloutStrategy::Strangler { .. } => RouteChange::Redirect { percent: 100.0 },
            _ => RouteChange::Promote,
        };
        self.weight = 100.0;
        self.send_routes(change, out);
        self.record_weights(100.0, out);
        self.finish(now, RolloutOutcome::Promoted, out);
    }

    fn roll_back(&mut self, now: SimTime, out: &mut Outbox<Message>) {
        let change = match self.config.strategy {
            RolloutStrategy::Strangler { .. } => RouteChange::Redirect { percent: 0.0 },
            _ => RouteChange::Revert,
        };
        self.weight = 0.0;
        self.send_routes(change, out);
        self.record_weights(0.0, out);
        self.finish(now, RolloutOutcome::RolledBack, out);
    }

    fn finish(&mut self, now: SimTime, outcome: RolloutOutcome, out: &mut Outbox<Message>) {
        self.outcome = outcome;
        let after = now.as_nanos().saturating_sub(self.config.start_ns);
        let detail = match outcome {
            RolloutOutcome::Promoted => format!(
                "{} promoted after {}: it takes all traffic",
                self.config.to_name,
                seconds(after)
            ),
            RolloutOutcome::RolledBack => format!(
                "{} rolled back after {} and {} failed check{}: {} takes all traffic",
                self.config.to_name,
                seconds(after),
                self.failed_checks,
                if self.failed_checks == 1 { "" } else { "s" },
                self.config.from_name
            ),
            RolloutOutcome::InProgress => unreachable!("finishing in progress"),
        };
        let kind = match outcome {
            RolloutOutcome::Promoted => "rollout_promote",
            _ => "rollout_rollback",
        };
        self.event(out, kind, detail);
        self.record_state(out);
    }

    fn send_routes(&self, change: RouteChange, out: &mut Outbox<Message>) {
        let update = RouteUpdate {
            service: self.config.service,
            change,
            from: (self.config.from.start, self.config.from.end),
            to: (self.config.to.start, self.config.to.end),
        };
        for &caller in &self.config.callers {
            out.send(caller, Message::Routes(update));
        }
    }

    fn record_weights(&self, to_percent: f64, out: &mut Outbox<Message>) {
        let basis_points = |percent: f64| (percent * 100.0).round() as u32;
        out.record(Record::RouteWeight {
            key: self.config.to_key,
            basis_points: basis_points(to_percent),
        });
        if self.config.from_key != self.config.to_key {
            out.record(Record::RouteWeight {
                key: self.config.from_key,
                basis_points: basis_points(100.0 - to_percent),
            });
        }
    }

    fn record_state(&self, out: &mut Outbox<Message>) {
        out.record(Record::Rollout {
            rollout: self.config.index,
            outcome: self.outcome,
            failed_checks: self.failed_checks,
        });
    }

    fn event(&self, out: &mut Outbox<Message>, kind: &'static str, detail: String) {
        out.record(Record::Event {
            kind,
            subject: self.config.service_name.clone(),
            detail,
        });
    }

    // ----- rolling update -----

    fn analyse_rolling(
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
    fn reconcile(&mut self, now: SimTime, out: &mut Outbox<Message>) {
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
    fn record_pod_weights(&self, out: &mut Outbox<Message>) {
        let ready = |pods: &[Pod]| pods.iter().filter(|&&pod| pod == Pod::Ready).count();
        let (old, new) = (ready(&self.old_pods), ready(&self.new_pods));
        if old + new > 0 {
            self.record_weights(100.0 * new as f64 / (old + new) as f64, out);
        }
    }

    /// The pod list being brought up, its nodes, and the offset of its generations.
    fn incoming(&mut self) -> (&mut Vec<Pod>, &[NodeId], usize) {
        if self.reverting {
            (&mut self.old_pods, &self.config.from_nodes, 0)
        } else {
            let offset = self.config.from_nodes.len();
            (&mut self.new_pods, &self.config.to_nodes, offset)
        }
    }

    fn start_pod(&mut self, now: SimTime, readiness_delay_ns: u64, out: &mut Outbox<Message>) {
        let (pods, nodes, offset) = self.incoming();
        let index = pods
            .iter()
            .position(|&pod| pod == Pod::Stopped)
            .expect("a stopped pod to start");
        pods[index] = Pod::Starting;
        let node = nodes[index];
        let slot = offset + index;
        self.generations[slot] += 1;
        let payload = (u64::from(self.generations[slot]) << 24) | slot as u64;
        out.set_timer(
            now + readiness_delay_ns,
            timer(TimerKind::RolloutReady, payload),
        );
        let detail = format!(
            "{} started, ready in {}",
            self.pod_name(node),
            seconds(readiness_delay_ns)
        );
        self.event(out, "rollout_instance", detail);
    }

    fn stop_pod(&mut self, out: &mut Outbox<Message>) {
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
                out.send(caller, Message::Endpoint { node, ready: false });
            }
        }
        let detail = if was_ready {
            format!("{} stopped", self.pod_name(node))
        } else {
            format!("{} stopped before it was ready", self.pod_name(node))
        };
        self.event(out, "rollout_instance", detail);
    }

    fn on_ready(&mut self, now: SimTime, payload: u64, out: &mut Outbox<Message>) {
        let slot = (payload & ((1 << 24) - 1)) as usize;
        let generation = (payload >> 24) as u32;
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
            out.send(caller, Message::Endpoint { node, ready: true });
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
    fn pod_name(&self, node: NodeId) -> String {
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

fn seconds(ns: u64) -> String {
    format!("{}s", trim(ns as f64 / 1e9))
}

/// A number without trailing zeros: `10`, `12.5`.
fn trim(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A measured value as `events.csv` shows it: four significant decimals at most.
fn round(value: f64) -> String {
    trim((value * 10_000.0).round() / 10_000.0)
}

#[cfg(test)]
mod tests {
    use meshsim_record::VersionKey;
    use meshsim_sim::{GroupId, NodeId};

    use super::{RolloutConfig, RolloutController, RolloutStrategy, trim};
    use crate::served_counters::ServedCounters;

    fn controller() -> RolloutController {
        let key = VersionKey::new(GroupId(0), 0);
        let config = RolloutConfig {
            index: 0,
            service: 0,
            service_name: "api".into(),
            from_name: "v1".into(),
            to_name: "v2".into(),
            from: 0..1,
            to: 1..2,
            from_key: key,
            to_key: VersionKey::new(GroupId(0), 1),
            from_nodes: vec![NodeId(0)],
            to_nodes: vec![NodeId(1)],
            watched: vec![NodeId(1)],
            callers: vec![NodeId(2)],
            start_ns: 0,
            interval_ns: 10_000_000_000,
            threshold: 1,
            checks: Vec::new(),
            strategy: RolloutStrategy::Canary {
                steps: vec![50.0, 100.0],
            },
        };
        RolloutController::new(config)
    }

    #[test]
    fn a_scrape_counts_only_once_every_part_has_arrived() {
        let mut controller = controller();
        let mut counters = ServedCounters::default();
        for _ in 0..7 {
            counters.count(200, 2_000_000);
        }
        let parts = counters.to_parts();
        // Scrape 1 loses its fourth part: it never counts.
        for (part, values) in parts.iter().enumerate() {
            if part != 3 {
                controller.scraped(NodeId(1), 1, part as u8, *values);
            }
        }
        assert_eq!(controller.latest[0], (0, ServedCounters::default()));
        // Scrape 2 arrives whole, its parts out of order; a late part of scrape 1 changes
        // nothing.
        for (part, values) in parts.iter().enumerate().rev() {
            controller.scraped(NodeId(1), 2, part as u8, *values);
        }
        controller.scraped(NodeId(1), 1, 3, parts[3]);
        assert_eq!(controller.latest[0], (2, counters));
        // Only watched instances count.
        controller.scraped(NodeId(0), 3, 0, [9; 4]);
        assert_eq!(controller.latest[0].0, 2);
    }

    #[test]
    fn numbers_print_without_trailing_zeros() {
        assert_eq!(trim(10.0), "10");
        assert_eq!(trim(12.5), "12.5");
        assert_eq!(trim(0.125), "0.125");
    }
}
