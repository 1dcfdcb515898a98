//! [`MeshTest`]: a scenario with code attached, run from a `#[test]` as turmoil's `Sim` is.
//!
//! ```no_run
//! # fn backend() -> axum::Router { axum::Router::new() }
//! let outcome = meshsim::MeshTest::from_file("scenarios/messages.toml")
//!     .unwrap()
//!     .with_service("backend", "v1", backend)
//!     .check(); // runs twice, panics with the seed and the replay command on a failure
//! assert!(outcome.summary().workloads["readers"].success_rate.unwrap() > 0.8);
//! ```

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use meshsim_record::{RecorderOutputs, RunSummary, TraceOutput};
use meshsim_reports::{ExpectationOutcome, RunData, TableOptions, summary_json, summary_table};

use super::run::simulate_with_code;
use super::served::BoxError;
use super::service_code::ServiceCode;
use crate::expect;
use crate::scenario::{LoadError, Loaded, load_file, load_str};
use crate::simulate::{EngineKind, SimulateError, Simulation, simulate_on};

/// The environment variable that replays a run with another seed than the test gives.
pub(super) const SEED_VARIABLE: &str = "MESHSIM_SEED";

/// Why a [`MeshTest`] could not run.
#[derive(Debug, thiserror::Error)]
pub enum MeshTestError {
    /// The scenario did not load: the error is located, as `meshsim check` prints it.
    #[error("{0}")]
    Load(String),
    #[error(
        "`{service}` version `{version}` runs Rust code, and only the turmoil engine runs code \
         (the event engine has no async runtime): use `.engine(EngineKind::Turmoil)`, the \
         default when code is attached, or attach no code to run the model"
    )]
    CodeNeedsTurmoil { service: String, version: String },
    #[error("{0}")]
    Simulate(#[from] SimulateError),
    #[error("writing the outputs to {folder}: {error}")]
    Output { folder: PathBuf, error: String },
    #[error("{0} is not a seed: give a whole number")]
    Seed(String),
    #[error("a trace's sample rate is a share of requests, from 0 to 1, not {0}")]
    SampleRate(f64),
}

/// A scenario with code attached to some of its service versions, ready to run.
#[derive(Debug)]
pub struct MeshTest {
    loaded: Loaded,
    code: ServiceCode,
    seed: Option<u64>,
    engine: Option<EngineKind>,
    output: Option<PathBuf>,
    /// Where the trace of sampled requests goes (Chrome trace-event JSON), and the share sampled.
    trace: Option<(PathBuf, f64)>,
}

/// A finished run: the summary, the expectations checked, and the seed it ran with.
pub struct Outcome {
    pub simulation: Simulation,
    pub expectations: Vec<ExpectationOutcome>,
    pub seed: u64,
    /// The run's wall time, for the summary's speed figure; nothing in the run reads it.
    pub wall_seconds: f64,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcome")
            .field("seed", &self.seed)
            .field("digest", &self.digest())
            .field("passed", &self.passed())
            .finish_non_exhaustive()
    }
}

impl Outcome {
    pub fn summary(&self) -> &RunSummary {
        &self.simulation.summary
    }

    /// The digest of the run's trace: the same seed and code give the same digest.
    pub fn digest(&self) -> &str {
        &self.simulation.summary.digest
    }

    /// Whether every expectation held, every request is accounted for, and every invariant held.
    pub fn passed(&self) -> bool {
        self.expectations.iter().all(|outcome| outcome.ok)
            && self.simulation.summary.accounting.ok
            && self
                .simulation
                .info
                .invariants
                .iter()
                .all(|check| check.holds)
    }

    /// What failed, a line each: expectations, the accounting, invariants.
    pub fn failures(&self) -> Vec<String> {
        let mut failures: Vec<String> = self
            .expectations
            .iter()
            .filter(|outcome| !outcome.ok)
            .map(|outcome| {
                format!(
                    "expectation {}: got {}, expected {}",
                    outcome.metric, outcome.actual, outcome.expected
                )
            })
            .collect();
        if !self.simulation.summary.accounting.ok {
            failures
                .push("requests are not all accounted for (sent != ended + in flight)".to_owned());
        }
        for check in &self.simulation.info.invariants {
            if !check.holds {
                failures.push(format!(
                    "invariant {}: {} of {} violated ({})",
                    check.name,
                    check.violations,
                    check.checked,
                    check.examples.join("; ")
                ));
            }
        }
        failures
    }

