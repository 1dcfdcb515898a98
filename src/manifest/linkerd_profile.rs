//! Linkerd's `ServiceProfile` (`linkerd.io/v1alpha2`, edge-26.8.3) as `[mesh.SERVICE]` routes
//! and a retry budget (<https://linkerd.io/2-edge/reference/service-profiles/>).
//!
//! - It is named `SERVICE.NAMESPACE.svc.cluster.local`, the name the proxy looks up; another
//!   name applies to no Service (a warning).
//! - Its routes are tried in order, the first whose `condition` holds wins
//!   (linkerd2-proxy v2.366.0 `linkerd/service-profiles/src/http.rs` `route_for_request`); a
//!   request no route takes has no timeout and no retries. meshsim writes a route per profile
//!   route, and a last route without `match` for the rest.
//! - `pathRegex` is anchored at both ends (`linkerd/service-profiles/src/proto.rs`), as meshsim's
//!   `match.uri.regex` is; `method` is an exact method; `all` of them is one match, `any` one
//!   route each. `not` is not simulated: the route is left out, with a warning.
//! - A route with `isRetryable: true` retries 5xx answers within the profile's `retryBudget`
//!   (default 0.2, 10 per second, 10 s: `controller/api/destination/profile_translator.go`):
//!   the service's `retries.retry_budget`; the other routes retry nothing (`attempts = 0`).
//! - `timeout` is the route's timeout (Go's syntax; none by default).

use indexmap::IndexMap;

use super::declared::{Declared, DeclaredMesh};
use super::kind::Kind;
use super::kubernetes::mark_identity;
use super::linkerd_backends::whole_service;
use super::manifests::Manifest;
use super::reader::{Field, Reader};
use crate::scenario::Real;
use crate::scenario::schema::{HeaderMatchHow, Retries, RetryBudget, RetryOn, Route, RouteMatch};

/// The suffix of a ServiceProfile's name: Kubernetes' default cluster domain.
const NAME_SUFFIX: &str = ".svc.cluster.local";

/// The largest `retryRatio` meshsim takes: a retry per deposit a hundred times over.
const RETRY_RATIO_MAX: f64 = 100.0;

/// Translates the `ServiceProfile`s; returns the Services they apply to.
pub(crate) fn translate(
    manifests: &[Manifest],
    reader: &Reader,
    declared: &mut Declared,
) -> Vec<String> {
    let mut profiled = Vec::new();
    for manifest in manifests.iter().filter(|m| m.kind == Kind::ServiceProfile) {
        let root = reader.field(manifest.file, &manifest.root);
        let Some(service) = service_of(&manifest.name) else {
            let place = root
                .at("metadata.name")
                .map_or(manifest.place(), Field::place);
            reader.warning(
                &place,
                format!("Linkerd looks a ServiceProfile up by the Service's full name; `{}` names no Service", manifest.name),
                "name it SERVICE.NAMESPACE.svc.cluster.local, like backend.default.svc.cluster.local",
            );
            continue;
        };
        mark_identity(root);
        let whole = whole_service(&service, declared);
        let mesh = declared.mesh.entry(service.clone()).or_default();
        profile(root, mesh, &whole);
        profiled.push(service);
    }
    profiled
}

/// `backend.default.svc.cluster.local` → `backend`.
fn service_of(name: &str) -> Option<String> {
    let rest = name.strip_suffix(NAME_SUFFIX)?;
    let (service, namespace) = rest.split_once('.')?;
    (!service.is_empty() && !namespace.is_empty() && !namespace.contains('.'))
        .then(|| service.to_owned())
}

