//! The headline's lines on what the mesh did: breakers that opened, instances ejected, retries
//! that multiplied the load, budgets and policies that turned calls away, callers that failed
//! fast, and subscriptions whose messages waited.

use indexmap::IndexMap;

use super::line::{Line, Tone, chart_name, row_id};
use super::{Action, What};
use crate::quantity::{counted, duration_ms, duration_s, instant_s, ratio};
use crate::run_data::RunData;

/// One breaker's change of state: the caller it sits in, the state it moved to, and when.
type BreakerChange<'a> = (&'a str, &'a str, f64);

pub(super) fn breakers(run: &RunData, actions: &[Action]) -> Vec<Line> {
    let mut by_service: IndexMap<&str, Vec<BreakerChange>> = IndexMap::new();
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
        .map(|(service, changes)| breaker_line(run, service, changes))
        .collect()
}

/// `payment: circuit breaker opened 4 times in 2 callers (order/0, order/1), first at t = 67.7
/// s, all closed again by t = 2m 11s; 2655 calls rejected, 2972 answered by a fallback`.
fn breaker_line(run: &RunData, service: &str, changes: &[BreakerChange]) -> Line {
    let opens: Vec<f64> = changes
        .iter()
        .filter(|(_, to, _)| *to == "open")
        .map(|(_, _, time)| *time)
        .collect();
    let mut callers: Vec<&str> = changes.iter().map(|(caller, ..)| *caller).collect();
    callers.sort_unstable();
    callers.dedup();
    let first = opens.first().map_or(String::new(), |time| {
        format!(", first at {}", instant_s(*time))
    });
    let text = format!(
        "{service}: circuit breaker opened {} in {} ({}){first}{}{}",
        counted(opens.len() as u64, "time", "times"),
        counted(callers.len() as u64, "caller", "callers"),
        callers.join(", "),
        how_breakers_ended(changes, &callers),
        breaker_effects(run, service),
    );
    let tone = if opens.is_empty() {
        Tone::Neutral
    } else {
        Tone::Bad
    };
    Line::new(tone, text)
        .chart(chart_name("circuit-service", service))
        .row(row_id("breaker", service))
}

/// How the breakers were left at the end: all closed again (by when), or how many still open.
fn how_breakers_ended(changes: &[BreakerChange], callers: &[&str]) -> String {
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
    if still_open > 0 {
        return format!(
            "; {} still open at the end",
            counted(still_open as u64, "breaker", "breakers")
        );
    }
    let last_close = changes
        .iter()
        .filter(|(_, to, _)| *to == "closed")
        .map(|(_, _, time)| *time)
        .reduce(f64::max);
    last_close.map_or(String::new(), |time| {
        format!(", all closed again by {}", instant_s(time))
    })
}

/// What the open breakers did to the calls: rejected them, or answered them by a fallback.
fn breaker_effects(run: &RunData, service: &str) -> String {
    let mesh = |key: &str| mesh_count(run, service, key);
    let mut effects = Vec::new();
    if mesh("circuit_rejections") > 0 {
        effects.push(format!("{} calls rejected", mesh("circuit_rejections")));
    }
    if mesh("fallbacks") > 0 {
        effects.push(format!("{} answered by a fallback", mesh("fallbacks")));
    }
    if effects.is_empty() {
        String::new()
    } else {
        format!("; {}", effects.join(", "))
    }
}

pub(super) fn ejections(actions: &[Action]) -> Vec<Line> {
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
pub(super) fn mesh_actions(run: &RunData, actions: &[Action]) -> Vec<Line> {
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

pub(super) fn fail_fast(actions: &[Action]) -> Vec<Line> {
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
pub(super) fn subscriptions(run: &RunData) -> Vec<Line> {
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

fn mesh_count(run: &RunData, service: &str, key: &str) -> u64 {
    run.summary
        .services
        .get(service)
        .and_then(|data| data.mesh.get(key))
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}
