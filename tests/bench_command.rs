//! `meshsim bench`: its figures are all there and its digest is `meshsim run`'s, and the floor
//! is refused where it models something else. Nothing here asserts a time: timed tests fail on
//! a busy machine, so the figures are only checked to exist and to agree with each other.

mod support;

use std::path::Path;

use meshsim::Floor;
use meshsim::scenario::load_str;
use support::meshsim;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

fn bench_json(args: &[&str]) -> serde_json::Value {
    let output = meshsim(args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("--json prints one JSON object")
}

/// The digest `meshsim run` prints in its summary.
fn run_digest(file: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    let output = meshsim(&[
        "run",
        file,
        "--out",
        out.path().to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let at = stdout.find("digest ").expect("run prints its digest") + "digest ".len();
    stdout[at..]
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

#[test]
fn one_run_has_every_figure_and_the_digest_of_meshsim_run() {
    let figures = bench_json(&[
        "bench",
        "scenarios/quickstart.toml",
        "--runs",
        "1",
        "--json",
    ]);
    for key in [
        "sim_s_per_wall_s",
        "requests_per_wall_s",
        "events_per_wall_s",
        "ns_per_event",
        "peak_memory_kib",
    ] {
        assert!(figures[key].is_number(), "{key} in {figures}");
    }
    assert_eq!(figures["runs"], 1);
    assert_eq!(figures["wall_s"]["each"].as_array().unwrap().len(), 1);
    assert_eq!(figures["sim_s"], 10.0);
    assert!(figures["requests"].as_u64().unwrap() > 400, "{figures}");
    assert!(figures["events"].as_u64().unwrap() > 0, "{figures}");
    assert!(figures["floor"].is_null());
    assert_eq!(
        figures["digest"].as_str().unwrap(),
        run_digest("scenarios/quickstart.toml")
    );
}

#[test]
fn the_floor_runs_beside_a_scenario_it_models() {
    let figures = bench_json(&[
        "bench",
        "scenarios/quickstart.toml",
        "--runs",
        "2",
        "--floor",
        "--json",
    ]);
    let floor = &figures["floor"];
    assert!(floor["meshsim_over_floor_best"].is_number(), "{figures}");
    assert!(floor["meshsim_over_floor_median"].is_number(), "{figures}");
    assert_eq!(floor["wall_s"]["each"].as_array().unwrap().len(), 2);
    // One workload arrival, one arrival at the service and one answer back per request.
    let requests = floor["requests"].as_u64().unwrap();
    assert!(requests > 400, "{figures}");
    assert!(
        floor["events"].as_u64().unwrap() >= 2 * requests,
        "{figures}"
    );
}

#[test]
fn the_table_names_each_figure() {
    let output = meshsim(&["bench", "scenarios/quickstart.toml", "--runs", "1"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for label in [
        "wall time",
        "real time",
        "per wall s",
        "ns each",
        "peak memory",
        "digest",
    ] {
        assert!(stdout.contains(label), "{label} in {stdout}");
    }
}

#[test]
fn the_floor_refuses_a_scenario_with_a_fault_where_the_fault_is_written() {
    let output = meshsim(&["bench", "scenarios/retry-storm.toml", "--floor"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    insta::assert_snapshot!(text(&output.stderr));
}

#[test]
fn runs_are_bounded() {
    let output = meshsim(&["bench", "scenarios/quickstart.toml", "--runs", "21"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(text(&output.stderr));
}

#[test]
fn help_says_what_is_timed_and_what_the_floor_is() {
    let output = meshsim(&["bench", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(text(&output.stdout));
}

/// The floor that was a hand-written loop for the chain alone in `benches/chain.rs`, now built
/// from any scenario it models, walks the chain's hops with the same draws: the hand-written
/// loop's counts at 5 simulated seconds from seed 1.
#[test]
fn the_floor_of_the_chain_does_what_the_hand_written_loop_did() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches");
    let text = std::fs::read_to_string(folder.join("chain.toml"))
        .unwrap()
        .replace("duration = \"60s\"", "duration = \"5s\"");
    let loaded = load_str("benches/chain.toml", &text).unwrap();
    let floor = Floor::of(loaded.resolved()).unwrap();
    let run = floor.run(1);
    assert_eq!((run.requests, run.events), (9_968, 89_660));
}
