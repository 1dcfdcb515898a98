//! Istio `VirtualService` (networking.istio.io v1, v1beta1, v1alpha3; Istio 1.24) as
//! `[mesh.SERVICE]` routes, timeout, retries and fault
//! (<https://istio.io/v1.24/docs/reference/config/networking/virtual-service/>).
//!
//! - Each `http` rule becomes one `[[mesh.SERVICE.route]]` per entry of its `match` (Istio ORs
//!   them; meshsim ANDs the conditions of one route), in order: first match wins, as in Envoy.
//! - A destination's `subset` is the version the DestinationRule's subset labels select. A subset
//!   no Deployment backs is a version with no instances: traffic routed there answers 503
//!   `no_healthy_upstream`, as Envoy answers for an empty cluster.
//! - `timeout`, `retries` and `fault` of a rule are the route's own; a VirtualService of one rule
//!   without `match` sets them for the whole service instead (the same thing, said once).
//! - A VirtualService bound to gateways (without `mesh`) is the ingress's, not the sidecars':
//!   it is left whole, and listed as not simulated.

use indexmap::IndexMap;

use super::declared::{Declared, DeclaredMesh, DeclaredService};
use super::istio_destination::{Subsets, service_of_host};
use super::kind::Kind;
use super::kubernetes::mark_identity;
use super::manifests::Manifest;
use super::reader::{Field, Reader};
use crate::scenario::Real;
use crate::scenario::schema::{
    FaultInjection, HeaderMatch, HeaderMatchHow, Retries, RetryOn, Route, RouteMatch,
};

pub(crate) fn translate(
    manifests: &[Manifest],
    subsets: &Subsets,
    reader: &Reader,
    declared: &mut Declared,
) {
    for manifest in manifests.iter().filter(|m| m.kind == Kind::VirtualService) {
        let root = reader.field(manifest.file, &manifest.root);
        let for_sidecars = root.at("spec.gateways").is_none_or(|gateways| {
            gateways
                .node
                .text()
                .is_some_and(|gateway| gateway == "mesh")
                || matches!(&gateways.node.value, super::yaml::Value::Seq(items)
                    if items.iter().any(|item| item.text() == Some("mesh")))
        });
        if !for_sidecars {
            continue;
        }
        mark_identity(root);
        if let Some(gateways) = root.at("spec.gateways") {
            gateways.mark();
        }
        let hosts = root.at("spec.hosts").map(Field::items).unwrap_or_default();
        let rules = root.at("spec.http").map(Field::items).unwrap_or_default();
        for host in hosts {
            let Some(host) = host.text() else { continue };
            let service = service_of_host(host).to_owned();
            let mut mesh = DeclaredMesh::default();
            virtual_service(&service, &rules, subsets, declared, &mut mesh);
            let entry = declared.mesh.entry(service).or_default();
            absorb(entry, mesh);
        }
    }
}

/// Moves what one VirtualService set into the service's declared mesh (a DestinationRule may
/// have set other keys of it).
fn absorb(into: &mut DeclaredMesh, from: DeclaredMesh) {
    let policy = from.policy;
    if policy.timeout.is_some() {
        into.policy.timeout = policy.timeout;
    }
    if policy.retries.is_some() {
        into.policy.retries = policy.retries;
    }
    if policy.fault.is_some() {
        into.policy.fault = policy.fault;
    }
    if !policy.route.is_empty() {
        into.policy.route = policy.route;
        into.route_places = from.route_places;
    }
    for (key, place) in from.places {
        into.set_place(key, place);
    }
}

