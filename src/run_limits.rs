//! The limits that keep one run from eating the machine, and the estimate that refuses, before
//! anything runs, a scenario that would pass them.
//!
//! A scenario's size limits (`scenario::limits`) bound what it declares; these bound what it
//! does. A typo (`duration = "30d"` for `"30s"`, a rate of `100000` for `100`) is a valid file
//! that would run for hours. So before a run starts, meshsim estimates the engine events it
//! needs (the workloads' requests times the hops each makes) and refuses one past
//! `max_events`, saying why and how to raise the limit. The estimate is of the expected work
//! without retries; a retry storm or a backlog can still grow past it, so the run also stops
//! when it has actually processed `max_events` events, or when the requests its workloads have
//! in flight pass `max_in_flight` (each holds memory until it ends).

use crate::scenario::schema::{Arrival, Call, CallEntry, Scenario};
use crate::scenario::{ArrivalTable, Resolved};

/// Engine events one run may take, by default: at a few million events a wall second, a few
/// minutes of work. `--max-events` raises it.
pub(crate) const MAX_EVENTS_DEFAULT: u64 = 1_000_000_000;

/// Workload requests in flight at once, by default: each holds a few hundred bytes until it
/// ends, so this is about a gigabyte. `--max-in-flight` raises it.
pub(crate) const MAX_IN_FLIGHT_DEFAULT: u64 = 5_000_000;

/// Engine events one hop of a request takes, about: the call sent, its arrival, the work done,
/// the answer sent and its arrival, and a timer or two (the canary takes 3.3).
const EVENTS_PER_HOP: f64 = 4.0;

/// Hops followed down a chain of calls and events at most: a cycle of events (a consumer that
/// publishes what it consumes) counts to here and no further.
const DEPTH_MAX: u32 = 32;

/// What a run may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    pub max_events: u64,
    pub max_in_flight: u64,
}

impl Default for RunLimits {
    fn default() -> RunLimits {
        RunLimits {
            max_events: MAX_EVENTS_DEFAULT,
            max_in_flight: MAX_IN_FLIGHT_DEFAULT,
        }
    }
}

/// How much work a scenario is expected to be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WorkEstimate {
    pub requests: f64,
    pub events: f64,
}

impl WorkEstimate {
    /// The estimate of `scenario`'s run.
    pub(crate) fn of(resolved: Resolved<'_>) -> WorkEstimate {
        let scenario = resolved.parsed;
        let duration_s = scenario.scenario.duration.as_secs_f64();
        let mut requests = 0.0;
        let mut events = 0.0;
        for (index, workload) in scenario.workloads.iter().enumerate() {
            let sent = match &workload.arrival {
                Arrival::Constant { rate } | Arrival::Poisson { rate } => rate.get() * duration_s,
                Arrival::Steps { steps } => steps_requests(steps, duration_s),
                Arrival::Profile { .. } | Arrival::Replay { .. } => table_requests(
                    resolved.resolution.arrival_tables[index].as_ref(),
                    duration_s,
                ),
                Arrival::Closed { users, think_time } => {
                    // A user sends at most once per think time; a millisecond stands for the
                    // round trip a think time of zero leaves.
                    let think_s = crate::assemble::distribution(think_time).mean_ns() / 1e9;
                    f64::from(*users) * duration_s / think_s.max(0.001)
                }
            };
            let hops = hops(scenario, &workload.target, &workload.endpoint, 0);
            requests += sent;
            events += sent * (EVENTS_PER_HOP * hops + 2.0);
        }
        WorkEstimate { requests, events }
    }
}

/// Requests of a workload's arrival file up to `end_s`: a profile's integral (its rows are
/// steps at the higher of each pair's rates, an upper bound of the linear ramp), a replay's
/// rows before the end.
fn table_requests(table: Option<&ArrivalTable>, end_s: f64) -> f64 {
    match table {
        Some(ArrivalTable::Profile(points)) => points
            .iter()
            .enumerate()
            .map(|(index, &(at_ns, rate))| {
                let start_s = (at_ns as f64 / 1e9).min(end_s);
                let (stop_s, next_rate) = points.get(index + 1).map_or((end_s, rate), |next| {
                    ((next.0 as f64 / 1e9).min(end_s), next.1)
                });
                rate.max(next_rate) * (stop_s - start_s).max(0.0)
            })
            .sum(),
        Some(ArrivalTable::Replay(times_ns)) => {
            times_ns.partition_point(|&at_ns| (at_ns as f64 / 1e9) < end_s) as f64
        }
        None => 0.0,
    }
}

/// Requests of a Poisson process whose rate steps at the given times, up to `duration_s`.
fn steps_requests(steps: &[(crate::scenario::Duration, crate::scenario::Real)], end_s: f64) -> f64 {
    steps
        .iter()
        .enumerate()
        .map(|(index, (at, rate))| {
            let start_s = at.as_secs_f64().min(end_s);
            let stop_s = steps
                .get(index + 1)
                .map_or(end_s, |(next, _)| next.as_secs_f64().min(end_s));
            rate.get() * (stop_s - start_s).max(0.0)
        })
        .sum()
}

