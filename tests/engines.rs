//! The differential test: every scenario small enough for turmoil runs on both engines with one
//! seed, and their success rates and mean latencies agree within tolerances derived below.
//!
//! The engines share the models and the random streams' names, but not the order of draws, so
//! they agree statistically, not bit for bit. Two terms make up each tolerance:
//!
//! - **Sampling noise.** A success rate over n requests has a standard error of
//!   sqrt(p (1 − p) / n); a mean latency, stddev / sqrt(n). The difference of two independent
//!   runs has sqrt(2) times that; we allow 5 of those standard errors.
//! - **The tick.** turmoil delivers a datagram and fires a timer only at a whole tick (1 ms), so
//!   each hop and each nonzero service time on a request's path can take up to one tick longer
//!   than on the event engine, and never shorter. The mean latency on turmoil is therefore at
//!   least the event engine's and at most `ticks on the path × 1 ms` more. The path is counted
//!   from the scenario: two hops per call (there and back), one timer per endpoint with a
//!   service time. A fault's start is applied at the next tick, which moves failure windows by
//!   at most a tick: a rate difference of at most `rate × 1 ms × faults` requests, far under the
//!   noise term, and covered by a small absolute slack.

use std::path::Path;

use meshsim::scenario::schema::Scenario;
use meshsim::scenario::{Loaded, load_file};
use meshsim::{EngineKind, Simulation, TURMOIL_HOSTS_MAX, simulate_on};
use meshsim_record::RecorderOutputs;

const TICK_MS: f64 = 1.0;

fn run(engine: EngineKind, loaded: &Loaded) -> Simulation {
    let seed = loaded.scenario().scenario.seed;
    simulate_on(
        engine,
        loaded.resolved(),
        seed,
        RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .expect("runs")
}

/// Ticks a request to `service`'s `endpoint` can lose on turmoil, the hop to it included.
fn ticks_on_path(scenario: &Scenario, service: &str, endpoint: &str, depth: usize) -> f64 {
    assert!(depth < 64, "call chains are acyclic");
    let service = scenario
        .services
        .iter()
        .find(|s| s.name == service)
        .expect("validated service");
    let endpoint = service
        .endpoints
        .iter()
        .find(|e| e.name == endpoint)
        .expect("validated endpoint");
    let own_work = if endpoint.service_time.is_some() {
        1.0
    } else {
        0.0
    };
    // A saga's actions replace the endpoint's calls; a store call is two hops and the store's
    // work, a publish two hops.
    let saga = scenario
        .sagas
        .iter()
        .find(|saga| saga.service == service.name && saga.endpoint == endpoint.name);
    let made: Vec<&meshsim::scenario::schema::Call> = match saga {
        Some(saga) => saga.steps.iter().map(|step| &step.action).collect(),
        None => endpoint
            .calls
            .iter()
            .flat_map(meshsim::scenario::schema::CallEntry::calls)
            .collect(),
    };
    let calls: f64 = made
        .into_iter()
        .map(|call| match (&call.service, &call.endpoint, &call.store) {
            (Some(callee), Some(callee_endpoint), _) => {
                ticks_on_path(scenario, callee, callee_endpoint, depth + 1)
            }
            (_, _, Some(store)) => {
                let store = scenario.stores.iter().find(|s| &s.name == store);
                2.0 + store.map_or(0.0, |store| {
                    f64::from(u8::from(store.service_time.is_some()))
                })
            }
            _ => 2.0,
        })
        .sum();
    2.0 + own_work + calls
}

fn hosts(scenario: &Scenario) -> usize {
    let instances: u64 = scenario
        .services
        .iter()
        .map(meshsim::scenario::schema::Service::instances)
        .sum();
    usize::try_from(instances).unwrap_or(usize::MAX) + scenario.workloads.len()
}

fn compare(file: &Path) {
    let loaded = load_file(file).expect("valid scenario");
    if hosts(loaded.scenario()) > TURMOIL_HOSTS_MAX {
        return;
    }
    let event = run(EngineKind::Event, &loaded);
    let turmoil = run(EngineKind::Turmoil, &loaded);
    assert!(
        turmoil.summary.accounting.ok,
        "{}: {:?}",
        file.display(),
        turmoil.summary.accounting.problems
    );
    assert_eq!(turmoil.info.engine, "turmoil");
    for workload in &loaded.scenario().workloads {
        let a = &event.summary.workloads[&workload.name];
        let b = &turmoil.summary.workloads[&workload.name];
        let name = format!("{} / {}", file.display(), workload.name);
        // Open arrivals are drawn from the same stream at the same nominal times on both
        // engines; a closed loop sends as fast as its answers come, which the tick slows.
        if !matches!(
            workload.arrival,
            meshsim::scenario::schema::Arrival::Closed { .. }
        ) {
            assert_eq!(a.requests.sent, b.requests.sent, "{name}: requests sent");
        }

        let (rate_a, rate_b) = (a.success_rate.unwrap(), b.success_rate.unwrap());
        let ended = a.requests.ended().min(b.requests.ended()) as f64;
        let noise = 5.0 * (2.0 * rate_a * (1.0 - rate_a) / ended).sqrt();
        let tolerance = noise + 0.002;
        assert!(
            (rate_a - rate_b).abs() <= tolerance,
            "{name}: success rate {rate_a:.5} on the event engine, {rate_b:.5} on turmoil (tolerance {tolerance:.5})"
        );

        if a.requests.succeeded == 0 || b.requests.succeeded == 0 {
            // Nothing succeeded (a workload refused at an isolated service): no latency to
            // compare, and both engines agreed on that above.
            continue;
        }
        let ticks = ticks_on_path(loaded.scenario(), &workload.target, &workload.endpoint, 0);
        let (mean_a, mean_b) = (a.latency_ms.mean, b.latency_ms.mean);
        let succeeded = a.requests.succeeded.min(b.requests.succeeded) as f64;
        let noise =
            5.0 * ((a.latency_ms.stddev.powi(2) + b.latency_ms.stddev.powi(2)) / succeeded).sqrt();
        let low = mean_a - noise;
        let high = mean_a + ticks * TICK_MS + noise;
        assert!(
            (low..=high).contains(&mean_b),
            "{name}: mean latency {mean_a:.3} ms on the event engine, {mean_b:.3} ms on turmoil; \
             expected within [{low:.3}, {high:.3}] ({ticks} ticks on the path)"
        );
    }
}

#[test]
fn every_small_scenario_agrees_on_both_engines() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    for file in files {
        compare(&file);
    }
}

