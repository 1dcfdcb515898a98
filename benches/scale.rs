//! Benchmark: how meshsim's cost grows with the size of the system it simulates.
//!
//! `cargo bench --bench scale` runs, each in a child process of its own so peak memory
//! (`VmHWM`) is measured per case, and with wall time the best of three:
//! - `layers N`: N services of 3 replicas in four layers, Poisson 10,000 requests a second in
//!   all, for N = 10, 100 and 1,000. Every request makes the same hops whatever N is, so the
//!   events are the same and only the number of services (and instances) changes: a flat cost
//!   per event says nothing on the hot path scans or sizes per service.
//! - `chain 300`: 300 services of 3 replicas in a chain (`s000` -> `s001` -> ... -> `s299`), one
//!   request traversing all of them.
//!
//! The scenarios are generated here, deterministically, rather than kept in `scenarios/` (every
//! file there runs in CI). One case alone: `cargo bench --bench scale -- layers 1000`, or for
//! another length `-- layers 1000 120` (simulated seconds); its scenario text:
//! `cargo bench --bench scale -- toml layers 1000 > /tmp/layers.toml`, which `meshsim run` (and
//! `perf record`) take.

mod support;

use std::fmt::Write as _;

use support::{best_of, case_args, peak_memory_kib, run_children, run_text};

/// Requests per second over all workloads of a `layers` case.
const LAYERS_RATE_PER_SECOND: u64 = 10_000;
/// Simulated seconds of a `layers` case.
const LAYERS_SECONDS: u64 = 20;
/// Layers of a `layers` case: the front (exposed, one workload each), two middle layers and the
/// leaves.
const LAYERS: usize = 4;
/// Requests per second of the chain: a request holds a worker in each of the 300 services for
/// its whole journey (about 0.45 s), so 100 a second keeps some 15 busy per instance.
const CHAIN_RATE_PER_SECOND: u64 = 100;
/// Simulated seconds of the chain case.
const CHAIN_SECONDS: u64 = 10;
const REPLICAS: u32 = 3;

fn header(text: &mut String, name: &str, seconds: u64) {
    let _ = writeln!(
        text,
        "[scenario]\nname = \"{name}\"\nseed = 1\nduration = \"{seconds}s\"\n\n\
         [network]\nlatency = {{ dist = \"exp\", mean = \"0.5ms\" }}\n"
    );
}

fn service(text: &mut String, name: &str, exposed: bool, calls: &[String]) {
    let _ = writeln!(
        text,
        "[[service]]\nname = \"{name}\"\nreplicas = {REPLICAS}\nworkers = 64\nqueue = 1000\n\
         exposed = {exposed}\n\n[[service.endpoint]]\nname = \"GET /\"\n\
         service_time = {{ dist = \"exp\", mean = \"0.2ms\" }}"
    );
    if !calls.is_empty() {
        let calls: Vec<String> = calls
            .iter()
            .map(|callee| format!("{{ service = \"{callee}\", endpoint = \"GET /\" }}"))
            .collect();
        let _ = writeln!(text, "calls = [{}]", calls.join(", "));
    }
    text.push('\n');
}

fn workload(text: &mut String, name: &str, target: &str, rate: f64) {
    let _ = writeln!(
        text,
        "[[workload]]\nname = \"{name}\"\ntarget = \"{target}\"\nendpoint = \"GET /\"\n\
         arrival = {{ kind = \"poisson\", rate = {rate} }}\ntimeout = \"30s\"\n"
    );
}

/// How many of `services` fall in each of the layers: as even as can be, the front ones taking
/// the remainder, so each layer has at least as many services as the next.
fn layer_sizes(services: usize) -> [usize; LAYERS] {
    assert!(services >= LAYERS, "at least one service per layer");
    std::array::from_fn(|layer| services / LAYERS + usize::from(layer < services % LAYERS))
}

