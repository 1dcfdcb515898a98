//! Reading an empirical distribution's samples from a CSV next to the scenario.
//!
//! The file has one column of durations written as the scenario writes them (`"1.2ms"`), one
//! per row, and may start with a header row: a first row that begins with a letter, as a column
//! name does and a duration cannot. Every problem is a [`SampleFileError`] with a hint, which the
//! checker places at the `file` key.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::scenario::diagnostic::quote;
use crate::scenario::duration::Duration;
use crate::scenario::limits;

/// Why a samples file could not be read, in words for the user.
#[derive(Debug)]
pub(super) struct SampleFileError {
    pub(super) message: String,
    pub(super) hint: String,
}

impl SampleFileError {
    fn new(message: String, hint: impl Into<String>) -> Self {
        SampleFileError {
            message,
            hint: hint.into(),
        }
    }
}

/// Where `path`, as written in the scenario `scenario_file`, is: relative paths are taken from
/// the scenario's folder, so a scenario and its data move together.
pub(super) fn resolve(scenario_file: &str, path: &str) -> PathBuf {
    match Path::new(scenario_file).parent() {
        Some(folder) => folder.join(path),
        None => PathBuf::from(path),
    }
}

/// The samples of the file at `resolved` (named `written` in messages), in nanoseconds.
pub(super) fn read_samples(resolved: &Path, written: &str) -> Result<Arc<[u64]>, SampleFileError> {
    let bytes = read_bounded(resolved, written)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut samples_ns = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|error| {
            SampleFileError::new(
                format!("{} is not valid CSV: {error}", quote(written)),
                "a samples file is plain text, one duration per row",
            )
        })?;
        let line = record
            .position()
            .map_or(index as u64 + 1, csv::Position::line);
        let Some(sample) = one_field(&record, line, written)? else {
            continue;
        };
        match Duration::parse(sample) {
            Ok(duration) => samples_ns.push(duration.as_nanos()),
            Err(_) if index == 0 && sample.starts_with(|c: char| c.is_ascii_alphabetic()) => {}
            Err(reason) => {
                return Err(SampleFileError::new(
                    format!("row {line} of {}: {reason}", quote(written)),
                    "write each sample as a number and a unit, like \"1.2ms\" or \"3s\"",
                ));
            }
        }
        if samples_ns.len() > limits::EMPIRICAL_SAMPLES_MAX {
            return Err(SampleFileError::new(
                format!(
                    "{} has more than the limit of {} samples",
                    quote(written),
                    limits::EMPIRICAL_SAMPLES_MAX
                ),
                "take a random subset of the rows; a million samples already fix every percentile \
                 closely",
            ));
        }
    }
    if samples_ns.is_empty() {
        return Err(SampleFileError::new(
            format!("{} holds no samples", quote(written)),
            "write one duration per row, like \"1.2ms\", after an optional header row",
        ));
    }
    Ok(samples_ns.into())
}

/// The row's one field, trimmed; `None` for a blank row.
fn one_field<'r>(
    record: &'r csv::StringRecord,
    line: u64,
    written: &str,
) -> Result<Option<&'r str>, SampleFileError> {
    match record.len() {
        0 => Ok(None),
        1 => {
            let field = record.get(0).unwrap_or_default().trim();
            Ok((!field.is_empty()).then_some(field))
        }
        columns => Err(SampleFileError::new(
            format!(
                "row {line} of {} has {columns} columns, but a samples file has one",
                quote(written)
            ),
            "keep only the column of durations, one per row",
        )),
    }
}

/// The file's bytes, refused past the size limit; one byte more than the limit is read rather
/// than trusting the file's size, which a pipe does not have.
fn read_bounded(resolved: &Path, written: &str) -> Result<Vec<u8>, SampleFileError> {
    let cannot_read = |error: &io::Error| {
        SampleFileError::new(
            format!(
                "cannot read the samples file {}: {}",
                quote(written),
                describe(error)
            ),
            format!(
                "the path is relative to the scenario's folder, where it names {}",
                quote(&resolved.display().to_string())
            ),
        )
    };
    let file = File::open(resolved).map_err(|error| cannot_read(&error))?;
    let mut bytes = Vec::new();
    file.take(limits::SAMPLE_FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| cannot_read(&error))?;
    if bytes.len() as u64 > limits::SAMPLE_FILE_BYTES_MAX {
        return Err(SampleFileError::new(
            format!(
                "{} is larger than the limit of {} MiB for a samples file",
                quote(written),
                limits::SAMPLE_FILE_BYTES_MAX / (1024 * 1024)
            ),
            "a samples file holds one duration per row; take a random subset of the rows",
        ));
    }
    Ok(bytes)
}

/// An I/O error in words that do not depend on the platform's error numbers.
fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "it is a directory".to_owned(),
        _ => error.to_string(),
    }
}
