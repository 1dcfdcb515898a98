//! Benchmark: the two engines, and meshsim's turmoil engine against a bare turmoil program.
//!
//! `cargo bench --bench engines` runs, each in a child process of its own (so peak memory is
//! its own), best of three:
//! - `event` and `turmoil`: `scenarios/messages.toml` (180 simulated seconds) on each engine;
//! - `code`: `scenarios/messages.toml` on the turmoil engine with its backend as the axum app of
//!   `examples/messages_backend` (`docs/service-code.md`): what real code costs against `turmoil`;
//! - `bare`: a turmoil program with the same seven hosts sending the same messages (the four
//!   workloads' Poisson requests down nginx → node → redis, or turned away, and the answers
//!   back) and nothing else: no models, no latency draws, no recording. It is the floor of the
//!   turmoil engine, which issue 21 wants within 1.5× of `turmoil`;
//! - `hosts N`: the turmoil engine with N hosts (one service of N − 1 instances and a client at
//!   100 requests a second), for 5 simulated seconds: the cost of a tick as hosts grow, which
//!   sets the turmoil engine's host limit.
//!
//! One case alone: `cargo bench --bench engines -- turmoil` or `-- hosts 64`.

#[path = "../examples/messages_backend/app.rs"]
mod messages_backend;
mod support;

use std::cell::Cell;
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use meshsim::RunLimits;
use meshsim::scenario::{load_file, load_str};
use meshsim::{EngineKind, ServiceCode, simulate_on, simulate_with_code, simulate_with_host_limit};
use meshsim_record::RecorderOutputs;
use meshsim_sim::{Distribution, Seeder};
use support::{best_of, case_args, peak_memory_kib, run_children};

/// `messages.toml` on one engine: (requests sent, simulated seconds).
fn run_messages(engine: EngineKind) -> (u64, f64) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/messages.toml");
    let loaded = load_file(&file).expect("valid");
    let outputs = RecorderOutputs {
        metrics: Some(Box::new(std::io::sink())),
        events: Some(Box::new(std::io::sink())),
        requests: None,
        trace: None,
        otlp: None,
        openmetrics: None,
    };
    let simulation =
        simulate_on(engine, loaded.resolved(), 42, outputs, &mut |_, _| {}).expect("runs");
    (
        simulation.summary.requests.sent,
        simulation.summary.sim_seconds,
    )
}

/// `messages.toml` on the turmoil engine with its backend as code: (requests sent, simulated
/// seconds).
fn run_messages_with_code() -> (u64, f64) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/messages.toml");
    let loaded = load_file(&file).expect("valid");
    let code = ServiceCode::new()
        .with_service("backend", "v1", messages_backend::backend)
        .with_request_body(
            "backend",
            "POST /api/messages",
            "application/json",
            r#"{"message":"hello"}"#,
        );
    let outputs = RecorderOutputs {
        metrics: Some(Box::new(std::io::sink())),
        events: Some(Box::new(std::io::sink())),
        ..RecorderOutputs::default()
    };
    let simulation =
        simulate_with_code(loaded.resolved(), 42, outputs, &code, &mut |_, _| {}).expect("runs");
    (
        simulation.summary.requests.sent,
        simulation.summary.sim_seconds,
    )
}

