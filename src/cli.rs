//! The command line: `meshsim run` and `meshsim check`. Raw arguments become validated settings
//! here; `main` only maps the result to an exit code.

use std::fs::{self, File};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meshsim_record::{RecorderOutputs, TraceOutput};
use meshsim_reports::{TableOptions, summary_json, summary_table};

use crate::expect;
use crate::output_folder::{OutputFolder, leftover_note};
use crate::report;
use crate::run_limits::RunLimits;
use crate::scenario::{self, LoadError};
use crate::simulate::{EngineKind, SimulateError, simulate_with_limits};

/// A deterministic simulator of microservice systems and their service mesh.
#[derive(Debug, Parser)]
#[command(name = "meshsim", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario from a seed; write its summary, metrics, events, charts and report.
    Run(RunArgs),
    /// Validate a scenario file without running it.
    Check(CheckArgs),
    /// Show the effective mesh policy on every call, each value with where it came from.
    Explain(crate::explain::ExplainArgs),
    /// Render a run's charts and report.html again from its files, without running it.
    Report(ReportArgs),
    /// Run two scenarios from one seed and show their differences.
    Compare(CompareArgs),
    /// Minimise the fault timeline of a scenario that fails, keeping the failure.
    Shrink(ShrinkArgs),
    /// Run a scenario over many seeds on several threads, and show how its figures spread.
    Sweep(crate::sweep::SweepArgs),
    /// Join the shards of a sweep (`meshsim sweep --shard K/N`) into the whole sweep.
    Merge(crate::sweep::MergeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ShrinkArgs {
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

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A run's output folder (holding summary.json, metrics.csv and events.csv).
    pub folder: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The first scenario (A).
    pub first: PathBuf,
    /// The second scenario (B).
    pub second: PathBuf,
    /// The seed both run from; defaults to A's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The output folder; defaults to `out/compare-A-vs-B`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The engine both run on.
    #[arg(long, value_enum, default_value_t = EngineKind::Event)]
    pub engine: EngineKind,
    /// Hide the progress bars.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file (TOML, format 1).
    pub file: PathBuf,
    /// The seed; defaults to the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The output folder; defaults to `out/<scenario name>`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The engine: `event` (fast, the default) or `turmoil` (every instance a turmoil host).
    #[arg(long, value_enum, default_value_t = EngineKind::Event)]
    pub engine: EngineKind,
    /// Also write `requests.csv`, one row per workload request.
    #[arg(long)]
    pub requests: bool,
    /// Write the spans of sampled requests as Chrome trace-event JSON to FILE (open it in
    /// <https://ui.perfetto.dev> or `chrome://tracing`).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// The share of workload requests `--trace` follows, from 0 to 1.
    #[arg(long, value_name = "RATE", default_value_t = DEFAULT_TRACE_SAMPLE)]
    pub trace_sample: f64,
    /// Hide the progress bar (it is hidden anyway when stderr is not a terminal or in CI).
    #[arg(long)]
    pub no_progress: bool,
    /// Log more to stderr (-v info, -vv debug); `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The limits on one run's work (`docs/hardening.md`).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct LimitArgs {
    /// Engine events a run may take; a scenario expected to need more is refused before it
    /// starts, and a run that takes more stops. Accepts `2e9`.
    #[arg(long, value_name = "N", value_parser = parse_count, default_value = "1e9")]
    pub max_events: u64,
    /// Workload requests a run may have in flight at once before it stops.
    #[arg(long, value_name = "N", value_parser = parse_count, default_value = "5e6")]
    pub max_in_flight: u64,
}

impl LimitArgs {
    pub fn limits(self) -> RunLimits {
        RunLimits {
            max_events: self.max_events,
            max_in_flight: self.max_in_flight,
        }
    }
}

/// A whole number, written out or as `2e9`.
fn parse_count(text: &str) -> Result<u64, String> {
    if let Ok(count) = text.parse::<u64>() {
        return Ok(count);
    }
    match text.parse::<f64>() {
        Ok(value) if value >= 1.0 && value.fract() == 0.0 && value < 1.8e19 => Ok(value as u64),
        _ => Err(format!(
            "`{text}` is not a whole number above zero, such as 2000000000 or 2e9"
        )),
    }
}

/// Refuses, with exit code 2, a scenario expected to pass `limits`, pointing at its `duration`.
pub(crate) fn refuse_past_limits(loaded: &scenario::Loaded, limits: &RunLimits) -> Option<Status> {
    let (message, hint) = crate::run_limits::refusal(&loaded.scenario, limits)?;
    let duration = scenario::DocPath::root().key("scenario").key("duration");
    let span = scenario::Locator::new(&loaded.source).value_span(duration.parts());
    let diagnostic = scenario::Diagnostic::error(&loaded.file, message)
        .with_span(span)
        .with_hint(hint);
    let color = color_for(std::io::stderr().is_terminal());
    eprint!("{}", diagnostic.render(&loaded.source, color));
    Some(Status::BadInput)
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The scenario file (TOML, format 1).
    pub file: PathBuf,
}

/// One request in a hundred: a trace of a long run stays a few megabytes, and a short one still
/// shows a handful of whole requests. `--trace-sample 1` follows every request.
pub const DEFAULT_TRACE_SAMPLE: f64 = 0.01;

/// How a command ended, in exit-code terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    ExpectationsFailed,
    BadInput,
    InternalError,
    /// Ctrl-C or a termination signal stopped it; the previous output is whole.
    Interrupted,
}

