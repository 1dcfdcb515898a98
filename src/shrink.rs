//! `meshsim shrink FILE --seed N`: the smallest fault timeline that still fails.
//!
//! A failing scenario often carries more faults than its failure needs. The shrinker drops
//! faults, shortens them and moves them later for as long as at least one of the expectations
//! that failed still fails, and writes what is left as a scenario `meshsim run FILE --seed N`
//! replays. The search ([`shrink_timeline`]) is pure logic over a list of faults and an oracle
//! that says whether a candidate still fails; the command ([`shrink`]) makes the oracle from the
//! simulation, run in-process without writing a file. Same input and seed: same steps, same file.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use meshsim_record::RecorderOutputs;
use meshsim_reports::ExpectationOutcome;

use crate::cli::{ShrinkArgs, Status, color_for};
use crate::expect;
use crate::fault_timeline::{FaultSpec, spell, write_scenario_with_faults};
use crate::scenario::{self, Duration, Scenario};
use crate::simulate::simulate;

/// What the oracle says of a candidate timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// At least one of the expectations that failed at first still fails.
    StillFails,
    /// Every one of them passes now (or the run was wrong in another way).
    Passes,
    /// The candidate is not a valid scenario; it was not run and costs no run.
    Invalid,
}

/// One accepted step of the search, as the command prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Faults dropped: each one's number in the original file and its label.
    Removed(Vec<(usize, String)>),
    /// Every fault dropped: the failure needs none of them.
    RemovedAll(usize),
    /// A fault's `duration` (or a crash's `restart_after`) shortened, or given to an
    /// open-ended one (`from` is `None`).
    Shortened {
        fault: usize,
        key: &'static str,
        from: Option<Duration>,
        to: Duration,
    },
    /// A fault starting later.
    Moved {
        fault: usize,
        from: Duration,
        to: Duration,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Removed(faults) => {
                let numbers: Vec<String> = faults.iter().map(|(n, _)| n.to_string()).collect();
                let labels: Vec<&str> = faults.iter().map(|(_, label)| label.as_str()).collect();
                let plural = if faults.len() == 1 { "" } else { "s" };
                write!(
                    formatter,
                    "removed fault{plural} {} ({})",
                    numbers.join(", "),
                    labels.join("; ")
                )
            }
            Step::RemovedAll(count) => write!(
                formatter,
                "removed all {count} faults: the expectations fail without any"
            ),
            Step::Shortened {
                fault,
                key,
                from,
                to,
            } => {
                let from = from.map_or_else(|| "open-ended".to_owned(), spell);
                write!(formatter, "fault {fault}: {key} {from} -> {}", spell(*to))
            }
            Step::Moved { fault, from, to } => {
                write!(
                    formatter,
                    "fault {fault}: at {} -> {}",
                    spell(*from),
                    spell(*to)
                )
            }
        }
    }
}

/// What a search may do.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The scenario's `duration`: every fault starts, and a moved one ends, inside the run.
    pub run_end: Duration,
    /// The most candidates the oracle runs (invalid ones and repeats cost nothing).
    pub max_runs: u32,
}

/// Where a search ended.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest timeline found that still fails.
    pub faults: Vec<FaultSpec>,
    pub steps: Vec<Step>,
    /// Candidates the oracle ran.
    pub runs: u32,
    /// The search stopped because `max_runs` was reached, not at a fixed point.
    pub budget_spent: bool,
}

/// A fault's number for the user: its place in the original file, from 1.
pub fn fault_number(spec: &FaultSpec, position: usize) -> usize {
    spec.origin.unwrap_or(position) + 1
}

/// The shortest length a fault is shortened to: a hundredth of the run, at least 10 ms and at
/// most a second. Shorter than that, a fault says little more about the failure and takes a
/// microscope to read.
pub fn length_floor(run_end: Duration) -> Duration {
    let nanos = (run_end.as_nanos() / 100).clamp(10_000_000, 1_000_000_000);
    Duration::from_nanos(nanos)
}

