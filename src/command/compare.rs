//! `meshsim compare A.toml B.toml`: both scenarios run from one seed into `OUT/a` and `OUT/b`,
//! then what differs most and their key figures side by side (`differences.csv`, the terminal),
//! their charts overlaid (`OUT/charts/`) and a page that shows both (`OUT/report.html`).
//!
//! Random streams are forked by name from the seed, so two scenarios with the same workloads draw
//! the same arrivals and headers: the runs differ by what the files differ in, not by luck
//! (common random numbers).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use meshsim_record::OPENMETRICS_START_UNIX_S;
use meshsim_reports::{
    Difference, RunData, compare_charts, compare_report_html, differences, differences_text,
    headline,
};

use super::limits::LimitArgs;
use super::loading::report_load_error;
use super::scenario_run::{DEFAULT_TRACE_SAMPLE, ScenarioRun};
use super::status::Status;
use crate::report::{REPORT_FILE, write_charts};
use crate::scenario;
use crate::simulate::EngineKind;

#[derive(Debug, clap::Args)]
pub(crate) struct CompareArgs {
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

pub(crate) fn compare(args: &CompareArgs) -> anyhow::Result<Status> {
    // Both scenarios must load before either runs: a typo in B should not cost A's run.
    let mut names = Vec::new();
    for file in [&args.first, &args.second] {
        match scenario::load_file(file) {
            Ok(loaded) => {
                let header = &loaded.scenario().scenario;
                names.push((header.name.clone(), header.seed));
            }
            Err(error) => {
                report_load_error(&error);
                return Ok(Status::BadInput);
            }
        }
    }
    let labels = labels(&args.first, &args.second, &names[0].0, &names[1].0);
    let seed = args.seed.unwrap_or(names[0].1);
    let out = args.out.clone().unwrap_or_else(|| {
        Path::new("out").join(format!("compare-{}-vs-{}", labels[0], labels[1]))
    });
    let folders = [out.join("a"), out.join("b")];
    for (index, file) in [&args.first, &args.second].into_iter().enumerate() {
        println!("== {} ({})", labels[index], file.display());
        let run = ScenarioRun {
            file: file.clone(),
            seed: Some(seed),
            out: Some(folders[index].clone()),
            engine: args.engine,
            requests: false,
            trace: None,
            otlp: None,
            trace_sample: DEFAULT_TRACE_SAMPLE,
            openmetrics: None,
            openmetrics_start_unix_s: OPENMETRICS_START_UNIX_S,
            no_progress: args.no_progress,
            limits: args.limits.limits(),
        };
        let status = run.execute()?;
        if matches!(status, Status::BadInput | Status::InternalError) {
            return Ok(status);
        }
        println!();
    }
    write_comparison(&out, &labels, &folders, seed)?;
    Ok(Status::Ok)
}

/// Reads both runs back from their folders and writes and prints what differs between them.
fn write_comparison(
    out: &Path,
    labels: &[String; 2],
    folders: &[PathBuf; 2],
    seed: u64,
) -> anyhow::Result<()> {
    let runs = [RunData::load(&folders[0])?, RunData::load(&folders[1])?];
    let rows = differences(&runs[0], &runs[1]);
    let csv_path = out.join("differences.csv");
    fs::write(&csv_path, differences_csv(&rows))
        .with_context(|| format!("cannot write {}", csv_path.display()))?;
    let a = (labels[0].as_str(), &runs[0]);
    let b = (labels[1].as_str(), &runs[1]);
    let charts = compare_charts(a, b)?;
    write_charts(out, &charts)?;
    let html_path = out.join(REPORT_FILE);
    fs::write(&html_path, compare_report_html(a, b, &rows, &charts))
        .with_context(|| format!("cannot write {}", html_path.display()))?;
    let headline = headline(a, b, &rows);
    print!("{}", differences_text([a.0, b.0], seed, &headline, &rows));
    println!(
        "  wrote {}: a/, b/, differences.csv, {} charts, {REPORT_FILE}",
        out.display(),
        charts.len()
    );
    Ok(())
}

/// Short names for the two runs: the scenarios' names, or the files' stems when those are the
/// same, or `a` and `b` when even those are.
fn labels(first: &Path, second: &Path, first_name: &str, second_name: &str) -> [String; 2] {
    if first_name != second_name {
        return [first_name.to_owned(), second_name.to_owned()];
    }
    let stem = |path: &Path| {
        path.file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let stems = [stem(first), stem(second)];
    if stems[0] != stems[1] && !stems[0].is_empty() && !stems[1].is_empty() {
        return stems;
    }
    ["a".to_owned(), "b".to_owned()]
}

fn differences_csv(rows: &[Difference]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let number = |value: Option<f64>| value.map_or_else(String::new, |value| format!("{value}"));
    writer
        .write_record(["metric", "a", "b", "change", "relative_change"])
        .expect("writing to memory");
    for row in rows {
        writer
            .write_record([
                row.metric.clone(),
                number(row.a),
                number(row.b),
                number(row.delta()),
                number(row.relative()),
            ])
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("in memory")).expect("CSV of UTF-8 text")
}
