//! A workload's latency distribution over the whole run: the share of requests at or below
//! each latency, on a logarithmic latency axis so that the median and the tail both show.

use super::panel::{Panel, Scale};
use super::series::{Mark, Series};
use super::source::Source;
use super::subject::Subject;

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let Some(workload) = source.run.summary.workloads.get(subject.name) else {
        return Vec::new();
    };
    // A latency of zero has no place on a log axis; the recorder's resolution is far above it.
    let points: Vec<(f64, Option<f64>)> = workload
        .latency_cdf_ms
        .iter()
        .filter(|[_, ms]| *ms > 0.0 && ms.is_finite())
        .map(|[percent, ms]| (libm::log10(*ms), Some(*percent)))
        .collect();
    if points.is_empty() {
        return Vec::new();
    }
    let series = Series::new("requests", 0, Mark::Line, points);
    vec![Panel::new("requests at or below (%)", Scale::Percent).with(series)]
}
