//! A sweep: one scenario over many seeds, as its two files hold it. `sweep.json` says what was
//! swept (the scenario and a digest of its text, the engine, the seeds, the shard) and
//! `sweep.csv` has a row per seed. Everything a person reads of a sweep (the terminal summary,
//! `sweep.html` and its charts) is computed from these two files alone, so shards merged by
//! `meshsim merge` read exactly as the same seeds swept in one go, byte for byte.
//!
//! Figures are kept at the precision the CSV writes them (a success rate to six decimals, a
//! p99 to the microsecond) from the moment a row is made, and written with Rust's shortest
//! round-trip formatting, so reading a row back gives the very same numbers.

use std::fmt::{self, Write as _};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::quantity;

/// The version of the `sweep.json` layout; `merge` refuses another.
pub const SWEEP_FORMAT: u32 = 1;

/// Worst seeds listed with their replay command.
pub const WORST_LISTED: usize = 5;

/// Outcomes of a rollout in the order they are listed; an outcome not named here follows them.
const OUTCOME_ORDER: [&str; 3] = ["rolled_back", "promoted", "in_progress"];

/// Seeds from `start` to `end`, the end excluded, as Rust writes a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    pub start: u64,
    pub end: u64,
}

impl SeedRange {
    pub fn count(self) -> u64 {
        self.end - self.start
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}..{}", self.start, self.end)
    }
}

/// Part `index` (from 1) of `count` equal parts of a sweep's seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N`, as `--shard` takes it: K from 1 to N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a shard: write K/N, such as 2/8"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{part}` in `{text}` is not a whole number"))
        };
        let shard = Shard {
            index: number(index)?,
            count: number(count)?,
        };
        if shard.count == 0 || shard.index == 0 || shard.index > shard.count {
            return Err(format!(
                "`{text}` names no shard: K runs from 1 to N, as in 1/{} to {}/{}",
                shard.count.max(1),
                shard.count.max(1),
                shard.count.max(1)
            ));
        }
        Ok(shard)
    }

    /// This shard's seeds of `all`: contiguous, in order, sizes differing by one at most, and
    /// the shards together cover every seed once.
    pub fn seeds(self, all: SeedRange) -> SeedRange {
        let total = u128::from(all.count());
        let cut =
            |part: u64| all.start + (total * u128::from(part) / u128::from(self.count)) as u64;
        SeedRange {
            start: cut(self.index - 1),
            end: cut(self.index),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.index, self.count)
    }
}

/// What was swept: `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepInfo {
    pub format: u32,
    pub meshsim_version: String,
    pub scenario: String,
    /// The scenario file as it was named on the command line, for the replay commands.
    pub file: String,
    /// A digest of the scenario file's text: shards of one sweep must have swept the same text.
    pub scenario_digest: String,
    pub engine: String,
    /// The seeds of the whole sweep.
    pub seeds: SeedRange,
    /// Which part of them these rows are; none for a whole sweep or a merged one.
    pub shard: Option<Shard>,
    /// Each expectation as it reads, like `success_rate >= 0.99`, in the file's order.
    pub expectations: Vec<String>,
    /// The services with a rollout, in the file's order.
    pub rollouts: Vec<String>,
}

impl SweepInfo {
    /// The seeds these rows are meant to cover.
    pub fn own_seeds(&self) -> SeedRange {
        self.shard
            .map_or(self.seeds, |shard| shard.seeds(self.seeds))
    }
}

/// How one rollout went in one seed's run.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutCell {
    pub outcome: String,
    /// Seconds from the rollout's start to its decision; none while in progress.
    pub time_s: Option<f64>,
    /// Requests the new version answered.
    pub blast_radius: u64,
}

/// One seed's run: a row of `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedRow {
    pub seed: u64,
    /// Whether every request was accounted for.
    pub accounted: bool,
    /// The invariants the run broke, by name (`no_double_charge`); none for most runs.
    pub invariants_broken: Vec<String>,
    /// Each expectation's verdict, in the order of `SweepInfo::expectations`.
    pub expectations: Vec<bool>,
    pub sent: u64,
    pub success_rate: Option<f64>,
    pub latency_p99_ms: f64,
    /// In the order of `SweepInfo::rollouts`.
    pub rollouts: Vec<RolloutCell>,
    pub digest: String,
}

