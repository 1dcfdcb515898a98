//! Rollout controllers on both engines: a healthy canary is promoted when Flagger's formula says,
//! a bad one is rolled back `threshold` intervals after its first failed check, a latency
//! regression without errors is caught by the p99 check, blue/green switches and then promotes,
//! a rolling update keeps within `max_surge` and `max_unavailable` and loses no request, and a
//! strangler moves the share of calls it says.

// Times are read back from events.csv, written to the microsecond from whole simulated
// nanoseconds: the decisions this file checks fall on whole seconds exactly.
#![allow(clippy::float_cmp)]

mod support;

use meshsim::EngineKind;
use meshsim_record::{RecorderOutputs, RolloutOutcome, RunSummary};
use support::{SharedBuffer, simulate_source};

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// A run's summary and its `events.csv` lines (time in seconds, kind, detail).
struct Run {
    summary: RunSummary,
    events: Vec<(f64, String, String)>,
    metrics: String,
}

fn run(engine: EngineKind, source: &str) -> Run {
    let events = SharedBuffer::default();
    let metrics = SharedBuffer::default();
    let outputs = RecorderOutputs {
        events: Some(Box::new(events.clone())),
        metrics: Some(Box::new(metrics.clone())),
        ..RecorderOutputs::default()
    };
    let (_, summary) = simulate_source(engine, "rollout.toml", source, None, outputs);
    let text = String::from_utf8(events.bytes()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let events = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (
                record[0].parse::<f64>().unwrap(),
                record[1].to_owned(),
                record[3].to_owned(),
            )
        })
        .collect();
    Run {
        summary,
        events,
        metrics: String::from_utf8(metrics.bytes()).unwrap(),
    }
}

impl Run {
    fn times_of(&self, kind: &str) -> Vec<f64> {
        self.events
            .iter()
            .filter(|(_, event_kind, _)| event_kind == kind)
            .map(|(time, _, _)| *time)
            .collect()
    }

    fn failed_checks(&self) -> Vec<f64> {
        self.events
            .iter()
            .filter(|(_, kind, detail)| kind == "rollout_check" && detail.starts_with("failed"))
            .map(|(time, _, _)| *time)
            .collect()
    }
}

/// One service with a v1 of two instances and a v2 of one, behind a canary rollout.
fn canary(v2: &str, rollout: &str, rate: u32) -> String {
    format!(
        r#"
[scenario]
name = "canary-test"
seed = 3
duration = "3m"

[[service]]
name = "api"
replicas = 2
workers = 16
queue = 64
exposed = true

[[service.endpoint]]
name = "GET /"
service_time = {{ dist = "exp", mean = "10ms" }}

[[service.version]]
name = "v2"
replicas = 1
{v2}

[[workload]]
name = "users"
target = "api"
endpoint = "GET /"
arrival = {{ kind = "poisson", rate = {rate} }}
timeout = "5s"

[[rollout]]
service = "api"
from = "v1"
to = "v2"
strategy = "canary"
start = "20s"
interval = "10s"
checks = [{{ metric = "success_rate", min = 0.99 }}, {{ metric = "latency_p99", max = "100ms" }}]
{rollout}
"#
    )
}

#[test]
fn a_healthy_canary_is_promoted_when_flaggers_formula_says() {
    // interval × max_weight / step_weight, plus one interval for the promotion: 10 s × 3 + 10 s.
    let source = canary("", "step_weight = 20\nmax_weight = 60", 50);
    for engine in ENGINES {
        let run = run(engine, &source);
        let rollout = &run.summary.rollouts["api"];
        assert_eq!(rollout.outcome, RolloutOutcome::Promoted, "{engine:?}");
        assert_eq!(rollout.time_s, Some(40.0), "{engine:?}");
        assert_eq!(rollout.failed_checks, 0, "{engine:?}");
        assert_eq!(
            run.times_of("rollout_step"),
            vec![30.0, 40.0, 50.0],
            "{engine:?}"
        );
        assert_eq!(run.times_of("rollout_promote"), vec![60.0], "{engine:?}");
        // After the promotion v1 takes nothing: only v2 answers (a request in flight at the
        // moment may still finish on v1).
        let services = &run.summary.services["api"].versions;
        assert!(services["v2"].requests.received > 3_000, "{engine:?}");
    }
}

