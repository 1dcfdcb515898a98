//! Expectations: each `[[expect]]` checked against what the run recorded.

use meshsim_record::RunSummary;
use meshsim_record::summary::{LatencySummary, MeshSummary, RequestCounts, ServiceCounts};
use meshsim_reports::ExpectationOutcome;
use serde_json::Value;

use crate::scenario::duration::Duration;
use crate::scenario::metric::{
    BrokerStat, LatencyStat, MeshStat, MetricRef, RequestCount, RolloutField, Stat, StoreStat,
    ValueKind,
};
use crate::scenario::schema::Expectation;
use crate::scenario::{Bound, Resolved};

/// A metric's value at the end of the run: a number (milliseconds for latency), or nothing
/// when the run has no value for it (no request ended, or it is not simulated).
enum Actual {
    Number(f64),
    /// A word: a rollout's outcome.
    Text(String),
    Missing(String),
}

fn latency(latency: &LatencySummary, stat: LatencyStat) -> f64 {
    match stat {
        LatencyStat::Mean => latency.mean,
        LatencyStat::P50 => latency.p50,
        LatencyStat::P90 => latency.p90,
        LatencyStat::P99 => latency.p99,
        LatencyStat::Max => latency.max,
    }
}

fn workload_stat(
    counts: &RequestCounts,
    success: Option<f64>,
    latency_ms: &LatencySummary,
    stat: Stat,
) -> Actual {
    match stat {
        Stat::SuccessRate => {
            success.map_or(Actual::Missing("no request ended".into()), Actual::Number)
        }
        Stat::Latency(which) => {
            if counts.succeeded == 0 {
                Actual::Missing("no request succeeded".into())
            } else {
                Actual::Number(latency(latency_ms, which))
            }
        }
        Stat::Requests(count) => Actual::Number(match count {
            RequestCount::Sent => counts.sent,
            RequestCount::Succeeded => counts.succeeded,
            RequestCount::Failed => counts.failed,
            RequestCount::TimedOut => counts.timed_out,
            RequestCount::Shed => counts.shed,
            RequestCount::InFlight => counts.in_flight,
            RequestCount::Received => counts.ended(),
        } as f64),
        // Parsing keeps mesh statistics to services.
        Stat::Mesh(stat) => Actual::Missing(format!("workloads have no `{}`", stat.name())),
    }
}

fn service_stat(
    counts: &ServiceCounts,
    success: Option<f64>,
    latency_ms: &LatencySummary,
    stat: Stat,
) -> Actual {
    match stat {
        Stat::SuccessRate => success.map_or(
            Actual::Missing("the service answered nothing".into()),
            Actual::Number,
        ),
        Stat::Latency(which) => {
            if counts.succeeded == 0 {
                Actual::Missing("the service succeeded on nothing".into())
            } else {
                Actual::Number(latency(latency_ms, which))
            }
        }
        Stat::Requests(count) => match count {
            RequestCount::Received => Actual::Number(counts.received as f64),
            RequestCount::Succeeded => Actual::Number(counts.succeeded as f64),
            RequestCount::Failed => Actual::Number(counts.failed as f64),
            RequestCount::Shed => Actual::Number(counts.shed as f64),
            other => Actual::Missing(format!("services have no `{}` count", other.name())),
        },
        Stat::Mesh(which) => Actual::Missing(format!("no mesh summary for `{}`", which.name())),
    }
}

fn mesh_stat(mesh: &MeshSummary, stat: MeshStat) -> Actual {
    let count = match stat {
        MeshStat::Amplification => {
            return mesh.amplification.map_or(
                Actual::Missing("nothing called the service through a sidecar".into()),
                Actual::Number,
            );
        }
        MeshStat::Calls => mesh.calls,
        MeshStat::Attempts => mesh.attempts,
        MeshStat::Retries => mesh.retries,
        MeshStat::BudgetDenials => mesh.budget_denials,
        MeshStat::Overflows => mesh.overflows,
        MeshStat::CircuitOpens => mesh.circuit_opens,
        MeshStat::CircuitRejections => mesh.circuit_rejections,
        MeshStat::Fallbacks => mesh.fallbacks,
        MeshStat::Ejections => mesh.ejections,
        MeshStat::RateLimited => mesh.rate_limited,
        MeshStat::Denied => mesh.denied,
        MeshStat::FaultAborts => mesh.fault_aborts,
        MeshStat::FaultDelays => mesh.fault_delays,
    };
    Actual::Number(count as f64)
}

