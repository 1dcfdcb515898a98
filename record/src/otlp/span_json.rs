//! One span, and one instance's resource, as OTLP/JSON, with the attributes of the
//! OpenTelemetry semantic conventions 1.26.0: HTTP spans
//! (<https://opentelemetry.io/docs/specs/semconv/http/http-spans/>: `http.request.method`,
//! `http.route`, `http.response.status_code`, `http.request.resend_count`, `server.address`, and
//! the span status rules), messaging spans
//! (<https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/>) and the service
//! resource (`service.name`, `service.version`, `service.instance.id`).

use std::fmt::Write as _;

use meshsim_sim::GroupId;

use crate::catalog::Catalog;
use crate::keys::trace_id;
use crate::span::{Span, SpanEvent, SpanKind};

/// Simulated time 0 as Unix time: 2026-01-01T00:00:00Z. A fixed instant, not the wall clock,
/// so the same seed writes the same bytes; a recent one, so that backends which refuse spans
/// far in the past (Tempo's ingestion window, Jaeger's retention) take them, once their search
/// is set to that day.
pub const EPOCH_UNIX_NS: u64 = 1_767_225_600_000_000_000;

/// A span waiting in the batch, with the topic it consumed when it is a consumer's span.
pub(crate) struct Batched {
    pub(crate) span: Span,
    pub(crate) consumed: Option<(GroupId, u32)>,
}

/// `Span.SpanKind` in `trace.proto`.
const KIND_INTERNAL: u8 = 1;
const KIND_SERVER: u8 = 2;
const KIND_CLIENT: u8 = 3;
const KIND_PRODUCER: u8 = 4;
const KIND_CONSUMER: u8 = 5;
/// `Status.StatusCode.STATUS_CODE_ERROR` in `trace.proto`.
const STATUS_ERROR: u8 = 2;

/// Each node's resource, written once as JSON, and which groups are brokers.
pub(super) struct Resources {
    by_node: Vec<String>,
    brokers: Vec<bool>,
}

impl Resources {
    pub(super) fn new(catalog: &Catalog) -> Resources {
        let by_node = catalog
            .nodes
            .iter()
            .map(|node| {
                let group = &catalog.groups[node.group.0 as usize];
                // The catalog knows each instance's version (an autoscaler's standby instances
                // included), so it is read, not worked out from the instances' order.
                let version = node
                    .version
                    .and_then(|index| group.versions.get(index as usize));
                let mut json = String::from("{\"attributes\":[");
                string_attribute(&mut json, "service.name", &group.name);
                if let Some(version) = version {
                    json.push(',');
                    string_attribute(&mut json, "service.version", &version.name);
                }
                json.push(',');
                string_attribute(&mut json, "service.instance.id", &node.name);
                json.push(',');
                string_attribute(&mut json, "telemetry.sdk.name", "meshsim");
                json.push(',');
                string_attribute(&mut json, "telemetry.sdk.language", "rust");
                json.push(',');
                string_attribute(
                    &mut json,
                    "telemetry.sdk.version",
                    env!("CARGO_PKG_VERSION"),
                );
                json.push_str("]}");
                json
            })
            .collect();
        let brokers = catalog
            .groups
            .iter()
            .map(|group| {
                catalog
                    .subscriptions
                    .iter()
                    .any(|subscription| subscription.broker == group.name)
            })
            .collect();
        Resources { by_node, brokers }
    }

    pub(super) fn of(&self, node: u32) -> &str {
        &self.by_node[node as usize]
    }

    fn is_broker(&self, group: GroupId) -> bool {
        self.brokers.get(group.0 as usize).copied().unwrap_or(false)
    }
}

/// What a span is, for its name, kind and attributes.
struct Shape<'a> {
    name: String,
    kind: u8,
    /// The endpoint's service and name, when the span is about one.
    endpoint: Option<(&'a str, &'a str)>,
    /// The topic of a publish or a consumer's span.
    topic: Option<&'a str>,
}

