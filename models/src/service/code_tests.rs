//! An instance whose work is code, as a state machine: what it hands the code, what it does
//! with what the code says. The code is played by the test.

use meshsim_record::{Reason, ReasonKind, ServedResult};
use meshsim_sim::{Input, SimTime};

use super::ServiceInstance;
use super::call_tests::{CALLEE, CALLER, GROUP, Output, at_ms, handle, instance_running_code};
use super::code_state::{FromCode, ToCode};
use crate::message::{CallKey, Message, Request, RequestContext, Response};
use crate::outbox::Outbox;

const CONTEXT: RequestContext = RequestContext {
    root: 9,
    client: 0,
    headers: 0,
    sampled: false,
};

fn arrive(instance: &mut ServiceInstance, now: SimTime, call: u64) -> Output {
    let request = Request {
        call: CallKey(call),
        endpoint: 0,
        context: CONTEXT,
        caller: 0,
    };
    handle(
        instance,
        now,
        Input::Message {
            from: CALLER,
            message: Message::Request(request),
        },
    )
}

/// The code says `message` at `now`.
fn code_says(instance: &mut ServiceInstance, now: SimTime, message: FromCode) -> Output {
    let mut out = Outbox::default();
    instance.on_code_message(now, message, &mut out);
    super::call_tests::read(out)
}

/// The code calls the one upstream's endpoint as its call `call`, for `request` if any.
fn code_calls(
    instance: &mut ServiceInstance,
    now: SimTime,
    call: u64,
    request: Option<u64>,
) -> Output {
    let message = FromCode::Call {
        call,
        request,
        upstream: 0,
        endpoint: 0,
        context: CONTEXT,
    };
    code_says(instance, now, message)
}

/// The callee answers the instance's try `response` stands for.
fn callee_answers(instance: &mut ServiceInstance, now: SimTime, response: Response) {
    let message = Message::Response(response);
    let from = super::call_tests::CALLEES[0];
    handle(instance, now, Input::Message { from, message });
}

/// The request the instance hands the code; nothing else is waiting for it.
fn served(instance: &mut ServiceInstance) -> (u64, u32, RequestContext) {
    match instance.next_for_code() {
        Some(ToCode::Serve {
            request,
            endpoint,
            context,
        }) => (request, endpoint, context),
        other => panic!("expected a request for the code, got {other:?}"),
    }
}

#[test]
fn a_request_goes_to_the_code_and_its_answer_back_to_the_caller() {
    let mut instance = instance_running_code();
    assert!(instance.runs_code());
    let arrived = arrive(&mut instance, at_ms(1), 41);
    // No service time is drawn: no timer, no answer yet; the code has the request.
    assert!(arrived.answers.is_empty() && arrived.tries.is_empty());
    let (request, endpoint, context) = served(&mut instance);
    assert_eq!((endpoint, context), (0, CONTEXT));
    assert_eq!(instance.next_for_code(), None);
    let answered = code_says(
        &mut instance,
        at_ms(5),
        FromCode::Answer {
            request,
            status: 201,
        },
    );
    assert_eq!(
        answered.answers,
        vec![Response::new(CallKey(41), 201, Reason::OK)]
    );
    assert_eq!(answered.served(), vec![ServedResult::Succeeded]);
}

#[test]
fn the_codes_calls_go_through_the_sidecar_and_their_ends_come_back() {
    let mut instance = instance_running_code();
    arrive(&mut instance, at_ms(1), 41);
    let (request, _, _) = served(&mut instance);
    let sent = code_calls(&mut instance, at_ms(2), 7, Some(request));
    let [try_sent] = sent.tries[..] else {
        panic!("one try to the callee: {:?}", sent.tries)
    };
    // The callee fails it: the code learns the mesh's answer, with the callee's reason.
    let failure = Reason {
        kind: ReasonKind::Error,
        group: Some(CALLEE),
    };
    callee_answers(
        &mut instance,
        at_ms(4),
        Response::new(try_sent.call, 500, failure),
    );
    assert_eq!(
        instance.next_for_code(),
        Some(ToCode::Answered {
            call: 7,
            status: 500,
            reason: failure
        })
    );
    // The code fails the request: the failure began at the callee, and says so.
    let answered = code_says(
        &mut instance,
        at_ms(5),
        FromCode::Answer {
            request,
            status: 500,
        },
    );
    assert_eq!(
        answered.answers,
        vec![Response::new(CallKey(41), 500, failure)]
    );
    assert_eq!(answered.served(), vec![ServedResult::Failed]);
}

#[test]
fn a_reset_below_is_not_carried_up_as_the_codes_own_reset() {
    let mut instance = instance_running_code();
    arrive(&mut instance, at_ms(1), 41);
    let (request, _, _) = served(&mut instance);
    let sent = code_calls(&mut instance, at_ms(2), 1, Some(request));
    let reset = Response::refusal(sent.tries[0].call, 503, ReasonKind::Reset, CALLEE);
    callee_answers(&mut instance, at_ms(3), reset);
    let Some(ToCode::Answered { status: 503, .. }) = instance.next_for_code() else {
        panic!("the code learns of the reset as a 503")
    };
    let answered = code_says(
        &mut instance,
        at_ms(4),
        FromCode::Answer {
            request,
            status: 500,
        },
    );
    let own = Reason {
        kind: ReasonKind::Error,
        group: Some(GROUP),
    };
    assert_eq!(answered.answers, vec![Response::new(CallKey(41), 500, own)]);
}

#[test]
fn a_call_outside_any_request_is_answered_all_the_same() {
    let mut instance = instance_running_code();
    let sent = code_calls(&mut instance, at_ms(2), 3, None);
    callee_answers(
        &mut instance,
        at_ms(3),
        Response::new(sent.tries[0].call, 200, Reason::OK),
    );
    assert_eq!(
        instance.next_for_code(),
        Some(ToCode::Answered {
            call: 3,
            status: 200,
            reason: Reason::OK
        })
    );
}