/// `services` services in four layers. Each front service is exposed and takes an equal share of
/// the workload; the `j`th service of a layer calls the `j`th of the next (modulo its size), and
/// the second layer also calls the one after it. A request thus visits 1 + 1 + 2 + 2 = 6
/// services in 6 calls (12 hops), whatever `services` is.
fn layers_scenario(services: usize, seconds: u64) -> String {
    let sizes = layer_sizes(services);
    let name = |layer: usize, index: usize| format!("l{layer}s{index:04}");
    let mut text = String::new();
    header(&mut text, &format!("scale-layers-{services}"), seconds);
    for (layer, &size) in sizes.iter().enumerate() {
        for index in 0..size {
            let calls: Vec<String> = match sizes.get(layer + 1) {
                None => Vec::new(),
                Some(&next) if layer == 1 => {
                    vec![
                        name(layer + 1, index % next),
                        name(layer + 1, (index + 1) % next),
                    ]
                }
                Some(&next) => vec![name(layer + 1, index % next)],
            };
            service(&mut text, &name(layer, index), layer == 0, &calls);
        }
    }
    let rate = LAYERS_RATE_PER_SECOND as f64 / sizes[0] as f64;
    for index in 0..sizes[0] {
        workload(&mut text, &format!("w{index:04}"), &name(0, index), rate);
    }
    text
}

/// `services` services in a chain, each calling the next; the first takes the workload.
fn chain_scenario(services: usize, seconds: u64) -> String {
    let name = |index: usize| format!("s{index:03}");
    let mut text = String::new();
    header(&mut text, &format!("scale-chain-{services}"), seconds);
    for index in 0..services {
        let calls: Vec<String> = if index + 1 < services {
            vec![name(index + 1)]
        } else {
            Vec::new()
        };
        service(&mut text, &name(index), index == 0, &calls);
    }
    workload(&mut text, "clients", &name(0), CHAIN_RATE_PER_SECOND as f64);
    text
}

/// The case's scenario and its simulated seconds (`seconds`, or the case's own).
fn scenario_text(case: &str, services: usize, seconds: Option<u64>) -> (String, u64) {
    match case {
        "layers" => {
            let seconds = seconds.unwrap_or(LAYERS_SECONDS);
            (layers_scenario(services, seconds), seconds)
        }
        "chain" => {
            let seconds = seconds.unwrap_or(CHAIN_SECONDS);
            (chain_scenario(services, seconds), seconds)
        }
        other => panic!("unknown case {other}: layers or chain"),
    }
}

/// A run with every output a real run writes (metrics, events), into memory sinks.
fn run(text: &str) -> (u64, u64) {
    run_text("scale.toml", text, 1)
}

fn measure(case: &str, services: usize, seconds: Option<u64>) -> String {
    let (text, seconds) = scenario_text(case, services, seconds);
    let (wall_seconds, (requests, events)) = best_of(3, || run(&text));
    format!(
        "{case:6} {services:>5} services  {seconds:>3} sim s  {wall_seconds:7.3} wall s  {:>9.0} sim req/wall s  {:>6.1}x real time  {events:>9} events  {:>9.0} events/wall s  peak {:>7} KiB  ({requests} requests)",
        requests as f64 / wall_seconds,
        seconds as f64 / wall_seconds,
        events as f64 / wall_seconds,
        peak_memory_kib(),
    )
}

fn main() {
    let args = case_args();
    let number = |text: &String| text.parse().expect("a number");
    match args.as_slice() {
        [toml, case, services, rest @ ..] if toml == "toml" && rest.len() <= 1 => {
            let seconds = rest.first().map(number);
            print!(
                "{}",
                scenario_text(case, number(services) as usize, seconds).0
            );
        }
        [case, services, rest @ ..] if rest.len() <= 1 => {
            let seconds = rest.first().map(number);
            println!("{}", measure(case, number(services) as usize, seconds));
        }
        // Each case in a child process, so peak memory is its own.
        _ => run_children(&[
            &["layers", "10"],
            &["layers", "100"],
            &["layers", "1000"],
            &["chain", "300"],
        ]),
    }
}