#[test]
fn the_fault_tests_agree_on_both_engines() {
    // The fault model on a small scenario with every kind of fault, both engines.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/every-fault.toml");
    compare(&fixture);
}

#[test]
fn what_real_services_do_agrees_on_both_engines() {
    // The application's own call policy, parallel calls, an event loop, shared cores, a
    // version's own endpoint, a rate profile and service times from data (issue 18).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-services.toml");
    compare(&fixture);
}

#[test]
fn the_turmoil_engine_replays_byte_for_byte() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/every-fault.toml");
    let loaded = load_file(&file).unwrap();
    let first = run(EngineKind::Turmoil, &loaded);
    let second = run(EngineKind::Turmoil, &loaded);
    assert_eq!(first.summary.digest, second.summary.digest);
    let other_seed = simulate_on(
        EngineKind::Turmoil,
        loaded.resolved(),
        999,
        RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .unwrap();
    assert_ne!(first.summary.digest, other_seed.summary.digest);
}

#[test]
fn too_many_hosts_for_turmoil_is_refused_with_a_hint() {
    let source = format!(
        "[scenario]\nname = \"big\"\nduration = \"1s\"\n\n[[service]]\nname = \"wide\"\nreplicas = {TURMOIL_HOSTS_MAX}\nexposed = true\n\n\
         [[service.endpoint]]\nname = \"op\"\n\n[[workload]]\nname = \"load\"\ntarget = \"wide\"\nendpoint = \"op\"\n\
         arrival = {{ kind = \"constant\", rate = 10 }}\n"
    );
    let loaded = meshsim::scenario::load_str("big.toml", &source).unwrap();
    let result = simulate_on(
        EngineKind::Turmoil,
        loaded.resolved(),
        1,
        RecorderOutputs::default(),
        &mut |_, _| {},
    );
    let error = result.err().expect("refused").to_string();
    assert!(error.contains("--engine event"), "{error}");
}