impl Status {
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::ExpectationsFailed => 1,
            Status::BadInput => 2,
            Status::InternalError => 3,
            Status::Interrupted => crate::interrupt::INTERRUPTED_EXIT_CODE,
        }
    }
}

/// Colour only for a terminal, and never when `NO_COLOR` is set (<https://no-color.org>).
pub(crate) fn color_for(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Prints the diagnostics of a scenario that did not load, and the count that closes them.
pub(crate) fn report_load_error(error: &LoadError) {
    let color = color_for(std::io::stderr().is_terminal());
    eprint!("{}", error.render(color));
    if let Some(summary) = error.summary(color) {
        eprint!("\n{summary}");
    }
}

pub fn check(args: &CheckArgs) -> Status {
    match scenario::load_file(&args.file) {
        Ok(loaded) => {
            let color = color_for(std::io::stderr().is_terminal());
            for warning in &loaded.warnings {
                eprint!("{}", warning.render(&loaded.source, color));
            }
            let scenario = &loaded.scenario;
            let instances: u64 = scenario
                .services
                .iter()
                .map(|s| {
                    u64::from(s.replicas)
                        + s.versions
                            .iter()
                            .map(|v| u64::from(v.replicas))
                            .sum::<u64>()
                })
                .sum();
            // Stores, brokers and rollouts are named only when the scenario has them.
            let mut parts = vec![
                counted(scenario.services.len() as u64, "service"),
                counted(instances, "instance"),
            ];
            for (count, noun) in [
                (scenario.stores.len(), "store"),
                (scenario.brokers.len(), "broker"),
                (scenario.rollouts.len(), "rollout"),
            ] {
                if count > 0 {
                    parts.push(counted(count as u64, noun));
                }
            }
            parts.push(counted(scenario.workloads.len() as u64, "workload"));
            parts.push(counted(scenario.faults.len() as u64, "fault"));
            parts.push(counted(scenario.expectations.len() as u64, "expectation"));
            println!("ok: {} ({})", args.file.display(), parts.join(", "));
            Status::Ok
        }
        Err(error) => {
            report_load_error(&error);
            Status::BadInput
        }
    }
}

/// Where a file outside the output folder (the trace) is written until the run ends: beside
/// it, `.NAME.partial`, so an interrupted run leaves the previous file whole.
fn staging_file(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "trace".into(), |name| name.to_string_lossy());
    path.with_file_name(format!(".{name}.partial"))
}

fn create(folder: &Path, name: &str) -> anyhow::Result<Box<dyn Write>> {
    let path = folder.join(name);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 16, file)))
}

fn progress_bar(args: &RunArgs) -> ProgressBar {
    let visible =
        !args.no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {percent:>3}% of simulated time · {elapsed}",
        )
        .expect("valid template"),
    );
    bar
}