    /// The summary as `meshsim run` prints it, without colour.
    pub fn table(&self) -> String {
        let json = summary_json(
            &self.simulation.info,
            &self.simulation.summary,
            &self.expectations,
        );
        let run = RunData::from_summary(&json).expect("a summary meshsim wrote reads back");
        summary_table(
            &self.simulation.info,
            &self.simulation.summary,
            &run,
            TableOptions {
                color: false,
                wall_seconds: self.wall_seconds,
            },
        )
    }
}

impl MeshTest {
    /// Loads and checks the scenario at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<MeshTest, MeshTestError> {
        Ok(MeshTest::of(load_file(path.as_ref()).map_err(load_error)?))
    }

    /// Loads and checks a scenario given as text; `label` names it in errors.
    pub fn from_toml(label: &str, source: &str) -> Result<MeshTest, MeshTestError> {
        Ok(MeshTest::of(load_str(label, source).map_err(load_error)?))
    }

    fn of(loaded: Loaded) -> MeshTest {
        MeshTest {
            loaded,
            code: ServiceCode::new(),
            seed: None,
            engine: None,
            output: None,
            trace: None,
        }
    }

    /// Runs version `version` of `service` as the service `factory` makes, once per instance:
    /// see [`ServiceCode::with_service`].
    #[must_use]
    pub fn with_service<F, S, B>(mut self, service: &str, version: &str, factory: F) -> Self
    where
        F: Fn() -> S + 'static,
        S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + 'static,
        S::Future: 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body + 'static,
        B::Error: Into<BoxError>,
    {
        self.code = self.code.with_service(service, version, factory);
        self
    }

    /// Every request to `endpoint` of `service` carries `body`: see
    /// [`ServiceCode::with_request_body`].
    #[must_use]
    pub fn with_request_body(
        mut self,
        service: &str,
        endpoint: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Self {
        self.code = self
            .code
            .with_request_body(service, endpoint, content_type, body);
        self
    }

    /// The seed; without, the scenario's. `MESHSIM_SEED` in the environment overrides both, to
    /// replay a failure.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The engine; without, the turmoil engine when code is attached, the event engine when not.
    #[must_use]
    pub fn engine(mut self, engine: EngineKind) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Writes the run's CSV files, charts, `summary.json` and `report.html` into `folder`, as
    /// `meshsim run --out folder` does.
    #[must_use]
    pub fn output(mut self, folder: impl Into<PathBuf>) -> Self {
        self.output = Some(folder.into());
        self
    }

    /// Writes the spans of a share `sample_rate` (0 to 1) of the workloads' requests to `file`,
    /// as `meshsim run --trace file --trace-sample sample_rate` does: Chrome trace-event JSON
    /// that Perfetto opens, the code's calls among them.
    #[must_use]
    pub fn trace(mut self, file: impl Into<PathBuf>, sample_rate: f64) -> Self {
        self.trace = Some((file.into(), sample_rate));
        self
    }

    /// The scenario as loaded.
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// The seed a run takes: `MESHSIM_SEED`, else the one given, else the scenario's.
    pub fn effective_seed(&self) -> Result<u64, MeshTestError> {
        #[allow(clippy::disallowed_methods)] // Read once, before the run: the replay's seed.
        match std::env::var(SEED_VARIABLE) {
            Ok(text) => text.trim().parse().map_err(|_| MeshTestError::Seed(text)),
            Err(_) => Ok(self.seed.unwrap_or(self.loaded.scenario().scenario.seed)),
        }
    }

    fn engine_kind(&self) -> EngineKind {
        self.engine.unwrap_or(if self.code.is_empty() {
            EngineKind::Event
        } else {
            EngineKind::Turmoil
        })
    }

    /// Runs the scenario once.
    pub fn run(&self) -> Result<Outcome, MeshTestError> {
        let seed = self.effective_seed()?;
        self.run_with(seed, true)
    }

    #[allow(clippy::disallowed_types, clippy::disallowed_methods)]
    /// One run; `written`: it writes the output folder and the trace (the second run of
    /// [`MeshTest::check`] only compares its digest).
    fn run_with(&self, seed: u64, written: bool) -> Result<Outcome, MeshTestError> {
        let output = self.output.as_deref().filter(|_| written);
        // The wall clock times the run for the summary line; the simulation never reads it.
        let wall_start = std::time::Instant::now();
        let engine = self.engine_kind();
        if engine == EngineKind::Event
            && let Some((service, version)) = self.code.versions.keys().next()
        {
            return Err(MeshTestError::CodeNeedsTurmoil {
                service: service.clone(),
                version: version.clone(),
            });
        }
        let mut outputs = match output {
            Some(folder) => recorder_outputs(folder)?,
            None => RecorderOutputs::default(),
        };
        if let Some((file, sample_rate)) = self.trace.as_ref().filter(|_| written) {
            if !(0.0..=1.0).contains(sample_rate) {
                return Err(MeshTestError::SampleRate(*sample_rate));
            }
            outputs.trace = Some(trace_output(file, *sample_rate)?);
        }
        let resolved = self.loaded.resolved();
        let simulation = if self.code.is_empty() {
            simulate_on(engine, resolved, seed, outputs, &mut |_, _| {})?
        } else {
            simulate_with_code(resolved, seed, outputs, &self.code, &mut |_, _| {})?
        };
        let wall_seconds = wall_start.elapsed().as_secs_f64();
        let expectations = expect::check_all(&simulation.summary, resolved);
        if let Some(folder) = output {
            write_report(folder, &simulation, &expectations)?;
        }
        Ok(Outcome {
            simulation,
            expectations,
            seed,
            wall_seconds,
        })
    }

    /// Runs the scenario twice and hands back the first run. Panics, with the seed and the
    /// command that replays it, when the two runs' digests differ (the code did something
    /// the simulation does not drive: a thread, the wall clock, an OS random source, an
    /// unbiased `select!`) or when an expectation, the accounting or an invariant failed.
    pub fn check(&self) -> Outcome {
        let seed = self
            .effective_seed()
            .unwrap_or_else(|error| panic!("{error}"));
        let replay = replay_command(seed);
        let first = self
            .run_with(seed, true)
            .unwrap_or_else(|error| panic!("{error}\nseed {seed}; replay: {replay}"));
        let second = self
            .run_with(seed, false)
            .unwrap_or_else(|error| panic!("{error}\nseed {seed}; replay: {replay}"));
        assert!(
            first.digest() == second.digest(),
            "two runs of seed {seed} differ (digests {} and {}): the code did something the \
             simulation does not drive (a thread, the wall clock, an OS random source, an \
             unbiased tokio::select!); see docs/service-code.md\nreplay: {replay}",
            first.digest(),
            second.digest()
        );
        let failures = first.failures();
        assert!(
            failures.is_empty(),
            "{}\n{}\nseed {seed}; replay: {replay}",
            failures.join("\n"),
            first.table()
        );
        first
    }
}