#[test]
fn a_bad_canary_is_rolled_back_threshold_intervals_after_its_first_failed_check() {
    let source = canary("error_rate = 0.2", "step_weight = 10\nthreshold = 3", 50);
    for engine in ENGINES {
        let run = run(engine, &source);
        let rollout = &run.summary.rollouts["api"];
        assert_eq!(rollout.outcome, RolloutOutcome::RolledBack, "{engine:?}");
        let failed = run.failed_checks();
        assert_eq!(failed, vec![40.0, 50.0, 60.0], "{engine:?}");
        let rollback = run.times_of("rollout_rollback");
        assert_eq!(rollback, vec![failed[0] + 3.0 * 10.0], "{engine:?}");
        assert_eq!(rollout.time_s, Some(50.0), "{engine:?}");
        // The blast radius is what v2 answered: a tenth of the traffic for three intervals.
        assert_eq!(
            rollout.blast_radius, run.summary.services["api"].versions["v2"].requests.received,
            "{engine:?}"
        );
        assert!(
            (100..=300).contains(&rollout.blast_radius),
            "{engine:?}: {}",
            rollout.blast_radius
        );
    }
}

#[test]
fn a_latency_regression_without_errors_is_caught_by_the_p99_check() {
    // v2 is eight times slower (mean 80 ms, p99 near 370 ms) but never fails.
    let source = canary("service_time_factor = 8.0", "step_weight = 10", 50);
    for engine in ENGINES {
        let run = run(engine, &source);
        let rollout = &run.summary.rollouts["api"];
        assert_eq!(rollout.outcome, RolloutOutcome::RolledBack, "{engine:?}");
        let (_, _, detail) = run
            .events
            .iter()
            .find(|(_, kind, detail)| kind == "rollout_check" && detail.starts_with("failed"))
            .expect("a failed check");
        assert!(detail.contains("success_rate 1 ok"), "{engine:?}: {detail}");
        assert!(detail.contains("latency_p99"), "{engine:?}: {detail}");
        assert!(detail.ends_with("FAILED"), "{engine:?}: {detail}");
        assert_eq!(
            run.summary.services["api"].versions["v2"].requests.failed,
            0
        );
    }
}

#[test]
fn step_weights_are_taken_in_order_and_recorded_in_metrics() {
    let source = canary("", "step_weights = [5, 50, 80]", 40);
    let run = run(EngineKind::Event, &source);
    let steps: Vec<&str> = run
        .events
        .iter()
        .filter(|(_, kind, _)| kind == "rollout_step")
        .map(|(_, _, detail)| detail.as_str())
        .collect();
    assert_eq!(steps, ["v2 weight 5%", "v2 weight 50%", "v2 weight 80%"]);
    assert_eq!(run.summary.rollouts["api"].time_s, Some(40.0));
    // metrics.csv shows each version's share as the controller set it.
    let mut reader = csv::Reader::from_reader(run.metrics.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let (time, version, weight, failed) = (
        column("time_s"),
        column("version"),
        column("route_weight"),
        column("failed_checks"),
    );
    let mut v2_weights = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        if &record[version] == "v2" {
            v2_weights.push((
                record[time].parse::<f64>().unwrap(),
                record[weight].to_owned(),
            ));
            assert_eq!(&record[failed], "0");
        }
    }
    let weight_at = |at: f64| {
        v2_weights
            .iter()
            .find(|(time, _)| *time == at)
            .map(|(_, weight)| weight.clone())
    };
    assert_eq!(weight_at(20.0).as_deref(), Some("0.0"));
    assert_eq!(weight_at(40.0).as_deref(), Some("50.0"));
    assert_eq!(weight_at(120.0).as_deref(), Some("100.0"));
}

