//! `meshsim bench FILE`: runs a scenario a few times, in this process, as `meshsim run` runs it
//! (every output written, into a temporary folder), and says how fast: wall time, simulated
//! seconds and requests per wall second, events per wall second, peak memory; with `--floor`,
//! beside the floor's loop ([`crate::floor`]). The README's speed table is made with it.

use std::fs::{self, File};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use meshsim_record::RecorderOutputs;
use meshsim_reports::summary_json;
use serde::Serialize;

use super::color::color_for;
use super::limits::{LimitArgs, refuse_past_limits};
use super::loading::{load_or_report, print_warnings};
use super::status::Status;
use crate::expect;
use crate::floor::Floor;
use crate::report;
use crate::run_limits::RunLimits;
use crate::scenario::{self, Loaded};
use crate::simulate::{EngineKind, SimulateError, Simulation, simulate_with_limits};

/// Runs a bench may ask for: one is a measurement, twenty is plenty for a median.
const RUNS_MAX: u8 = 20;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each run does what `meshsim run` does after reading the file: assemble, simulate, and write \
metrics.csv, events.csv, summary.json, the charts and report.html, into a temporary folder \
removed afterwards. Wall time covers all of that; reading and checking the file is done once, \
before the runs, and is not timed. Rates are taken from the best run. Peak memory is the \
process's VmHWM after the runs (the largest run's peak; 0 where /proc does not say). The \
digest must be the same in every run: a difference is a bug, and exits 3.

The floor (--floor) is a minimal hand-written event loop over the scenario's workload call \
graph: the same hops and the same service-time and latency draws, with no queues, workers, \
sidecars, policies, faults or recording. It models only sequential calls between services' \
endpoints, from poisson or constant workloads, over the network's one latency; any other \
scenario is refused (exit 2). meshsim / floor is what everything the floor leaves out costs.")]
pub(crate) struct BenchArgs {
    /// The scenario file (TOML, format 1).
    pub file: PathBuf,
    /// How many times to run it (1 to 20); best and median wall time are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=i64::from(RUNS_MAX)))]
    pub runs: u8,
    /// The seed; defaults to the scenario's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The engine: `event` (fast, the default) or `turmoil` (every instance a turmoil host).
    #[arg(long, value_enum, default_value_t = EngineKind::Event)]
    pub engine: EngineKind,
    /// Also run the floor (a minimal event loop of the same hops) as many times, and print
    /// meshsim's time over the floor's.
    #[arg(long)]
    pub floor: bool,
    /// Print the figures as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one run of the scenario measured.
struct Measured {
    wall_s: f64,
    simulation: Simulation,
}

/// Best and median wall time of a set of runs, and each run's, in seconds.
#[derive(Debug, Serialize)]
struct WallSeconds {
    best: f64,
    median: f64,
    each: Vec<f64>,
}

impl WallSeconds {
    fn of(each: Vec<f64>) -> Self {
        let mut sorted = each.clone();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[middle]
        } else {
            f64::midpoint(sorted[middle - 1], sorted[middle])
        };
        WallSeconds {
            best: sorted[0],
            median,
            each,
        }
    }
}

/// The floor beside meshsim: its times, its work, and meshsim's time over its time.
#[derive(Debug, Serialize)]
struct FloorFigures {
    wall_s: WallSeconds,
    requests: u64,
    events: u64,
    ns_per_event: f64,
    meshsim_over_floor_best: f64,
    meshsim_over_floor_median: f64,
}

/// Everything `meshsim bench` reports; `--json` prints it as is.
#[derive(Debug, Serialize)]
struct BenchFigures {
    scenario: String,
    file: String,
    seed: u64,
    engine: &'static str,
    runs: u8,
    wall_s: WallSeconds,
    sim_s: f64,
    sim_s_per_wall_s: f64,
    requests: u64,
    requests_per_wall_s: f64,
    events: u64,
    events_per_wall_s: f64,
    ns_per_event: f64,
    peak_memory_kib: u64,
    digest: String,
    floor: Option<FloorFigures>,
}

