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

use span_json::{Resources, write_span};

/// Simulated time 0 as Unix time: 2026-01-01T00:00:00Z. A fixed instant, not the wall clock,
/// so the same seed writes the same bytes; a recent one, so that backends which refuse spans
/// far in the past (Tempo's ingestion window, Jaeger's retention) take them, once their search
/// is set to that day.
pub const EPOCH_UNIX_NS: u64 = 1_767_225_600_000_000_000;

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

/// A span waiting in the batch, with the topic it consumed when it is a consumer's span.
pub(crate) struct Batched {
    pub(crate) span: Span,
    pub(crate) consumed: Option<(GroupId, u32)>,
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
