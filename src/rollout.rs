//! `[[rollout]]` compiled: each rollout becomes a controller node, and what it needs from the
//! rest of the world is set up around it.
//!
//! - A canary or blue/green moves the weights of the service's route that takes every request.
//!   A service without routes gets one, sending everything to `from` (Flagger routes all
//!   traffic to the primary when it takes a service over).
//! - A rolling update's new instances are not deployed when the run starts.
//! - A strangler's monolith upstream learns where its calls may go instead, and every caller
//!   of the monolith gets an upstream for the new service.
//! - The controller is told every node that holds routes or endpoints for the service.

use std::ops::Range;

use meshsim_models::rollout::{
    CheckMetric, FailureAction, RolloutCheck, RolloutConfig, RolloutController, RolloutStrategy,
};
use meshsim_models::upstream::RedirectConfig;
use meshsim_models::{Route, UpstreamConfig};
use meshsim_sim::{NodeId, RolloutInfo, VersionKey};

use crate::layout::{BASE_VERSION, Layout};
use crate::scenario::metric::{self, LatencyStat};
use crate::scenario::schema::{self, Scenario, Strategy};
use crate::scenario::{Bound, Real};

/// Flagger's default `maxWeight`.
const MAX_WEIGHT_DEFAULT: f64 = 100.0;

/// Flagger's default iterations for blue/green (what it sets when none are given).
const ITERATIONS_DEFAULT: u32 = 10;

/// The group name of a rollout's controller: not a name a scenario can give (no `:`).
pub fn controller_name(rollout: &schema::Rollout) -> String {
    format!("rollout:{}", rollout.service)
}

pub fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Canary => "canary",
        Strategy::BlueGreen => "blue_green",
        Strategy::Rolling => "rolling",
        Strategy::Strangler => "strangler",
    }
}

/// Changes `config`, the upstream of service `service_index`, for the rollouts that touch it.
pub fn shape_upstream(
    scenario: &Scenario,
    layout: &Layout,
    service_index: usize,
    config: &mut UpstreamConfig,
) {
    let name = &scenario.services[service_index].name;
    for rollout in &scenario.rollouts {
        match rollout.strategy {
            Strategy::Canary | Strategy::BlueGreen
                if rollout.service == *name && config.routes.routes.is_empty() =>
            {
                let from = version_range(layout, rollout, rollout.from.as_deref());
                config.routes.routes.push(Route {
                    conditions: vec![Some(Vec::new()); scenario.workloads.len()],
                    catch_all: true,
                    weights: vec![(from, 100.0)],
                });
            }
            Strategy::Rolling if rollout.service == *name => {
                let to = version_range(layout, rollout, rollout.to.as_deref());
                config.undeployed.extend(to);
            }
            Strategy::Strangler if rollout.monolith.as_deref() == Some(name.as_str()) => {
                let new_index = service_index_of(scenario, &rollout.service);
                let new_service = &scenario.services[new_index];
                config.redirect = Some(RedirectConfig {
                    to: layout.services[new_index].group,
                    endpoints: scenario.services[service_index]
                        .endpoints
                        .iter()
                        .map(|endpoint| {
                            new_service
                                .endpoints
                                .iter()
                                .position(|candidate| candidate.name == endpoint.name)
                                .map(|position| position as u32)
                        })
                        .collect(),
                });
            }
            _ => {}
        }
    }
}

/// A version's share of its service's traffic before any rollout acts: the catch-all route's
/// weight, or `spread` (its share of the instances) without routes, except that a canary or
/// blue/green's implicit route sends everything to `from`, and a rolling update's new version
/// is not deployed yet.
pub fn initial_weight_percent(
    scenario: &Scenario,
    service: &str,
    version: &str,
    catch_all: Option<&schema::Route>,
    spread: f64,
) -> f64 {
    if let Some(route) = catch_all {
        return route
            .weights
            .get(version)
            .map_or(0.0, |weight| weight.get());
    }
    let rollout = scenario
        .rollouts
        .iter()
        .find(|rollout| rollout.service == service);
    match rollout {
        Some(rollout) if matches!(rollout.strategy, Strategy::Canary | Strategy::BlueGreen) => {
            if rollout.from.as_deref().unwrap_or(BASE_VERSION) == version {
                100.0
            } else {
                0.0
            }
        }
        Some(rollout) if rollout.strategy == Strategy::Rolling => {
            let services = &scenario.services;
            let service = services
                .iter()
                .find(|s| s.name == service)
                .expect("validated");
            let replicas = |name: &str| {
                if name == BASE_VERSION {
                    service.replicas
                } else {
                    service
                        .versions
                        .iter()
                        .find(|v| v.name == name)
                        .map_or(0, |v| v.replicas)
                }
            };
            let to = rollout.to.as_deref().unwrap_or(BASE_VERSION);
            let all: u32 = std::iter::once(BASE_VERSION)
                .chain(service.versions.iter().map(|v| v.name.as_str()))
                .filter(|name| *name != to)
                .map(replicas)
                .sum();
            if version == to || all == 0 {
                0.0
            } else {
                100.0 * f64::from(replicas(version)) / f64::from(all)
            }
        }
        _ => spread,
    }
}

