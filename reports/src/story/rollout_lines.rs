//! The headline's lines on rollouts: each one's outcome at its absolute time and why, its failed
//! checks' figures against their bounds; and the stretches in which a version answered requests
//! its route weight did not send it (header routes).

use indexmap::IndexMap;

use super::line::{Line, Tone, chart_name, row_id};
use super::{Action, What};
use crate::quantity::{counted, duration_ms, duration_s, instant_s, percent};
use crate::run_data::{RolloutData, RunData};

pub(super) fn rollouts(run: &RunData, actions: &[Action], lines: &mut Vec<Line>) {
    for (service, rollout) in &run.summary.rollouts {
        let mine: Vec<&Action> = actions.iter().filter(|a| a.subject == *service).collect();
        let started_s = mine
            .iter()
            .find(|a| a.what == What::RolloutStarted)
            .map(|a| a.time_s);
        let (tone, outcome) = match rollout.outcome.as_str() {
            "promoted" => (Tone::Good, "promoted"),
            "rolled_back" => (Tone::Bad, "rolled back"),
            _ => (Tone::Neutral, "still rolling out"),
        };
        let when = match (rollout.decided_at_s, started_s) {
            (Some(decided), Some(started)) => format!(
                " at {} ({} after it began at {})",
                instant_s(decided),
                duration_s(decided - started),
                duration_s(started)
            ),
            (Some(decided), None) => format!(" at {}", instant_s(decided)),
            (None, Some(started)) => format!(" at the end; it began at {}", instant_s(started)),
            (None, None) => String::new(),
        };
        let text = format!(
            "{service}: {} {} → {} {outcome}{when}{}; {} answered {} ({} failed)",
            rollout.strategy,
            rollout.from,
            rollout.to,
            why(rollout, &mine),
            rollout.to,
            counted(rollout.blast_radius, "request", "requests"),
            rollout.blast_radius_failed,
        );
        lines.push(
            Line::new(tone, text)
                .chart(chart_name("route-weights-service", service))
                .row(row_id("rollout", service)),
        );
    }
}

/// Where a version answered requests while its route weight was 0: header routes (or other
/// callers' routes) sending traffic past the default route's weights.
pub(super) fn routes(run: &RunData, lines: &mut Vec<Line>) {
    // A service of one version with weight 0 is one a strangler moved traffic away from: its
    // share of its own requests is always all of them, and tells nothing.
    let versioned = run
        .summary
        .services
        .iter()
        .filter(|(_, data)| data.versions.len() > 1)
        .map(|(service, _)| service);
    for service in versioned {
        let routes = run
            .summary
            .matched_routes
            .get(service)
            .map_or(String::new(), |routes| {
                format!(" by header routes ({})", routes.join("; "))
            });
        for stretch in super::routes::answered_at_zero_weight(run, service) {
            lines.push(
                Line::new(
                    Tone::Neutral,
                    format!(
                        "{service}: {} answered {} of requests from {} to {} while its route \
                         weight was 0%, sent there{}",
                        stretch.version,
                        percent(Some(stretch.share)),
                        instant_s(stretch.start_s),
                        duration_s(stretch.end_s),
                        if routes.is_empty() {
                            " past the default route".to_owned()
                        } else {
                            routes.clone()
                        }
                    ),
                )
                .chart(chart_name("route-weights-service", service)),
            );
        }
    }
}

/// Why a rollout ended as it did: its failed checks' figures against their bounds.
fn why(rollout: &RolloutData, actions: &[&Action]) -> String {
    let failed: Vec<&&Action> = actions
        .iter()
        .filter(|a| a.what == What::CheckFailed)
        .collect();
    if failed.is_empty() {
        let passed = actions
            .iter()
            .filter(|a| a.what == What::CheckPassed)
            .count();
        return if passed == 0 {
            String::new()
        } else {
            format!(", {} passed", counted(passed as u64, "check", "checks"))
        };
    }
    // Each failing metric with its values, in the order they failed: `success_rate 0.942 at
    // t = 4m 00s, 0.948 at 5m 00s (bound ≥ 0.99)`.
    let mut by_metric: IndexMap<String, Vec<String>> = IndexMap::new();
    for action in &failed {
        for (metric, value) in failed_figures(&action.detail) {
            // Latencies are written in milliseconds in the check's record.
            let value = match value.parse::<f64>() {
                Ok(millis) if metric.starts_with("latency") => duration_ms(millis),
                _ => value,
            };
            by_metric
                .entry(metric)
                .or_default()
                .push(format!("{value} at {}", instant_s(action.time_s)));
        }
    }
    let parts: Vec<String> = by_metric
        .iter()
        .map(|(metric, values)| {
            let bound = rollout
                .checks
                .iter()
                .find_map(|check| check.strip_prefix(metric.as_str()))
                .map_or(String::new(), |bound| {
                    format!(
                        " (needs {})",
                        bound.trim().replace(">=", "≥").replace("<=", "≤")
                    )
                });
            format!("{metric} {}{bound}", values.join(", "))
        })
        .collect();
    format!(
        ", {}: {}",
        counted(failed.len() as u64, "failed check", "failed checks"),
        parts.join("; ")
    )
}

/// The failing figures of a check's detail: `failed (1 of 3): 1688 requests; success_rate
/// 0.942 FAILED, latency_p99 55.579 ok` gives `success_rate`, `0.942`.
fn failed_figures(detail: &str) -> Vec<(String, String)> {
    let figures = detail.split_once("; ").map_or("", |(_, rest)| rest);
    figures
        .split(", ")
        .filter_map(|figure| figure.strip_suffix(" FAILED"))
        .filter_map(|figure| figure.split_once(' '))
        .map(|(metric, value)| (metric.to_owned(), value.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_names_its_failing_figures() {
        let detail =
            "failed (1 of 3): 1688 requests; success_rate 0.942 FAILED, latency_p99 55.579 ok";
        assert_eq!(
            failed_figures(detail),
            [("success_rate".to_owned(), "0.942".to_owned())]
        );
        assert!(failed_figures("passed: 303 requests; success_rate 1 ok").is_empty());
    }
}