/// `value` to `decimals` decimals, as the CSV keeps it.
pub fn rounded(value: f64, decimals: usize) -> f64 {
    format!("{value:.decimals$}").parse().unwrap_or(value)
}

/// Decimals kept of a success rate, and of a latency in milliseconds.
pub const RATE_DECIMALS: usize = 6;
pub const MS_DECIMALS: usize = 3;

impl SeedRow {
    /// Whether the seed met every expectation with every request accounted for.
    pub fn ok(&self) -> bool {
        self.accounted && self.expectations.iter().all(|met| *met)
    }

    pub fn passed(&self) -> usize {
        self.expectations.iter().filter(|met| **met).count()
    }
}

/// Why sweep files could not be read or merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepError {
    pub message: String,
    pub hint: Option<String>,
}

impl SweepError {
    fn new(message: impl Into<String>) -> SweepError {
        SweepError {
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> SweepError {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for SweepError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for SweepError {}

/// A sweep's rows with what was swept.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub info: SweepInfo,
    /// In seed order, one per seed of `info.own_seeds()`.
    pub rows: Vec<SeedRow>,
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(String::new, |value| value.to_string())
}

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

    fn parse_rows(&self, text: &str) -> Result<Vec<SeedRow>, String> {
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

    /// The terminal summary.
    pub fn summary_text(&self) -> String {
        let figures = Figures::of(self);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  seeds {}: {} met every expectation ({})",
            figures.seeds,
            figures.ok,
            percent(figures.ok, figures.seeds)
        );
        for (label, met) in self.info.expectations.iter().zip(&figures.expectations_met) {
            let _ = writeln!(out, "    {label}: met in {}", percent(*met, figures.seeds));
        }
        let unaccounted = figures.seeds - figures.accounted;
        if unaccounted > 0 {
            let _ = writeln!(
                out,
                "  requests not all accounted for in {unaccounted} seeds (a bug in meshsim)"
            );
        }
        if !figures.invariants_broken.is_empty() {
            let broken: Vec<String> = figures
                .invariants_broken
                .iter()
                .map(|(name, seeds)| format!("{name} in {seeds}"))
                .collect();
            let _ = writeln!(out, "  invariants broken: {}", broken.join(", "));
        }
        let _ = writeln!(out, "  success rate: {}", figures.success_rate.text(share));
        let _ = writeln!(
            out,
            "  latency p99:  {}",
            figures.latency_p99_ms.text(quantity::duration_ms)
        );
        for rollout in &figures.rollouts {
            let _ = writeln!(out, "  rollout {}:", rollout.service);
            for outcome in &rollout.outcomes {
                let mut line = format!(
                    "    {} in {} of seeds",
                    outcome.outcome,
                    percent(outcome.seeds, figures.seeds)
                );
                if !outcome.time_s.is_empty() {
                    let time = outcome.time_s.text(quantity::duration_s);
                    let _ = write!(line, "; time to decision {time}");
                }
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out, "  worst seeds:");
        for row in self.worst() {
            let _ = writeln!(
                out,
                "    seed {}: {} of {} expectations, success {}  ·  {}",
                row.seed,
                row.passed(),
                row.expectations.len(),
                quantity::percent(row.success_rate),
                self.replay_command(row.seed)
            );
        }
        out
    }

    /// What the sweep found, in a few lines for the top of its page: how many seeds failed an
    /// expectation (and the worst), what each rollout did and when, and how far the success
    /// rate and the p99 spread.
    pub fn headline(&self) -> Vec<String> {
        let figures = Figures::of(self);
        let seeds = figures.seeds;
        let mut lines = Vec::new();
        let failed = seeds - figures.ok;
        let mut verdict = if self.info.expectations.is_empty() {
            "the scenario declares no expectation".to_owned()
        } else if failed == 0 {
            format!("every seed met every expectation ({seeds} of {seeds})")
        } else {
            format!(
                "{} of {seeds} failed an expectation",
                quantity::counted(failed as u64, "seed", "seeds")
            )
        };
        if let Some(worst) = self.worst().first().filter(|row| !row.ok()) {
            let _ = write!(
                verdict,
                "; the worst is seed {}: {}",
                worst.seed,
                self.replay_command(worst.seed)
            );
        }
        lines.push(verdict);
        let unaccounted = seeds - figures.accounted;
        if unaccounted > 0 {
            lines.push(format!(
                "requests not all accounted for in {} (a bug in meshsim)",
                quantity::counted(unaccounted as u64, "seed", "seeds")
            ));
        }
        for (name, broken) in &figures.invariants_broken {
            lines.push(format!(
                "invariant {name} broken in {} of {seeds}",
                quantity::counted(*broken as u64, "seed", "seeds")
            ));
        }
        for rollout in &figures.rollouts {
            let outcomes: Vec<String> = rollout
                .outcomes
                .iter()
                .map(|outcome| {
                    let mut phrase = format!(
                        "{} in {} of {seeds} seeds",
                        outcome_words(&outcome.outcome),
                        outcome.seeds
                    );
                    if let Some(range) = outcome.time_s.range(quantity::duration_s) {
                        let _ = write!(phrase, ", {range} from its start");
                    }
                    phrase
                })
                .collect();
            lines.push(format!(
                "rollout of {}: {}",
                rollout.service,
                outcomes.join("; ")
            ));
        }
        if let (Some(rates), Some(p99)) = (
            figures.success_rate.range(share),
            figures.latency_p99_ms.range(quantity::duration_ms),
        ) {
            lines.push(format!(
                "success rate {rates}, p99 latency {p99} over the seeds"
            ));
        }
        lines
    }

    /// The command that replays one seed's run.
    pub fn replay_command(&self, seed: u64) -> String {
        let engine = if self.info.engine == "event" {
            String::new()
        } else {
            format!(" --engine {}", self.info.engine)
        };
        format!("meshsim run {} --seed {seed}{engine}", self.info.file)
    }

    /// The worst seeds: those that failed an expectation first, then by success rate, then by
    /// p99.
    pub fn worst(&self) -> Vec<&SeedRow> {
        let mut order: Vec<&SeedRow> = self.rows.iter().collect();
        order.sort_by(|a, b| {
            a.ok()
                .cmp(&b.ok())
                .then(a.passed().cmp(&b.passed()))
                .then(
                    a.success_rate
                        .unwrap_or(0.0)
                        .total_cmp(&b.success_rate.unwrap_or(0.0)),
                )
                .then(b.latency_p99_ms.total_cmp(&a.latency_p99_ms))
                .then(a.seed.cmp(&b.seed))
        });
        order.truncate(WORST_LISTED);
        order
    }
}

/// A share of 1 as the reports write it: `99.27%`.
fn share(value: f64) -> String {
    quantity::percent(Some(value))
}

/// A rollout's outcome as the headline says it: `rolled back`.
fn outcome_words(outcome: &str) -> String {
    match outcome {
        "rolled_back" => "rolled back".to_owned(),
        "in_progress" => "still in progress at the end".to_owned(),
        other => other.replace('_', " "),
    }
}

fn missing(from: u64, to: u64, info: &SweepInfo) -> SweepError {
    SweepError::new(format!(
        "seeds {from}..{to} of the sweep's {} are in none of the folders given",
        info.seeds
    ))
    .hint("give every shard's folder; a shard that did not finish must be run again")
}

/// `part` of `whole` as a percentage, as `quantity::percent` writes a share: `75.00%`.
pub fn percent(part: usize, whole: usize) -> String {
    quantity::percent((whole > 0).then(|| part as f64 / whole as f64))
}

/// How a figure spread over the seeds: its order statistics.
#[derive(Debug, Clone, Default)]
pub struct Spread {
    /// The values, sorted.
    pub sorted: Vec<f64>,
}

impl Spread {
    pub fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        Spread { sorted: values }
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The value at `quantile` by the nearest rank.
    pub fn at(&self, quantile: f64) -> Option<f64> {
        let last = self.sorted.len().checked_sub(1)?;
        let index = (last as f64 * quantile).round() as usize;
        Some(self.sorted[index])
    }

    /// `min …, p50 …, p90 …, max …`, each value written by `show`.
    pub fn text(&self, show: impl Fn(f64) -> String) -> String {
        if self.is_empty() {
            return "no value".to_owned();
        }
        let at = |quantile| show(self.at(quantile).unwrap_or(0.0));
        format!(
            "min {}, p50 {}, p90 {}, max {}",
            at(0.0),
            at(0.5),
            at(0.9),
            at(1.0)
        )
    }

    /// `at 5m 00s` when every value is the same, else `between 5m 00s and 7m 00s`; `show`
    /// writes each.
    pub fn range(&self, show: impl Fn(f64) -> String) -> Option<String> {
        let (lowest, highest) = (self.at(0.0)?, self.at(1.0)?);
        Some(if lowest.to_bits() == highest.to_bits() {
            format!("at {}", show(lowest))
        } else {
            format!("between {} and {}", show(lowest), show(highest))
        })
    }
}

/// One outcome of a rollout over the seeds.
#[derive(Debug, Clone)]
pub struct OutcomeFigures {
    pub outcome: String,
    pub seeds: usize,
    /// Time to decision in the seeds with this outcome.
    pub time_s: Spread,
    /// Requests the new version answered in those seeds.
    pub blast_radius: Spread,
}

/// A rollout over the seeds: how often each outcome came, and how soon.
#[derive(Debug, Clone)]
pub struct RolloutFigures {
    pub service: String,
    pub outcomes: Vec<OutcomeFigures>,
}

/// The aggregate of a sweep.
#[derive(Debug, Clone)]
pub struct Figures {
    pub seeds: usize,
    pub ok: usize,
    /// Seeds with every request accounted for.
    pub accounted: usize,
    /// Each invariant broken in some seed, with how many, in the order first met.
    pub invariants_broken: Vec<(String, usize)>,
    /// Seeds meeting each expectation.
    pub expectations_met: Vec<usize>,
    pub success_rate: Spread,
    pub latency_p99_ms: Spread,
    pub sent: Spread,
    pub rollouts: Vec<RolloutFigures>,
}

impl Figures {
    pub fn of(sweep: &Sweep) -> Figures {
        let rows = &sweep.rows;
        let expectations_met = (0..sweep.info.expectations.len())
            .map(|index| rows.iter().filter(|row| row.expectations[index]).count())
            .collect();
        let rollouts = sweep
            .info
            .rollouts
            .iter()
            .enumerate()
            .map(|(index, service)| {
                let mut names: Vec<&str> = OUTCOME_ORDER
                    .iter()
                    .copied()
                    .filter(|name| rows.iter().any(|row| row.rollouts[index].outcome == *name))
                    .collect();
                for row in rows {
                    let name = row.rollouts[index].outcome.as_str();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                let outcomes = names
                    .into_iter()
                    .map(|name| {
                        let cells: Vec<&RolloutCell> = rows
                            .iter()
                            .map(|row| &row.rollouts[index])
                            .filter(|cell| cell.outcome == name)
                            .collect();
                        OutcomeFigures {
                            outcome: name.to_owned(),
                            seeds: cells.len(),
                            time_s: Spread::of(cells.iter().filter_map(|c| c.time_s).collect()),
                            blast_radius: Spread::of(
                                cells.iter().map(|c| c.blast_radius as f64).collect(),
                            ),
                        }
                    })
                    .collect();
                RolloutFigures {
                    service: service.clone(),
                    outcomes,
                }
            })
            .collect();
        let mut invariants_broken: Vec<(String, usize)> = Vec::new();
        for name in rows.iter().flat_map(|row| &row.invariants_broken) {
            match invariants_broken
                .iter_mut()
                .find(|(known, _)| known == name)
            {
                Some((_, seeds)) => *seeds += 1,
                None => invariants_broken.push((name.clone(), 1)),
            }
        }
        Figures {
            seeds: rows.len(),
            ok: rows.iter().filter(|row| row.ok()).count(),
            accounted: rows.iter().filter(|row| row.accounted).count(),
            invariants_broken,
            expectations_met,
            success_rate: Spread::of(rows.iter().filter_map(|row| row.success_rate).collect()),
            latency_p99_ms: Spread::of(rows.iter().map(|row| row.latency_p99_ms).collect()),
            sent: Spread::of(rows.iter().map(|row| row.sent as f64).collect()),
            rollouts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(seeds: SeedRange, shard: Option<Shard>) -> Sweep {
        let info = SweepInfo {
            format: SWEEP_FORMAT,
            meshsim_version: "0".into(),
            scenario: "s".into(),
            file: "s.toml".into(),
            scenario_digest: "d".into(),
            engine: "event".into(),
            seeds,
            shard,
            expectations: vec!["success_rate >= 0.99".into()],
            rollouts: vec!["order".into()],
        };
        let own = info.own_seeds();
        let rows = (own.start..own.end)
            .map(|seed| SeedRow {
                seed,
                accounted: true,
                invariants_broken: if seed == 4 {
                    vec!["no_double_charge".into(), "stock_conserved".into()]
                } else {
                    Vec::new()
                },
                expectations: vec![seed % 3 != 0],
                sent: 100 + seed,
                success_rate: Some(rounded(1.0 - seed as f64 / 7000.0, RATE_DECIMALS)),
                latency_p99_ms: rounded(10.0 + seed as f64 / 3.0, MS_DECIMALS),
                rollouts: vec![RolloutCell {
                    outcome: if seed % 2 == 0 {
                        "rolled_back"
                    } else {
                        "promoted"
                    }
                    .into(),
                    time_s: Some(60.0 * (seed % 5) as f64),
                    blast_radius: seed * 10,
                }],
                digest: format!("{seed:016x}"),
            })
            .collect();
        Sweep { info, rows }
    }

    #[test]
    fn shards_cover_every_seed_once_in_order() {
        let all = SeedRange { start: 5, end: 105 };
        for count in [1, 3, 7, 100, 150] {
            let mut next = all.start;
            for index in 1..=count {
                let part = Shard { index, count }.seeds(all);
                assert_eq!(part.start, next);
                assert!(part.count() <= all.count() / count + 1);
                next = part.end;
            }
            assert_eq!(next, all.end);
        }
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        assert!(Shard::parse("0/8").is_err());
        assert!(Shard::parse("9/8").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("three").is_err());
    }

    #[test]
    fn rows_read_back_as_they_were_written() {
        let whole = sweep(SeedRange { start: 0, end: 40 }, None);
        let text = whole.csv();
        assert_eq!(whole.parse_rows(&text), Ok(whole.rows.clone()));
    }

    #[test]
    fn merged_shards_are_the_whole_sweep() {
        let seeds = SeedRange { start: 0, end: 40 };
        let whole = sweep(seeds, None);
        let parts: Vec<(String, Sweep)> = [3, 1, 2]
            .into_iter()
            .map(|index| {
                (
                    format!("shard {index}"),
                    sweep(seeds, Some(Shard { index, count: 3 })),
                )
            })
            .collect();
        let merged = Sweep::merge(parts.clone()).expect("the shards make the whole");
        assert_eq!(merged, whole);
        assert_eq!(merged.summary_text(), whole.summary_text());

        let error = Sweep::merge(parts[..2].to_vec()).unwrap_err();
        assert!(error.message.contains("seeds 13..26"), "{error}");
        let doubled = vec![parts[1].clone(), parts[1].clone()];
        assert!(Sweep::merge(doubled).is_err());
        let mut other = parts.clone();
        other[0].1.info.scenario_digest = "e".into();
        let error = Sweep::merge(other).unwrap_err();
        assert!(error.message.contains("different scenario text"), "{error}");
    }

    #[test]
    fn the_summary_gives_each_outcome_its_share_and_time() {
        let text = sweep(SeedRange { start: 0, end: 10 }, None).summary_text();
        assert!(
            text.contains("invariants broken: no_double_charge in 1, stock_conserved in 1"),
            "{text}"
        );
        assert!(
            text.contains("seeds 10: 6 met every expectation (60.00%)"),
            "{text}"
        );
        assert!(
            text.contains("rolled_back in 50.00% of seeds; time to decision min 0 s, p50 2m 00s"),
            "{text}"
        );
        assert!(
            text.contains("meshsim run s.toml --seed 0"),
            "the worst seed fails an expectation: {text}"
        );
    }
}
