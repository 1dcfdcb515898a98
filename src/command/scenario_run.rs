//! One scenario run into its output folder, as `meshsim run` makes it and `meshsim compare`
//! makes one for each side: load the file, check the limits, simulate, write the outputs, print
//! the story, and end with the status the run earned. `meshsim run`'s arguments become a
//! [`ScenarioRun`] in the run command's file; compare builds its two runs itself, so neither
//! command reaches into the other.

use std::fs::{self, File};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use meshsim_record::{OpenMetricsOutput, OtlpOutput, RecorderOutputs, TraceOutput};
use meshsim_reports::{ExpectationOutcome, RunData, TableOptions, summary_json, summary_table};

use super::color::color_for;
use super::limits::refuse_past_limits;
use super::loading::{load_or_report, print_warnings};
use super::status::Status;
use crate::expect;
use crate::output_folder::{OutputFolder, leftover_note};
use crate::report::{self, CHARTS_FOLDER, REPORT_FILE, Rendered};
use crate::run_limits::RunLimits;
use crate::scenario::{Loaded, Resolved, Scenario};
use crate::simulate::{EngineKind, SimulateError, Simulation, simulate_with_limits};

/// One request in a hundred: a trace of a long run stays a few megabytes, and a short one still
/// shows a handful of whole requests. `--trace-sample 1` follows every request.
pub(crate) const DEFAULT_TRACE_SAMPLE: f64 = 0.01;

/// What one run is asked to do: the settings `meshsim run`'s arguments stand for.
#[derive(Debug, Clone)]
pub(crate) struct ScenarioRun {
    /// The scenario file (TOML, format 1).
    pub(crate) file: PathBuf,
    /// The seed; the scenario's `seed` when `None`.
    pub(crate) seed: Option<u64>,
    /// The output folder; `out/<scenario name>` when `None`.
    pub(crate) out: Option<PathBuf>,
    pub(crate) engine: EngineKind,
    /// Also write `requests.csv`.
    pub(crate) requests: bool,
    /// Where to write the spans of sampled requests, if anywhere.
    pub(crate) trace: Option<PathBuf>,
    /// Where to write the spans of sampled requests as OTLP JSON, if anywhere.
    pub(crate) otlp: Option<PathBuf>,
    /// The share of workload requests the traces follow, from 0 to 1.
    pub(crate) trace_sample: f64,
    /// Where to write the run as timestamped `OpenMetrics` text, if anywhere, and the Unix time
    /// simulated time 0 maps to.
    pub(crate) openmetrics: Option<PathBuf>,
    pub(crate) openmetrics_start_unix_s: u64,
    pub(crate) no_progress: bool,
    pub(crate) limits: RunLimits,
}

/// A run's output while it is written: the staging folder that takes the target's place only
/// when all is written, and the trace's staging file beside its own target.
struct Staged {
    folder: OutputFolder,
    target: PathBuf,
    trace_staging: Option<PathBuf>,
    otlp_staging: Option<PathBuf>,
    openmetrics_staging: Option<PathBuf>,
}

impl ScenarioRun {
    #[allow(clippy::disallowed_types, clippy::disallowed_methods)]
    pub(crate) fn execute(&self) -> anyhow::Result<Status> {
        // The wall clock times the run for the summary line only; it never reaches a file.
        let wall_start = std::time::Instant::now();
        let loaded = match self.load() {
            Ok(loaded) => loaded,
            Err(status) => return Ok(status),
        };
        if let Some(status) = refuse_past_limits(&loaded, &self.limits) {
            return Ok(status);
        }
        let scenario = loaded.scenario();
        let seed = self.seed.unwrap_or(scenario.scenario.seed);
        let (staged, outputs) = self.stage(scenario)?;
        let simulation = match self.simulate(loaded.resolved(), seed, outputs, &staged)? {
            Ok(simulation) => simulation,
            Err(status) => return Ok(status),
        };
        let wall_seconds = wall_start.elapsed().as_secs_f64();
        let (expectations, rendered) =
            write_outputs(loaded.resolved(), &simulation, staged.folder.path())?;
        print_story(&simulation, &rendered.run, wall_seconds);
        self.commit(staged, rendered.charts)?;
        Ok(self.exit_status(&simulation, &expectations, seed))
    }

    /// Loads the scenario and prints its warnings; refuses a trace share that is not one.
    fn load(&self) -> Result<Loaded, Status> {
        let loaded = load_or_report(&self.file)?;
        print_warnings(&loaded);
        if !(0.0..=1.0).contains(&self.trace_sample) {
            eprintln!(
                "error: `--trace-sample {}` is not a share of requests",
                self.trace_sample
            );
            eprintln!("hint: give a number from 0 to 1: 0.01 follows one request in a hundred");
            return Err(Status::BadInput);
        }
        Ok(loaded)
    }

