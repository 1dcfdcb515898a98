//! `[[mesh.SERVICE.route]]` and an endpoint's `auth` header compiled for the models: each
//! header condition decided for every workload and header value, each route's weights over the
//! versions' instance ranges.

use meshsim_models::{HeaderCondition, Route, RouteTable};

use crate::scenario::resolved::{self, HeaderTest};
use crate::scenario::schema;

/// A service's resolved routes compiled: each route's header conditions decided for every
/// workload and header value, its weights over the versions' instance ranges (`versions`, in
/// the service's order, as the routes number them).
pub(crate) fn route_table(
    routes: &[resolved::Route],
    versions: &[(String, std::ops::Range<usize>)],
    workloads: &[schema::Workload],
) -> RouteTable {
    let compiled = routes
        .iter()
        .map(|route| {
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
            Route {
                conditions,
                catch_all: route.headers.is_empty(),
                weights,
            }
        })
        .collect();
    RouteTable { routes: compiled }
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
