//! `[[mesh.NAME.route]]`: header matches and the weights of the service's versions.

use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::resolved::{HeaderTest, Route};
use crate::scenario::schema::{self, HeaderMatch, HeaderMatchHow, MeshPolicy};
use crate::scenario::validate::checker::{Checker, SUM_TOLERANCE, number};

impl Checker<'_, '_> {
    pub(super) fn check_routes(
        &mut self,
        path: &DocPath,
        service: Option<usize>,
        policy: &MeshPolicy,
    ) {
        let routes_path = path.key("route");
        self.count_limit(
            &routes_path,
            policy.route.len(),
            limits::ROUTES_PER_SERVICE_MAX,
            "routes",
        );
        let mut catch_all: Option<usize> = None;
        let mut resolved = Some(Vec::new());
        for (index, route) in policy.route.iter().enumerate() {
            let route_path = routes_path.index(index);
            if let Some(first) = catch_all {
                self.warning(&route_path, "this route is never used")
                    .set_hint(format!(
                        "route {} has no `match`, so it takes every request first",
                        first + 1
                    ));
            }
            let (headers, endpoint_tests) = match &route.matches {
                None => {
                    catch_all = catch_all.or(Some(index));
                    (Some(Vec::new()), Some((None, None)))
                }
                Some(matches) => (
                    self.check_route_headers(&route_path, matches),
                    self.check_endpoint_match(&route_path, matches),
                ),
            };
            self.check_route_policy(&route_path, policy, route);
            let weights = self.check_route_weights(&route_path, service, route);
            match (resolved.as_mut(), headers, endpoint_tests, weights) {
                (Some(routes), Some(headers), Some((uri, method)), Some(weights)) => {
                    routes.push(Route {
                        headers,
                        uri,
                        method,
                        weights,
                    });
                }
                _ => resolved = None,
            }
        }
        if let Some(service) = service {
            self.resolving.routes[service] = resolved;
        }
    }

    /// A route's header conditions; returns each header's test when all are sound.
    fn check_route_headers(
        &mut self,
        route_path: &DocPath,
        matches: &schema::RouteMatch,
    ) -> Option<Vec<(String, HeaderTest)>> {
        let mut headers = Some(Vec::new());
        for (header, condition) in &matches.headers {
            let header_path = route_path.key("match").key("headers").key(header);
            self.label(&header_path, header, "header name", limits::LABEL_CHARS_MAX);
            let test = match condition {
                HeaderMatch::Exact(exact) => Some(HeaderTest::Exact(exact.clone())),
                HeaderMatch::How(how) => self.check_header_how(
                    &header_path,
                    &format!("header condition on {}", quote(header)),
                    how,
                    "value",
                ),
            };
            match (headers.as_mut(), test) {
                (Some(headers), Some(test)) => headers.push((header.clone(), test)),
                _ => headers = None,
            }
        }
        headers
    }

    /// `{ exact | prefix | regex = "..." }`: exactly one of them, a regex that compiles.
    /// `what` names the condition in a message, `whole` what its regex must match whole.
    pub(super) fn check_header_how(
        &mut self,
        header_path: &DocPath,
        what: &str,
        how: &HeaderMatchHow,
        whole: &str,
    ) -> Option<HeaderTest> {
        let given = [&how.exact, &how.prefix, &how.regex]
            .iter()
            .filter(|value| value.is_some())
            .count();
        if given != 1 {
            self.error(
                header_path,
                format!("{what} needs exactly one of `exact`, `prefix` or `regex`, not {given}"),
            )
            .set_hint(format!(
                "one test per {whole}, as Istio's StringMatch: {{ prefix = \"...\" }}; two tests on one {whole} go in two routes"
            ));
        }
        let regex = match &how.regex {
            Some(pattern) => match header_regex(pattern) {
                Ok(regex) => Some(regex),
                Err(error) => {
                    let first = error.to_string();
                    let first = first.lines().last().unwrap_or("invalid");
                    self.error(
                        &header_path.key("regex"),
                        format!("{} is not a regular expression: {first}", quote(pattern)),
                    )
                    .set_hint(format!(
                        "Envoy's safe_regex (RE2) syntax; it must match the whole {whole}"
                    ));
                    return None;
                }
            },
            None => None,
        };
        if given != 1 {
            return None;
        }
        match (&how.exact, &how.prefix, regex) {
            (Some(exact), ..) => Some(HeaderTest::Exact(exact.clone())),
            (_, Some(prefix), _) => Some(HeaderTest::Prefix(prefix.clone())),
            (_, _, regex) => regex.map(HeaderTest::Regex),
        }
    }

    /// A route's weights: versions of the service, percentages that add up to 100; returns
    /// each version's place and weight when all resolve.
    fn check_route_weights(
        &mut self,
        route_path: &DocPath,
        service: Option<usize>,
        route: &schema::Route,
    ) -> Option<Vec<(usize, f64)>> {
        let weights_path = route_path.key("weights");
        let mut sum = 0.0;
        let mut resolved = Some(Vec::new());
        for (version, weight) in &route.weights {
            let weight_path = weights_path.key(version);
            let place = match service {
                Some(service) if self.version_ref(&weight_path, service, version, true) => {
                    self.names.versions[service].get_index_of(version.as_str())
                }
                _ => None,
            };
            self.percent(&weight_path, weight.get());
            sum += weight.get();
            match (resolved.as_mut(), place) {
                (Some(weights), Some(place)) => weights.push((place, weight.get())),
                _ => resolved = None,
            }
        }
        if (sum - 100.0).abs() > SUM_TOLERANCE * 100.0 {
            let versions = service.map(|service| {
                let versions: Vec<&str> = self.names.versions[service].iter().copied().collect();
                versions.join(", ")
            });
            let diagnostic = self.error(
                &weights_path,
                format!("route weights add up to {}, not 100", number(sum)),
            );
            match versions {
                Some(versions) => diagnostic.set_hint(format!(
                    "weights are percentages of the route's requests sent to each version ({versions})"
                )),
                None => diagnostic.set_hint("weights are percentages of the route's requests sent to each version"),
            };
            return None;
        }
        resolved
    }
}

/// A header condition's `regex` compiled as Envoy's `safe_regex` reads it, matching the whole
/// value. Compiled here only, once per load, into the resolved scenario that every run reads.
fn header_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
}
