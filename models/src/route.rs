//! An upstream's routes (Istio's `VirtualService` `http` routes): the first route whose header
//! conditions the request meets decides, by its weights, which version's instances take the
//! call. The version is chosen once per call, so its retries stay with it, as Envoy's do.
//!
//! Header conditions are decided at assembly: for each workload, each header a condition names
//! and each value the workload can draw, whether the value passes (exact, prefix or regex). At
//! run time a request's drawn values are read off its interned header number, so no string is
//! compared on the hot path. A URI or method condition is decided at assembly too, per endpoint
//! of the callee (`endpoints`).
//!
//! The route a call takes also decides its policy (`policy`): Envoy selects the route first, and
//! its fault filter and router then read the selected route's configuration
//! (`typed_per_filter_config`, `RouteAction.timeout`, `retry_policy`).

use std::ops::Range;

use meshsim_sim::SimRng;

use crate::message::RequestContext;

/// One condition of a route, for one workload: which of the header's values pass.
#[derive(Debug, Clone)]
pub struct HeaderCondition {
    /// The header's place in the workload's interned number: its value index is
    /// `(interned − 1) / divisor % count`.
    pub divisor: u32,
    pub count: u32,
    /// By value index.
    pub passes: Vec<bool>,
}

impl HeaderCondition {
    /// Whether a request with interned header values `headers` (0: none) passes.
    pub(crate) fn passes_for(&self, headers: u32) -> bool {
        if headers == 0 {
            return false;
        }
        let value = ((headers - 1) / self.divisor) % self.count;
        self.passes[value as usize]
    }
}

/// One route of an upstream.
#[derive(Debug, Clone)]
pub struct Route {
    /// Per workload client: the conditions its requests must meet; `None` when a condition
    /// names a header the workload never sends, so its requests never match.
    pub conditions: Vec<Option<Vec<HeaderCondition>>>,
    /// Whether the route has no conditions at all (it takes every request).
    pub catch_all: bool,
    /// Per endpoint of the callee, whether its path and method pass the route's URI and method
    /// conditions; `None` when the route has none (every endpoint passes).
    pub endpoints: Option<Vec<bool>>,
    /// The policy of calls this route takes: 0 the service's, `n` the upstream's
    /// `route_policies[n − 1]`.
    pub policy: u16,
    /// Each version's instances (a range of the upstream's instance indices) with its weight in
    /// percent; the weights add up to 100.
    pub weights: Vec<(Range<u32>, f64)>,
}

/// The routes of an upstream, first match wins.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    pub routes: Vec<Route>,
}

impl RouteTable {
    /// The first route that takes a call with `context` to `endpoint`.
    fn matching(&self, context: &RequestContext, endpoint: u32) -> Option<&Route> {
        self.routes.iter().find(|route| {
            passes_endpoint(route, endpoint) && (route.catch_all || matches(route, context))
        })
    }

    /// The policy and instances that take a call with `context` to `endpoint`: policy 0 and
    /// `None` when the upstream has no routes (every instance), `Err(())` when no route
    /// matches (Envoy answers 404). Matching draws nothing; the weights draw once at most.
    #[allow(clippy::result_unit_err)]
    pub(crate) fn choose(
        &self,
        context: &RequestContext,
        endpoint: u32,
        rng: &mut SimRng,
    ) -> Result<(u16, Option<Range<u32>>), ()> {
        if self.routes.is_empty() {
            return Ok((0, None));
        }
        let route = self.matching(context, endpoint).ok_or(())?;
        Ok((route.policy, Some(weighted(route, rng))))
    }

