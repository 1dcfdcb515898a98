//! OTLP/JSON's values: its kinds and status codes (as numbers or names), its `AnyValue`s, its
//! ids (hex or base64) and times (numbers or strings), each read with the reader's place for
//! its error.

use serde_json::Value;

use super::attributes::Attributes;
use super::ids;
use super::reading::Reading;
use super::time::{nanos, shown};
use crate::calibrate::trace::SpanRole;

pub(crate) const HINT: &str = "an OTLP JSON file holds {\"resourceSpans\": [{\"resource\": ..., \"scopeSpans\": [{\"spans\": [...]}]}]} objects, one a line as the collector's file exporter writes them";

/// An OTLP `AnyValue` (`{"stringValue": ...}`, `{"intValue": "42"}`, ...) as a plain value.
pub(crate) fn any_value(value: &Value) -> Value {
    let Value::Object(object) = value else {
        return Value::Null;
    };
    if let Some(Value::String(text)) = object.get("intValue") {
        return text.parse::<i64>().map_or(Value::Null, Value::from);
    }
    ["stringValue", "boolValue", "intValue", "doubleValue"]
        .iter()
        .find_map(|key| object.get(*key).cloned())
        .unwrap_or(Value::Null)
}

/// An OTLP span kind (`SpanKind`): its number or its name.
pub(crate) fn role(kind: &Value) -> SpanRole {
    let number = match kind {
        Value::Number(number) => number.as_u64(),
        Value::String(name) => match name.as_str() {
            "SPAN_KIND_INTERNAL" => Some(1),
            "SPAN_KIND_SERVER" => Some(2),
            "SPAN_KIND_CLIENT" => Some(3),
            "SPAN_KIND_PRODUCER" => Some(4),
            "SPAN_KIND_CONSUMER" => Some(5),
            _ => None,
        },
        _ => None,
    };
    match number {
        Some(2) => SpanRole::Server,
        Some(3) => SpanRole::Client,
        Some(4) => SpanRole::Producer,
        Some(5) => SpanRole::Consumer,
        _ => SpanRole::Internal,
    }
}

/// Whether an OTLP status (`{"code": 2}` or `{"code": "STATUS_CODE_ERROR"}`) is an error.
pub(crate) fn status_is_error(status: &Value) -> bool {
    match status.get("code") {
        Some(Value::Number(number)) => number.as_u64() == Some(2),
        Some(Value::String(name)) => name == "STATUS_CODE_ERROR",
        _ => false,
    }
}

/// A span's id or trace id, hex or base64, with the reader's place for its error.
pub(crate) fn id<E: serde::de::Error>(
    reading: &mut Reading<'_>,
    text: &str,
    bytes: usize,
    what: &str,
) -> Result<String, E> {
    ids::otlp_id(text, bytes, what).map_err(|why| reading.place.fail(why, HINT))
}

/// A time field, with the reader's place for its error.
pub(crate) fn time<E: serde::de::Error>(
    reading: &mut Reading<'_>,
    value: &Value,
    field: &str,
) -> Result<u64, E> {
    nanos(value, field).map_err(|why| {
        reading.place.fail(
            why,
            "OTLP times are nanoseconds since the Unix epoch: a number, or a string of one",
        )
    })
}

/// An attribute list's pairs, as plain values.
pub(crate) fn attributes(pairs: Vec<Value>, into: &mut Attributes) {
    for pair in pairs {
        if let (Some(Value::String(key)), Some(value)) = (pair.get("key"), pair.get("value")) {
            into.take(key, &any_value(value));
        }
    }
}

/// A value in a message.
pub(crate) fn show(value: &Value) -> String {
    shown(value)
}
