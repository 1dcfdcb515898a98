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

mod config;
mod number_text;
mod rolling_update;
mod timer;

use meshsim_record::{Record, RolloutOutcome};
use meshsim_sim::{Input, NodeId, SimTime};

use crate::message::{Control, Message, RouteChange, RouteUpdate, ScrapeNumber};
use crate::outbox::Outbox;
use crate::served_counters::{SCRAPE_PARTS, ServedCounters};
use crate::timer::{TimerCode, expect_own};
use number_text::{round, seconds, trim};
use timer::RolloutTimer;

pub use config::{CheckMetric, FailureAction, RolloutCheck, RolloutConfig, RolloutStrategy};

/// The analysis reads the counters scraped this long before each interval, so the answers
/// are in when it runs (Prometheus's data is always a scrape old).
pub(crate) const SCRAPE_LEAD_NS: u64 = 1_000_000_000;

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
    scrape: ScrapeNumber,
    /// The newest counters each watched instance answered, and the scrape they answered.
    latest: Vec<(ScrapeNumber, ServedCounters)>,
    /// The counters as of the previous analysis: the window is the difference.
    baseline: Vec<ServedCounters>,
    /// The answer being put together from its parts, per watched instance: its scrape, the
    /// parts, and which have arrived.
    assembling: Vec<(ScrapeNumber, [[u64; 4]; SCRAPE_PARTS], u32)>,
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
            scrape: ScrapeNumber(0),
            latest: vec![(ScrapeNumber(0), ServedCounters::default()); watched],
            baseline: vec![ServedCounters::default(); watched],
            assembling: vec![(ScrapeNumber(0), [[0; 4]; SCRAPE_PARTS], 0); watched],
            old_pods,
            new_pods,
            generations: vec![0; pods],
            config,
        }
    }

    // Inputs are handed over by value, as the engine gives them up.
    #[allow(clippy::needless_pass_by_value)]
    pub(crate) fn handle(
        &mut self,
        now: SimTime,
        input: Input<Message>,
        out: &mut Outbox<Message>,
    ) {
        match input {
            Input::Start => {
                let start = SimTime::from_nanos(self.config.start_ns);
                out.set_timer(start, RolloutTimer::Tick(0).encode());
                let first_scrape = self.config.start_ns.saturating_sub(SCRAPE_LEAD_NS);
                out.set_timer(
                    SimTime::from_nanos(first_scrape),
                    RolloutTimer::Scrape(0).encode(),
                );
            }
            Input::Timer(id) => match expect_own(id, "a rollout controller") {
                RolloutTimer::Tick(_) => self.on_tick(now, out),
                RolloutTimer::Scrape(_) => self.send_scrapes(out),
                RolloutTimer::Ready { slot, generation } => {
                    self.on_ready(now, (slot, generation), out);
                }
            },
            Input::Message {
                from,
                message:
                    Message::Control(Control::Scraped {
                        scrape,
                        part,
                        values,
                    }),
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
    fn scraped(&mut self, from: NodeId, scrape: ScrapeNumber, part: u8, values: [u64; 4]) {
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
        self.scrape = ScrapeNumber(self.scrape.0 + 1);
        for &node in &self.config.watched {
            out.send(
                node,
                Message::Control(Control::Scrape {
                    scrape: self.scrape,
                }),
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
        out.set_timer(next, RolloutTimer::Tick(self.tick).encode());
        out.set_timer(
            SimTime::from_nanos(next.as_nanos().saturating_sub(SCRAPE_LEAD_NS)).max(now),
            RolloutTimer::Scrape(self.tick).encode(),
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
            out.send(caller, Message::Control(Control::Routes(update)));
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
}

#[cfg(test)]
mod tests;
