//! `[[mesh.NAME.route]]`: header matches and the weights of the service's versions.

use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{HeaderMatch, MeshPolicy, header_regex};
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
        for (index, route) in policy.route.iter().enumerate() {
            let route_path = routes_path.index(index);
            if let Some(first) = catch_all {
                self.warning(&route_path, "this route is never used")
                    .set_hint(format!(
                        "route {} has no `match`, so it takes every request first",
                        first + 1
                    ));
            }
            match &route.matches {
                None => catch_all = catch_all.or(Some(index)),
                Some(matches) => {
                    for (header, condition) in &matches.headers {
                        let header_path = route_path.key("match").key("headers").key(header);
                        self.label(&header_path, header, "header name", limits::LABEL_CHARS_MAX);
                        if let HeaderMatch::How(how) = condition {
                            let given = [&how.exact, &how.prefix, &how.regex]
                                .iter()
                                .filter(|value| value.is_some())
                                .count();
                            if given != 1 {
                                self.error(&header_path, format!("header condition on {} needs exactly one of `exact`, `prefix` or `regex`, not {given}", quote(header)));
                            }
                            if let Some(pattern) = &how.regex
                                && let Err(error) = header_regex(pattern)
                            {
                                let first = error.to_string();
                                let first = first.lines().last().unwrap_or("invalid");
                                self.error(
                                    &header_path.key("regex"),
                                    format!("{} is not a regular expression: {first}", quote(pattern)),
                                )
                                .set_hint("Envoy's safe_regex (RE2) syntax; it must match the whole value");
                            }
                        }
                    }
                }
            }
            let weights_path = route_path.key("weights");
            let mut sum = 0.0;
            for (version, weight) in &route.weights {
                let weight_path = weights_path.key(version);
                if let Some(service) = service {
                    self.version_ref(&weight_path, service, version, true);
                }
                self.percent(&weight_path, weight.get());
                sum += weight.get();
            }
            if (sum - 100.0).abs() > SUM_TOLERANCE * 100.0 {
                let versions = service.map(|service| {
                    let versions: Vec<&str> =
                        self.names.versions[service].iter().copied().collect();
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
            }
        }
    }
}
