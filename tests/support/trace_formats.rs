//! The same spans in the three trace formats calibrate reads: an OTLP JSON Lines file (as the
//! collector's file exporter, or `meshsim run --otlp`, writes it) converted into Jaeger JSON
//! (`{"data": [...]}`, as Jaeger's UI downloads it) and Zipkin v2 JSON (a list of traces, as
//! `/api/v2/traces` answers), so one simulated run can be fed to calibrate in all three.
//!
//! What each format can hold decides what is carried: times become whole microseconds
//! (truncated), as Jaeger and Zipkin hold them; the resource's `service.name` becomes Jaeger's
//! process `serviceName` and Zipkin's `localEndpoint.serviceName`, and its `service.version`
//! and `service.instance.id` (or `host.name`) become process tags (Jaeger) or span tags
//! (Zipkin, whose endpoint has no instance id); span attributes become tags; an error status
//! becomes the `error` tag; the kind becomes Jaeger's `span.kind` tag and Zipkin's `kind`.
//! Spans keep their ids, so a client and a server span are never Zipkin's shared spans.

use serde_json::{Map, Value, json};

/// The OTLP requests of a JSON Lines text, one a line (blank lines skipped).
pub fn otlp_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("each line is one OTLP JSON object"))
        .collect()
}

/// One OTLP span with what its resource says, in plain values.
#[derive(Debug, Clone)]
struct Flat {
    trace_id: String,
    span_id: String,
    parent_id: Option<String>,
    name: String,
    /// Lower case: `server`, `client`, `producer`, `consumer`, `internal`.
    kind: &'static str,
    start_us: u64,
    end_us: u64,
    /// Attributes as plain JSON values (strings, numbers, booleans).
    attributes: Vec<(String, Value)>,
    error: Option<String>,
    service: String,
    version: Option<String>,
    instance: Option<String>,
}

/// Every span of the requests, grouped by trace in the order each trace first appears.
fn traces(requests: &[Value]) -> Vec<(String, Vec<Flat>)> {
    let mut traces: Vec<(String, Vec<Flat>)> = Vec::new();
    for request in requests {
        for resource_spans in array(&request["resourceSpans"]) {
            let resource = attributes(&resource_spans["resource"]["attributes"]);
            let find = |key: &str| {
                resource
                    .iter()
                    .find(|(name, _)| name == key)
                    .and_then(|(_, value)| value.as_str().map(str::to_owned))
            };
            let service = find("service.name").unwrap_or_default();
            let version = find("service.version");
            let instance = find("service.instance.id").or_else(|| find("host.name"));
            for scope in array(&resource_spans["scopeSpans"]) {
                for span in array(&scope["spans"]) {
                    let flat = Flat {
                        service: service.clone(),
                        version: version.clone(),
                        instance: instance.clone(),
                        ..flat(span)
                    };
                    match traces.iter_mut().find(|(id, _)| *id == flat.trace_id) {
                        Some((_, spans)) => spans.push(flat),
                        None => traces.push((flat.trace_id.clone(), vec![flat])),
                    }
                }
            }
        }
    }
    traces
}

fn flat(span: &Value) -> Flat {
    let text = |key: &str| span[key].as_str().unwrap_or_default().to_owned();
    let nanos = |key: &str| match &span[key] {
        Value::String(text) => text.parse::<u64>().expect("a time in nanoseconds"),
        value => value.as_u64().expect("a time in nanoseconds"),
    };
    let kind = match &span["kind"] {
        Value::Number(number) => number.as_u64().unwrap_or(0),
        Value::String(name) => match name.as_str() {
            "SPAN_KIND_SERVER" => 2,
            "SPAN_KIND_CLIENT" => 3,
            "SPAN_KIND_PRODUCER" => 4,
            "SPAN_KIND_CONSUMER" => 5,
            _ => 1,
        },
        _ => 1,
    };
    let status = &span["status"]["code"];
    let failed = status.as_u64() == Some(2) || status.as_str() == Some("STATUS_CODE_ERROR");
    Flat {
        trace_id: text("traceId").to_ascii_lowercase(),
        span_id: text("spanId").to_ascii_lowercase(),
        parent_id: Some(text("parentSpanId").to_ascii_lowercase()).filter(|id| !id.is_empty()),
        name: text("name"),
        kind: [
            "internal", "internal", "server", "client", "producer", "consumer",
        ]
        .get(kind as usize)
        .copied()
        .unwrap_or("internal"),
        start_us: nanos("startTimeUnixNano") / 1000,
        end_us: nanos("endTimeUnixNano") / 1000,
        attributes: attributes(&span["attributes"]),
        error: failed.then(|| span["status"]["message"].as_str().unwrap_or("").to_owned()),
        service: String::new(),
        version: None,
        instance: None,
    }
}

