//! Property: scenarios drawn at random, from the whole format (versions and routes, every mesh
//! policy, a broker, a store, a rollout, faults), load; each runs with every request accounted
//! for and every invariant held. The same scenarios, damaged the way hands damage files (a line
//! lost or doubled, a value replaced by a wrong one, a name misspelt, the file cut short), are
//! either loaded or refused with a located diagnostic, and never panic the loader.
//!
//! `MESHSIM_GENERATED_CASES=2000 cargo test --release --test generated_scenarios` soaks it.

use std::fmt::Write;

use meshsim::scenario::load_str;
use meshsim::simulate;
use meshsim_record::RecorderOutputs;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("MESHSIM_GENERATED_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64)
}

/// One service of the drawn system.
#[derive(Debug, Clone)]
struct ServiceSpec {
    replicas: u32,
    workers: u32,
    queue: u32,
    error_rate: f64,
    mean_ms: u32,
    /// Services with a larger index this one calls, so the calls have no cycle.
    calls: Vec<usize>,
    /// A second version with this many replicas and this error rate, and a route between them.
    version: Option<(u32, f64, u32)>,
    /// Which mesh policies its callers' sidecars apply, each drawn on or off.
    timeout_ms: Option<u32>,
    retries: Option<(u32, bool)>,
    outlier: bool,
    breaker: bool,
    pool: Option<u32>,
    balancer: usize,
    injected: Option<u32>,
    rate_limit: bool,
}

#[derive(Debug, Clone)]
struct FaultSpec {
    kind: usize,
    at_ms: u32,
    duration_ms: u32,
    first: usize,
    second: usize,
}

#[derive(Debug, Clone)]
struct SystemSpec {
    services: Vec<ServiceSpec>,
    /// A broker the first service publishes to and the last consumes from.
    broker: bool,
    /// A stock store the last service reserves from.
    store: bool,
    /// A canary of the first service with a second version.
    rollout: bool,
    rate: u32,
    headers: bool,
    client_timeout_ms: Option<u32>,
    faults: Vec<FaultSpec>,
    /// The mesh profile, an index into [`MESHES`].
    mesh: usize,
}

const BALANCERS: [&str; 3] = ["round_robin", "random", "least_request"];
const MESHES: [&str; 3] = ["istio", "envoy", "linkerd"];
const FAULT_KINDS: [&str; 6] = [
    "partition",
    "partition_oneway",
    "latency",
    "loss",
    "crash",
    "pause",
];

fn service_spec(index: usize, count: usize) -> impl Strategy<Value = ServiceSpec> {
    let callees = proptest::collection::vec((index + 1)..count.max(index + 2), 0..=2).prop_map(
        move |mut callees| {
            callees.retain(|callee| *callee < count);
            callees.dedup();
            callees
        },
    );
    (
        (
            1u32..=3,
            1u32..=8,
            0u32..=20,
            prop::sample::select(vec![0.0, 0.01, 0.2]),
            1u32..=10,
        ),
        callees,
        prop::option::of((1u32..=2, prop::sample::select(vec![0.0, 0.3]), 0u32..=100)),
        (
            prop::option::of(20u32..=500),
            prop::option::of((1u32..=3, any::<bool>())),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            prop::option::of(1u32..=8),
            0..BALANCERS.len(),
            prop::option::of(0u32..=50),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (replicas, workers, queue, error_rate, mean_ms),
                calls,
                version,
                (timeout_ms, retries, outlier, breaker),
                (pool, balancer, injected, rate_limit),
            )| ServiceSpec {
                replicas,
                workers,
                queue,
                error_rate,
                mean_ms,
                calls,
                version,
                timeout_ms,
                retries,
                outlier,
                breaker,
                pool,
                balancer,
                injected,
                rate_limit,
            },
        )
}

