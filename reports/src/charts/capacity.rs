//! A service's capacity over time: its instances, as an autoscaler moves them, and the CPU its
//! instances use, in percent of their cores, from `metrics.csv`'s `replicas` and `cpu_percent`.
//! A reader sees whether the instances came before or after the load did.

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::{Merge, Subject};

/// Whether the service's instances changed during the run, or it has cores to measure.
pub(crate) fn eligible(_source: &Source, subject: &Subject) -> bool {
    subject.totals.scaled || subject.totals.cpu
}

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let mut panels = Vec::new();
    if subject.totals.scaled {
        // The count at each interval's end, over every version; a merged bucket shows its
        // highest.
        let replicas = subject.per_bucket(timeline, None, Merge::Peak, |rows| {
            rows.iter()
                .filter_map(|row| row.replicas)
                .reduce(|a, b| a + b)
        });
        panels.push(Panel::new("instances", Scale::Count).with(Series::steps(
            "instances",
            0,
            timeline,
            &replicas,
        )));
    }
    // The versions' utilization, weighted by their instances: the share of all the cores.
    let cpu = subject.per_bucket(timeline, None, Merge::Peak, |rows| {
        let (used, instances) = rows
            .iter()
            .filter_map(|row| Some((row.cpu_percent?, row.replicas.unwrap_or(1.0))))
            .fold((0.0, 0.0), |(used, all), (percent, count)| {
                (used + percent * count, all + count)
            });
        (instances > 0.0).then(|| used / instances)
    });
    if cpu.iter().any(Option::is_some) {
        panels.push(
            Panel::new("CPU (% of cores)", Scale::PercentUpTo)
                .with(Series::line("CPU used", 1, timeline, &cpu)),
        );
    }
    panels
}
