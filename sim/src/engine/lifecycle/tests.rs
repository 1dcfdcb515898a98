//! The lifecycle as a state machine: controls and inputs in, what to handle or refuse out.

use super::Lifecycle;
use super::NodeState;
use crate::model::{Input, NodeId, TimerId};

fn message(from: u32, message: u32) -> Input<u32> {
    Input::Message {
        from: NodeId(from),
        message,
    }
}

/// What an input is, in a form the assertions can compare.
fn describe(input: &Input<u32>) -> String {
    match input {
        Input::Message { from, message } => format!("message {message} from {}", from.0),
        Input::Timer(id) => format!("timer {}", id.0),
        Input::Membership { node, up } => format!("membership {} {up}", node.0),
        other => format!("{other:?}"),
    }
}

#[test]
fn an_up_process_takes_every_input_now() {
    let mut lifecycle = Lifecycle::new(NodeId(0));
    assert_eq!(lifecycle.state(), NodeState::Up);
    let input = lifecycle.admit(message(1, 7)).map(|input| describe(&input));
    assert_eq!(input.as_deref(), Some("message 7 from 1"));
    assert!(lifecycle.admit_timer(0, TimerId(3)).is_some());
}

#[test]
fn a_paused_process_keeps_its_inputs_and_hands_them_back_in_order_on_resume() {
    let mut lifecycle = Lifecycle::new(NodeId(0));
    assert!(lifecycle.pause());
    assert!(!lifecycle.pause(), "a paused process pauses no further");
    assert!(lifecycle.admit(message(1, 1)).is_none());
    assert!(lifecycle.admit_timer(0, TimerId(9)).is_none());
    assert!(lifecycle.admit_membership(NodeId(4), false).is_none());
    assert!(lifecycle.admit(message(2, 2)).is_none());
    let resumed: Vec<String> = lifecycle.resume().iter().map(describe).collect();
    assert_eq!(
        resumed,
        [
            "message 1 from 1",
            "timer 9",
            "membership 4 false",
            "message 2 from 2"
        ]
    );
    assert_eq!(lifecycle.state(), NodeState::Up);
    assert!(lifecycle.resume().is_empty(), "nothing waits twice");
}

#[test]
fn resuming_an_up_process_changes_nothing() {
    let mut lifecycle: Lifecycle<u32> = Lifecycle::new(NodeId(0));
    assert!(lifecycle.resume().is_empty());
    assert_eq!(lifecycle.state(), NodeState::Up);
}

#[test]
fn a_crash_ends_the_incarnation_and_refuses_the_messages_that_waited() {
    let mut lifecycle = Lifecycle::new(NodeId(0));
    lifecycle.pause();
    lifecycle.admit(message(1, 10));
    lifecycle.admit_timer(0, TimerId(5));
    lifecycle.admit(message(2, 20));
    assert!(lifecycle.begin_crash());
    // The process speaks once more, in the incarnation that ends.
    assert_eq!(lifecycle.state(), NodeState::Up);
    assert_eq!(lifecycle.incarnation(), 0);
    let refused = lifecycle.end_crash();
    assert_eq!(refused, [(NodeId(1), 10), (NodeId(2), 20)]);
    assert_eq!(lifecycle.state(), NodeState::Crashed);
    assert_eq!(lifecycle.incarnation(), 1);
    assert!(
        !lifecycle.begin_crash(),
        "a crashed process crashes no further"
    );
}

#[test]
fn a_crashed_process_drops_inputs_and_old_timers_but_learns_membership() {
    let mut lifecycle = Lifecycle::new(NodeId(0));
    assert!(lifecycle.begin_crash());
    assert!(lifecycle.end_crash().is_empty());
    assert!(lifecycle.admit(message(1, 1)).is_none());
    assert!(lifecycle.admit_timer(0, TimerId(1)).is_none());
    assert!(!lifecycle.pause(), "a crashed process cannot be paused");
    assert!(lifecycle.admit_membership(NodeId(3), true).is_some());
    assert!(lifecycle.restart());
    assert!(!lifecycle.restart(), "an up process is not restarted");
    assert!(
        lifecycle.admit_timer(0, TimerId(1)).is_none(),
        "a timer of the last incarnation never fires"
    );
    assert!(lifecycle.admit_timer(1, TimerId(2)).is_some());
}

#[test]
#[should_panic(expected = "more than 2 inputs wait at paused node 6")]
fn the_bound_on_deferred_inputs_fails_loudly() {
    let mut lifecycle = Lifecycle::with_deferred_max(NodeId(6), 2);
    lifecycle.pause();
    for index in 0..3 {
        lifecycle.admit(message(1, index));
    }
}