#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
pub fn run(args: &RunArgs) -> anyhow::Result<Status> {
    // The wall clock times the run for the summary line only; it never reaches a file.
    let wall_start = std::time::Instant::now();
    let loaded = match scenario::load_file(&args.file) {
        Ok(loaded) => loaded,
        Err(error) => {
            report_load_error(&error);
            return Ok(Status::BadInput);
        }
    };
    let stderr_color = color_for(std::io::stderr().is_terminal());
    for warning in &loaded.warnings {
        eprint!("{}", warning.render(&loaded.source, stderr_color));
    }
    if !(0.0..=1.0).contains(&args.trace_sample) {
        eprintln!(
            "error: `--trace-sample {}` is not a share of requests",
            args.trace_sample
        );
        eprintln!("hint: give a number from 0 to 1: 0.01 follows one request in a hundred");
        return Ok(Status::BadInput);
    }
    let scenario = &loaded.scenario;
    let limits = args.limits.limits();
    if let Some(status) = refuse_past_limits(&loaded, &limits) {
        return Ok(status);
    }
    let seed = args.seed.unwrap_or(scenario.scenario.seed);
    let target = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("out").join(&scenario.scenario.name));
    // Files go into a staging folder that takes the target's place only when all is written.
    let (folder, leftover) = OutputFolder::begin(&target)?;
    if let Some(leftover) = &leftover {
        eprintln!("{}", leftover_note(&target, leftover));
    }
    let out = folder.path().to_path_buf();
    let trace_staging = args.trace.as_deref().map(staging_file);
    let outputs = RecorderOutputs {
        metrics: Some(create(&out, "metrics.csv")?),
        events: Some(create(&out, "events.csv")?),
        requests: if args.requests {
            Some(create(&out, "requests.csv")?)
        } else {
            None
        },
        trace: match &trace_staging {
            Some(path) => {
                let file = File::create(path)
                    .with_context(|| format!("cannot create the trace {}", path.display()))?;
                Some(TraceOutput {
                    writer: Box::new(BufWriter::with_capacity(1 << 16, file)),
                    sample_rate: args.trace_sample,
                })
            }
            None => None,
        },
    };
    tracing::info!(scenario = %scenario.scenario.name, seed, "run starts");
    let bar = progress_bar(args);
    let result = simulate_with_limits(
        args.engine,
        scenario,
        seed,
        outputs,
        &mut |reached, end| {
            bar.set_position(reached.as_nanos().saturating_mul(1000) / end.as_nanos().max(1));
        },
        &limits,
    );
    let simulation = match result {
        Ok(simulation) => simulation,
        Err(SimulateError::Interrupted { reached, end }) => {
            bar.finish_and_clear();
            if let Some(path) = &trace_staging {
                let _ = fs::remove_file(path);
            }
            eprintln!(
                "interrupted at {:.1} s of {:.1} s simulated: nothing was written, and {} {}",
                reached.as_secs_f64(),
                end.as_secs_f64(),
                target.display(),
                if target.exists() {
                    "holds the previous run, whole"
                } else {
                    "was not created"
                }
            );
            return Ok(Status::Interrupted);
        }
        Err(SimulateError::LimitPassed {
            what,
            flag,
            reached,
            end,
        }) => {
            bar.finish_and_clear();
            eprintln!(
                "error: stopped at {:.1} s of {:.1} s simulated: {what}; nothing was written",
                reached.as_secs_f64(),
                end.as_secs_f64()
            );
            eprintln!(
                "hint: a retry storm or a growing backlog does this; if the run is meant to be \
                 this big, raise the limit with {flag}"
            );
            return Ok(Status::BadInput);
        }
        Err(SimulateError::TooManyHosts(hosts)) => {
            bar.finish_and_clear();
            eprintln!("error: {}", SimulateError::TooManyHosts(hosts));
            eprintln!(
                "hint: turmoil ticks every host every millisecond; the event engine has no such limit"
            );
            return Ok(Status::BadInput);
        }
        Err(SimulateError::Output(error)) => {
            return Err(error).with_context(|| format!("writing the outputs in {}", out.display()));
        }
        Err(error @ (SimulateError::Turmoil(_) | SimulateError::Unsupported(_))) => {
            return Err(error.into());
        }
    };
    bar.finish_and_clear();
    let wall_seconds = wall_start.elapsed().as_secs_f64();

    let expectations: Vec<_> = scenario
        .expectations
        .iter()
        .map(|e| expect::check(&simulation.summary, e))
        .collect();
    let json = summary_json(&simulation.info, &simulation.summary, &expectations);
    fs::write(out.join("summary.json"), json)
        .with_context(|| format!("cannot write {}", out.join("summary.json").display()))?;

    // The report is drawn from the files just written, and the terminal tells the same story
    // from the same reading of them.
    let rendered = report::render(&out)
        .with_context(|| format!("rendering the report in {}", out.display()))?;
    let color = color_for(std::io::stdout().is_terminal());
    print!(
        "{}",
        summary_table(
            &simulation.info,
            &simulation.summary,
            &rendered.run,
            TableOptions {
                color,
                wall_seconds
            }
        )
    );
    let charts = rendered.charts;
    folder.commit()?;
    if let (Some(staging), Some(trace)) = (&trace_staging, &args.trace) {
        fs::rename(staging, trace)
            .with_context(|| format!("cannot move the trace into {}", trace.display()))?;
    }
    let charts = format!("{charts} charts in {}/", report::CHARTS_FOLDER);
    let mut files = vec![
        "summary.json",
        "metrics.csv",
        "events.csv",
        report::REPORT_FILE,
        charts.as_str(),
    ];
    if args.requests {
        files.push("requests.csv");
    }
    println!("  wrote {}: {}", target.display(), files.join(", "));
    if let Some(trace) = &args.trace {
        println!(
            "  wrote {}: spans of {} % of the requests (open it in ui.perfetto.dev)",
            trace.display(),
            args.trace_sample * 100.0
        );
    }

    let replay = format!("meshsim run {} --seed {seed}", args.file.display());
    if !simulation.summary.accounting.ok {
        eprintln!("error: internal error: requests were not all accounted for (a bug in meshsim)");
        for problem in &simulation.summary.accounting.problems {
            eprintln!("  {problem}");
        }
        eprintln!("note: reproduce with `{replay}`");
        return Ok(Status::InternalError);
    }
    let failed = expectations.iter().filter(|e| !e.ok).count();
    if failed > 0 {
        eprintln!("error: {failed} expectation(s) failed");
        eprintln!("note: replay with `{replay}`");
        return Ok(Status::ExpectationsFailed);
    }
    Ok(Status::Ok)
}

pub fn report(args: &ReportArgs) -> anyhow::Result<Status> {
    let charts = report::render(&args.folder)?.charts;
    println!(
        "wrote {}: {}, {charts} charts in {}/",
        args.folder.display(),
        report::REPORT_FILE,
        report::CHARTS_FOLDER
    );
    Ok(Status::Ok)
}

/// `1 fault`, `3 faults`.
fn counted(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
