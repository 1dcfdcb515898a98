//! A malformed file is a located error: the file, the line and column, which trace and which
//! field, what is wrong, and a hint. The positions are counted by hand in the inputs below.

use std::io::Write;

use super::read_all;
use crate::calibrate::read::{ReadError, TraceFormat};

fn read_text(text: &str, format: Option<TraceFormat>) -> ReadError {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let error = read_all(&[file.path()], format).unwrap_err();
    assert_eq!(error.file, file.path());
    error
}

#[test]
fn a_jaeger_span_id_that_is_not_hex() {
    let text = "{\"data\": [\n {\"traceID\": \"00000000000000aa\", \"spans\": [\n  {\"spanID\": \"00000000000000a1\"},\n  {\"spanID\": \"zz\"}\n ]}\n]}";
    let error = read_text(text, None);
    // Line 4 is `  {"spanID": "zz"}`: the value ends at column 17, and serde_json places an
    // error on a value just past it.
    assert_eq!((error.line, error.column), (4, 18), "{error}");
    assert!(
        error.message.contains("data[0].spans[1].spanID"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("trace 00000000000000aa"),
        "{}",
        error.message
    );
    assert!(error.message.contains("not hex"), "{}", error.message);
    assert!(error.hint.is_some());
}

#[test]
fn a_zipkin_timestamp_that_is_not_a_number() {
    // `"noon"` ends at column 47 of line 2.
    let text =
        "[\n{\"traceId\": \"1\", \"id\": \"2\", \"timestamp\": \"noon\", \"duration\": 5}\n]";
    let error = read_text(text, None);
    assert_eq!((error.line, error.column), (2, 48), "{error}");
    assert!(
        error.message.contains("spans[0].timestamp"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("not a whole number of microseconds"),
        "{}",
        error.message
    );
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|hint| hint.contains("microseconds"))
    );
}

#[test]
fn a_jaeger_span_with_a_negative_duration() {
    let text =
        "{\"data\": [{\"traceID\": \"a\", \"spans\": [{\"spanID\": \"b\", \"duration\": -4}]}]}";
    let error = read_text(text, Some(TraceFormat::Jaeger));
    // `-4` ends at column 67.
    assert_eq!((error.line, error.column), (1, 68), "{error}");
    assert!(
        error.message.contains("spans[0].duration"),
        "{}",
        error.message
    );
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|hint| hint.contains("ends before it starts"))
    );
}

#[test]
fn an_otlp_span_that_ends_before_it_starts() {
    let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","startTimeUnixNano":"20","endTimeUnixNano":"10"}]}]}]}"#;
    let text = format!("{line}\n{line}\n");
    let error = read_text(&text, None);
    // The first line's span: the error is found at its closing brace (column 160).
    assert_eq!(error.line, 1, "{error}");
    assert_eq!(error.column, line.find("}]}]}]}").unwrap() + 1, "{error}");
    assert!(
        error
            .message
            .contains("request[0].resourceSpans[0].scopeSpans[0].spans[0]"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("ends before it starts"),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .contains("trace 5b8efff798038103d269b633813fc60c"),
        "{}",
        error.message
    );
}

#[test]
fn a_file_cut_short() {
    let error = read_text(
        "{\"data\": [{\"traceID\": \"a\", \"spans\": [{\"spanID\": \"b\",",
        None,
    );
    assert_eq!(error.line, 1);
    assert!(error.message.contains("EOF"), "{}", error.message);
    assert!(
        error
            .hint
            .as_deref()
            .is_some_and(|hint| hint.contains("cut short"))
    );
}

#[test]
fn a_file_of_no_known_format() {
    let error = read_text("\n  {\"traces\": []}", None);
    assert_eq!((error.line, error.column), (2, 3));
    assert!(
        error.message.contains("not a trace file"),
        "{}",
        error.message
    );
    let hint = error.hint.unwrap();
    for name in ["Jaeger", "Zipkin", "OTLP", "--format"] {
        assert!(hint.contains(name), "{hint}");
    }
}

#[test]
fn a_file_that_is_not_there() {
    let missing = std::path::Path::new("/nonexistent/traces.json");
    let error = read_all(&[missing], None).unwrap_err();
    assert_eq!((error.line, error.column), (0, 0));
    assert!(error.message.contains("cannot open"), "{}", error.message);
}

#[test]
fn a_name_past_the_bound() {
    let name = "x".repeat(70 * 1024);
    let text = format!("[{{\"traceId\": \"1\", \"id\": \"2\", \"name\": \"{name}\"}}]");
    let error = read_text(&text, None);
    assert!(error.message.contains("spans[0].name"), "{}", error.message);
    assert!(
        error.message.contains("more than the 65536 bytes"),
        "{}",
        error.message
    );
}