fn profile(root: Field<'_>, mesh: &mut DeclaredMesh, whole: &IndexMap<String, Real>) {
    let routes = root.at("spec.routes").map(Field::items).unwrap_or_default();
    let budget = root.at("spec.retryBudget").map(retry_budget);
    let mut any_retryable = false;
    let mut written = Vec::new();
    for route in &routes {
        if let Some(name) = route.get("name") {
            name.mark();
        }
        let retryable = route
            .get("isRetryable")
            .and_then(Field::boolean)
            .unwrap_or(false);
        any_retryable |= retryable;
        let timeout = route.get("timeout").and_then(Field::duration);
        let Some(condition) = route.get("condition") else {
            continue;
        };
        for matches in condition_matches(condition) {
            written.push((route.place(), matches, timeout, retryable));
        }
    }
    if written.is_empty() {
        return;
    }
    if any_retryable {
        mesh.policy.retries = Some(Retries {
            retry_budget: Some(budget.unwrap_or(RetryBudget {
                retry_ratio: None,
                min_retries_per_second: None,
                ttl: None,
            })),
            ..no_retries()
        });
        let place = root
            .at("spec.retryBudget")
            .map_or(root.place(), Field::place);
        mesh.set_place("retries", place);
    }
    let rest = (root.place(), None, None, false);
    for (place, matches, timeout, retryable) in written.into_iter().chain([rest]) {
        mesh.route_places.push(place.clone());
        mesh.set_place("route", place);
        mesh.policy.route.push(Route {
            matches,
            weights: whole.clone(),
            timeout,
            // A route that is not retryable spends no budget: no retries at all.
            retries: (any_retryable && !retryable).then(|| Retries {
                attempts: Some(0),
                retry_on: Some(vec![RetryOn::FiveXx]),
                ..no_retries()
            }),
            fault: None,
        });
    }
}

fn no_retries() -> Retries {
    Retries::default()
}

/// `retryBudget`: `retryRatio`, `minRetriesPerSecond`, `ttl` (Go's syntax, `time.ParseDuration`).
fn retry_budget(field: Field<'_>) -> RetryBudget {
    RetryBudget {
        retry_ratio: field
            .get("retryRatio")
            .and_then(|ratio| ratio.real(RETRY_RATIO_MAX)),
        min_retries_per_second: field
            .get("minRetriesPerSecond")
            .and_then(|min| min.count(1_000_000)),
        ttl: field.get("ttl").and_then(Field::duration),
    }
}

/// A request match as meshsim's route matches, any of which takes it: `any` gives several.
fn condition_matches(condition: Field<'_>) -> Vec<Option<RouteMatch>> {
    if let Some(any) = condition.get("any") {
        return any
            .items()
            .into_iter()
            .flat_map(condition_matches)
            .collect();
    }
    let mut matched = RouteMatch {
        headers: IndexMap::new(),
        uri: None,
        method: None,
    };
    if all_of(condition, &mut matched) {
        vec![Some(matched)]
    } else {
        Vec::new()
    }
}

/// Adds `condition`'s `pathRegex`, `method` and `all` to `matched`; false when meshsim cannot
/// say it (a `not`, or two paths), which leaves the route out.
fn all_of(condition: Field<'_>, matched: &mut RouteMatch) -> bool {
    let exact = |text: &str| HeaderMatchHow {
        exact: Some(text.to_owned()),
        prefix: None,
        regex: None,
    };
    if let Some(not) = condition.get("not") {
        condition.reader().warning(
            &not.place(),
            "a `not` condition is not simulated: this route is left out",
            "write the requests the route takes as pathRegex and method conditions",
        );
        return false;
    }
    if let Some(regex) = condition.get("pathRegex").and_then(Field::text) {
        if matched.uri.is_some() {
            return false;
        }
        matched.uri = Some(HeaderMatchHow {
            exact: None,
            prefix: None,
            regex: Some(regex.trim().to_owned()),
        });
    }
    if let Some(method) = condition.get("method").and_then(Field::text) {
        matched.method = Some(exact(method));
    }
    if let Some(all) = condition.get("all") {
        for part in all.items() {
            if part.get("any").is_some() {
                part.reader().warning(
                    &part.place(),
                    "an `any` inside `all` is not simulated: this route is left out",
                    "",
                );
                return false;
            }
            if !all_of(part, matched) {
                return false;
            }
        }
    }
    true
}
