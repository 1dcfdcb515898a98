//! One run of a scenario from a seed: assemble, drive the event engine to the end, summarise.

use meshsim_record::{Recorder, RecorderOutputs, RunSummary};
use meshsim_reports::{FaultWindow, RunInfo};
use meshsim_sim::{Engine, NetworkCounts, SimTime};
use meshsim_sim::{TurmoilEngine, TurmoilOptions};

use crate::assemble::assemble_parts;
use crate::run_limits::RunLimits;
use crate::scenario::schema::FaultKind;
use crate::scenario::{Resolved, Scenario};

/// What a finished run hands to the reports.
pub struct Simulation {
    pub info: RunInfo,
    pub summary: RunSummary,
}

/// How many slices a run is cut into for progress reports: enough for a smooth bar, few
/// enough that reporting costs nothing.
const PROGRESS_SLICES: u64 = 200;

/// The longest slice of simulated time a run goes without looking at Ctrl-C: even a run ten
/// times slower than real time stops within a tenth of a second of wall time.
pub(crate) const SLICE_NANOS_MAX: u64 = 10_000_000;

/// Which engine drives the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    /// The event engine: time jumps from event to event; the fast path.
    #[default]
    Event,
    /// Every instance and client a turmoil host over turmoil's network and clock: the
    /// cross-check, slower, ticking every millisecond.
    Turmoil,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Event => "event",
            EngineKind::Turmoil => "turmoil",
        }
    }
}

/// The most hosts (instances plus workload clients) the turmoil engine takes. turmoil scans
/// every link of every host each tick, so a tick's cost grows faster than the square of the
/// host count: measured with `cargo bench --bench engines`, a simulated millisecond takes
/// 0.12 ms of wall time at 32 hosts, 0.55 at 64, 0.91 at 80 and 1.53 at 96. Past 80 hosts the
/// turmoil engine is slower than real time, and the event engine is the tool.
pub const TURMOIL_HOSTS_MAX: usize = 80;

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error("writing the outputs: {0}")]
    Output(#[from] std::io::Error),
    #[error(
        "the turmoil engine takes at most {TURMOIL_HOSTS_MAX} hosts and this scenario has {0} \
         (instances plus workload clients); run it on the event engine (`--engine event`)"
    )]
    TooManyHosts(usize),
    #[error("the turmoil engine failed: {0}")]
    Turmoil(String),
    #[error("interrupted at {reached} of {end} simulated")]
    Interrupted { reached: SimTime, end: SimTime },
    /// The run passed one of its [`RunLimits`]; `what` says which, in words.
    #[error("{what} at {reached} of {end} simulated")]
    LimitPassed {
        what: String,
        flag: &'static str,
        reached: SimTime,
        end: SimTime,
    },
    #[error("{0}")]
    Unsupported(String),
}

/// Runs a checked scenario with `seed` on the event engine, streaming files to `outputs` and
/// telling `progress` how far simulated time has come.
pub fn simulate(
    resolved: Resolved<'_>,
    seed: u64,
    outputs: RecorderOutputs,
    progress: &mut dyn FnMut(SimTime, SimTime),
) -> std::io::Result<Simulation> {
    into_io(simulate_on(
        EngineKind::Event,
        resolved,
        seed,
        outputs,
        progress,
    ))
}

/// A run on the event engine's result, its error as an I/O error: the event engine fails
/// only to write, when interrupted or past a limit, or on a scenario it does not simulate.
fn into_io(result: Result<Simulation, SimulateError>) -> std::io::Result<Simulation> {
    match result {
        Ok(simulation) => Ok(simulation),
        Err(SimulateError::Output(error)) => Err(error),
        Err(interrupted @ SimulateError::Interrupted { .. }) => Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            interrupted.to_string(),
        )),
        Err(limit @ SimulateError::LimitPassed { .. }) => {
            Err(std::io::Error::other(limit.to_string()))
        }
        Err(unsupported @ SimulateError::Unsupported(_)) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            unsupported.to_string(),
        )),
        Err(other) => unreachable!("the event engine fails only to write: {other}"),
    }
}

/// Runs a checked scenario for its first `duration_nanos_max` at most, with no outputs: enough
/// to assemble every model and start every workload, fault and controller. The fuzz target and
/// the tests of its findings use it on whatever loads.
pub fn simulate_briefly(
    resolved: Resolved<'_>,
    duration_nanos_max: u64,
) -> std::io::Result<Simulation> {
    // The resolution stays the one the whole scenario was checked with: cut short, a fault or
    // a rollout may start after the end, which the checker refuses in a file but a short run
    // only leaves out. Only the duration changes, and nothing resolved depends on it.
    let mut shortened = resolved.parsed.clone();
    let duration = shortened
        .scenario
        .duration
        .as_nanos()
        .min(duration_nanos_max);
    shortened.scenario.duration = crate::scenario::Duration::from_nanos(duration);
    let resolved = Resolved {
        parsed: &shortened,
        resolution: resolved.resolution,
    };
    into_io(simulate_with_host_limit(
        EngineKind::Event,
        resolved,
        1,
        RecorderOutputs::default(),
        &mut |_, _| {},
        &RunLimits::default(),
        TURMOIL_HOSTS_MAX,
    ))
}

