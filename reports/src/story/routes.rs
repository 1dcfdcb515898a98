//! Routes explained: where a route that matches on headers sends traffic past the default
//! route's weights, the share each version answered tells a different story from its weight.
//! Said in words next to the route-weight chart, with each version's effective share.

use std::fmt::Write as _;

use crate::quantity::{duration_s, instant_s, percent};
use crate::run_data::{MetricsRow, RowKind, RunData};

/// The note for a service with several versions, or `None` when it has one version.
pub(crate) fn route_note(run: &RunData, service: &str) -> Option<String> {
    let data = run.summary.services.get(service)?;
    if data.versions.len() < 2 {
        return None;
    }
    let answered = data.requests.received.max(1) as f64;
    let shares: Vec<String> = data
        .versions
        .iter()
        .map(|(version, stats)| {
            format!(
                "{version} {}",
                percent(Some(stats.requests.received as f64 / answered))
            )
        })
        .collect();
    let mut note = format!(
        "Effective share of {service}'s requests over the run: {}.",
        shares.join(", ")
    );
    if let Some(routes) = run.summary.matched_routes.get(service) {
        let _ = write!(
            note,
            " Requests that match a header route go past the default route's weights: {}.",
            routes.join("; ")
        );
    }
    for stretch in answered_at_zero_weight(run, service) {
        let _ = write!(
            note,
            " From {} to {}, while its route weight was 0%, {} answered {} of {service}'s \
             requests.",
            instant_s(stretch.start_s),
            duration_s(stretch.end_s),
            stretch.version,
            percent(Some(stretch.share))
        );
    }
    Some(note)
}

/// A stretch of intervals in which a version's route weight was 0 and it answered requests
/// all the same.
pub(crate) struct Stretch {
    pub version: String,
    pub start_s: f64,
    pub end_s: f64,
    pub share: f64,
}

/// The stretches of each version's zero weight in which it answered more than a trace of the
/// service's requests: traffic the default route did not send it.
pub(crate) fn answered_at_zero_weight(run: &RunData, service: &str) -> Vec<Stretch> {
    /// Below this share, a stretch is chance or a request in flight across a change of weight.
    const TRACE_SHARE: f64 = 0.005;
    let rows: Vec<_> = run
        .metrics
        .iter()
        .filter(|row| row.kind == RowKind::Service && row.name == service)
        .collect();
    let interval_s = run.interval_s();
    let mut versions: Vec<&str> = rows.iter().map(|row| row.version.as_str()).collect();
    versions.sort_unstable();
    versions.dedup();
    // One interval's rows of the service, in time order: `metrics.csv` writes an interval's
    // rows together.
    let intervals: Vec<&[&MetricsRow]> = rows
        .chunk_by(|a, b| a.time_s.to_bits() == b.time_s.to_bits())
        .collect();
    let mut found = Vec::new();
    for version in versions {
        // (start, end, the version's requests, everyone's) of the current stretch.
        let mut current: Option<(f64, f64, u64, u64)> = None;
        for at in &intervals {
            let time_s = at[0].time_s;
            let zero = at
                .iter()
                .any(|row| row.version == version && row.route_weight == Some(0.0));
            if zero {
                let all: u64 = at.iter().map(|row| row.requests).sum();
                let mine: u64 = at
                    .iter()
                    .filter(|row| row.version == version)
                    .map(|row| row.requests)
                    .sum();
                let stretch = current.get_or_insert((time_s, time_s, 0, 0));
                stretch.1 = time_s + interval_s;
                stretch.2 += mine;
                stretch.3 += all;
            } else if let Some(stretch) = current.take() {
                found.extend(stretch_of(version, stretch, TRACE_SHARE));
            }
        }
        if let Some(stretch) = current.take() {
            found.extend(stretch_of(version, stretch, TRACE_SHARE));
        }
    }
    found
}

fn stretch_of(
    version: &str,
    (start_s, end_s, mine, all): (f64, f64, u64, u64),
    trace_share: f64,
) -> Option<Stretch> {
    let share = mine as f64 / all.max(1) as f64;
    (share > trace_share).then(|| Stretch {
        version: version.to_owned(),
        start_s,
        end_s,
        share,
    })
}
