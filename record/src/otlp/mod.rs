//! The OTLP export: sampled requests' spans as OpenTelemetry traces, in the JSON form the
//! OpenTelemetry collector's file exporter writes and its `otlpjsonfile` receiver reads: JSON
//! Lines, each line one `ExportTraceServiceRequest` in the protobuf JSON mapping, with ids as
//! lower-case hex (OTLP/JSON's exception to the mapping's base64), times as decimal strings of
//! nanoseconds and enums as integers. References: `opentelemetry-proto` v1.5.0
//! (`opentelemetry/proto/trace/v1/trace.proto`, `collector/trace/v1/trace_service.proto`) and
//! the OTLP specification 1.5.0, "JSON Protobuf Encoding"
//! (<https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding>); the collector's file
//! exporter (`opentelemetry-collector-contrib/exporter/fileexporter`, format `json`).
//!
//! Spans are written in batches of [`BATCH_SPANS`] as they end, so the file streams and memory
//! stays bounded: a line holds one resource per instance that has spans in the batch (its
//! `service.name`, `service.version`, `service.instance.id`), each with its spans. A span's
//! parent is named by id, so a viewer puts a trace together from any number of lines.
//! Simulated time 0 is written as [`EPOCH_UNIX_NS`].

mod span_json;

use std::collections::BTreeMap;
use std::io::{self, Write};

use meshsim_sim::GroupId;

use crate::catalog::Catalog;
use crate::span::{Span, SpanKind};

pub use span_json::EPOCH_UNIX_NS;
use span_json::{Batched, Resources, write_span};

/// Spans per line: a line of a few hundred kilobytes at most, which a collector's
/// `otlpjsonfile` receiver reads whole.
const BATCH_SPANS: usize = 256;

/// Deliveries whose consumer has not begun yet, remembered to link the consumer's span to the
/// publish. Past this (consumers that never answer), the oldest links are forgotten.
const DELIVERIES_MAX: usize = 1 << 16;

/// Where the OTLP export goes, and the share of workload requests it follows (the same
/// selection as the Chrome trace's).
pub struct OtlpOutput {
    pub writer: Box<dyn Write>,
    /// 0 to 1: a request is followed when a hash of its id falls under this share.
    pub sample_rate: f64,
}

impl std::fmt::Debug for OtlpOutput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OtlpOutput")
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

pub(crate) struct OtlpWriter {
    writer: Box<dyn Write>,
    batch: Vec<Batched>,
    /// Per delivery span id (what the consumer's span names as parent): the publish's span and
    /// the topic. Ordered by id, not by hash, so nothing depends on a hasher's seed.
    deliveries: BTreeMap<u64, (u64, Option<(GroupId, u32)>)>,
    resources: Resources,
    line: String,
}

impl OtlpWriter {
    pub(crate) fn new(writer: Box<dyn Write>, catalog: &Catalog) -> OtlpWriter {
        OtlpWriter {
            writer,
            batch: Vec::with_capacity(BATCH_SPANS),
            deliveries: BTreeMap::new(),
            resources: Resources::new(catalog),
            line: String::new(),
        }
    }

    /// Takes a span as it ends; writes a line when the batch is full.
    pub(crate) fn span(&mut self, catalog: &Catalog, span: &Span) -> io::Result<()> {
        if span.kind == SpanKind::Deliver {
            if self.deliveries.len() >= DELIVERIES_MAX {
                self.deliveries.pop_first();
            }
            self.deliveries
                .insert(span.id, (span.parent, span.endpoint));
            return Ok(());
        }
        let mut span = span.clone();
        let mut consumed = None;
        if span.kind == SpanKind::Serve
            && let Some((producer, topic)) = self.deliveries.remove(&span.parent)
        {
            // A consumer's span: its parent is the publish that caused the delivery.
            span.parent = producer;
            consumed = Some(topic.unwrap_or((GroupId(u32::MAX), 0)));
        }
        self.batch.push(Batched { span, consumed });
        if self.batch.len() >= BATCH_SPANS {
            self.flush(catalog)?;
        }
        Ok(())
    }

    /// Writes what is left in the batch.
    pub(crate) fn finish(&mut self, catalog: &Catalog) -> io::Result<()> {
        self.flush(catalog)?;
        self.writer.flush()
    }

