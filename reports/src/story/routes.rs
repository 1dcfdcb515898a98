//! Routes explained: where a route that matches on headers sends traffic past the default
//! route's weights, the share each version answered tells a different story from its weight.
//! Said in words next to the route-weight chart, with each version's effective share.

use std::fmt::Write as _;

use crate::quantity::{duration_s, instant_s, percent};
use crate::run_data::RunData;
use crate::zero_weight::Stretch;

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

/// The stretches of each version's zero weight in which it answered more than a trace of the
/// service's requests: traffic the default route did not send it.
pub(crate) fn answered_at_zero_weight<'r>(run: &'r RunData, service: &str) -> &'r [Stretch] {
    run.metrics.zero_weight(service)
}
