//! Zipkin v2 JSON (`openzipkin/zipkin-api@962cc40bf72e` `zipkin2-api.yaml`, `Span`,
//! `Endpoint`, `ListOfSpans`, `ListOfTraces`): a list of spans (one trace, as the UI downloads
//! it), or a list of such lists (the `/api/v2/traces` answer). Each span is handed to the
//! assembler as it is parsed. Times are microseconds; a span without `timestamp` or `duration`
//! is incomplete (the API allows it) and is counted and dropped. Tags are strings; the `error`
//! tag marks a failed span whatever its value. A shared span (`"shared": true`) is the server
//! half of an RPC whose client half has the same id (`shared.rs` splits them).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::attributes::{self, Attributes};
use super::ids;
use super::list::{Element, List};
use super::reading::Reading;
use super::time::micros_to_ns;
use crate::calibrate::trace::{SpanRole, TraceSpan};

pub(crate) const HINT: &str = "a Zipkin v2 file is a list of spans [{\"traceId\", \"id\", \"name\", \"timestamp\", \"duration\", \"localEndpoint\", ...}], or a list of such lists";

/// The file's top list: its elements are spans, or lists of spans.
pub(crate) fn file<'r, 'a>(reading: &'r mut Reading<'a>) -> List<'r, 'a, Outer> {
    List {
        reading,
        name: "spans",
        element: Outer,
    }
}

pub(crate) struct Outer;

impl<'a> Element<'a> for Outer {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        Ok(seq.next_element_seed(SpanOrList { reading })?.is_some())
    }
}

/// An element of the top list.
struct SpanOrList<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for SpanOrList<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SpanOrList<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a Zipkin span object, or a list of spans")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        SpanSeed {
            reading: self.reading,
        }
        .visit_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        List {
            reading: self.reading,
            name: "spans",
            element: Inner,
        }
        .visit_seq(seq)?;
        Ok(())
    }
}

/// The spans of an inner list (one trace of `/api/v2/traces`).
struct Inner;

impl<'a> Element<'a> for Inner {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error> {
        Ok(seq.next_element_seed(SpanSeed { reading })?.is_some())
    }
}

struct SpanSeed<'r, 'a> {
    reading: &'r mut Reading<'a>,
}

impl<'de> DeserializeSeed<'de> for SpanSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(field_identifier, rename_all = "camelCase")]
enum SpanField {
    TraceId,
    Id,
    ParentId,
    Kind,
    Name,
    Timestamp,
    Duration,
    LocalEndpoint,
    RemoteEndpoint,
    Tags,
    Shared,
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Endpoint {
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    ipv4: Option<String>,
    #[serde(default)]
    ipv6: Option<String>,
}

impl<'de> Visitor<'de> for SpanSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a Zipkin span {\"traceId\", \"id\", \"name\", \"timestamp\", ...}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reading = self.reading;
        reading.place.trace_id = None;
        let mut fields = SpanFields::default();
        while let Some(field) = map.next_key::<SpanField>()? {
            fields.read(reading, field, &mut map)?;
        }
        reading.place.field = None;
        fields.hand_on(reading)
    }
}

/// A span's fields as they come, in any order.
#[derive(Default)]
struct SpanFields {
    trace_id: Option<String>,
    span_id: Option<String>,
    parent_id: Option<String>,
    role: Option<SpanRole>,
    name: String,
    start_ns: Option<u64>,
    duration_ns: Option<u64>,
    local: Endpoint,
    remote: Endpoint,
    attributes: Attributes,
    shared: bool,
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
                place.field = Some("traceId");
                let id = ids::trace_id(&map.next_value::<String>()?)
                    .map_err(|why| place.fail(why, HINT))?;
                place.trace_id = Some(id.clone());
                self.trace_id = Some(id);
            }
            SpanField::Id => {
                place.field = Some("id");
                self.span_id = Some(
                    ids::span_id(&map.next_value::<String>()?)
                        .map_err(|why| place.fail(why, HINT))?,
                );
            }
            SpanField::ParentId => {
                place.field = Some("parentId");
                let text: Option<String> = map.next_value()?;
                self.parent_id = match text {
                    Some(text) => ids::parent_id(&text).map_err(|why| place.fail(why, HINT))?,
                    None => None,
                };
            }
            SpanField::Kind => {
                place.field = Some("kind");
                let kind: Option<String> = map.next_value()?;
                self.role = kind.as_deref().and_then(attributes::role);
            }
            SpanField::Name => {
                place.field = Some("name");
                let name: Option<String> = map.next_value()?;
                self.name = reading.bounded(name.unwrap_or_default(), "name")?;
            }
            SpanField::Timestamp => {
                place.field = Some("timestamp");
                let hint =
                    "Zipkin's timestamp is microseconds since the Unix epoch, a whole number";
                self.start_ns = Some(
                    micros_to_ns(&map.next_value()?, "timestamp")
                        .map_err(|why| place.fail(why, hint))?,
                );
            }
            SpanField::Duration => {
                place.field = Some("duration");
                let hint = "Zipkin's duration is microseconds, a whole number; a negative one means the span ends before it starts";
                self.duration_ns = Some(
                    micros_to_ns(&map.next_value()?, "duration")
                        .map_err(|why| place.fail(why, hint))?,
                );
            }
            SpanField::LocalEndpoint => {
                place.field = Some("localEndpoint");
                self.local = map.next_value::<Option<Endpoint>>()?.unwrap_or_default();
            }
            SpanField::RemoteEndpoint => {
                place.field = Some("remoteEndpoint");
                self.remote = map.next_value::<Option<Endpoint>>()?.unwrap_or_default();
            }
            SpanField::Tags => {
                place.field = Some("tags");
                let tags: BTreeMap<String, Value> =
                    map.next_value::<Option<_>>()?.unwrap_or_default();
                for (key, value) in &tags {
                    // Zipkin: "the error tag ... its value is a message", so any value marks it.
                    if key == "error" {
                        self.attributes.error = true;
                    } else {
                        self.attributes.take(key, value);
                    }
                }
            }
            SpanField::Shared => {
                place.field = Some("shared");
                self.shared = map.next_value::<Option<bool>>()?.unwrap_or(false);
            }
            SpanField::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn hand_on<E: serde::de::Error>(self, reading: &mut Reading<'_>) -> Result<(), E> {
        let (Some(trace_id), Some(span_id)) = (self.trace_id, self.span_id) else {
            return Err(reading
                .place
                .fail("the span has no `traceId` or no `id`", HINT));
        };
        let (Some(start_ns), Some(duration_ns)) = (self.start_ns, self.duration_ns) else {
            reading.incomplete();
            return Ok(());
        };
        let service = self.local.service_name.unwrap_or_default();
        let role = self.role.unwrap_or(SpanRole::Internal);
        let mut span = TraceSpan {
            span_id,
            parent_id: self.parent_id,
            service: reading.bounded(service, "localEndpoint.serviceName")?,
            version: None,
            instance: self.local.ipv4.or(self.local.ipv6),
            role,
            name: self.name,
            http_method: None,
            http_route: None,
            messaging_destination: None,
            peer_service: None,
            start_ns: i64::try_from(start_ns).unwrap_or(i64::MAX),
            duration_ns,
            http_status: None,
            error: false,
        };
        self.attributes.apply(&mut span);
        if span.peer_service.is_none() && matches!(role, SpanRole::Client | SpanRole::Producer) {
            span.peer_service = self.remote.service_name.filter(|name| !name.is_empty());
        }
        reading.span(&trace_id, span, self.shared);
        Ok(())
    }
}
