//! `meshsim sweep FILE --seeds A..B --jobs N`: one scenario over many seeds, on N threads, and
//! `meshsim merge DIR...`, which joins the shards of a sweep split with `--shard K/N`.
//!
//! Each seed is a whole run of its own, single-threaded as every run is; the threads only share
//! out the seeds. Results are kept by seed and written in seed order, so the output does not
//! depend on N or on which thread finished first. A sweep writes `sweep.json` (what was swept)
//! and `sweep.csv` (a row per seed); the terminal summary, `sweep.html` and its charts are drawn
//! from those two files alone (`meshsim_reports::sweep`), so a merge gives the same bytes as the
//! sweep run in one go.

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meshsim_record::RecorderOutputs;
use meshsim_reports::sweep::{
    MS_DECIMALS, RATE_DECIMALS, RolloutCell, SWEEP_FORMAT, SeedRange, SeedRow, rounded,
};
use meshsim_reports::{Shard, Sweep, SweepInfo, sweep_charts, sweep_report_html};

use crate::cli::Status;
use crate::expect;
use crate::output_folder::{OutputFolder, leftover_note};
use crate::report::write_charts;
use crate::run_limits::RunLimits;
use crate::scenario::{self, Scenario};
use crate::simulate::{EngineKind, simulate_with_limits};

/// Seeds one sweep may run: a million runs of a small scenario is a long night already.
pub const SWEEP_SEEDS_MAX: u64 = 1_000_000;

/// The page of a sweep, beside `sweep.csv` and `sweep.json`.
pub const SWEEP_PAGE: &str = "sweep.html";

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The scenario file (TOML, format 1).
    pub file: PathBuf,
    /// The seeds: `A..B` (B excluded) or `A..=B`.
    #[arg(long)]
    pub seeds: String,
    /// Threads running seeds at once; the results do not depend on it. Defaults to the
    /// machine's cores.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub jobs: Option<u32>,
    /// Run only part K of N of the seeds (K from 1), for a job array across machines; join the
    /// parts with `meshsim merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The engine of every run.
    #[arg(long, value_enum, default_value_t = EngineKind::Event)]
    pub engine: EngineKind,
    /// Where to write the sweep; defaults to `out/NAME-sweep` (`out/NAME-sweep-K-of-N` for a
    /// shard).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub limits: crate::cli::LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' folders, each written by `meshsim sweep ... --shard K/N`, in any order.
    #[arg(required = true)]
    pub folders: Vec<PathBuf>,
    /// Where to write the whole sweep; defaults to `out/NAME-sweep`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Parses `A..B` or `A..=B` into the seeds it names.