#[allow(clippy::needless_pass_by_value)] // As `map_err` hands it over.
fn load_error(error: LoadError) -> MeshTestError {
    MeshTestError::Load(error.to_string())
}

/// The command that runs the current test again with `seed`.
fn replay_command(seed: u64) -> String {
    let thread = std::thread::current();
    match thread.name() {
        Some(test) if test != "main" => {
            format!("{SEED_VARIABLE}={seed} cargo test -- --exact {test}")
        }
        _ => {
            #[allow(clippy::disallowed_methods)] // The program's own command line, for a person.
            let program: Vec<String> = std::env::args().collect();
            format!("{SEED_VARIABLE}={seed} {}", program.join(" "))
        }
    }
}

/// The trace's file.
fn trace_output(file: &Path, sample_rate: f64) -> Result<TraceOutput, MeshTestError> {
    let created = File::create(file).map_err(|error| MeshTestError::Output {
        folder: file.to_owned(),
        error: error.to_string(),
    })?;
    Ok(TraceOutput {
        writer: Box::new(BufWriter::with_capacity(1 << 16, created)),
        sample_rate,
    })
}

/// The files a run streams into `folder` as it goes.
fn recorder_outputs(folder: &Path) -> Result<RecorderOutputs, MeshTestError> {
    let fail = |error: std::io::Error| MeshTestError::Output {
        folder: folder.to_owned(),
        error: error.to_string(),
    };
    fs::create_dir_all(folder).map_err(fail)?;
    let create = |name: &str| -> Result<Box<dyn std::io::Write>, MeshTestError> {
        let file = File::create(folder.join(name)).map_err(fail)?;
        Ok(Box::new(BufWriter::with_capacity(1 << 16, file)))
    };
    Ok(RecorderOutputs {
        metrics: Some(create("metrics.csv")?),
        events: Some(create("events.csv")?),
        ..RecorderOutputs::default()
    })
}

/// `summary.json` with the expectations, then the charts and the report drawn from the files.
fn write_report(
    folder: &Path,
    simulation: &Simulation,
    expectations: &[ExpectationOutcome],
) -> Result<(), MeshTestError> {
    let fail = |error: String| MeshTestError::Output {
        folder: folder.to_owned(),
        error,
    };
    let json = summary_json(&simulation.info, &simulation.summary, expectations);
    fs::write(folder.join("summary.json"), json).map_err(|error| fail(error.to_string()))?;
    crate::report::render(folder).map_err(|error| fail(format!("{error:#}")))?;
    Ok(())
}
