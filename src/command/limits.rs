//! The limits on one run's work, as the commands that run scenarios take them
//! (`--max-events`, `--max-in-flight`; `docs/hardening.md`), and the refusal of a scenario that
//! would pass them before it starts.

use std::io::IsTerminal;

use super::color::color_for;
use super::status::Status;
use crate::run_limits::{self, RunLimits};
use crate::scenario;

/// The limits on one run's work (`docs/hardening.md`).
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct LimitArgs {
    /// Engine events a run may take; a scenario expected to need more is refused before it
    /// starts, and a run that takes more stops. Accepts `2e9`.
    #[arg(long, value_name = "N", value_parser = parse_count, default_value = "1e9")]
    pub max_events: u64,
    /// Workload requests a run may have in flight at once before it stops.
    #[arg(long, value_name = "N", value_parser = parse_count, default_value = "5e6")]
    pub max_in_flight: u64,
}

impl LimitArgs {
    pub(super) fn limits(self) -> RunLimits {
        RunLimits {
            max_events: self.max_events,
            max_in_flight: self.max_in_flight,
        }
    }
}

/// A whole number, written out or as `2e9`.
fn parse_count(text: &str) -> Result<u64, String> {
    if let Ok(count) = text.parse::<u64>() {
        return Ok(count);
    }
    match text.parse::<f64>() {
        Ok(value) if value >= 1.0 && value.fract() == 0.0 && value < 1.8e19 => Ok(value as u64),
        _ => Err(format!(
            "`{text}` is not a whole number above zero, such as 2000000000 or 2e9"
        )),
    }
}

/// Refuses, with exit code 2, a scenario expected to pass `limits`, pointing at its `duration`.
pub(crate) fn refuse_past_limits(loaded: &scenario::Loaded, limits: &RunLimits) -> Option<Status> {
    let (message, hint) = run_limits::refusal(loaded.resolved(), limits)?;
    let duration = scenario::DocPath::root().key("scenario").key("duration");
    let span = scenario::Locator::new(&loaded.source).value_span(duration.parts());
    let diagnostic = scenario::Diagnostic::error(&loaded.file, message)
        .with_span(span)
        .with_hint(hint);
    let color = color_for(std::io::stderr().is_terminal());
    eprint!("{}", diagnostic.render(&loaded.source, color));
    Some(Status::BadInput)
}