    /// Like [`RouteTable::choose`], as Linkerd's weighted backends distribute: a drawn version
    /// that is not `ready` (its balancer failing fast) gives its weight up for this call, and
    /// the others are drawn among (linkerd2-proxy@v2.366.0:linkerd/distribute/src/service/
    /// random.rs#L77-L107). With none ready the first draw stands, and its balancer sheds it.
    #[allow(clippy::result_unit_err)]
    pub(crate) fn choose_ready(
        &self,
        context: &RequestContext,
        endpoint: u32,
        rng: &mut SimRng,
        ready: impl Fn(&Range<u32>) -> bool,
    ) -> Result<(u16, Option<Range<u32>>), ()> {
        let chosen = self.choose(context, endpoint, rng)?;
        let (policy, Some(range)) = chosen.clone() else {
            return Ok(chosen);
        };
        if ready(&range) {
            return Ok(chosen);
        }
        let route = self
            .matching(context, endpoint)
            .expect("choose found a route");
        let others: Vec<&(Range<u32>, f64)> = route
            .weights
            .iter()
            .filter(|(candidate, weight)| *weight > 0.0 && *candidate != range && ready(candidate))
            .collect();
        let total: f64 = others.iter().map(|(_, weight)| weight).sum();
        if others.is_empty() || total <= 0.0 {
            return Ok(chosen);
        }
        let draw = rng.unit() * total;
        let mut cumulative = 0.0;
        for (candidate, weight) in &others {
            cumulative += weight;
            if draw < cumulative {
                return Ok((policy, Some(candidate.clone())));
            }
        }
        Ok((policy, Some(others[others.len() - 1].0.clone())))
    }
}

/// The version a call on `route` goes to: one draw, and only when the route splits traffic.
fn weighted(route: &Route, rng: &mut SimRng) -> Range<u32> {
    let mut weighted = route.weights.iter().filter(|(_, weight)| *weight > 0.0);
    if let (Some(only), None) = (weighted.next(), weighted.next()) {
        return only.0.clone();
    }
    let draw = rng.unit() * 100.0;
    let mut cumulative = 0.0;
    for (range, weight) in &route.weights {
        cumulative += weight;
        if draw < cumulative {
            return range.clone();
        }
    }
    // Rounding: the last version with any weight takes what is left.
    let last = route
        .weights
        .iter()
        .rev()
        .find(|(_, weight)| *weight > 0.0)
        .unwrap_or(&route.weights[route.weights.len() - 1]);
    last.0.clone()
}

/// Whether a call to `endpoint` passes `route`'s URI and method conditions.
fn passes_endpoint(route: &Route, endpoint: u32) -> bool {
    route
        .endpoints
        .as_ref()
        .is_none_or(|passes| passes.get(endpoint as usize).copied().unwrap_or(false))
}

impl RouteTable {
    /// A canary step: the first route that takes every request gives `to` `percent` and
    /// `from` what the other versions leave. Other routes keep their weights, as Flagger's
    /// A/B match routes do.
    pub(crate) fn set_weight(&mut self, from: &Range<u32>, to: &Range<u32>, percent: f64) {
        assert!((0.0..=100.0).contains(&percent), "a weight is 0 to 100");
        let Some(route) = self.routes.iter_mut().find(|route| route.catch_all) else {
            return;
        };
        let others: f64 = route
            .weights
            .iter()
            .filter(|(range, _)| range != from && range != to)
            .map(|(_, weight)| weight)
            .sum();
        set_entry(route, to, percent);
        set_entry(route, from, (100.0 - others - percent).max(0.0));
    }

    /// Moves every route's weight on `away` onto `onto`: a rollback (`away` the new version)
    /// or a promotion (`away` the old).
    pub(crate) fn shift_all(&mut self, away: &Range<u32>, onto: &Range<u32>) {
        for route in &mut self.routes {
            let moved: f64 = route
                .weights
                .iter()
                .filter(|(range, _)| range == away)
                .map(|(_, weight)| weight)
                .sum();
            if moved == 0.0 {
                continue;
            }
            set_entry(route, away, 0.0);
            let current = route
                .weights
                .iter()
                .find(|(range, _)| range == onto)
                .map_or(0.0, |(_, weight)| *weight);
            set_entry(route, onto, current + moved);
        }
    }

    /// The weight `range` has on the route that takes every request, if there is one.
    #[cfg(test)]
    pub(crate) fn catch_all_weight(&self, range: &Range<u32>) -> Option<f64> {
        let route = self.routes.iter().find(|route| route.catch_all)?;
        Some(
            route
                .weights
                .iter()
                .filter(|(entry, _)| entry == range)
                .map(|(_, weight)| weight)
                .sum(),
        )
    }
}

