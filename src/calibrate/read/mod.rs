//! The trace readers: Jaeger JSON, Zipkin v2 JSON and OTLP JSON, streamed, into [`Trace`]s.
//!
//! Each file is parsed by `serde_json` from a buffered reader, element by element: a Jaeger
//! trace is handed on when its element of `data` is parsed; the spans of the flat formats
//! (Zipkin, OTLP) go to the assembler, which hands a trace on once it is whole. Memory holds
//! one Jaeger trace, or the spans of the flat formats' open traces, never the file.

mod assembler;
mod attributes;
mod bounds;
mod detect;
mod ids;
mod jaeger;
mod list;
mod otlp;
mod otlp_span;
mod place;
mod progress;
mod reading;
mod shared;
mod time;
mod zipkin;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use indicatif::ProgressBar;
use serde::de::DeserializeSeed;

pub(crate) use self::bounds::Bounds;
use self::place::Place;
use self::progress::{Progress, progress_bar};
use self::reading::Reading;
use super::trace::Trace;

/// A trace file's format, as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TraceFormat {
    /// Jaeger's JSON (`{"data": [{"traceID", "spans", "processes"}]}`), as its UI and query
    /// API export it.
    Jaeger,
    /// Zipkin v2 JSON: a list of spans (a trace as the UI downloads it), or a list of such lists
    /// (the `/api/v2/traces` answer).
    Zipkin,
    /// OTLP JSON, as the OpenTelemetry collector's file exporter writes it: one
    /// `{"resourceSpans": [...]}` object per line (or one object for the whole file).
    Otlp,
}

/// What the readers saw, for the lines `calibrate` prints about what it could not use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReadCounts {
    pub files: u64,
    pub bytes: u64,
    /// Traces handed on.
    pub traces: u64,
    /// Spans handed on, in those traces.
    pub spans: u64,
    /// Spans dropped because no service recorded them (no `service.name`).
    pub spans_without_service: u64,
    /// Traces dropped whole because they passed the bound on spans per trace.
    pub traces_too_large: u64,
    /// Spans dropped because they lack their start or their length (Zipkin allows such
    /// incomplete spans; a Jaeger or OTLP span missing a time is one too).
    pub spans_incomplete: u64,
}

/// Where a trace file is wrong: which file, where in it, which trace and which field, what is
/// wrong, and a hint. `calibrate` prints it and exits 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub(crate) struct ReadError {
    pub file: PathBuf,
    /// 1-based; 0 when the error is about the file as a whole (it cannot be opened).
    pub line: usize,
    pub column: usize,
    /// What is wrong, naming the trace (its index or id) and the field.
    pub message: String,
    pub hint: Option<String>,
}

/// Options of a read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReadOptions {
    /// `None`: each file's format is detected from its first bytes.
    pub format: Option<TraceFormat>,
    /// Show a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
}

/// Reads every file in order and hands each trace to `on_trace` as soon as it is whole, so
/// memory holds only the spans of traces still open. The traces come in a deterministic order
/// (the same files give the same traces in the same order).
pub(crate) fn read_traces(
    files: &[&Path],
    options: ReadOptions,
    on_trace: &mut dyn FnMut(Trace),
) -> Result<ReadCounts, ReadError> {
    read_traces_within(files, options, Bounds::default(), on_trace)
}

/// [`read_traces`] with other bounds (tests make them small).
pub(crate) fn read_traces_within(
    files: &[&Path],
    options: ReadOptions,
    bounds: Bounds,
    on_trace: &mut dyn FnMut(Trace),
) -> Result<ReadCounts, ReadError> {
    let total_bytes = files
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok())
        .map(|metadata| metadata.len())
        .sum();
    let bar = progress_bar(options.progress, total_bytes);
    let mut reading = Reading::new(bounds, on_trace);
    for file in files {
        read_file(&mut reading, file, options.format, &bar)?;
    }
    bar.finish_and_clear();
    Ok(reading.finish())
}

const DETECT_HINT: &str = "calibrate reads Jaeger JSON ({\"data\": [...]}), Zipkin v2 JSON (a list of spans [...]) and OTLP JSON ({\"resourceSpans\": [...]} a line); name the format with --format jaeger|zipkin|otlp";

fn read_file(
    reading: &mut Reading<'_>,
    path: &Path,
    format: Option<TraceFormat>,
    bar: &ProgressBar,
) -> Result<(), ReadError> {
    reading.place = Place::new(path.to_path_buf());
    reading.origin = Rc::from(path.display().to_string());
    let opened = File::open(path).map_err(|error| {
        let message = format!("cannot open the trace file: {error}");
        reading.place.error_at(0, 0, &message, "")
    })?;
    let bytes = opened.metadata().map_or(0, |metadata| metadata.len());
    let mut buffered = BufReader::with_capacity(1 << 16, Progress::new(opened, bar.clone()));
    let format = match format {
        Some(format) => format,
        None => detect::detect(&mut buffered).map_err(|(line, column, found)| {
            let message = format!("not a trace file calibrate knows: {found}");
            reading.place.error_at(line, column, &message, DETECT_HINT)
        })?,
    };
    reading.place.format_hint = match format {
        TraceFormat::Jaeger => jaeger::HINT,
        TraceFormat::Zipkin => zipkin::HINT,
        TraceFormat::Otlp => otlp::HINT,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(buffered);
    let parsed = match format {
        TraceFormat::Jaeger => jaeger::File {
            reading: &mut *reading,
        }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end()),
        TraceFormat::Zipkin => zipkin::file(reading)
            .deserialize(&mut deserializer)
            .and_then(|_| deserializer.end()),
        TraceFormat::Otlp => otlp::read(&mut deserializer, reading),
    };
    parsed.map_err(|error| reading.place.error(&error))?;
    reading.counts.files += 1;
    reading.counts.bytes += bytes;
    Ok(())
}
