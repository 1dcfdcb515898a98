//! `meshsim sweep FILE --seeds A..B --jobs N`: one scenario over many seeds, on N threads.
//!
//! Each seed is a whole run of its own, single-threaded as every run is; the threads only share
//! out the seeds. Results are kept by seed and written in seed order, so the output does not
//! depend on N or on which thread finished first. `sweep.csv` has a row per seed, and the
//! terminal shows how the key figures spread over the seeds, the expectations' pass rate, each
//! rollout's outcomes and decision times, and the worst seeds with the command that replays
//! each one.

use std::fmt::Write as _;
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use indexmap::IndexMap;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meshsim_sim::RecorderOutputs;

use crate::cli::Status;
use crate::expect;
use crate::scenario::{self, Scenario};
use crate::simulate::{EngineKind, simulate_on};

/// Seeds one sweep may run: a million runs of a small scenario is a long night already.
pub const SWEEP_SEEDS_MAX: u64 = 1_000_000;

/// Worst seeds listed with their replay command.
const WORST_LISTED: usize = 5;

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The scenario file (TOML, format 1).
    pub file: PathBuf,
    /// The seeds: `A..B` (B excluded) or `A..=B`.
    #[arg(long)]
    pub seeds: String,
    /// Threads running seeds at once; the results do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub jobs: u32,
    /// The engine of every run.
    #[arg(long, value_enum, default_value_t = EngineKind::Event)]
    pub engine: EngineKind,
    /// Where to write `sweep.csv`; defaults to `out/NAME-sweep`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// What one seed's run gave.