/// Sets a version's weight on a route, adding the version after the others when it had none.
/// Versions at 0 stay listed, so the order of the draws does not change as weights move.
fn set_entry(route: &mut Route, range: &Range<u32>, weight: f64) {
    match route.weights.iter_mut().find(|(entry, _)| entry == range) {
        Some(entry) => entry.1 = weight,
        None => route.weights.push((range.clone(), weight)),
    }
}

fn matches(route: &Route, context: &RequestContext) -> bool {
    let Some(Some(conditions)) = route.conditions.get(context.client as usize) else {
        return false;
    };
    if context.headers == 0 {
        // The request carries no headers; a route with conditions cannot match it.
        return conditions.is_empty();
    }
    let interned = context.headers - 1;
    conditions.iter().all(|condition| {
        let value = (interned / condition.divisor) % condition.count;
        condition.passes[value as usize]
    })
}

#[cfg(test)]
mod tests {
    use meshsim_sim::Seeder;

    use super::{HeaderCondition, Route, RouteTable};
    use crate::message::RequestContext;

    fn context(headers: u32) -> RequestContext {
        RequestContext {
            root: 1,
            client: 0,
            headers,
            sampled: false,
        }
    }

    /// Workload 0 sends one header with values [beta, regular]: interned 1 is beta, 2 regular.
    fn table() -> RouteTable {
        let beta = HeaderCondition {
            divisor: 1,
            count: 2,
            passes: vec![true, false],
        };
        RouteTable {
            routes: vec![
                Route {
                    conditions: vec![Some(vec![beta])],
                    catch_all: false,
                    endpoints: None,
                    policy: 0,
                    weights: vec![(2..3, 100.0)],
                },
                Route {
                    conditions: vec![Some(Vec::new())],
                    catch_all: true,
                    endpoints: None,
                    policy: 0,
                    weights: vec![(0..2, 80.0), (2..3, 20.0)],
                },
            ],
        }
    }

    #[test]
    fn the_first_matching_route_wins() {
        let mut rng = Seeder::new(1).stream("routes");
        for _ in 0..100 {
            assert_eq!(
                table().choose(&context(1), 0, &mut rng),
                Ok((0, Some(2..3)))
            );
        }
    }

    #[test]
    fn weights_split_the_rest() {
        let mut rng = Seeder::new(2).stream("routes");
        let table = table();
        let to_v2 = (0..10_000)
            .filter(|_| table.choose(&context(2), 0, &mut rng) == Ok((0, Some(2..3))))
            .count();
        assert!((1_850..2_150).contains(&to_v2), "{to_v2}");
    }

    #[test]
    fn a_step_moves_the_catch_all_and_a_rollback_every_route() {
        let mut table = table();
        table.set_weight(&(0..2), &(2..3), 50.0);
        assert_eq!(table.catch_all_weight(&(2..3)), Some(50.0));
        assert_eq!(table.catch_all_weight(&(0..2)), Some(50.0));
        // The header route still sends beta users to the new version.
        assert_eq!(table.routes[0].weights, vec![(2..3, 100.0)]);
        table.shift_all(&(2..3), &(0..2));
        assert_eq!(table.catch_all_weight(&(2..3)), Some(0.0));
        assert_eq!(table.catch_all_weight(&(0..2)), Some(100.0));
        assert_eq!(table.routes[0].weights, vec![(2..3, 0.0), (0..2, 100.0)]);
        let mut rng = Seeder::new(4).stream("routes");
        for headers in [1, 2] {
            assert_eq!(
                table.choose(&context(headers), 0, &mut rng),
                Ok((0, Some(0..2)))
            );
        }
    }

    #[test]
    fn no_matching_route_is_an_error_and_no_routes_is_every_instance() {
        let mut rng = Seeder::new(3).stream("routes");
        let only_beta = RouteTable {
            routes: vec![table().routes[0].clone()],
        };
        assert_eq!(only_beta.choose(&context(2), 0, &mut rng), Err(()));
        assert_eq!(
            RouteTable::default().choose(&context(2), 0, &mut rng),
            Ok((0, None))
        );
    }
}
