//! The CSV files a workload's arrivals come from: a rate profile's `time,rate` rows and a
//! replay's arrival times, read once when the scenario is checked and held in its resolution,
//! so no model reads a file.
//!
//! A time is seconds as a number (`90`, `0.25`, as an access log's relative timestamps are
//! written) or a duration (`"90s"`, `"1.5ms"`). A first row whose first field begins with a
//! letter is a header and is skipped.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use csv::{ByteRecord, ReaderBuilder, Trim};

use super::duration::{DURATION_NANOS_MAX, Duration};
use super::limits;

/// What a workload's arrival file held, as the workload client takes it.
#[derive(Debug, Clone)]
pub enum ArrivalTable {
    /// `(at_ns, rate per second)`, sorted, the first at 0.
    Profile(Arc<[(u64, f64)]>),
    /// Arrival times in nanoseconds, sorted.
    Replay(Arc<[u64]>),
}

/// Why a file was refused: what is wrong and what to write instead.
#[derive(Debug)]
pub(crate) struct TableError {
    pub(crate) message: String,
    pub(crate) hint: String,
}

fn refuse(message: String, hint: &str) -> TableError {
    TableError {
        message,
        hint: hint.to_owned(),
    }
}

const PROFILE_HINT: &str = "a profile's rows are `time,rate`: seconds or a duration, then requests per second, in increasing time, like `0,50` then `5m,400`";
const REPLAY_HINT: &str = "a replay's rows start with the arrival's time, seconds or a duration, in increasing order, like `0.25` or `250ms`";

/// A rate profile's points; the first row's rate holds from 0 when it starts later.
pub(crate) fn read_profile(path: &Path) -> Result<Arc<[(u64, f64)]>, TableError> {
    let mut points: Vec<(u64, f64)> = Vec::new();
    for_each_row(
        path,
        limits::PROFILE_ROWS_MAX,
        PROFILE_HINT,
        |row, record| {
            if record.len() != 2 {
                return Err(format!(
                    "row {row} has {} fields, not 2 (time, rate)",
                    record.len()
                ));
            }
            let at_ns = time_ns(&record[0]).map_err(|error| format!("row {row}: {error}"))?;
            let rate =
                rate_per_second(&record[1]).map_err(|error| format!("row {row}: {error}"))?;
            if let Some(&(previous_ns, _)) = points.last()
                && at_ns < previous_ns
            {
                return Err(format!(
                    "row {row} is at {}, before the row above it at {}",
                    Duration::from_nanos(at_ns),
                    Duration::from_nanos(previous_ns)
                ));
            }
            if points.is_empty() && at_ns > 0 {
                points.push((0, rate));
            }
            points.push((at_ns, rate));
            Ok(())
        },
    )?;
    if points.is_empty() {
        return Err(refuse(
            format!("{} has no rows", path.display()),
            PROFILE_HINT,
        ));
    }
    Ok(points.into())
}

/// A replay's arrival times; fields after the first are ignored (the rest of a log's line).
pub(crate) fn read_replay(path: &Path) -> Result<Arc<[u64]>, TableError> {
    let mut times: Vec<u64> = Vec::new();
    for_each_row(
        path,
        limits::REPLAY_ARRIVALS_MAX,
        REPLAY_HINT,
        |row, record| {
            let at_ns = time_ns(&record[0]).map_err(|error| format!("row {row}: {error}"))?;
            if let Some(&previous_ns) = times.last()
                && at_ns < previous_ns
            {
                return Err(format!(
                    "row {row} is at {}, before the row above it at {}",
                    Duration::from_nanos(at_ns),
                    Duration::from_nanos(previous_ns)
                ));
            }
            times.push(at_ns);
            Ok(())
        },
    )?;
    if times.is_empty() {
        return Err(refuse(
            format!("{} has no rows", path.display()),
            REPLAY_HINT,
        ));
    }
    Ok(times.into())
}

/// Hands each data row, with its line number, to `row`; stops at the first problem, and past
/// `rows_max` rows.
fn for_each_row(
    path: &Path,
    rows_max: usize,
    hint: &str,
    mut row: impl FnMut(u64, &[String]) -> Result<(), String>,
) -> Result<(), TableError> {
    let shown = path.display();
    let file = File::open(path).map_err(|error| {
        let why = match error.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => error.to_string(),
        };
        refuse(
            format!("cannot read {shown}: {why}"),
            "`file` is relative to the scenario file's folder",
        )
    })?;
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .from_reader(file);
    let mut record = ByteRecord::new();
    let mut rows = 0usize;
    let mut first = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(error) => return Err(refuse(format!("{shown}: {error}"), hint)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let fields: Vec<String> = record
            .iter()
            .map(|field| String::from_utf8_lossy(field).into_owned())
            .collect();
        let is_header = first && fields[0].starts_with(|c: char| c.is_ascii_alphabetic());
        first = false;
        if is_header || fields.iter().all(String::is_empty) {
            continue;
        }
        rows += 1;
        if rows > rows_max {
            return Err(refuse(
                format!("{shown} has more than {rows_max} rows, the limit"),
                "cut the file to the window the scenario simulates",
            ));
        }
        row(line, &fields).map_err(|message| refuse(format!("{shown}, {message}"), hint))?;
    }
}

/// Seconds as a number, or a duration with its unit.
fn time_ns(field: &str) -> Result<u64, String> {
    if let Ok(seconds) = field.parse::<f64>() {
        let nanos = seconds * 1e9;
        if !nanos.is_finite() || nanos < 0.0 || nanos > DURATION_NANOS_MAX as f64 {
            return Err(format!(
                "time `{field}` is not between 0 and 365 days in seconds"
            ));
        }
        return Ok(nanos.round() as u64);
    }
    Duration::parse(field).map(Duration::as_nanos)
}

fn rate_per_second(field: &str) -> Result<f64, String> {
    let rate: f64 = field
        .parse()
        .map_err(|_| format!("rate `{field}` is not a number"))?;
    if !rate.is_finite() {
        return Err(format!("rate `{field}` is not a finite number"));
    }
    if rate < 0.0 {
        return Err(format!(
            "rate `{field}` is negative; a rate is 0 or more requests per second"
        ));
    }
    if rate > limits::WORKLOAD_RATE_MAX {
        return Err(format!(
            "rate {rate} is above the limit of {} requests per second",
            limits::WORKLOAD_RATE_MAX
        ));
    }
    Ok(rate)
}