/// The instances of `service` a rolling update has not deployed when the run starts.
pub fn undeployed_nodes(scenario: &Scenario, layout: &Layout, service: &str) -> Vec<NodeId> {
    scenario
        .rollouts
        .iter()
        .filter(|rollout| rollout.strategy == Strategy::Rolling && rollout.service == service)
        .flat_map(|rollout| {
            let range = version_range(layout, rollout, rollout.to.as_deref());
            layout.services[service].instances[range.start as usize..range.end as usize].to_vec()
        })
        .collect()
}

/// A strangler's callers need the new service as an upstream: adds it wherever the monolith
/// is one (`callees` are indices into the upstream list, services first).
pub fn add_strangler_callees(scenario: &Scenario, callees: &mut Vec<usize>) {
    for rollout in &scenario.rollouts {
        let Some(monolith) = rollout.monolith.as_deref() else {
            continue;
        };
        let monolith = service_index_of(scenario, monolith);
        let new_service = service_index_of(scenario, &rollout.service);
        if callees.contains(&monolith) && !callees.contains(&new_service) {
            callees.push(new_service);
        }
    }
}

fn service_index_of(scenario: &Scenario, name: &str) -> usize {
    scenario
        .services
        .iter()
        .position(|service| service.name == name)
        .expect("validated service")
}

/// The instances of `version` of the rollout's service, as indices into its instances.
fn version_range(layout: &Layout, rollout: &schema::Rollout, version: Option<&str>) -> Range<u32> {
    let version = version.unwrap_or(BASE_VERSION);
    layout.services[rollout.service.as_str()]
        .versions
        .iter()
        .find(|(name, _)| name == version)
        .map(|(_, range)| range.start as u32..range.end as u32)
        .expect("validated version")
}

fn version_key(layout: &Layout, service: &str, version: &str) -> VersionKey {
    let service_layout = &layout.services[service];
    let index = service_layout
        .versions
        .iter()
        .position(|(name, _)| name == version)
        .expect("validated version");
    VersionKey::new(service_layout.group, index as u32)
}

/// The controller of rollout `index`. `holders[u]` are the nodes whose sidecars hold upstream
/// `u` (services first, in scenario order); `subscribers` the brokers delivering to each
/// service.
pub fn controller(
    scenario: &Scenario,
    layout: &Layout,
    index: usize,
    holders: &[Vec<NodeId>],
    subscribers: &[Vec<NodeId>],
) -> RolloutController {
    let rollout = &scenario.rollouts[index];
    let service_index = service_index_of(scenario, &rollout.service);
    let service_layout = &layout.services[service_index];
    let (routed_service, from_name, to_name, from_key, to_key) =
        if rollout.strategy == Strategy::Strangler {
            let monolith = rollout.monolith.as_deref().expect("validated monolith");
            (
                service_index_of(scenario, monolith),
                monolith.to_owned(),
                rollout.service.clone(),
                version_key(layout, monolith, BASE_VERSION),
                version_key(layout, &rollout.service, BASE_VERSION),
            )
        } else {
            {
                let from = rollout.from.clone().expect("validated from");
                let to = rollout.to.clone().expect("validated to");
                (
                    service_index,
                    from.clone(),
                    to.clone(),
                    version_key(layout, &rollout.service, &from),
                    version_key(layout, &rollout.service, &to),
                )
            }
        };
    let (from, to) = match rollout.strategy {
        Strategy::Strangler => (0..0, 0..0),
        _ => (
            version_range(layout, rollout, rollout.from.as_deref()),
            version_range(layout, rollout, rollout.to.as_deref()),
        ),
    };
    let nodes = |range: &Range<u32>| -> Vec<NodeId> {
        service_layout.instances[range.start as usize..range.end as usize].to_vec()
    };
    let (from_nodes, to_nodes) = (nodes(&from), nodes(&to));
    let watched = match rollout.strategy {
        Strategy::Strangler => service_layout.instances.clone(),
        _ => to_nodes.clone(),
    };
    let mut callers = holders[routed_service].clone();
    if rollout.strategy == Strategy::Rolling {
        callers.extend(&subscribers[service_index]);
    }
    let config = RolloutConfig {
        index: index as u32,
        service: layout.services[routed_service].group.0,
        service_name: rollout.service.clone(),
        from_name,
        to_name,
        from,
        to,
        from_key,
        to_key,
        from_nodes,
        to_nodes,
        watched,
        callers,
        start_ns: rollout.start.as_nanos(),
        interval_ns: rollout.interval.as_nanos(),
        threshold: rollout.threshold,
        checks: rollout.checks.iter().map(check).collect(),
        strategy: strategy(rollout, service_layout),
    };
    RolloutController::new(config)
}

