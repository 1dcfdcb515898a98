//! Known traps: settings that do not do what they seem to at this scenario's scale, each a
//! surprise users of the real product report. `meshsim explain` names them.

use indexmap::IndexMap;

use crate::call_graph::CallGraph;
use crate::scenario::schema::Scenario;

use super::effective::{Effective, RetryLimit};
use super::rows::number;

/// Chains whose worst case multiplies a request's tries at least this much are named.
const AMPLIFICATION_NAMED_MIN: u64 = 8;

/// Call chains are followed this deep at most (validation refuses synchronous cycles; this
/// bounds the walk whatever the graph).
const CHAIN_DEPTH_MAX: usize = 16;

/// One trap, on calls to one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trap {
    pub service: String,
    pub message: String,
    pub hint: String,
    /// Every service the trap is about: the service, and the others on its chain of calls.
    pub involves: Vec<String>,
}

impl Trap {
    fn on(service: &str, message: String, hint: String) -> Self {
        Trap {
            service: service.to_owned(),
            message,
            hint,
            involves: vec![service.to_owned()],
        }
    }
}

/// The traps in `scenario`, whose services' effective policies are `effective`.
pub(crate) fn traps(
    scenario: &Scenario,
    effective: &IndexMap<String, Effective>,
    graph: &CallGraph,
) -> Vec<Trap> {
    let mut traps = Vec::new();
    for service in &scenario.services {
        let Some(policy) = effective.get(&service.name) else {
            continue;
        };
        ejection_traps(scenario, &service.name, policy, &mut traps);
        timeout_traps(&service.name, policy, &mut traps);
        route_traps(scenario, &service.name, &mut traps);
    }
    chain_traps(scenario, effective, graph, &mut traps);
    traps
}

/// Outlier detection whose `max_ejection_percent` lets it eject no instance of a cluster: since
/// Envoy 1.31 the limit holds for the first ejection too (outlier_detection_impl.cc#L478-L486).
fn ejection_traps(scenario: &Scenario, name: &str, policy: &Effective, traps: &mut Vec<Trap>) {
    let Some(outlier) = &policy.outlier else {
        return;
    };
    if outlier.always_eject_one_host.value {
        return;
    }
    let percent = outlier.max_ejection_percent.value.floor();
    for (cluster, instances) in clusters(scenario, name) {
        if instances == 0 || 100.0 / instances as f64 <= percent {
            continue;
        }
        let needed = (100.0 / instances as f64).ceil();
        traps.push(Trap::on(
            name,
            format!(
                "outlier detection can eject no instance of {cluster}: one of {instances} is {} %, above max_ejection_percent {}",
                number((100.0 / instances as f64 * 10.0).round() / 10.0),
                number(percent)
            ),
            format!(
                "Envoy ≥ 1.31 holds the limit for the first ejection too; set max_ejection_percent = {needed} or more"
            ),
        ));
    }
}

/// A service's clusters as its callers see them: the whole service, or each version a route
/// reaches, with their instance counts.
fn clusters(scenario: &Scenario, name: &str) -> Vec<(String, u64)> {
    let Some(service) = scenario
        .services
        .iter()
        .find(|service| service.name == name)
    else {
        return Vec::new();
    };
    let versions: Vec<(&str, u64)> = service
        .version_replicas()
        .into_iter()
        .map(|(version, replicas)| (version, u64::from(replicas)))
        .collect();
    let routed = scenario
        .mesh
        .get(name)
        .is_some_and(|policy| !policy.route.is_empty())
        || scenario
            .rollouts
            .iter()
            .any(|rollout| rollout.service == name);
    if routed {
        versions
            .into_iter()
            .map(|(version, count)| (format!("{name} {version}"), count))
            .collect()
    } else {
        vec![(
            name.to_owned(),
            versions.iter().map(|(_, count)| count).sum(),
        )]
    }
}

/// A per-try timeout Envoy ignores, and retries that retry nothing.
fn timeout_traps(name: &str, policy: &Effective, traps: &mut Vec<Trap>) {
    let Some(retries) = &policy.retries else {
        return;
    };
    if retries.attempts.is_set() && retries.attempts.value == 0 {
        traps.push(Trap::on(
            name,
            "the retries block retries nothing: attempts is 0".to_owned(),
            "Istio turns retries off at attempts = 0; set attempts = 2 or remove the block"
                .to_owned(),
        ));
    }
    if let (Some(per_try), Some(route)) = (retries.per_try_timeout.value, policy.timeout.value)
        && per_try >= route
        && policy.profile != crate::profile::Profile::Linkerd
    {
        traps.push(Trap::on(
            name,
            format!(
                "the per-try timeout {per_try} is not below the route timeout {route}: Envoy ignores it"
            ),
            "a try then runs until the route timeout, and no retry fits; make the per-try timeout a fraction of the route's".to_owned(),
        ));
    }
}

