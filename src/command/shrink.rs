//! `meshsim shrink FILE --seed N`: the smallest fault timeline that still fails, written as a
//! scenario `meshsim run FILE --seed N` replays. The search is `crate::shrink`; this command
//! gives it the simulation as its oracle, each candidate run in-process without writing a file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use meshsim_record::RecorderOutputs;
use meshsim_reports::ExpectationOutcome;

use super::loading::{load_or_report, print_warnings};
use super::status::{Status, bad_input};
use crate::expect;
use crate::fault_timeline::{FaultSpec, write_scenario_with_faults};
use crate::scenario::{self, Resolved};
use crate::shrink::{Bounds, Shrunk, Verdict, fault_number, shrink_timeline};
use crate::simulate::simulate;

#[derive(Debug, clap::Args)]
pub(crate) struct ShrinkArgs {
    /// The scenario file whose expectations fail (TOML, format 1).
    pub file: PathBuf,
    /// The seed it fails with; defaults to the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where to write the shrunk scenario; defaults to STEM.shrunk.toml in the current folder
    /// (`tests/x.toml` gives `x.shrunk.toml`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The most runs the search may take, the first one included.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_runs: u32,
}

/// A run's expectations, and whether every request was accounted for.
struct Checked {
    accounted: bool,
    outcomes: Vec<ExpectationOutcome>,
}

/// Runs a checked scenario in-process with no files and checks its expectations.
fn check_run(resolved: Resolved<'_>, seed: u64) -> Checked {
    let simulation = simulate(resolved, seed, RecorderOutputs::default(), &mut |_, _| {})
        .expect("a run that writes no file has no output to fail on");
    Checked {
        accounted: simulation.summary.accounting.ok,
        outcomes: expect::check_all(&simulation.summary, resolved),
    }
}

/// `value, expected >= 0.99`, with the reason when there is no value.
fn show_outcome(outcome: &ExpectationOutcome) -> String {
    let actual = match &outcome.actual {
        serde_json::Value::Number(number) if number.is_f64() => {
            let value = number.as_f64().unwrap_or_default();
            let text = format!("{value:.4}");
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => {
            format!("no value ({})", outcome.note.as_deref().unwrap_or("none"))
        }
        other => other.to_string(),
    };
    format!(
        "{} = {actual}, expected {}",
        outcome.metric, outcome.expected
    )
}

/// The failed expectations among `outcomes` whose metric is one of `names`.
fn failing_among<'a>(
    outcomes: &'a [ExpectationOutcome],
    names: &[String],
) -> Vec<&'a ExpectationOutcome> {
    outcomes
        .iter()
        .filter(|outcome| !outcome.ok && names.contains(&outcome.metric))
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// The comment the shrunk file opens with. It names files without their folders, so the bytes
/// do not depend on where the command ran.
fn header(
    input: &Path,
    out: &Path,
    seed: u64,
    counts: (usize, usize),
    failing: &[&ExpectationOutcome],
) -> String {
    let (left, total) = counts;
    let mut text = format!(
        "# Shrunk by `meshsim shrink` from {} with seed {seed}: {left} of {total} faults left.\n",
        file_name(input)
    );
    for outcome in failing {
        let _ = writeln!(text, "# Still fails: {}", show_outcome(outcome));
    }
    let _ = writeln!(
        text,
        "# Replay: meshsim run {} --seed {seed}\n",
        file_name(out)
    );
    text
}

