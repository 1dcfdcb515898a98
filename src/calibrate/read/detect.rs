//! Which format a trace file is in, from its first non-space bytes: `{"data"` is Jaeger, `[`
//! is Zipkin, `{"resourceSpans"` is OTLP.

use std::io::BufRead;

use super::TraceFormat;

/// What the first bytes say: the format, or where the first byte that decides nothing is
/// (line and column, 1-based) with what was found there.
pub(crate) fn detect(reader: &mut impl BufRead) -> Result<TraceFormat, (usize, usize, String)> {
    let head = reader
        .fill_buf()
        .map_err(|error| (0, 0, error.to_string()))?;
    detect_in(head)
}

/// The same, over the bytes buffered at the start of the file (64 KiB, enough for a key).
pub(crate) fn detect_in(head: &[u8]) -> Result<TraceFormat, (usize, usize, String)> {
    // A UTF-8 byte-order mark, which some editors write, is not the file's content.
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = skip_space(head, 0);
    let mut position = start;
    match head.get(position) {
        Some(b'[') => return Ok(TraceFormat::Zipkin),
        Some(b'{') => {
            position = skip_space(head, position + 1);
            let key = head[position..].strip_prefix(b"\"").and_then(|rest| {
                rest.iter()
                    .position(|&byte| byte == b'"')
                    .map(|end| &rest[..end])
            });
            match key {
                Some(b"data") => return Ok(TraceFormat::Jaeger),
                Some(b"resourceSpans" | b"resource_spans") => return Ok(TraceFormat::Otlp),
                _ => {}
            }
        }
        _ => {}
    }
    let (line, column) = line_column(head, start);
    let position = start;
    let found = if position >= head.len() {
        "the file is empty".to_owned()
    } else {
        {
            let text = String::from_utf8_lossy(&head[position..head.len().min(position + 24)]);
            let shown = text.split_whitespace().collect::<Vec<_>>().join(" ");
            format!("the file starts with `{shown}`")
        }
    };
    Err((line, column, found))
}

fn skip_space(bytes: &[u8], from: usize) -> usize {
    from + bytes[from.min(bytes.len())..]
        .iter()
        .take_while(|byte| byte.is_ascii_whitespace())
        .count()
}

fn line_column(bytes: &[u8], position: usize) -> (usize, usize) {
    let before = &bytes[..position.min(bytes.len())];
    let line = before.split(|&byte| byte == b'\n').count();
    let column = 1 + before
        .iter()
        .rev()
        .take_while(|&&byte| byte != b'\n')
        .count();
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_name_the_format() {
        assert_eq!(detect_in(b"{\"data\":[]}"), Ok(TraceFormat::Jaeger));
        assert_eq!(detect_in(b"  \n{ \"data\" : []}"), Ok(TraceFormat::Jaeger));
        assert_eq!(
            detect_in(b"\xEF\xBB\xBF[{\"traceId\":\"1\"}]"),
            Ok(TraceFormat::Zipkin)
        );
        assert_eq!(
            detect_in(b"{\"resourceSpans\":[]}\n"),
            Ok(TraceFormat::Otlp)
        );
        assert_eq!(
            detect_in(b"{\n  \"resourceSpans\": ["),
            Ok(TraceFormat::Otlp)
        );
    }

    #[test]
    fn anything_else_is_located() {
        let (line, column, found) = detect_in(b"\n\n   <html>").unwrap_err();
        assert_eq!((line, column), (3, 4));
        assert!(found.contains("<html>"), "{found}");
        let (line, column, found) = detect_in(b"{\n \"spans\": []}").unwrap_err();
        assert_eq!((line, column), (1, 1));
        assert!(found.contains("\"spans\""), "{found}");
        assert_eq!(detect_in(b"  ").unwrap_err().2, "the file is empty");
    }
}
