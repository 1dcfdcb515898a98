//! Each `[[mesh.SERVICE.route]]`'s own policy resolved: a key the route sets wins, with the
//! route's line as its origin; a key it leaves out is the service's effective value (the file's
//! or the profile's default), as Istio's per-route `timeout`, `retries` and `fault`
//! (<https://istio.io/v1.24/docs/reference/config/networking/virtual-service/#HTTPRoute>) and
//! meshsim's `[mesh.SERVICE]` keys over them.
//!
//! A route's `retries` table replaces the service's whole (its missing keys are the profile's
//! defaults, not the service's table's), as one Istio route's `retries` knows no other route's.

use crate::scenario::schema;

use super::super::effective::{Effective, RoutePolicy};
use super::{At, Pool, fault, retries, timeout};

/// The policy of the `index`th route, `route`, of the service whose own policy is `service`.
pub(super) fn route_policy(
    at: &At<'_>,
    index: usize,
    route: &schema::Route,
    service: &Effective,
    pool: &Pool,
) -> RoutePolicy {
    let at = At {
        profile: at.profile,
        path: at.path.key("route").index(index),
        locator: at.locator,
    };
    let own = route.timeout.is_some() || route.retries.is_some() || route.fault.is_some();
    let (retries, retries_origin) = match &route.retries {
        Some(block) => retries(&at, Some(block), pool, service.tcp),
        None => (service.retries.clone(), service.retries_origin),
    };
    RoutePolicy {
        own,
        timeout: match route.timeout {
            Some(set) => timeout(&at, Some(set), service.tcp),
            None => service.timeout.clone(),
        },
        retries,
        retries_origin,
        fault: match &route.fault {
            Some(set) => Some(fault(&at.section("fault"), set)),
            None => service.fault.clone(),
        },
    }
}