fn actual(summary: &RunSummary, metric: &MetricRef) -> Actual {
    match metric {
        MetricRef::Global(stat) => workload_stat(
            &summary.requests,
            summary.success_rate,
            &summary.latency_ms,
            *stat,
        ),
        MetricRef::Workload { name, stat } => match summary.workloads.get(name) {
            Some(workload) => workload_stat(
                &workload.requests,
                workload.success_rate,
                &workload.latency_ms,
                *stat,
            ),
            None => Actual::Missing(format!("no workload `{name}`")),
        },
        MetricRef::Service { name, stat } => match summary.services.get(name) {
            Some(service) => match stat {
                Stat::Mesh(which) => mesh_stat(&service.mesh, *which),
                _ => service_stat(
                    &service.requests,
                    service.success_rate,
                    &service.latency_ms,
                    *stat,
                ),
            },
            None => Actual::Missing(format!("no service `{name}`")),
        },
        MetricRef::Rollout { service, field } => match summary.rollouts.get(service) {
            Some(rollout) => match field {
                RolloutField::Outcome => Actual::Text(rollout.outcome.name().to_owned()),
                RolloutField::Time => rollout.time_s.map_or_else(
                    || Actual::Missing(format!("the rollout of `{service}` is still in progress")),
                    |seconds| Actual::Number(seconds * 1000.0),
                ),
                RolloutField::BlastRadius => Actual::Number(rollout.blast_radius as f64),
            },
            None => Actual::Missing(format!("no rollout of `{service}`")),
        },
        MetricRef::Invariant { name } => {
            match crate::invariants::check(summary)
                .into_iter()
                .find(|invariant| invariant.name == *name)
            {
                Some(invariant) => Actual::Number(invariant.violations as f64),
                None => {
                    Actual::Missing(format!("the run has nothing `invariant.{name}` speaks of"))
                }
            }
        }
        MetricRef::Store { name, stat } => {
            let tallies = summary.stores.get(name);
            let tally = |key: &str| tallies.and_then(|tallies| tallies.get(key)).copied();
            let count = |key: &str| {
                tally(key).map_or_else(
                    || Actual::Missing(format!("store `{name}` has no `{key}`")),
                    |value| Actual::Number(value as f64),
                )
            };
            match stat {
                StoreStat::Hits => count("hits"),
                StoreStat::Misses => count("misses"),
                StoreStat::ListLength => count("list_length"),
                StoreStat::StockAvailable => count("stock_available"),
                StoreStat::StockReserved => count("stock_reserved"),
                StoreStat::StockSold => count("stock_sold"),
                StoreStat::HitRatio => match (tally("hits"), tally("misses")) {
                    (Some(hits), Some(misses)) if hits + misses > 0 => {
                        Actual::Number(hits as f64 / (hits + misses) as f64)
                    }
                    (Some(_), Some(_)) => Actual::Missing(format!("store `{name}` got no GET")),
                    _ => Actual::Missing(format!("store `{name}` is not a cache")),
                },
            }
        }
        MetricRef::Broker { name, stat } => match summary.brokers.get(name) {
            Some(broker) => {
                let totals = &broker.totals;
                Actual::Number(match stat {
                    BrokerStat::Enqueued => totals.enqueued as f64,
                    BrokerStat::Delivered => totals.delivered as f64,
                    BrokerStat::Redelivered => totals.redelivered as f64,
                    BrokerStat::Acked => totals.acked as f64,
                    BrokerStat::Failed => totals.failed as f64,
                    BrokerStat::DeadLettered => totals.dead_lettered as f64,
                    BrokerStat::Queued => totals.queued_at_end as f64,
                    BrokerStat::InFlight => totals.in_flight_at_end as f64,
                    BrokerStat::MaxLag => totals.max_lag_ms,
                })
            }
            // A broker no subscription uses has nothing to report: every figure is zero.
            None => Actual::Number(0.0),
        },
    }
}