pub fn parse_seeds(text: &str) -> Result<SeedRange, String> {
    let (start, end, inclusive) = if let Some((a, b)) = text.split_once("..=") {
        (a, b, true)
    } else if let Some((a, b)) = text.split_once("..") {
        (a, b, false)
    } else {
        return Err(format!(
            "`{text}` is not a range of seeds: write A..B, such as 0..100"
        ));
    };
    let number = |part: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{part}` in `{text}` is not a seed (a whole number)"))
    };
    let (start, mut end) = (number(start)?, number(end)?);
    if inclusive {
        end = end
            .checked_add(1)
            .ok_or_else(|| format!("`{text}` ends past the last seed"))?;
    }
    if end <= start {
        return Err(format!(
            "`{text}` names no seed: the end must be above the start"
        ));
    }
    if end - start > SWEEP_SEEDS_MAX {
        return Err(format!(
            "`{text}` names {} seeds; a sweep runs at most {SWEEP_SEEDS_MAX}",
            end - start
        ));
    }
    Ok(SeedRange { start, end })
}

fn run_seed(
    engine: EngineKind,
    scenario: &Scenario,
    seed: u64,
    limits: &RunLimits,
) -> anyhow::Result<SeedRow> {
    let simulation = simulate_with_limits(
        engine,
        scenario,
        seed,
        RecorderOutputs::default(),
        &mut |_, _| {},
        limits,
    )
    .map_err(|error| anyhow::anyhow!("seed {seed}: {error}"))?;
    let summary = &simulation.summary;
    Ok(SeedRow {
        seed,
        accounted: summary.accounting.ok,
        invariants_broken: simulation
            .info
            .invariants
            .iter()
            .filter(|invariant| !invariant.holds)
            .map(|invariant| invariant.name.clone())
            .collect(),
        expectations: scenario
            .expectations
            .iter()
            .map(|expectation| expect::check(summary, expectation).ok)
            .collect(),
        sent: summary.requests.sent,
        // Kept at the CSV's precision from the start, so a merged sweep reads the same.
        success_rate: summary
            .success_rate
            .map(|rate| rounded(rate, RATE_DECIMALS)),
        latency_p99_ms: rounded(summary.latency_ms.p99, MS_DECIMALS),
        rollouts: summary
            .rollouts
            .values()
            .map(|rollout| RolloutCell {
                outcome: rollout.outcome.name().to_owned(),
                time_s: rollout.time_s,
                blast_radius: rollout.blast_radius,
            })
            .collect(),
        digest: summary.digest.clone(),
    })
}

/// Runs `seeds` of `scenario` on `jobs` threads with no progress bar; the rows come back in
/// seed order, the same for any `jobs`.
pub fn sweep_rows(
    engine: EngineKind,
    jobs: u32,
    scenario: &Scenario,
    seeds: SeedRange,
) -> anyhow::Result<Vec<SeedRow>> {
    let limits = RunLimits::default();
    run_all(
        engine,
        jobs,
        scenario,
        seeds,
        &limits,
        &ProgressBar::hidden(),
    )
    .map(|(rows, _)| rows)
}

/// The slowest seed's run and its wall time in seconds: for the terminal only, never a file,
/// since wall time differs from one machine and one moment to the next.
type Slowest = Option<(u64, f64)>;

/// Runs every seed on `jobs` threads; the rows come back in seed order.
fn run_all(
    engine: EngineKind,
    jobs: u32,
    scenario: &Scenario,
    seeds: SeedRange,
    limits: &RunLimits,
    bar: &ProgressBar,
) -> anyhow::Result<(Vec<SeedRow>, Slowest)> {
    let count = seeds.count() as usize;
    let next = AtomicU64::new(seeds.start);
    let results: Mutex<Vec<Option<anyhow::Result<SeedRow>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let slowest: Mutex<Slowest> = Mutex::new(None);
    // Threads across runs, never inside one: each run stays single-threaded and deterministic.
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(count as u32) {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= seeds.end || crate::interrupt::interrupted() {
                        break;
                    }
                    let (wall_s, result) = timed(|| run_seed(engine, scenario, seed, limits));
                    let slot = (seed - seeds.start) as usize;
                    results.lock().expect("no thread panics holding it")[slot] = Some(result);
                    let mut slowest = slowest.lock().expect("no thread panics holding it");
                    if slowest.is_none_or(|(_, longest_s)| wall_s > longest_s) {
                        *slowest = Some((seed, wall_s));
                    }
                    bar.inc(1);
                }
            });
        }
    });
    if crate::interrupt::interrupted() {
        return Err(Interrupted.into());
    }
    let rows = results
        .into_inner()
        .expect("no thread panicked holding it")
        .into_iter()
        .map(|result| result.expect("every seed ran"))
        .collect::<anyhow::Result<Vec<SeedRow>>>()?;
    Ok((
        rows,
        slowest.into_inner().expect("no thread panicked holding it"),
    ))
}

/// `work`'s wall time in seconds, and its value.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
fn timed<T>(work: impl FnOnce() -> T) -> (f64, T) {
    // The wall clock times a seed for the terminal's slowest-seed line; it never reaches a run.
    let start = std::time::Instant::now();
    let value = work();
    (start.elapsed().as_secs_f64(), value)
}

/// A sweep stopped by Ctrl-C.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
struct Interrupted;

/// Threads when `--jobs` is not given: the machine's cores. Results do not depend on it.
pub fn default_jobs() -> u32 {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().min(256) as u32)
}

fn progress_bar(seeds: u64, hidden: bool) -> ProgressBar {
    let visible = !hidden && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(seeds), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} seeds · {elapsed} · {eta} left",
        )
        .expect("valid template"),
    );
    bar
}

/// Writes `sweep.json`, `sweep.csv`, `sweep.html` and `charts/` into `folder`, and prints the
/// summary; the status says whether every seed met every expectation.
fn write_and_print(target: &Path, sweep: &Sweep, heading: &str) -> anyhow::Result<Status> {
    let (staging, leftover) = OutputFolder::begin(target)?;
    if let Some(leftover) = &leftover {
        eprintln!("{}", leftover_note(target, leftover));
    }
    let folder = staging.path();
    let write = |name: &str, text: &str| {
        let path = folder.join(name);
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write("sweep.json", &sweep.json())?;
    write("sweep.csv", &sweep.csv())?;
    let charts = sweep_charts(sweep);
    write_charts(folder, &charts)?;
    write(SWEEP_PAGE, &sweep_report_html(sweep, &charts))?;
    staging.commit()?;
    println!("{heading}\n");
    print!("{}", sweep.summary_text());
    println!(
        "\n  wrote {} (and sweep.csv, sweep.json, {} charts)",
        target.join(SWEEP_PAGE).display(),
        charts.len()
    );
    if sweep.rows.iter().all(SeedRow::ok) {
        Ok(Status::Ok)
    } else {
        Ok(Status::ExpectationsFailed)
    }
}

fn bad_input(message: &str, hint: &str) -> Status {
    eprintln!("error: {message}");
    eprintln!("hint: {hint}");
    Status::BadInput
}

pub fn sweep(args: &SweepArgs) -> anyhow::Result<Status> {
    let loaded = match scenario::load_file(&args.file) {
        Ok(loaded) => loaded,
        Err(error) => {
            crate::cli::report_load_error(&error);
            return Ok(Status::BadInput);
        }
    };
    let seeds = match parse_seeds(&args.seeds) {
        Ok(seeds) => seeds,
        Err(message) => {
            return Ok(bad_input(
                &message,
                "--seeds 0..100 runs seeds 0 to 99; --seeds 1..=10 runs 1 to 10",
            ));
        }
    };
    let shard = match args.shard.as_deref().map(Shard::parse).transpose() {
        Ok(shard) => shard,
        Err(message) => {
            return Ok(bad_input(
                &message,
                "--shard 1/4 runs the first quarter of the seeds; join the four with meshsim merge",
            ));
        }
    };
    let scenario = &loaded.scenario;
    if let Some(status) = crate::cli::refuse_past_limits(&loaded, &args.limits.limits()) {
        return Ok(status);
    }
    let info = SweepInfo {
        format: SWEEP_FORMAT,
        meshsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        scenario: scenario.scenario.name.clone(),
        file: loaded.file.clone(),
        scenario_digest: format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(loaded.source.as_bytes())
        ),
        engine: args.engine.name().to_owned(),
        seeds,
        shard,
        expectations: scenario
            .expectations
            .iter()
            .map(|expectation| {
                let bounds = expect::describe_expected(expectation);
                format!("{} {bounds}", expectation.metric)
            })
            .collect(),
        rollouts: scenario
            .rollouts
            .iter()
            .map(|rollout| rollout.service.clone())
            .collect(),
    };
    let own = info.own_seeds();
    let out = args.out.clone().unwrap_or_else(|| {
        let name = match shard {
            Some(shard) => format!("{}-sweep-{}-of-{}", info.scenario, shard.index, shard.count),
            None => format!("{}-sweep", info.scenario),
        };
        Path::new("out").join(name)
    });
    let bar = progress_bar(own.count(), args.no_progress);
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    let limits = args.limits.limits();
    let (wall_s, ran) = timed(|| run_all(args.engine, jobs, scenario, own, &limits, &bar));
    let (rows, slowest) = match ran {
        Ok(ran) => ran,
        Err(error) if error.is::<Interrupted>() => {
            bar.finish_and_clear();
            eprintln!(
                "interrupted: nothing was written, and {} {}",
                out.display(),
                if out.exists() {
                    "holds the previous sweep, whole"
                } else {
                    "was not created"
                }
            );
            return Ok(Status::Interrupted);
        }
        Err(error) => return Err(error),
    };
    bar.finish_and_clear();
    let part = shard.map_or_else(String::new, |shard| format!(", shard {shard}: seeds {own}"));
    let heading = format!(
        "meshsim sweep {} ({} engine, seeds {seeds}{part})",
        info.scenario, info.engine
    );
    let status = write_and_print(&out, &Sweep { info, rows }, &heading)?;
    if let Some((seed, longest_s)) = slowest {
        println!(
            "  {} seeds in {wall_s:.2} s wall on {jobs} threads; the slowest, seed {seed}, took {longest_s:.3} s",
            own.count()
        );
    }
    Ok(status)
}

/// Bad input to `merge`, with its hint.
fn refused(error: &meshsim_reports::SweepError) -> Status {
    bad_input(
        &error.message,
        error
            .hint
            .as_deref()
            .unwrap_or("merge the folders of one sweep's shards"),
    )
}

pub fn merge(args: &MergeArgs) -> anyhow::Result<Status> {
    let mut parts = Vec::with_capacity(args.folders.len());
    for folder in &args.folders {
        match Sweep::read(folder) {
            Ok(part) => parts.push((folder.display().to_string(), part)),
            Err(error) => return Ok(refused(&error)),
        }
    }
    let shards = parts.len();
    let sweep = match Sweep::merge(parts) {
        Ok(sweep) => sweep,
        Err(error) => return Ok(refused(&error)),
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("{}-sweep", sweep.info.scenario)));
    let heading = format!(
        "meshsim merge {} ({} engine, seeds {}, from {shards} folders)",
        sweep.info.scenario, sweep.info.engine, sweep.info.seeds
    );
    write_and_print(&out, &sweep, &heading)
}

#[cfg(test)]
mod tests {
    use super::{SeedRange, parse_seeds};

    #[test]
    fn seed_ranges_parse_as_rust_writes_them() {
        assert_eq!(parse_seeds("0..100"), Ok(SeedRange { start: 0, end: 100 }));
        assert_eq!(parse_seeds("1..=10"), Ok(SeedRange { start: 1, end: 11 }));
        assert!(parse_seeds("5..5").is_err());
        assert!(parse_seeds("ten..20").is_err());
        assert!(parse_seeds("0..2000000").is_err());
        assert!(parse_seeds("42").is_err());
    }
}
