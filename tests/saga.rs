//! Sagas under random faults: property tests draw a seed and a fault timeline (kind, target,
//! time, duration) and run the saga and the async shop; every invariant holds. A failing case
//! writes its scenario, faults included, as a file `meshsim run` replays, and says how.
//!
//! And the other way round: a saga that forgets a compensation breaks an invariant, and
//! `meshsim shrink` narrows its fault timeline down to what breaks it.

mod support;

use std::path::{Path, PathBuf};

use meshsim::scenario::schema::{Fault, FaultKind};
use meshsim::scenario::{Duration, load_str};
use meshsim::simulate;
use meshsim::{FaultSpec, write_scenario_with_faults};
use meshsim_record::RecorderOutputs;
use proptest::prelude::*;
use support::meshsim;

fn scenario_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    std::fs::read_to_string(path).expect("scenario")
}

/// A shorter run of a scenario, so a property test can afford many.
fn shortened(text: &str, duration: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.starts_with("duration = ") && !line.contains("  ") {
            lines.push(format!("duration = \"{duration}\""));
        } else {
            lines.push(line.to_owned());
        }
    }
    lines.join("\n") + "\n"
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// A fault drawn from its parts: `kind` 0 crash, 1 pause, 2 partition, 3 latency.
/// Crashes and pauses hit any of `hosts`; network faults go between two different services of
/// `services` (a service and one of its own instances would overlap).
fn fault(
    kind: u8,
    (hosts, services): (&[&str], &[&str]),
    first: usize,
    second: usize,
    at_ms: u64,
    length_ms: u64,
) -> Fault {
    let network = kind % 4 >= 2;
    let pool = if network { services } else { hosts };
    let one = pool[first % pool.len()].to_owned();
    let mut other = services[second % services.len()].to_owned();
    if other == one {
        services[(second + 1) % services.len()].clone_into(&mut other);
    }
    let base = Fault {
        at: millis(at_ms),
        duration: None,
        kind: FaultKind::Crash,
        between: None,
        target: None,
        restart_after: None,
        add: None,
        loss: None,
    };
    match kind % 4 {
        0 => Fault {
            kind: FaultKind::Crash,
            target: Some(one),
            restart_after: Some(millis(length_ms)),
            ..base
        },
        1 => Fault {
            kind: FaultKind::Pause,
            target: Some(one),
            duration: Some(millis(length_ms)),
            ..base
        },
        2 => Fault {
            kind: FaultKind::Partition,
            between: Some(vec![one, other]),
            duration: Some(millis(length_ms)),
            ..base
        },
        _ => Fault {
            kind: FaultKind::Latency,
            between: Some(vec![one, other]),
            duration: Some(millis(length_ms)),
            add: Some(millis(800)),
            ..base
        },
    }
}

