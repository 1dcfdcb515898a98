//! A `parallel` step as a state machine: its members go out in the same input, the step ends
//! at the later answer (so the endpoint takes its own work plus the slower member, not the
//! sum), a member that fails with `on_error = "fail"` answers at once without waiting for the
//! others (`Promise.all` rejects at its first rejection, MDN), and a `continue` member
//! degrades the answer. The expectations are that documented behaviour, not values the code
//! produced.

use meshsim_record::ServedResult;
use meshsim_sim::SimTime;

use super::call_tests::{MS, WORK_NS, answer, at_ms, instance_with, request_and_work};
use super::{AppCall, CallPolicy, CallStep, CallTarget, OnError};

/// A parallel step of two members, to the callee's endpoints 0 and 1, with these policies.
fn two_members(first: CallPolicy, second: CallPolicy) -> Vec<CallStep> {
    let member = |endpoint, policy| AppCall {
        target: CallTarget {
            upstream: 0,
            endpoint,
        },
        policy,
    };
    vec![CallStep::Parallel(vec![
        member(0, first),
        member(1, second),
    ])]
}

#[test]
fn both_members_go_out_at_once_and_the_step_ends_at_the_later_answer() {
    let mut service = instance_with(two_members(CallPolicy::DEFAULT, CallPolicy::DEFAULT));
    let work = request_and_work(&mut service, 7, SimTime::ZERO);
    assert_eq!(
        work.tries.len(),
        2,
        "both members go out when the work ends"
    );
    let endpoints: Vec<u32> = work.tries.iter().map(|try_| try_.endpoint).collect();
    assert_eq!(endpoints, vec![0, 1], "in the order written");
    // The second member answers first, at 30 ms; the first at 60 ms.
    let early = answer(&mut service, at_ms(30), &work.tries[1], 200);
    assert!(early.answers.is_empty(), "the step waits for every member");
    let late = answer(&mut service, at_ms(60), &work.tries[0], 200);
    assert_eq!(late.answers.len(), 1, "the later answer ends the step");
    assert_eq!(late.answers[0].status, 200);
    // The endpoint's latency is its own work plus the slower member (50 ms after the work),
    // not the sum of the two (20 + 50 ms).
    let served_ms = 60;
    assert_eq!(served_ms * MS, WORK_NS + 50 * MS);
    assert_eq!(late.served(), vec![ServedResult::Succeeded]);
}

#[test]
fn a_failing_member_with_fail_answers_at_once_and_the_other_answer_is_dropped() {
    let mut service = instance_with(two_members(CallPolicy::DEFAULT, CallPolicy::DEFAULT));
    let work = request_and_work(&mut service, 7, SimTime::ZERO);
    let failed = answer(&mut service, at_ms(20), &work.tries[1], 500);
    let statuses: Vec<u16> = failed.answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![500], "no wait for the slower member");
    assert_eq!(failed.served(), vec![ServedResult::Failed]);
    let late = answer(&mut service, at_ms(90), &work.tries[0], 200);
    assert!(
        late.answers.is_empty(),
        "the other member's answer is dropped"
    );
    assert!(late.served().is_empty());
}

#[test]
fn a_member_with_continue_degrades_the_answer() {
    let degrading = CallPolicy {
        on_error: OnError::Continue,
        ..CallPolicy::DEFAULT
    };
    let mut service = instance_with(two_members(degrading, CallPolicy::DEFAULT));
    let work = request_and_work(&mut service, 7, SimTime::ZERO);
    let failed = answer(&mut service, at_ms(20), &work.tries[0], 503);
    assert!(
        failed.answers.is_empty(),
        "the other member is still waited for"
    );
    let done = answer(&mut service, at_ms(40), &work.tries[1], 200);
    let statuses: Vec<u16> = done.answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![200]);
    assert_eq!(done.served(), vec![ServedResult::Degraded]);
}

#[test]
fn a_member_with_a_status_answers_it_at_once() {
    let status = CallPolicy {
        on_error: OnError::Status(503),
        ..CallPolicy::DEFAULT
    };
    let mut service = instance_with(two_members(CallPolicy::DEFAULT, status));
    let work = request_and_work(&mut service, 7, SimTime::ZERO);
    let failed = answer(&mut service, at_ms(20), &work.tries[1], 500);
    let statuses: Vec<u16> = failed.answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![503]);
}

#[test]
fn a_member_not_made_is_not_waited_for() {
    let never = CallPolicy {
        probability: 0.0,
        ..CallPolicy::DEFAULT
    };
    let mut service = instance_with(two_members(never, CallPolicy::DEFAULT));
    let work = request_and_work(&mut service, 7, SimTime::ZERO);
    assert_eq!(
        work.tries.len(),
        1,
        "probability 0: the first member is not made"
    );
    assert_eq!(work.tries[0].endpoint, 1);
    let done = answer(&mut service, at_ms(30), &work.tries[0], 200);
    assert_eq!(done.answers.len(), 1);
}
