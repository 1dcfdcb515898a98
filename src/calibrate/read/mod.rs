//! The trace readers: Jaeger JSON, Zipkin v2 JSON and OTLP JSON, streamed, into [`Trace`]s.
//!
//! Each file is parsed by `serde_json` from a buffered reader, element by element: a Jaeger
//! trace is handed on when its element of `data` is parsed; the spans of the flat formats
//! (Zipkin, OTLP) go to the assembler, which hands a trace on once it is whole. Memory holds
//! one Jaeger trace, or the spans of the flat formats' open traces, never the file.

mod assembler;
mod attributes;
mod bounds;
mod counts;
mod detect;
mod error;
mod format;
mod ids;
mod jaeger;
mod list;
mod otlp;
mod otlp_span;
mod otlp_value;
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
use std::path::Path;
use std::rc::Rc;

use indicatif::ProgressBar;
use serde::de::DeserializeSeed;

pub(crate) use self::bounds::Bounds;
pub(crate) use self::counts::ReadCounts;
pub(crate) use self::error::ReadError;
pub(crate) use self::format::TraceFormat;
use self::place::Place;
use self::progress::{Progress, progress_bar};
use self::reading::Reading;
use super::trace::Trace;

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
        TraceFormat::Otlp => otlp_value::HINT,
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