/// The bare turmoil program: the messages demo's hosts and hops with nothing of meshsim.
///
/// What makes it a fair floor for the `turmoil` case (checked for issue 21):
/// - the same seven hosts (three services, four workload clients, the `outsider` included: every
///   host costs turmoil a runtime tick per step, busy or not), the same tick (1 ms) and the same
///   180 simulated seconds;
/// - the same messages: each workload's Poisson arrivals on its own named stream, down
///   frontend → backend → redis and back for the API, one hop and back for the static page, and
///   the outsider's requests turned away by the backend at once;
/// - only what any turmoil host must do to move them: bind a socket, receive, send. Addresses
///   are resolved once, as the engine does, not looked up by name per datagram.
fn run_bare() -> (u64, f64) {
    const PORT: u16 = 7000;
    let seconds = 180;
    let mut sim = turmoil::Builder::new()
        .epoch(UNIX_EPOCH)
        .rng_seed(42)
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_secs(seconds + 10))
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::ZERO)
        .udp_capacity(1 << 20)
        .build();
    // A service host answers every request after forwarding it down the chain, if it has a next
    // hop: a datagram is [hop kind, depth, ..]. Replies retrace the way.
    let chain = ["frontend", "backend", "redis"];
    for (index, name) in chain.iter().enumerate() {
        let next = chain.get(index + 1).map(|next| (*next).to_owned());
        sim.client(*name, async move {
            let socket = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
            let next = next.map(|next| SocketAddr::new(turmoil::lookup(next.as_str()), PORT));
            let mut waiting: VecDeque<SocketAddr> = VecDeque::new();
            let mut buffer = [0u8; 64];
            loop {
                let (length, from) = socket.recv_from(&mut buffer).await?;
                let is_request = buffer[0] == 0;
                // Byte 1 says whether the request goes past this host (the API) or not (the
                // static page, or the outsider's request the backend turns away).
                let deep = buffer[1] == 1;
                match (next, is_request) {
                    (Some(next), true) if deep => {
                        waiting.push_back(from);
                        socket.send_to(&buffer[..length], next).await?;
                    }
                    (_, true) => {
                        buffer[0] = 1;
                        socket.send_to(&buffer[..length], from).await?;
                    }
                    (_, false) => {
                        let back = waiting.pop_front().expect("a request waits for this reply");
                        socket.send_to(&buffer[..length], back).await?;
                    }
                }
            }
        });
    }
    let sent = Rc::new(Cell::new(0u64));
    for (name, rate, target, deep) in [
        ("readers", 80.0, "frontend", true),
        ("writers", 20.0, "frontend", true),
        ("visitors", 10.0, "frontend", false),
        ("outsider", 1.0, "backend", false),
    ] {
        let sent = Rc::clone(&sent);
        let mut arrivals = Seeder::new(42).stream(&format!("workload/{name}"));
        sim.client(name, async move {
            let socket =
                Rc::new(turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?);
            let target = SocketAddr::new(turmoil::lookup(target), PORT);
            let receiver = Rc::clone(&socket);
            tokio::task::spawn_local(async move {
                let mut buffer = [0u8; 64];
                while receiver.recv_from(&mut buffer).await.is_ok() {}
            });
            let gap = Distribution::Exp {
                mean_ns: 1e9 / rate,
            };
            loop {
                tokio::time::sleep(Duration::from_nanos(gap.sample_ns(&mut arrivals))).await;
                if turmoil::elapsed() >= Duration::from_secs(seconds) {
                    return Ok(());
                }
                sent.set(sent.get() + 1);
                socket.send_to(&[0, u8::from(deep), 0, 0], target).await?;
            }
        });
    }
    while sim.elapsed() < Duration::from_secs(seconds) {
        sim.step().expect("bare program runs");
    }
    (sent.get(), seconds as f64)
}

/// The turmoil engine with `hosts` hosts at a light load: the cost of a tick.
fn run_hosts(hosts: usize) -> (u64, f64) {
    let seconds = 5;
    let source = format!(
        "[scenario]\nname = \"hosts\"\nduration = \"{seconds}s\"\n\n[network]\nlatency = {{ dist = \"const\", value = \"1ms\" }}\n\n\
         [[service]]\nname = \"wide\"\nreplicas = {}\nexposed = true\n\n[[service.endpoint]]\nname = \"op\"\n\
         service_time = {{ dist = \"exp\", mean = \"2ms\" }}\n\n[[workload]]\nname = \"load\"\ntarget = \"wide\"\n\
         endpoint = \"op\"\narrival = {{ kind = \"poisson\", rate = 100 }}\n",
        hosts - 1
    );
    let loaded = load_str("hosts.toml", &source).expect("valid");
    let outputs = RecorderOutputs::default();
    let simulation = simulate_with_host_limit(
        EngineKind::Turmoil,
        loaded.resolved(),
        1,
        outputs,
        &mut |_, _| {},
        &RunLimits::default(),
        usize::MAX,
    )
    .expect("runs");
    (simulation.summary.requests.sent, f64::from(seconds))
}

fn measure(args: &[String]) -> String {
    let (label, (wall_seconds, (requests, sim_seconds))) = match args {
        [case] if case == "event" => (
            "event".to_owned(),
            best_of(3, || run_messages(EngineKind::Event)),
        ),
        [case] if case == "turmoil" => (
            "turmoil".to_owned(),
            best_of(3, || run_messages(EngineKind::Turmoil)),
        ),
        [case] if case == "code" => ("code".to_owned(), best_of(3, run_messages_with_code)),
        [case] if case == "bare" => ("bare".to_owned(), best_of(3, run_bare)),
        [case, hosts] if case == "hosts" => {
            let hosts: usize = hosts.parse().expect("a host count");
            (format!("hosts {hosts}"), best_of(3, || run_hosts(hosts)))
        }
        other => panic!("unknown case {other:?}: event, turmoil, code, bare or hosts N"),
    };
    let tick_ms = wall_seconds * 1e3 / (sim_seconds * 1e3);
    format!(
        "{label:10} {sim_seconds:>4.0} sim s  {wall_seconds:8.3} wall s  {:>9.0} sim req/wall s  {:>7.1}x real time  {:.4} wall ms per sim ms  peak {:>7} KiB",
        requests as f64 / wall_seconds,
        sim_seconds / wall_seconds,
        tick_ms,
        peak_memory_kib(),
    )
}

fn main() {
    let args = case_args();
    if !args.is_empty() {
        println!("{}", measure(&args));
        return;
    }
    let hosts: Vec<String> = [8, 16, 32, 48, 64, 80, 96]
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut cases: Vec<Vec<&str>> =
        vec![vec!["event"], vec!["turmoil"], vec!["code"], vec!["bare"]];
    cases.extend(hosts.iter().map(|count| vec!["hosts", count.as_str()]));
    let cases: Vec<&[&str]> = cases.iter().map(Vec::as_slice).collect();
    run_children(&cases);
}
