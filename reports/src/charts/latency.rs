//! Latency over time: the p50 and p99 of each interval, for a workload, or for each version of a
//! service (percentiles of versions cannot be combined, so each version gets its own lines).

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::{Merge, Subject};

/// Versions drawn at most, the busiest: two lines each, and the palette has eight styles.
pub(crate) const VERSIONS_MAX: usize = 4;

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let versions = subject.busiest_versions(VERSIONS_MAX);
    let mut panel = Panel::new("latency (ms)", Scale::FromZero);
    for (index, version) in versions.iter().enumerate() {
        let name = if versions.len() > 1 {
            format!("{version} ")
        } else {
            String::new()
        };
        // A merged point shows the highest percentile of its intervals, so spikes stay.
        let p50 = subject.per_bucket(timeline, Some(version), Merge::Peak, |rows| rows[0].p50_ms);
        let p99 = subject.per_bucket(timeline, Some(version), Merge::Peak, |rows| rows[0].p99_ms);
        panel = panel
            .with(Series::line(
                format!("{name}p50"),
                2 * index,
                timeline,
                &p50,
            ))
            .with(Series::line(
                format!("{name}p99"),
                2 * index + 1,
                timeline,
                &p99,
            ));
    }
    if panel.is_empty() {
        return Vec::new();
    }
    vec![panel]
}
