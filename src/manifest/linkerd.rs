//! Linkerd's outbound policy (edge-26.8.3, proxy v2.366.0): `HTTPRoute`s whose parent is a
//! Service, the Services' `retry.linkerd.io/*` and `timeout.linkerd.io/*` annotations, and
//! `ServiceProfile`s (`linkerd_profile.rs`), as `[mesh.SERVICE]` routes, timeout and retries
//! (<https://linkerd.io/2-edge/reference/httproute/>, `docs/include.md`'s Linkerd section).
//!
//! - They mean something only under `[scenario] mesh = "linkerd"`: under another mesh each is
//!   a located warning and is not applied (its fields are listed as not simulated).
//! - A Service with a `ServiceProfile` takes its policy from the profile, and its `HTTPRoute`s
//!   and annotations are ignored, as Linkerd's proxies do ("Outbound `HTTPRoutes` are
//!   incompatible with `ServiceProfiles`", <https://linkerd.io/2.13/reference/httproute/>).
//! - A rule's timeout is the route's `timeout.linkerd.io/request`, else its
//!   `timeouts.request`, else (when the route sets no timeout at all) the Service's annotation;
//!   its retries the route's annotations, else the Service's (`convert_linkerd_rule`,
//!   `policy-controller/grpc/src/outbound/http.rs`).
//! - Rules are tried most specific first, as the proxy picks the best match
//!   (`linkerd/http/route/src/http/match.rs`: the longest path matched, then more headers, then a
//!   method; ties to the earlier rule): meshsim orders its first-match routes by that key.

use indexmap::IndexMap;

use super::declared::{Declared, DeclaredMesh};
use super::kind::Kind;
use super::kubernetes::mark_identity;
use super::linkerd_annotations::{self, Annotated};
use super::linkerd_backends::{Backends, whole_service};
use super::manifests::Manifest;
use super::reader::{Field, Place, Reader};
use crate::profile::Profile;
use crate::scenario::Duration;
use crate::scenario::Real;
use crate::scenario::schema::{HeaderMatch, HeaderMatchHow, Retries, Route, RouteMatch};

/// The proxy's order of matches: (matches the whole path, the prefix's length, headers, method).
type Precedence = (bool, usize, usize, bool);

/// One match of one rule, as a meshsim route, with its precedence.
struct RuleRoute {
    route: Route,
    place: Place,
    precedence: Precedence,
}

pub(crate) fn translate(
    manifests: &[Manifest],
    reader: &Reader,
    declared: &mut Declared,
    mesh: Profile,
) {
    let ours = |m: &&Manifest| matches!(m.kind, Kind::HttpRoute | Kind::ServiceProfile);
    if mesh != Profile::Linkerd {
        for manifest in manifests.iter().filter(ours) {
            let root = reader.field(manifest.file, &manifest.root);
            let place = root.get("kind").map_or(manifest.place(), Field::place);
            reader.warning(
                &place,
                format!(
                    "a Linkerd {} means nothing under mesh = \"{mesh}\": it is not applied",
                    manifest.kind.name()
                ),
                "set `mesh = \"linkerd\"` under [scenario] to simulate it, or leave the file out",
            );
        }
        return;
    }
    let backends = Backends::read(manifests, reader);
    let profiled = super::linkerd_profile::translate(manifests, reader, declared);
    let mut annotated: IndexMap<String, Annotated> = IndexMap::new();
    for manifest in manifests.iter().filter(|m| m.kind == Kind::Service) {
        if profiled.contains(&manifest.name) {
            continue;
        }
        let root = reader.field(manifest.file, &manifest.root);
        annotated.insert(manifest.name.clone(), linkerd_annotations::read(root));
    }
    let mut routes: IndexMap<String, Vec<RuleRoute>> = IndexMap::new();
    for manifest in manifests.iter().filter(|m| m.kind == Kind::HttpRoute) {
        http_route(
            manifest,
            reader,
            &profiled,
            &annotated,
            &backends,
            declared,
            &mut routes,
        );
    }
    for (service, annotated) in &annotated {
        let any = annotated.timeout.is_some() || annotated.retries.is_some();
        if any && !routes.contains_key(service) {
            let mesh = declared.mesh.entry(service.clone()).or_default();
            service_keys(mesh, annotated.timeout.clone(), annotated.retries.clone());
        }
    }
    for (service, mut rules) in routes {
        // A stable sort: equal keys keep the rules' order, the proxy's tie-break.
        rules.sort_by_key(|rule| std::cmp::Reverse(rule.precedence));
        let whole = whole_service(&service, declared);
        let mesh = declared.mesh.entry(service).or_default();
        apply(mesh, rules, &whole);
    }
}

