//! `meshsim sweep FILE --seeds A..B --jobs N`: one scenario over many seeds, on N threads
//! (`crate::sweep` runs them), written as `sweep.json`, `sweep.csv` and `sweep.html`. With
//! `--shard K/N` it runs one part of the seeds, and `meshsim merge` joins the parts.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meshsim_reports::sweep::{SWEEP_FORMAT, SeedRange};
use meshsim_reports::{Shard, Sweep, SweepInfo};

use super::limits::{LimitArgs, refuse_past_limits};
use super::loading::load_or_report;
use super::status::{Status, bad_input};
use super::sweep_folder::write_and_print;
use crate::expect;
use crate::scenario::Loaded;
use crate::simulate::EngineKind;
use crate::sweep::{Interrupted, default_jobs, run_all, timed};

/// Seeds one sweep may run: a million runs of a small scenario is a long night already.
pub(crate) const SWEEP_SEEDS_MAX: u64 = 1_000_000;

#[derive(Debug, clap::Args)]
pub(crate) struct SweepArgs {
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
    pub limits: LimitArgs,
}

/// Parses `A..B` or `A..=B` into the seeds it names.
pub(crate) fn parse_seeds(text: &str) -> Result<SeedRange, String> {
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

pub(crate) fn sweep(args: &SweepArgs) -> anyhow::Result<Status> {
    let loaded = match load_or_report(&args.file) {
        Ok(loaded) => loaded,
        Err(status) => return Ok(status),
    };
    let (seeds, shard) = match seeds_and_shard(args) {
        Ok(chosen) => chosen,
        Err(status) => return Ok(status),
    };
    if let Some(status) = refuse_past_limits(&loaded, &args.limits.limits()) {
        return Ok(status);
    }
    let info = sweep_info(args, &loaded, seeds, shard);
    let own = info.own_seeds();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&info.scenario, shard));
    let bar = progress_bar(own.count(), args.no_progress);
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    let limits = args.limits.limits();
    let resolved = loaded.resolved();
    let (wall_s, ran) = timed(|| run_all(args.engine, jobs, resolved, own, &limits, &bar));
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

/// `--seeds` and `--shard` read; bad input said with its hint.
fn seeds_and_shard(args: &SweepArgs) -> Result<(SeedRange, Option<Shard>), Status> {
    let seeds = parse_seeds(&args.seeds).map_err(|message| {
        bad_input(
            &message,
            "--seeds 0..100 runs seeds 0 to 99; --seeds 1..=10 runs 1 to 10",
        )
    })?;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(|message| {
            bad_input(
                &message,
                "--shard 1/4 runs the first quarter of the seeds; join the four with meshsim merge",
            )
        })?;
    Ok((seeds, shard))
}

/// What is swept, as `sweep.json` keeps it: a merge checks that its shards agree on all of it.
fn sweep_info(
    args: &SweepArgs,
    loaded: &Loaded,
    seeds: SeedRange,
    shard: Option<Shard>,
) -> SweepInfo {
    let scenario = loaded.scenario();
    SweepInfo {
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
    }
}

/// `out/NAME-sweep`, or `out/NAME-sweep-K-of-N` for a shard.
fn default_out(scenario: &str, shard: Option<Shard>) -> PathBuf {
    let name = match shard {
        Some(shard) => format!("{scenario}-sweep-{}-of-{}", shard.index, shard.count),
        None => format!("{scenario}-sweep"),
    };
    Path::new("out").join(name)
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
