//! The event engine as a state machine: a tiny model that writes down every input it is handed
//! (and answers pings with pongs), a network, a fault timeline in; the records, in time order,
//! out.

use super::Engine;
use crate::control::{Control, ControlAction};
use crate::distribution::Distribution;
use crate::model::{Input, Model, NodeId, Outbox, TimerId};
use crate::network::Network;
use crate::rng::Seeder;
use crate::sink::Sink;
use crate::time::SimTime;

const MS: u64 = 1_000_000;

/// What a probe was handed, as its record.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Start,
    Message { from: u32, body: u32 },
    Refused { to: u32, body: u32 },
    Timer(u64),
    Crashed,
    Restarted,
    Membership { node: u32, up: bool },
    Finish,
}

/// The test model: on start it sets its timers; when one fires it sends the timer's id to its
/// peer; a message with a body under `pong_below` it answers with the body plus one.
#[derive(Default)]
struct Probe {
    node: u32,
    peer: Option<u32>,
    timers_ms: Vec<(u64, u64)>,
    pong_below: u32,
}

impl Model for Probe {
    type Message = u32;
    type Record = (u32, Seen);

    fn handle(&mut self, now: SimTime, input: Input<u32>, out: &mut Outbox<u32, (u32, Seen)>) {
        let seen = match input {
            Input::Start => {
                for &(at_ms, id) in &self.timers_ms {
                    out.set_timer(now + at_ms * MS, TimerId(id));
                }
                Seen::Start
            }
            Input::Message { from, message } => {
                if message < self.pong_below {
                    out.send(from, message + 1);
                }
                Seen::Message {
                    from: from.0,
                    body: message,
                }
            }
            Input::Refused { to, message } => Seen::Refused {
                to: to.0,
                body: message,
            },
            Input::Timer(id) => {
                if let Some(peer) = self.peer {
                    out.send(NodeId(peer), u32::try_from(id.0).unwrap_or(u32::MAX));
                }
                Seen::Timer(id.0)
            }
            Input::Crashed => Seen::Crashed,
            Input::Restarted => Seen::Restarted,
            Input::Membership { node, up } => Seen::Membership { node: node.0, up },
            Input::Finish => Seen::Finish,
        };
        out.record((self.node, seen));
    }
}

/// A sink that keeps everything, checking that time never runs backwards.
#[derive(Default)]
struct Tape {
    now: SimTime,
    records: Vec<(u64, u32, Seen)>,
    controls: Vec<(u64, &'static str)>,
}

impl Sink for Tape {
    type Record = (u32, Seen);

    fn advance(&mut self, now: SimTime) {
        assert!(
            now >= self.now,
            "time runs backwards: {now} after {}",
            self.now
        );
        self.now = now;
    }

    fn record(&mut self, now: SimTime, record: &(u32, Seen)) {
        assert_eq!(
            now, self.now,
            "a record at a time the sink was not advanced to"
        );
        self.records
            .push((now.as_nanos() / MS, record.0, record.1.clone()));
    }

