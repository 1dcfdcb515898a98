//! Flagger `Canary` (`flagger.app/v1beta1`, Flagger v1.38) as a `[[rollout]]`.
//!
//! Flagger copies the target Deployment into `NAME-primary`, which keeps serving the old
//! revision, and runs the new revision as the target itself, the canary, behind the apex Service
//! (`spec.service.name`, else the target's name)
//! (<https://docs.flagger.app/usage/how-it-works>). In meshsim the primary is the service's own
//! version, `v1`, and the canary is a version named `canary`, with the Deployment's replicas
//! (Flagger scales the canary to the target's replicas when the analysis starts); the TOML's
//! `[[service.version]] name = "canary"` says how the new revision behaves. The new revision is
//! detected as the run starts (`start` 0).
//!
//! The strategy is Flagger's own choice (`Canary.DeploymentStrategy` in
//! `pkg/apis/flagger/v1beta1/canary.go`): `iterations` makes it blue/green, or A/B testing with
//! `match`, whose matching requests are routed to the canary for the iterations; otherwise
//! `stepWeight`/`stepWeights` make it a canary. The built-in metrics `request-success-rate` (a
//! percentage) and `request-duration` (milliseconds, the p99) become checks on the last interval.

use super::declared::{Declared, DeclaredService, Sourced};
use super::kind::Kind;
use super::kubernetes::mark_identity;
use super::manifests::Manifest;
use super::reader::{Field, Reader};
use crate::scenario::schema::{
    BASE_VERSION, Check, HeaderMatch, Rollout, Route, RouteMatch, Strategy,
};
use crate::scenario::{Bound, Duration, Real};

/// The version meshsim gives Flagger's canary (the target Deployment's new revision).
pub(crate) const CANARY_VERSION: &str = "canary";

/// Flagger's shortest analysis interval: a shorter one is run every 10 s
/// (`GetAnalysisInterval` in `canary.go`).
const INTERVAL_MIN_SECS: u64 = 10;

/// Failed checks and iterations: a typo's bound, far above any real analysis.
const COUNT_MAX: u32 = 1_000;

/// Steps of `stepWeights`: one per percent is already more than a real canary has.
const STEPS_MAX: usize = 100;

/// Header matches of an A/B analysis.
const MATCHES_MAX: usize = 64;

/// Every Canary, as a rollout of its service.
pub(crate) fn translate(manifests: &[Manifest], reader: &Reader, declared: &mut Declared) {
    for manifest in manifests.iter().filter(|m| m.kind == Kind::Canary) {
        canary(manifest, reader, declared);
    }
}

fn canary(manifest: &Manifest, reader: &Reader, declared: &mut Declared) {
    let root = reader.field(manifest.file, &manifest.root);
    mark_identity(root);
    let Some(target) = root.at("spec.targetRef.name") else {
        reader.error(
            &root.place(),
            "a Canary without `spec.targetRef.name`",
            "Flagger needs the Deployment to run the canary of: spec.targetRef: {apiVersion: apps/v1, kind: Deployment, name: NAME}",
        );
        return;
    };
    let Some(target_name) = target.text() else {
        return;
    };
    target_kind(root);
    let service = match root.at("spec.service.name") {
        Some(field) => field.text().unwrap_or(target_name),
        None => target_name,
    }
    .to_owned();
    let Some(analysis) = root
        .at("spec.analysis")
        .or_else(|| root.at("spec.canaryAnalysis"))
    else {
        reader.error(
            &root.place(),
            "a Canary without `spec.analysis`",
            "Flagger promotes a Canary without analysis at once; give spec.analysis its interval, threshold and stepWeight (or iterations)",
        );
        return;
    };
    let Some(mut rollout) = plan(analysis, &service, reader) else {
        return;
    };
    rollout.checks = checks(analysis, rollout.interval);
    canary_version(&service, target, declared);
    if rollout.strategy == Strategy::BlueGreen {
        header_routes(analysis, &service, declared);
    } else if let Some(matches) = analysis.get("match") {
        reader.warning(
            &matches.place(),
            "meshsim does not simulate `match` on a progressive canary: every request takes part in the weights",
            "Flagger moves only the matching requests' weights; give `iterations` for A/B testing, which meshsim simulates",
        );
    }
    declared
        .rollouts
        .push(Sourced::new(rollout, manifest.place()));
}