/// Runs `text` with `faults` and `seed`; on a broken invariant, writes the scenario where
/// `meshsim run` replays it and fails with the command.
fn every_invariant_holds(name: &str, text: &str, faults: Vec<Fault>, seed: u64) {
    let specs: Vec<FaultSpec> = faults.into_iter().map(FaultSpec::new).collect();
    let written = write_scenario_with_faults(text, &specs).expect("writes");
    let loaded = load_str(&format!("{name}.toml"), &written)
        .unwrap_or_else(|error| panic!("a drawn timeline is valid: {error}\n{written}"));
    let simulation = simulate(
        loaded.resolved(),
        seed,
        RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .expect("runs");
    let broken: Vec<_> = meshsim::check_invariants(&simulation.summary)
        .into_iter()
        .filter(|invariant| !invariant.holds)
        .collect();
    if broken.is_empty() && simulation.summary.accounting.ok {
        return;
    }
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("property-failures");
    std::fs::create_dir_all(&folder).expect("folder");
    let path = folder.join(format!("{name}-seed-{seed}.toml"));
    std::fs::write(&path, &written).expect("write the failing scenario");
    panic!(
        "invariants broken with seed {seed}: {broken:?} {:?}\nreplay: meshsim run {} --seed {seed}",
        simulation.summary.accounting.problems,
        path.display()
    );
}

const SAGA_HOSTS: (&[&str], &[&str]) = (
    &[
        "order",
        "inventory",
        "payment",
        "orders-db",
        "stock-db",
        "ledger",
        "order/1",
        "payment/0",
    ],
    &[
        "order",
        "inventory",
        "payment",
        "orders-db",
        "stock-db",
        "ledger",
    ],
);

const CHOREOGRAPHY_HOSTS: (&[&str], &[&str]) = (
    &[
        "order",
        "inventory",
        "payment",
        "events",
        "orders-db",
        "stock-db",
        "ledger",
        "payment/1",
    ],
    &[
        "order",
        "inventory",
        "payment",
        "events",
        "stock-db",
        "ledger",
    ],
);

const ASYNC_HOSTS: (&[&str], &[&str]) = (
    &[
        "order",
        "payment",
        "notification",
        "events",
        "payment/1",
        "gateway",
    ],
    &[
        "order",
        "payment",
        "notification",
        "events",
        "gateway",
        "product",
    ],
);

fn timeline() -> impl Strategy<Value = Vec<(u8, usize, usize, u64, u64)>> {
    prop::collection::vec(
        (0u8..4, 0usize..8, 0usize..8, 0u64..35_000, 200u64..15_000),
        1..5,
    )
}

proptest! {
    // Eight cases each in CI; `MESHSIM_SAGA_CASES=500 cargo test --release --test saga` soaks.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("MESHSIM_SAGA_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(8),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_saga_keeps_every_invariant_under_random_faults(seed in 0u64..1_000_000, faults in timeline()) {
        drawn_run("saga", SAGA_HOSTS, faults, seed);
    }

    #[test]
    fn the_choreographed_saga_keeps_every_invariant_under_random_faults(seed in 0u64..1_000_000, faults in timeline()) {
        drawn_run("saga-choreography", CHOREOGRAPHY_HOSTS, faults, seed);
    }

    #[test]
    fn the_async_shop_loses_no_message_under_random_faults(seed in 0u64..1_000_000, faults in timeline()) {
        drawn_run("shop-async", ASYNC_HOSTS, faults, seed);
    }
}

/// A 40 s run of `scenarios/NAME.toml` with the drawn fault timeline over `hosts`.
fn drawn_run(
    name: &str,
    hosts: (&[&str], &[&str]),
    drawn: Vec<(u8, usize, usize, u64, u64)>,
    seed: u64,
) {
    let text = shortened(&scenario_text(&format!("{name}.toml")), "40s");
    let faults = drawn
        .into_iter()
        .map(|(kind, first, second, at, length)| fault(kind, hosts, first, second, at, length))
        .collect();
    every_invariant_holds(name, &text, faults, seed);
}

/// The saga with its refund forgotten: a payment whose order is undone later stays charged.
fn broken_saga() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/saga-forgets-refund.toml")
}

#[test]
fn a_saga_that_forgets_a_compensation_breaks_an_invariant() {
    let folder = tempfile::tempdir().unwrap();
    let output = meshsim(&[
        "run",
        broken_saga().to_str().unwrap(),
        "--out",
        folder.path().to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("FAIL invariant.no_payment_without_order"),
        "{stdout}"
    );
}

#[test]
fn shrink_narrows_the_broken_saga_down_to_the_fault_that_breaks_it() {
    let folder = tempfile::tempdir().unwrap();
    let shrunk = folder.path().join("shrunk.toml");
    let output = meshsim(&[
        "shrink",
        broken_saga().to_str().unwrap(),
        "--out",
        shrunk.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&shrunk).unwrap();
    let loaded = load_str("shrunk.toml", &text).unwrap();
    let original = load_str(
        "broken.toml",
        &std::fs::read_to_string(broken_saga()).unwrap(),
    )
    .unwrap();
    assert!(loaded.scenario().faults.len() < original.scenario().faults.len());
    // It still fails the same way.
    let output = meshsim(&[
        "run",
        shrunk.to_str().unwrap(),
        "--out",
        folder.path().join("run").to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("FAIL invariant.no_payment_without_order")
    );
}
