//! How a service with several versions shares its traffic: each version's route weight, the
//! share of the answered requests each version actually answered (header routes, outlier
//! ejection, crashes and chance move it away from the weight), and each version's success: the
//! figure a rollout's checks judge it by.

use super::panel::{Panel, Scale};
use super::series::Series;
use super::source::Source;
use super::subject::{Merge, Subject};

/// Versions drawn at most, the busiest: the palette has eight styles, and one line per version
/// in each panel.
const VERSIONS_MAX: usize = 8;

pub(crate) fn eligible(_source: &Source, subject: &Subject) -> bool {
    subject.totals.versions.len() > 1
}

pub(crate) fn panels(source: &Source, subject: &Subject) -> Vec<Panel> {
    let timeline = &source.timeline;
    let answered_all = subject.rate(timeline, None, |row| row.requests as f64);
    let mut weights = Panel::new("route weight (%)", Scale::Percent);
    let mut shares = Panel::new("answered (% of service)", Scale::Percent);
    let mut successes = Panel::new("success (% of answered)", Scale::Percent);
    for (role, version) in subject
        .busiest_versions(VERSIONS_MAX)
        .into_iter()
        .enumerate()
    {
        let weight = subject.per_bucket(timeline, Some(version), Merge::Peak, |rows| {
            rows[0].route_weight
        });
        let answered = subject.rate(timeline, Some(version), |row| row.requests as f64);
        let share: Vec<Option<f64>> = answered
            .iter()
            .zip(&answered_all)
            .map(|(version, all)| match (version, all) {
                (Some(version), Some(all)) if *all > 0.0 => Some(100.0 * version / all),
                _ => None,
            })
            .collect();
        let succeeded = subject.rate(timeline, Some(version), |row| row.succeeded as f64);
        let success: Vec<Option<f64>> = succeeded
            .iter()
            .zip(&answered)
            .map(|(succeeded, answered)| match (succeeded, answered) {
                (Some(succeeded), Some(answered)) if *answered > 0.0 => {
                    Some(100.0 * succeeded / answered)
                }
                _ => None,
            })
            .collect();
        weights = weights.with(Series::steps(version, role, timeline, &weight));
        shares = shares.with(Series::line(version, role, timeline, &share));
        successes = successes.with(Series::line(version, role, timeline, &success));
    }
    [weights, shares, successes]
        .into_iter()
        .filter(|panel| !panel.is_empty())
        .collect()
}
