//! `{ parallel = [...] }` in an endpoint's `calls` (issue 18, item 1), on both engines, against
//! queueing theory: with two members whose service times are exponential with means a and b,
//! and no queueing (ample workers, hops that take no time), the endpoint's mean latency is
//! E[max(X, Y)] = a + b − ab/(a + b), the mean of the later of two independent exponentials
//! (E[max] = E[X] + E[Y] − E[min], and min(X, Y) is exponential with rate 1/a + 1/b), not the
//! sum a + b that the same calls made one after another take.

mod support;

use meshsim::EngineKind;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::simulate_source;

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// The members' mean service times.
const A_MS: f64 = 10.0;
const B_MS: f64 = 30.0;

/// The sample mean of about 30,000 requests (the max's standard deviation is under 35 ms, so
/// its standard error is under 0.2 ms) is held within 3 % of the expected mean: 5 standard
/// errors.
const TOLERANCE: f64 = 0.03;

fn run(engine: EngineKind, calls: &str) -> RunSummary {
    let source = format!(
        r#"
[scenario]
name = "parallel"
duration = "300s"

[[service]]
name = "front"
exposed = true
workers = 1000

[[service.endpoint]]
name = "GET /"
calls = {calls}

[[service]]
name = "a"
workers = 1000

[[service.endpoint]]
name = "GET /a"
service_time = {{ dist = "exp", mean = "{A_MS}ms" }}

[[service]]
name = "b"
workers = 1000

[[service.endpoint]]
name = "GET /b"
service_time = {{ dist = "exp", mean = "{B_MS}ms" }}

[[workload]]
name = "users"
target = "front"
endpoint = "GET /"
arrival = {{ kind = "poisson", rate = 100 }}
"#
    );
    simulate_source(
        engine,
        "parallel.toml",
        &source,
        Some(1),
        RecorderOutputs::default(),
    )
    .1
}

const PARALLEL: &str = r#"[{ parallel = [{ service = "a", endpoint = "GET /a" }, { service = "b", endpoint = "GET /b" }] }]"#;
const SEQUENTIAL: &str =
    r#"[{ service = "a", endpoint = "GET /a" }, { service = "b", endpoint = "GET /b" }]"#;

fn mean_latency_ms(summary: &RunSummary) -> f64 {
    let front = &summary.services["front"];
    assert!(front.requests.received > 25_000, "enough requests");
    // Every request calls both (those still in their first call at the end apart).
    for callee in ["a", "b"] {
        let received = summary.services[callee].requests.received;
        assert!(
            received + 50 >= front.requests.received,
            "{callee}: {received}"
        );
    }
    front.latency_ms.mean
}

/// Whether `mean_ms` is `expected_ms` within the tolerance; on turmoil, which delivers a
/// message and fires a timer only at a whole 1 ms tick (`tests/engines.rs`), up to a tick later
/// for each of the path's `ticks` hops and timers.
fn holds(engine: EngineKind, mean_ms: f64, expected_ms: f64, ticks: f64) -> bool {
    let slack_ms = match engine {
        EngineKind::Turmoil => ticks,
        EngineKind::Event => 0.0,
    };
    mean_ms >= expected_ms * (1.0 - TOLERANCE)
        && mean_ms <= expected_ms * (1.0 + TOLERANCE) + slack_ms
}

#[test]
fn a_parallel_takes_the_slower_member_not_the_sum() {
    let expected_max_ms = A_MS + B_MS - A_MS * B_MS / (A_MS + B_MS);
    let sum_ms = A_MS + B_MS;
    for engine in ENGINES {
        // The path: the hop to the front, then per member its hop, its work and the hop back.
        let parallel = mean_latency_ms(&run(engine, PARALLEL));
        assert!(
            holds(engine, parallel, expected_max_ms, 4.0),
            "{engine:?}: a parallel's mean {parallel:.2} ms, expected E[max] = {expected_max_ms:.2} ms"
        );
        let sequential = mean_latency_ms(&run(engine, SEQUENTIAL));
        assert!(
            holds(engine, sequential, sum_ms, 7.0),
            "{engine:?}: one after another {sequential:.2} ms, expected a + b = {sum_ms:.2} ms"
        );
        assert!(parallel < sequential, "{engine:?}");
    }
}
