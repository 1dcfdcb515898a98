//! Benchmark: the shop-like chain through the whole of meshsim, beside the floor, a minimal
//! hand-written event loop doing the same hops with no policies and no recording.
//!
//! `cargo bench --bench chain` runs both at 60 simulated seconds, meshsim again with a full mesh
//! policy on every call (`mesh`: timeouts, retries with a budget, connection pools, outlier
//! detection, a circuit breaker; `benches/chain-mesh.toml`), and meshsim again at 600 simulated
//! seconds, each in a child process of its own so peak memory (`VmHWM`) is measured per run.
//! One case alone: `cargo bench --bench chain -- meshsim 60`, `-- mesh 60` or `-- floor 60`.
//! Wall time is the best of three.

mod support;

use std::path::Path;

use meshsim::Floor;
use meshsim::scenario::load_str;
use support::{best_of, case_args, peak_memory_kib, run_children, run_text};

fn scenario_text(seconds: u64, mesh: bool) -> String {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches");
    let mut text = std::fs::read_to_string(folder.join("chain.toml"))
        .expect("benches/chain.toml")
        .replace("duration = \"60s\"", &format!("duration = \"{seconds}s\""));
    if mesh {
        text = text.replace("[scenario]\n", "[scenario]\nmesh = \"envoy\"\n");
        text.push_str(
            &std::fs::read_to_string(folder.join("chain-mesh.toml"))
                .expect("benches/chain-mesh.toml"),
        );
    }
    text
}

/// meshsim with every output it writes in a real run (metrics, events), into memory sinks.
fn run_meshsim(seconds: u64, mesh: bool) -> (u64, u64) {
    run_text("benches/chain.toml", &scenario_text(seconds, mesh), 1)
}

/// The floor (`meshsim::Floor`): a minimal event loop over the chain's call graph, the same
/// hops (client → gateway → order → product, order → payment, and every answer back) and the
/// same latency and service-time draws, round robin over two replicas, but no queues, sidecars,
/// policies, faults or recording. `meshsim bench --floor` runs the same loop.
/// Built from the scenario before the timing starts, so only the loop is timed.
fn chain_floor(seconds: u64) -> Floor {
    let loaded = load_str("benches/chain.toml", &scenario_text(seconds, false)).expect("valid");
    Floor::of(loaded.resolved()).expect("the floor models the chain")
}

fn run_floor(floor: &Floor) -> (u64, u64) {
    let run = floor.run(1);
    (run.requests, run.events)
}

fn measure(case: &str, seconds: u64) -> String {
    let (wall_seconds, (requests, events)) = match case {
        "meshsim" => best_of(3, || run_meshsim(seconds, false)),
        "mesh" => best_of(3, || run_meshsim(seconds, true)),
        "floor" => {
            let floor = chain_floor(seconds);
            best_of(3, || run_floor(&floor))
        }
        other => panic!("unknown case {other}: meshsim, mesh or floor"),
    };
    format!(
        "{case:8} {seconds:>4} sim s  {wall_seconds:8.3} wall s  {:>10.0} sim req/wall s  {:>6.0}x real time  {:>9} events  peak {:>7} KiB  ({requests} requests)",
        requests as f64 / wall_seconds,
        seconds as f64 / wall_seconds,
        events,
        peak_memory_kib(),
    )
}

fn main() {
    if let [case, seconds] = case_args().as_slice() {
        println!("{}", measure(case, seconds.parse().expect("seconds")));
        return;
    }
    run_children(&[
        &["floor", "60"],
        &["meshsim", "60"],
        &["mesh", "60"],
        &["meshsim", "600"],
    ]);
}