    fn control(&mut self, now: SimTime, control: &Control) {
        self.controls
            .push((now.as_nanos() / MS, control.event_kind));
    }
}

impl Tape {
    /// What `node` saw, with the millisecond it saw it at, leaving out its start and finish.
    fn of(&self, node: u32) -> Vec<(u64, Seen)> {
        self.records
            .iter()
            .filter(|(_, at, seen)| *at == node && !matches!(seen, Seen::Start | Seen::Finish))
            .map(|(time_ms, _, seen)| (*time_ms, seen.clone()))
            .collect()
    }
}

/// `count` nodes in one group, every hop taking `latency`.
fn network(seed: u64, count: u32, latency: Distribution) -> Network {
    let mut network = Network::new(Seeder::new(seed), latency, 0.0);
    let group = network.add_group("probes", false, false);
    for index in 0..count {
        network.add_node(group, &format!("probe-{index}"));
    }
    network.set_discovery_delay_ns(3 * MS);
    network
}

fn control(at_ms: u64, action: ControlAction, event_kind: &'static str) -> Control {
    Control {
        at: SimTime::from_nanos(at_ms * MS),
        action,
        event_kind,
        subject: String::new(),
        detail: String::new(),
    }
}

fn probes(count: u32) -> Vec<Probe> {
    (0..count)
        .map(|node| Probe {
            node,
            ..Probe::default()
        })
        .collect()
}

/// Runs `models` for `end_ms` on a network of five-millisecond hops, then finishes the run.
fn run(models: Vec<Probe>, controls: Vec<Control>, end_ms: u64) -> Tape {
    let count = u32::try_from(models.len()).unwrap_or(u32::MAX);
    let latency = Distribution::Const { value_ns: 5 * MS };
    let mut engine = Engine::new(
        network(1, count, latency),
        models,
        Tape::default(),
        controls,
    );
    engine.run_until(SimTime::from_nanos(end_ms * MS));
    assert_eq!(engine.now(), SimTime::from_nanos(end_ms * MS));
    engine.finish().0
}

#[test]
fn timers_fire_in_time_order_and_ties_in_the_order_they_were_set() {
    let mut models = probes(1);
    models[0].timers_ms = vec![(30, 1), (10, 2), (20, 3), (10, 4), (0, 5)];
    let tape = run(models, Vec::new(), 100);
    assert_eq!(
        tape.of(0),
        [
            (0, Seen::Timer(5)),
            (10, Seen::Timer(2)),
            (10, Seen::Timer(4)),
            (20, Seen::Timer(3)),
            (30, Seen::Timer(1)),
        ]
    );
}

#[test]
fn a_run_covers_the_half_open_span_and_leaves_later_events_queued() {
    let mut models = probes(1);
    models[0].timers_ms = vec![(10, 1), (20, 2)];
    let latency = Distribution::Const { value_ns: 5 * MS };
    let mut engine = Engine::new(network(1, 1, latency), models, Tape::default(), Vec::new());
    engine.run_until(SimTime::from_nanos(20 * MS));
    assert_eq!(engine.recorder().of(0), [(10, Seen::Timer(1))]);
    engine.run_until(SimTime::from_nanos(30 * MS));
    assert_eq!(
        engine.recorder().of(0).len(),
        2,
        "the timer at the end runs next time"
    );
    // Its two timers: the start is handed to every model before the first event.
    assert_eq!(engine.events_processed(), 2);
}

#[test]
fn a_message_takes_the_links_latency_each_way() {
    let mut models = probes(2);
    models[0].peer = Some(1);
    models[0].timers_ms = vec![(2, 0)];
    models[0].pong_below = 10;
    models[1].pong_below = 3;
    let tape = run(models, Vec::new(), 100);
    // Sent at 2 ms, each hop 5 ms later; node 1 does not answer 4, so the rally ends there.
    assert_eq!(
        tape.of(1),
        [
            (7, Seen::Message { from: 0, body: 0 }),
            (17, Seen::Message { from: 0, body: 2 }),
            (27, Seen::Message { from: 0, body: 4 }),
        ]
    );
    assert_eq!(
        tape.of(0),
        [
            (2, Seen::Timer(0)),
            (12, Seen::Message { from: 1, body: 1 }),
            (22, Seen::Message { from: 1, body: 3 }),
        ]
    );
}

#[test]
fn a_paused_node_gets_its_inputs_in_arrival_order_when_it_resumes() {
    let mut models = probes(2);
    models[0].peer = Some(1);
    models[0].timers_ms = vec![(1, 11), (2, 12), (2, 13)];
    // Due at 7 ms with message 12; set first, so it comes first.
    models[1].timers_ms = vec![(7, 99)];
    let controls = vec![
        control(40, ControlAction::Resume(NodeId(1)), "resume"),
        control(0, ControlAction::Pause(NodeId(1)), "pause"),
    ];
    let tape = run(models, controls, 100);
    assert_eq!(
        tape.of(1),
        [
            (40, Seen::Message { from: 0, body: 11 }),
            (40, Seen::Timer(99)),
            (40, Seen::Message { from: 0, body: 12 }),
            (40, Seen::Message { from: 0, body: 13 }),
        ]
    );
    // Controls reach the sink in time order, whatever order they were given in.
    assert_eq!(tape.controls, [(0, "pause"), (40, "resume")]);
}

#[test]
fn a_crashed_node_is_told_and_its_messages_are_refused_after_one_round_trip() {
    let mut models = probes(2);
    models[0].peer = Some(1);
    models[0].timers_ms = vec![(2, 7)];
    models[1].timers_ms = vec![(50, 1)];
    let controls = vec![control(1, ControlAction::Crash(NodeId(1)), "crash")];
    let latency = Distribution::Const { value_ns: 5 * MS };
    let mut engine = Engine::new(network(1, 2, latency), models, Tape::default(), controls);
    engine.run_until(SimTime::from_nanos(100 * MS));
    assert_eq!(engine.network_counts().refused, 1);
    let tape = engine.finish().0;
    // The crash is known to every node, the crashed one too, after the discovery delay.
    assert_eq!(
        tape.of(1),
        [
            (1, Seen::Crashed),
            (4, Seen::Membership { node: 1, up: false })
        ],
        "a crashed node's timers never fire"
    );
    assert_eq!(
        tape.of(0),
        [
            (2, Seen::Timer(7)),
            (4, Seen::Membership { node: 1, up: false }),
            (12, Seen::Refused { to: 1, body: 7 }),
        ]
    );
}

#[test]
fn messages_waiting_at_a_paused_node_are_refused_when_it_crashes() {
    let mut models = probes(2);
    models[0].peer = Some(1);
    models[0].timers_ms = vec![(1, 5), (2, 6)];
    let controls = vec![
        control(0, ControlAction::Pause(NodeId(1)), "pause"),
        control(20, ControlAction::Crash(NodeId(1)), "crash"),
    ];
    let tape = run(models, controls, 100);
    assert_eq!(
        tape.of(1),
        [
            (20, Seen::Crashed),
            (23, Seen::Membership { node: 1, up: false })
        ]
    );
    let refused: Vec<_> = tape
        .of(0)
        .into_iter()
        .filter(|(_, seen)| matches!(seen, Seen::Refused { .. }))
        .collect();
    assert_eq!(
        refused,
        [
            (25, Seen::Refused { to: 1, body: 5 }),
            (25, Seen::Refused { to: 1, body: 6 }),
        ]
    );
}

#[test]
fn a_restarted_node_starts_afresh_and_its_old_timers_never_fire() {
    let mut models = probes(1);
    models[0].timers_ms = vec![(30, 1)];
    let controls = vec![
        control(10, ControlAction::Crash(NodeId(0)), "crash"),
        control(20, ControlAction::Restart(NodeId(0)), "restart"),
    ];
    let tape = run(models, controls, 100);
    assert_eq!(
        tape.of(0),
        [
            (10, Seen::Crashed),
            (13, Seen::Membership { node: 0, up: false }),
            (20, Seen::Restarted),
            (23, Seen::Membership { node: 0, up: true }),
        ]
    );
}

#[test]
fn finish_reaches_every_model_whatever_its_state() {
    let controls = vec![
        control(1, ControlAction::Crash(NodeId(1)), "crash"),
        control(1, ControlAction::Pause(NodeId(2)), "pause"),
    ];
    let tape = run(probes(3), controls, 10);
    let finished: Vec<(u64, u32)> = tape
        .records
        .iter()
        .filter(|(_, _, seen)| *seen == Seen::Finish)
        .map(|(time_ms, node, _)| (*time_ms, *node))
        .collect();
    assert_eq!(finished, [(10, 0), (10, 1), (10, 2)]);
    let started = tape.records.iter().filter(|record| record.2 == Seen::Start);
    assert_eq!(started.count(), 3);
}

/// A ping-pong over random latencies, for the determinism checks.
fn random_run(seed: u64) -> Vec<(u64, u32, Seen)> {
    let mut models = probes(3);
    for (index, model) in models.iter_mut().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        model.peer = Some((index + 1) % 3);
        model.timers_ms = vec![(1, u64::from(index)), (2, 10 + u64::from(index))];
        model.pong_below = 40;
    }
    let latency = Distribution::lognormal(2 * MS, 20 * MS);
    let mut engine = Engine::new(
        network(seed, 3, latency),
        models,
        Tape::default(),
        Vec::new(),
    );
    engine.run_until(SimTime::from_nanos(1_000 * MS));
    engine.finish().0.records
}

#[test]
fn the_same_seed_gives_the_same_records() {
    let first = random_run(7);
    assert!(
        first.len() > 50,
        "the ping-pong ran: {} records",
        first.len()
    );
    assert_eq!(first, random_run(7));
    assert_ne!(first, random_run(8), "another seed draws other latencies");
}