fn shape<'a>(catalog: &'a Catalog, resources: &Resources, batched: &Batched) -> Shape<'a> {
    let span = &batched.span;
    let named = |(group, endpoint): (GroupId, u32)| {
        catalog.groups.get(group.0 as usize).map(|info| {
            let endpoint = info
                .endpoints
                .get(endpoint as usize)
                .map_or("?", String::as_str);
            (info.name.as_str(), endpoint)
        })
    };
    let endpoint = span.endpoint.and_then(named);
    let endpoint_name = endpoint.map_or("?", |(_, name)| name);
    if let Some(topic) = batched.consumed {
        let topic = named(topic).map(|(_, topic)| topic);
        return Shape {
            name: format!("process {}", topic.unwrap_or("?")),
            kind: KIND_CONSUMER,
            endpoint,
            topic,
        };
    }
    let to_broker = span
        .endpoint
        .is_some_and(|(group, _)| resources.is_broker(group));
    let (name, kind) = match span.kind {
        SpanKind::Serve | SpanKind::Deliver => (endpoint_name.to_owned(), KIND_SERVER),
        SpanKind::Queue | SpanKind::Work => (span.kind.name().to_owned(), KIND_INTERNAL),
        SpanKind::Call | SpanKind::Attempt if to_broker => {
            (format!("publish {endpoint_name}"), KIND_PRODUCER)
        }
        SpanKind::Client | SpanKind::Call | SpanKind::Attempt => {
            (endpoint_name.to_owned(), KIND_CLIENT)
        }
    };
    Shape {
        name,
        kind,
        endpoint,
        topic: to_broker.then_some(endpoint_name),
    }
}

/// Appends `batched`'s span as an OTLP/JSON `Span` object.
pub(super) fn write_span(
    line: &mut String,
    catalog: &Catalog,
    resources: &Resources,
    batched: &Batched,
) {
    let span = &batched.span;
    let shape = shape(catalog, resources, batched);
    let _ = write!(
        line,
        "{{\"traceId\":\"{}\",\"spanId\":\"{:016x}\"",
        trace_id(span.trace.0, span.trace.1),
        span.id
    );
    if span.parent != 0 {
        let _ = write!(line, ",\"parentSpanId\":\"{:016x}\"", span.parent);
    }
    line.push_str(",\"name\":");
    json_string(line, &shape.name);
    let _ = write!(
        line,
        ",\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[",
        shape.kind,
        EPOCH_UNIX_NS + span.start_ns,
        EPOCH_UNIX_NS + span.end_ns
    );
    attributes(line, catalog, span, &shape);
    line.push(']');
    if !span.events.is_empty() {
        line.push_str(",\"events\":[");
        for (index, event) in span.events.iter().enumerate() {
            if index > 0 {
                line.push(',');
            }
            write_event(line, event);
        }
        line.push(']');
    }
    if is_error(span, shape.kind) {
        let _ = write!(line, ",\"status\":{{\"code\":{STATUS_ERROR}}}");
    }
    line.push('}');
}

