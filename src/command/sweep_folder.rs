//! A sweep's output folder, as `meshsim sweep` and `meshsim merge` both write it: `sweep.json`
//! (what was swept), `sweep.csv` (a row per seed), `sweep.html` and its charts, all drawn from
//! the first two alone (`meshsim_reports::sweep`), so a merge gives the same bytes as the sweep
//! run in one go.

use std::fs;
use std::path::Path;

use anyhow::Context;
use meshsim_reports::sweep::SeedRow;
use meshsim_reports::{Sweep, sweep_charts, sweep_report_html};

use super::status::Status;
use crate::output_folder::{OutputFolder, leftover_note};
use crate::report::write_charts;

/// The page of a sweep, beside `sweep.csv` and `sweep.json`.
pub(crate) const SWEEP_PAGE: &str = "sweep.html";

/// Writes `sweep.json`, `sweep.csv`, `sweep.html` and `charts/` into `target`, and prints the
/// summary; the status says whether every seed met every expectation.
pub(crate) fn write_and_print(
    target: &Path,
    sweep: &Sweep,
    heading: &str,
) -> anyhow::Result<Status> {
    let (staging, leftover) = OutputFolder::begin(target)?;
    if let Some(leftover) = &leftover {
        eprintln!("{}", leftover_note(target, leftover));
    }
    let folder = staging.path();
    let write = |name: &str, text: &str| {
        let path = folder.join(name);
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write("sweep.json", &sweep.json())?;
    write("sweep.csv", &sweep.csv())?;
    let charts = sweep_charts(sweep);
    write_charts(folder, &charts)?;
    write(SWEEP_PAGE, &sweep_report_html(sweep, &charts))?;
    staging.commit()?;
    println!("{heading}\n");
    print!("{}", sweep.summary_text());
    println!(
        "\n  wrote {} (and sweep.csv, sweep.json, {} charts)",
        target.join(SWEEP_PAGE).display(),
        charts.len()
    );
    if sweep.rows.iter().all(SeedRow::ok) {
        Ok(Status::Ok)
    } else {
        Ok(Status::ExpectationsFailed)
    }
}
