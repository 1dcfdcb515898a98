//! Benchmark: the canary at length and over many seeds.
//!
//! `cargo bench --bench canary` runs, each in a child process of its own so peak memory
//! (`VmHWM`) is measured per case:
//! - `canary 30m`: `scenarios/canary.toml` for 30 simulated minutes at 200 requests a second
//!   (twice its own rate), with metrics and events written into memory sinks as a real run
//!   writes them; best of three;
//! - `sweep 1000`: `scenarios/canary.toml` as it is (12 simulated minutes at 100 requests a
//!   second) over seeds 0..1000 on every core, as `meshsim sweep` runs them; run once.
//!
//! One case alone: `cargo bench --bench canary -- canary 30m` or `-- sweep 1000`.

mod support;

use std::path::Path;

use meshsim::EngineKind;
use meshsim::scenario::load_file;
use meshsim::{default_jobs, sweep_rows};
use meshsim_reports::sweep::SeedRange;
use support::{best_of, case_args, peak_memory_kib, run_children, run_text};

fn canary_file() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/canary.toml")
}

/// The canary for `minutes` at 200 requests a second: (requests sent, engine events).
fn run_long_canary(minutes: u64) -> (u64, u64) {
    let text = std::fs::read_to_string(canary_file())
        .expect("scenarios/canary.toml")
        .replace("duration = \"12m\"", &format!("duration = \"{minutes}m\""))
        .replace(
            "arrival = { kind = \"poisson\", rate = 100 }",
            "arrival = { kind = \"poisson\", rate = 200 }",
        );
    assert!(text.contains(&format!("duration = \"{minutes}m\"")) && text.contains("rate = 200"));
    run_text("scenarios/canary.toml", &text, 7)
}

/// Seeds 0..`seeds` of the canary on every core: (requests sent in all, seeds rolled back).
fn run_sweep(seeds: u64) -> (u64, u64) {
    let loaded = load_file(&canary_file()).expect("valid");
    let rows = sweep_rows(
        EngineKind::Event,
        default_jobs(),
        loaded.resolved(),
        SeedRange {
            start: 0,
            end: seeds,
        },
    )
    .expect("every seed runs");
    assert!(rows.iter().all(|row| row.accounted));
    let sent = rows.iter().map(|row| row.sent).sum();
    let rolled_back = rows
        .iter()
        .filter(|row| row.rollouts[0].outcome == "rolled_back")
        .count() as u64;
    (sent, rolled_back)
}

fn main() {
    match case_args().as_slice() {
        [case, minutes] if case == "canary" => {
            let minutes: u64 = minutes.trim_end_matches('m').parse().expect("minutes");
            let (wall_s, (requests, events)) = best_of(3, || run_long_canary(minutes));
            let sim_s = (minutes * 60) as f64;
            println!(
                "canary {minutes}m   {sim_s:>7} sim s  {wall_s:8.3} wall s  {:>10.0} sim req/wall s  {:>7.0}x real time  {events:>10} events  {:>9.0} events/wall s  peak {:>7} KiB  ({requests} requests)",
                requests as f64 / wall_s,
                sim_s / wall_s,
                events as f64 / wall_s,
                peak_memory_kib(),
            );
        }
        [case, seeds] if case == "sweep" => {
            let seeds: u64 = seeds.parse().expect("seeds");
            let (wall_s, (requests, rolled_back)) = best_of(1, || run_sweep(seeds));
            let sim_s = seeds as f64 * 720.0;
            println!(
                "sweep {seeds} seeds  {sim_s:>7} sim s  {wall_s:8.3} wall s  {:>10.0} sim req/wall s  {:>7.0}x real time  {:>6.1} seeds/wall s  {} jobs  peak {:>7} KiB  ({requests} requests, {rolled_back} rolled back)",
                requests as f64 / wall_s,
                sim_s / wall_s,
                seeds as f64 / wall_s,
                default_jobs(),
                peak_memory_kib(),
            );
        }
        [] => run_children(&[&["canary", "30m"], &["sweep", "1000"]]),
        other => panic!("unknown case {other:?}: `canary 30m` or `sweep 1000`"),
    }
}