/// A bound as a number in the metric's unit: milliseconds for durations.
fn bound_number(bound: &Bound, kind: ValueKind) -> Option<f64> {
    match bound {
        Bound::Number(number) if matches!(kind, ValueKind::Ratio | ValueKind::Count) => {
            Some(*number)
        }
        Bound::Text(text) if kind == ValueKind::Duration => {
            Duration::parse(text).ok().map(Duration::as_millis_f64)
        }
        _ => None,
    }
}

/// An expectation's bounds as they read: `>= 0.99 and <= 1`.
pub(crate) fn describe_expected(expectation: &Expectation) -> String {
    let mut parts = Vec::new();
    if let Some(min) = &expectation.min {
        parts.push(format!(">= {min}"));
    }
    if let Some(max) = &expectation.max {
        parts.push(format!("<= {max}"));
    }
    if let Some(equals) = &expectation.equals {
        parts.push(format!("= {equals}"));
    }
    parts.join(" and ")
}

/// Checks every expectation of a checked scenario, in the file's order.
pub fn check_all(summary: &RunSummary, resolved: Resolved<'_>) -> Vec<ExpectationOutcome> {
    resolved
        .expectations
        .iter()
        .zip(&resolved.resolution.expectations)
        .map(|(expectation, metric)| check(summary, expectation, metric))
        .collect()
}

/// Checks one expectation against `metric`, the metric it names as the checker parsed it;
/// the checker has also made sure its bounds fit.
pub(crate) fn check(
    summary: &RunSummary,
    expectation: &Expectation,
    metric: &MetricRef,
) -> ExpectationOutcome {
    let expected = describe_expected(expectation);
    let kind = metric.value_kind();
    let bound = |bound: &Option<Bound>| bound.as_ref().and_then(|b| bound_number(b, kind));
    let outcome = |ok: bool, actual: Value, note: Option<String>| ExpectationOutcome {
        metric: expectation.metric.clone(),
        ok,
        actual,
        expected: expected.clone(),
        note,
        unit: match kind {
            ValueKind::Ratio => "ratio",
            ValueKind::Duration => "ms",
            ValueKind::Count => "count",
            ValueKind::Text => "text",
        },
        min: bound(&expectation.min),
        max: bound(&expectation.max),
        equals: bound(&expectation.equals),
    };
    match actual(summary, metric) {
        Actual::Missing(why) => outcome(false, Value::Null, Some(why)),
        Actual::Text(text) => {
            let ok = match &expectation.equals {
                Some(Bound::Text(expected)) => *expected == text,
                _ => false,
            };
            outcome(ok, Value::String(text), None)
        }
        Actual::Number(value) => {
            let below_min = expectation
                .min
                .as_ref()
                .and_then(|b| bound_number(b, kind))
                .is_some_and(|min| value < min);
            let above_max = expectation
                .max
                .as_ref()
                .and_then(|b| bound_number(b, kind))
                .is_some_and(|max| value > max);
            let unequal = expectation
                .equals
                .as_ref()
                .and_then(|b| bound_number(b, kind))
                .is_some_and(|equals| (value - equals).abs() > 1e-9);
            let actual = if kind == ValueKind::Duration {
                Value::String(format!("{value}ms"))
            } else if kind == ValueKind::Count && value.fract() == 0.0 {
                // Counts are whole numbers: shown as `465`, not `465.0`. A ratio of counts
                // (retry amplification) keeps its fraction.
                Value::Number(serde_json::Number::from(value as u64))
            } else {
                serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
            };
            outcome(!(below_min || above_max || unequal), actual, None)
        }
    }
}
