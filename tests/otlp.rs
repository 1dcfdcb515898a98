//! The OTLP export: `--otlp FILE` writes sampled requests as OTLP JSON Lines that the
//! OpenTelemetry protobuf schema accepts, whose parent links are the hops the run made (checked
//! against the run's own counts in `summary.json`, which come from other records), and which
//! change nothing else about the run.

mod support;

use support::meshsim;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs `scenario` with `--otlp` at `rate` (and any `extra` arguments); returns the file's
/// bytes and the run's summary.
fn exported(scenario: &str, rate: &str, folder: &Path, extra: &[&str]) -> (Vec<u8>, Value) {
    let otlp = folder.join("spans.jsonl");
    let out = folder.join("out");
    let scenario = file(scenario);
    let mut args = vec![
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
        "--otlp",
        otlp.to_str().unwrap(),
        "--trace-sample",
        rate,
    ];
    args.extend_from_slice(extra);
    let output = meshsim(&args);
    assert!(
        output.status.code().is_some_and(|code| code <= 1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (
        std::fs::read(&otlp).unwrap(),
        serde_json::from_str(&summary).unwrap(),
    )
}

/// One span with what the checks read of it.
#[derive(Debug, Clone)]
struct Span {
    trace: String,
    id: String,
    parent: Option<String>,
    name: String,
    kind: u64,
    start_ns: u64,
    end_ns: u64,
    /// The resource's `service.name` and `service.instance.id`.
    service: String,
    instance: String,
    attributes: BTreeMap<String, String>,
    events: Vec<(String, BTreeMap<String, String>)>,
}

const SERVER: u64 = 2;
const CLIENT: u64 = 3;
const PRODUCER: u64 = 4;
const CONSUMER: u64 = 5;

fn attributes(list: &Value) -> BTreeMap<String, String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|attribute| {
            let value = &attribute["value"];
            let text = value["stringValue"]
                .as_str()
                .or_else(|| value["intValue"].as_str())
                .unwrap_or_default();
            (
                attribute["key"].as_str().unwrap().to_owned(),
                text.to_owned(),
            )
        })
        .collect()
}

/// Every span of the file, keyed by (trace, span id).
fn read_spans(bytes: &[u8]) -> BTreeMap<(String, String), Span> {
    let mut spans = BTreeMap::new();
    for line in std::str::from_utf8(bytes).unwrap().lines() {
        let request: Value = serde_json::from_str(line).expect("each line is JSON");
        for resource in request["resourceSpans"].as_array().unwrap() {
            let resource_attributes = attributes(&resource["resource"]["attributes"]);
            for scope in resource["scopeSpans"].as_array().unwrap() {
                assert_eq!(scope["scope"]["name"], "meshsim");
                for span in scope["spans"].as_array().unwrap() {
                    let text = |key: &str| span[key].as_str().unwrap().to_owned();
                    let span = Span {
                        trace: text("traceId"),
                        id: text("spanId"),
                        parent: span["parentSpanId"].as_str().map(str::to_owned),
                        name: text("name"),
                        kind: span["kind"].as_u64().unwrap(),
                        start_ns: text("startTimeUnixNano").parse().unwrap(),
                        end_ns: text("endTimeUnixNano").parse().unwrap(),
                        service: resource_attributes["service.name"].clone(),
                        instance: resource_attributes["service.instance.id"].clone(),
                        attributes: attributes(&span["attributes"]),
                        events: span["events"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|event| {
                                let name = event["name"].as_str().unwrap().to_owned();
                                (name, attributes(&event["attributes"]))
                            })
                            .collect(),
                    };
                    let key = (span.trace.clone(), span.id.clone());
                    assert!(spans.insert(key, span).is_none(), "span ids are unique");
                }
            }
        }
    }
    spans
}

/// What a client-kind span is: a try has a call as its parent; a call has a serve span or the
/// workload's root (a client span without a parent).
fn is_try(spans: &BTreeMap<(String, String), Span>, span: &Span) -> bool {
    matches!(span.kind, CLIENT | PRODUCER)
        && parent(spans, span).is_some_and(|parent| {
            matches!(parent.kind, CLIENT | PRODUCER) && parent.parent.is_some()
        })
}

fn parent<'a>(spans: &'a BTreeMap<(String, String), Span>, span: &Span) -> Option<&'a Span> {
    let id = span.parent.as_ref()?;
    spans.get(&(span.trace.clone(), id.clone()))
}

/// `python3` with the OpenTelemetry protobuf schema, or why not. Without it the schema check is
/// skipped, except in CI (the `CI` variable set), where `.ci/run` installs it.
fn python_with_schema() -> Option<()> {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.proto.collector.trace.v1.trace_service_pb2",
        ])
        .output();
    let why = match probe {
        Ok(output) if output.status.success() => return Some(()),
        Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
        Err(error) => error.to_string(),
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must check the OTLP export with the protobuf schema, and python3 cannot import it: {why}"
    );
    eprintln!(
        "skipped: python3 cannot import the OpenTelemetry protobuf schema \
         (python3 -m pip install opentelemetry-proto): {why}"
    );
    None
}