/// How finely a value of `nanos` is written: whole seconds from 10 s, tenths from 1 s, whole
/// milliseconds below. Candidates are rounded down to it so the shrunk file reads `7s`, not
/// `7.03125s`.
fn granularity(nanos: u64) -> u64 {
    match nanos {
        10_000_000_000.. => 1_000_000_000,
        1_000_000_000.. => 100_000_000,
        _ => 1_000_000,
    }
}

fn round_down(nanos: u64, step: u64) -> u64 {
    nanos - nanos % step
}

/// Probes between an accepted value and a rejected one after halving stopped: a few, so one
/// fault cannot spend the budget on the last percent.
const BISECTIONS_MAX: u32 = 3;

/// Whole passes (removal, then each fault's length and start) before giving up on a fixed
/// point; each pass that changes nothing ends the search, so this bound is only a backstop.
const PASSES_MAX: u32 = 64;

/// The two numbers of a fault the search moves.
#[derive(Debug, Clone, Copy)]
enum Knob {
    Length,
    Start,
}

struct Search<'o> {
    current: Vec<FaultSpec>,
    bounds: Bounds,
    floor: Duration,
    runs: u32,
    budget_spent: bool,
    /// Verdicts by candidate, so a probe repeated in a later pass costs no run.
    seen: BTreeMap<String, Verdict>,
    steps: Vec<Step>,
    oracle: &'o mut dyn FnMut(&[FaultSpec]) -> Verdict,
    on_step: &'o mut dyn FnMut(&Step),
}

/// Shrinks `faults`, a timeline the oracle says fails, while the oracle keeps saying so: first
/// removal (all at once, then halves and smaller chunks, then one by one, as ddmin does), then for
/// each fault its length halved toward [`length_floor`] and its start moved later toward the end
/// of the run, in passes until one changes nothing or `max_runs` candidates have run.
/// `on_step` hears each accepted step as it happens.
pub fn shrink_timeline(
    faults: Vec<FaultSpec>,
    bounds: Bounds,
    oracle: &mut dyn FnMut(&[FaultSpec]) -> Verdict,
    on_step: &mut dyn FnMut(&Step),
) -> Shrunk {
    let mut search = Search {
        seen: BTreeMap::new(),
        floor: length_floor(bounds.run_end),
        current: faults,
        bounds,
        runs: 0,
        budget_spent: false,
        steps: Vec::new(),
        oracle,
        on_step,
    };
    // The timeline given is known to fail.
    let start = key(&search.current);
    search.seen.insert(start, Verdict::StillFails);
    let count = search.current.len();
    if count > 0 && !search.accept(Vec::new(), Step::RemovedAll(count)) {
        for _ in 0..PASSES_MAX {
            let mut changed = search.remove_chunks();
            for index in 0..search.current.len() {
                changed |= search.approach(index, Knob::Length);
                changed |= search.approach(index, Knob::Start);
            }
            if !changed || search.budget_spent {
                break;
            }
        }
    }
    Shrunk {
        faults: search.current,
        steps: search.steps,
        runs: search.runs,
        budget_spent: search.budget_spent,
    }
}

fn key(faults: &[FaultSpec]) -> String {
    format!("{faults:?}")
}

