//! A service's circuit breakers and outlier ejections over time: the breaker state of its
//! callers (open when any caller's is) and the instances ejected (once per caller that ejected
//! them), as `metrics.csv` has them at the end of each interval.

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::{Merge, Subject};

const STATES: &[&str] = &["closed", "half-open", "open"];

/// Whether the service ever had a breaker leave `closed` or an instance ejected.
pub(crate) fn eligible(source: &Source, subject: &Subject) -> bool {
    breaker_moved(source, subject) || ejected(source, subject)
}

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let mut panels = Vec::new();
    if breaker_moved(source, subject) {
        let states = subject.service_wide(timeline, Merge::Peak, |row| {
            row.circuit_state.as_deref().map(state_level)
        });
        panels.push(
            Panel::new("breaker state", Scale::Levels(STATES)).with(Series::steps(
                "breaker state",
                0,
                timeline,
                &states,
            )),
        );
    }
    if ejected(source, subject) {
        let ejected = subject.service_wide(timeline, Merge::Peak, |row| row.ejected);
        panels.push(
            Panel::new("ejected (instances)", Scale::Count).with(Series::steps(
                "ejected, per caller",
                1,
                timeline,
                &ejected,
            )),
        );
    }
    panels
}

fn state_level(state: &str) -> f64 {
    match state {
        "open" => 2.0,
        "half_open" => 1.0,
        _ => 0.0,
    }
}

fn breaker_moved(source: &Source, subject: &Subject) -> bool {
    source.mesh_count(subject.name, "circuit_opens") > 0 || subject.totals.breaker_left_closed
}

fn ejected(source: &Source, subject: &Subject) -> bool {
    source.mesh_count(subject.name, "ejections") > 0 || subject.totals.ejected
}
