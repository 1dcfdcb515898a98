//! OTLP JSON, as the OpenTelemetry collector's file exporter writes it: one
//! `ExportTraceServiceRequest` (`{"resourceSpans": [{"resource", "scopeSpans": [{"scope",
//! "spans"}]}]}`) per line, or one such object spread over many lines; read as a stream of
//! JSON values (`open-telemetry/opentelemetry-specification` `specification/protocol/otlp.md`,
//! "JSON Protobuf Encoding": lowerCamelCase keys, enums as integers, 64-bit integers as
//! strings or numbers, ids in hex; `opentelemetry/proto/trace/v1/trace.proto` for the
//! fields). Each span is handed to the assembler as it is parsed, with its resource's
//! `service.name`, `service.version` and `service.instance.id` (or `host.name`).

use std::fmt;
use std::io;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::de::IoRead;

use super::attributes::Attributes;
use super::list::{Element, List};
use super::otlp_value::any_value;
use super::reading::Reading;
use crate::calibrate::trace::TraceSpan;

/// Reads every request object of the file, one after the other.
pub(crate) fn read<R: io::Read>(
    deserializer: &mut serde_json::Deserializer<IoRead<R>>,
    reading: &mut Reading<'_>,
) -> Result<(), serde_json::Error> {
    reading.place.enter("request");
    let mut index = 0;
    // `end` succeeds when only white space is left; otherwise another value follows.
    while deserializer.end().is_err() {
        reading.place.at(index);
        Request {
            reading: &mut *reading,
        }
        .deserialize(&mut *deserializer)?;
        index += 1;
    }
    reading.place.leave();
    Ok(())
}

struct Request<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for Request<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Request<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an OTLP request {\"resourceSpans\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "resourceSpans" || key == "resource_spans" {
                let list = List {
                    reading: &mut *self.reading,
                    name: "resourceSpans",
                    element: Resources,
                };
                map.next_value_seed(list)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Resources;

impl<'a> Element<'a> for Resources {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        Ok(seq.next_element_seed(ResourceSpans { reading })?.is_some())
    }
}

/// Who recorded a batch's spans, from its resource.
#[derive(Debug, Default, Clone)]
struct Recorder {
    service: String,
    version: Option<String>,
    instance: Option<String>,
}

/// The spans of one `resourceSpans` element: handed on at once when the resource came first
/// (as the collector writes it), else held until it comes.
#[derive(Default)]
struct Batch {
    recorder: Option<Recorder>,
    pending: Vec<(String, TraceSpan)>,
}

impl Batch {
    fn span(&mut self, reading: &mut Reading<'_>, trace_id: String, span: TraceSpan) {
        match &self.recorder {
            Some(recorder) => hand_on(reading, recorder, &trace_id, span),
            None => self.pending.push((trace_id, span)),
        }
    }
}

fn hand_on(reading: &mut Reading<'_>, recorder: &Recorder, trace_id: &str, mut span: TraceSpan) {
    span.service.clone_from(&recorder.service);
    if recorder.version.is_some() {
        span.version.clone_from(&recorder.version);
    }
    if recorder.instance.is_some() {
        span.instance.clone_from(&recorder.instance);
    }
    reading.span(trace_id, span, false);
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

struct ResourceSpans<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for ResourceSpans<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSpans<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an OTLP resourceSpans element {\"resource\", \"scopeSpans\"}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reading = self.reading;
        let mut batch = Batch::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resource" => {
                    reading.place.field = Some("resource");
                    let resource: Resource = map.next_value()?;
                    let mut attributes = Attributes::default();
                    let mut service = String::new();
                    for pair in &resource.attributes {
                        let value = any_value(&pair.value);
                        if pair.key == "service.name" {
                            service = super::attributes::text(&value).unwrap_or_default();
                        }
                        attributes.take(&pair.key, &value);
                    }
                    let recorder = Recorder {
                        service: reading.bounded(service, "service.name")?,
                        instance: attributes.instance(),
                        version: attributes.version,
                    };
                    for (trace_id, span) in std::mem::take(&mut batch.pending) {
                        hand_on(reading, &recorder, &trace_id, span);
                    }
                    batch.recorder = Some(recorder);
                    reading.place.field = None;
                }
                "scopeSpans" | "scope_spans" | "instrumentationLibrarySpans" => {
                    let list = List {
                        reading: &mut *reading,
                        name: "scopeSpans",
                        element: Scopes(batch),
                    };
                    batch = map.next_value_seed(list)?.0;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // No resource: the spans have no service, and are counted as such.
        let recorder = Recorder::default();
        for (trace_id, span) in batch.pending {
            hand_on(reading, &recorder, &trace_id, span);
        }
        Ok(())
    }
}

struct Scopes(Batch);

impl<'a> Element<'a> for Scopes {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        let seed = ScopeSpans {
            reading,
            batch: &mut self.0,
        };
        Ok(seq.next_element_seed(seed)?.is_some())
    }
}

/// One `scopeSpans` element; its spans join the batch of its `resourceSpans`.
struct ScopeSpans<'r, 'a> {
    reading: &'r mut Reading<'a>,
    batch: &'r mut Batch,
}

impl<'de> DeserializeSeed<'de> for ScopeSpans<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ScopeSpans<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an OTLP scopeSpans element {\"scope\", \"spans\"}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "spans" {
                let element = Spans(std::mem::take(self.batch));
                let list = List {
                    reading: &mut *self.reading,
                    name: "spans",
                    element,
                };
                *self.batch = map.next_value_seed(list)?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Spans(Batch);

impl<'a> Element<'a> for Spans {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        reading.place.trace_id = None;
        match seq.next_element_seed(SpanSeed {
            reading: &mut *reading,
        })? {
            Some(Some((trace_id, span))) => {
                self.0.span(reading, trace_id, span);
                Ok(true)
            }
            Some(None) => {
                reading.incomplete();
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

struct SpanSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for SpanSeed<'_, '_> {
    /// The span with its trace id, or `None` when it lacks a time.
    type Value = Option<(String, TraceSpan)>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SpanSeed<'_, '_> {
    type Value = Option<(String, TraceSpan)>;
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an OTLP span {\"traceId\", \"spanId\", \"name\", ...}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let reading = self.reading;
        let mut fields = super::otlp_span::SpanFields::default();
        while let Some(field) = map.next_key::<super::otlp_span::SpanField>()? {
            fields.read(reading, field, &mut map)?;
        }
        reading.place.field = None;
        fields.into_span(reading)
    }
}
