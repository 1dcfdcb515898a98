//! One OTLP span's fields, read in any order (`opentelemetry/proto/trace/v1/trace.proto`,
//! `Span`), into a [`TraceSpan`] whose service its resource fills in.

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess};
use serde_json::Value;

use super::attributes::Attributes;
use super::otlp_value::{HINT, attributes, id, role, show, status_is_error, time};
use super::reading::Reading;
use crate::calibrate::trace::{SpanRole, TraceSpan};

#[derive(Deserialize, Clone, Copy)]
#[serde(field_identifier, rename_all = "camelCase")]
pub(crate) enum SpanField {
    #[serde(alias = "trace_id")]
    TraceId,
    #[serde(alias = "span_id")]
    SpanId,
    #[serde(alias = "parent_span_id")]
    ParentSpanId,
    Name,
    Kind,
    #[serde(alias = "start_time_unix_nano")]
    StartTimeUnixNano,
    #[serde(alias = "end_time_unix_nano")]
    EndTimeUnixNano,
    Attributes,
    Status,
    #[serde(other)]
    Other,
}

#[derive(Default)]
pub(crate) struct SpanFields {
    trace_id: Option<String>,
    span_id: Option<String>,
    parent_id: Option<String>,
    name: String,
    role: Option<SpanRole>,
    start_ns: Option<u64>,
    end_ns: Option<u64>,
    attributes: Attributes,
    error: bool,
}

impl SpanFields {
    pub(crate) fn read<'de, A: MapAccess<'de>>(
        &mut self,
        reading: &mut Reading<'_>,
        field: SpanField,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match field {
            SpanField::TraceId => {
                reading.place.field = Some("traceId");
                let id = id(reading, &map.next_value::<String>()?, 16, "trace id")?;
                reading.place.trace_id = Some(id.clone());
                self.trace_id = Some(id);
            }
            SpanField::SpanId => {
                reading.place.field = Some("spanId");
                self.span_id = Some(id(reading, &map.next_value::<String>()?, 8, "span id")?);
            }
            SpanField::ParentSpanId => {
                reading.place.field = Some("parentSpanId");
                let text: Option<String> = map.next_value()?;
                self.parent_id = match text.filter(|text| !text.is_empty()) {
                    Some(text) => Some(id(reading, &text, 8, "parent span id")?)
                        .filter(|id| id.bytes().any(|byte| byte != b'0')),
                    None => None,
                };
            }
            SpanField::Name => {
                reading.place.field = Some("name");
                self.name = reading.bounded(map.next_value()?, "name")?;
            }
            SpanField::Kind => {
                reading.place.field = Some("kind");
                self.role = Some(role(&map.next_value()?));
            }
            SpanField::StartTimeUnixNano => {
                reading.place.field = Some("startTimeUnixNano");
                self.start_ns = Some(time(reading, &map.next_value()?, "startTimeUnixNano")?);
            }
            SpanField::EndTimeUnixNano => {
                reading.place.field = Some("endTimeUnixNano");
                self.end_ns = Some(time(reading, &map.next_value()?, "endTimeUnixNano")?);
            }
            SpanField::Attributes => {
                reading.place.field = Some("attributes");
                attributes(
                    map.next_value::<Option<Vec<Value>>>()?.unwrap_or_default(),
                    &mut self.attributes,
                );
            }
            SpanField::Status => {
                reading.place.field = Some("status");
                self.error = status_is_error(&map.next_value()?);
            }
            SpanField::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    /// The span with its trace id; `None` when it lacks a start or an end.
    pub(crate) fn into_span<E: serde::de::Error>(
        self,
        reading: &mut Reading<'_>,
    ) -> Result<Option<(String, TraceSpan)>, E> {
        let (Some(trace_id), Some(span_id)) = (self.trace_id, self.span_id) else {
            return Err(reading
                .place
                .fail("the span has no `traceId` or no `spanId`", HINT));
        };
        let (Some(start_ns), Some(end_ns)) = (self.start_ns, self.end_ns) else {
            return Ok(None);
        };
        let Some(duration_ns) = end_ns.checked_sub(start_ns) else {
            let message = format!(
                "the span ends before it starts (`endTimeUnixNano` {} < `startTimeUnixNano` {})",
                show(&Value::from(end_ns)),
                show(&Value::from(start_ns))
            );
            return Err(reading.place.fail(
                message,
                "a span's end comes after its start: was it written by a clock that stepped back?",
            ));
        };
        let mut span = TraceSpan {
            span_id,
            parent_id: self.parent_id,
            service: String::new(),
            version: None,
            instance: None,
            role: self.role.unwrap_or(SpanRole::Internal),
            name: self.name,
            http_method: None,
            http_route: None,
            messaging_destination: None,
            peer_service: None,
            start_ns: i64::try_from(start_ns).unwrap_or(i64::MAX),
            duration_ns,
            http_status: None,
            error: self.error,
        };
        self.attributes.apply(&mut span);
        Ok(Some((trace_id, span)))
    }
}
