//! `meshsim run FILE`: runs a scenario from a seed and writes its summary, metrics, events,
//! charts and report. The arguments become a [`ScenarioRun`], which does the work.

use std::path::PathBuf;

use meshsim_record::OPENMETRICS_START_UNIX_S;

use super::limits::LimitArgs;
use super::scenario_run::{DEFAULT_TRACE_SAMPLE, ScenarioRun};
use super::status::Status;
use crate::simulate::EngineKind;

#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
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
    /// Write the spans of sampled requests as OTLP JSON Lines to FILE, as the OpenTelemetry
    /// collector's file exporter writes them (for Jaeger, Tempo or a collector).
    #[arg(long, value_name = "FILE")]
    pub otlp: Option<PathBuf>,
    /// The share of workload requests `--trace` and `--otlp` follow, from 0 to 1.
    #[arg(long, value_name = "RATE", default_value_t = DEFAULT_TRACE_SAMPLE)]
    pub trace_sample: f64,
    /// Write the run as timestamped `OpenMetrics` text to FILE: Istio's standard metrics, Envoy's
    /// cluster statistics and meshsim's gauges, one point per metrics interval, for
    /// `promtool tsdb create-blocks-from openmetrics` (docs/observability.md).
    #[arg(long, value_name = "FILE")]
    pub openmetrics: Option<PathBuf>,
    /// The Unix time, in seconds, simulated time 0 maps to in `--openmetrics` (default
    /// 2026-01-01T00:00:00Z; Prometheus drops blocks older than its retention, so pass
    /// "$(date -u +%s)" or an hour before).
    #[arg(long, value_name = "UNIX_SECONDS", default_value_t = OPENMETRICS_START_UNIX_S)]
    pub openmetrics_start: u64,
    /// Hide the progress bar (it is hidden anyway when stderr is not a terminal or in CI).
    #[arg(long)]
    pub no_progress: bool,
    /// Log more to stderr (-v info, -vv debug); `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub(crate) fn run(args: &RunArgs) -> anyhow::Result<Status> {
    ScenarioRun::from(args).execute()
}

impl From<&RunArgs> for ScenarioRun {
    fn from(args: &RunArgs) -> ScenarioRun {
        ScenarioRun {
            file: args.file.clone(),
            seed: args.seed,
            out: args.out.clone(),
            engine: args.engine,
            requests: args.requests,
            trace: args.trace.clone(),
            otlp: args.otlp.clone(),
            trace_sample: args.trace_sample,
            openmetrics: args.openmetrics.clone(),
            openmetrics_start_unix_s: args.openmetrics_start,
            no_progress: args.no_progress,
            limits: args.limits.limits(),
        }
    }
}
