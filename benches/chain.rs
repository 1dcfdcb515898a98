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

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

use meshsim_sim::{Distribution, Seeder, SimRng};
use support::{best_of, case_args, peak_memory_kib, run_children, run_text};

const RATE_PER_SECOND: f64 = 2_000.0;

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

/// The floor: the same hops as the chain (client → gateway → order → product, order →
/// payment, and every answer back), the same latency and service-time draws, round robin over
/// two replicas, but no queues, sidecars, policies, faults or recording.
#[allow(
    clippy::too_many_lines,
    reason = "the floor is one hand-written loop on purpose: its cost is the yardstick, and a \
              reader checks its hops against the chain's in one place"
)]
fn run_floor(seconds: u64) -> (u64, u64) {
    #[derive(Clone, Copy)]
    enum Step {
        Arrive,
        AtGateway,
        AtOrder,
        AtProduct,
        BackAtOrderFromProduct,
        AtPayment,
        BackAtOrderFromPayment,
        BackAtGateway,
        BackAtClient,
    }
    let end_ns = seconds * 1_000_000_000;
    let seeder = Seeder::new(1);
    let mut arrivals = seeder.stream("arrivals");
    let mut network = seeder.stream("network");
    let mut work = seeder.stream("work");
    let latency = Distribution::Exp { mean_ns: 500_000.0 };
    let times =
        [200_000.0, 500_000.0, 300_000.0, 1_000_000.0].map(|mean_ns| Distribution::Exp { mean_ns });
    let mut round_robin = [0u32; 4];
    let mut queue: BinaryHeap<Reverse<(u64, u64, u32, u8)>> = BinaryHeap::new();
    let mut sequence = 0u64;
    let mut push = |queue: &mut BinaryHeap<Reverse<(u64, u64, u32, u8)>>,
                    at: u64,
                    request: u32,
                    step: Step| {
        sequence += 1;
        queue.push(Reverse((at, sequence, request, step as u8)));
    };
    let hop = |rng: &mut SimRng| latency.sample_ns(rng);
    push(&mut queue, 0, 0, Step::Arrive);
    let (mut sent, mut done, mut events) = (0u64, 0u64, 0u64);
    let steps = [
        Step::Arrive,
        Step::AtGateway,
        Step::AtOrder,
        Step::AtProduct,
        Step::BackAtOrderFromProduct,
        Step::AtPayment,
        Step::BackAtOrderFromPayment,
        Step::BackAtGateway,
        Step::BackAtClient,
    ];
    while let Some(Reverse((now, _, request, step))) = queue.pop() {
        if now > end_ns {
            break;
        }
        events += 1;
        let mut serve = |service: usize, rng: &mut SimRng| {
            round_robin[service] = (round_robin[service] + 1) % 2;
            times[service].sample_ns(rng)
        };
        match steps[step as usize] {
            Step::Arrive => {
                sent += 1;
                let gap = Distribution::Exp {
                    mean_ns: 1e9 / RATE_PER_SECOND,
                }
                .sample_ns(&mut arrivals);
                push(&mut queue, now + gap, 0, Step::Arrive);
                push(
                    &mut queue,
                    now + hop(&mut network),
                    sent as u32,
                    Step::AtGateway,
                );
            }
            Step::AtGateway => {
                let at = now + serve(0, &mut work) + hop(&mut network);
                push(&mut queue, at, request, Step::AtOrder);
            }
            Step::AtOrder => {
                let at = now + serve(1, &mut work) + hop(&mut network);
                push(&mut queue, at, request, Step::AtProduct);
            }
            Step::AtProduct => {
                let at = now + serve(2, &mut work) + hop(&mut network);
                push(&mut queue, at, request, Step::BackAtOrderFromProduct);
            }
            Step::BackAtOrderFromProduct => push(
                &mut queue,
                now + hop(&mut network),
                request,
                Step::AtPayment,
            ),
            Step::AtPayment => {
                let at = now + serve(3, &mut work) + hop(&mut network);
                push(&mut queue, at, request, Step::BackAtOrderFromPayment);
            }
            Step::BackAtOrderFromPayment => push(
                &mut queue,
                now + hop(&mut network),
                request,
                Step::BackAtGateway,
            ),
            Step::BackAtGateway => push(
                &mut queue,
                now + hop(&mut network),
                request,
                Step::BackAtClient,
            ),
            Step::BackAtClient => done += 1,
        }
    }
    assert!(done <= sent);
    (sent, events)
}

fn measure(case: &str, seconds: u64) -> String {
    let (wall_seconds, (requests, events)) = match case {
        "meshsim" => best_of(3, || run_meshsim(seconds, false)),
        "mesh" => best_of(3, || run_meshsim(seconds, true)),
        "floor" => best_of(3, || run_floor(seconds)),
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
