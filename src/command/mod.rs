//! The command line. Each subcommand is a file of its own holding its clap arguments and its
//! function (`run`, `bench`, `check`, `explain`, `report`, `compare`, `shrink`, `sweep`, `merge`); what
//! several share is in files of their own (`status`, `limits`, `loading`, `color`,
//! `scenario_run`, `sweep_folder`). Imports run one way: a subcommand uses the shared files, never
//! the reverse and never another subcommand. Raw arguments become validated settings in the
//! subcommand's file; `main` only parses, starts logging, dispatches and exits with the code.

mod bench;
mod calibrate;
mod check;
mod color;
mod compare;
mod explain;
mod import;
mod limits;
mod loading;
mod merge;
mod report;
mod run;
mod scenario_run;
mod shrink;
mod status;
mod sweep;
mod sweep_folder;

use clap::{Parser, Subcommand};

pub(crate) use status::Status;

/// A deterministic simulator of microservice systems and their service mesh.
#[derive(Debug, Parser)]
#[command(name = "meshsim", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario from a seed; write its summary, metrics, events, charts and report.
    Run(run::RunArgs),
    /// Run a scenario a few times as `run` does and measure its speed; --floor beside a bare event loop.
    Bench(bench::BenchArgs),
    /// Validate a scenario file without running it.
    Check(check::CheckArgs),
    /// Show the effective mesh policy on every call, each value with where it came from.
    Explain(explain::ExplainArgs),
    /// Render a run's charts and report.html again from its files, without running it.
    Report(report::ReportArgs),
    /// Run two scenarios from one seed and show their differences.
    Compare(compare::CompareArgs),
    /// Minimise the fault timeline of a scenario that fails, keeping the failure.
    Shrink(shrink::ShrinkArgs),
    /// Run a scenario over many seeds on several threads, and show how its figures spread.
    Sweep(sweep::SweepArgs),
    /// Join the shards of a sweep (`meshsim sweep --shard K/N`) into the whole sweep.
    Merge(merge::MergeArgs),
    /// Write one standalone TOML scenario from configuration files, or from a scenario's includes.
    Import(import::ImportArgs),
    /// Build a scenario from recorded traces (Jaeger, Zipkin, OTLP JSON); --check runs it against them.
    Calibrate(calibrate::CalibrateArgs),
}

impl Cli {
    /// How much the command logs to stderr, or `None` when it starts no logging: `run` as its
    /// `-v` says; `bench`, `compare`, `shrink` and `sweep` warnings only, since they run scenarios too;
    /// the others run nothing that logs.
    pub fn log_verbosity(&self) -> Option<u8> {
        match &self.command {
            Command::Run(args) => Some(args.verbose),
            Command::Bench(_)
            | Command::Compare(_)
            | Command::Shrink(_)
            | Command::Sweep(_)
            | Command::Calibrate(_) => Some(0),
            Command::Check(_)
            | Command::Explain(_)
            | Command::Report(_)
            | Command::Merge(_)
            | Command::Import(_) => None,
        }
    }

    /// Runs the command. An error that escapes it (a file that cannot be read or written) is
    /// told on stderr and counts as bad input.
    pub fn execute(&self) -> Status {
        let result = match &self.command {
            Command::Run(args) => run::run(args),
            Command::Bench(args) => bench::bench(args),
            Command::Check(args) => Ok(check::check(args)),
            Command::Explain(args) => Ok(explain::explain(args)),
            Command::Report(args) => report::report(args),
            Command::Compare(args) => compare::compare(args),
            Command::Shrink(args) => shrink::shrink(args),
            Command::Sweep(args) => sweep::sweep(args),
            Command::Merge(args) => merge::merge(args),
            Command::Import(args) => Ok(import::import(args)),
            Command::Calibrate(args) => Ok(calibrate::calibrate(args)),
        };
        result.unwrap_or_else(|error| {
            eprintln!("error: {error:#}");
            Status::BadInput
        })
    }
}
