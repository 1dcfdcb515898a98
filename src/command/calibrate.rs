//! `meshsim calibrate TRACES... [--format jaeger|zipkin|otlp] [--out scenario.toml]
//! [--arrivals rate|replay] [--check] [--no-progress]`: a scenario built from recorded traces,
//! and, with `--check`, the simulation of it held against the traces
//! ([docs/calibrate.md](../../docs/calibrate.md)).

use std::path::{Path, PathBuf};

use super::status::{Status, bad_input};
use std::fs::File;
use std::io::BufWriter;

use meshsim_record::{OtlpOutput, RecorderOutputs};

use super::loading::load_or_report;
use crate::calibrate::{
    Arrivals, Calibration, ReadCounts, ReadOptions, Tolerances, TraceFormat, TraceStats,
    WriteOptions, compare, read_traces, render_check, render_summary, write_scenario,
};
use crate::simulate::simulate;

#[derive(Debug, clap::Args)]
pub(crate) struct CalibrateArgs {
    /// Trace files: Jaeger JSON, Zipkin v2 JSON or OTLP JSON.
    #[arg(required = true, value_name = "TRACES")]
    pub files: Vec<PathBuf>,
    /// The files' format; detected from each file's first bytes when left out.
    #[arg(long, value_enum)]
    pub format: Option<TraceFormat>,
    /// Where to write the scenario; its samples go in a folder beside it, `NAME.samples/`.
    #[arg(long, value_name = "FILE", default_value = "calibrated.toml")]
    pub out: PathBuf,
    /// `rate`: Poisson arrivals at the traces' rate; `replay`: every traced arrival at its time.
    #[arg(long, value_enum, default_value = "rate")]
    pub arrivals: Arrivals,
    /// The share of requests the traces hold (head sampling at 1 % is 0.01): the rates are
    /// divided by it.
    #[arg(long, value_name = "SHARE", default_value_t = 1.0)]
    pub sample_rate: f64,
    /// Run the written scenario under the traces' load and compare it with the traces; exit 1
    /// when an entry's p50 or p99, or an edge's count, is outside the tolerances.
    #[arg(long)]
    pub check: bool,
    /// With --check: the largest difference allowed on an entry endpoint's p50 and p99, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 5.0)]
    pub latency_tolerance: f64,
    /// With --check: the largest difference allowed on an edge's call count, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = 2.0)]
    pub count_tolerance: f64,
    /// Show no progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

pub(crate) fn calibrate(args: &CalibrateArgs) -> Status {
    if !(args.sample_rate > 0.0 && args.sample_rate <= 1.0) {
        return bad_input(
            &format!(
                "--sample-rate {} is not a share of requests",
                args.sample_rate
            ),
            "give the traces' sampling probability, above 0 and at most 1: 0.01 for 1 %",
        );
    }
    for (flag, value) in [
        ("--latency-tolerance", args.latency_tolerance),
        ("--count-tolerance", args.count_tolerance),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            return bad_input(
                &format!("{flag} {value} is not a percentage"),
                "give a difference in percent, 0 or more: 5 for 5 %",
            );
        }
    }
    let mut calibration = Calibration::new(args.arrivals == Arrivals::Replay);
    let files: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    let options = ReadOptions {
        format: args.format,
        progress: !args.no_progress,
    };
    let read = match read_traces(&files, options, &mut |trace| calibration.add(trace)) {
        Ok(read) => read,
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = &error.hint {
                eprintln!("hint: {hint}");
            }
            return Status::BadInput;
        }
    };
    if calibration.system.counts.traces_used == 0 {
        print!(
            "{}",
            render_summary(&calibration.system, Some(&read), &empty_written())
        );
        return bad_input(
            "no whole trace with an entry point: nothing to build a scenario from",
            "calibration needs traces whose root is a SERVER span, or a load generator's CLIENT span, with every parent present",
        );
    }
    let written = match write(args, &calibration, &read) {
        Ok(written) => written,
        Err(status) => return status,
    };
    print!(
        "{}",
        render_summary(&calibration.system, Some(&read), &written)
    );
    println!(
        "\nwrote {} and {} files in {}",
        args.out.display(),
        written.files.len(),
        samples_dir(&args.out).display()
    );
    if args.check {
        return check(args, &calibration);
    }
    Status::Ok
}

fn empty_written() -> crate::calibrate::Written {
    crate::calibrate::Written {
        toml: String::new(),
        files: Vec::new(),
        workloads: Vec::new(),
        broker: None,
    }
}

