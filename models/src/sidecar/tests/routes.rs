//! A route's own policy: Envoy selects the route first, and the fault filter and the router
//! then read the selected route's configuration, so one user's calls can be delayed, aborted
//! or timed out while another's to the same service pass untouched (Istio's Bookinfo
//! fault-injection task: <https://istio.io/v1.24/docs/tasks/traffic-management/fault-injection/>).

use meshsim_record::ReasonKind;
use meshsim_sim::SimTime;

use super::{CALLEE, MS, OWNER, Output, SidecarTimer, answer, fire, sidecar, upstream};
use crate::message::{Message, RequestContext};
use crate::outbox::Outbox;
use crate::route::{HeaderCondition, Route, RouteTable};
use crate::sidecar::Sidecar;
use crate::upstream_config::{FaultInjection, RoutePolicy, UpstreamConfig};

/// Workload 0 sends `end-user` with the values [jason, other]: interned 1 is jason, 2 other.
const JASON: u32 = 1;
const OTHER: u32 = 2;
const SECOND_NS: u64 = 1_000_000_000;

/// The whole service as one version, two routes: jason's (policy 1, `policy`) first, then
/// every other request with the service's policy. `endpoints`: the endpoints jason's route
/// takes (`None`: all).
fn jason_route(policy: RoutePolicy, endpoints: Option<Vec<bool>>) -> UpstreamConfig {
    let mut config = upstream();
    // One version holding both instances (a Vec of one range, not the range's numbers).
    config.subsets = std::iter::once(0..2).collect();
    config.route_policies = vec![policy];
    let jason = HeaderCondition {
        divisor: 1,
        count: 2,
        passes: vec![true, false],
    };
    config.routes = RouteTable {
        routes: vec![
            Route {
                conditions: vec![Some(vec![jason])],
                catch_all: false,
                endpoints,
                policy: 1,
                weights: vec![(0..2, 100.0)],
            },
            Route {
                conditions: vec![Some(Vec::new())],
                catch_all: true,
                endpoints: None,
                policy: 0,
                weights: vec![(0..2, 100.0)],
            },
        ],
    };
    config
}

fn fault(delay_ns: u64, delay_probability: f64, abort_probability: f64) -> RoutePolicy {
    RoutePolicy {
        timeout_ns: None,
        retries: None,
        fault: Some(FaultInjection {
            delay_ns,
            delay_probability,
            abort_status: 500,
            abort_probability,
        }),
    }
}

/// Starts a call to `endpoint` at `now` for a request with interned headers `headers`.
fn call_as(sidecar: &mut Sidecar, now: SimTime, headers: u32, endpoint: u32) -> Output {
    let context = RequestContext {
        root: 1,
        client: 0,
        headers,
        sampled: false,
    };
    let mut out: Outbox<Message> = Outbox::default();
    let started = sidecar.call(now, 0, endpoint, context, OWNER, &mut out);
    assert!(started.is_ok(), "the call was answered at once");
    Output::take(&mut out)
}

/// The status a call ends with: answered 200 by the instance if it sent a request.
fn outcome(sidecar: &mut Sidecar, now: SimTime, started: &Output) -> u16 {
    if let Some((_, request)) = started.requests.first() {
        answer(sidecar, now + MS, request, 200);
    }
    sidecar
        .pop_completion()
        .expect("the call ended")
        .response
        .status
}

#[test]
fn a_full_abort_on_jasons_route_aborts_only_jason() {
    let mut sidecar = sidecar(jason_route(fault(0, 0.0, 1.0), None));
    let jason = call_as(&mut sidecar, SimTime::ZERO, JASON, 0);
    assert!(jason.requests.is_empty(), "an aborted call sends nothing");
    assert_eq!(outcome(&mut sidecar, SimTime::ZERO, &jason), 500);
    let other = call_as(&mut sidecar, SimTime::ZERO, OTHER, 0);
    assert_eq!(outcome(&mut sidecar, SimTime::ZERO, &other), 200);
}

#[test]
fn a_delay_on_jasons_route_holds_jason_by_exactly_the_delay() {
    let delay_ns = 7 * SECOND_NS;
    let mut sidecar = sidecar(jason_route(fault(delay_ns, 1.0, 0.0), None));
    let other = call_as(&mut sidecar, SimTime::ZERO, OTHER, 0);
    assert_eq!(
        other.requests.len(),
        1,
        "the other user's request goes at once"
    );
    assert_eq!(outcome(&mut sidecar, SimTime::ZERO, &other), 200);

    let jason = call_as(&mut sidecar, SimTime::ZERO, JASON, 0);
    assert!(jason.requests.is_empty(), "jason's request waits");
    let (at, timer) = jason
        .timer(|timer| matches!(timer, SidecarTimer::FaultDelay(_)))
        .expect("an injected delay");
    assert_eq!(at, SimTime::ZERO + delay_ns);
    let resumed = fire(&mut sidecar, at, timer);
    assert_eq!(
        resumed.requests.len(),
        1,
        "jason's request goes after the delay"
    );
    assert_eq!(outcome(&mut sidecar, at, &resumed), 200);
}

#[test]
fn jasons_route_timeout_is_shorter_than_the_services() {
    let mut config = jason_route(
        RoutePolicy {
            timeout_ns: Some(3 * SECOND_NS),
            retries: None,
            fault: None,
        },
        None,
    );
    config.timeout_ns = Some(10 * SECOND_NS);
    let mut sidecar = sidecar(config);
    let route_timeout = |output: &Output| {
        output
            .timer(|timer| matches!(timer, SidecarTimer::CallTimeout(..)))
            .expect("a route timeout")
    };
    let other = call_as(&mut sidecar, SimTime::ZERO, OTHER, 0);
    assert_eq!(route_timeout(&other).0, SimTime::ZERO + 10 * SECOND_NS);
    let jason = call_as(&mut sidecar, SimTime::ZERO, JASON, 0);
    let (at, timer) = route_timeout(&jason);
    assert_eq!(at, SimTime::ZERO + 3 * SECOND_NS);

    fire(&mut sidecar, at, timer);
    let done = sidecar.pop_completion().expect("jason's call timed out");
    assert_eq!(done.response.status, 504);
    assert_eq!(done.response.reason.kind, ReasonKind::RouteTimeout);
    assert_eq!(done.response.reason.group, Some(CALLEE));
    assert!(
        sidecar.pop_completion().is_none(),
        "the other user's call waits for its own 10 s"
    );
    assert_eq!(sidecar.pending(), 1);
}

#[test]
fn a_uri_match_takes_only_the_endpoints_it_passes() {
    // Endpoint 0 is "GET /reviews/0", which `prefix = "/reviews"` passes; endpoint 1,
    // "GET /details/0", does not, so jason's calls to it fall through to the next route.
    let mut sidecar = sidecar(jason_route(fault(0, 0.0, 1.0), Some(vec![true, false])));
    let reviews = call_as(&mut sidecar, SimTime::ZERO, JASON, 0);
    assert_eq!(outcome(&mut sidecar, SimTime::ZERO, &reviews), 500);
    let details = call_as(&mut sidecar, SimTime::ZERO, JASON, 1);
    assert_eq!(outcome(&mut sidecar, SimTime::ZERO, &details), 200);
}
