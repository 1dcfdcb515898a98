//! The headline's lines: the expectations' verdict, then each rollout, breaker, ejection, retry
//! storm, policy that turned requests away, broken invariant, fault and workload outcome, each
//! with its absolute simulated time and its cause, and the chart and timeline row that show it.

use std::fmt::Write as _;

use indexmap::IndexMap;

use super::figures::shown_expectation;
use super::{Action, Tone, What};
use crate::quantity::{counted, duration_ms, duration_s, instant_s, percent, ratio};
use crate::run_data::{RolloutData, RunData};
use crate::summary_file::FaultWindow;

/// One line of the headline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub tone: Tone,
    pub text: String,
    /// The file name, without `.svg`, of the chart that shows it best, if the run drew one.
    pub chart: Option<String>,
    /// The id of the timeline row that shows it, if it has one.
    pub row: Option<String>,
}

impl Line {
    fn new(tone: Tone, text: String) -> Line {
        Line {
            tone,
            text,
            chart: None,
            row: None,
        }
    }

    fn chart(mut self, chart: String) -> Line {
        self.chart = Some(chart);
        self
    }

    fn row(mut self, row: String) -> Line {
        self.row = Some(row);
        self
    }
}

/// Lines of one kind at most (faults, workloads, breakers): past this the rest are counted.
const LINES_PER_KIND_MAX: usize = 4;

pub(super) fn lines(run: &RunData, actions: &[Action]) -> Vec<Line> {
    let mut lines = Vec::new();
    expectations(run, &mut lines);
    rollouts(run, actions, &mut lines);
    routes(run, &mut lines);
    capped(&mut lines, breakers(run, actions), "services' breakers");
    capped(&mut lines, ejections(actions), "services' ejections");
    capped(&mut lines, mesh_actions(run, actions), "services");
    capped(&mut lines, fail_fast(actions), "services");
    capped(&mut lines, subscriptions(run), "subscriptions");
    invariants(run, &mut lines);
    capped(&mut lines, faults(&run.summary.faults), "faults");
    capped(&mut lines, workloads(run), "workloads");
    lines
}

/// Appends `more`, keeping the first few and counting the rest in one line.
fn capped(lines: &mut Vec<Line>, more: Vec<Line>, noun: &str) {
    let left_out = more.len().saturating_sub(LINES_PER_KIND_MAX);
    lines.extend(more.into_iter().take(LINES_PER_KIND_MAX));
    if left_out > 0 {
        lines.push(Line::new(
            Tone::Neutral,
            format!("and {left_out} more {noun}: see the tables below"),
        ));
    }
}

fn expectations(run: &RunData, lines: &mut Vec<Line>) {
    let expectations = &run.summary.expectations;
    if expectations.is_empty() {
        return;
    }
    let failed: Vec<_> = expectations.iter().filter(|e| !e.ok).collect();
    if failed.is_empty() {
        lines.push(Line::new(
            Tone::Good,
            format!(
                "all {} met",
                counted(expectations.len() as u64, "expectation", "expectations")
            ),
        ));
        return;
    }
    lines.push(Line::new(
        Tone::Bad,
        format!(
            "{} of {} expectations failed",
            failed.len(),
            expectations.len()
        ),
    ));
    for expectation in failed {
        lines.push(Line::new(
            Tone::Bad,
            format!("failed {}", shown_expectation(expectation)),
        ));
    }
}

