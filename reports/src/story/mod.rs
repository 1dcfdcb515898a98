//! The story of a run: what decided it, when, and why, told first on the terminal and first on
//! the page. Everything here is read from the run's files (`summary.json`, `events.csv`), so a
//! run reported again later tells the same story, and the terminal and the page agree.

mod action;
mod figures;
mod headline;
mod line;
mod mesh_lines;
mod rollout_lines;
mod routes;
mod scale_lines;
mod timeline;

pub(crate) use action::{Action, What};
pub(crate) use figures::{shown_actual, shown_expectation, shown_expected};
pub(crate) use line::{Line, Tone};
pub(crate) use routes::route_note;
pub(crate) use timeline::timeline_svg;

use crate::run_data::RunData;

/// The headline of a run: one line per thing that decided it, most decisive first.
pub(crate) fn headline(run: &RunData) -> Vec<Line> {
    let actions = Action::all(&run.events);
    headline::lines(run, &actions)
}
