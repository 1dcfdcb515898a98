//! Calibration of a known system: traces generated from a system whose every figure was chosen
//! here (exponential work times of known means, a parallel pair, a call made 30 % of the time,
//! a 2 % error rate, a constant one-way hop, a skewed clock, orphans) must give those figures
//! back, within what the sample size allows, and a scenario that loads and runs.

mod known_system;

use known_system::{KnownSystem, ORPHANS, PAYMENT_SKEW_NS};

use super::calibration::Calibration;
use super::call_tree::Target;
use super::scenario_writer::{Arrivals, WriteOptions, write_scenario};
use super::system::System;

const TRACES: usize = 4000;
const MS: f64 = 1e6;

fn calibrated() -> Calibration {
    let mut calibration = Calibration::new(false);
    for trace in KnownSystem::new(TRACES).traces() {
        calibration.add(trace);
    }
    calibration
}

/// An exponential mean estimated from n samples has a standard error of mean / √n; the
/// reservoir keeps them all below its capacity.
fn assert_mean(system: &System, service: &str, endpoint: &str, mean_ms: f64) {
    let stats = &system.services[service].endpoints[endpoint];
    let work = stats.versions.values().next().expect("a version");
    let n = work.work.samples().len() as f64;
    let measured = work.work.mean() / MS;
    let tolerance = 5.0 * mean_ms / n.sqrt();
    assert!(
        (measured - mean_ms).abs() < tolerance,
        "{service}: {endpoint}: own work mean {measured:.4} ms, expected {mean_ms} ± {tolerance:.4}"
    );
}

#[test]
fn own_work_means_come_back() {
    let system = calibrated().system;
    assert_mean(&system, "gateway", "GET /api/orders", 1.0);
    assert_mean(&system, "order", "POST /orders", 3.0);
    assert_mean(&system, "catalog", "GET /items", 2.0);
    assert_mean(&system, "payment", "POST /pay", 5.0);
    assert_mean(&system, "recommend", "GET /recs", 4.0);
    // The database has no server span: its work is its client span.
    assert_mean(&system, "postgres", "SELECT payments", 1.0);
    assert_mean(&system, "notification", "on order.created", 2.0);
    assert!(system.services["postgres"].leaf);
}

/// A share p estimated from n requests has a standard error of √(p(1 − p)/n).
fn assert_share(measured: f64, expected: f64, n: u64, what: &str) {
    let tolerance = 5.0 * (expected * (1.0 - expected) / n as f64).sqrt();
    assert!(
        (measured - expected).abs() <= tolerance.max(1e-9),
        "{what}: {measured:.4}, expected {expected} ± {tolerance:.4}"
    );
}

#[test]
fn calls_their_probabilities_and_parallel_steps_come_back() {
    let system = calibrated().system;
    let gateway = &system.services["gateway"].endpoints["GET /api/orders"];
    let steps = gateway.call_steps();
    let names: Vec<Vec<String>> = steps
        .iter()
        .map(|step| {
            step.iter()
                .map(|((target, _), _)| match target {
                    Target::Sync { service, .. } | Target::Leaf { service, .. } => service.clone(),
                    Target::Publish { topic } => topic.clone(),
                })
                .collect::<std::collections::BTreeSet<String>>()
                .into_iter()
                .collect()
        })
        .collect();
    assert_eq!(
        names,
        vec![
            vec!["catalog".to_owned(), "order".to_owned()],
            vec!["recommend".to_owned()]
        ],
        "order and catalog go out at once, recommend after them"
    );
    assert!(
        steps[0]
            .iter()
            .all(|(_, probability)| (probability - 1.0).abs() < 1e-12)
    );
    assert_share(
        steps[1][0].1,
        0.3,
        gateway.clean_requests,
        "recommend's probability",
    );
    // Order's failures stop it before payment: payment is still made by every request that
    // ends well, and the publish after it too.
    let order = system.services["order"].endpoints["POST /orders"].call_steps();
    assert_eq!(order.len(), 2);
    assert!((order[0][0].1 - 1.0).abs() < 1e-12);
    assert!(matches!(&order[1][0].0.0, Target::Publish { topic } if topic == "order.created"));
}

#[test]
fn own_errors_are_not_counted_twice() {
    let system = calibrated().system;
    let order = &system.services["order"].endpoints["POST /orders"];
    let work = order.versions.values().next().expect("a version");
    assert_share(
        work.own_errors as f64 / work.requests as f64,
        0.02,
        work.requests,
        "order's own error rate",
    );
    // The gateway fails exactly when order does, through its call: none of them is its own.
    let gateway = &system.services["gateway"].endpoints["GET /api/orders"];
    assert_eq!(
        gateway.versions.values().map(|v| v.own_errors).sum::<u64>(),
        0
    );
}

