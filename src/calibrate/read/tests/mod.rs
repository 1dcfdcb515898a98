//! The readers read against files written by hand (`tests/fixtures/traces/`): each span is
//! checked against the values the fixture holds, written out again here by hand.

mod errors;
mod fixtures;
mod garbled;
mod large;
mod round_trip;

use std::path::{Path, PathBuf};

use super::{ReadCounts, ReadError, ReadOptions, TraceFormat, read_traces};
use crate::calibrate::trace::{Trace, TraceSpan};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traces")
        .join(name)
}

fn read_all(
    files: &[&Path],
    format: Option<TraceFormat>,
) -> Result<(Vec<Trace>, ReadCounts), ReadError> {
    let mut traces = Vec::new();
    let options = ReadOptions {
        format,
        progress: false,
    };
    let counts = read_traces(files, options, &mut |trace| traces.push(trace))?;
    Ok((traces, counts))
}

/// A span on one line, every field the readers fill, for comparison with a line written by hand:
/// `id <- parent | service@instance version | role name | method route status | error |
/// start+duration | destination peer`.
fn line(span: &TraceSpan) -> String {
    let or = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{} <- {} | {}@{} {} | {:?} {} | {} {} {} | {} | {}+{} | {} {}",
        span.span_id,
        or(&span.parent_id),
        span.service,
        or(&span.instance),
        or(&span.version),
        span.role,
        span.name,
        or(&span.http_method),
        or(&span.http_route),
        span.http_status
            .map_or("-".to_owned(), |code| code.to_string()),
        if span.error { "error" } else { "ok" },
        span.start_ns,
        span.duration_ns,
        or(&span.messaging_destination),
        or(&span.peer_service),
    )
}

fn lines(trace: &Trace) -> Vec<String> {
    trace.spans.iter().map(line).collect()
}