/// An OTLP attribute list as plain values (`{"intValue": "42"}` becomes 42).
fn attributes(list: &Value) -> Vec<(String, Value)> {
    array(list)
        .iter()
        .filter_map(|pair| {
            let key = pair["key"].as_str()?.to_owned();
            let value = &pair["value"];
            let plain = if let Some(text) = value["intValue"].as_str() {
                json!(text.parse::<i64>().ok()?)
            } else {
                ["stringValue", "intValue", "boolValue", "doubleValue"]
                    .iter()
                    .find_map(|name| value.get(*name).cloned())?
            };
            Some((key, plain))
        })
        .collect()
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// The spans as Jaeger JSON: one element of `data` per trace, a process per distinct
/// service, version and instance in it.
pub fn to_jaeger(requests: &[Value]) -> Value {
    let data: Vec<Value> = traces(requests)
        .into_iter()
        .map(|(trace_id, spans)| {
            let mut processes: Vec<(String, Option<String>, Option<String>)> = Vec::new();
            let mut process_of = |span: &Flat| {
                let key = (span.service.clone(), span.version.clone(), span.instance.clone());
                let index = processes.iter().position(|held| *held == key).unwrap_or_else(|| {
                    processes.push(key);
                    processes.len() - 1
                });
                format!("p{}", index + 1)
            };
            let spans: Vec<Value> = spans.iter().map(|span| jaeger_span(span, &process_of(span))).collect();
            let processes: Map<String, Value> = processes
                .into_iter()
                .enumerate()
                .map(|(index, (service, version, instance))| {
                    let mut tags = Vec::new();
                    if let Some(version) = version {
                        tags.push(json!({"key": "service.version", "type": "string", "value": version}));
                    }
                    if let Some(instance) = instance {
                        tags.push(json!({"key": "service.instance.id", "type": "string", "value": instance}));
                    }
                    (format!("p{}", index + 1), json!({"serviceName": service, "tags": tags}))
                })
                .collect();
            json!({"traceID": trace_id, "spans": spans, "processes": processes, "warnings": null})
        })
        .collect();
    json!({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": null})
}

fn jaeger_span(span: &Flat, process_id: &str) -> Value {
    let mut tags = vec![json!({"key": "span.kind", "type": "string", "value": span.kind})];
    for (key, value) in &span.attributes {
        let kind = match value {
            Value::Bool(_) => "bool",
            Value::Number(number) if number.is_f64() => "float64",
            Value::Number(_) => "int64",
            _ => "string",
        };
        tags.push(json!({"key": key, "type": kind, "value": value}));
    }
    if span.error.is_some() {
        tags.push(json!({"key": "error", "type": "bool", "value": true}));
    }
    let references: Vec<Value> = span
        .parent_id
        .iter()
        .map(|parent| json!({"refType": "CHILD_OF", "traceID": span.trace_id, "spanID": parent}))
        .collect();
    json!({
        "traceID": span.trace_id,
        "spanID": span.span_id,
        "operationName": span.name,
        "references": references,
        "startTime": span.start_us,
        "duration": span.end_us - span.start_us,
        "tags": tags,
        "logs": [],
        "processID": process_id,
        "warnings": null,
    })
}

/// The spans as Zipkin v2 JSON: a list of traces, each a list of spans.
pub fn to_zipkin(requests: &[Value]) -> Value {
    let traces: Vec<Value> = traces(requests)
        .into_iter()
        .map(|(_, spans)| Value::Array(spans.iter().map(zipkin_span).collect()))
        .collect();
    Value::Array(traces)
}

fn zipkin_span(span: &Flat) -> Value {
    let mut tags = Map::new();
    for (key, value) in &span.attributes {
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        tags.insert(key.clone(), Value::String(text));
    }
    if let Some(version) = &span.version {
        tags.insert("service.version".to_owned(), json!(version));
    }
    if let Some(instance) = &span.instance {
        tags.insert("service.instance.id".to_owned(), json!(instance));
    }
    if let Some(message) = &span.error {
        tags.insert("error".to_owned(), json!(message));
    }
    let mut zipkin = json!({
        "traceId": span.trace_id,
        "id": span.span_id,
        "name": span.name,
        "timestamp": span.start_us,
        "duration": span.end_us - span.start_us,
        "localEndpoint": {"serviceName": span.service},
        "tags": tags,
    });
    if let Some(parent) = &span.parent_id {
        zipkin["parentId"] = json!(parent);
    }
    if span.kind != "internal" {
        zipkin["kind"] = json!(span.kind.to_ascii_uppercase());
    }
    zipkin
}
