//! The autoscaler as a node: it samples a second before each sync, reads rates from two
//! samples, and starts the lowest-numbered standby instance or stops the newest.

use meshsim_record::{Record, VersionKey};
use meshsim_sim::{Action, GroupId, Input, NodeId, SimTime};

use super::timer::AutoscalerTimer;
use super::{Autoscaler, AutoscalerConfig, HpaSpec, ScaleMetric, ScalingRules};
use crate::message::{Control, Message, ScaleMessage};
use crate::outbox::Outbox;
use crate::timer::TimerCode;

const SECOND_NS: u64 = 1_000_000_000;

fn autoscaler(metric: ScaleMetric) -> Autoscaler {
    Autoscaler::new(AutoscalerConfig {
        subject: "api/v1".into(),
        key: VersionKey::new(GroupId(0), 0),
        metric,
        spec: HpaSpec {
            min_replicas: 1,
            max_replicas: 4,
            target: 10.0,
            scale_up: ScalingRules::default_scale_up(),
            scale_down: ScalingRules::default_scale_down(),
        },
        instances: (0..4).map(NodeId).collect(),
        initial: 2,
        sync_period_ns: 15 * SECOND_NS,
        start_time_ns: 0,
    })
}

fn at(seconds: u64) -> SimTime {
    SimTime::from_nanos(seconds * SECOND_NS)
}

fn usage(sample: u32, answered: u64, in_progress: u32, cpu_busy_ns: u64) -> Message {
    Message::Control(Control::Scale(ScaleMessage::Usage {
        sample,
        answered,
        in_progress,
        cpu_busy_ns,
    }))
}

/// The messages an input made the autoscaler send, with their destinations.
fn sent(scaler: &mut Autoscaler, now: SimTime, input: Input<Message>) -> Vec<(u32, Message)> {
    let mut out = Outbox::default();
    scaler.handle(now, input, &mut out);
    out.drain()
        .filter_map(|action| match action {
            Action::Send { to, message } => Some((to.0, message)),
            _ => None,
        })
        .collect()
}

fn timer(timer: AutoscalerTimer) -> Input<Message> {
    Input::Timer(timer.encode())
}

fn answer(scaler: &mut Autoscaler, now: SimTime, from: u32, message: Message) {
    let none = sent(
        scaler,
        now,
        Input::Message {
            from: NodeId(from),
            message,
        },
    );
    assert!(none.is_empty());
}

#[test]
fn the_first_sync_is_at_one_period_and_its_samples_a_second_before() {
    let mut scaler = autoscaler(ScaleMetric::Requests);
    let mut out = Outbox::default();
    scaler.handle(SimTime::ZERO, Input::Start, &mut out);
    let timers: Vec<(u64, AutoscalerTimer)> = out
        .drain()
        .filter_map(|action| match action {
            Action::Timer { at, id } => Some((at.as_nanos(), AutoscalerTimer::decode(id)?)),
            _ => None,
        })
        .collect();
    assert_eq!(
        timers,
        [
            (14 * SECOND_NS, AutoscalerTimer::Sample(1)),
            (15 * SECOND_NS, AutoscalerTimer::Sync(1)),
        ]
    );
    // Only the two running instances are sampled.
    let asked = sent(&mut scaler, at(14), timer(AutoscalerTimer::Sample(1)));
    let to: Vec<u32> = asked.iter().map(|(to, _)| *to).collect();
    assert_eq!(to, [0, 1]);
}

#[test]
fn a_request_rate_from_two_samples_starts_the_lowest_standby_instances() {
    let mut scaler = autoscaler(ScaleMetric::Requests);
    // Sync 1: one sample each, no rate yet: no reading, no decision.
    answer(&mut scaler, at(14), 0, usage(1, 100, 0, 0));
    answer(&mut scaler, at(14), 1, usage(1, 100, 0, 0));
    assert!(sent(&mut scaler, at(15), timer(AutoscalerTimer::Sync(1))).is_empty());
    // Sync 2: each answered 300 more in 15 s, 20 per second; target 10: ratio 2,
    // ceil(2 × 2) = 4, within the policies (2 + 4 = 6) and max_replicas 4: start nodes 2 and 3.
    answer(&mut scaler, at(29), 0, usage(2, 400, 0, 0));
    answer(&mut scaler, at(29), 1, usage(2, 400, 0, 0));
    let told = sent(&mut scaler, at(30), timer(AutoscalerTimer::Sync(2)));
    let start = Message::Control(Control::Scale(ScaleMessage::Start));
    assert_eq!(told, [(2, start), (3, start)]);
}

#[test]
fn concurrency_needs_one_sample_and_a_scale_down_stops_the_newest() {
    let mut scaler = autoscaler(ScaleMetric::Concurrency);
    let mut out = Outbox::default();
    // One request in progress each, target 10: ratio 0.1, ceil(2 × 0.1) = 1; the window holds
    // only the count found at the first sync (2) and this 1, so it holds at 2 and says so.
    answer(&mut scaler, at(14), 0, usage(1, 0, 1, 0));
    answer(&mut scaler, at(14), 1, usage(1, 0, 1, 0));
    scaler.handle(at(15), timer(AutoscalerTimer::Sync(1)), &mut out);
    let records: Vec<Record> = out
        .drain()
        .filter_map(|action| match action {
            Action::Record(record) => Some(record),
            _ => None,
        })
        .collect();
    assert!(matches!(
        &records[..],
        [Record::Event { kind: "scale", detail, .. }]
            if detail == "concurrency 1.0 (target 10), 2 → 2 replicas, held by stabilization (recommended 1)"
    ));
    // 300 s later the 2 has left the window: stop the newest running instance, node 1.
    answer(&mut scaler, at(314), 0, usage(20, 0, 1, 0));
    answer(&mut scaler, at(314), 1, usage(20, 0, 1, 0));
    let told = sent(&mut scaler, at(315), timer(AutoscalerTimer::Sync(20)));
    assert_eq!(
        told,
        [(1, Message::Control(Control::Scale(ScaleMessage::Stop)))]
    );
}

#[test]
fn cpu_is_busy_time_over_cores_and_elapsed_time() {
    let mut scaler = autoscaler(ScaleMetric::Cpu { cores: 2.0 });
    answer(&mut scaler, at(14), 0, usage(1, 0, 0, 0));
    answer(&mut scaler, at(14), 1, usage(1, 0, 0, 0));
    sent(&mut scaler, at(15), timer(AutoscalerTimer::Sync(1)));
    // 15 core-seconds of work in 15 s on 2 cores: 50 %; target 10 %: ratio 5, ceil(2 × 5) =
    // 10, capped at max_replicas 4.
    answer(&mut scaler, at(29), 0, usage(2, 0, 0, 15 * SECOND_NS));
    answer(&mut scaler, at(29), 1, usage(2, 0, 0, 15 * SECOND_NS));
    let told = sent(&mut scaler, at(30), timer(AutoscalerTimer::Sync(2)));
    assert_eq!(told.len(), 2);
}