#[test]
fn hops_skew_orphans_and_the_rate_come_back() {
    let system = calibrated().system;
    let counts = &system.counts;
    assert_eq!(counts.traces, (TRACES + ORPHANS) as u64);
    assert_eq!(counts.traces_partial, ORPHANS as u64);
    assert_eq!(counts.orphan_spans, ORPHANS as u64);
    assert_eq!(counts.traces_used, TRACES as u64);
    // Half the payments run on the skewed instance: each of those payment spans is corrected
    // once (its database span moves with it, uncounted).
    let skewed = system.services["payment"].requests / 2;
    let corrected = counts.skew_corrected_spans as f64;
    assert!(
        (corrected - skewed as f64).abs() < 5.0 * (skewed as f64).sqrt(),
        "{corrected} corrected, about {skewed} expected"
    );
    // Every hop is a constant one way: with the skew undone the hop time is exact, skewed
    // instance or not.
    let hop = known_system::ONE_WAY_NS as f64;
    for ((caller, callee), hops) in &system.hops {
        if callee.is_some() {
            let mean = hops.mean();
            assert!(
                (mean - hop).abs() < 1.0,
                "{caller} → {callee:?}: {mean} ns, expected {hop}; skew was {PAYMENT_SKEW_NS}"
            );
        }
    }
    let rate = system.arrivals() as f64 / (system.window_ns() / 1e9);
    let expected = known_system::RATE_PER_S;
    // A Poisson count of n has a relative standard error of 1 / √n.
    let tolerance = 5.0 / (TRACES as f64).sqrt();
    assert!(
        (rate / expected - 1.0).abs() < tolerance,
        "rate {rate:.2}/s, expected {expected}/s within {:.1}%",
        tolerance * 100.0
    );
    let workload = system.workloads.keys().next().expect("a workload");
    assert_eq!(workload.0.as_deref(), Some("shoppers"));
    assert!(system.services["gateway"].exposed);
    assert_eq!(system.topics["order.created"].len(), 1);
}

fn written_folder() -> (tempfile::TempDir, std::path::PathBuf, Calibration) {
    let calibration = calibrated();
    let options = WriteOptions {
        name: "known".into(),
        samples_dir: "known.samples".into(),
        arrivals: Arrivals::Rate,
        sample_rate: 1.0,
        header: vec!["calibrated from a known system".into()],
    };
    let written = write_scenario(&calibration.system, &options);
    let folder = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(folder.path().join("known.samples")).expect("the samples folder");
    for (path, contents) in &written.files {
        std::fs::write(folder.path().join(path), contents).expect("a samples file");
    }
    let path = folder.path().join("known.toml");
    std::fs::write(&path, &written.toml).expect("the scenario");
    (folder, path, calibration)
}

