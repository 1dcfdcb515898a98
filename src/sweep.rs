//! One scenario over many seeds, on several threads: what `meshsim sweep` runs (the command is
//! `command::sweep`, and `command::merge` joins the shards of one).
//!
//! Each seed is a whole run of its own, single-threaded as every run is; the threads only share
//! out the seeds. Results are kept by seed and come back in seed order, so they do not depend on
//! the number of threads or on which thread finished first.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::ProgressBar;
use meshsim_record::RecorderOutputs;
use meshsim_reports::sweep::{
    MS_DECIMALS, RATE_DECIMALS, RolloutCell, SeedRange, SeedRow, rounded,
};

use crate::expect;
use crate::run_limits::RunLimits;
use crate::scenario::Resolved;
use crate::simulate::{EngineKind, simulate_with_limits};

/// One seed's run, as its row of `sweep.csv` holds it.
fn run_seed(
    engine: EngineKind,
    resolved: Resolved<'_>,
    seed: u64,
    limits: &RunLimits,
) -> anyhow::Result<SeedRow> {
    let simulation = simulate_with_limits(
        engine,
        resolved,
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
        expectations: expect::check_all(summary, resolved)
            .into_iter()
            .map(|outcome| outcome.ok)
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
    resolved: Resolved<'_>,
    seeds: SeedRange,
) -> anyhow::Result<Vec<SeedRow>> {
    let limits = RunLimits::default();
    run_all(
        engine,
        jobs,
        resolved,
        seeds,
        &limits,
        &ProgressBar::hidden(),
    )
    .map(|(rows, _)| rows)
}

/// The slowest seed's run and its wall time in seconds: for the terminal only, never a file,
/// since wall time differs from one machine and one moment to the next.
pub(crate) type Slowest = Option<(u64, f64)>;

/// Runs every seed on `jobs` threads; the rows come back in seed order.
pub(crate) fn run_all(
    engine: EngineKind,
    jobs: u32,
    resolved: Resolved<'_>,
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
                    let (wall_s, result) = timed(|| run_seed(engine, resolved, seed, limits));
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
pub(crate) fn timed<T>(work: impl FnOnce() -> T) -> (f64, T) {
    // The wall clock times a seed for the terminal's slowest-seed line; it never reaches a run.
    let start = std::time::Instant::now();
    let value = work();
    (start.elapsed().as_secs_f64(), value)
}

/// A sweep stopped by Ctrl-C.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub(crate) struct Interrupted;

/// Threads when `--jobs` is not given: the machine's cores. Results do not depend on it.
pub fn default_jobs() -> u32 {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().min(256) as u32)
}