fn rollouts(run: &RunData, actions: &[Action], lines: &mut Vec<Line>) {
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
fn routes(run: &RunData, lines: &mut Vec<Line>) {
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

fn breakers(run: &RunData, actions: &[Action]) -> Vec<Line> {
    let mut by_service: IndexMap<&str, Vec<(&str, &str, f64)>> = IndexMap::new();
    for action in actions {
        if let What::Breaker { caller, to } = &action.what {
            by_service
                .entry(&action.service)
                .or_default()
                .push((caller, to, action.time_s));
        }
    }
    by_service
        .iter()
        .map(|(service, changes)| {
            let opens: Vec<f64> = changes
                .iter()
                .filter(|(_, to, _)| *to == "open")
                .map(|(_, _, time)| *time)
                .collect();
            let mut callers: Vec<&str> = changes.iter().map(|(caller, ..)| *caller).collect();
            callers.dedup();
            callers.sort_unstable();
            callers.dedup();
            // Each caller's breaker as it was left: closed again, or still open at the end.
            let still_open = callers
                .iter()
                .filter(|caller| {
                    changes
                        .iter()
                        .rev()
                        .find(|(c, ..)| c == *caller)
                        .is_some_and(|(_, to, _)| *to != "closed")
                })
                .count();
            let last_close = changes
                .iter()
                .filter(|(_, to, _)| *to == "closed")
                .map(|(_, _, time)| *time)
                .fold(None, |last: Option<f64>, time| {
                    Some(last.map_or(time, |l| l.max(time)))
                });
            let end = if still_open > 0 {
                format!(
                    "; {} still open at the end",
                    counted(still_open as u64, "breaker", "breakers")
                )
            } else {
                last_close.map_or(String::new(), |time| {
                    format!(", all closed again by {}", instant_s(time))
                })
            };
            let mesh = |key: &str| mesh_count(run, service, key);
            let mut effects = Vec::new();
            if mesh("circuit_rejections") > 0 {
                effects.push(format!("{} calls rejected", mesh("circuit_rejections")));
            }
            if mesh("fallbacks") > 0 {
                effects.push(format!("{} answered by a fallback", mesh("fallbacks")));
            }
            let effects = if effects.is_empty() {
                String::new()
            } else {
                format!("; {}", effects.join(", "))
            };
            let first = opens.first().map_or(String::new(), |time| {
                format!(", first at {}", instant_s(*time))
            });
            let text = format!(
                "{service}: circuit breaker opened {} in {} ({}){first}{end}{effects}",
                counted(opens.len() as u64, "time", "times"),
                counted(callers.len() as u64, "caller", "callers"),
                callers.join(", "),
            );
            let tone = if opens.is_empty() {
                Tone::Neutral
            } else {
                Tone::Bad
            };
            Line::new(tone, text)
                .chart(chart_name("circuit-service", service))
                .row(row_id("breaker", service))
        })
        .collect()
}

fn ejections(actions: &[Action]) -> Vec<Line> {
    let mut by_service: IndexMap<&str, Vec<&Action>> = IndexMap::new();
    for action in actions {
        if matches!(action.what, What::Ejected { .. }) {
            by_service.entry(&action.service).or_default().push(action);
        }
    }
    by_service
        .iter()
        .map(|(service, ejections)| {
            let mut instances: Vec<&str> = ejections.iter().map(|a| a.subject.as_str()).collect();
            instances.sort_unstable();
            instances.dedup();
            let mut callers: Vec<&str> = ejections
                .iter()
                .filter_map(|a| match &a.what {
                    What::Ejected { by, .. } => Some(by.as_str()),
                    _ => None,
                })
                .collect();
            callers.sort_unstable();
            callers.dedup();
            let text = format!(
                "{service}: {} ({}) ejected {} by {} ({}), first at {}",
                counted(instances.len() as u64, "instance", "instances"),
                instances.join(", "),
                counted(ejections.len() as u64, "time", "times"),
                counted(callers.len() as u64, "caller", "callers"),
                callers.join(", "),
                instant_s(ejections[0].time_s),
            );
            Line::new(Tone::Bad, text)
                .chart(chart_name("circuit-service", service))
                .row(row_id("ejected", instances[0]))
        })
        .collect()
}

/// What the mesh did to calls into each service besides breakers and ejections: retries that
/// multiplied the load, budgets that denied them, and policies that turned requests away.
fn mesh_actions(run: &RunData, actions: &[Action]) -> Vec<Line> {
    let mut lines = Vec::new();
    for (service, data) in &run.summary.services {
        let count = |key: &str| mesh_count(run, service, key);
        let mut parts = Vec::new();
        let amplification = data
            .mesh
            .get("amplification")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(1.0);
        let retries = count("retries");
        // A few retries are the mesh doing its job; a storm is when they multiply the load.
        if retries > 0 && amplification >= 1.2 {
            parts.push(format!(
                "retries made {} attempts per call ({retries} retries)",
                ratio(amplification)
            ));
        }
        if count("budget_denials") > 0 {
            let first = actions
                .iter()
                .find(|a| a.what == What::BudgetDenied && a.service == *service)
                .map_or(String::new(), |a| format!(" from {}", instant_s(a.time_s)));
            parts.push(format!(
                "the retry budget denied {} retries{first}",
                count("budget_denials")
            ));
        }
        for (key, words) in [
            ("rate_limited", "rate limited"),
            ("denied", "denied by an authorization policy"),
            ("overflows", "turned away by the connection pool"),
            ("fault_aborts", "aborted by fault injection"),
        ] {
            if count(key) > 0 {
                parts.push(format!("{} calls {words}", count(key)));
            }
        }
        if parts.is_empty() {
            continue;
        }
        let tone = if amplification >= 2.0 || count("rate_limited") + count("denied") > 0 {
            Tone::Bad
        } else {
            Tone::Neutral
        };
        lines.push(
            Line::new(tone, format!("{service}: {}", parts.join("; ")))
                .chart(chart_name("throughput-service", service)),
        );
    }
    lines
}

fn fail_fast(actions: &[Action]) -> Vec<Line> {
    let mut by_service: IndexMap<&str, Vec<&Action>> = IndexMap::new();
    for action in actions {
        if action.what == What::FailedFast {
            by_service.entry(&action.service).or_default().push(action);
        }
    }
    by_service
        .iter()
        .map(|(service, times)| {
            let when: Vec<String> = times.iter().map(|a| duration_s(a.time_s)).collect();
            Line::new(
                Tone::Bad,
                format!(
                    "{service}: callers found no ready endpoint and failed fast {}, at t = {}",
                    counted(times.len() as u64, "time", "times"),
                    when.join(", ")
                ),
            )
            .chart(chart_name("throughput-service", service))
        })
        .collect()
}

/// Subscriptions whose messages waited (a backlog while a consumer was down), were delivered
/// again, dead-lettered, or left behind at the end.
fn subscriptions(run: &RunData) -> Vec<Line> {
    /// A wait shorter than this is a queue doing its job, not a backlog.
    const BACKLOG_MS: f64 = 1000.0;
    let mut lines = Vec::new();
    for (broker, data) in &run.summary.brokers {
        for (label, subscription) in &data.subscriptions {
            let mut parts = Vec::new();
            if subscription.max_lag_ms >= BACKLOG_MS {
                parts.push(format!(
                    "messages waited up to {}",
                    duration_ms(subscription.max_lag_ms)
                ));
            }
            for (count, words) in [
                (subscription.redelivered, "delivered again"),
                (subscription.dead_lettered, "dead-lettered"),
                (subscription.queued_at_end, "still queued at the end"),
            ] {
                if count > 0 {
                    parts.push(format!("{count} {words}"));
                }
            }
            if parts.is_empty() {
                continue;
            }
            let tone = if subscription.dead_lettered > 0 {
                Tone::Bad
            } else {
                Tone::Neutral
            };
            lines.push(
                Line::new(tone, format!("{broker} {label}: {}", parts.join("; ")))
                    .chart(chart_name("broker-subscription", label)),
            );
        }
    }
    lines
}

fn invariants(run: &RunData, lines: &mut Vec<Line>) {
    for invariant in run.summary.invariants.iter().filter(|i| !i.holds) {
        let example = invariant
            .examples
            .first()
            .map_or(String::new(), |example| format!(": {example}"));
        lines.push(Line::new(
            Tone::Bad,
            format!(
                "invariant {} broken {} of {}{example}",
                invariant.name,
                counted(invariant.violations, "time", "times"),
                invariant.checked
            ),
        ));
    }
}

fn faults(faults: &[FaultWindow]) -> Vec<Line> {
    faults
        .iter()
        .map(|fault| {
            let detail = if fault.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", fault.detail)
            };
            let span = match (fault.kind.as_str(), fault.end_s) {
                ("crash", Some(end)) => format!(
                    "at {}, restarted at {}",
                    instant_s(fault.start_s),
                    duration_s(end)
                ),
                ("crash", None) => format!("at {}, not restarted", instant_s(fault.start_s)),
                (_, Some(end)) => {
                    format!("from {} to {}", instant_s(fault.start_s), duration_s(end))
                }
                (_, None) => format!("from {} to the end", instant_s(fault.start_s)),
            };
            Line::new(
                Tone::Neutral,
                format!("fault: {} {}{detail} {span}", fault.kind, fault.subject),
            )
            .row(row_id(&format!("fault-{}", fault.kind), &fault.subject))
        })
        .collect()
}

fn workloads(run: &RunData) -> Vec<Line> {
    run.summary
        .workloads
        .iter()
        .map(|(name, workload)| {
            let counts = &workload.requests;
            let ended = counts.succeeded + counts.failed + counts.timed_out + counts.shed;
            let mut text = format!(
                "{name}: {} of {} succeeded ({})",
                counts.succeeded,
                counted(ended, "request", "requests"),
                percent(workload.success_rate)
            );
            let failures: Vec<String> = workload
                .failures
                .iter()
                .map(|(reason, count)| format!("{reason} {count}"))
                .collect();
            if !failures.is_empty() {
                let _ = write!(text, "; did not succeed: {}", failures.join(", "));
            }
            Line::new(Tone::Neutral, text).chart(chart_name("outcomes-workload", name))
        })
        .collect()
}

fn mesh_count(run: &RunData, service: &str, key: &str) -> u64 {
    run.summary
        .services
        .get(service)
        .and_then(|data| data.mesh.get(key))
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}

/// A chart's file name without `.svg`, as the charts name it.
fn chart_name(family: &str, subject: &str) -> String {
    format!("{family}-{}", crate::charts::file_part(subject))
}

/// The id of a timeline row: `row-rollout-order`, `row-ejected-payment-4`.
pub(crate) fn row_id(kind: &str, subject: &str) -> String {
    let subject: String = subject
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("row-{kind}-{subject}")
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