pub(crate) fn bench(args: &BenchArgs) -> anyhow::Result<Status> {
    let loaded = match load_or_report(&args.file) {
        Ok(loaded) => loaded,
        Err(status) => return Ok(status),
    };
    print_warnings(&loaded);
    let limits = args.limits.limits();
    if let Some(status) = refuse_past_limits(&loaded, &limits) {
        return Ok(status);
    }
    let floor = if args.floor {
        match floor_or_refuse(&loaded) {
            Ok(floor) => Some(floor),
            Err(status) => return Ok(status),
        }
    } else {
        None
    };
    let seed = args.seed.unwrap_or(loaded.scenario().scenario.seed);
    let mut measured = Vec::with_capacity(usize::from(args.runs));
    for run in 0..args.runs {
        match measure_run(&loaded, args.engine, seed, &limits, run)? {
            Ok(one) => measured.push(one),
            Err(status) => return Ok(status),
        }
    }
    if let Some(status) = refuse_unequal_digests(&measured, &args.file, seed) {
        return Ok(status);
    }
    let peak_memory_kib = peak_memory_kib();
    let mut figures = figures(args, &loaded, seed, &measured, peak_memory_kib);
    figures.floor = floor.map(|floor| floor_figures(&floor, seed, args.runs, &figures.wall_s));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        print!("{}", table(&figures));
    }
    Ok(Status::Ok)
}

/// The scenario's floor, or, when the floor does not model it, a diagnostic pointing at the
/// first part it leaves out, and bad input.
fn floor_or_refuse(loaded: &Loaded) -> Result<Floor, Status> {
    Floor::of(loaded.resolved()).map_err(|unmodelled| {
        let span = scenario::Locator::new(&loaded.source).value_span(unmodelled.path.parts());
        let diagnostic = scenario::Diagnostic::error(
            &loaded.file,
            format!("`--floor` does not model {}", unmodelled.what),
        )
        .with_span(span)
        .with_hint(
            "the floor walks sequential calls between services' endpoints, from poisson or \
             constant workloads, over the network's one latency; bench this scenario without \
             `--floor`",
        );
        let color = color_for(std::io::stderr().is_terminal());
        eprint!("{}", diagnostic.render(&loaded.source, color));
        Status::BadInput
    })
}

/// One run as `meshsim run` makes it, into a temporary folder removed afterwards, timed from
/// assembly to the last output written. `Ok(Err(status))` is a run that stopped short and has
/// said why.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
fn measure_run(
    loaded: &Loaded,
    engine: EngineKind,
    seed: u64,
    limits: &RunLimits,
    run: u8,
) -> anyhow::Result<Result<Measured, Status>> {
    let folder = std::env::temp_dir().join(format!("meshsim-bench-{}-{run}", std::process::id()));
    if folder.exists() {
        fs::remove_dir_all(&folder)?;
    }
    fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    // The wall clock times the run from outside it; it never reaches the simulation or a file.
    let start = std::time::Instant::now();
    let result = run_into(loaded, engine, seed, limits, &folder);
    let wall_s = start.elapsed().as_secs_f64();
    let _ = fs::remove_dir_all(&folder);
    Ok(match result? {
        Ok(simulation) => Ok(Measured { wall_s, simulation }),
        Err(status) => Err(status),
    })
}

/// Simulates with the recorder streaming into `folder`, then writes the summary, the charts and
/// the report there, as `meshsim run` does.
fn run_into(
    loaded: &Loaded,
    engine: EngineKind,
    seed: u64,
    limits: &RunLimits,
    folder: &Path,
) -> anyhow::Result<Result<Simulation, Status>> {
    let outputs = RecorderOutputs {
        metrics: Some(create(folder, "metrics.csv")?),
        events: Some(create(folder, "events.csv")?),
        ..RecorderOutputs::default()
    };
    let resolved = loaded.resolved();
    let simulation =
        match simulate_with_limits(engine, resolved, seed, outputs, &mut |_, _| {}, limits) {
            Ok(simulation) => simulation,
            Err(error) => return stopped(error).map(Err),
        };
    let expectations = expect::check_all(&simulation.summary, resolved);
    let json = summary_json(&simulation.info, &simulation.summary, &expectations);
    fs::write(folder.join("summary.json"), json)
        .with_context(|| format!("cannot write {}", folder.join("summary.json").display()))?;
    report::render(folder)
        .with_context(|| format!("rendering the report in {}", folder.display()))?;
    Ok(Ok(simulation))
}

/// Says why a run stopped short; the figures of a run that did not finish mean nothing.
fn stopped(error: SimulateError) -> anyhow::Result<Status> {
    match error {
        SimulateError::Interrupted { .. } => {
            eprintln!("interrupted: {error}; no figures");
            Ok(Status::Interrupted)
        }
        SimulateError::LimitPassed { flag, .. } => {
            eprintln!("error: stopped: {error}");
            eprintln!("hint: if the run is meant to be this big, raise the limit with {flag}");
            Ok(Status::BadInput)
        }
        SimulateError::TooManyHosts(_) => {
            eprintln!("error: {error}");
            Ok(Status::BadInput)
        }
        other => Err(other.into()),
    }
}