/// `NAME.samples` beside `NAME.toml`.
fn samples_dir(out: &Path) -> PathBuf {
    out.with_file_name(format!("{}.samples", stem(out)))
}

fn stem(out: &Path) -> String {
    out.file_stem().map_or_else(
        || "calibrated".to_owned(),
        |stem| stem.to_string_lossy().into_owned(),
    )
}

fn write(
    args: &CalibrateArgs,
    calibration: &Calibration,
    read: &ReadCounts,
) -> Result<crate::calibrate::Written, Status> {
    let names: Vec<String> = args
        .files
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let options = WriteOptions {
        name: stem(&args.out).chars().take(64).collect(),
        samples_dir: format!("{}.samples", stem(&args.out)),
        arrivals: args.arrivals,
        sample_rate: args.sample_rate,
        header: vec![
            format!("Written by `meshsim calibrate` from {}.", names.join(", ")),
            format!(
                "{} traces read, {} used; {} spans; sample rate {}.",
                read.traces, calibration.system.counts.traces_used, read.spans, args.sample_rate
            ),
            "Each service_time is the own work the traces show, each hop the network's one way;"
                .to_owned(),
            "how each figure is read from the spans: docs/calibrate.md.".to_owned(),
        ],
    };
    let written = write_scenario(&calibration.system, &options);
    let cannot_write = |path: &Path, error: std::io::Error| {
        bad_input(
            &format!("cannot write {}: {error}", path.display()),
            "choose a --out path in a folder that exists and that you may write to",
        )
    };
    let folder = args.out.parent().unwrap_or(Path::new(""));
    let samples = samples_dir(&args.out);
    std::fs::create_dir_all(&samples).map_err(|error| cannot_write(&samples, error))?;
    for (path, contents) in &written.files {
        let path = folder.join(path);
        std::fs::write(&path, contents).map_err(|error| cannot_write(&path, error))?;
    }
    std::fs::write(&args.out, &written.toml).map_err(|error| cannot_write(&args.out, error))?;
    Ok(written)
}

fn check(args: &CalibrateArgs, calibration: &Calibration) -> Status {
    let simulated = match simulated_stats(args) {
        Ok(simulated) => simulated,
        Err(status) => return status,
    };
    let tolerances = Tolerances {
        latency_percent: args.latency_tolerance,
        count_percent: args.count_tolerance,
    };
    let rows = compare(&calibration.stats, &simulated, tolerances);
    print!("\n{}", render_check(&rows, tolerances));
    if rows.iter().all(|row| row.within) {
        Status::Ok
    } else {
        Status::ExpectationsFailed
    }
}

/// The simulated side of `--check`: runs the written scenario from its seed, exporting the same
/// share of requests as the traces hold (`--sample-rate`) as OTLP, and reads that export back
/// through the same readers and builder as the traces, so both sides are measured alike. The
/// export stays beside the samples (`simulated.otlp.jsonl`), for a look in Jaeger.
fn simulated_stats(args: &CalibrateArgs) -> Result<TraceStats, Status> {
    let loaded = load_or_report(&args.out)?;
    let seed = loaded.scenario().scenario.seed;
    let export = samples_dir(&args.out).join("simulated.otlp.jsonl");
    let internal = |what: &str, error: &dyn std::fmt::Display| {
        eprintln!("error: {what}: {error}");
        Status::InternalError
    };
    let file = File::create(&export)
        .map_err(|error| internal(&format!("cannot create {}", export.display()), &error))?;
    let outputs = RecorderOutputs {
        otlp: Some(OtlpOutput {
            writer: Box::new(BufWriter::with_capacity(1 << 16, file)),
            sample_rate: args.sample_rate,
        }),
        ..RecorderOutputs::default()
    };
    let simulation = simulate(loaded.resolved(), seed, outputs, &mut |_, _| {})
        .map_err(|error| internal("the simulated run failed", &error))?;
    if !simulation.summary.accounting.ok {
        return Err(internal(
            "the simulated run",
            &"requests were not all accounted for (a bug in meshsim)",
        ));
    }
    let mut simulated = Calibration::new(false);
    let options = ReadOptions {
        format: Some(TraceFormat::Otlp),
        progress: false,
    };
    read_traces(&[export.as_path()], options, &mut |trace| {
        simulated.add(trace);
    })
    .map_err(|error| internal("cannot read the simulated run's traces back", &error))?;
    println!(
        "\nran {} from seed {seed}: {} requests; its traces are in {}",
        args.out.display(),
        simulation.summary.requests.sent,
        export.display()
    );
    Ok(simulated.stats)
}
