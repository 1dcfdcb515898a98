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

use meshsim_models::RedirectConfig;
use meshsim_models::{
    CheckMetric, FailureAction, RolloutCheck, RolloutConfig, RolloutController, RolloutStrategy,
};
use meshsim_models::{Route, UpstreamConfig};
use meshsim_record::{RolloutInfo, VersionKey};
use meshsim_sim::NodeId;

use crate::layout::{BASE_VERSION, Layout};
use crate::scenario::Real;
use crate::scenario::metric::{self, LatencyStat};
use crate::scenario::resolved::{self, Resolved, RolloutMove, ServiceId};
use crate::scenario::schema::{self, Strategy};

/// Flagger's default `maxWeight`.
const MAX_WEIGHT_DEFAULT: f64 = 100.0;

/// Flagger's default iterations for blue/green (what it sets when none are given).
const ITERATIONS_DEFAULT: u32 = 10;

/// The group name of a rollout's controller: not a name a scenario can give (no `:`).
pub(crate) fn controller_name(rollout: &schema::Rollout) -> String {
    format!("rollout:{}", rollout.service)
}

pub(crate) fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Canary => "canary",
        Strategy::BlueGreen => "blue_green",
        Strategy::Rolling => "rolling",
        Strategy::Strangler => "strangler",
    }
}

/// The rollouts of the scenario with what the checker resolved of each.
fn resolved_rollouts<'s>(
    scenario: &Resolved<'s>,
) -> impl Iterator<Item = (&'s schema::Rollout, &'s resolved::Rollout)> {
    scenario
        .parsed
        .rollouts
        .iter()
        .zip(&scenario.resolution.rollouts)
}

