//! `[[mesh.SERVICE.route]]` and an endpoint's `auth` header compiled for the models: each
//! header condition decided for every workload and header value, each route's weights over the
//! versions' instance ranges.

use meshsim_models::{HeaderCondition, Route, RouteTable};

use super::effective::RoutePolicy;
use crate::scenario::resolved::{self, HeaderTest};
use crate::scenario::schema;

/// A service's resolved routes compiled: each route's header conditions decided for every
/// workload and header value, its URI and method conditions for every endpoint of the service
/// (`endpoints`, by name), its weights over the versions' instance ranges (`versions`, in
/// the service's order, as the routes number them), and its policy's number (`policies`: the
/// routes' effective policies, the ones with keys of their own numbered from 1 in order).
pub(crate) fn route_table(
    routes: &[resolved::Route],
    policies: &[RoutePolicy],
    versions: &[(String, std::ops::Range<usize>)],
    (workloads, endpoints): (&[schema::Workload], &[schema::Endpoint]),
) -> RouteTable {
    let mut own_policies: u16 = 0;
    let compiled = routes
        .iter()
        .zip(policies)
        .map(|(route, policy)| {
            let policy = if policy.own {
                own_policies += 1;
                own_policies
            } else {
                0
            };
            let conditions = workloads
                .iter()
                .map(|workload| {
                    route
                        .headers
                        .iter()
                        .map(|(name, test)| {
                            header_condition(workload, name, |value| passes(test, value))
                        })
                        .collect()
                })
                .collect();
            let weights = route
                .weights
                .iter()
                .map(|&(version, weight)| {
                    let range = &versions[version].1;
                    (range.start as u32..range.end as u32, weight)
                })
                .collect();
            let endpoint_tests = route.uri.is_some() || route.method.is_some();
            Route {
                conditions,
                catch_all: route.headers.is_empty() && !endpoint_tests,
                endpoints: endpoint_tests.then(|| {
                    endpoints
                        .iter()
                        .map(|endpoint| endpoint_passes(route, &endpoint.name))
                        .collect()
                }),
                policy,
                weights,
            }
        })
        .collect();
    RouteTable { routes: compiled }
}

/// An endpoint's method and path, from its name: `"GET /reviews/0"` is the method `GET` and
/// the path `/reviews/0` (the text after the first space); a name without a space is its own
/// path, with no method.
pub(crate) fn method_and_path(name: &str) -> (Option<&str>, &str) {
    match name.split_once(' ') {
        Some((method, path)) => (Some(method), path),
        None => (None, name),
    }
}

/// Whether a call to the endpoint `name` passes `route`'s URI and method conditions (Istio's
/// `HTTPMatchRequest` `uri` and `method`; an endpoint with no method passes no method test).
fn endpoint_passes(route: &resolved::Route, name: &str) -> bool {
    let (method, path) = method_and_path(name);
    route.uri.as_ref().is_none_or(|test| passes(test, path))
        && route
            .method
            .as_ref()
            .is_none_or(|test| method.is_some_and(|method| passes(test, method)))
}

/// Whether a header's `value` passes `test`.
fn passes(test: &HeaderTest, value: &str) -> bool {
    match test {
        HeaderTest::Exact(exact) => value == exact,
        HeaderTest::Prefix(prefix) => value.starts_with(prefix.as_str()),
        HeaderTest::Regex(regex) => regex.is_match(value),
    }
}

/// An endpoint's `auth = "HEADER"`, per workload: which of its requests carry the header with
/// a value that is not empty (a workload that never sends it never passes).
pub(crate) fn auth_conditions(
    header: &str,
    workloads: &[schema::Workload],
) -> Vec<Option<HeaderCondition>> {
    // What the header regex `.+` passes, matching the whole value: at least one character,
    // and no line break (a regex's `.` matches any character but `\n`).
    let non_empty = |value: &str| !value.is_empty() && !value.contains('\n');
    workloads
        .iter()
        .map(|workload| header_condition(workload, header, non_empty))
        .collect()
}

/// Which of `workload`'s values of header `name` pass `test`; `None` when the workload never
/// sends the header.
fn header_condition(
    workload: &schema::Workload,
    name: &str,
    test: impl Fn(&str) -> bool,
) -> Option<HeaderCondition> {
    let position = workload.headers.get_index_of(name)?;
    let counts: Vec<u32> = workload
        .headers
        .values()
        .map(|values| values.len() as u32)
        .collect();
    // Interned as a mixed-radix number, the first header most significant.
    let divisor = counts[position + 1..].iter().product();
    let passes = workload.headers[position]
        .keys()
        .map(|value| test(value))
        .collect();
    Some(HeaderCondition {
        divisor,
        count: counts[position],
        passes,
    })
}

#[cfg(test)]
mod tests {
    use super::{endpoint_passes, method_and_path};
    use crate::scenario::resolved::{HeaderTest, Route};

    fn route(uri: Option<HeaderTest>, method: Option<HeaderTest>) -> Route {
        Route {
            headers: Vec::new(),
            uri,
            method,
            weights: vec![(0, 100.0)],
        }
    }

    #[test]
    fn an_endpoint_name_is_a_method_and_a_path() {
        assert_eq!(
            method_and_path("GET /reviews/0"),
            (Some("GET"), "/reviews/0")
        );
        assert_eq!(method_and_path("/health"), (None, "/health"));
        assert_eq!(method_and_path("checkout"), (None, "checkout"));
    }

    #[test]
    fn uri_and_method_conditions_follow_istios_string_match() {
        // Istio's StringMatch: `prefix` on the path's start, `exact` on the whole path, `regex`
        // RE2 over the whole path; a method condition on the verb.
        let prefix = route(Some(HeaderTest::Prefix("/reviews".to_owned())), None);
        assert!(endpoint_passes(&prefix, "GET /reviews/0"));
        assert!(endpoint_passes(&prefix, "/reviews"));
        assert!(!endpoint_passes(&prefix, "GET /details/0"));
        let exact = route(Some(HeaderTest::Exact("/reviews".to_owned())), None);
        assert!(!endpoint_passes(&exact, "GET /reviews/0"));
        let whole = regex::Regex::new("^(?:/reviews/[0-9])$").expect("a regex");
        let regex = route(Some(HeaderTest::Regex(whole)), None);
        assert!(endpoint_passes(&regex, "GET /reviews/0"));
        assert!(!endpoint_passes(&regex, "GET /reviews/0/x"));
        let post = route(None, Some(HeaderTest::Exact("POST".to_owned())));
        assert!(!endpoint_passes(&post, "GET /reviews/0"));
        assert!(endpoint_passes(&post, "POST /reviews/0"));
        assert!(
            !endpoint_passes(&post, "/reviews"),
            "a name without a method passes no method test"
        );
    }
}