/// Where the shrunk scenario goes without `--out`: the current folder, named after the input
/// (`tests/fixtures/shrink/checkout.toml` gives `checkout.shrunk.toml`), so that shrinking a
/// file of a repository leaves nothing beside it.
pub(crate) fn default_out(input: &Path) -> PathBuf {
    let stem = input.file_stem().map_or_else(
        || "scenario".to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    PathBuf::from(format!("{stem}.shrunk.toml"))
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (fs::canonicalize(a), fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

fn list_faults(faults: &[FaultSpec]) {
    for (position, spec) in faults.iter().enumerate() {
        println!("    {}. {}", fault_number(spec, position), spec.describe());
    }
}

/// A scenario that loaded and fails with its seed: what the search starts from.
struct Failing {
    loaded: scenario::Loaded,
    seed: u64,
    out: PathBuf,
    first: Checked,
    /// The metrics of the expectations that failed in the first run.
    names: Vec<String>,
}

/// Loads the scenario and runs it once; the status to exit with when there is nothing to
/// shrink.
fn failing_scenario(args: &ShrinkArgs) -> Result<Failing, Status> {
    let loaded = load_or_report(&args.file)?;
    print_warnings(&loaded);
    let seed = args.seed.unwrap_or(loaded.scenario().scenario.seed);
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.file));
    if same_file(&args.file, &out) {
        let hint = format!(
            "shrink never overwrites its input: give --out another path, or run it from another folder to write {} there",
            out.display()
        );
        let named = if args.out.is_some() {
            format!("`--out {}`", out.display())
        } else {
            format!("{} (the default output)", out.display())
        };
        return Err(bad_input(&format!("{named} is the scenario itself"), &hint));
    }
    if loaded.scenario().faults.is_empty() {
        return Err(bad_input(
            &format!(
                "{} has no [[fault]]: nothing to shrink",
                args.file.display()
            ),
            "shrink minimises a failing scenario's fault timeline; `meshsim run` shows which expectations fail",
        ));
    }
    let first = check_run(loaded.resolved(), seed);
    let replay = format!("meshsim run {} --seed {seed}", args.file.display());
    if !first.accounted {
        eprintln!("error: internal error: requests were not all accounted for (a bug in meshsim)");
        eprintln!("note: reproduce with `{replay}`");
        return Err(Status::InternalError);
    }
    let mut names: Vec<String> = Vec::new();
    for outcome in first.outcomes.iter().filter(|outcome| !outcome.ok) {
        if !names.contains(&outcome.metric) {
            names.push(outcome.metric.clone());
        }
    }
    if names.is_empty() {
        return Err(bad_input(
            &format!("the expectations already pass with seed {seed}: nothing to shrink"),
            &format!(
                "shrink takes a scenario that `{replay}` fails (exit 1); try another --seed, or check the [[expect]] bounds"
            ),
        ));
    }
    Ok(Failing {
        loaded,
        seed,
        out,
        first,
        names,
    })
}

/// Runs the search with the simulation as its oracle; the outcomes of every candidate that
/// still failed come back by text, to tell which expectations the shrunk file fails without
/// running it again.
fn search(
    failing: &Failing,
    label: &str,
    max_runs: u32,
) -> (Shrunk, BTreeMap<String, Vec<ExpectationOutcome>>) {
    let mut failing_runs = BTreeMap::new();
    let mut oracle = |faults: &[FaultSpec]| {
        let Ok(text) = write_scenario_with_faults(&failing.loaded.source, faults) else {
            return Verdict::Invalid;
        };
        // A candidate is loaded, and so checked, again: its resolution is its own.
        let Ok(candidate) = scenario::load_str(label, &text) else {
            return Verdict::Invalid;
        };
        let checked = check_run(candidate.resolved(), failing.seed);
        if !checked.accounted || failing_among(&checked.outcomes, &failing.names).is_empty() {
            return Verdict::Passes;
        }
        failing_runs.insert(text, checked.outcomes);
        Verdict::StillFails
    };
    let bounds = Bounds {
        run_end: failing.loaded.scenario().scenario.duration,
        // The first run counts against the budget too.
        max_runs: max_runs.saturating_sub(1),
    };
    let timeline = FaultSpec::timeline_of(failing.loaded.scenario());
    let shrunk = shrink_timeline(timeline, bounds, &mut oracle, &mut |step| {
        println!("- {step}");
    });
    (shrunk, failing_runs)
}

#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
pub(crate) fn shrink(args: &ShrinkArgs) -> anyhow::Result<Status> {
    // The wall clock times the search for the closing line only; it never reaches the file.
    let wall_start = std::time::Instant::now();
    let failing = match failing_scenario(args) {
        Ok(failing) => failing,
        Err(status) => return Ok(status),
    };
    let (seed, out) = (failing.seed, &failing.out);
    println!("meshsim shrink {} (seed {seed})", args.file.display());
    for outcome in failing_among(&failing.first.outcomes, &failing.names) {
        println!("  fails: {}", show_outcome(outcome));
    }
    let total = failing.loaded.scenario().faults.len();
    println!("  {total} faults:");
    list_faults(&FaultSpec::timeline_of(failing.loaded.scenario()));

    let (shrunk, failing_runs) = search(&failing, &args.file.display().to_string(), args.max_runs);
    let text = write_scenario_with_faults(&failing.loaded.source, &shrunk.faults)
        .context("writing the shrunk timeline into the scenario")?;
    let outcomes = failing_runs.get(&text).unwrap_or(&failing.first.outcomes);
    let still = failing_among(outcomes, &failing.names);
    assert!(!still.is_empty(), "the shrunk timeline still fails");
    let counts = (shrunk.faults.len(), total);
    let written = header(&args.file, out, seed, counts, &still) + &text;
    if let Err(error) = scenario::load_str(&out.display().to_string(), &written) {
        panic!("the shrunk scenario loaded as a candidate but not as a file:\n{error}");
    }
    fs::write(out, &written).with_context(|| format!("cannot write {}", out.display()))?;

    let wall_seconds = wall_start.elapsed().as_secs_f64();
    println!(
        "  {} of {total} faults left after {} runs in {wall_seconds:.2} wall s:",
        counts.0,
        shrunk.runs + 1
    );
    list_faults(&shrunk.faults);
    for outcome in &still {
        println!("  still fails: {}", show_outcome(outcome));
    }
    if args.out.is_some() {
        println!("  wrote {}", out.display());
    } else {
        println!(
            "  wrote {} in the current folder (--out PATH writes elsewhere)",
            out.display()
        );
    }
    println!("  replay: meshsim run {} --seed {seed}", out.display());
    if shrunk.budget_spent {
        eprintln!(
            "note: the budget of {} runs is spent; the timeline may shrink further with a larger --max-runs",
            args.max_runs
        );
    }
    Ok(Status::Ok)
}
