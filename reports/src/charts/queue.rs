//! A service's queues over time: requests waiting in its instances' queues (and calls waiting
//! in the callers' connection pools), and requests in flight, at the end of each interval.

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::{Merge, Subject};

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let queued = subject.gauge(timeline, |row| row.queue_depth);
    let pending = subject.service_wide(timeline, Merge::Peak, |row| row.pending);
    let in_flight = subject.gauge(timeline, |row| row.in_flight);
    let queues = Panel::new("waiting (requests)", Scale::Count)
        .with(Series::sampled("queue depth", 0, timeline, &queued))
        .with_unless_zero(Series::sampled("pending in pools", 1, timeline, &pending));
    let flight = Panel::new("in flight (requests)", Scale::Count).with(Series::sampled(
        "in flight",
        2,
        timeline,
        &in_flight,
    ));
    if queues.is_empty() && flight.is_empty() {
        return Vec::new();
    }
    vec![queues, flight]
}