/// Beta users reach v2 from the start through a header route; a rollback sends them back too.
#[test]
fn header_routed_users_reach_the_canary_from_the_start_and_leave_it_on_rollback() {
    let source = r#"
[scenario]
name = "ab-test"
seed = 5
duration = "2m"
metrics_interval = "5s"

[[service]]
name = "api"
replicas = 2
exposed = true

[[service.endpoint]]
name = "GET /"
service_time = { dist = "exp", mean = "5ms" }

[[service.version]]
name = "v2"
replicas = 1
error_rate = 0.3

[[mesh.api.route]]
match = { headers = { "user-type" = { exact = "beta" } } }
weights = { v2 = 100 }
[[mesh.api.route]]
weights = { v1 = 100 }

[[workload]]
name = "users"
target = "api"
endpoint = "GET /"
arrival = { kind = "constant", rate = 40 }
headers = { "user-type" = { beta = 0.25, regular = 0.75 } }

[[rollout]]
service = "api"
from = "v1"
to = "v2"
strategy = "canary"
start = "30s"
interval = "10s"
step_weight = 10
checks = [{ metric = "success_rate", min = 0.99 }]
"#;
    for engine in ENGINES {
        let run = run(engine, source);
        let rollback = run.times_of("rollout_rollback");
        // Beta traffic fails the first analysis, at the second interval (no step yet counts).
        assert_eq!(run.failed_checks(), vec![50.0], "{engine:?}");
        assert_eq!(rollback, vec![60.0], "{engine:?}");
        let mut reader = csv::Reader::from_reader(run.metrics.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
        let (time, version, requests) = (column("time_s"), column("version"), column("requests"));
        let mut before = 0;
        for record in reader.records() {
            let record = record.unwrap();
            if &record[version] != "v2" {
                continue;
            }
            let end: f64 = record[time].parse().unwrap();
            let count: u64 = record[requests].parse().unwrap();
            if end <= 30.0 {
                before += count;
            }
            // A whole interval after the rollback reached the callers, v2 gets nothing.
            if end >= 70.0 {
                assert_eq!(count, 0, "{engine:?}: v2 answered at {end}");
            }
        }
        assert!(
            before > 200,
            "{engine:?}: beta users reached v2 {before} times"
        );
    }
}

#[test]
fn blue_green_switches_after_its_iterations_and_promotes_one_interval_later() {
    let source = r#"
[scenario]
name = "blue-green-test"
seed = 9
duration = "2m"

[[service]]
name = "api"
replicas = 2
exposed = true

[[service.endpoint]]
name = "GET /"
service_time = { dist = "exp", mean = "5ms" }

[[service.version]]
name = "green"
replicas = 2

[[mesh.api.route]]
match = { headers = { "x-env" = { exact = "green" } } }
weights = { green = 100 }
[[mesh.api.route]]
weights = { v1 = 100 }

[[workload]]
name = "users"
target = "api"
endpoint = "GET /"
arrival = { kind = "poisson", rate = 30 }

[[workload]]
name = "qa"
target = "api"
endpoint = "GET /"
arrival = { kind = "poisson", rate = 5 }
headers = { "x-env" = { green = 1.0 } }

[[rollout]]
service = "api"
from = "v1"
to = "green"
strategy = "blue_green"
start = "10s"
interval = "10s"
iterations = 3
checks = [{ metric = "success_rate", min = 0.99 }]
"#;
    for engine in ENGINES {
        let run = run(engine, source);
        let switch = run
            .events
            .iter()
            .find(|(_, _, detail)| detail.starts_with("all traffic switched"))
            .map(|(time, _, _)| *time);
        // Flagger: iteration 1 at the first interval, 2 and 3 after passing analyses, the
        // switch after the third, the promotion after one more passing analysis.
        assert_eq!(switch, Some(50.0), "{engine:?}");
        assert_eq!(run.times_of("rollout_promote"), vec![60.0], "{engine:?}");
        let rollout = &run.summary.rollouts["api"];
        assert_eq!(rollout.outcome, RolloutOutcome::Promoted, "{engine:?}");
        assert_eq!(rollout.time_s, Some(50.0), "{engine:?}");
    }
}

fn rolling(v2: &str, max_surge: u32, max_unavailable: u32) -> String {
    // New instances take 10 s to get ready and checks run every 15 s: the first check that
    // sees v2's traffic comes before the update can finish.
    format!(
        r#"
[scenario]
name = "rolling-test"
seed = 4
duration = "2m"

[[service]]
name = "api"
replicas = 4
workers = 8
exposed = true

[[service.endpoint]]
name = "GET /"
service_time = {{ dist = "exp", mean = "5ms" }}

[[service.version]]
name = "v2"
replicas = 4
{v2}

[[workload]]
name = "users"
target = "api"
endpoint = "GET /"
arrival = {{ kind = "poisson", rate = 50 }}
timeout = "5s"

[[rollout]]
service = "api"
from = "v1"
to = "v2"
strategy = "rolling"
start = "10s"
interval = "15s"
max_surge = {max_surge}
max_unavailable = {max_unavailable}
readiness_delay = "10s"
failure_action = "rollback"
checks = [{{ metric = "success_rate", min = 0.99 }}]
"#
    )
}

/// Replays the `rollout_instance` lines: (instances up, instances ready) after each moment.
fn pod_counts(run: &Run, desired: i64) -> Vec<(f64, i64, i64)> {
    let (mut up, mut ready) = (desired, desired);
    let mut counts: Vec<(f64, i64, i64)> = Vec::new();
    for (time, kind, detail) in &run.events {
        if kind != "rollout_instance" {
            continue;
        }
        if detail.ends_with(" stopped before it was ready") {
            up -= 1;
        } else if detail.contains(" started") {
            up += 1;
        } else if detail.ends_with(" ready") {
            ready += 1;
        } else if detail.ends_with(" stopped") {
            up -= 1;
            ready -= 1;
        }
        match counts.last_mut() {
            Some(last) if last.0 == *time => *last = (*time, up, ready),
            _ => counts.push((*time, up, ready)),
        }
    }
    counts
}

#[test]
fn a_rolling_update_keeps_within_surge_and_unavailable_and_loses_nothing() {
    for (max_surge, max_unavailable) in [(1, 0), (1, 1), (2, 1)] {
        let source = rolling("", max_surge, max_unavailable);
        for engine in ENGINES {
            let run = run(engine, &source);
            let rollout = &run.summary.rollouts["api"];
            assert_eq!(rollout.outcome, RolloutOutcome::Promoted, "{engine:?}");
            for (time, up, ready) in pod_counts(&run, 4) {
                assert!(
                    up <= 4 + i64::from(max_surge),
                    "{engine:?} surge {max_surge}: {up} instances up at {time}"
                );
                assert!(
                    ready >= 4 - i64::from(max_unavailable),
                    "{engine:?} unavailable {max_unavailable}: {ready} ready at {time}"
                );
            }
            // Stopped instances drain: nothing fails while they are replaced.
            let users = &run.summary.workloads["users"].requests;
            assert_eq!(users.succeeded + users.in_flight, users.sent, "{engine:?}");
            let versions = &run.summary.services["api"].versions;
            assert!(versions["v2"].requests.received > 1_000, "{engine:?}");
        }
    }
}

#[test]
fn a_failing_rolling_update_runs_backwards() {
    let source = rolling("error_rate = 0.2", 1, 1);
    for engine in ENGINES {
        let run = run(engine, &source);
        let rollout = &run.summary.rollouts["api"];
        assert_eq!(rollout.outcome, RolloutOutcome::RolledBack, "{engine:?}");
        // v2's first instances are ready at 20 s; the check at 25 s sees their errors.
        assert_eq!(rollout.time_s, Some(15.0), "{engine:?}");
        let done = run
            .events
            .iter()
            .find(|(_, _, detail)| detail.starts_with("rollback complete"));
        assert!(
            done.is_some(),
            "{engine:?}: the old version is back on every instance"
        );
        let (time, up, ready) = *pod_counts(&run, 4).last().unwrap();
        assert_eq!((up, ready), (4, 4), "{engine:?} at {time}");
    }
}

#[test]
fn a_strangler_moves_the_share_of_calls_it_says() {
    let source = r#"
[scenario]
name = "strangler-test"
seed = 2
duration = "75s"

[[service]]
name = "front"
replicas = 1
workers = 64
exposed = true

[[service.endpoint]]
name = "GET /orders"
calls = [{ service = "monolith", endpoint = "GET /orders" }]

[[service.endpoint]]
name = "GET /users"
calls = [{ service = "monolith", endpoint = "GET /users" }]

[[service]]
name = "monolith"

[[service.endpoint]]
name = "GET /orders"
service_time = { dist = "exp", mean = "2ms" }

[[service.endpoint]]
name = "GET /users"
service_time = { dist = "exp", mean = "2ms" }

[[service]]
name = "orders"

[[service.endpoint]]
name = "GET /orders"
service_time = { dist = "exp", mean = "2ms" }

[[workload]]
name = "buyers"
target = "front"
endpoint = "GET /orders"
arrival = { kind = "constant", rate = 100 }

[[workload]]
name = "readers"
target = "front"
endpoint = "GET /users"
arrival = { kind = "constant", rate = 50 }

[[rollout]]
service = "orders"
monolith = "monolith"
strategy = "strangler"
start = "10s"
interval = "20s"
step_weights = [30, 100]
checks = [{ metric = "error_rate", max = 0.05 }]
"#;
    for engine in ENGINES {
        let run = run(engine, source);
        let rollout = &run.summary.rollouts["orders"];
        assert_eq!(rollout.outcome, RolloutOutcome::Promoted, "{engine:?}");
        assert_eq!(rollout.time_s, Some(60.0), "{engine:?}");
        // 30% of 20 s, then all of the last 25 s, of 100 order calls a second: 3,100 moved.
        let moved = run.summary.services["orders"].requests.received;
        assert!((2_950..=3_250).contains(&moved), "{engine:?}: {moved}");
        // The users' endpoint is not the new service's: all of it stays on the monolith.
        let monolith = run.summary.services["monolith"].requests.received;
        assert!(
            (150 * 75 - 10..=150 * 75).contains(&(monolith + moved)),
            "{engine:?}: {monolith} + {moved}"
        );
    }
}

proptest::proptest! {
    // 16 cases in CI; `MESHSIM_ROLLOUT_CASES=1000 cargo test --release --test rollout` soaks.
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: std::env::var("MESHSIM_ROLLOUT_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(16),
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// For any seed, step and threshold: a healthy canary is promoted exactly when Flagger's
    /// formula says, and a canary failing half its requests is rolled back exactly `threshold`
    /// intervals after its first failed check, which comes at the first analysis.
    #[test]
    fn the_canary_schedule_holds_for_any_seed(
        seed in 0u64..1_000_000,
        step in proptest::sample::select(vec![10u32, 20, 25, 30, 50]),
        threshold in 1u32..4,
        bad in proptest::bool::ANY,
    ) {
        // The healthy v2 is twice as fast as v1: at 10 % of 50 requests a second an interval
        // holds about 50 of its answers, and their p99 is the slowest one. With v1's speed an
        // exponential tail passes 100 ms once in a few hundred intervals, and Flagger would
        // fail that check too (proptest found seed 86556).
        // The bad v2 fails half its requests, so the first analysis (about 40 answers) cannot
        // pass by chance; at a fifth, all 40 succeed once in 6,000 runs (seed 532089).
        let v2 = if bad { "error_rate = 0.5" } else { "service_time_factor = 0.5" };
        let rollout = format!("step_weight = {step}\nmax_weight = 50\nthreshold = {threshold}");
        let source = canary(v2, &rollout, 50).replace("seed = 3", &format!("seed = {seed}"));
        let run = run(EngineKind::Event, &source);
        let rollout = &run.summary.rollouts["api"];
        let replay = format!("meshsim run with seed {seed}, step {step}, threshold {threshold}, bad {bad}");
        if bad {
            proptest::prop_assert_eq!(rollout.outcome, RolloutOutcome::RolledBack, "{}", replay);
            let failed = run.failed_checks();
            proptest::prop_assert_eq!(failed.first().copied(), Some(40.0), "{}", replay);
            proptest::prop_assert_eq!(
                run.times_of("rollout_rollback"),
                vec![40.0 + 10.0 * f64::from(threshold)],
                "{}",
                replay
            );
        } else {
            let steps = 50_u32.div_ceil(step);
            proptest::prop_assert_eq!(rollout.outcome, RolloutOutcome::Promoted, "{}", replay);
            proptest::prop_assert_eq!(
                rollout.time_s,
                Some(10.0 * f64::from(steps + 1)),
                "{}",
                replay
            );
        }
    }
}

#[test]
fn a_canary_that_stops_answering_scrapes_fails_its_checks_for_lack_of_data() {
    // The only v2 instance crashes before the first analysis and stays down: its scrapes are
    // refused, so the analysis has no values, which Flagger counts as a failed check.
    let source = canary(
        "",
        "step_weight = 10\nthreshold = 2\n\n[[fault]]\nat = \"35s\"\nkind = \"crash\"\ntarget = \"api/2\"",
        50,
    );
    for engine in ENGINES {
        let run = run(engine, &source);
        let rollout = &run.summary.rollouts["api"];
        assert_eq!(rollout.outcome, RolloutOutcome::RolledBack, "{engine:?}");
        assert_eq!(run.failed_checks(), vec![40.0, 50.0], "{engine:?}");
        let (_, _, detail) = run
            .events
            .iter()
            .find(|(_, kind, _)| kind == "rollout_check")
            .expect("a check");
        assert!(detail.contains("no traffic FAILED"), "{engine:?}: {detail}");
    }
}