/// Runs a checked scenario with `seed` on `engine`.
pub fn simulate_on(
    engine: EngineKind,
    resolved: Resolved<'_>,
    seed: u64,
    outputs: RecorderOutputs,
    progress: &mut dyn FnMut(SimTime, SimTime),
) -> Result<Simulation, SimulateError> {
    simulate_with_limits(
        engine,
        resolved,
        seed,
        outputs,
        progress,
        &RunLimits::default(),
    )
}

/// [`simulate_on`] with other limits than the defaults (`--max-events`, `--max-in-flight`).
pub(crate) fn simulate_with_limits(
    engine: EngineKind,
    resolved: Resolved<'_>,
    seed: u64,
    outputs: RecorderOutputs,
    progress: &mut dyn FnMut(SimTime, SimTime),
    limits: &RunLimits,
) -> Result<Simulation, SimulateError> {
    simulate_with_host_limit(
        engine,
        resolved,
        seed,
        outputs,
        progress,
        limits,
        TURMOIL_HOSTS_MAX,
    )
}

/// [`simulate_with_limits`] with another turmoil host limit: the benchmark that measures where
/// the limit belongs runs past it.
pub fn simulate_with_host_limit(
    engine: EngineKind,
    resolved: Resolved<'_>,
    seed: u64,
    outputs: RecorderOutputs,
    progress: &mut dyn FnMut(SimTime, SimTime),
    limits: &RunLimits,
    turmoil_hosts_max: usize,
) -> Result<Simulation, SimulateError> {
    let scenario = resolved.parsed;
    let parts = assemble_parts(resolved, seed, outputs);
    let end = parts.end;
    let (recorder, events, network) = match engine {
        EngineKind::Event => {
            let mut engine =
                Engine::new(parts.network, parts.models, parts.recorder, parts.controls);
            drive(end, limits, progress, |next| {
                engine.run_until(next);
                Ok((
                    engine.events_processed(),
                    engine.recorder().requests_in_flight(),
                ))
            })?;
            let events = engine.events_processed();
            let network = engine.network_counts();
            let (recorder, _models) = engine.finish();
            (recorder, events, network)
        }
        EngineKind::Turmoil => {
            let hosts = parts.network.node_count();
            if hosts > turmoil_hosts_max {
                return Err(SimulateError::TooManyHosts(hosts));
            }
            let options = TurmoilOptions { seed, end };
            let engine = TurmoilEngine::new(
                parts.network,
                parts.models,
                parts.recorder,
                parts.controls,
                options,
            );
            drive_turmoil(engine, end, limits, progress)?
        }
    };
    finished(
        scenario,
        seed,
        engine,
        (recorder, events, network),
        Vec::new(),
    )
}

/// Drives a turmoil run to `end`, and hands back its recorder with the events processed and
/// the network's counts.
pub(crate) fn drive_turmoil(
    mut engine: TurmoilEngine<'_, Recorder>,
    end: SimTime,
    limits: &RunLimits,
    progress: &mut dyn FnMut(SimTime, SimTime),
) -> Result<(Recorder, u64, NetworkCounts), SimulateError> {
    drive(end, limits, progress, |next| {
        engine.run_until(next).map_err(SimulateError::Turmoil)?;
        Ok((
            engine.events_processed(),
            engine.recorder().requests_in_flight(),
        ))
    })?;
    let events = engine.events_processed();
    let network = engine.network_counts();
    let recorder = engine.finish().map_err(SimulateError::Turmoil)?;
    Ok((recorder, events, network))
}

/// A finished run as the reports take it: the summary, and what the run was. `code`: the
/// versions that ran as code (`backend v1`).
pub(crate) fn finished(
    scenario: &Scenario,
    seed: u64,
    engine: EngineKind,
    (recorder, events, network): (Recorder, u64, NetworkCounts),
    code: Vec<String>,
) -> Result<Simulation, SimulateError> {
    let end = SimTime::from_nanos(scenario.scenario.duration.as_nanos());
    let summary = recorder.finish(end)?;
    let info = RunInfo {
        scenario: scenario.scenario.name.clone(),
        description: scenario.scenario.description.clone(),
        seed,
        engine: engine.name().to_owned(),
        mesh: mesh_info(scenario),
        events,
        network,
        not_simulated: not_simulated(scenario),
        faults: fault_windows(scenario),
        invariants: crate::invariants::check(&summary),
        rollout_checks: crate::scenario_notes::rollout_checks(scenario),
        matched_routes: crate::scenario_notes::matched_routes(scenario),
        code,
    };
    Ok(Simulation { info, summary })
}

/// The mesh profile `scenario` runs, as the summary names it.
pub(crate) fn mesh_info(scenario: &Scenario) -> meshsim_reports::MeshInfo {
    let profile = scenario.profile();
    let release = profile.release();
    meshsim_reports::MeshInfo {
        profile: profile.name().to_owned(),
        release: release.version.to_owned(),
        proxy: release.proxy.to_owned(),
    }
}

