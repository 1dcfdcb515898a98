//! The autoscaler in a whole run: the launch-day scenario, what `min_replicas` would have
//! spared it, both engines on a load step, and what a user sees when `[service.autoscale]` is
//! wrong.

use std::path::Path;

use meshsim::scenario::load_str;
use meshsim::{EngineKind, simulate_on};
use meshsim_record::RecorderOutputs;

mod support;
use support::SharedBuffer;

/// `scenarios/autoscale.toml` with its data file's path made absolute and `edit` applied.
fn launch_day(edit: impl Fn(String) -> String) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("scenarios/autoscale.toml")).expect("reads");
    let data = root.join("scenarios/data/launch-day.csv");
    edit(text.replace(
        "file = \"data/launch-day.csv\"",
        &format!("file = \"{}\"", data.display()),
    ))
}

/// The run's summary and its `events.csv`, on `engine`.
fn run(text: &str, engine: EngineKind) -> (serde_json::Value, String) {
    let loaded = load_str("autoscale.toml", text).unwrap_or_else(|error| panic!("{error}"));
    let events = SharedBuffer::default();
    let outputs = RecorderOutputs {
        events: Some(Box::new(events.clone())),
        ..RecorderOutputs::default()
    };
    let simulation =
        simulate_on(engine, loaded.resolved(), 11, outputs, &mut |_, _| {}).expect("runs");
    assert!(simulation.summary.accounting.ok, "every request ends once");
    let summary = serde_json::to_value(&simulation.summary).expect("serialises");
    (summary, String::from_utf8(events.bytes()).expect("utf-8"))
}

fn count(summary: &serde_json::Value, key: &str) -> u64 {
    summary["requests"][key].as_u64().expect("a count")
}

#[test]
fn min_replicas_spares_the_launch_what_a_late_scale_out_costs() {
    let (late, events) = run(&launch_day(|text| text), EngineKind::Event);
    // The HPA scaled out, and only after the launch began (the profile rises from 5m = 300 s).
    let first_start = events
        .lines()
        .find(|line| line.contains(",scale_start,"))
        .and_then(|line| line.split(',').next()?.parse::<f64>().ok())
        .expect("the autoscaler started an instance");
    assert!(first_start > 300.0, "first start at {first_start} s");
    // Pre-scaled to the launch's need (400 requests/s at 60 per instance: ceil(6.7) = 7, and
    // one more), the same launch sheds nothing and fails only while the first pods start.
    let prescaled = launch_day(|text| {
        text.replace("replicas = 2\n", "replicas = 8\n")
            .replace("min_replicas = 2\n", "min_replicas = 8\n")
    });
    let (early, _) = run(&prescaled, EngineKind::Event);
    assert!(count(&late, "shed") > 1_000, "{}", count(&late, "shed"));
    assert_eq!(count(&early, "shed"), 0);
    let lost = |summary: &serde_json::Value| {
        ["failed", "timed_out", "shed"]
            .iter()
            .map(|key| count(summary, key))
            .sum::<u64>()
    };
    assert!(
        lost(&early) < lost(&late),
        "{} vs {}",
        lost(&early),
        lost(&late)
    );
}

/// A short load step both engines run: 2 instances at 40 requests/s, then 200 from 20 s.
const STEP: &str = r#"
[scenario]
name = "step"
duration = "1m"

[[service]]
name = "api"
replicas = 2
workers = 4
exposed = true
start_time = "10s"

[service.autoscale]
min_replicas = 2
max_replicas = 8
metric = "concurrency"
target = 1

[[service.endpoint]]
name = "GET /"
service_time = { dist = "exp", mean = "20ms" }

[[workload]]
name = "users"
target = "api"
endpoint = "GET /"
arrival = { kind = "steps", steps = [["0s", 40], ["20s", 200]] }
"#;

#[test]
fn both_engines_scale_a_load_step_alike() {
    let (event, event_log) = run(STEP, EngineKind::Event);
    let (turmoil, turmoil_log) = run(STEP, EngineKind::Turmoil);
    let decisions = |log: &str| {
        log.lines()
            .filter(|line| line.contains(",scale,"))
            .map(|line| line.split_once(',').map(|(_, rest)| rest.to_owned()))
            .collect::<Vec<_>>()
    };
    assert!(!decisions(&event_log).is_empty(), "{event_log}");
    // At 200 requests/s of 20 ms, Little's law puts 4 requests in progress: 2 per instance
    // on 2, twice the target of 1, so the count must grow.
    assert!(event_log.contains("2 → "), "{event_log}");
    for key in ["sent", "succeeded"] {
        let (a, b) = (count(&event, key) as f64, count(&turmoil, key) as f64);
        assert!((a - b).abs() / a < 0.05, "{key}: {a} vs {b}");
    }
    let _ = turmoil_log;
}

/// The rendered errors of a bad fixture.
fn errors_of(name: &str) -> String {
    let label = format!("tests/fixtures/bad/{name}.toml");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(&label);
    let text = std::fs::read_to_string(&path).expect("reads the fixture");
    match load_str(&label, &text) {
        Ok(_) => panic!("{label} loaded, but it should not"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn bad_bounds_are_refused_where_they_are_written() {
    insta::assert_snapshot!(errors_of("autoscale-bounds"));
}

#[test]
fn cpu_without_cores_and_a_bad_behaviour_are_refused() {
    insta::assert_snapshot!(errors_of("autoscale-behavior"));
}
