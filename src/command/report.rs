//! `meshsim report DIR`: renders a run's charts and `report.html` again from its files, without
//! running it.

use std::path::PathBuf;

use super::status::Status;
use crate::report::{self, CHARTS_FOLDER, REPORT_FILE};

#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// A run's output folder (holding summary.json, metrics.csv and events.csv).
    pub folder: PathBuf,
}

pub(crate) fn report(args: &ReportArgs) -> anyhow::Result<Status> {
    let charts = report::render(&args.folder)?.charts;
    println!(
        "wrote {}: {REPORT_FILE}, {charts} charts in {CHARTS_FOLDER}/",
        args.folder.display(),
    );
    Ok(Status::Ok)
}