fn system_spec() -> impl Strategy<Value = SystemSpec> {
    (1usize..=4).prop_flat_map(|count| {
        let services: Vec<_> = (0..count).map(|index| service_spec(index, count)).collect();
        let fault = (
            0..FAULT_KINDS.len(),
            0u32..2_000,
            1u32..1_500,
            0..count,
            0..count,
        )
            .prop_map(|(kind, at_ms, duration_ms, first, second)| FaultSpec {
                kind,
                at_ms,
                duration_ms,
                first,
                second,
            });
        (
            services,
            (any::<bool>(), any::<bool>(), any::<bool>()),
            20u32..300,
            any::<bool>(),
            prop::option::of(100u32..2_000),
            proptest::collection::vec(fault, 0..4),
            0..MESHES.len(),
        )
            .prop_map(
                |(
                    services,
                    (broker, store, rollout),
                    rate,
                    headers,
                    client_timeout_ms,
                    faults,
                    mesh,
                )| {
                    SystemSpec {
                        services,
                        broker,
                        store,
                        rollout,
                        rate,
                        headers,
                        client_timeout_ms,
                        faults,
                        mesh,
                    }
                },
            )
    })
}

/// The scenario text of `spec`: valid by construction.
fn scenario_text(spec: &SystemSpec) -> String {
    let mut text = String::from(
        "[scenario]\nname = \"generated\"\nduration = \"3s\"\nmetrics_interval = \"500ms\"\n",
    );
    let _ = writeln!(text, "mesh = \"{}\"", MESHES[spec.mesh]);
    text.push_str("\n[network]\nlatency = { dist = \"exp\", mean = \"1ms\" }\n");
    let last = spec.services.len() - 1;
    for (index, service) in spec.services.iter().enumerate() {
        let _ = write!(
            text,
            "\n[[service]]\nname = \"s{index}\"\nreplicas = {}\nworkers = {}\nqueue = {}\n",
            service.replicas, service.workers, service.queue
        );
        if index == 0 {
            text.push_str("exposed = true\n");
        }
        let mut calls: Vec<String> = service
            .calls
            .iter()
            .map(|callee| format!("{{ service = \"s{callee}\", endpoint = \"op\" }}"))
            .collect();
        if spec.broker && index == 0 {
            calls.push("{ topic = \"events\" }".to_owned());
        }
        if spec.store && index == last {
            calls.push("{ store = \"stock\", op = \"reserve\" }".to_owned());
        }
        let _ = write!(
            text,
            "\n[[service.endpoint]]\nname = \"op\"\nservice_time = {{ dist = \"exp\", mean = \"{}ms\" }}\nerror_rate = {}\ncalls = [{}]\n",
            service.mean_ms,
            service.error_rate,
            calls.join(", ")
        );
        if let Some((replicas, error_rate, _)) = service.version {
            let _ = write!(
                text,
                "\n[[service.version]]\nname = \"v2\"\nreplicas = {replicas}\nerror_rate = {error_rate}\n"
            );
        }
    }
    for (index, service) in spec.services.iter().enumerate() {
        mesh_text(&mut text, index, service, spec);
    }
    if spec.broker {
        let _ = write!(
            text,
            "\n[[broker]]\nname = \"bus\"\ntopics = [\"events\"]\nack_timeout = \"500ms\"\n\n\
             [[subscription]]\ntopic = \"events\"\nservice = \"s{last}\"\nendpoint = \"op\"\n"
        );
    }
    if spec.store {
        text.push_str(
            "\n[[store]]\nname = \"stock\"\nkind = \"stock\"\nproducts = 5\nstock_per_product = 50\n\
             service_time = { dist = \"const\", value = \"1ms\" }\n",
        );
    }
    let _ = write!(
        text,
        "\n[[workload]]\nname = \"load\"\ntarget = \"s0\"\nendpoint = \"op\"\narrival = {{ kind = \"poisson\", rate = {} }}\n",
        spec.rate
    );
    if spec.headers {
        text.push_str("headers = { \"user-type\" = { beta = 0.3, regular = 0.7 } }\n");
    }
    if let Some(timeout_ms) = spec.client_timeout_ms {
        let _ = writeln!(text, "timeout = \"{timeout_ms}ms\"");
    }
    if spec.rollout && spec.services[0].version.is_some() {
        text.push_str(
            "\n[[rollout]]\nservice = \"s0\"\nfrom = \"v1\"\nto = \"v2\"\nstrategy = \"canary\"\n\
             start = \"500ms\"\ninterval = \"1s\"\nstep_weight = 20\nmax_weight = 60\nthreshold = 1\n\
             checks = [{ metric = \"success_rate\", min = 0.9 }]\n",
        );
    }
    for fault in &spec.faults {
        fault_text(&mut text, fault);
    }
    text
}

