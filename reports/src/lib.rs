//! meshsim-reports: what a person reads of a recorded run. `summary.json` and the terminal
//! summary table, from the recorder's figures; no engine and no model is needed.

pub mod summary_file;
pub mod table;

pub use summary_file::{ExpectationOutcome, RunInfo, summary_json};
pub use table::{TableOptions, summary_table};