/// The scenario loads as written and, run, reproduces the traces' end-to-end latency: the
/// simulated client's mean against the mean of the generated root spans (the known system's
/// own, not anything calibration computed), within 5 % (the bar; the standard error of
/// each mean is under 1.5 % at these sizes).
#[test]
fn the_written_scenario_loads_runs_and_reproduces_the_mean() {
    let (_folder, path, _calibration) = written_folder();
    let loaded = crate::scenario::load_file(&path).unwrap_or_else(|error| {
        panic!(
            "{}\n{}",
            std::fs::read_to_string(&path).unwrap_or_default(),
            error.render(false)
        )
    });
    let simulation = crate::simulate(
        loaded.resolved(),
        1,
        meshsim_record::RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .expect("the run");
    let simulated = simulation.summary.workloads["shoppers"].latency_ms.mean;
    let expected = KnownSystem::new(TRACES).mean_root_ms();
    assert!(
        (simulated - expected).abs() / expected < 0.05,
        "simulated mean {simulated:.3} ms, the traces' {expected:.3} ms"
    );
}

#[test]
fn replayed_arrivals_load() {
    let mut calibration = Calibration::new(true);
    for trace in KnownSystem::new(200).traces() {
        calibration.add(trace);
    }
    let options = WriteOptions {
        name: "replayed".into(),
        samples_dir: "replayed.samples".into(),
        arrivals: Arrivals::Replay,
        sample_rate: 1.0,
        header: Vec::new(),
    };
    let written = write_scenario(&calibration.system, &options);
    let folder = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(folder.path().join("replayed.samples")).expect("the samples folder");
    for (path, contents) in &written.files {
        std::fs::write(folder.path().join(path), contents).expect("a samples file");
    }
    let path = folder.path().join("replayed.toml");
    std::fs::write(&path, &written.toml).expect("the scenario");
    let loaded = crate::scenario::load_file(&path).map_err(|error| error.render(false));
    assert!(loaded.is_ok(), "{}", loaded.err().unwrap_or_default());
    let replay = written
        .files
        .iter()
        .find(|(path, _)| path.contains("arrivals"))
        .expect("an arrivals file");
    assert_eq!(
        replay.1.lines().count(),
        201,
        "a header and one row per trace"
    );
}

/// The same traces give the same scenario, byte for byte.
#[test]
fn calibration_is_deterministic() {
    let write = || {
        let calibration = calibrated();
        let options = WriteOptions {
            name: "known".into(),
            samples_dir: "known.samples".into(),
            arrivals: Arrivals::Rate,
            sample_rate: 1.0,
            header: Vec::new(),
        };
        let written = write_scenario(&calibration.system, &options);
        (written.toml, written.files)
    };
    assert_eq!(write(), write());
}

/// What `calibrate` prints, for a small input: reviewed by eye against the known system above.
#[test]
fn the_summary_of_a_small_input() {
    let mut calibration = Calibration::new(false);
    for trace in KnownSystem::new(40).traces() {
        calibration.add(trace);
    }
    let options = WriteOptions {
        name: "small".into(),
        samples_dir: "small.samples".into(),
        arrivals: Arrivals::Rate,
        sample_rate: 1.0,
        header: Vec::new(),
    };
    let written = write_scenario(&calibration.system, &options);
    insta::assert_snapshot!(super::summary::render(&calibration.system, None, &written));
}

fn stats_of(traces: Vec<crate::calibrate::trace::Trace>) -> super::check::TraceStats {
    let mut calibration = Calibration::new(false);
    for trace in traces {
        calibration.add(trace);
    }
    calibration.stats
}

const BAR: super::check::Tolerances = super::check::Tolerances {
    latency_percent: 5.0,
    count_percent: 2.0,
};

/// The same traces on both sides are within any bar: every difference is zero.
#[test]
fn the_check_passes_the_traces_against_themselves() {
    let traces = stats_of(KnownSystem::new(500).traces());
    let again = stats_of(KnownSystem::new(500).traces());
    let rows = super::check::compare(&traces, &again, BAR);
    assert!(rows.iter().any(|row| row.entry));
    assert!(rows.iter().any(|row| !row.entry));
    for row in &rows {
        assert!(row.within, "{row:?}");
        assert_eq!(row.differences, Some([0.0; 4]));
    }
}

/// Every span 10 % longer: each entry's p50 and p99 are 10 % off, outside the 5 % bar, and the
/// edges' counts are unchanged (the arrivals are the same), inside theirs.
#[test]
fn the_check_fails_a_slower_simulation() {
    let traces = stats_of(KnownSystem::new(500).traces());
    let slower: Vec<_> = KnownSystem::new(500)
        .traces()
        .into_iter()
        .map(|mut trace| {
            for span in &mut trace.spans {
                span.duration_ns += span.duration_ns / 10;
            }
            trace
        })
        .collect();
    let rows = super::check::compare(&traces, &stats_of(slower), BAR);
    for row in rows.iter().filter(|row| row.entry) {
        let differences = row.differences.expect("both sides");
        assert!((differences[0] - 10.0).abs() < 0.5, "{row:?}");
        assert!(!row.within);
    }
    for row in rows.iter().filter(|row| !row.entry) {
        assert!(row.within, "{row:?}");
    }
    let table = super::check::render(&rows, BAR);
    assert!(table.contains("✘"), "{table}");
}

/// Order's spans carry two versions on instances of their own: v1 stays the service's own
/// version and v2 becomes a `[[service.version]]` with its replicas and its own work, and the
/// scenario still loads.
#[test]
fn a_second_version_is_written_as_one() {
    let mut calibration = Calibration::new(false);
    for (index, mut trace) in KnownSystem::new(400).traces().into_iter().enumerate() {
        for span in &mut trace.spans {
            if span.service == "order" {
                let v2 = index.is_multiple_of(4);
                span.version = Some(if v2 { "v2" } else { "v1" }.to_owned());
                span.instance = Some(if v2 { "order-v2" } else { "order-v1" }.to_owned());
            }
        }
        calibration.add(trace);
    }
    let options = WriteOptions {
        name: "versions".into(),
        samples_dir: "versions.samples".into(),
        arrivals: Arrivals::Rate,
        sample_rate: 1.0,
        header: Vec::new(),
    };
    let written = write_scenario(&calibration.system, &options);
    assert!(
        written
            .toml
            .contains("[[service.version]]\nname = \"v2\"\nreplicas = 1"),
        "{}",
        written.toml
    );
    let folder = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(folder.path().join("versions.samples")).expect("the samples folder");
    for (path, contents) in &written.files {
        std::fs::write(folder.path().join(path), contents).expect("a samples file");
    }
    let path = folder.path().join("versions.toml");
    std::fs::write(&path, &written.toml).expect("the scenario");
    let loaded = crate::scenario::load_file(&path).map_err(|error| error.render(false));
    assert!(loaded.is_ok(), "{}", loaded.err().unwrap_or_default());
}
