//! Jaeger's JSON, as its UI's "Download JSON" and its query API (`/api/traces`) write it:
//! `{"data": [{"traceID", "spans": [...], "processes": {"p1": {"serviceName", "tags"}}}],
//! "total", "limit", "offset", "errors"}` (`jaegertracing/jaeger@080a8292a31c`
//! `model/json/model.go`: `Trace`, `Span`, `Reference`, `Process`, `KeyValue`). Each element
//! of `data` is one trace, handed on when it is parsed. Times are microseconds. The parent is
//! the `CHILD_OF` reference (else `FOLLOWS_FROM`, which messaging spans use), or the older
//! `parentSpanID`; the kind is the `span.kind` tag.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::attributes::Attributes;
use super::ids;
use super::list::{Element, List};
use super::reading::Reading;
use super::time::micros_to_ns;
use crate::calibrate::trace::{SpanRole, TraceSpan};

pub(crate) const HINT: &str = "a Jaeger file is the JSON its UI's \"Download JSON\" or its /api/traces writes: {\"data\": [{\"traceID\": ..., \"spans\": [...], \"processes\": {...}}]}";

/// Reads a Jaeger file's top object.
pub(crate) struct File<'r, 'a> {
    pub(crate) reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for File<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for File<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a Jaeger object {\"data\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" {
                let list = List {
                    reading: &mut *self.reading,
                    name: "data",
                    element: Traces(0),
                };
                map.next_value_seed(list)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The elements of `data`: one trace each, counted for its origin.
struct Traces(u64);

impl<'a> Element<'a> for Traces {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        reading.place.trace_id = None;
        let found = seq
            .next_element_seed(TraceSeed {
                reading,
                index: self.0,
            })?
            .is_some();
        self.0 += 1;
        Ok(found)
    }
}

struct TraceSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
    index: u64,
}

impl<'de> DeserializeSeed<'de> for TraceSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum TraceField {
    #[serde(rename = "traceID")]
    TraceId,
    #[serde(rename = "spans")]
    Spans,
    #[serde(rename = "processes")]
    Processes,
    #[serde(other)]
    Other,
}

impl<'de> Visitor<'de> for TraceSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a Jaeger trace {\"traceID\", \"spans\", \"processes\"}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reading = self.reading;
        let mut trace_id = None;
        let mut spans = Spans::default();
        let mut processes = BTreeMap::new();
        while let Some(field) = map.next_key::<TraceField>()? {
            match field {
                TraceField::TraceId => {
                    reading.place.field = Some("traceID");
                    let text: String = map.next_value()?;
                    let id = ids::trace_id(&text).map_err(|why| reading.place.fail(why, HINT))?;
                    reading.place.trace_id = Some(id.clone());
                    trace_id = Some(id);
                }
                TraceField::Spans => {
                    spans = map.next_value_seed(List {
                        reading: &mut *reading,
                        name: "spans",
                        element: spans,
                    })?;
                }
                TraceField::Processes => {
                    reading.place.field = Some("processes");
                    processes = map.next_value::<BTreeMap<String, Process>>()?;
                }
                TraceField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        reading.place.field = None;
        if spans.count > reading.bounds.trace_spans_max {
            reading.too_large();
            return Ok(());
        }
        let Some(trace_id) = trace_id.or_else(|| {
            spans
                .drafts
                .first()
                .and_then(|draft| draft.trace_id.clone())
        }) else {
            if spans.count == 0 {
                return Ok(());
            }
            return Err(reading.place.fail(
                "the trace has no `traceID`, and neither have its spans",
                HINT,
            ));
        };
        let origin = format!("{}, trace {}", reading.origin, self.index);
        let mut kept = Vec::with_capacity(spans.drafts.len());
        for draft in spans.drafts {
            if let Some(span) = draft.into_span(&processes) {
                kept.push(span);
            } else {
                reading.incomplete();
            }
        }
        reading.trace(trace_id, origin, kept);
        Ok(())
    }
}

/// A process, as `processes` maps its id to it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Process {
    #[serde(default)]
    service_name: String,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reference {
    #[serde(default)]
    ref_type: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

/// The spans of one trace, as read: up to the bound kept, all counted.
#[derive(Default)]
struct Spans {
    drafts: Vec<Draft>,
    count: usize,
}

impl<'a> Element<'a> for Spans {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        let Some(draft) = seq.next_element_seed(SpanSeed { reading })? else {
            return Ok(false);
        };
        self.count += 1;
        if self.count <= reading.bounds.trace_spans_max {
            self.drafts.push(draft);
        } else {
            self.drafts = Vec::new();
        }
        Ok(true)
    }
}

/// A span before its process is known (`processes` may come after `spans`).
struct Draft {
    span: TraceSpan,
    trace_id: Option<String>,
    process_id: Option<String>,
    /// Both times, or `None` when the span lacks one.
    times: Option<(u64, u64)>,
    attributes: Attributes,
}

impl Draft {
    fn into_span(self, processes: &BTreeMap<String, Process>) -> Option<TraceSpan> {
        let (start_ns, duration_ns) = self.times?;
        let mut span = self.span;
        span.start_ns = i64::try_from(start_ns).ok()?;
        span.duration_ns = duration_ns;
        if let Some(process) = self.process_id.as_ref().and_then(|id| processes.get(id)) {
            span.service.clone_from(&process.service_name);
            let mut resource = Attributes::default();
            for tag in &process.tags {
                resource.take(&tag.key, &tag.value);
            }
            span.version = resource.version.clone();
            span.instance = resource.instance();
        }
        span.role = self.attributes.role.unwrap_or(SpanRole::Internal);
        self.attributes.apply(&mut span);
        Some(span)
    }
}

struct SpanSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for SpanSeed<'_, '_> {
    type Value = Draft;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Draft, D::Error> {
        deserializer.deserialize_map(self)
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(field_identifier)]
enum SpanField {
    #[serde(rename = "traceID")]
    TraceId,
    #[serde(rename = "spanID")]
    SpanId,
    #[serde(rename = "parentSpanID")]
    ParentSpanId,
    #[serde(rename = "operationName")]
    OperationName,
    #[serde(rename = "references")]
    References,
    #[serde(rename = "startTime")]
    StartTime,
    #[serde(rename = "duration")]
    Duration,
    #[serde(rename = "tags")]
    Tags,
    #[serde(rename = "processID")]
    ProcessId,
    #[serde(other)]
    Other,
}

impl<'de> Visitor<'de> for SpanSeed<'_, '_> {
    type Value = Draft;
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a Jaeger span {\"traceID\", \"spanID\", \"operationName\", ...}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Draft, A::Error> {
        let reading = self.reading;
        let mut fields = SpanFields::default();
        while let Some(field) = map.next_key::<SpanField>()? {
            fields.read(reading, field, &mut map)?;
        }
        reading.place.field = None;
        fields.into_draft(reading)
    }
}

/// A span's fields as they come, in any order.
#[derive(Default)]
struct SpanFields {
    trace_id: Option<String>,
    span_id: Option<String>,
    parent_span_id: Option<String>,
    name: String,
    references: Vec<Reference>,
    start_ns: Option<u64>,
    duration_ns: Option<u64>,
    attributes: Attributes,
    process_id: Option<String>,
}

impl SpanFields {
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        reading: &mut Reading<'_>,
        field: SpanField,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let place = &mut reading.place;
        match field {
            SpanField::TraceId => {
                place.field = Some("traceID");
                let id = ids::trace_id(&map.next_value::<String>()?)
                    .map_err(|why| place.fail(why, HINT))?;
                self.trace_id = Some(id);
            }
            SpanField::SpanId => {
                place.field = Some("spanID");
                self.span_id = Some(
                    ids::span_id(&map.next_value::<String>()?)
                        .map_err(|why| place.fail(why, HINT))?,
                );
            }
            SpanField::ParentSpanId => {
                place.field = Some("parentSpanID");
                self.parent_span_id = ids::parent_id(&map.next_value::<String>()?)
                    .map_err(|why| place.fail(why, HINT))?;
            }
            SpanField::OperationName => {
                place.field = Some("operationName");
                self.name = reading.bounded(map.next_value()?, "operationName")?;
            }
            SpanField::References => {
                place.field = Some("references");
                self.references = map.next_value()?;
            }
            SpanField::StartTime => {
                place.field = Some("startTime");
                let hint =
                    "Jaeger's startTime is microseconds since the Unix epoch, a whole number";
                self.start_ns = Some(
                    micros_to_ns(&map.next_value()?, "startTime")
                        .map_err(|why| place.fail(why, hint))?,
                );
            }
            SpanField::Duration => {
                place.field = Some("duration");
                let hint = "Jaeger's duration is microseconds, a whole number; a negative one means the span ends before it starts";
                self.duration_ns = Some(
                    micros_to_ns(&map.next_value()?, "duration")
                        .map_err(|why| place.fail(why, hint))?,
                );
            }
            SpanField::Tags => {
                place.field = Some("tags");
                for tag in map.next_value::<Vec<Tag>>()? {
                    self.attributes.take(&tag.key, &tag.value);
                }
            }
            SpanField::ProcessId => {
                place.field = Some("processID");
                self.process_id = Some(map.next_value()?);
            }
            SpanField::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn into_draft<E: serde::de::Error>(self, reading: &mut Reading<'_>) -> Result<Draft, E> {
        let Some(span_id) = self.span_id else {
            return Err(reading.place.fail("the span has no `spanID`", HINT));
        };
        let reference = |kind: &str| {
            self.references
                .iter()
                .find(|reference| reference.ref_type == kind)
                .map(|reference| reference.span_id.as_str())
        };
        let parent_text = reference("CHILD_OF").or_else(|| reference("FOLLOWS_FROM"));
        let parent_id = match parent_text {
            Some(text) => ids::parent_id(text).map_err(|why| reading.place.fail(why, HINT))?,
            None => self.parent_span_id,
        };
        Ok(Draft {
            span: TraceSpan {
                span_id,
                parent_id,
                service: String::new(),
                version: None,
                instance: None,
                role: SpanRole::Internal,
                name: self.name,
                http_method: None,
                http_route: None,
                messaging_destination: None,
                peer_service: None,
                start_ns: 0,
                duration_ns: 0,
                http_status: None,
                error: false,
            },
            trace_id: self.trace_id,
            process_id: self.process_id,
            times: self.start_ns.zip(self.duration_ns),
            attributes: self.attributes,
        })
    }
}
