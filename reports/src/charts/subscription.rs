//! A broker subscription over time: messages published into it, acknowledged, failed and
//! redelivered per second; how many wait and how many are out at consumers; and the consumer
//! lag, the age of the oldest waiting message.

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::Subject;

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let enqueued = subject.rate(timeline, None, |row| row.requests as f64);
    let acked = subject.rate(timeline, None, |row| row.succeeded as f64);
    let failed = subject.rate(timeline, None, |row| row.failed as f64);
    let redelivered = subject.rate(timeline, None, |row| row.retries.unwrap_or(0.0));
    let rates = Panel::new("messages/s", Scale::FromZero)
        .with(Series::line("published/s", 0, timeline, &enqueued))
        .with(Series::line("acked/s", 1, timeline, &acked))
        .with_unless_zero(Series::line("failed/s", 2, timeline, &failed))
        .with_unless_zero(Series::line("redelivered/s", 3, timeline, &redelivered));
    let queued = subject.gauge(timeline, |row| row.queue_depth);
    let out = subject.gauge(timeline, |row| row.in_flight);
    let held = Panel::new("messages", Scale::Count)
        .with(Series::sampled("waiting", 0, timeline, &queued))
        .with(Series::sampled("out at consumers", 1, timeline, &out));
    let lag_s: Vec<Option<f64>> = subject
        .gauge(timeline, |row| row.lag_ms)
        .into_iter()
        .map(|lag| lag.map(|ms| ms / 1000.0))
        .collect();
    let lag = Panel::new("lag (s)", Scale::FromZero).with(Series::sampled(
        "oldest waiting",
        2,
        timeline,
        &lag_s,
    ));
    if rates.is_empty() {
        return Vec::new();
    }
    vec![rates, held, lag]
}