    /// Opens the staging folder (saying what an interrupted run left there) and the files the
    /// recorder streams into while the run goes.
    fn stage(&self, scenario: &Scenario) -> anyhow::Result<(Staged, RecorderOutputs)> {
        let target = self
            .out
            .clone()
            .unwrap_or_else(|| Path::new("out").join(&scenario.scenario.name));
        let (folder, leftover) = OutputFolder::begin(&target)?;
        if let Some(leftover) = &leftover {
            eprintln!("{}", leftover_note(&target, leftover));
        }
        let out = folder.path();
        let trace_staging = self.trace.as_deref().map(staging_file);
        let otlp_staging = self.otlp.as_deref().map(staging_file);
        let openmetrics_staging = self.openmetrics.as_deref().map(staging_file);
        let outputs = RecorderOutputs {
            metrics: Some(create(out, "metrics.csv")?),
            events: Some(create(out, "events.csv")?),
            requests: if self.requests {
                Some(create(out, "requests.csv")?)
            } else {
                None
            },
            trace: match &trace_staging {
                Some(path) => {
                    let file = File::create(path)
                        .with_context(|| format!("cannot create the trace {}", path.display()))?;
                    Some(TraceOutput {
                        writer: Box::new(BufWriter::with_capacity(1 << 16, file)),
                        sample_rate: self.trace_sample,
                    })
                }
                None => None,
            },
            otlp: match &otlp_staging {
                Some(path) => Some(OtlpOutput {
                    writer: create_file(path, "the OTLP file")?,
                    sample_rate: self.trace_sample,
                }),
                None => None,
            },
            openmetrics: match &openmetrics_staging {
                Some(path) => Some(OpenMetricsOutput {
                    writer: create_file(path, "the OpenMetrics file")?,
                    start_unix_s: self.openmetrics_start_unix_s,
                }),
                None => None,
            },
        };
        let staged = Staged {
            folder,
            target,
            trace_staging,
            otlp_staging,
            openmetrics_staging,
        };
        Ok((staged, outputs))
    }

    /// Runs the simulation under a progress bar. `Ok(Err(status))` is a run that stopped short
    /// (interrupted, or past a limit) and has said so; `Err` is a failure to report as one.
    fn simulate(
        &self,
        resolved: Resolved<'_>,
        seed: u64,
        outputs: RecorderOutputs,
        staged: &Staged,
    ) -> anyhow::Result<Result<Simulation, Status>> {
        tracing::info!(scenario = %resolved.scenario.name, seed, "run starts");
        let bar = progress_bar(self.no_progress);
        let result = simulate_with_limits(
            self.engine,
            resolved,
            seed,
            outputs,
            &mut |reached, end| {
                bar.set_position(reached.as_nanos().saturating_mul(1000) / end.as_nanos().max(1));
            },
            &self.limits,
        );
        match result {
            Ok(simulation) => {
                bar.finish_and_clear();
                Ok(Ok(simulation))
            }
            Err(error) => stopped(error, &bar, staged).map(Err),
        }
    }

    /// Puts the output folder and the trace in their targets' places, and says what was written.
    fn commit(&self, staged: Staged, charts: usize) -> anyhow::Result<()> {
        staged.folder.commit()?;
        if let (Some(staging), Some(trace)) = (&staged.trace_staging, &self.trace) {
            fs::rename(staging, trace)
                .with_context(|| format!("cannot move the trace into {}", trace.display()))?;
        }
        if let (Some(staging), Some(otlp)) = (&staged.otlp_staging, &self.otlp) {
            fs::rename(staging, otlp)
                .with_context(|| format!("cannot move the OTLP file into {}", otlp.display()))?;
        }
        if let (Some(staging), Some(path)) = (&staged.openmetrics_staging, &self.openmetrics) {
            fs::rename(staging, path)
                .with_context(|| format!("cannot move the metrics into {}", path.display()))?;
        }
        let charts = format!("{charts} charts in {CHARTS_FOLDER}/");
        let mut files = vec![
            "summary.json",
            "metrics.csv",
            "events.csv",
            REPORT_FILE,
            charts.as_str(),
        ];
        if self.requests {
            files.push("requests.csv");
        }
        println!("  wrote {}: {}", staged.target.display(), files.join(", "));
        if let Some(trace) = &self.trace {
            println!(
                "  wrote {}: spans of {} % of the requests (open it in ui.perfetto.dev)",
                trace.display(),
                self.trace_sample * 100.0
            );
        }
        if let Some(otlp) = &self.otlp {
            println!(
                "  wrote {}: OTLP spans of {} % of the requests (for Jaeger, Tempo or a collector)",
                otlp.display(),
                self.trace_sample * 100.0
            );
        }
        if let Some(path) = &self.openmetrics {
            println!(
                "  wrote {}: OpenMetrics from {} (load it with promtool tsdb create-blocks-from openmetrics)",
                path.display(),
                self.openmetrics_start_unix_s
            );
        }
        Ok(())
    }

