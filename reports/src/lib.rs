//! meshsim-reports: what a person reads of a recorded run. `summary.json` and the terminal
//! summary table, from the recorder's figures; no engine and no model is needed.

pub mod chart;
pub mod charts;
pub mod compare;
mod file_name;
pub mod html;
pub mod quantity;
pub mod run_data;
pub mod story;
pub mod summary_file;
pub mod sweep;
pub mod table;

pub use chart::Chart;
pub use charts::{compare_charts, run_charts, sweep_charts};
pub use compare::{Difference, Unit, alike_subjects, differences, differences_text, headline};
pub use html::{compare_report_html, run_report_html, sweep_report_html};
pub use run_data::{RunData, RunDataError};
pub use summary_file::{
    ExpectationOutcome, FaultWindow, InvariantOutcome, MeshInfo, RunInfo, summary_json,
};
pub use sweep::{Shard, Sweep, SweepError, SweepInfo};
pub use table::{TableOptions, summary_table};
