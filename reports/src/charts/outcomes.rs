//! A workload's outcomes over time, stacked: requests per second that succeeded, timed out,
//! failed or were shed, so the height is everything that completed.

use crate::metrics_row::MetricsRow;

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::Subject;

/// Reads one outcome's count from a row.
type Count = fn(&MetricsRow) -> u64;

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    // From the bottom, in the order of the palette's outcome fills.
    let outcomes: [(&str, Count); 4] = [
        ("succeeded", |row| row.succeeded),
        ("timed out", |row| row.timed_out),
        ("failed", |row| row.failed),
        ("shed", |row| row.shed),
    ];
    let mut panel = Panel::new("completed (requests/s)", Scale::FromZero);
    for (role, (label, count)) in outcomes.into_iter().enumerate() {
        let rate = subject.rate(timeline, None, |row| count(row) as f64);
        panel = panel.with(Series::band(label, role, timeline, &rate));
    }
    if panel.series.iter().all(Series::is_zero) {
        return Vec::new();
    }
    vec![panel]
}