/// A run whose digest differs from the first's is not deterministic: a bug in meshsim, and
/// figures of different work.
fn refuse_unequal_digests(measured: &[Measured], file: &Path, seed: u64) -> Option<Status> {
    let first = &measured.first()?.simulation.summary.digest;
    let differing = measured
        .iter()
        .position(|one| &one.simulation.summary.digest != first)?;
    eprintln!(
        "error: internal error: run {} ended with digest {}, run 1 with {first} (a bug in meshsim)",
        differing + 1,
        measured[differing].simulation.summary.digest
    );
    eprintln!(
        "note: reproduce with `meshsim run {} --seed {seed}` twice",
        file.display()
    );
    Some(Status::InternalError)
}

fn figures(
    args: &BenchArgs,
    loaded: &Loaded,
    seed: u64,
    measured: &[Measured],
    peak_memory_kib: u64,
) -> BenchFigures {
    let wall = WallSeconds::of(measured.iter().map(|one| one.wall_s).collect());
    let simulation = &measured[0].simulation;
    let (sim_s, requests, events) = (
        simulation.summary.sim_seconds,
        simulation.summary.requests.sent,
        simulation.info.events,
    );
    let best_s = wall.best.max(f64::MIN_POSITIVE);
    BenchFigures {
        scenario: loaded.scenario().scenario.name.clone(),
        file: args.file.display().to_string(),
        seed,
        engine: args.engine.name(),
        runs: args.runs,
        sim_s,
        sim_s_per_wall_s: sim_s / best_s,
        requests,
        requests_per_wall_s: requests as f64 / best_s,
        events,
        events_per_wall_s: events as f64 / best_s,
        ns_per_event: best_s * 1e9 / events.max(1) as f64,
        peak_memory_kib,
        digest: simulation.summary.digest.clone(),
        wall_s: wall,
        floor: None,
    }
}

/// Runs the floor `runs` times from `seed` and sets meshsim's times beside its.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
fn floor_figures(floor: &Floor, seed: u64, runs: u8, meshsim: &WallSeconds) -> FloorFigures {
    let mut each_s = Vec::with_capacity(usize::from(runs));
    let mut last = None;
    for _ in 0..runs {
        // Timed from outside the loop, as the scenario's runs are.
        let start = std::time::Instant::now();
        let run = floor.run(seed);
        each_s.push(start.elapsed().as_secs_f64());
        last = Some(run);
    }
    let run = last.expect("at least one run");
    let wall = WallSeconds::of(each_s);
    FloorFigures {
        ns_per_event: wall.best * 1e9 / run.events.max(1) as f64,
        meshsim_over_floor_best: meshsim.best / wall.best.max(f64::MIN_POSITIVE),
        meshsim_over_floor_median: meshsim.median / wall.median.max(f64::MIN_POSITIVE),
        requests: run.requests,
        events: run.events,
        wall_s: wall,
    }
}

/// The figures as lines a reader compares at a glance, the rates from the best run.
fn table(figures: &BenchFigures) -> String {
    let wall = &figures.wall_s;
    let mut lines = vec![
        format!(
            "{} ({}): seed {}, {} engine, {} run(s), every output written to a temporary folder",
            figures.scenario, figures.file, figures.seed, figures.engine, figures.runs
        ),
        format!(
            "  wall time      best {:.3} s, median {:.3} s",
            wall.best, wall.median
        ),
        format!(
            "  simulated      {:.1} s, {:.1}x real time",
            figures.sim_s, figures.sim_s_per_wall_s
        ),
        format!(
            "  requests       {} sent, {:.0} per wall s",
            figures.requests, figures.requests_per_wall_s
        ),
        format!(
            "  events         {}, {:.0} per wall s, {:.0} ns each",
            figures.events, figures.events_per_wall_s, figures.ns_per_event
        ),
        format!("  peak memory    {} KiB", figures.peak_memory_kib),
        format!("  digest         {} (every run)", figures.digest),
    ];
    if let Some(floor) = &figures.floor {
        lines.push(format!(
            "  floor          best {:.3} s, median {:.3} s, {} events, {:.0} ns each",
            floor.wall_s.best, floor.wall_s.median, floor.events, floor.ns_per_event
        ));
        lines.push(format!(
            "  meshsim/floor  {:.2}x best, {:.2}x median",
            floor.meshsim_over_floor_best, floor.meshsim_over_floor_median
        ));
    }
    lines.push(String::new());
    lines.join("\n")
}

/// The process's peak resident memory (`VmHWM`), in KiB; 0 where `/proc` does not say.
fn peak_memory_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn create(folder: &Path, name: &str) -> anyhow::Result<Box<dyn Write>> {
    let path = folder.join(name);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Box::new(BufWriter::with_capacity(1 << 16, file)))
}