/// Sets `[mesh.SERVICE]`'s own `timeout` and `retries`.
fn service_keys(
    mesh: &mut DeclaredMesh,
    timeout: Option<(Duration, Place)>,
    retries: Option<(Retries, Place)>,
) {
    if let Some((timeout, place)) = timeout {
        mesh.policy.timeout = Some(timeout);
        mesh.set_place("timeout", place);
    }
    if let Some((retries, place)) = retries {
        mesh.policy.retries = Some(retries);
        mesh.set_place("retries", place);
    }
}

/// The routes of one Service: one rule taking every request to the whole service is the
/// service's own `timeout` and `retries`; anything else is a route per rule match (a rule to the
/// whole service, empty `weights`, takes `whole`).
fn apply(mesh: &mut DeclaredMesh, rules: Vec<RuleRoute>, whole: &IndexMap<String, Real>) {
    if let [only] = rules.as_slice()
        && only.route.matches.is_none()
        && only.route.weights.is_empty()
    {
        let place = only.place.clone();
        let route = &only.route;
        service_keys(
            mesh,
            route.timeout.map(|timeout| (timeout, place.clone())),
            route.retries.clone().map(|retries| (retries, place)),
        );
        return;
    }
    for mut rule in rules {
        if rule.route.weights.is_empty() {
            rule.route.weights.clone_from(whole);
        }
        mesh.set_place("route", rule.place.clone());
        mesh.route_places.push(rule.place);
        mesh.policy.route.push(rule.route);
    }
}

/// One HTTPRoute: its rules under each parent Service.
fn http_route(
    manifest: &Manifest,
    reader: &Reader,
    profiled: &[String],
    annotated: &IndexMap<String, Annotated>,
    backends: &Backends,
    declared: &mut Declared,
    routes: &mut IndexMap<String, Vec<RuleRoute>>,
) {
    let root = reader.field(manifest.file, &manifest.root);
    let parents = service_parents(root);
    if parents.is_empty() {
        // A Gateway's or a Server's route: the ingress's or the callee's inbound policy, not the
        // callers' outbound one. Left whole, it is listed as not simulated.
        return;
    }
    for (service, parent) in &parents {
        if profiled.contains(service) {
            reader.warning(
                &parent.place(),
                format!("`{service}` has a ServiceProfile: Linkerd's proxies use the profile and ignore this HTTPRoute"),
                "drop the ServiceProfile to route by the HTTPRoute (Linkerd's HTTPRoute reference: outbound HTTPRoutes are incompatible with ServiceProfiles)",
            );
        }
    }
    let parents: Vec<_> = parents
        .into_iter()
        .filter(|(service, _)| !profiled.contains(service))
        .collect();
    if parents.is_empty() {
        return;
    }
    mark_identity(root);
    for (_, parent) in &parents {
        parent.mark();
    }
    let own = linkerd_annotations::read(root);
    let gateway_group = root
        .get("apiVersion")
        .and_then(|field| field.node.text())
        .is_some_and(|api| api.starts_with("gateway.networking.k8s.io/"));
    let rules = root.at("spec.rules").map(Field::items).unwrap_or_default();
    for (service, _) in parents {
        let inherited = annotated.get(&service).cloned().unwrap_or_default();
        for rule in &rules {
            let timeout = rule_timeout(*rule, &own, &inherited, gateway_group);
            let retries = own
                .retries
                .clone()
                .or_else(|| inherited.retries.clone())
                .map(|(retries, _)| retries);
            let weights = backends.weights(&service, *rule, declared);
            for (matches, precedence) in rule_matches(*rule) {
                routes.entry(service.clone()).or_default().push(RuleRoute {
                    route: Route {
                        matches,
                        weights: weights.clone(),
                        timeout,
                        retries: retries.clone(),
                        fault: None,
                    },
                    place: rule.place(),
                    precedence,
                });
            }
        }
    }
}

/// The Services among `spec.parentRefs` (`kind: Service`, group core or empty), by name.
fn service_parents(root: Field<'_>) -> Vec<(String, Field<'_>)> {
    let mut parents = Vec::new();
    for parent in root
        .at("spec.parentRefs")
        .map(Field::items)
        .unwrap_or_default()
    {
        let kind = parent.get("kind").and_then(|kind| kind.node.text());
        let group = parent
            .get("group")
            .and_then(|group| group.node.text())
            .unwrap_or("");
        if kind != Some("Service") || !matches!(group, "" | "core") {
            continue;
        }
        if let Some(name) = parent.get("name").and_then(|name| name.node.text()) {
            parents.push((name.to_owned(), parent));
        }
    }
    parents
}