#[test]
fn the_export_is_what_the_opentelemetry_protobuf_schema_accepts() {
    if python_with_schema().is_none() {
        return;
    }
    // Istio's retries, breaker and outlier detection; a broker's publishes and consumers;
    // parallel calls and the application's own retries; a retry storm.
    for (scenario, rate) in [
        ("scenarios/shop.toml", "0.05"),
        ("scenarios/shop-async.toml", "0.2"),
        ("tests/fixtures/real-services.toml", "0.3"),
        ("scenarios/retry-storm.toml", "0.05"),
    ] {
        let folder = tempfile::tempdir().unwrap();
        let (bytes, _) = exported(scenario, rate, folder.path(), &[]);
        assert!(!bytes.is_empty(), "{scenario}: spans were written");
        let output = Command::new("python3")
            .arg(file("scripts/validate-otlp.py"))
            .arg(folder.path().join("spans.jsonl"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{scenario}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Checks every parent link by what the two spans are, not by their times: a serve span's
/// parent is a try sent to that very instance for that route; a try's parent is a call of the
/// same instance to the same endpoint; a call's parent is a serve span of the instance that made
/// it, or the workload's root; a queue or work span's parent is its instance's serve span.
fn assert_links_exact(spans: &BTreeMap<(String, String), Span>) {
    for span in spans.values() {
        let Some(parent) = parent(spans, span) else {
            continue;
        };
        let what = format!(
            "{} at {} under {} at {}",
            span.name, span.instance, parent.name, parent.instance
        );
        match span.kind {
            SERVER => {
                assert!(
                    is_try(spans, parent),
                    "{what}: a serve span's parent is a try"
                );
                assert_eq!(
                    parent.attributes["meshsim.peer.instance"], span.instance,
                    "{what}"
                );
                assert_eq!(parent.attributes["server.address"], span.service, "{what}");
                assert_eq!(
                    parent.attributes.get("http.route"),
                    span.attributes.get("http.route"),
                    "{what}"
                );
                assert!(parent.start_ns <= span.start_ns, "{what}");
            }
            CLIENT | PRODUCER if is_try(spans, span) => {
                assert_eq!(parent.instance, span.instance, "{what}");
                assert_eq!(parent.name, span.name, "{what}");
            }
            CLIENT | PRODUCER => {
                assert_eq!(parent.instance, span.instance, "{what}");
                let root = parent.kind == CLIENT && parent.parent.is_none();
                assert!(
                    root || parent.kind == SERVER || parent.kind == CONSUMER,
                    "{what}"
                );
            }
            CONSUMER => assert_eq!(parent.kind, PRODUCER, "{what}"),
            _ => {
                assert_eq!(parent.instance, span.instance, "{what}");
                assert!(parent.kind == SERVER || parent.kind == CONSUMER, "{what}");
            }
        }
    }
}

/// Per edge `caller -> callee`: (calls, tries, retry events), from the spans.
fn edges(spans: &BTreeMap<(String, String), Span>) -> BTreeMap<String, (u64, u64, u64)> {
    let mut edges: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for span in spans.values() {
        let Some(callee) = span.attributes.get("server.address") else {
            continue;
        };
        if span.parent.is_none() {
            continue;
        }
        let edge = edges
            .entry(format!("{} -> {callee}", span.service))
            .or_default();
        if is_try(spans, span) {
            edge.1 += 1;
        } else {
            edge.0 += 1;
            edge.2 += span
                .events
                .iter()
                .filter(|(name, _)| name == "retry")
                .count() as u64;
        }
    }
    edges
}

#[test]
fn every_hop_is_a_span_whose_parent_is_the_hop_that_caused_it() {
    // The shop's breaker answers a third of the calls to payment itself: those calls have no
    // try, and now a span each. The real-services fixture has parallel calls and the
    // application's own retries.
    for scenario in [
        "scenarios/circuit-breaker.toml",
        "tests/fixtures/real-services.toml",
    ] {
        let folder = tempfile::tempdir().unwrap();
        let (bytes, summary) = exported(scenario, "1", folder.path(), &[]);
        let spans = read_spans(&bytes);
        assert_links_exact(&spans);
        // Every workload request that ended is one root span.
        let ended = summary["requests"]["sent"].as_u64().unwrap()
            - summary["requests"]["in_flight"].as_u64().unwrap();
        let roots = spans.values().filter(|span| span.parent.is_none()).count() as u64;
        assert_eq!(roots, ended, "{scenario}");
        // The recorder counts calls and tries from records of their own: the spans agree, but
        // for those still in flight at the end.
        let in_flight = summary["requests"]["in_flight"].as_u64().unwrap();
        let counted = edges(&spans);
        for (edge, figures) in summary["edges"].as_object().unwrap() {
            let (calls, tries, retries) = counted.get(edge).copied().unwrap_or_default();
            let expected = |key: &str| figures[key].as_u64().unwrap();
            for (what, spans, expected) in [
                ("calls", calls, expected("calls")),
                ("tries", tries, expected("attempts")),
                ("retries", retries, expected("retries")),
            ] {
                assert!(
                    spans <= expected && expected - spans <= in_flight,
                    "{scenario}: {edge}: {spans} {what} in spans, {expected} counted"
                );
            }
        }
    }
}

#[test]
fn the_breaker_refusing_a_call_and_each_retry_are_events_on_the_call() {
    let folder = tempfile::tempdir().unwrap();
    let (bytes, _) = exported("scenarios/circuit-breaker.toml", "1", folder.path(), &[]);
    let spans = read_spans(&bytes);
    let mut refused = 0;
    for span in spans.values().filter(|span| span.name == "POST /payments") {
        if is_try(&spans, span) {
            continue;
        }
        let tries = spans
            .values()
            .filter(|other| other.parent.as_ref() == Some(&span.id) && other.trace == span.trace)
            .count();
        if span.events.iter().any(|(name, attributes)| {
            name == "circuit_breaker.open" && attributes["envoy.response_flags"] == "UO"
        }) {
            refused += 1;
            assert_eq!(tries, 0, "a refused call has no try");
            assert_eq!(span.start_ns, span.end_ns, "and takes no time");
        }
    }
    assert!(
        refused > 100,
        "the minute of slow payments opens the breaker: {refused}"
    );

    // A retry storm: each call has one try more than it has retry events, and the tries'
    // resend counts run 0, 1, 2, ... as the events number them.
    let folder = tempfile::tempdir().unwrap();
    let (bytes, _) = exported("scenarios/retry-storm.toml", "0.05", folder.path(), &[]);
    let spans = read_spans(&bytes);
    let mut retried = 0;
    for call in spans.values().filter(|span| {
        span.service == "storm-front" && !is_try(&spans, span) && span.kind == CLIENT
    }) {
        let mut resends: Vec<u64> = spans
            .values()
            .filter(|other| other.parent.as_ref() == Some(&call.id) && other.trace == call.trace)
            .map(|other| {
                other
                    .attributes
                    .get("http.request.resend_count")
                    .map_or(0, |count| count.parse().unwrap())
            })
            .collect();
        resends.sort_unstable();
        let numbers: Vec<u64> = call
            .events
            .iter()
            .filter(|(name, _)| name == "retry")
            .map(|(_, attributes)| attributes["meshsim.retry.number"].parse().unwrap())
            .collect();
        if numbers.is_empty() {
            continue;
        }
        retried += 1;
        assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
        // A call cut off by its timeout while backing off has no try for its last retry.
        let tries = resends.len() as u64;
        assert!(
            tries == numbers.len() as u64 + 1 || tries == numbers.len() as u64,
            "{resends:?} {numbers:?}"
        );
        assert_eq!(resends, (0..tries).collect::<Vec<_>>());
    }
    assert!(retried > 10, "the storm retries: {retried}");
}

#[test]
fn a_consumer_span_is_the_child_of_the_publish_that_caused_it() {
    let folder = tempfile::tempdir().unwrap();
    let (bytes, _) = exported("scenarios/shop-async.toml", "0.2", folder.path(), &[]);
    let spans = read_spans(&bytes);
    let consumers: Vec<&Span> = spans
        .values()
        .filter(|span| span.kind == CONSUMER)
        .collect();
    assert!(!consumers.is_empty());
    for consumer in consumers {
        let producer = parent(&spans, consumer).expect("the publish is in the file");
        assert_eq!(producer.kind, PRODUCER);
        for span in [consumer, producer] {
            assert_eq!(
                span.attributes["messaging.destination.name"],
                "order.created"
            );
        }
        assert_eq!(consumer.attributes["messaging.operation"], "process");
        assert_eq!(producer.attributes["messaging.operation"], "publish");
        assert!(consumer.start_ns >= producer.start_ns);
        assert_ne!(consumer.instance, producer.instance);
    }
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_the_run_is_unchanged() {
    let folder = tempfile::tempdir().unwrap();
    let (first, with) = exported(
        "tests/fixtures/real-services.toml",
        "0.3",
        folder.path(),
        &[],
    );
    let again = tempfile::tempdir().unwrap();
    let trace = again.path().join("trace.json");
    let (second, _) = exported(
        "tests/fixtures/real-services.toml",
        "0.3",
        again.path(),
        &["--trace", trace.to_str().unwrap()],
    );
    assert_eq!(
        first, second,
        "the same bytes, with or without the Chrome trace"
    );
    // Simulated time 0 is 2026-01-01T00:00:00Z: 1767225600 s after the Unix epoch.
    let spans = read_spans(&first);
    let earliest = spans.values().map(|span| span.start_ns).min().unwrap();
    assert!((1_767_225_600_000_000_000..1_767_225_640_000_000_000).contains(&earliest));
    // The run without any export has the same digest.
    let plain = folder.path().join("plain");
    let output = meshsim(&[
        "run",
        file("tests/fixtures/real-services.toml").to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(output.status.code().is_some_and(|code| code <= 1));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(plain.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["digest"], with["digest"]);
}