/// The span's attributes, comma-separated.
fn attributes(line: &mut String, catalog: &Catalog, span: &Span, shape: &Shape<'_>) {
    let client = catalog
        .clients
        .get(span.trace.0.0 as usize)
        .map_or("?", String::as_str);
    string_attribute(
        line,
        "meshsim.request",
        &format!("{client} #{}", span.trace.1),
    );
    let answered = !matches!(span.kind, SpanKind::Queue | SpanKind::Work);
    if let Some(topic) = shape.topic {
        line.push(',');
        string_attribute(line, "messaging.system", "rabbitmq");
        line.push(',');
        string_attribute(line, "messaging.destination.name", topic);
        let operation = if shape.kind == KIND_CONSUMER {
            "process"
        } else {
            "publish"
        };
        line.push(',');
        string_attribute(line, "messaging.operation", operation);
        if let (KIND_PRODUCER, Some((broker, _))) = (shape.kind, shape.endpoint) {
            // The messaging conventions' `server.address`: the broker the publish went to.
            line.push(',');
            string_attribute(line, "server.address", broker);
            line.push(',');
            string_attribute(line, "peer.service", broker);
        }
    } else if let (true, Some((service, endpoint))) = (answered, shape.endpoint) {
        match endpoint.split_once(' ') {
            Some((method, route))
                if route.starts_with('/') && method.bytes().all(|b| b.is_ascii_uppercase()) =>
            {
                line.push(',');
                string_attribute(line, "http.request.method", method);
                line.push(',');
                string_attribute(line, "http.route", route);
                if span.status != 0 {
                    line.push(',');
                    int_attribute(line, "http.response.status_code", u64::from(span.status));
                }
            }
            _ => {
                line.push(',');
                string_attribute(line, "meshsim.operation", endpoint);
                if span.status != 0 {
                    line.push(',');
                    int_attribute(line, "meshsim.status", u64::from(span.status));
                }
            }
        }
        if matches!(
            span.kind,
            SpanKind::Client | SpanKind::Call | SpanKind::Attempt
        ) {
            line.push(',');
            string_attribute(line, "server.address", service);
            line.push(',');
            string_attribute(line, "peer.service", service);
        }
    }
    if span.kind == SpanKind::Attempt {
        if span.number > 0 {
            line.push(',');
            int_attribute(line, "http.request.resend_count", u64::from(span.number));
        }
        if let Some(peer) = span
            .peer
            .and_then(|peer| catalog.nodes.get(peer.0 as usize))
        {
            line.push(',');
            string_attribute(line, "meshsim.peer.instance", &peer.name);
        }
    }
}

/// Whether the span's status is ERROR by the HTTP conventions: a server's 5xx or no answer, a
/// client's 4xx, 5xx or no answer. A queue or work span has no status of its own.
fn is_error(span: &Span, kind: u8) -> bool {
    if matches!(span.kind, SpanKind::Queue | SpanKind::Work) {
        return false;
    }
    match kind {
        KIND_SERVER | KIND_CONSUMER => span.status == 0 || span.status >= 500,
        _ => span.status == 0 || span.status >= 400,
    }
}

fn write_event(line: &mut String, event: &SpanEvent) {
    let (name, flag) = event.kind.name_and_flag();
    let _ = write!(
        line,
        "{{\"timeUnixNano\":\"{}\",\"name\":\"{name}\",\"attributes\":[",
        EPOCH_UNIX_NS + event.time_ns
    );
    let mut first = true;
    let mut separate = |line: &mut String| {
        if !std::mem::take(&mut first) {
            line.push(',');
        }
    };
    if let Some(flag) = flag {
        separate(line);
        string_attribute(line, "envoy.response_flags", flag);
    }
    if event.number > 0 {
        separate(line);
        int_attribute(line, "meshsim.retry.number", u64::from(event.number));
        separate(line);
        int_attribute(
            line,
            "meshsim.retry.previous_status",
            u64::from(event.status),
        );
    }
    line.push_str("]}");
}

fn string_attribute(line: &mut String, key: &str, value: &str) {
    line.push_str("{\"key\":");
    json_string(line, key);
    line.push_str(",\"value\":{\"stringValue\":");
    json_string(line, value);
    line.push_str("}}");
}

/// An integer attribute: OTLP/JSON writes 64-bit integers as decimal strings.
fn int_attribute(line: &mut String, key: &str, value: u64) {
    line.push_str("{\"key\":");
    json_string(line, key);
    let _ = write!(line, ",\"value\":{{\"intValue\":\"{value}\"}}}}");
}

fn json_string(line: &mut String, text: &str) {
    line.push('"');
    for character in text.chars() {
        match character {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            control if u32::from(control) < 0x20 => {
                let _ = write!(line, "\\u{:04x}", u32::from(control));
            }
            other => line.push(other),
        }
    }
    line.push('"');
}