/// Changes `config`, the upstream of service `service_index`, for the rollouts that touch it.
pub(crate) fn shape_upstream(
    scenario: &Resolved<'_>,
    layout: &Layout,
    service_index: usize,
    config: &mut UpstreamConfig,
) {
    for (rollout, resolved) in resolved_rollouts(scenario) {
        let own = resolved.service.index() == service_index;
        match (rollout.strategy, resolved.moves) {
            (Strategy::Canary | Strategy::BlueGreen, RolloutMove::Versions { from, .. })
                if own && config.routes.routes.is_empty() =>
            {
                let from = version_range(layout, resolved.service, from);
                config.routes.routes.push(Route {
                    conditions: vec![Some(Vec::new()); scenario.workloads.len()],
                    catch_all: true,
                    endpoints: None,
                    policy: 0,
                    weights: vec![(from, 100.0)],
                });
            }
            (Strategy::Rolling, RolloutMove::Versions { to, .. }) if own => {
                let to = version_range(layout, resolved.service, to);
                config.undeployed.extend(to);
            }
            (_, RolloutMove::Strangler { monolith }) if monolith.index() == service_index => {
                let new_index = resolved.service.index();
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
/// is not deployed yet. The version is `version_index`th of service `service_index`'s.
pub(crate) fn initial_weight_percent(
    scenario: &Resolved<'_>,
    service_index: usize,
    version_index: usize,
    catch_all: Option<&schema::Route>,
    spread: f64,
) -> f64 {
    if let Some(route) = catch_all {
        let service = &scenario.services[service_index];
        let names = service.version_replicas();
        let version = names
            .get(version_index)
            .map_or(BASE_VERSION, |(name, _)| name);
        return route
            .weights
            .get(version)
            .map_or(0.0, |weight| weight.get());
    }
    let rollout =
        resolved_rollouts(scenario).find(|(_, resolved)| resolved.service.index() == service_index);
    match rollout {
        Some((rollout, resolved)) => match (rollout.strategy, resolved.moves) {
            (Strategy::Canary | Strategy::BlueGreen, RolloutMove::Versions { from, .. }) => {
                if from == version_index { 100.0 } else { 0.0 }
            }
            (Strategy::Rolling, RolloutMove::Versions { to, .. }) => {
                let service = &scenario.services[service_index];
                let replicas = service.version_replicas();
                let all: u32 = replicas
                    .iter()
                    .enumerate()
                    .filter(|&(place, _)| place != to)
                    .map(|(_, (_, replicas))| replicas)
                    .sum();
                if version_index == to || all == 0 {
                    0.0
                } else {
                    let own = replicas.get(version_index).map_or(0, |(_, own)| *own);
                    100.0 * f64::from(own) / f64::from(all)
                }
            }
            _ => spread,
        },
        None => spread,
    }
}

/// The instances of service `service_index` a rolling update has not deployed when the run
/// starts.
pub(crate) fn undeployed_nodes(
    scenario: &Resolved<'_>,
    layout: &Layout,
    service_index: usize,
) -> Vec<NodeId> {
    resolved_rollouts(scenario)
        .filter(|(rollout, resolved)| {
            rollout.strategy == Strategy::Rolling && resolved.service.index() == service_index
        })
        .flat_map(|(_, resolved)| match resolved.moves {
            RolloutMove::Versions { to, .. } => {
                let range = version_range(layout, resolved.service, to);
                layout.services[service_index].instances[range.start as usize..range.end as usize]
                    .to_vec()
            }
            RolloutMove::Strangler { .. } => Vec::new(),
        })
        .collect()
}

/// A strangler's callers need the new service as an upstream: adds it wherever the monolith
/// is one (`callees` are indices into the upstream list, services first).
pub(crate) fn add_strangler_callees(scenario: &Resolved<'_>, callees: &mut Vec<usize>) {
    for resolved in &scenario.resolution.rollouts {
        let RolloutMove::Strangler { monolith } = resolved.moves else {
            continue;
        };
        let (monolith, new_service) = (monolith.index(), resolved.service.index());
        if callees.contains(&monolith) && !callees.contains(&new_service) {
            callees.push(new_service);
        }
    }
}

/// The instances of the `version`th version of `service`, as indices into its instances.
fn version_range(layout: &Layout, service: ServiceId, version: usize) -> Range<u32> {
    let range = &layout.services[service.index()].versions[version].1;
    range.start as u32..range.end as u32
}

fn version_key(layout: &Layout, service: ServiceId, version: usize) -> VersionKey {
    VersionKey::new(layout.services[service.index()].group, version as u32)
}

/// The controller of rollout `index`. `holders[u]` are the nodes whose sidecars hold upstream
/// `u` (services first, in scenario order); `subscribers` the brokers delivering to each
/// service.
pub(crate) fn controller(
    scenario: &Resolved<'_>,
    layout: &Layout,
    index: usize,
    holders: &[Vec<NodeId>],
    subscribers: &[Vec<NodeId>],
) -> RolloutController {
    let rollout = &scenario.rollouts[index];
    let resolved = &scenario.resolution.rollouts[index];
    let service_index = resolved.service.index();
    let service_layout = &layout.services[service_index];
    let ends = Ends::of(scenario, layout, resolved);
    let nodes = |range: &Range<u32>| -> Vec<NodeId> {
        service_layout.instances[range.start as usize..range.end as usize].to_vec()
    };
    let (from_nodes, to_nodes) = (nodes(&ends.from), nodes(&ends.to));
    let watched = match rollout.strategy {
        Strategy::Strangler => service_layout.instances.clone(),
        _ => to_nodes.clone(),
    };
    let mut callers = holders[ends.routed_service].clone();
    if rollout.strategy == Strategy::Rolling {
        callers.extend(&subscribers[service_index]);
    }
    let config = RolloutConfig {
        index: index as u32,
        service: layout.services[ends.routed_service].group.0,
        service_name: rollout.service.clone(),
        from_name: ends.from_name,
        to_name: ends.to_name,
        from: ends.from,
        to: ends.to,
        from_key: ends.from_key,
        to_key: ends.to_key,
        from_nodes,
        to_nodes,
        watched,
        callers,
        start_ns: rollout.start.as_nanos(),
        interval_ns: rollout.interval.as_nanos(),
        threshold: rollout.threshold,
        checks: rollout
            .checks
            .iter()
            .zip(&resolved.checks)
            .map(|(check, resolved)| rollout_check(check, resolved))
            .collect(),
        strategy: strategy(rollout, resolved, service_layout),
    };
    RolloutController::new(config)
}

/// What a rollout moves traffic between: the service whose routes move, the two sides'
/// names, instance ranges and version keys.
struct Ends {
    routed_service: usize,
    from_name: String,
    to_name: String,
    from: Range<u32>,
    to: Range<u32>,
    from_key: VersionKey,
    to_key: VersionKey,
}

impl Ends {
    fn of(scenario: &Resolved<'_>, layout: &Layout, resolved: &resolved::Rollout) -> Ends {
        let service = resolved.service;
        let version_name =
            |place: usize| layout.services[service.index()].versions[place].0.clone();
        match resolved.moves {
            RolloutMove::Strangler { monolith } => Ends {
                routed_service: monolith.index(),
                from_name: scenario.services[monolith.index()].name.clone(),
                to_name: scenario.services[service.index()].name.clone(),
                from: 0..0,
                to: 0..0,
                from_key: version_key(layout, monolith, 0),
                to_key: version_key(layout, service, 0),
            },
            RolloutMove::Versions { from, to } => Ends {
                routed_service: service.index(),
                from_name: version_name(from),
                to_name: version_name(to),
                from: version_range(layout, service, from),
                to: version_range(layout, service, to),
                from_key: version_key(layout, service, from),
                to_key: version_key(layout, service, to),
            },
        }
    }
}

fn strategy(
    rollout: &schema::Rollout,
    resolved: &resolved::Rollout,
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
            let desired = match resolved.moves {
                RolloutMove::Versions { to, .. } => service_layout.versions[to].1.len() as u32,
                RolloutMove::Strangler { .. } => 1,
            };
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

fn rollout_check(check: &schema::Check, resolved: &resolved::RolloutCheck) -> RolloutCheck {
    let metric = match resolved.metric {
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
    RolloutCheck {
        name: check.metric.clone(),
        metric,
        min: resolved.min,
        max: resolved.max,
    }
}

/// What the recorder says of each rollout in `summary.json`.
pub(crate) fn infos(scenario: &Resolved<'_>, layout: &Layout) -> Vec<RolloutInfo> {
    resolved_rollouts(scenario)
        .map(|(rollout, resolved)| {
            let ends = Ends::of(scenario, layout, resolved);
            let new_versions = match resolved.moves {
                RolloutMove::Strangler { .. } => {
                    let service = &layout.services[resolved.service.index()];
                    (0..service.versions.len())
                        .map(|version| VersionKey::new(service.group, version as u32))
                        .collect()
                }
                RolloutMove::Versions { .. } => vec![ends.to_key],
            };
            RolloutInfo {
                service: rollout.service.clone(),
                strategy: strategy_name(rollout.strategy),
                from: ends.from_name,
                to: ends.to_name,
                start_ns: rollout.start.as_nanos(),
                new_versions,
            }
        })
        .collect()
}
