//! The story of a run: what decided it, when, and why, told first on the terminal and first on
//! the page. Everything here is read from the run's files (`summary.json`, `events.csv`), so a
//! run reported again later tells the same story, and the terminal and the page agree.

mod action;
mod figures;
mod headline;
mod marks;
mod mesh_lines;
mod rollout_lines;
mod routes;
mod timeline;

pub(crate) use action::{Action, What};
pub use figures::{shown_actual, shown_expectation, shown_expected};
pub use headline::Line;
pub(crate) use marks::marks_for;
pub use routes::route_note;
pub use timeline::timeline_svg;

use crate::run_data::RunData;

/// How a line or a mark reads: it is drawn in a colour to match, and marked for a reader who
/// cannot tell the colours apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Things going as planned: an expectation met, a promotion, a breaker closing.
    Good,
    /// Things going wrong: an expectation failed, a rollback, a breaker opening, an ejection.
    Bad,
    /// Neither: a fault injected, a workload's outcome, a start.
    Neutral,
}

impl Tone {
    /// A glyph for the terminal and the page: `✔`, `✘`, `·`.
    pub fn glyph(self) -> &'static str {
        match self {
            Tone::Good => "✔",
            Tone::Bad => "✘",
            Tone::Neutral => "·",
        }
    }

    /// The CSS class the page colours it by.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Bad => "bad",
            Tone::Neutral => "neutral",
        }
    }
}

/// The headline of a run: one line per thing that decided it, most decisive first.
pub fn headline(run: &RunData) -> Vec<Line> {
    let actions = Action::all(&run.events);
    headline::lines(run, &actions)
}
