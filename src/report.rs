//! Rendering a run's charts and HTML report from its files. `meshsim run` does it at the end of
//! every run and `meshsim report DIR` does it again later, from the same files, so both give the
//! same bytes; nothing is re-run.

use std::fs;
use std::path::Path;

use anyhow::Context;
use meshsim_reports::{Chart, RunData, run_charts, run_report_html};

/// The report's file, beside the run's other files.
pub(crate) const REPORT_FILE: &str = "report.html";
/// The charts' folder, beside the run's other files.
pub(crate) const CHARTS_FOLDER: &str = "charts";

/// A run's report, written.
pub(crate) struct Rendered {
    /// The run as its files have it: what the terminal's headline is told from, too.
    pub run: RunData,
    pub charts: usize,
}

/// Reads the run in `folder` back and writes `charts/*.svg` and `report.html` there.
pub(crate) fn render(folder: &Path) -> anyhow::Result<Rendered> {
    let run = RunData::load(folder)?;
    let charts = run_charts(&run)?;
    write_charts(folder, &charts)?;
    let html = run_report_html(&run, &charts);
    let path = folder.join(REPORT_FILE);
    fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Rendered {
        run,
        charts: charts.len(),
    })
}

/// Writes `charts` into `folder/charts/`, after removing the SVG files an earlier run left there
/// (a chart of a service this run does not have would otherwise look like this run's).
pub(crate) fn write_charts(folder: &Path, charts: &[Chart]) -> anyhow::Result<()> {
    let charts_folder = folder.join(CHARTS_FOLDER);
    if charts_folder.is_dir() {
        let entries = fs::read_dir(&charts_folder)
            .with_context(|| format!("cannot read {}", charts_folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|extension| extension == "svg") {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove the old chart {}", path.display()))?;
            }
        }
    }
    fs::create_dir_all(&charts_folder)
        .with_context(|| format!("cannot create {}", charts_folder.display()))?;
    for chart in charts {
        assert!(
            !chart.file_name.contains(['/', '\\'])
                && Path::new(&chart.file_name)
                    .extension()
                    .is_some_and(|extension| extension == "svg"),
            "a chart's file name is a plain .svg name: {}",
            chart.file_name
        );
        let path = charts_folder.join(&chart.file_name);
        fs::write(&path, &chart.svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
