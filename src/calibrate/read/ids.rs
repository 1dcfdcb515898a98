//! Trace and span ids as the formats write them, into one spelling: lower-case hex, 16 digits
//! for a span, 16 or 32 for a trace.
//!
//! Jaeger and Zipkin write hex (old Jaeger writers dropped leading zeros, so shorter ids are
//! padded). OTLP/JSON writes hex too ("traceId and spanId ... are represented as
//! case-insensitive hex-encoded strings", `open-telemetry/opentelemetry-specification`
//! `specification/protocol/otlp.md`, "JSON Protobuf Encoding"), but protobuf's generic JSON
//! mapping writes `bytes` as base64, and some tools still do: 24 or 22 base64 characters for
//! 16 bytes, 12 or 11 for 8, lengths that no hex id of those sizes has.

use std::fmt::Write as _;

/// A trace id: 1 to 32 hex digits, padded to 16 or 32.
pub(crate) fn trace_id(text: &str) -> Result<String, String> {
    let width = if text.len() <= 16 { 16 } else { 32 };
    hex(text, width, "trace id")
}

/// A span id: 1 to 16 hex digits, padded to 16.
pub(crate) fn span_id(text: &str) -> Result<String, String> {
    hex(text, 16, "span id")
}

/// A parent id, where an empty or all-zero id means "no parent".
pub(crate) fn parent_id(text: &str) -> Result<Option<String>, String> {
    if text.bytes().all(|byte| byte == b'0') {
        return Ok(None);
    }
    span_id(text).map(Some)
}

/// An OTLP id of `bytes` bytes: hex of exactly that size, or base64 of it.
pub(crate) fn otlp_id(text: &str, bytes: usize, what: &str) -> Result<String, String> {
    if text.len() == bytes * 2 {
        return hex(text, bytes * 2, what);
    }
    let decoded = base64(text).ok_or_else(|| {
        format!(
            "the {what} `{}` is neither {} hex digits nor the base64 of {bytes} bytes",
            shorten(text),
            bytes * 2
        )
    })?;
    if decoded.len() != bytes {
        return Err(format!(
            "the {what} `{}` decodes to {} bytes, not {bytes}",
            shorten(text),
            decoded.len()
        ));
    }
    Ok(decoded
        .iter()
        .fold(String::with_capacity(bytes * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        }))
}

fn hex(text: &str, width: usize, what: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > width {
        return Err(format!(
            "the {what} `{}` has {} characters, not 1 to {width} hex digits",
            shorten(text),
            text.len()
        ));
    }
    if let Some(bad) = text.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "the {what} `{}` is not hex (`{bad}` is not a hex digit)",
            shorten(text)
        ));
    }
    let mut id = "0".repeat(width - text.len());
    id.push_str(&text.to_ascii_lowercase());
    Ok(id)
}

/// Standard or URL-safe base64, with or without padding; `None` when it is not base64.
fn base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    Some(bytes)
}

/// An id in a message: a long one cut, so a garbled megabyte is not printed back.
fn shorten(text: &str) -> String {
    let mut cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_are_lower_cased_and_padded() {
        assert_eq!(span_id("00F067AA0BA902B7").unwrap(), "00f067aa0ba902b7");
        assert_eq!(span_id("1f").unwrap(), "000000000000001f");
        assert_eq!(trace_id("463ac35c9f6413ad").unwrap(), "463ac35c9f6413ad");
        assert_eq!(
            trace_id("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(span_id("xyz").is_err());
        assert!(span_id("").is_err());
        assert!(span_id("00f067aa0ba902b700").is_err());
        assert_eq!(parent_id("0").unwrap(), None);
        assert_eq!(parent_id("").unwrap(), None);
    }

    #[test]
    fn otlp_ids_take_hex_or_base64() {
        // The W3C trace-context example id, and its base64 (RFC 4648 of the same 16 bytes).
        let hex_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(otlp_id(hex_id, 16, "trace id").unwrap(), hex_id);
        assert_eq!(
            otlp_id("S/kvNXezTaajzpKdDg5HNg==", 16, "trace id").unwrap(),
            hex_id
        );
        assert_eq!(
            otlp_id("S_kvNXezTaajzpKdDg5HNg", 16, "trace id").unwrap(),
            hex_id
        );
        // 00f067aa0ba902b7 in base64.
        assert_eq!(
            otlp_id("APBnqgupArc=", 8, "span id").unwrap(),
            "00f067aa0ba902b7"
        );
        assert!(otlp_id("APBnqguAArcAAA==", 8, "span id").is_err());
        assert!(otlp_id("not an id!", 8, "span id").is_err());
    }
}
