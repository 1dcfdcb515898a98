//! What an application does with its calls (issue 18, item 1), on both engines, against what
//! the keys are documented to do: with `on_error = "continue"` a dead dependency leaves the
//! caller's success at 100 % and its latency bounded by timeout × (retries + 1) plus its own
//! work; `probability` makes the call for its share of requests.

mod support;

use meshsim::EngineKind;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::simulate_source;

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// The own work of the product page, the application's timeout and its retries.
const WORK_MS: f64 = 5.0;
const TIMEOUT_MS: f64 = 300.0;
const RETRIES: f64 = 1.0;

/// The histogram reports a latency within 1/128 of a true sample (`record/src/histogram.rs`).
const HISTOGRAM_RESOLUTION: f64 = 1.0 / 128.0;

fn run(engine: EngineKind, source: &str) -> RunSummary {
    simulate_source(
        engine,
        "app-calls.toml",
        source,
        Some(1),
        RecorderOutputs::default(),
    )
    .1
}

/// Bookinfo's product page calling reviews with the application's own policy `policy`; `fault`
/// adds a fault. Hops take no time, so a request's latency is its work and its waits.
fn bookinfo(policy: &str, fault: &str) -> String {
    format!(
        r#"
[scenario]
name = "bookinfo"
duration = "60s"

[[service]]
name = "productpage"
exposed = true

[[service.endpoint]]
name = "GET /productpage"
service_time = {{ dist = "const", value = "5ms" }}
calls = [{{ service = "reviews", endpoint = "GET /reviews", {policy} }}]

[[service]]
name = "reviews"

[[service.endpoint]]
name = "GET /reviews"
service_time = {{ dist = "const", value = "2ms" }}

[[workload]]
name = "readers"
target = "productpage"
endpoint = "GET /productpage"
arrival = {{ kind = "poisson", rate = 50 }}
{fault}
"#
    )
}

const DEGRADE: &str = r#"timeout = "300ms", retries = 1, on_error = "continue""#;

/// Every request degrades instead of failing, and takes at most its work and the application's
/// tries; the edge still counts the failed tries as the mesh saw them.
fn assert_degrades_within_bound(engine: EngineKind, summary: &RunSummary, fault: &str) {
    let readers = &summary.workloads["readers"];
    assert!(readers.requests.sent > 2_000, "{engine:?} {fault}");
    assert_eq!(
        readers.requests.succeeded + readers.requests.in_flight,
        readers.requests.sent,
        "{engine:?} {fault}: every request that ended succeeded"
    );
    let page = &summary.services["productpage"];
    assert_eq!(page.success_rate, Some(1.0), "{engine:?} {fault}");
    // Requests that reached reviews before the fault may answer without degrading.
    assert!(
        page.requests.degraded + 100 >= page.requests.received,
        "{engine:?} {fault}: {} of {} degraded",
        page.requests.degraded,
        page.requests.received
    );
    let bound_ms = (WORK_MS + TIMEOUT_MS * (RETRIES + 1.0)) * (1.0 + HISTOGRAM_RESOLUTION);
    assert!(
        page.latency_ms.max <= bound_ms,
        "{engine:?} {fault}: max {} ms above {bound_ms} ms",
        page.latency_ms.max
    );
    assert!(
        readers.latency_ms.max <= bound_ms,
        "{engine:?} {fault}: the workload sees the same bound"
    );
    // Each of the application's tries is a call through the mesh, counted on the edge.
    let edge = &summary.edges["productpage -> reviews"];
    assert!(
        edge.calls as f64 >= (RETRIES + 1.0) * page.requests.degraded as f64,
        "{engine:?} {fault}: {} calls on the edge for {} degraded answers",
        edge.calls,
        page.requests.degraded
    );
}

#[test]
fn a_crashed_dependency_degrades_the_page_without_failing_it() {
    let crash = "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"reviews\"\n";
    for engine in ENGINES {
        let summary = run(engine, &bookinfo(DEGRADE, crash));
        assert_degrades_within_bound(engine, &summary, "crash");
    }
}

/// A paused dependency never answers: every try waits the application's full timeout, so a
/// request takes at least its work and both tries' timeouts, and no more.
#[test]
fn a_hung_dependency_costs_each_try_its_timeout() {
    let pause =
        "[[fault]]\nat = \"0s\"\nduration = \"60s\"\nkind = \"pause\"\ntarget = \"reviews\"\n";
    for engine in ENGINES {
        let summary = run(engine, &bookinfo(DEGRADE, pause));
        assert_degrades_within_bound(engine, &summary, "pause");
        let page = &summary.services["productpage"];
        let least_ms = (WORK_MS + TIMEOUT_MS * (RETRIES + 1.0)) * (1.0 - HISTOGRAM_RESOLUTION);
        assert!(
            page.latency_ms.p50 >= least_ms,
            "{engine:?}: p50 {} ms, each try waits its timeout",
            page.latency_ms.p50
        );
    }
}

/// Without `on_error = "continue"` the same dead dependency fails the page: the default is
/// today's behaviour.
#[test]
fn by_default_a_dead_dependency_fails_the_page() {
    let crash = "[[fault]]\nat = \"0s\"\nkind = \"crash\"\ntarget = \"reviews\"\n";
    for engine in ENGINES {
        let summary = run(engine, &bookinfo(r#"timeout = "300ms""#, crash));
        let page = &summary.services["productpage"];
        assert!(page.success_rate < Some(0.01), "{engine:?}");
        assert_eq!(page.requests.degraded, 0, "{engine:?}");
    }
}

/// `probability = 0.3`: reviews receives Binomial(n, 0.3) of the page's n requests; the count
/// must fall within 4.5 standard deviations of 0.3·n (a false failure about once in 150,000
/// seeds).
#[test]
fn probability_makes_the_call_for_its_share() {
    let p = 0.3;
    for engine in ENGINES {
        let summary = run(engine, &bookinfo("probability = 0.3", ""));
        let n = summary.services["productpage"].requests.received as f64;
        let made = summary.services["reviews"].requests.received as f64;
        let sd = (n * p * (1.0 - p)).sqrt();
        assert!(
            (made - n * p).abs() <= 4.5 * sd,
            "{engine:?}: {made} calls of {n}, expected {} ± {}",
            n * p,
            4.5 * sd
        );
    }
}