/// `targetRef.kind` and `apiVersion`: a Deployment is what meshsim runs a canary of.
fn target_kind(root: Field<'_>) {
    if let Some(kind) = root.at("spec.targetRef.kind")
        && let Some(other) = kind.text().filter(|kind| *kind != "Deployment")
    {
        kind.reader().warning(
            &kind.place(),
            format!("meshsim runs the canary of a Deployment; a {other} is read as one"),
            "the versions and replicas come from the Deployment's translation",
        );
    }
    if let Some(api) = root.at("spec.targetRef.apiVersion") {
        api.text();
    }
}

/// The analysis' schedule and strategy; `None` (after an error) when Flagger would not progress.
fn plan(analysis: Field<'_>, service: &str, reader: &Reader) -> Option<Rollout> {
    let interval = interval(analysis);
    let threshold = analysis
        .get("threshold")
        .and_then(|field| field.count(COUNT_MAX))
        .filter(|threshold| *threshold > 0)
        .unwrap_or(1);
    let percent = |key: &str| {
        analysis
            .get(key)
            .and_then(|field| field.real(100.0))
            .filter(|weight| weight.0 > 0.0)
    };
    let max_weight = percent("maxWeight");
    let step_weight = percent("stepWeight");
    let step_weights = analysis.get("stepWeights").map(step_weights);
    let iterations = analysis
        .get("iterations")
        .and_then(|field| field.count(COUNT_MAX))
        .filter(|iterations| *iterations > 0);
    let strategy = if iterations.is_some() {
        Strategy::BlueGreen
    } else if analysis.get("stepWeight").is_some() || analysis.get("stepWeights").is_some() {
        // Present but out of range is its own error, already recorded.
        Strategy::Canary
    } else {
        reader.error(
            &analysis.place(),
            "this analysis has neither `stepWeight`, `stepWeights` nor `iterations`",
            "Flagger never moves traffic to such a canary; give stepWeight (a canary) or iterations (blue/green, or A/B with match)",
        );
        return None;
    };
    let is_canary = strategy == Strategy::Canary;
    Some(Rollout {
        service: service.to_owned(),
        from: Some(BASE_VERSION.to_owned()),
        to: Some(CANARY_VERSION.to_owned()),
        strategy,
        start: Duration::ZERO,
        interval,
        step_weight: step_weight.filter(|_| is_canary && step_weights.is_none()),
        step_weights: step_weights.filter(|_| is_canary),
        max_weight: max_weight.filter(|_| is_canary),
        threshold,
        checks: Vec::new(),
        max_surge: None,
        max_unavailable: None,
        readiness_delay: None,
        failure_action: None,
        monolith: None,
        iterations,
    })
}

/// `analysis.interval`: 60 s when absent, at least 10 s, as Flagger schedules it.
fn interval(analysis: Field<'_>) -> Duration {
    let default = Duration::from_secs(60);
    let Some(field) = analysis.get("interval") else {
        return default;
    };
    let Some(interval) = field.duration() else {
        return default;
    };
    let least = Duration::from_secs(INTERVAL_MIN_SECS);
    if interval < least {
        field.reader().warning(
            &field.place(),
            "Flagger runs an analysis at most every 10s; meshsim takes 10s too",
            "write an interval of 10s or more",
        );
        return least;
    }
    interval
}

/// `stepWeights`: rising percentages.
fn step_weights(field: Field<'_>) -> Vec<Real> {
    let items = field.items();
    if items.len() > STEPS_MAX {
        field.reader().error(
            &field.place(),
            format!("more than {STEPS_MAX} step weights"),
            "a step is a percentage of the traffic; list each at most once",
        );
        return Vec::new();
    }
    items
        .into_iter()
        .filter_map(|item| item.real(100.0))
        .collect()
}

/// The built-in metrics as checks; other metrics (templates) stay listed as not simulated.
fn checks(analysis: Field<'_>, interval: Duration) -> Vec<Check> {
    let Some(metrics) = analysis.get("metrics") else {
        return Vec::new();
    };
    let mut checks = Vec::new();
    for metric in metrics.items() {
        let name = metric.get("name").and_then(|field| field.node.text());
        let Some((check_metric, bound)) = (match name {
            Some("request-success-rate") => Some(("success_rate", percent_bound as BoundOf)),
            Some("request-duration") => Some(("latency_p99", millis_bound as BoundOf)),
            _ => None,
        }) else {
            continue;
        };
        if let Some(field) = metric.get("name") {
            field.mark();
        }
        let min = metric.at("thresholdRange.min").and_then(bound);
        let max = metric.at("thresholdRange.max").and_then(bound);
        metric_interval(metric, interval);
        checks.push(Check {
            metric: check_metric.to_owned(),
            min,
            max,
        });
    }
    checks
}

