//! meshsim-reports: what a person reads of a recorded run. `summary.json` and the terminal
//! summary table, from the recorder's figures; no engine and no model is needed.
//!
//! The modules are private: what other crates use is re-exported here, and `sweep` (the sweep's
//! two files and their rows) is public as a whole.

#![warn(unreachable_pub)]

mod chart;
mod charts;
mod compare;
mod file_name;
mod html;
mod metrics;
mod metrics_row;
mod quantity;
mod run_data;
mod run_data_error;
mod story;
mod subject_totals;
mod summary_file;
pub mod sweep;
mod table;
mod zero_weight;

pub use chart::Chart;
pub use charts::{BUSIEST_MAX, compare_charts, run_charts, sweep_charts};
pub use compare::{Difference, Unit, alike_subjects, differences, differences_text, headline};
pub use html::{EVENTS_SHOWN_MAX, compare_report_html, run_report_html, sweep_report_html};
pub use run_data::RunData;
pub use run_data_error::RunDataError;
pub use summary_file::{
    ExpectationOutcome, FaultWindow, InvariantOutcome, MeshInfo, RunInfo, summary_json,
};
pub use sweep::{Shard, Sweep, SweepError, SweepInfo};
pub use table::{TableOptions, summary_table};
