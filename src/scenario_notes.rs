//! What of the scenario a report needs to explain a run, besides what the run recorded: the
//! bounds a rollout checks, and the routes that pick a version by a request's headers.

use indexmap::IndexMap;

use crate::scenario::schema::{Check, HeaderMatch, Route, Scenario};

/// Each rollout's checks as the scenario bounds them, by service: `success_rate >= 0.99`.
pub(crate) fn rollout_checks(scenario: &Scenario) -> IndexMap<String, Vec<String>> {
    scenario
        .rollouts
        .iter()
        .map(|rollout| {
            let checks = rollout.checks.iter().map(check_text).collect();
            (rollout.service.clone(), checks)
        })
        .collect()
}

fn check_text(check: &Check) -> String {
    let mut bounds = Vec::new();
    if let Some(min) = &check.min {
        bounds.push(format!(">= {min}"));
    }
    if let Some(max) = &check.max {
        bounds.push(format!("<= {max}"));
    }
    format!("{} {}", check.metric, bounds.join(" and "))
}

/// The routes of each service that match on headers, in words: `user-type = beta → v2`.
/// Services without one are left out.
pub(crate) fn matched_routes(scenario: &Scenario) -> IndexMap<String, Vec<String>> {
    scenario
        .mesh
        .iter()
        .filter_map(|(service, policy)| {
            let routes: Vec<String> = policy
                .route
                .iter()
                .filter(|route| {
                    route
                        .matches
                        .as_ref()
                        .is_some_and(|m| !m.headers.is_empty())
                })
                .map(route_text)
                .collect();
            (!routes.is_empty()).then(|| (service.clone(), routes))
        })
        .collect()
}

fn route_text(route: &Route) -> String {
    let conditions: Vec<String> = route
        .matches
        .iter()
        .flat_map(|matches| &matches.headers)
        .map(|(header, how)| match how {
            HeaderMatch::Exact(value) => format!("{header} = {value}"),
            HeaderMatch::How(how) => match (&how.exact, &how.prefix, &how.regex) {
                (Some(value), _, _) => format!("{header} = {value}"),
                (_, Some(prefix), _) => format!("{header} starts with {prefix}"),
                (_, _, Some(regex)) => format!("{header} matches /{regex}/"),
                _ => format!("{header} present"),
            },
        })
        .collect();
    let targets: Vec<String> = if route.weights.len() == 1 {
        route.weights.keys().cloned().collect()
    } else {
        route
            .weights
            .iter()
            .map(|(version, weight)| format!("{version} {}%", weight.get()))
            .collect()
    };
    format!("{} → {}", conditions.join(" and "), targets.join(", "))
}