fn mesh_text(text: &mut String, index: usize, service: &ServiceSpec, spec: &SystemSpec) {
    let linkerd = MESHES[spec.mesh] == "linkerd";
    let _ = write!(text, "\n[mesh.s{index}]\n");
    if !linkerd {
        let _ = writeln!(text, "load_balancer = \"{}\"", BALANCERS[service.balancer]);
    }
    if let Some(timeout_ms) = service.timeout_ms {
        let _ = writeln!(text, "timeout = \"{timeout_ms}ms\"");
    }
    if let Some(max) = service.pool.filter(|_| !linkerd) {
        let _ = writeln!(
            text,
            "connection_pool = {{ max_connections = {max}, max_pending_requests = {max} }}"
        );
    }
    if let Some(percent) = service.injected.filter(|_| !linkerd) {
        let _ = writeln!(
            text,
            "fault = {{ abort_status = 503, abort_percent = {percent}, delay = \"20ms\", delay_percent = {percent} }}"
        );
    }
    if service.rate_limit {
        text.push_str(if linkerd {
            "rate_limit = { requests_per_second = 100 }\n"
        } else {
            "rate_limit = { max_tokens = 50, tokens_per_fill = 10, fill_interval = \"100ms\" }\n"
        });
    }
    if let Some((attempts, budget)) = service.retries {
        retries_text(text, index, attempts, budget, linkerd);
    }
    if service.outlier && linkerd {
        let _ = write!(
            text,
            "\n[mesh.s{index}.failure_accrual]\nconsecutive_failures = 3\nmin_penalty = \"200ms\"\nmax_penalty = \"1s\"\n"
        );
    } else if service.outlier {
        let _ = write!(
            text,
            "\n[mesh.s{index}.outlier_detection]\nconsecutive_5xx = 3\ninterval = \"500ms\"\nbase_ejection_time = \"1s\"\nmax_ejection_percent = 50\n"
        );
    }
    if service.breaker {
        let _ = write!(
            text,
            "\n[mesh.s{index}.circuit_breaker]\ntimeout = \"300ms\"\nerror_threshold_percent = 30\nvolume_threshold = 5\nwindow = \"1s\"\nreset_timeout = \"500ms\"\n"
        );
    }
    if let Some((_, _, weight)) = service.version {
        if spec.headers {
            let _ = write!(
                text,
                "\n[[mesh.s{index}.route]]\nmatch = {{ headers = {{ \"user-type\" = {{ exact = \"beta\" }} }} }}\nweights = {{ v2 = 100 }}\n"
            );
        }
        let _ = write!(
            text,
            "\n[[mesh.s{index}.route]]\nweights = {{ v1 = {}, v2 = {weight} }}\n",
            100 - weight
        );
    }
}

/// A retry policy in the mesh's own terms: Linkerd's budget makes ServiceProfile retries.
fn retries_text(text: &mut String, index: usize, attempts: u32, budget: bool, linkerd: bool) {
    let _ = write!(text, "\n[mesh.s{index}.retries]\n");
    match (linkerd, budget) {
        (true, true) => text.push_str("retry_budget = { retry_ratio = 0.2 }\n"),
        (true, false) => {
            let _ = write!(
                text,
                "attempts = {attempts}\nper_try_timeout = \"200ms\"\nretry_on = [\"5xx\"]\n"
            );
        }
        (false, budget) => {
            let _ = write!(
                text,
                "attempts = {attempts}\nper_try_timeout = \"200ms\"\nretry_on = [\"5xx\", \"reset\"]\n"
            );
            if budget {
                text.push_str("budget_percent = 20\nmin_retry_concurrency = 2\n");
            }
        }
    }
}

fn fault_text(text: &mut String, fault: &FaultSpec) {
    let kind = FAULT_KINDS[fault.kind];
    let _ = write!(
        text,
        "\n[[fault]]\nat = \"{}ms\"\nkind = \"{kind}\"\n",
        fault.at_ms
    );
    match kind {
        "crash" => {
            let _ = writeln!(
                text,
                "target = \"s{}\"\nrestart_after = \"{}ms\"",
                fault.first, fault.duration_ms
            );
        }
        "pause" => {
            let _ = writeln!(
                text,
                "target = \"s{}/0\"\nduration = \"{}ms\"",
                fault.first, fault.duration_ms
            );
        }
        _ => {
            let second = if fault.first == fault.second {
                "load".to_owned()
            } else {
                format!("s{}", fault.second)
            };
            let _ = writeln!(
                text,
                "duration = \"{}ms\"\nbetween = [\"s{}\", \"{second}\"]",
                fault.duration_ms, fault.first
            );
            match kind {
                "latency" => text.push_str("add = \"100ms\"\n"),
                "loss" => text.push_str("loss = 0.2\n"),
                _ => {}
            }
        }
    }
}