/// A rule's timeout: the route's annotation, else its `timeouts.request` (0: none, GEP-1742),
/// else, when the route sets no timeout at all, the Service's annotation.
fn rule_timeout(
    rule: Field<'_>,
    own: &Annotated,
    inherited: &Annotated,
    gateway_group: bool,
) -> Option<Duration> {
    if let Some(backend) = rule.at("timeouts.backendRequest")
        && backend.duration().is_some()
    {
        rule.reader().warning(
            &backend.place(),
            "`timeouts.backendRequest` is not simulated: Linkerd edge-26.8.3's policy controller checks it and sends the proxies only `request`",
            "for a timeout on each try, use the annotation retry.linkerd.io/timeout",
        );
    }
    let written = rule
        .at("timeouts.request")
        .and_then(|field| request_timeout(field, gateway_group));
    let own = own
        .timeout
        .as_ref()
        .map(|(timeout, _)| *timeout)
        .or(written);
    own.or_else(|| inherited.timeout.as_ref().map(|(timeout, _)| *timeout))
}

/// `timeouts.request`: Gateway API's duration (GEP-2257, Go's syntax). The
/// `gateway.networking.k8s.io` route's is read by Linkerd's own parser, one number and unit: a
/// longer one gives no timeout there (`.ok()?` in `convert_gateway_rule`), with a warning here.
fn request_timeout(field: Field<'_>, gateway_group: bool) -> Option<Duration> {
    let timeout = field.duration()?;
    if gateway_group
        && let Some(text) = field.node.text()
        && linkerd_annotations::linkerd_duration(text).is_err()
    {
        field.reader().warning(
            &field.place(),
            format!("Linkerd edge-26.8.3 reads a gateway.networking.k8s.io route's timeout with its own parser, which does not take `{text}`: the rule has no timeout"),
            "write one whole number and one unit, like \"90s\"",
        );
        return None;
    }
    (timeout != Duration::ZERO).then_some(timeout)
}

/// A rule's matches as meshsim's, each with its precedence; none is Gateway API's default, a
/// prefix match on `/` that takes every request.
fn rule_matches(rule: Field<'_>) -> Vec<(Option<RouteMatch>, Precedence)> {
    let every_request = (None, (false, 1, 0, false));
    let Some(matches) = rule.get("matches") else {
        return vec![every_request];
    };
    let items = matches.items();
    if items.is_empty() {
        return vec![every_request];
    }
    items.into_iter().map(one_match).collect()
}

fn one_match(entry: Field<'_>) -> (Option<RouteMatch>, Precedence) {
    let mut uri = None;
    let mut whole = false;
    let mut prefix_len = 1;
    if let Some(path) = entry.get("path") {
        let kind = path
            .get("type")
            .and_then(Field::text)
            .unwrap_or("PathPrefix");
        let value = path.get("value").and_then(Field::text).unwrap_or("/");
        let how = |exact: Option<&str>, prefix: Option<&str>, regex: Option<&str>| HeaderMatchHow {
            exact: exact.map(str::to_owned),
            prefix: prefix.map(str::to_owned),
            regex: regex.map(str::to_owned),
        };
        match kind {
            "Exact" => {
                whole = true;
                uri = Some(how(Some(value), None, None));
            }
            "RegularExpression" => {
                whole = true;
                uri = Some(how(None, None, Some(value)));
            }
            "PathPrefix" if value == "/" => {}
            "PathPrefix" => {
                // The proxy matches whole segments: `/a` takes `/a` and `/a/b`, not `/ab`.
                let trimmed = value.trim_end_matches('/');
                prefix_len = trimmed.len();
                let segment = format!("{}(/.*)?", regex_quote(trimmed));
                uri = Some(how(None, None, Some(&segment)));
            }
            other => entry.reader().error(
                &path.place(),
                format!("`{other}` is not a path match type"),
                "Gateway API's path match types: Exact, PathPrefix, RegularExpression",
            ),
        }
    }
    let mut headers = IndexMap::new();
    for header in entry.get("headers").map(Field::items).unwrap_or_default() {
        let name = header.get("name").and_then(Field::text).unwrap_or("");
        let value = header.get("value").and_then(Field::text).unwrap_or("");
        let regex = header.get("type").and_then(Field::text) == Some("RegularExpression");
        let how = HeaderMatchHow {
            exact: (!regex).then(|| value.to_owned()),
            prefix: None,
            regex: regex.then(|| value.to_owned()),
        };
        headers.insert(name.to_owned(), HeaderMatch::How(how));
    }
    let method = entry
        .get("method")
        .and_then(Field::text)
        .map(|method| HeaderMatchHow {
            exact: Some(method.to_owned()),
            prefix: None,
            regex: None,
        });
    let precedence = (whole, prefix_len, headers.len(), method.is_some());
    let matched = RouteMatch {
        headers,
        uri,
        method,
    };
    let every = matched.headers.is_empty() && matched.uri.is_none() && matched.method.is_none();
    ((!every).then_some(matched), precedence)
}

/// `text` as an RE2 pattern matching itself.
fn regex_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted
}