#[derive(Debug, Clone)]
struct SeedResult {
    seed: u64,
    digest: String,
    sent: u64,
    success_rate: Option<f64>,
    latency_p99_ms: f64,
    passed: usize,
    expectations: usize,
    accounted: bool,
    /// Each rollout's outcome and decision time, by service.
    rollouts: IndexMap<String, (&'static str, Option<f64>)>,
}

impl SeedResult {
    fn ok(&self) -> bool {
        self.accounted && self.passed == self.expectations
    }
}

/// Parses `A..B` or `A..=B` into the seeds it names.
pub fn parse_seeds(text: &str) -> Result<std::ops::Range<u64>, String> {
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
    Ok(start..end)
}

fn run_seed(engine: EngineKind, scenario: &Scenario, seed: u64) -> anyhow::Result<SeedResult> {
    let simulation = simulate_on(
        engine,
        scenario,
        seed,
        RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .map_err(|error| anyhow::anyhow!("seed {seed}: {error}"))?;
    let summary = &simulation.summary;
    let passed = scenario
        .expectations
        .iter()
        .filter(|expectation| expect::check(summary, expectation).ok)
        .count();
    Ok(SeedResult {
        seed,
        digest: summary.digest.clone(),
        sent: summary.requests.sent,
        success_rate: summary.success_rate,
        latency_p99_ms: summary.latency_ms.p99,
        passed,
        expectations: scenario.expectations.len(),
        accounted: summary.accounting.ok,
        rollouts: summary
            .rollouts
            .iter()
            .map(|(service, rollout)| (service.clone(), (rollout.outcome.name(), rollout.time_s)))
            .collect(),
    })
}

/// Runs every seed on `jobs` threads; the results come back in seed order.
fn run_all(
    args: &SweepArgs,
    scenario: &Scenario,
    seeds: std::ops::Range<u64>,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<SeedResult>> {
    let count = (seeds.end - seeds.start) as usize;
    let next = AtomicU64::new(seeds.start);
    let results: Mutex<Vec<Option<anyhow::Result<SeedResult>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    // Threads across runs, never inside one: each run stays single-threaded and deterministic.
    std::thread::scope(|scope| {
        for _ in 0..args.jobs.min(count as u32) {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= seeds.end {
                        break;
                    }
                    let result = run_seed(args.engine, scenario, seed);
                    let slot = (seed - seeds.start) as usize;
                    results.lock().expect("no thread panics holding it")[slot] = Some(result);
                    bar.inc(1);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no thread panicked holding it")
        .into_iter()
        .map(|result| result.expect("every seed ran"))
        .collect()
}

/// The 0th, 50th, 90th and 100th percentile of `values` (sorted here), as text.
fn spread(values: &mut [f64], unit: &str) -> String {
    if values.is_empty() {
        return "no value".to_owned();
    }
    values.sort_by(f64::total_cmp);
    let at = |quantile: f64| {
        let index = ((values.len() - 1) as f64 * quantile).round() as usize;
        values[index]
    };
    format!(
        "min {}{unit}, p50 {}{unit}, p90 {}{unit}, max {}{unit}",
        short(at(0.0)),
        short(at(0.5)),
        short(at(0.9)),
        short(at(1.0))
    )
}

/// Four decimals at most, trailing zeros dropped: `300`, `0.9924`.
fn short(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn write_csv(folder: &Path, results: &[SeedResult]) -> anyhow::Result<()> {
    let services: Vec<String> = results
        .first()
        .map(|result| result.rollouts.keys().cloned().collect())
        .unwrap_or_default();
    let path = folder.join("sweep.csv");
    let mut writer = csv::Writer::from_path(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut header: Vec<String> = [
        "seed",
        "ok",
        "expectations_passed",
        "expectations",
        "sent",
        "success_rate",
        "latency_p99_ms",
        "digest",
    ]
    .map(str::to_owned)
    .to_vec();
    for service in &services {
        header.push(format!("rollout.{service}.outcome"));
        header.push(format!("rollout.{service}.time_s"));
    }
    writer.write_record(&header)?;
    for result in results {
        let mut row = vec![
            result.seed.to_string(),
            result.ok().to_string(),
            result.passed.to_string(),
            result.expectations.to_string(),
            result.sent.to_string(),
            result
                .success_rate
                .map_or_else(String::new, |rate| format!("{rate:.6}")),
            format!("{:.3}", result.latency_p99_ms),
            result.digest.clone(),
        ];
        for service in &services {
            let (outcome, time) = result.rollouts.get(service).copied().unwrap_or(("", None));
            row.push(outcome.to_owned());
            row.push(time.map_or_else(String::new, |time| format!("{time}")));
        }
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// The terminal summary: spread of the key figures, rollouts, and the worst seeds.
fn summary_text(file: &Path, results: &[SeedResult]) -> String {
    let mut out = String::new();
    let ok = results.iter().filter(|result| result.ok()).count();
    let _ = writeln!(
        out,
        "  seeds {}: {ok} met every expectation ({:.1} %)",
        results.len(),
        100.0 * ok as f64 / results.len() as f64
    );
    let mut rates: Vec<f64> = results.iter().filter_map(|r| r.success_rate).collect();
    let mut p99s: Vec<f64> = results.iter().map(|r| r.latency_p99_ms).collect();
    let _ = writeln!(out, "  success rate: {}", spread(&mut rates, ""));
    let _ = writeln!(out, "  latency p99:  {}", spread(&mut p99s, " ms"));
    let services: Vec<String> = results
        .first()
        .map(|result| result.rollouts.keys().cloned().collect())
        .unwrap_or_default();
    for service in &services {
        let mut outcomes: IndexMap<&str, usize> = IndexMap::new();
        let mut times: Vec<f64> = Vec::new();
        for result in results {
            if let Some((outcome, time)) = result.rollouts.get(service) {
                *outcomes.entry(outcome).or_default() += 1;
                times.extend(time);
            }
        }
        let shares: Vec<String> = outcomes
            .iter()
            .map(|(outcome, count)| {
                format!(
                    "{outcome} {:.1} %",
                    100.0 * *count as f64 / results.len() as f64
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  rollout {service}: {}; time to decision {}",
            shares.join(", "),
            spread(&mut times, " s")
        );
    }
    // The worst: failed seeds first, then by success rate.
    let mut order: Vec<&SeedResult> = results.iter().collect();
    order.sort_by(|a, b| {
        a.ok()
            .cmp(&b.ok())
            .then(
                a.success_rate
                    .unwrap_or(0.0)
                    .total_cmp(&b.success_rate.unwrap_or(0.0)),
            )
            .then(a.seed.cmp(&b.seed))
    });
    let _ = writeln!(out, "  worst seeds:");
    for result in order.iter().take(WORST_LISTED) {
        let _ = writeln!(
            out,
            "    seed {}: {} of {} expectations, success {}  ·  meshsim run {} --seed {}",
            result.seed,
            result.passed,
            result.expectations,
            result
                .success_rate
                .map_or_else(|| "-".to_owned(), |rate| format!("{rate:.4}")),
            file.display(),
            result.seed
        );
    }
    out
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
            eprintln!("error: {message}");
            eprintln!("hint: --seeds 0..100 runs seeds 0 to 99; --seeds 1..=10 runs 1 to 10");
            return Ok(Status::BadInput);
        }
    };
    let scenario = &loaded.scenario;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(format!("{}-sweep", scenario.scenario.name)));
    fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let visible =
        !args.no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = if visible {
        let bar = ProgressBar::with_draw_target(
            Some(seeds.end - seeds.start),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} seeds · {elapsed}")
                .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let results = run_all(args, scenario, seeds, &bar)?;
    bar.finish_and_clear();
    write_csv(&out, &results)?;
    println!(
        "meshsim sweep {} ({} engine)\n",
        scenario.scenario.name,
        args.engine.name()
    );
    print!("{}", summary_text(&args.file, &results));
    println!("\n  wrote {}", out.join("sweep.csv").display());
    if results.iter().all(SeedResult::ok) {
        Ok(Status::Ok)
    } else {
        Ok(Status::ExpectationsFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_seeds;

    #[test]
    fn seed_ranges_parse_as_rust_writes_them() {
        assert_eq!(parse_seeds("0..100"), Ok(0..100));
        assert_eq!(parse_seeds("1..=10"), Ok(1..11));
        assert!(parse_seeds("5..5").is_err());
        assert!(parse_seeds("ten..20").is_err());
        assert!(parse_seeds("0..2000000").is_err());
        assert!(parse_seeds("42").is_err());
    }
}