/// Runs an engine to each of the run's stops with `run_until`, which answers the events processed
/// and the requests in flight so far; after each stop, reports progress and checks the limits.
fn drive(
    end: SimTime,
    limits: &RunLimits,
    progress: &mut dyn FnMut(SimTime, SimTime),
    mut run_until: impl FnMut(SimTime) -> Result<(u64, u64), SimulateError>,
) -> Result<(), SimulateError> {
    let mut slices = Slices::new(end);
    while let Some(next) = slices.next_stop()? {
        let (events, in_flight) = run_until(next)?;
        progress(next, end);
        slices.check(limits, events, in_flight)?;
    }
    Ok(())
}

/// The points a run stops at, to report progress and to look at Ctrl-C: a 200th of the run,
/// or [`SLICE_NANOS_MAX`] when that is shorter. Computed one at a time, so a year-long run
/// costs no list of them.
#[allow(clippy::struct_field_names)] // Units in names, as everywhere.
struct Slices {
    reached_ns: u64,
    end_ns: u64,
    slice_ns: u64,
}

impl Slices {
    fn new(end: SimTime) -> Slices {
        Slices {
            reached_ns: 0,
            end_ns: end.as_nanos(),
            slice_ns: (end.as_nanos() / PROGRESS_SLICES).clamp(1, SLICE_NANOS_MAX),
        }
    }

    /// The next stop, none at the end, or an error when a stop was asked for.
    fn next_stop(&mut self) -> Result<Option<SimTime>, SimulateError> {
        if self.reached_ns >= self.end_ns {
            return Ok(None);
        }
        if crate::interrupt::interrupted() {
            return Err(SimulateError::Interrupted {
                reached: SimTime::from_nanos(self.reached_ns),
                end: SimTime::from_nanos(self.end_ns),
            });
        }
        self.reached_ns = self
            .reached_ns
            .saturating_add(self.slice_ns)
            .min(self.end_ns);
        Ok(Some(SimTime::from_nanos(self.reached_ns)))
    }

    /// An error when the run, at the end of this slice, has passed one of `limits`.
    fn check(&self, limits: &RunLimits, events: u64, in_flight: u64) -> Result<(), SimulateError> {
        let passed = |what: String, flag: &'static str| SimulateError::LimitPassed {
            what,
            flag,
            reached: SimTime::from_nanos(self.reached_ns),
            end: SimTime::from_nanos(self.end_ns),
        };
        let figure = |count: u64| crate::run_limits::figure(count as f64);
        if events > limits.max_events {
            return Err(passed(
                format!("the run passed {} engine events", figure(limits.max_events)),
                "--max-events",
            ));
        }
        if in_flight > limits.max_in_flight {
            return Err(passed(
                format!(
                    "the workloads had {} requests in flight, past the limit of {} (a partition \
                     or an overload with no timeout holds every request sent)",
                    figure(in_flight),
                    figure(limits.max_in_flight)
                ),
                "--max-in-flight",
            ));
        }
        Ok(())
    }
}

/// The parts of a scenario this build parses and validates but does not simulate yet, each
/// said plainly so nobody mistakes a silent key for a working one.
pub(crate) fn not_simulated(scenario: &Scenario) -> Vec<String> {
    let mut parts = Vec::new();
    for (service, policy) in &scenario.mesh {
        if policy
            .connection_pool
            .as_ref()
            .is_some_and(|pool| pool.max_requests_per_connection.is_some())
        {
            parts.push(format!(
                "[mesh.{service}.connection_pool] max_requests_per_connection: no effect, meshsim does not model connection setup"
            ));
        }
    }
    parts
}

/// The scenario's faults as windows of time, for the reports.
pub(crate) fn fault_windows(scenario: &Scenario) -> Vec<FaultWindow> {
    scenario
        .faults
        .iter()
        .map(|fault| {
            let start_s = fault.at.as_secs_f64();
            let names = fault.between.as_deref().unwrap_or_default();
            let subject = match (fault.kind, names) {
                (FaultKind::PartitionOneway, [from, to]) => format!("{from}->{to}"),
                (_, [a, b]) => format!("{a}<->{b}"),
                _ => fault.target.clone().unwrap_or_default(),
            };
            let lasts = match fault.kind {
                FaultKind::Crash => fault.restart_after,
                _ => fault.duration,
            };
            let detail = match fault.kind {
                FaultKind::Latency => fault
                    .add
                    .map_or_else(String::new, |add| format!("+{add} per hop")),
                FaultKind::Loss => fault
                    .loss
                    .map_or_else(String::new, |loss| format!("loss {}", loss.get())),
                _ => String::new(),
            };
            FaultWindow {
                kind: fault.kind.name().to_owned(),
                subject,
                start_s,
                end_s: lasts.map(|lasts| start_s + lasts.as_secs_f64()),
                detail,
            }
        })
        .collect()
}