type BoundOf = fn(Field<'_>) -> Option<Bound>;

/// `request-success-rate` is a percentage; meshsim's `success_rate` a share of 1.
fn percent_bound(field: Field<'_>) -> Option<Bound> {
    field
        .real(100.0)
        .map(|percent| Bound::Number(percent.0 / 100.0))
}

/// `request-duration` is milliseconds.
fn millis_bound(field: Field<'_>) -> Option<Bound> {
    field
        .real(3_600_000.0)
        .map(|millis| Bound::Text(format!("{}ms", millis.0)))
}

/// A metric's own window: meshsim's checks look at the last analysis interval, so only a window
/// of that length is simulated as written.
fn metric_interval(metric: Field<'_>, interval: Duration) {
    let Some(field) = metric.get("interval") else {
        return;
    };
    let Some(text) = field.node.text() else {
        return;
    };
    if super::reader::go_duration(text).ok() == Some(interval) {
        field.mark();
    } else {
        field.reader().warning(
            &field.place(),
            format!("meshsim's checks look at the last analysis interval, not a `{text}` window"),
            "give the metric the analysis interval to simulate it as written",
        );
    }
}

/// The canary version of `service`, with the target Deployment's replicas.
fn canary_version(service: &str, target: Field<'_>, declared: &mut Declared) {
    let entry = declared
        .services
        .entry(service.to_owned())
        .or_insert_with(|| DeclaredService::new(target.place()));
    if !entry.deployed {
        target.reader().warning(
            &target.place(),
            format!("the Canary's target `{service}` is no included Deployment"),
            "include the Deployment, so that meshsim knows its replicas; the canary gets 1",
        );
    }
    let replicas = entry.replicas.as_ref().map_or(1, |replicas| replicas.value);
    entry
        .versions
        .entry(CANARY_VERSION.to_owned())
        .or_insert_with(|| Sourced::new(replicas, target.place()));
}

/// A/B testing: each `match` entry routes the requests it matches to the canary; the rest stay
/// on the primary until the switch. Istio ORs the entries and ANDs the headers of one.
fn header_routes(analysis: Field<'_>, service: &str, declared: &mut Declared) {
    let Some(matches) = analysis.get("match") else {
        return;
    };
    let items = matches.items();
    if items.len() > MATCHES_MAX {
        matches.reader().error(
            &matches.place(),
            format!("more than {MATCHES_MAX} match entries"),
            "an A/B test routes a few kinds of requests; merge the entries",
        );
        return;
    }
    let mut routes = Vec::new();
    for item in items {
        let Some(headers) = item.get("headers") else {
            continue;
        };
        let mut matched = indexmap::IndexMap::new();
        for (name, condition) in headers.entries() {
            if let Some(how) = header_match(condition) {
                matched.insert(name.to_owned(), how);
            }
        }
        if !matched.is_empty() {
            routes.push(route(Some(matched), 100.0));
        }
    }
    if routes.is_empty() {
        return;
    }
    routes.push(route(None, 0.0));
    let mesh = declared.mesh.entry(service.to_owned()).or_default();
    mesh.policy.route = routes;
    mesh.set_place("route", matches.place());
}

fn route(headers: Option<indexmap::IndexMap<String, HeaderMatch>>, canary: f64) -> Route {
    let mut weights = indexmap::IndexMap::new();
    weights.insert(BASE_VERSION.to_owned(), Real(100.0 - canary));
    weights.insert(CANARY_VERSION.to_owned(), Real(canary));
    Route {
        matches: headers.map(|headers| RouteMatch {
            headers,
            uri: None,
            method: None,
        }),
        weights,
        timeout: None,
        retries: None,
        fault: None,
    }
}

/// Istio's `StringMatch`: `exact`, `prefix` or `regex`.
fn header_match(condition: Field<'_>) -> Option<HeaderMatch> {
    let how = super::istio_routing::string_match(condition);
    if how.exact.is_none() && how.prefix.is_none() && how.regex.is_none() {
        return None;
    }
    Some(HeaderMatch::How(how))
}

#[cfg(test)]
mod tests;