fn strategy(
    rollout: &schema::Rollout,
    service_layout: &crate::layout::ServiceLayout,
) -> RolloutStrategy {
    let steps = || -> Vec<f64> {
        if let Some(steps) = &rollout.step_weights {
            return steps.iter().map(|step| step.get()).collect();
        }
        let max = rollout.max_weight.map_or(MAX_WEIGHT_DEFAULT, Real::get);
        let step = rollout.step_weight.map_or(max, Real::get);
        // Flagger adds the step until it reaches the maximum, the last step capped at it.
        let mut steps = Vec::new();
        let mut weight: f64 = 0.0;
        while weight < max {
            weight = (weight + step).min(max);
            steps.push(weight);
        }
        steps
    };
    match rollout.strategy {
        Strategy::Canary => RolloutStrategy::Canary { steps: steps() },
        Strategy::Strangler => RolloutStrategy::Strangler { steps: steps() },
        Strategy::BlueGreen => RolloutStrategy::BlueGreen {
            iterations: rollout.iterations.unwrap_or(ITERATIONS_DEFAULT),
        },
        Strategy::Rolling => {
            let desired = service_layout
                .versions
                .iter()
                .find(|(name, _)| Some(name.as_str()) == rollout.to.as_deref())
                .map_or(1, |(_, range)| range.len() as u32);
            // Kubernetes' defaults: 25% each, surge rounded up and unavailable down.
            let max_surge = rollout.max_surge.unwrap_or(desired.div_ceil(4));
            let mut max_unavailable = rollout.max_unavailable.unwrap_or(desired / 4);
            if max_surge == 0 && max_unavailable == 0 {
                max_unavailable = 1;
            }
            RolloutStrategy::Rolling {
                max_surge,
                max_unavailable,
                readiness_delay_ns: rollout
                    .readiness_delay
                    .map_or(0, crate::scenario::Duration::as_nanos),
                failure_action: match rollout.failure_action {
                    Some(schema::FailureAction::Rollback) => FailureAction::Rollback,
                    Some(schema::FailureAction::Continue) => FailureAction::Continue,
                    // Docker swarm's default.
                    Some(schema::FailureAction::Pause) | None => FailureAction::Pause,
                },
            }
        }
    }
}

fn check(check: &schema::Check) -> RolloutCheck {
    let metric = match metric::parse_check(&check.metric).expect("validated check") {
        metric::CheckMetric::SuccessRate => CheckMetric::SuccessRate,
        metric::CheckMetric::ErrorRate => CheckMetric::ErrorRate,
        metric::CheckMetric::Requests => CheckMetric::Requests,
        metric::CheckMetric::Latency(stat) => match stat {
            LatencyStat::Mean => CheckMetric::LatencyMeanMs,
            LatencyStat::P50 => CheckMetric::LatencyQuantileMs(0.50),
            LatencyStat::P90 => CheckMetric::LatencyQuantileMs(0.90),
            LatencyStat::P99 => CheckMetric::LatencyQuantileMs(0.99),
            LatencyStat::Max => CheckMetric::LatencyQuantileMs(1.0),
        },
    };
    let value = |bound: &Bound| match bound {
        Bound::Number(number) => *number,
        Bound::Text(text) => crate::scenario::Duration::parse(text)
            .expect("validated: a check's text bound is a duration")
            .as_millis_f64(),
    };
    RolloutCheck {
        name: check.metric.clone(),
        metric,
        min: check.min.as_ref().map(value),
        max: check.max.as_ref().map(value),
    }
}

/// What the recorder says of each rollout in `summary.json`.
pub fn infos(scenario: &Scenario, layout: &Layout) -> Vec<RolloutInfo> {
    scenario
        .rollouts
        .iter()
        .map(|rollout| {
            let (from, to, new_versions) = if rollout.strategy == Strategy::Strangler {
                let service = &layout.services[rollout.service.as_str()];
                let keys = (0..service.versions.len())
                    .map(|version| VersionKey::new(service.group, version as u32))
                    .collect();
                let monolith = rollout.monolith.clone().expect("validated monolith");
                (monolith, rollout.service.clone(), keys)
            } else {
                let from = rollout.from.clone().expect("validated from");
                let to = rollout.to.clone().expect("validated to");
                let key = version_key(layout, &rollout.service, &to);
                (from, to, vec![key])
            };
            RolloutInfo {
                service: rollout.service.clone(),
                strategy: strategy_name(rollout.strategy),
                from,
                to,
                start_ns: rollout.start.as_nanos(),
                new_versions,
            }
        })
        .collect()
}