fn virtual_service(
    service: &str,
    rules: &[Field<'_>],
    subsets: &Subsets,
    declared: &mut Declared,
    mesh: &mut DeclaredMesh,
) {
    let single = rules.len() == 1 && rules[0].get("match").is_none();
    for rule in rules {
        let weights = destinations(service, *rule, subsets, declared);
        let timeout = rule.get("timeout").and_then(Field::duration);
        let retries = rule.get("retries").and_then(retries);
        let fault = rule.get("fault").map(fault);
        if single {
            // One rule for every request: the service's own keys, and a route only when it
            // splits or pins versions.
            for (key, set, field) in [
                ("timeout", timeout.is_some(), rule.get("timeout")),
                ("retries", retries.is_some(), rule.get("retries")),
                ("fault", fault.is_some(), rule.get("fault")),
            ] {
                if let (true, Some(field)) = (set, field) {
                    mesh.set_place(key, field.place());
                }
            }
            mesh.policy.timeout = timeout;
            mesh.policy.retries = retries;
            mesh.policy.fault = fault;
            if let Some(weights) = weights {
                mesh.policy.route.push(Route {
                    matches: None,
                    weights,
                    timeout: None,
                    retries: None,
                    fault: None,
                });
                mesh.set_place("route", rule.place());
                mesh.route_places.push(rule.place());
            }
            continue;
        }
        let weights = weights.unwrap_or_else(|| IndexMap::from([("v1".to_owned(), Real(100.0))]));
        let matches: Vec<Option<RouteMatch>> = match rule.get("match") {
            Some(entries) => entries
                .items()
                .into_iter()
                .map(|entry| Some(route_match(entry)))
                .collect(),
            None => vec![None],
        };
        for matches in matches {
            mesh.route_places.push(rule.place());
            mesh.policy.route.push(Route {
                matches,
                weights: weights.clone(),
                timeout,
                retries: retries.clone(),
                fault: fault.clone(),
            });
        }
        mesh.set_place("route", rule.place());
    }
}

/// The rule's destinations as weights over versions; `None` when it sends everything to the
/// whole service (one destination without a subset), which needs no route.
fn destinations(
    service: &str,
    rule: Field<'_>,
    subsets: &Subsets,
    declared: &mut Declared,
) -> Option<IndexMap<String, Real>> {
    let routes = rule.get("route").map(Field::items).unwrap_or_default();
    let mut weights: IndexMap<String, Real> = IndexMap::new();
    for destination in &routes {
        let host = destination
            .at("destination.host")
            .and_then(Field::text)
            .map(service_of_host);
        if host.is_some_and(|host| host != service) {
            destination.reader().warning(
                &destination.place(),
                format!("meshsim routes calls to `{service}` only among its own versions; this destination is another service"),
                "simulate the other service as a version of this one, or call it from the TOML",
            );
            continue;
        }
        if let Some(port) = destination.at("destination.port") {
            port.mark();
        }
        let weight = match destination.get("weight") {
            Some(field) => field.count(100).map_or(0.0, f64::from),
            None if routes.len() == 1 => 100.0,
            None => 0.0,
        };
        let Some(subset) = destination.at("destination.subset") else {
            if routes.len() == 1 {
                return None;
            }
            weights.insert("v1".to_owned(), Real(weight));
            continue;
        };
        let Some(subset_name) = subset.text() else {
            continue;
        };
        let version = version_of_subset(service, subset_name, subset, subsets, declared);
        weights.insert(version, Real(weight));
    }
    // Weights that do not add up to 100 are refused by the scenario's own check, at this
    // rule's place (`DeclaredMesh::route_places`).
    Some(weights)
}

/// The version a subset selects; a subset no DestinationRule defines, or whose version no
/// Deployment runs, is a version with no instances (with a warning): Envoy answers 503.
fn version_of_subset(
    service: &str,
    subset_name: &str,
    subset: Field<'_>,
    subsets: &Subsets,
    declared: &mut Declared,
) -> String {
    let reader = subset.reader();
    let Some(version) = subsets.get(&(service.to_owned(), subset_name.to_owned())) else {
        reader.warning(
            &subset.place(),
            format!("no included DestinationRule defines subset `{subset_name}` of `{service}`"),
            "Istio accepts it, and Envoy answers 503 to traffic routed there; meshsim does the same",
        );
        return empty_version(service, subset_name, subset, declared);
    };
    let backed = declared.services.get(service).is_some_and(|entry| {
        version == "v1" && entry.deployed || entry.versions.contains_key(version.as_str())
    });
    if !backed {
        reader.warning(
            &subset.place(),
            format!("no included Deployment of `{service}` has the label version: {version}"),
            "Istio accepts it; traffic routed to the subset answers 503 no_healthy_upstream, in meshsim as in Envoy",
        );
        return empty_version(service, version, subset, declared);
    }
    version.clone()
}

fn empty_version(
    service: &str,
    version: &str,
    subset: Field<'_>,
    declared: &mut Declared,
) -> String {
    let entry = declared
        .services
        .entry(service.to_owned())
        .or_insert_with(|| DeclaredService::new(subset.place()));
    if version != "v1" {
        entry
            .versions
            .entry(version.to_owned())
            .or_insert_with(|| super::declared::Sourced::new(0, subset.place()));
    }
    version.to_owned()
}

fn route_match(entry: Field<'_>) -> RouteMatch {
    let mut headers = IndexMap::new();
    for (name, condition) in entry.get("headers").map(Field::entries).unwrap_or_default() {
        headers.insert(name.to_owned(), HeaderMatch::How(string_match(condition)));
    }
    RouteMatch {
        headers,
        uri: entry.get("uri").map(string_match),
        method: entry.get("method").map(string_match),
    }
}

/// Istio's `StringMatch`: one of `exact`, `prefix`, `regex`.
pub(crate) fn string_match(field: Field<'_>) -> HeaderMatchHow {
    let read = |key: &str| field.get(key).and_then(Field::text).map(str::to_owned);
    HeaderMatchHow {
        exact: read("exact"),
        prefix: read("prefix"),
        regex: read("regex"),
    }
}

/// `retries`: `attempts`, `perTryTimeout`, `retryOn` (Envoy's words and status codes).
fn retries(field: Field<'_>) -> Option<Retries> {
    let mut retry_on = None;
    let mut codes = None;
    if let Some(on) = field.get("retryOn") {
        let text = on.text()?;
        let mut words = Vec::new();
        let mut numbers = Vec::new();
        for word in text
            .split(',')
            .map(str::trim)
            .filter(|word| !word.is_empty())
        {
            if let Ok(code) = word.parse::<u16>() {
                numbers.push(code);
            } else if let Some(known) = retry_on_word(word) {
                words.push(known);
            } else {
                on.reader().error(
                    &on.place(),
                    format!("`{word}` is not a retry condition Envoy knows"),
                    "Envoy's x-envoy-retry-on words: 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, and gRPC's cancelled, deadline-exceeded, internal, resource-exhausted, unavailable",
                );
            }
        }
        retry_on = Some(words);
        if !numbers.is_empty() {
            codes = Some(numbers);
        }
    }
    Some(Retries {
        attempts: field.get("attempts").and_then(|value| value.count(1_000)),
        per_try_timeout: field.get("perTryTimeout").and_then(Field::duration),
        retry_on,
        retriable_status_codes: codes,
        retry_ignore_previous_hosts: field
            .get("retryIgnorePreviousHosts")
            .and_then(Field::boolean),
        ..Retries::default()
    })
}

fn retry_on_word(word: &str) -> Option<RetryOn> {
    const ALL: [RetryOn; 13] = [
        RetryOn::FiveXx,
        RetryOn::GatewayError,
        RetryOn::Reset,
        RetryOn::ResetBeforeRequest,
        RetryOn::ConnectFailure,
        RetryOn::Retriable4xx,
        RetryOn::RefusedStream,
        RetryOn::RetriableStatusCodes,
        RetryOn::Cancelled,
        RetryOn::DeadlineExceeded,
        RetryOn::Internal,
        RetryOn::ResourceExhausted,
        RetryOn::Unavailable,
    ];
    ALL.into_iter().find(|candidate| candidate.name() == word)
}

/// `fault`: `delay.fixedDelay` with `percentage.value`, `abort.httpStatus` with
/// `percentage.value`. A percentage left out injects nothing (Istio's reference: "if left
/// unspecified, no request will be delayed"), with a warning, since that is rarely meant.
fn fault(field: Field<'_>) -> FaultInjection {
    let percent = |part: Field<'_>| -> Real {
        if let Some(value) = part.at("percentage.value").or_else(|| part.get("percent")) {
            return value.real(100.0).unwrap_or(Real(0.0));
        }
        part.reader().warning(
            &part.place(),
            "a fault without `percentage` injects nothing",
            "add percentage: {value: 100} to inject it into every request",
        );
        Real(0.0)
    };
    let delay = field.get("delay");
    let abort = field.get("abort");
    FaultInjection {
        delay: delay
            .and_then(|delay| delay.get("fixedDelay"))
            .and_then(Field::duration),
        delay_percent: delay.map(percent),
        abort_status: abort
            .and_then(|abort| abort.get("httpStatus"))
            .and_then(|status| status.count(599))
            .and_then(|status| u16::try_from(status).ok()),
        abort_percent: abort.map(percent),
    }
}
