//! A `[[mesh.NAME.route]]`'s own policy (`timeout`, `retries`, `fault`) and its conditions on
//! the callee endpoint (`match.uri`, `match.method`).
//!
//! Istio writes timeout, retries and fault per HTTP route of a `VirtualService`
//! (<https://istio.io/v1.24/docs/reference/config/networking/virtual-service/#HTTPRoute>), and
//! matches a route on the request's path and method (`HTTPMatchRequest.uri`, `method`,
//! `StringMatch`: `exact`, `prefix`, `regex` in RE2 syntax matching the whole string).

use crate::scenario::locate::DocPath;
use crate::scenario::resolved::HeaderTest;
use crate::scenario::schema::{self, MeshPolicy};
use crate::scenario::validate::checker::Checker;

/// What the route's endpoint tests resolve to: the path's and the method's.
type EndpointTests = (Option<HeaderTest>, Option<HeaderTest>);

impl Checker<'_, '_> {
    /// `match.uri` and `match.method`: each exactly one of `exact`, `prefix` or `regex`, a regex
    /// that compiles. Returns both tests when they are sound.
    pub(super) fn check_endpoint_match(
        &mut self,
        route_path: &DocPath,
        matches: &schema::RouteMatch,
    ) -> Option<EndpointTests> {
        let match_path = route_path.key("match");
        let uri = match &matches.uri {
            Some(how) => {
                Some(self.check_header_how(&match_path.key("uri"), "`match.uri`", how, "path")?)
            }
            None => None,
        };
        let method = match &matches.method {
            Some(how) => Some(self.check_header_how(
                &match_path.key("method"),
                "`match.method`",
                how,
                "method",
            )?),
            None => None,
        };
        Some((uri, method))
    }

    /// The route's own `timeout`, `retries` and `fault`: keys the profile has, checked as the
    /// service's are. A route's retries may not carry `retry_budget`: Linkerd's
    /// ServiceProfile budget is one per service, not per route.
    pub(super) fn check_route_policy(
        &mut self,
        route_path: &DocPath,
        policy: &MeshPolicy,
        route: &schema::Route,
    ) {
        let profile = self.scenario.profile();
        for (key, set) in [
            ("timeout", route.timeout.is_some()),
            ("retries", route.retries.is_some()),
            ("fault", route.fault.is_some()),
        ] {
            if set && profile.key(key).is_some() && key != "timeout" {
                self.check_profile_keys(&route_path.key(key), &format!("{key}."));
            }
            if set && profile.key(key).is_none() {
                let release = profile.release();
                self.error(
                    &route_path.key(key),
                    format!(
                        "a route's `{key}` is not a setting of {} {}",
                        release.product, release.version
                    ),
                )
                .set_hint(format!(
                    "{} has no `{key}` on calls to a service, so none on a route either",
                    release.product
                ));
            }
        }
        if let Some(timeout) = route.timeout {
            self.positive_duration(&route_path.key("timeout"), timeout);
        }
        if let Some(fault) = &route.fault {
            self.check_fault_injection(&route_path.key("fault"), fault);
        }
        if let Some(retries) = &route.retries {
            let retries_path = route_path.key("retries");
            if retries.retry_budget.is_some() {
                self.error(
                    &retries_path.key("retry_budget"),
                    "a route's retries cannot have their own `retry_budget`",
                )
                .set_hint("a ServiceProfile's retry budget is one per service: set it in [mesh.NAME.retries]");
                return;
            }
            // The per-try timeout is judged against the timeout this route's calls run with.
            let view = MeshPolicy {
                timeout: route.timeout.or(policy.timeout),
                ..MeshPolicy::default()
            };
            self.check_retries(&retries_path, &view, retries);
        }
    }
}