    /// A request not accounted for is a bug in meshsim, and outranks a failed expectation; both
    /// say how to replay the run.
    fn exit_status(
        &self,
        simulation: &Simulation,
        expectations: &[ExpectationOutcome],
        seed: u64,
    ) -> Status {
        let replay = format!("meshsim run {} --seed {seed}", self.file.display());
        if !simulation.summary.accounting.ok {
            eprintln!(
                "error: internal error: requests were not all accounted for (a bug in meshsim)"
            );
            for problem in &simulation.summary.accounting.problems {
                eprintln!("  {problem}");
            }
            eprintln!("note: reproduce with `{replay}`");
            return Status::InternalError;
        }
        let failed = expectations.iter().filter(|e| !e.ok).count();
        if failed > 0 {
            eprintln!("error: {failed} expectation(s) failed");
            eprintln!("note: replay with `{replay}`");
            return Status::ExpectationsFailed;
        }
        Status::Ok
    }
}

/// Says why a run stopped short, after clearing its bar; nothing of it was written.
fn stopped(error: SimulateError, bar: &ProgressBar, staged: &Staged) -> anyhow::Result<Status> {
    match error {
        SimulateError::Interrupted { reached, end } => {
            bar.finish_and_clear();
            for path in [
                &staged.trace_staging,
                &staged.otlp_staging,
                &staged.openmetrics_staging,
            ]
            .into_iter()
            .flatten()
            {
                let _ = fs::remove_file(path);
            }
            let target = &staged.target;
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
            Ok(Status::Interrupted)
        }
        SimulateError::LimitPassed {
            what,
            flag,
            reached,
            end,
        } => {
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
            Ok(Status::BadInput)
        }
        SimulateError::TooManyHosts(hosts) => {
            bar.finish_and_clear();
            eprintln!("error: {}", SimulateError::TooManyHosts(hosts));
            eprintln!(
                "hint: turmoil ticks every host every millisecond; the event engine has no such limit"
            );
            Ok(Status::BadInput)
        }
        SimulateError::Output(error) => Err(error)
            .with_context(|| format!("writing the outputs in {}", staged.folder.path().display())),
        error @ (SimulateError::Turmoil(_) | SimulateError::Unsupported(_)) => Err(error.into()),
    }
}

/// Writes `summary.json` with the expectations checked, then the report drawn from the files
/// just written, so the terminal tells the same story from the same reading of them.
fn write_outputs(
    resolved: Resolved<'_>,
    simulation: &Simulation,
    folder: &Path,
) -> anyhow::Result<(Vec<ExpectationOutcome>, Rendered)> {
    let expectations = expect::check_all(&simulation.summary, resolved);
    let json = summary_json(&simulation.info, &simulation.summary, &expectations);
    fs::write(folder.join("summary.json"), json)
        .with_context(|| format!("cannot write {}", folder.join("summary.json").display()))?;
    let rendered = report::render(folder)
        .with_context(|| format!("rendering the report in {}", folder.display()))?;
    Ok((expectations, rendered))
}

/// The headline, the tables and the expectations, on stdout.
fn print_story(simulation: &Simulation, run: &RunData, wall_seconds: f64) {
    let color = color_for(std::io::stdout().is_terminal());
    print!(
        "{}",
        summary_table(
            &simulation.info,
            &simulation.summary,
            run,
            TableOptions {
                color,
                wall_seconds
            }
        )
    );
}

/// Where a file outside the output folder (the trace) is written until the run ends: beside
/// it, `.NAME.partial`, so an interrupted run leaves the previous file whole.
fn staging_file(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "trace".into(), |name| name.to_string_lossy());
    path.with_file_name(format!(".{name}.partial"))
}

/// A file outside the output folder, buffered; `what` names it in an error.
fn create_file(path: &Path, what: &str) -> anyhow::Result<Box<dyn Write>> {
    let file =
        File::create(path).with_context(|| format!("cannot create {what} {}", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 16, file)))
}

fn create(folder: &Path, name: &str) -> anyhow::Result<Box<dyn Write>> {
    let path = folder.join(name);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 16, file)))
}

fn progress_bar(no_progress: bool) -> ProgressBar {
    let visible =
        !no_progress && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
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
