//! An instance an autoscaler starts and stops, as a state machine: a standby instance refuses,
//! a started one announces itself to its callers, a stopped one leaves their endpoints,
//! finishes what it holds, and is reset when its grace period ends.

use meshsim_record::Record;
use meshsim_sim::{Action, GroupId, Input, NodeId, Seeder, SimTime, TimerId};

use super::tests::{CALLER, config_with_work};
use super::{InboundPolicy, ServiceInstance, TERMINATION_GRACE_NS};
use crate::message::{Control, Message, ScaleMessage};
use crate::outbox::Outbox;
use crate::sidecar::Sidecar;

const WORK_NS: u64 = 40_000_000_000;

fn instance() -> ServiceInstance {
    let config = config_with_work(WORK_NS, 1, 1, InboundPolicy::default());
    let seeder = Seeder::new(1);
    let node = NodeId(5);
    let sidecar = Sidecar::new(node, GroupId(2), "api/5", Vec::new(), seeder.stream("s"));
    let streams = (seeder.stream("service"), seeder.stream("calls"));
    let mut instance = ServiceInstance::new(node, "api/5", config, streams, sidecar);
    instance.announce_to(vec![CALLER]);
    instance
}

/// Everything one input made the instance do.
fn handle(
    instance: &mut ServiceInstance,
    now: SimTime,
    input: Input<Message>,
) -> Vec<Action<Message, Record>> {
    let mut out = Outbox::default();
    instance.handle(now, input, &mut out);
    out.drain().collect()
}

fn scale(message: ScaleMessage) -> Input<Message> {
    Input::Message {
        from: NodeId(9),
        message: Message::Control(Control::Scale(message)),
    }
}

fn request(call: u64) -> Input<Message> {
    super::tests::request(call, 0)
}

fn answers(actions: &[Action<Message, Record>]) -> Vec<u16> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send {
                message: Message::Response(response),
                ..
            } => Some(response.status),
            _ => None,
        })
        .collect()
}

fn endpoint_changes(actions: &[Action<Message, Record>]) -> Vec<bool> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Send {
                message: Message::Control(Control::Endpoint { ready, .. }),
                ..
            } => Some(*ready),
            _ => None,
        })
        .collect()
}

fn work_timer(actions: &[Action<Message, Record>]) -> (SimTime, TimerId) {
    actions
        .iter()
        .find_map(|action| match action {
            Action::Timer { at, id } => Some((*at, *id)),
            _ => None,
        })
        .expect("a timer")
}

#[test]
fn a_standby_instance_refuses_until_it_is_started() {
    let mut service = instance();
    service.stand_by();
    assert!(handle(&mut service, SimTime::ZERO, Input::Start).is_empty());
    assert_eq!(
        answers(&handle(&mut service, SimTime::ZERO, request(1))),
        [503]
    );
    // Started, it joins its callers' endpoints and serves.
    let started = handle(&mut service, SimTime::ZERO, scale(ScaleMessage::Start));
    assert_eq!(endpoint_changes(&started), [true]);
    let taken = handle(&mut service, SimTime::ZERO, request(2));
    assert!(answers(&taken).is_empty());
    let (at, work) = work_timer(&taken);
    assert_eq!(
        answers(&handle(&mut service, at, Input::Timer(work))),
        [200]
    );
}

#[test]
fn a_stopped_instance_leaves_its_callers_and_finishes_what_it_holds() {
    let mut service = instance();
    let taken = handle(&mut service, SimTime::ZERO, request(1));
    let (at, work) = work_timer(&taken);
    // Stopped 20 s into the 40 s of work: its grace period ends at 50 s, after the work.
    let stopped_at = SimTime::from_nanos(20_000_000_000);
    let stopped = handle(&mut service, stopped_at, scale(ScaleMessage::Stop));
    assert_eq!(endpoint_changes(&stopped), [false]);
    // The request it held is answered when its work ends, and then it stops.
    let done = handle(&mut service, at, Input::Timer(work));
    assert_eq!(answers(&done), [200]);
    assert!(done.iter().any(|action| matches!(
        action,
        Action::Record(Record::Event { kind: "scale_stopped", detail, .. }) if detail == "drained"
    )));
    // Stopped, it refuses what still reaches it.
    assert_eq!(answers(&handle(&mut service, at, request(2))), [503]);
}

#[test]
fn what_a_stopped_instance_still_holds_after_the_grace_period_is_reset() {
    let mut service = instance();
    handle(&mut service, SimTime::ZERO, request(1));
    let stopped = handle(&mut service, SimTime::ZERO, scale(ScaleMessage::Stop));
    let (at, grace) = work_timer(&stopped);
    assert_eq!(at.as_nanos(), TERMINATION_GRACE_NS);
    // 30 s in, the 40 s of work is not done: the request is reset (503).
    assert_eq!(
        answers(&handle(&mut service, at, Input::Timer(grace))),
        [503]
    );
}
