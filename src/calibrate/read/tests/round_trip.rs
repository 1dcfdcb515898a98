//! The test support that writes one run's OTLP spans as Jaeger and Zipkin JSON
//! (`tests/support/trace_formats.rs`), checked by reading each conversion back: the same spans
//! must come out of all three readers.

// The integration tests' support, compiled here too so it can be checked against the readers.
#[allow(unreachable_pub)]
#[path = "../../../../tests/support/trace_formats.rs"]
mod trace_formats;

use std::io::Write;

use serde_json::{Value, json};

use super::read_all;
use crate::calibrate::read::TraceFormat;
use crate::calibrate::trace::Trace;

fn attribute(key: &str, value: Value) -> Value {
    match value {
        Value::Number(number) => json!({"key": key, "value": {"intValue": number.to_string()}}),
        other => json!({"key": key, "value": {"stringValue": other}}),
    }
}

/// A shop's spans over `count` traces (numbered from `first`), interleaved across lines as a collector's batches are:
/// each line holds one step of every trace in flight. Times are whole microseconds.
#[allow(clippy::too_many_lines)] // One trace's spans, written out as a table, read best in one piece.
pub(super) fn otlp_run(first: u64, count: u64) -> String {
    let base_ns: u64 = 1_700_000_000_000_000_000;
    let mut steps: Vec<Vec<Value>> = vec![Vec::new(); 3];
    for trace in first..first + count {
        let trace_id = format!("{:032x}", 0xabc0_0000 + trace);
        let id = |n: u64| format!("{:016x}", trace * 16 + n + 1);
        let start = base_ns + trace * 7_000_000;
        let failed = trace % 5 == 0;
        let span = |n: u64,
                    parent: Option<u64>,
                    name: &str,
                    kind: u64,
                    from_us: u64,
                    to_us: u64,
                    attributes: Vec<Value>| {
            json!({
                "traceId": trace_id, "spanId": id(n),
                "parentSpanId": parent.map(id).unwrap_or_default(),
                "name": name, "kind": kind,
                "startTimeUnixNano": (start + from_us * 1000).to_string(),
                "endTimeUnixNano": (start + to_us * 1000).to_string(),
                "attributes": attributes,
                "status": if failed && n == 4 { json!({"code": 2, "message": "declined"}) } else { json!({}) },
            })
        };
        let resource = |service: &str, instance: String, spans: Vec<Value>| {
            json!({
                "resource": {"attributes": [
                    attribute("service.name", json!(service)),
                    attribute("service.version", json!("v1")),
                    attribute("service.instance.id", json!(instance)),
                ]},
                "scopeSpans": [{"scope": {"name": "meshsim"}, "spans": spans}],
            })
        };
        let order = format!("order-{}", trace % 2);
        steps[0].push(resource(
            "gateway",
            "gateway-0".to_owned(),
            vec![
                span(
                    0,
                    None,
                    "GET /orders",
                    2,
                    0,
                    900,
                    vec![
                        attribute("http.request.method", json!("GET")),
                        attribute("http.route", json!("/orders")),
                        attribute(
                            "http.response.status_code",
                            json!(if failed { 502 } else { 200 }),
                        ),
                    ],
                ),
                span(
                    1,
                    Some(0),
                    "POST",
                    3,
                    10,
                    880,
                    vec![attribute("peer.service", json!("order"))],
                ),
            ],
        ));
        steps[1].push(resource(
            "order",
            order.clone(),
            vec![
                span(
                    2,
                    Some(1),
                    "POST /orders",
                    2,
                    20 + trace % 3,
                    860,
                    vec![attribute("http.route", json!("/orders"))],
                ),
                span(
                    3,
                    Some(2),
                    "POST",
                    3,
                    40,
                    500,
                    vec![attribute("server.address", json!("payment"))],
                ),
            ],
        ));
        steps[2].push(resource(
            "payment",
            "payment-0".to_owned(),
            vec![span(4, Some(3), "POST /pay", 2, 45, 490, vec![])],
        ));
        steps[2].push(resource(
            "order",
            order,
            vec![span(
                5,
                Some(2),
                "order.created publish",
                4,
                600,
                610,
                vec![attribute(
                    "messaging.destination.name",
                    json!("order.created"),
                )],
            )],
        ));
    }
    steps
        .into_iter()
        .map(|resources| json!({"resourceSpans": resources}).to_string() + "\n")
        .collect()
}

fn read_text(text: &str, format: TraceFormat) -> Vec<Trace> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let (mut traces, counts) = read_all(&[file.path()], Some(format)).unwrap();
    assert_eq!(
        (counts.spans_without_service, counts.spans_incomplete),
        (0, 0)
    );
    // Each format gives the traces in its own order: compare them by id, their spans by id.
    traces.sort_by(|a, b| a.trace_id.cmp(&b.trace_id));
    for trace in &mut traces {
        trace.spans.sort_by(|a, b| a.span_id.cmp(&b.span_id));
        trace.origin.clear();
    }
    traces
}

#[test]
fn one_run_reads_the_same_in_all_three_formats() {
    let text = otlp_run(0, 12);
    let requests = trace_formats::otlp_lines(&text);
    let from_otlp = read_text(&text, TraceFormat::Otlp);
    let from_jaeger = read_text(
        &trace_formats::to_jaeger(&requests).to_string(),
        TraceFormat::Jaeger,
    );
    let from_zipkin = read_text(
        &trace_formats::to_zipkin(&requests).to_string(),
        TraceFormat::Zipkin,
    );
    assert_eq!(from_otlp.len(), 12);
    assert!(from_otlp.iter().all(|trace| trace.spans.len() == 6));
    // What the generator wrote, read back from OTLP: a failed payment every fifth trace, the
    // gateway's 502 on it, and order's two instances.
    let failed: usize = from_otlp
        .iter()
        .flat_map(|trace| &trace.spans)
        .filter(|span| span.error)
        .count();
    assert_eq!(
        failed,
        2 * 3,
        "traces 0, 5 and 10: the payment span and the gateway's 502"
    );
    let instances: std::collections::BTreeSet<_> = from_otlp
        .iter()
        .flat_map(|trace| &trace.spans)
        .filter(|span| span.service == "order")
        .filter_map(|span| span.instance.clone())
        .collect();
    assert_eq!(instances.len(), 2);
    assert_eq!(from_jaeger, from_otlp);
    assert_eq!(from_zipkin, from_otlp);
}