/// A route that sends traffic to a version with no instances.
fn route_traps(scenario: &Scenario, name: &str, traps: &mut Vec<Trap>) {
    let Some(policy) = scenario.mesh.get(name) else {
        return;
    };
    let Some(service) = scenario
        .services
        .iter()
        .find(|service| service.name == name)
    else {
        return;
    };
    let replicas = |version: &str| service.replicas_of(version);
    for (index, route) in policy.route.iter().enumerate() {
        for (version, weight) in &route.weights {
            if weight.get() > 0.0 && replicas(version) == Some(0) {
                traps.push(Trap::on(
                    name,
                    format!(
                        "route {} sends {} % of its calls to {version}, which has no instances",
                        index + 1,
                        number(weight.get())
                    ),
                    format!("those calls find no instance; give {version} replicas or its weight to another version"),
                ));
            }
        }
    }
}

/// Chains of calls whose retries, with no budget, multiply a request's tries.
fn chain_traps(
    scenario: &Scenario,
    effective: &IndexMap<String, Effective>,
    graph: &CallGraph,
    traps: &mut Vec<Trap>,
) {
    let mut worst: IndexMap<String, (u64, Vec<String>)> = IndexMap::new();
    for workload in &scenario.workloads {
        let mut chain = vec![workload.target.clone()];
        let factor = retry_factor(effective.get(&workload.target));
        walk(
            effective,
            graph,
            &mut chain,
            &workload.target,
            factor,
            &mut worst,
        );
    }
    for (service, (factor, chain)) in worst {
        traps.push(Trap {
            message: format!(
                "{}: up to {factor} tries of the last for one request, with no retry budget",
                chain.join(" → ")
            ),
            hint: "retry at one layer, or bound each with retries.budget_percent (a retry budget)"
                .to_owned(),
            involves: chain,
            service,
        });
    }
}

/// Follows the calls out of `last`, the service `chain` ends with (passed apart, so an empty
/// chain cannot be asked for its last), noting each service's worst retry factor.
fn walk(
    effective: &IndexMap<String, Effective>,
    graph: &CallGraph,
    chain: &mut Vec<String>,
    last: &str,
    factor: u64,
    worst: &mut IndexMap<String, (u64, Vec<String>)>,
) {
    if factor >= AMPLIFICATION_NAMED_MIN
        && chain.len() >= 2
        && worst.get(last).is_none_or(|(known, _)| factor > *known)
    {
        worst.insert(last.to_owned(), (factor, chain.clone()));
    }
    if chain.len() >= CHAIN_DEPTH_MAX {
        return;
    }
    for callee in graph.callees_of(last) {
        if chain.contains(callee) || !effective.contains_key(callee) {
            continue;
        }
        chain.push(callee.clone());
        let next = factor.saturating_mul(retry_factor(effective.get(callee)));
        walk(effective, graph, chain, callee, next, worst);
        chain.pop();
    }
}

/// How many tries a call to a service with `policy` may take, when its retries answer failures
/// with nothing to bound them; 1 otherwise.
fn retry_factor(policy: Option<&Effective>) -> u64 {
    let Some(retries) = policy.and_then(|policy| policy.retries.as_ref()) else {
        return 1;
    };
    let unbounded = match &retries.limit {
        RetryLimit::Concurrent(max) => max.value == u32::MAX,
        RetryLimit::None(_) => true,
        RetryLimit::Budget { .. } | RetryLimit::Tps { .. } => false,
    };
    let retries_failures = retries.retry_on.value.iter().any(|word| {
        use crate::scenario::schema::RetryOn;
        matches!(
            word,
            RetryOn::FiveXx | RetryOn::GatewayError | RetryOn::Reset | RetryOn::Retriable4xx
        )
    }) || !retries.retriable_status_codes.value.is_empty();
    if unbounded && retries_failures && retries.attempts.value > 0 {
        1 + u64::from(retries.attempts.value)
    } else {
        1
    }
}
