//! The headline's lines on autoscaling: per autoscaled service, when it first scaled out and on
//! what reading, how far it went, when the last instance it started was ready (the pods' start
//! time is why a scale-out comes late), and when it was back at its lowest. Read from
//! `events.csv`: the autoscaler's `scale` lines (`requests 75.3 (target 60), 2 → 4 replicas`)
//! and the instances' `scale_start` and `ready` lines.

use std::fmt::Write as _;

use indexmap::IndexMap;

use super::line::{Line, Tone, chart_name};
use crate::quantity::instant_s;
use crate::run_data::{EventRow, RunData};

/// One change of an autoscaler's count: when, the reading that moved it, from and to.
struct Change<'a> {
    time_s: f64,
    reading: &'a str,
    from: u32,
    to: u32,
}

pub(super) fn autoscaling(run: &RunData) -> Vec<Line> {
    lines_from(&run.events)
}

fn lines_from(events: &[EventRow]) -> Vec<Line> {
    let mut by_service: IndexMap<&str, Vec<Change>> = IndexMap::new();
    for event in events.iter().filter(|event| event.kind == "scale") {
        let service = event.subject.split('/').next().unwrap_or(&event.subject);
        if let Some(change) = change_of(event).filter(|change| change.from != change.to) {
            by_service.entry(service).or_default().push(change);
        }
    }
    by_service
        .iter()
        .map(|(service, changes)| scale_line(events, service, changes))
        .collect()
}

/// `requests 75.3 (target 60), 2 → 4 replicas, ...` read back; `None` for any other detail.
fn change_of(event: &EventRow) -> Option<Change<'_>> {
    let mut parts = event.detail.split(", ");
    let reading = parts.next()?;
    let counts = parts.next()?.strip_suffix(" replicas")?;
    let (from, to) = counts.split_once(" → ")?;
    Some(Change {
        time_s: event.time_s,
        reading,
        from: from.parse().ok()?,
        to: to.parse().ok()?,
    })
}

/// `api: the autoscaler went from 2 to 7 instances, first scaling out at t = 5m 45s on
/// requests 75.3 (target 60); the last instance it started was ready at t = 8m 00s; back to 2
/// at t = 28m 15s`.
fn scale_line(events: &[EventRow], service: &str, changes: &[Change]) -> Line {
    let first_out = changes.iter().find(|change| change.to > change.from);
    let lowest = changes
        .iter()
        .map(|change| change.from.min(change.to))
        .min()
        .unwrap_or(0);
    let highest = changes
        .iter()
        .map(|change| change.from.max(change.to))
        .max()
        .unwrap_or(0);
    let mut text = format!("{service}: the autoscaler went from {lowest} to {highest} instances");
    if let Some(first) = first_out {
        let _ = write!(
            text,
            ", first scaling out at {} on {}",
            instant_s(first.time_s),
            first.reading
        );
        if let Some(ready_s) = last_started_ready(events, service) {
            let _ = write!(
                text,
                "; the last instance it started was ready at {}",
                instant_s(ready_s)
            );
        }
    }
    if let Some(last) = changes
        .last()
        .filter(|last| last.to == lowest && last.to < highest)
    {
        let _ = write!(text, "; back to {lowest} at {}", instant_s(last.time_s));
    }
    Line::new(Tone::Neutral, text).chart(chart_name("capacity-service", service))
}

/// When the last instance of `service` the autoscaler started became ready.
fn last_started_ready(events: &[EventRow], service: &str) -> Option<f64> {
    let prefix = format!("{service}/");
    let mut ready_s: Option<f64> = None;
    for (index, start) in events.iter().enumerate() {
        if start.kind != "scale_start" || !start.subject.starts_with(&prefix) {
            continue;
        }
        let ready = events[index..]
            .iter()
            .find(|event| event.kind == "ready" && event.subject == start.subject);
        if let Some(ready) = ready {
            ready_s = Some(ready_s.map_or(ready.time_s, |so_far| so_far.max(ready.time_s)));
        }
    }
    ready_s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(time_s: f64, kind: &str, subject: &str, detail: &str) -> EventRow {
        EventRow {
            time_s,
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            detail: detail.to_owned(),
        }
    }

    #[test]
    fn a_scale_out_and_back_is_told_with_its_reading_and_the_pods_ready_time() {
        let events = [
            event(
                15.0,
                "scale",
                "api/v1",
                "requests 20.0 (target 60), 2 → 2 replicas, held by stabilization (recommended 1)",
            ),
            event(
                100.0,
                "scale",
                "api/v1",
                "requests 120.0 (target 60), 2 → 4 replicas",
            ),
            event(100.0, "scale_start", "api/2", "started by the autoscaler"),
            event(100.0, "scale_start", "api/3", "started by the autoscaler"),
            event(160.0, "ready", "api/2", "ready 60s after its start"),
            event(161.0, "ready", "api/3", "ready 61s after its start"),
            event(
                500.0,
                "scale",
                "api/v1",
                "requests 10.0 (target 60), 4 → 2 replicas",
            ),
        ];
        let lines = lines_from(&events);
        assert_eq!(lines.len(), 1, "one line per autoscaled service");
        assert_eq!(
            lines[0].text,
            "api: the autoscaler went from 2 to 4 instances, first scaling out at t = 1m 40s on \
             requests 120.0 (target 60); the last instance it started was ready at t = 2m 41s; \
             back to 2 at t = 8m 20s"
        );
        assert_eq!(lines[0].chart.as_deref(), Some("capacity-service-api"));
    }

    #[test]
    fn an_autoscaler_that_never_moved_says_nothing() {
        let events = [event(
            15.0,
            "scale",
            "api/v1",
            "requests 20.0 (target 60), 2 → 2 replicas, held by stabilization (recommended 1)",
        )];
        assert!(lines_from(&events).is_empty());
    }
}
