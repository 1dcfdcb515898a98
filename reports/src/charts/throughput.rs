//! Throughput and errors over time: requests per second (sent by a workload, answered by a
//! service, with the mesh's retries) above the share of completed requests that did not succeed.

use crate::metrics_row::MetricsRow;

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::{Merge, Subject};
use super::timeline::Timeline;

pub(crate) fn workload_panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let sent = subject.rate(timeline, None, |row| row.requests as f64);
    let succeeded = subject.rate(timeline, None, |row| row.succeeded as f64);
    let rates = Panel::new("requests/s", Scale::FromZero)
        .with(Series::line("sent/s", 0, timeline, &sent))
        .with(Series::line("succeeded/s", 1, timeline, &succeeded));
    finish(rates, error_panel(timeline, subject))
}

pub(crate) fn service_panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let answered = subject.rate(timeline, None, |row| row.requests as f64);
    let succeeded = subject.rate(timeline, None, |row| row.succeeded as f64);
    let retries = mesh_rate(timeline, subject, |row| row.retries);
    let denials = mesh_rate(timeline, subject, |row| row.budget_denials);
    let rates = Panel::new("requests/s", Scale::FromZero)
        .with(Series::line("answered/s", 0, timeline, &answered))
        .with(Series::line("succeeded/s", 1, timeline, &succeeded))
        .with_unless_zero(Series::line("retries/s (mesh)", 2, timeline, &retries))
        .with_unless_zero(Series::line("retries denied/s", 3, timeline, &denials));
    finish(rates, error_panel(timeline, subject))
}

fn finish(rates: Panel, errors: Panel) -> Vec<Panel> {
    if rates.is_empty() {
        return Vec::new();
    }
    vec![rates, errors]
}

/// The share of requests completed in each point that failed, timed out or were shed.
fn error_panel(timeline: &Timeline, subject: &Subject) -> Panel {
    let sum = |value: fn(&MetricsRow) -> u64| {
        subject.per_bucket(timeline, None, Merge::Sum, |rows| {
            Some(rows.iter().map(|row| value(row) as f64).sum())
        })
    };
    let completed = sum(|row| row.succeeded + row.failed + row.timed_out + row.shed);
    let unsuccessful = sum(|row| row.failed + row.timed_out + row.shed);
    let percent: Vec<Option<f64>> = completed
        .iter()
        .zip(&unsuccessful)
        .map(
            |(completed, unsuccessful)| match (completed, unsuccessful) {
                (Some(completed), Some(unsuccessful)) if *completed > 0.0 => {
                    Some(100.0 * unsuccessful / completed)
                }
                _ => None,
            },
        )
        .collect();
    Panel::new("errors (% of completed)", Scale::PercentUpTo).with(Series::line(
        "not succeeded",
        2,
        timeline,
        &percent,
    ))
}

/// A count of the mesh's, per second.
fn mesh_rate(
    timeline: &Timeline,
    subject: &Subject,
    value: fn(&MetricsRow) -> Option<f64>,
) -> Vec<Option<f64>> {
    subject
        .service_wide(timeline, Merge::Sum, value)
        .into_iter()
        .enumerate()
        .map(|(bucket, sum)| sum.map(|sum| sum / timeline.bucket_width_s(bucket)))
        .collect()
}
