//! `[[mesh.SERVICE.route]]` and an endpoint's `auth` header compiled for the models: each
//! header condition decided for every workload and header value, each route's weights over the
//! versions' instance ranges.

use meshsim_models::{HeaderCondition, Route, RouteTable};

use crate::scenario::schema;

/// `[[mesh.SERVICE.route]]` compiled: each route's header conditions decided for every workload
/// and header value, its weights over the versions' instance ranges (`versions`, by name).
pub fn route_table(
    routes: &[schema::Route],
    versions: &[(String, std::ops::Range<usize>)],
    workloads: &[schema::Workload],
) -> RouteTable {
    let compiled = routes
        .iter()
        .map(|route| {
            let matches = route.matches.as_ref();
            let catch_all = matches.is_none_or(|matches| matches.headers.is_empty());
            let conditions = workloads
                .iter()
                .map(|workload| match matches {
                    None => Some(Vec::new()),
                    Some(matches) => matches
                        .headers
                        .iter()
                        .map(|(name, condition)| header_condition(workload, name, condition))
                        .collect(),
                })
                .collect();
            let weights = route
                .weights
                .iter()
                .map(|(version, weight)| {
                    let range = versions
                        .iter()
                        .find(|(name, _)| name == version)
                        .map(|(_, range)| range.start as u32..range.end as u32)
                        .expect("validated version");
                    (range, weight.get())
                })
                .collect();
            Route {
                conditions,
                catch_all,
                weights,
            }
        })
        .collect();
    RouteTable { routes: compiled }
}

/// An endpoint's `auth = "HEADER"`, per workload: which of its requests carry the header with
/// a value that is not empty (a workload that never sends it never passes).
pub fn auth_conditions(
    header: &str,
    workloads: &[schema::Workload],
) -> Vec<Option<HeaderCondition>> {
    let non_empty = schema::HeaderMatch::How(schema::HeaderMatchHow {
        exact: None,
        prefix: None,
        regex: Some(".+".to_owned()),
    });
    workloads
        .iter()
        .map(|workload| header_condition(workload, header, &non_empty))
        .collect()
}

/// Which of `workload`'s values of header `name` pass `condition`; `None` when the workload
/// never sends the header.
fn header_condition(
    workload: &schema::Workload,
    name: &str,
    condition: &schema::HeaderMatch,
) -> Option<HeaderCondition> {
    let position = workload.headers.get_index_of(name)?;
    let counts: Vec<u32> = workload
        .headers
        .values()
        .map(|values| values.len() as u32)
        .collect();
    // Interned as a mixed-radix number, the first header most significant.
    let divisor = counts[position + 1..].iter().product();
    let test: Box<dyn Fn(&str) -> bool> = match condition {
        schema::HeaderMatch::Exact(exact) => {
            let exact = exact.clone();
            Box::new(move |value| value == exact)
        }
        schema::HeaderMatch::How(how) => {
            if let Some(exact) = how.exact.clone() {
                Box::new(move |value| value == exact)
            } else if let Some(prefix) = how.prefix.clone() {
                Box::new(move |value: &str| value.starts_with(&prefix))
            } else {
                // Envoy's `safe_regex` matches the whole value.
                let pattern = how.regex.as_deref().unwrap_or_default();
                let regex = schema::header_regex(pattern).expect("validated regex");
                Box::new(move |value| regex.is_match(value))
            }
        }
    };
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
