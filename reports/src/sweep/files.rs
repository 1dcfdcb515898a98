//! A sweep's two files, written and read back, and shards merged into one sweep.

use std::path::Path;

use super::error::missing;
use super::{RolloutCell, SWEEP_FORMAT, SeedRow, Sweep, SweepError, SweepInfo};

impl Sweep {
    fn header(&self) -> Vec<String> {
        let mut header: Vec<String> = [
            "seed",
            "ok",
            "accounted",
            "invariants_broken",
            "expectations_passed",
            "sent",
            "success_rate",
            "latency_p99_ms",
        ]
        .map(str::to_owned)
        .to_vec();
        for index in 1..=self.info.expectations.len() {
            header.push(format!("expect.{index}"));
        }
        for service in &self.info.rollouts {
            header.push(format!("rollout.{service}.outcome"));
            header.push(format!("rollout.{service}.time_s"));
            header.push(format!("rollout.{service}.blast_radius"));
        }
        header.push("digest".to_owned());
        header
    }

    /// `sweep.csv`: a header and a row per seed, in seed order.
    pub fn csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let written: csv::Result<()> = (|| {
            writer.write_record(self.header())?;
            for row in &self.rows {
                let mut record = vec![
                    row.seed.to_string(),
                    row.ok().to_string(),
                    row.accounted.to_string(),
                    row.invariants_broken.join(" "),
                    row.passed().to_string(),
                    row.sent.to_string(),
                    optional(row.success_rate),
                    row.latency_p99_ms.to_string(),
                ];
                record.extend(row.expectations.iter().map(ToString::to_string));
                for rollout in &row.rollouts {
                    record.push(rollout.outcome.clone());
                    record.push(optional(rollout.time_s));
                    record.push(rollout.blast_radius.to_string());
                }
                record.push(row.digest.clone());
                writer.write_record(&record)?;
            }
            Ok(())
        })();
        written.expect("writing CSV into memory cannot fail");
        String::from_utf8(writer.into_inner().expect("a Vec takes every byte"))
            .expect("every field is UTF-8")
    }

    /// `sweep.json`.
    pub fn json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.info).expect("plain data serialises");
        text.push('\n');
        text
    }

    /// Reads a sweep's folder back: `sweep.json` and `sweep.csv`.
    pub fn read(folder: &Path) -> Result<Sweep, SweepError> {
        let info_path = folder.join("sweep.json");
        let info_text = std::fs::read_to_string(&info_path).map_err(|error| {
            SweepError::new(format!("cannot read {}: {error}", info_path.display()))
                .hint("give the folder a sweep wrote, the one holding sweep.json and sweep.csv")
        })?;
        let info: SweepInfo = serde_json::from_str(&info_text).map_err(|error| {
            SweepError::new(format!("{} is not a sweep's: {error}", info_path.display()))
        })?;
        if info.format != SWEEP_FORMAT {
            return Err(SweepError::new(format!(
                "{} has format {}; this meshsim reads format {SWEEP_FORMAT}",
                info_path.display(),
                info.format
            ))
            .hint("merge shards written by the same meshsim version"));
        }
        let rows_path = folder.join("sweep.csv");
        let rows_text = std::fs::read_to_string(&rows_path).map_err(|error| {
            SweepError::new(format!("cannot read {}: {error}", rows_path.display()))
        })?;
        let mut sweep = Sweep {
            info,
            rows: Vec::new(),
        };
        sweep.rows = sweep
            .parse_rows(&rows_text)
            .map_err(|message| SweepError::new(format!("{}: {message}", rows_path.display())))?;
        let own = sweep.info.own_seeds();
        let seeds_in_order = sweep.rows.iter().map(|row| row.seed).eq(own.start..own.end);
        if !seeds_in_order {
            return Err(SweepError::new(format!(
                "{} does not hold one row for each of seeds {own} in order",
                rows_path.display()
            ))
            .hint("the sweep may have been stopped before it wrote its rows; run it again"));
        }
        Ok(sweep)
    }

    pub(super) fn parse_rows(&self, text: &str) -> Result<Vec<SeedRow>, String> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|error| error.to_string())?
            .iter()
            .map(str::to_owned)
            .collect();
        if header != self.header() {
            return Err("its columns are not those sweep.json describes".to_owned());
        }
        let expectations = self.info.expectations.len();
        let mut rows = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let record = record.map_err(|error| error.to_string())?;
            let line = index + 2;
            let field = |column: usize| record.get(column).unwrap_or("");
            let number = |column: usize| {
                field(column)
                    .parse::<f64>()
                    .map_err(|_| format!("line {line}: `{}` is not a number", field(column)))
            };
            let whole = |column: usize| {
                field(column)
                    .parse::<u64>()
                    .map_err(|_| format!("line {line}: `{}` is not a whole number", field(column)))
            };
            let flag = |column: usize| match field(column) {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(format!("line {line}: `{other}` is not true or false")),
            };
            let maybe = |column: usize| {
                if field(column).is_empty() {
                    Ok(None)
                } else {
                    number(column).map(Some)
                }
            };
            let first_expectation = 8;
            let first_rollout = first_expectation + expectations;
            let mut row = SeedRow {
                seed: whole(0)?,
                accounted: flag(2)?,
                invariants_broken: field(3).split_whitespace().map(str::to_owned).collect(),
                expectations: (0..expectations)
                    .map(|offset| flag(first_expectation + offset))
                    .collect::<Result<_, _>>()?,
                sent: whole(5)?,
                success_rate: maybe(6)?,
                latency_p99_ms: number(7)?,
                rollouts: Vec::new(),
                digest: field(header.len() - 1).to_owned(),
            };
            for service in 0..self.info.rollouts.len() {
                let column = first_rollout + 3 * service;
                row.rollouts.push(RolloutCell {
                    outcome: field(column).to_owned(),
                    time_s: maybe(column + 1)?,
                    blast_radius: whole(column + 2)?,
                });
            }
            if flag(1)? != row.ok() || whole(4)? != row.passed() as u64 {
                return Err(format!(
                    "line {line}: `ok` and `expectations_passed` disagree with the row"
                ));
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// Joins shards of one sweep into the whole, as if it had been run in one go. Every shard
    /// must have swept the same scenario text on the same engine with the same meshsim, and
    /// together they must cover the sweep's seeds once.
    pub fn merge(mut parts: Vec<(String, Sweep)>) -> Result<Sweep, SweepError> {
        let Some((first_name, first)) = parts.first() else {
            return Err(SweepError::new("no sweep to merge"));
        };
        let first_name = first_name.clone();
        let reference = SweepInfo {
            shard: None,
            ..first.info.clone()
        };
        for (name, part) in &parts {
            let unsharded = SweepInfo {
                shard: None,
                file: reference.file.clone(),
                ..part.info.clone()
            };
            if unsharded != reference {
                let what = if part.info.scenario_digest != reference.scenario_digest {
                    "a different scenario text"
                } else if part.info.engine != reference.engine {
                    "another engine"
                } else if part.info.seeds != reference.seeds {
                    "another range of seeds"
                } else {
                    "another meshsim or expectations"
                };
                return Err(SweepError::new(format!(
                    "{name} is not a shard of the same sweep as {first_name}: it swept {what}"
                ))
                .hint("merge the shards of one `meshsim sweep FILE --seeds A..B --shard K/N`"));
            }
        }
        parts.sort_by_key(|(_, part)| part.info.own_seeds().start);
        let mut rows: Vec<SeedRow> = Vec::with_capacity(reference.seeds.count() as usize);
        let mut next = reference.seeds.start;
        for (name, part) in parts {
            let own = part.info.own_seeds();
            if own.start > next {
                return Err(missing(next, own.start, &reference));
            }
            if own.start < next {
                return Err(SweepError::new(format!(
                    "{name} has seeds {own}, and seed {} is in another shard too",
                    own.start
                ))
                .hint("give each shard's folder once"));
            }
            next = own.end;
            rows.extend(part.rows);
        }
        if next < reference.seeds.end {
            return Err(missing(next, reference.seeds.end, &reference));
        }
        Ok(Sweep {
            info: reference,
            rows,
        })
    }
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(String::new, |value| value.to_string())
}
