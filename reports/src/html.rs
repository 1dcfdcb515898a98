//! The HTML pages: `report.html` of one run, the page of `meshsim compare`, and `sweep.html`. Each is one file
//! that opens from disk offline: the style is inline, the charts' SVG is part of the page, no
//! script runs and nothing is fetched. The same run gives the same bytes: no time of writing, no
//! path, and every list in the run's own order.

mod compare;
pub(crate) mod markup;
mod run;
mod sweep;

pub use compare::compare_report_html;
pub use run::{EVENTS_SHOWN_MAX, run_report_html};
pub use sweep::sweep_report_html;
