//! The round trip of calibration (issue 20): a known system is run with its sampled requests
//! exported as OTLP (`meshsim run --otlp`), `meshsim calibrate` builds a scenario from those
//! traces, and the built scenario, run under its own Poisson load, must reproduce the original's
//! end-to-end p50 and p99 within 5 % and its calls on every edge within 2 %. The same traces
//! written as Jaeger JSON and Zipkin v2 JSON (`support/trace_formats.rs`) must do as well.
//!
//! What the comparison is against: the original run's own `summary.json`, every request of it
//! (48,000 over two minutes), not the sampled traces. The built scenario knows nothing of the
//! original's distributions (lognormal, mixture, normal, exponential), its probability, its
//! parallel pair or its network: only what the spans show.
//!
//! The sample rate given to calibrate is the share of requests the export holds, counted (the
//! traced roots over the requests sent), as a team with head sampling reads it off its
//! sampler's counters: with the nominal 0.2 the rate would be off by the sampler's own
//! binomial spread (about 1 % at this size), which is the traces' error, not calibration's.

mod support;

use std::path::Path;

use serde_json::Value;
use support::trace_formats::{otlp_lines, to_jaeger, to_zipkin};

const ORIGINAL: &str = "tests/fixtures/calibrate/round-trip.toml";
const TRACE_SAMPLE: &str = "0.2";
const LATENCY_TOLERANCE: f64 = 0.05;
const COUNT_TOLERANCE: f64 = 0.02;

fn meshsim(args: &[&str]) {
    let output = support::meshsim(args);
    assert!(
        output.status.success(),
        "meshsim {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn summary(folder: &Path) -> Value {
    let text = std::fs::read_to_string(folder.join("summary.json")).expect("a summary");
    serde_json::from_str(&text).expect("summary.json is JSON")
}

/// Traced roots (spans without a parent) in the OTLP requests.
fn roots(requests: &[Value]) -> u64 {
    let mut count = 0;
    for request in requests {
        for resource in request["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    let parent = span["parentSpanId"].as_str().unwrap_or("");
                    count += u64::from(parent.is_empty());
                }
            }
        }
    }
    count
}

/// Calibrates `traces`, runs the built scenario, and holds its figures against the original's.
fn calibrate_and_compare(folder: &Path, traces: &Path, sample_rate: f64, original: &Value) {
    let name = traces.file_stem().unwrap().to_string_lossy().into_owned();
    let built = folder.join(format!("{name}.toml"));
    let run = folder.join(format!("{name}-run"));
    let rate = format!("{sample_rate}");
    meshsim(&[
        "calibrate",
        traces.to_str().unwrap(),
        "--out",
        built.to_str().unwrap(),
        "--sample-rate",
        &rate,
        "--no-progress",
    ]);
    meshsim(&[
        "run",
        built.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--no-progress",
    ]);
    let rebuilt = summary(&run);
    let mut failures = Vec::new();
    for quantile in ["p50", "p99"] {
        let was = original["workloads"]["shoppers"]["latency_ms"][quantile]
            .as_f64()
            .unwrap();
        let now = rebuilt["workloads"]["shoppers"]["latency_ms"][quantile]
            .as_f64()
            .unwrap_or(f64::NAN);
        let difference = now / was - 1.0;
        eprintln!(
            "{name}: end to end {quantile} {was:.2} ms → {now:.2} ms ({:+.2} %)",
            difference * 100.0
        );
        if difference.abs().is_nan() || difference.abs() > LATENCY_TOLERANCE {
            failures.push(format!("{quantile} {was} → {now}"));
        }
    }
    for (edge, figures) in original["edges"].as_object().unwrap() {
        let was = figures["calls"].as_f64().unwrap();
        let now = rebuilt["edges"][edge]["calls"].as_f64().unwrap_or(0.0);
        let difference = now / was - 1.0;
        eprintln!(
            "{name}: {edge} {was} → {now} calls ({:+.2} %)",
            difference * 100.0
        );
        if difference.abs() > COUNT_TOLERANCE {
            failures.push(format!("{edge} {was} → {now}"));
        }
    }
    assert!(failures.is_empty(), "{name}: outside the bar: {failures:?}");
}

#[test]
fn a_scenario_built_from_its_own_traces_reproduces_its_latency_and_calls_in_every_format() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let original_run = folder.path().join("original");
    let otlp = folder.path().join("otlp.jsonl");
    meshsim(&[
        "run",
        ORIGINAL,
        "--out",
        original_run.to_str().unwrap(),
        "--otlp",
        otlp.to_str().unwrap(),
        "--trace-sample",
        TRACE_SAMPLE,
        "--no-progress",
    ]);
    let original = summary(&original_run);
    let requests = otlp_lines(&std::fs::read_to_string(&otlp).expect("the export"));
    let sent = original["workloads"]["shoppers"]["requests"]["sent"]
        .as_u64()
        .unwrap();
    let sample_rate = roots(&requests) as f64 / sent as f64;
    assert!(
        (sample_rate - 0.2).abs() < 0.01,
        "the export holds {sample_rate} of the requests"
    );
    calibrate_and_compare(folder.path(), &otlp, sample_rate, &original);

    let jaeger = folder.path().join("jaeger.json");
    let zipkin = folder.path().join("zipkin.json");
    std::fs::write(&jaeger, to_jaeger(&requests).to_string()).unwrap();
    std::fs::write(&zipkin, to_zipkin(&requests).to_string()).unwrap();
    drop(requests);
    calibrate_and_compare(folder.path(), &jaeger, sample_rate, &original);
    calibrate_and_compare(folder.path(), &zipkin, sample_rate, &original);
}