    /// Writes the batch as one line: one resource per node, in the order each first ended a
    /// span in the batch, with its spans in the order they ended.
    fn flush(&mut self, catalog: &Catalog) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let mut nodes: Vec<u32> = Vec::new();
        for batched in &self.batch {
            if !nodes.contains(&batched.span.node.0) {
                nodes.push(batched.span.node.0);
            }
        }
        self.line.clear();
        self.line.push_str("{\"resourceSpans\":[");
        for (place, &node) in nodes.iter().enumerate() {
            if place > 0 {
                self.line.push(',');
            }
            self.line.push_str("{\"resource\":");
            self.line.push_str(self.resources.of(node));
            self.line
                .push_str(",\"scopeSpans\":[{\"scope\":{\"name\":\"meshsim\",\"version\":\"");
            self.line.push_str(env!("CARGO_PKG_VERSION"));
            self.line.push_str("\"},\"spans\":[");
            let spans = self
                .batch
                .iter()
                .filter(|batched| batched.span.node.0 == node);
            for (index, batched) in spans.enumerate() {
                if index > 0 {
                    self.line.push(',');
                }
                write_span(&mut self.line, catalog, &self.resources, batched);
            }
            self.line.push_str("]}]}");
        }
        self.line.push_str("]}\n");
        self.batch.clear();
        self.writer.write_all(self.line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::catalog::{GroupInfo, NodeInfo, SubscriptionInfo};
    use crate::keys::ClientId;
    use meshsim_sim::NodeId;

    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn catalog() -> Catalog {
        let group = |name: &str, endpoints: &[&str]| GroupInfo {
            name: name.to_owned(),
            versions: Vec::new(),
            endpoints: endpoints.iter().map(|name| (*name).to_owned()).collect(),
        };
        let node = |group: u32, name: &str| NodeInfo {
            group: GroupId(group),
            name: name.to_owned(),
            version: None,
        };
        Catalog {
            groups: vec![
                group("order", &["POST /orders"]),
                group("bus", &["order.created"]),
                group("mailer", &["POST /mail"]),
            ],
            clients: vec!["shoppers".to_owned()],
            nodes: vec![node(0, "order/0"), node(1, "bus"), node(2, "mailer/0")],
            subscriptions: vec![SubscriptionInfo {
                broker: "bus".to_owned(),
                topic: "order.created".to_owned(),
                service: "mailer".to_owned(),
            }],
            rollouts: Vec::new(),
            metrics_interval_ns: 1_000_000_000,
        }
    }

    fn span(node: u32, kind: SpanKind, endpoint: (u32, u32), (id, parent): (u64, u64)) -> Span {
        Span {
            trace: (ClientId(0), 7),
            node: NodeId(node),
            kind,
            start_ns: 1_000,
            end_ns: 2_000,
            endpoint: Some((GroupId(endpoint.0), endpoint.1)),
            peer: None,
            status: 200,
            number: 0,
            id,
            parent,
            events: Vec::new(),
        }
    }

    fn written(spans: &[Span]) -> Vec<serde_json::Value> {
        let catalog = catalog();
        let shared = Shared::default();
        let mut writer = OtlpWriter::new(Box::new(shared.clone()), &catalog);
        for span in spans {
            writer.span(&catalog, span).unwrap();
        }
        writer.finish(&catalog).unwrap();
        let text = String::from_utf8(shared.0.borrow().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn ids_are_hex_of_otlp_lengths_and_times_are_nanoseconds_from_the_epoch() {
        let lines = written(&[span(0, SpanKind::Serve, (0, 0), (0xab, 0x1))]);
        let span = &lines[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        // OTLP/JSON: a 16-byte trace id and 8-byte span ids as 32 and 16 lower-case hex digits.
        assert_eq!(span["traceId"], "00000000000000010000000000000007");
        assert_eq!(span["spanId"], "00000000000000ab");
        assert_eq!(span["parentSpanId"], "0000000000000001");
        // trace.proto: SPAN_KIND_SERVER = 2.
        assert_eq!(span["kind"], 2);
        // 2026-01-01T00:00:00Z is 1767225600 s after the Unix epoch (56 years and 14 leap days).
        let epoch_s: u64 = (56 * 365 + 14) * 86_400;
        assert_eq!(epoch_s, 1_767_225_600);
        assert_eq!(
            span["startTimeUnixNano"],
            (epoch_s * 1_000_000_000 + 1_000).to_string()
        );
    }

    #[test]
    fn a_consumer_span_takes_the_publish_as_parent_through_the_delivery() {
        let deliver = Span {
            kind: SpanKind::Deliver,
            ..span(1, SpanKind::Deliver, (1, 0), (0xd, 0x9))
        };
        let lines = written(&[
            span(0, SpanKind::Attempt, (1, 0), (0x9, 0x8)),
            deliver,
            span(2, SpanKind::Serve, (2, 0), (0x5, 0xd)),
        ]);
        let resources = lines[0]["resourceSpans"].as_array().unwrap();
        // The delivery itself is not written: two instances have spans.
        assert_eq!(resources.len(), 2);
        let producer = &resources[0]["scopeSpans"][0]["spans"][0];
        let consumer = &resources[1]["scopeSpans"][0]["spans"][0];
        // trace.proto: SPAN_KIND_PRODUCER = 4, SPAN_KIND_CONSUMER = 5.
        assert_eq!(producer["kind"], 4);
        assert_eq!(consumer["kind"], 5);
        assert_eq!(consumer["parentSpanId"], producer["spanId"]);
        assert_eq!(consumer["name"], "process order.created");
    }

    #[test]
    fn a_full_batch_is_a_line_and_the_rest_waits_for_the_end() {
        let spans: Vec<Span> = (1..=BATCH_SPANS as u64 + 1)
            .map(|id| span(0, SpanKind::Work, (0, 0), (id, 0)))
            .collect();
        let lines = written(&spans);
        let counts: Vec<usize> = lines
            .iter()
            .map(|line| {
                line["resourceSpans"][0]["scopeSpans"][0]["spans"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(counts, [BATCH_SPANS, 1]);
    }
}
