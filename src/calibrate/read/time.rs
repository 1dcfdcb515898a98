//! Timestamps and lengths as the formats write them, into nanoseconds: Jaeger and Zipkin in
//! microseconds (whole numbers), OTLP in nanoseconds (a number, or a string of one, since
//! OTLP/JSON writes 64-bit integers as strings and also accepts numbers).

use serde_json::Value;

/// A count of microseconds (a whole, non-negative number) in nanoseconds.
pub(crate) fn micros_to_ns(value: &Value, field: &str) -> Result<u64, String> {
    let micros = value.as_u64().ok_or_else(|| {
        format!(
            "`{field}` is {}, not a whole number of microseconds",
            shown(value)
        )
    })?;
    micros
        .checked_mul(1000)
        .filter(|nanos| i64::try_from(*nanos).is_ok())
        .ok_or_else(|| format!("`{field}` is {micros} µs, past the year 2262 in nanoseconds"))
}

/// A count of nanoseconds, a number or a string of one.
pub(crate) fn nanos(value: &Value, field: &str) -> Result<u64, String> {
    let parsed = match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    parsed
        .filter(|nanos| i64::try_from(*nanos).is_ok())
        .ok_or_else(|| {
            format!(
                "`{field}` is {}, not a whole number of nanoseconds since the Unix epoch",
                shown(value)
            )
        })
}

/// A value in a message, cut short.
pub(crate) fn shown(value: &Value) -> String {
    let mut text = value.to_string();
    if text.len() > 40 {
        let mut end = 40;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn units_become_nanoseconds() {
        assert_eq!(micros_to_ns(&json!(1_500), "duration"), Ok(1_500_000));
        assert!(micros_to_ns(&json!(-3), "duration").is_err());
        assert!(micros_to_ns(&json!("12"), "startTime").is_err());
        assert!(micros_to_ns(&json!(1.5), "startTime").is_err());
        assert!(micros_to_ns(&json!(u64::MAX / 10), "startTime").is_err());
        assert_eq!(
            nanos(&json!("1700000000000000000"), "t"),
            Ok(1_700_000_000_000_000_000)
        );
        assert_eq!(nanos(&json!(42), "t"), Ok(42));
        assert!(nanos(&json!("soon"), "t").is_err());
        assert!(nanos(&json!(u64::MAX), "t").is_err());
    }
}