impl Search<'_> {
    /// Asks the oracle about `candidate` (or remembers its answer) and takes it if it still
    /// fails.
    fn accept(&mut self, candidate: Vec<FaultSpec>, step: Step) -> bool {
        let key = key(&candidate);
        let verdict = if let Some(verdict) = self.seen.get(&key) {
            *verdict
        } else {
            if self.runs >= self.bounds.max_runs {
                self.budget_spent = true;
                return false;
            }
            let verdict = (self.oracle)(&candidate);
            if verdict != Verdict::Invalid {
                self.runs += 1;
            }
            self.seen.insert(key, verdict);
            verdict
        };
        if verdict != Verdict::StillFails {
            return false;
        }
        self.current = candidate;
        (self.on_step)(&step);
        self.steps.push(step);
        true
    }

    /// ddmin's reduction to complements: removes chunks of a size that halves until single
    /// faults, keeping every removal after which the failure persists.
    fn remove_chunks(&mut self) -> bool {
        let mut changed = false;
        let mut chunks = 2;
        while self.current.len() > 1 && !self.budget_spent {
            let count = self.current.len();
            let size = count.div_ceil(chunks);
            let mut removed = false;
            for start in (0..count).step_by(size) {
                let end = (start + size).min(count);
                let gone: Vec<(usize, String)> = (start..end)
                    .map(|i| (fault_number(&self.current[i], i), self.current[i].label()))
                    .collect();
                let mut candidate = self.current[..start].to_vec();
                candidate.extend_from_slice(&self.current[end..]);
                if self.accept(candidate, Step::Removed(gone)) {
                    removed = true;
                    break;
                }
            }
            if removed {
                changed = true;
                chunks = (chunks - 1).max(2);
            } else if size == 1 {
                break;
            } else {
                chunks = (chunks * 2).min(count);
            }
        }
        changed
    }

    /// The knob's value now and the value it moves toward, in nanoseconds; `None` when it
    /// cannot move. A length moves toward zero (it halves) and stops at the floor; a start
    /// moves toward the latest time at which the fault still ends inside the run. An
    /// open-ended fault lasts to the end of the run.
    fn span(&self, index: usize, knob: Knob) -> Option<(u64, u64)> {
        let spec = &self.current[index];
        let end = self.bounds.run_end.as_nanos();
        let at = spec.fault.at.as_nanos();
        let floor = self.floor.as_nanos();
        match knob {
            Knob::Length => {
                let now = spec
                    .length()
                    .map_or(end.saturating_sub(at), Duration::as_nanos);
                (now > floor).then_some((now, 0))
            }
            Knob::Start => {
                let latest = end.saturating_sub(spec.length().map_or(floor, Duration::as_nanos));
                (latest > at).then_some((at, latest))
            }
        }
    }

    /// The knob set `distance` from its goal, rounded to a value a file would say (and a
    /// length to no less than the floor); its distance after rounding.
    fn probe(&self, index: usize, knob: Knob, goal: u64, distance: u64) -> (u64, FaultSpec) {
        let spec = &self.current[index];
        match knob {
            Knob::Length => {
                let value = round_down(distance, granularity(distance)).max(self.floor.as_nanos());
                (value, spec.with_length(Some(Duration::from_nanos(value))))
            }
            Knob::Start => {
                let value =
                    round_down(goal - distance, granularity(self.bounds.run_end.as_nanos()));
                (goal - value, spec.with_start(Duration::from_nanos(value)))
            }
        }
    }

    /// Moves one knob of fault `index` toward its goal: halves the distance while the failure
    /// persists, then bisects a few times between the last value kept and the first lost.
    fn approach(&mut self, index: usize, knob: Knob) -> bool {
        let Some((now, goal)) = self.span(index, knob) else {
            return false;
        };
        let mut kept = now.abs_diff(goal);
        let mut lost: Option<u64> = None;
        let mut bisections = 0;
        let mut changed = false;
        while kept > 0 && !self.budget_spent {
            let target = match lost {
                None => kept / 2,
                Some(lost) => lost + (kept - lost) / 2,
            };
            let (distance, probe) = self.probe(index, knob, goal, target);
            if distance >= kept || lost.is_some_and(|lost| distance <= lost) {
                break;
            }
            if lost.is_some() {
                if bisections == BISECTIONS_MAX {
                    break;
                }
                bisections += 1;
            }
            let step = self.step(index, knob, &probe);
            let mut candidate = self.current.clone();
            candidate[index] = probe;
            if self.accept(candidate, step) {
                kept = distance;
                changed = true;
            } else {
                lost = Some(distance);
            }
        }
        changed
    }

    fn step(&self, index: usize, knob: Knob, probe: &FaultSpec) -> Step {
        let spec = &self.current[index];
        let fault = fault_number(spec, index);
        match knob {
            Knob::Length => Step::Shortened {
                fault,
                key: spec.length_key(),
                from: spec.length(),
                to: probe.length().expect("a probe sets the length"),
            },
            Knob::Start => Step::Moved {
                fault,
                from: spec.fault.at,
                to: probe.fault.at,
            },
        }
    }
}