/// How a hand damages a file.
#[derive(Debug, Clone)]
enum Damage {
    /// A line lost.
    DropLine(usize),
    /// A line pasted twice.
    DoubleLine(usize),
    /// The value after a line's `=` replaced by another.
    ReplaceValue(usize, &'static str),
    /// A name written wrong where it is used.
    Misspell(usize),
    /// The file cut at a byte.
    Truncate(usize),
}

/// Values of the wrong type, range or form.
const WRONG_VALUES: [&str; 16] = [
    "-1",
    "0",
    "1e308",
    "18446744073709551616",
    "\"\"",
    "\"ten\"",
    "\"-5ms\"",
    "\"1y\"",
    "true",
    "[]",
    "{}",
    "{ dist = \"exp\" }",
    "nan",
    "inf",
    "\"s9\"",
    "[\"a\", \"b\", \"c\"]",
];

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::DropLine),
        any::<usize>().prop_map(Damage::DoubleLine),
        (any::<usize>(), prop::sample::select(WRONG_VALUES.to_vec()))
            .prop_map(|(line, value)| Damage::ReplaceValue(line, value)),
        any::<usize>().prop_map(Damage::Misspell),
        any::<usize>().prop_map(Damage::Truncate),
    ]
}

fn damaged(text: &str, damages: &[Damage]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for damage in damages {
        if lines.is_empty() {
            break;
        }
        let count = lines.len();
        let pick = |index: usize| index % count;
        match damage {
            Damage::DropLine(index) => {
                lines.remove(pick(*index));
            }
            Damage::DoubleLine(index) => {
                let line = lines[pick(*index)].clone();
                lines.insert(pick(*index), line);
            }
            Damage::ReplaceValue(index, value) => {
                let line = &mut lines[pick(*index)];
                if let Some((key, _)) = line.split_once(" = ") {
                    *line = format!("{key} = {value}");
                }
            }
            Damage::Misspell(index) => {
                let line = &mut lines[pick(*index)];
                *line = line
                    .replacen("s0", "s0x", 1)
                    .replacen("\"op\"", "\"po\"", 1);
            }
            Damage::Truncate(at) => {
                let whole = lines.join("\n");
                let mut cut = at % (whole.len() + 1);
                while !whole.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = whole[..cut].lines().map(str::to_owned).collect();
            }
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Runs a loaded scenario briefly and checks the conservation law and the invariants.
fn run_and_check(loaded: &meshsim::scenario::Loaded, seed: u64, text: &str) {
    let simulation = simulate(
        loaded.resolved(),
        seed,
        RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .expect("memory sinks do not fail");
    let summary = &simulation.summary;
    assert!(
        summary.accounting.ok,
        "{:?}\n{text}",
        summary.accounting.problems
    );
    let counts = summary.requests;
    assert_eq!(counts.sent, counts.ended() + counts.in_flight, "{text}");
    for invariant in &simulation.info.invariants {
        assert!(invariant.holds, "invariant {invariant:?} broken\n{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn generated_scenarios_load_and_account_for_every_request(
        spec in system_spec(),
        seed in any::<u64>(),
    ) {
        let text = scenario_text(&spec);
        let loaded = match load_str("generated.toml", &text) {
            Ok(loaded) => loaded,
            Err(error) => panic!("a generated scenario is refused:\n{}\n{text}", error.render(false)),
        };
        run_and_check(&loaded, seed, &text);
    }

    #[test]
    fn damaged_scenarios_are_refused_with_a_location_or_run_whole(
        spec in system_spec(),
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let text = damaged(&scenario_text(&spec), &damages);
        match load_str("damaged.toml", &text) {
            Ok(loaded) => run_and_check(&loaded, 1, &text),
            Err(error) => {
                let rendered = error.render(false);
                prop_assert!(rendered.lines().any(|line| line.starts_with("error")), "{rendered}");
                prop_assert!(rendered.contains("damaged.toml"), "{rendered}\n{text}");
            }
        }
    }
}