/// Hops one request to `service`'s `endpoint` makes: itself, its calls', the messages it
/// publishes and their consumers', its saga's steps.
fn hops(scenario: &Scenario, service: &str, endpoint: &str, depth: u32) -> f64 {
    if depth >= DEPTH_MAX {
        return 1.0;
    }
    let Some(found) = scenario
        .services
        .iter()
        .find(|candidate| candidate.name == service)
        .and_then(|service| {
            service
                .endpoints
                .iter()
                .find(|candidate| candidate.name == endpoint)
        })
    else {
        // A store or a broker: one hop.
        return 1.0;
    };
    let saga = scenario
        .sagas
        .iter()
        .find(|saga| saga.service == service && saga.endpoint == endpoint);
    let calls: Vec<&Call> = match saga {
        Some(saga) => saga.steps.iter().map(|step| &step.action).collect(),
        // A parallel's members all happen: their hops add up as a sequence's do.
        None => found.calls.iter().flat_map(CallEntry::calls).collect(),
    };
    1.0 + calls
        .into_iter()
        .map(|call| call_hops(scenario, call, depth))
        .sum::<f64>()
}

fn call_hops(scenario: &Scenario, call: &Call, depth: u32) -> f64 {
    match (&call.service, &call.endpoint, &call.topic) {
        (Some(service), Some(endpoint), _) => hops(scenario, service, endpoint, depth + 1),
        (_, _, Some(topic)) => {
            1.0 + scenario
                .subscriptions
                .iter()
                .filter(|subscription| subscription.topic == *topic)
                .map(|subscription| {
                    hops(
                        scenario,
                        &subscription.service,
                        &subscription.endpoint,
                        depth + 1,
                    )
                })
                .sum::<f64>()
        }
        _ => 1.0,
    }
}

/// A figure like `3.2e10` or `840000`, for messages.
pub(crate) fn figure(value: f64) -> String {
    if value >= 1e7 {
        format!("{value:.1e}")
    } else {
        format!("{value:.0}")
    }
}

/// Why a scenario is refused before it runs, or `None` when it fits `limits`.
pub(crate) fn refusal(resolved: Resolved<'_>, limits: &RunLimits) -> Option<(String, String)> {
    let estimate = WorkEstimate::of(resolved);
    if estimate.events <= limits.max_events as f64 {
        return None;
    }
    let message = format!(
        "this scenario would take about {} engine events ({} requests over {}), past the limit \
         of {} events a run",
        figure(estimate.events),
        figure(estimate.requests),
        resolved.parsed.scenario.duration,
        figure(limits.max_events as f64)
    );
    let hint = format!(
        "check `duration` and the workloads' rates for a typo; to run it as it is, raise the \
         limit: --max-events {}",
        figure((estimate.events * 1.5).ceil())
    );
    Some((message, hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(text: &str) -> WorkEstimate {
        let loaded = crate::scenario::load_str("estimate.toml", text).expect("valid");
        WorkEstimate::of(loaded.resolved())
    }

    #[test]
    fn the_estimate_follows_calls_events_and_rates() {
        let text = r#"
[scenario]
name = "e"
duration = "10s"

[[service]]
name = "front"
exposed = true
[[service.endpoint]]
name = "op"
calls = [{ service = "back", endpoint = "op" }, { topic = "t" }]

[[service]]
name = "back"
[[service.endpoint]]
name = "op"

[[broker]]
name = "bus"
topics = ["t"]

[[subscription]]
topic = "t"
service = "back"
endpoint = "op"

[[workload]]
name = "load"
target = "front"
endpoint = "op"
arrival = { kind = "steps", steps = [["0s", 100], ["5s", 300]] }
"#;
        let work = estimate(text);
        // 100 a second for 5 s, then 300 for 5 s.
        assert!((work.requests - 2000.0).abs() < 1e-9, "{work:?}");
        // front, back, the publish and its consumer: 4 hops of 4 events, and 2 at the client.
        assert!((work.events - 2000.0 * 18.0).abs() < 1e-6, "{work:?}");
    }

    #[test]
    fn a_typo_in_the_duration_is_refused_with_the_flag_that_allows_it() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/canary.toml"),
        )
        .unwrap()
        .replace("duration = \"12m\"", "duration = \"12d\"");
        let loaded = crate::scenario::load_str("canary.toml", &text).unwrap();
        let (message, hint) = refusal(loaded.resolved(), &RunLimits::default()).expect("refused");
        assert!(
            message.contains("past the limit of 1.0e9 events"),
            "{message}"
        );
        assert!(hint.contains("--max-events"), "{hint}");
        let own = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/canary.toml"),
        )
        .unwrap();
        let loaded = crate::scenario::load_str("canary.toml", &own).unwrap();
        assert_eq!(refusal(loaded.resolved(), &RunLimits::default()), None);
    }
}