// ----- the command -----

/// A run's expectations, and whether every request was accounted for.
struct Checked {
    accounted: bool,
    outcomes: Vec<ExpectationOutcome>,
}

/// Runs `scenario` in-process with no files and checks its expectations.
fn check_run(scenario: &Scenario, seed: u64) -> Checked {
    let simulation = simulate(scenario, seed, RecorderOutputs::default(), &mut |_, _| {})
        .expect("a run that writes no file has no output to fail on");
    Checked {
        accounted: simulation.summary.accounting.ok,
        outcomes: scenario
            .expectations
            .iter()
            .map(|expectation| expect::check(&simulation.summary, expectation))
            .collect(),
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
pub fn default_out(input: &Path) -> PathBuf {
    let stem = input.file_stem().map_or_else(
        || "scenario".to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    );
    PathBuf::from(format!("{stem}.shrunk.toml"))
}

fn bad_input(error: &str, hint: &str) -> Status {
    eprintln!("error: {error}");
    eprintln!("hint: {hint}");
    Status::BadInput
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
    let stderr_color = color_for(std::io::stderr().is_terminal());
    let loaded = scenario::load_file(&args.file).map_err(|error| {
        crate::cli::report_load_error(&error);
        Status::BadInput
    })?;
    for warning in &loaded.warnings {
        eprint!("{}", warning.render(&loaded.source, stderr_color));
    }
    let seed = args.seed.unwrap_or(loaded.scenario.scenario.seed);
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
    if loaded.scenario.faults.is_empty() {
        return Err(bad_input(
            &format!(
                "{} has no [[fault]]: nothing to shrink",
                args.file.display()
            ),
            "shrink minimises a failing scenario's fault timeline; `meshsim run` shows which expectations fail",
        ));
    }
    let first = check_run(&loaded.scenario, seed);
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
        let Ok(candidate) = scenario::load_str(label, &text) else {
            return Verdict::Invalid;
        };
        let checked = check_run(&candidate.scenario, failing.seed);
        if !checked.accounted || failing_among(&checked.outcomes, &failing.names).is_empty() {
            return Verdict::Passes;
        }
        failing_runs.insert(text, checked.outcomes);
        Verdict::StillFails
    };
    let bounds = Bounds {
        run_end: failing.loaded.scenario.scenario.duration,
        // The first run counts against the budget too.
        max_runs: max_runs.saturating_sub(1),
    };
    let timeline = FaultSpec::timeline_of(&failing.loaded.scenario);
    let shrunk = shrink_timeline(timeline, bounds, &mut oracle, &mut |step| {
        println!("- {step}");
    });
    (shrunk, failing_runs)
}

#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
pub fn shrink(args: &ShrinkArgs) -> anyhow::Result<Status> {
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
    let total = failing.loaded.scenario.faults.len();
    println!("  {total} faults:");
    list_faults(&FaultSpec::timeline_of(&failing.loaded.scenario));

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

#[cfg(test)]
mod tests {
    use super::{Bounds, Step, Verdict, fault_number, shrink_timeline};
    use crate::fault_timeline::FaultSpec;
    use crate::scenario::Duration;
    use crate::scenario::schema::{Fault, FaultKind};

    fn secs(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn fault(kind: FaultKind, at: u64, length: Option<u64>) -> Fault {
        let length = length.map(secs);
        Fault {
            at: secs(at),
            duration: if kind == FaultKind::Crash {
                None
            } else {
                length
            },
            kind,
            between: (kind == FaultKind::Latency).then(|| vec!["a".to_owned(), "b".to_owned()]),
            target: (kind != FaultKind::Latency).then(|| "b".to_owned()),
            restart_after: if kind == FaultKind::Crash {
                length
            } else {
                None
            },
            add: (kind == FaultKind::Latency).then(|| Duration::from_millis(5)),
            loss: None,
        }
    }

    /// Eight faults in a 100 s run; the fourth, a crash, is the only one that matters, and only
    /// while it lasts at least 3 s and starts before 70 s.
    fn timeline() -> Vec<FaultSpec> {
        (0..8)
            .map(|index| FaultSpec {
                origin: Some(index),
                fault: if index == 3 {
                    fault(FaultKind::Crash, 10, Some(50))
                } else {
                    fault(FaultKind::Latency, 5 * index as u64, Some(20))
                },
            })
            .collect()
    }

    fn oracle(faults: &[FaultSpec]) -> Verdict {
        let fails = faults.iter().any(|spec| {
            spec.origin == Some(3)
                && spec.length().is_none_or(|length| length >= secs(3))
                && spec.fault.at < secs(70)
        });
        if fails {
            Verdict::StillFails
        } else {
            Verdict::Passes
        }
    }

    fn shrink(max_runs: u32) -> (super::Shrunk, Vec<Step>) {
        let mut heard = Vec::new();
        let bounds = Bounds {
            run_end: secs(100),
            max_runs,
        };
        let shrunk = shrink_timeline(timeline(), bounds, &mut oracle, &mut |step| {
            heard.push(step.clone());
        });
        (shrunk, heard)
    }

    #[test]
    fn keeps_the_one_fault_that_matters_shorter_and_later() {
        let (shrunk, heard) = shrink(300);
        assert_eq!(shrunk.faults.len(), 1);
        let left = &shrunk.faults[0];
        assert_eq!(fault_number(left, 0), 4);
        let length = left.length().unwrap();
        assert!(length >= secs(3) && length < secs(5), "{length}");
        assert!(
            left.fault.at > secs(60) && left.fault.at < secs(70),
            "{}",
            left.fault.at
        );
        assert!(!shrunk.budget_spent);
        assert_eq!(heard, shrunk.steps);
        assert!(
            matches!(&shrunk.steps[0], Step::Removed(faults) if faults.len() == 4),
            "{:?}",
            shrunk.steps[0]
        );
    }

    #[test]
    fn the_same_input_takes_the_same_steps() {
        let (first, _) = shrink(300);
        let (second, _) = shrink(300);
        assert_eq!(first.steps, second.steps);
        assert_eq!(first.runs, second.runs);
    }

    #[test]
    fn stops_at_the_budget_with_a_timeline_that_still_fails() {
        let (shrunk, _) = shrink(6);
        assert_eq!(shrunk.runs, 6);
        assert!(shrunk.budget_spent);
        assert_eq!(oracle(&shrunk.faults), Verdict::StillFails);
    }

    #[test]
    fn removes_everything_when_no_fault_is_needed() {
        let mut always = |_: &[FaultSpec]| Verdict::StillFails;
        let bounds = Bounds {
            run_end: secs(100),
            max_runs: 300,
        };
        let shrunk = shrink_timeline(timeline(), bounds, &mut always, &mut |_| {});
        assert!(shrunk.faults.is_empty());
        assert_eq!(shrunk.steps, [Step::RemovedAll(8)]);
        assert_eq!(shrunk.runs, 1);
    }

    #[test]
    fn invalid_candidates_cost_no_run_and_are_never_taken() {
        let mut invalid = |_: &[FaultSpec]| Verdict::Invalid;
        let bounds = Bounds {
            run_end: secs(100),
            max_runs: 300,
        };
        let shrunk = shrink_timeline(timeline(), bounds, &mut invalid, &mut |_| {});
        assert_eq!(shrunk.faults.len(), 8);
        assert_eq!(shrunk.runs, 0);
        assert!(shrunk.steps.is_empty());
    }

    #[test]
    fn an_open_ended_fault_is_given_a_length() {
        let mut faults = timeline();
        faults[3] = faults[3].with_length(None);
        let bounds = Bounds {
            run_end: secs(100),
            max_runs: 300,
        };
        let shrunk = shrink_timeline(faults, bounds, &mut oracle, &mut |_| {});
        assert!(shrunk.steps.iter().any(|step| matches!(
            step,
            Step::Shortened {
                from: None,
                key: "restart_after",
                ..
            }
        )));
        assert!(shrunk.faults[0].length().is_some());
    }
}
