//! `[[rollout]]`: the versions it moves between, each strategy's keys, weights and checks.

use indexmap::IndexMap;

use super::bounds::Bounds;
use super::checker::{Checker, number, root};
use super::references::service_id;
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::metric;
use crate::scenario::resolved::{self, RolloutCheck, RolloutMove};
use crate::scenario::schema::{Check, Rollout, Strategy};
use crate::scenario::{Bound, Duration};

impl Checker<'_, '_> {
    pub(super) fn check_rollouts(&mut self) {
        let mut seen: IndexMap<&str, DocPath> = IndexMap::new();
        for (index, rollout) in self.scenario.rollouts.iter().enumerate() {
            let path = root("rollout").index(index);
            let service_path = path.key("service");
            let service = self.service_ref(&service_path, &rollout.service, "rollout");
            if let Some(first) = seen.get(rollout.service.as_str()) {
                let line = self.line_of(first);
                let diagnostic = self.error(
                    &service_path,
                    format!("a second rollout of {}", quote(&rollout.service)),
                );
                if let Some(line) = line {
                    diagnostic.set_hint(format!(
                        "the first is on line {line}; a service has one rollout at most"
                    ));
                }
            } else {
                seen.insert(rollout.service.as_str(), service_path.clone());
            }
            let versions = match service {
                Some(service) if rollout.strategy != Strategy::Strangler => {
                    self.check_rollout_versions(&path, service, rollout)
                }
                _ => None,
            };
            let end = self.scenario.scenario.duration;
            if rollout.start >= end && !end.is_zero() {
                self.error(
                    &path.key("start"),
                    format!(
                        "rollout starts at {}, after the scenario ends at {end}",
                        rollout.start
                    ),
                );
            }
            if rollout.interval.as_nanos() < limits::ROLLOUT_INTERVAL_MIN_S * 1_000_000_000 {
                self.error(
                    &path.key("interval"),
                    format!(
                        "`interval` must be at least {}s, not {}",
                        limits::ROLLOUT_INTERVAL_MIN_S,
                        rollout.interval
                    ),
                )
                .set_hint("the controller reads the counters it scraped 1 s before each interval; Flagger's default is 60s");
            }
            self.whole_at_least(&path.key("threshold"), u64::from(rollout.threshold), 1);
            if let Some(iterations) = rollout.iterations {
                self.whole_at_least(&path.key("iterations"), u64::from(iterations), 1);
            }
            let monolith = self.check_strategy_keys(&path, rollout);
            self.count_limit(
                &path.key("checks"),
                rollout.checks.len(),
                limits::ROLLOUT_CHECKS_MAX,
                "checks",
            );
            let checks = self.check_rollout_checks(&path, rollout);
            let moves = match rollout.strategy {
                Strategy::Strangler => monolith.map(|monolith| RolloutMove::Strangler {
                    monolith: service_id(monolith),
                }),
                _ => versions.map(|(from, to)| RolloutMove::Versions { from, to }),
            };
            self.resolving.rollouts[index] = match (service, moves, checks) {
                (Some(service), Some(moves), Some(checks)) => Some(resolved::Rollout {
                    service: service_id(service),
                    moves,
                    checks,
                }),
                _ => None,
            };
        }
    }

    /// A rollout's checks: metrics a check can read, bounds that fit them; returns them
    /// resolved when all are.
    fn check_rollout_checks(
        &mut self,
        path: &DocPath,
        rollout: &Rollout,
    ) -> Option<Vec<RolloutCheck>> {
        let mut checks = Some(Vec::new());
        for (check_index, check) in rollout.checks.iter().enumerate() {
            let check_path = path.key("checks").index(check_index);
            let resolved = match metric::parse_check(&check.metric) {
                Ok(metric) => {
                    let bounds = Bounds {
                        min: check.min.as_ref(),
                        max: check.max.as_ref(),
                        equals: None,
                    };
                    self.check_bounds(
                        &check_path,
                        metric.name(),
                        metric.value_kind(),
                        &bounds,
                        "a check",
                    );
                    resolved_check(metric, check)
                }
                Err(error) => {
                    self.error(&check_path.key("metric"), error.message)
                        .set_hint(error.hint);
                    None
                }
            };
            match (checks.as_mut(), resolved) {
                (Some(checks), Some(check)) => checks.push(check),
                _ => checks = None,
            }
        }
        checks
    }

    /// `from` and `to`: two different versions of the service; returns their places among the
    /// service's versions.
    fn check_rollout_versions(
        &mut self,
        path: &DocPath,
        service: usize,
        rollout: &Rollout,
    ) -> Option<(usize, usize)> {
        let mut versions = [None, None];
        for (slot, (key, value)) in [("from", &rollout.from), ("to", &rollout.to)]
            .into_iter()
            .enumerate()
        {
            match value {
                None => {
                    self.error(path, format!("a rollout needs `{key}`"))
                        .set_hint(format!(
                            "{key} = \"VERSION\": the version the traffic moves {}",
                            if key == "from" { "away from" } else { "to" }
                        ));
                }
                Some(version) => {
                    if self.version_ref(&path.key(key), service, version, false) {
                        versions[slot] = Some(version);
                    }
                }
            }
        }
        if let [Some(from), Some(to)] = versions
            && from == to
        {
            self.error(
                &path.key("to"),
                format!("`from` and `to` are both {}", quote(to)),
            )
            .set_hint("a rollout moves traffic from one version to another");
        }
        if rollout.strategy == Strategy::Rolling {
            let replicas = |name: &str| self.scenario.services[service].replicas_of(name);
            if let Some(to) = versions[1]
                && replicas(to) == Some(0)
            {
                self.error(&path.key("to"), format!("{} has no replicas to roll to", quote(to)))
                    .set_hint("a rolling update replaces the old version's instances with the new one's: give it replicas");
            }
            return self.version_places(service, versions);
        }
        // A canary or blue/green moves the weights of the route that takes every request.
        let routes = self
            .scenario
            .mesh
            .get(&rollout.service)
            .map_or(&[][..], |policy| policy.route.as_slice());
        let catch_all = routes
            .iter()
            .any(|route| route.matches.as_ref().is_none_or(|m| m.headers.is_empty()));
        if !routes.is_empty() && !catch_all {
            self.error(
                &path.key("service"),
                format!(
                    "the routes of {} have no route that takes every request",
                    quote(&rollout.service)
                ),
            )
            .set_hint(format!(
                "add a last [[mesh.{}.route]] without `match`: the rollout moves its weights",
                rollout.service
            ));
        }
        self.version_places(service, versions)
    }

    /// The places of `from` and `to` among the service's versions, when both resolved.
    fn version_places(
        &self,
        service: usize,
        versions: [Option<&String>; 2],
    ) -> Option<(usize, usize)> {
        let place =
            |version: Option<&String>| self.names.versions[service].get_index_of(version?.as_str());
        Some((place(versions[0])?, place(versions[1])?))
    }

    /// Each key applies to the strategy; returns a strangler's monolith when it resolves.
    fn check_strategy_keys(&mut self, path: &DocPath, rollout: &Rollout) -> Option<usize> {
        let strategy = rollout.strategy;
        let strategy_name = match strategy {
            Strategy::Canary => "canary",
            Strategy::BlueGreen => "blue_green",
            Strategy::Rolling => "rolling",
            Strategy::Strangler => "strangler",
        };
        let weighted = matches!(strategy, Strategy::Canary | Strategy::Strangler);
        let keys: [(&str, bool, bool); 10] = [
            (
                "from",
                rollout.from.is_some(),
                strategy != Strategy::Strangler,
            ),
            ("to", rollout.to.is_some(), strategy != Strategy::Strangler),
            (
                "iterations",
                rollout.iterations.is_some(),
                strategy == Strategy::BlueGreen,
            ),
            ("step_weight", rollout.step_weight.is_some(), weighted),
            ("step_weights", rollout.step_weights.is_some(), weighted),
            ("max_weight", rollout.max_weight.is_some(), weighted),
            (
                "max_surge",
                rollout.max_surge.is_some(),
                strategy == Strategy::Rolling,
            ),
            (
                "max_unavailable",
                rollout.max_unavailable.is_some(),
                strategy == Strategy::Rolling,
            ),
            (
                "readiness_delay",
                rollout.readiness_delay.is_some(),
                strategy == Strategy::Rolling,
            ),
            (
                "monolith",
                rollout.monolith.is_some(),
                strategy == Strategy::Strangler,
            ),
        ];
        for (key, present, applies) in keys {
            if present && !applies {
                self.error_at_key(
                    &path.key(key),
                    format!("`{key}` does not apply to a {strategy_name} rollout"),
                );
            }
        }
        if weighted {
            self.check_weights(path, rollout, strategy_name);
        }
        if strategy == Strategy::Rolling
            && rollout.max_surge == Some(0)
            && rollout.max_unavailable == Some(0)
        {
            self.error(
                &path.key("max_unavailable"),
                "`max_surge` and `max_unavailable` are both 0",
            )
            .set_hint("the update could neither add an instance nor take one away: raise either");
        }
        if strategy == Strategy::Strangler {
            match &rollout.monolith {
                None => {
                    self.error(
                        &path.key("monolith"),
                        "a strangler rollout needs `monolith`",
                    )
                    .set_hint("monolith = \"NAME\": the service the traffic moves away from");
                }
                Some(monolith) => {
                    if let Some(monolith_index) =
                        self.service_ref(&path.key("monolith"), monolith, "monolith")
                    {
                        if *monolith == rollout.service {
                            self.error(
                                &path.key("monolith"),
                                format!("`monolith` and `service` are both {}", quote(monolith)),
                            );
                        } else {
                            self.check_strangled_endpoints(path, monolith_index, rollout);
                            return Some(monolith_index);
                        }
                    }
                }
            }
        }
        None
    }

    /// A strangler moves the calls to the monolith's endpoints that the new service also has:
    /// at least one must match by name.
    fn check_strangled_endpoints(&mut self, path: &DocPath, monolith: usize, rollout: &Rollout) {
        let Some(new_service) = self
            .scenario
            .services
            .iter()
            .find(|service| service.name == rollout.service)
        else {
            return;
        };
        let monolith = &self.scenario.services[monolith];
        let shared = monolith.endpoints.iter().any(|endpoint| {
            new_service
                .endpoints
                .iter()
                .any(|candidate| candidate.name == endpoint.name)
        });
        if !shared {
            self.error(
                &path.key("service"),
                format!(
                    "{} has none of the endpoints of {}",
                    quote(&rollout.service),
                    quote(&monolith.name)
                ),
            )
            .set_hint("a strangler moves the calls to the monolith's endpoints the new service also has, matched by name");
        }
    }

    fn check_weights(&mut self, path: &DocPath, rollout: &Rollout, strategy_name: &str) {
        match (&rollout.step_weight, &rollout.step_weights) {
            (Some(_), Some(_)) => {
                self.error_at_key(
                    &path.key("step_weights"),
                    "give `step_weight` or `step_weights`, not both",
                );
            }
            (None, None) if rollout.strategy == Strategy::Canary => {
                self.error(&path.key("step_weight"), format!("a {strategy_name} rollout needs `step_weight` or `step_weights`"))
                    .set_hint("step_weight = 10 sends 10% more of the traffic to the new version each interval");
            }
            _ => {}
        }
        if let Some(step) = rollout.step_weight {
            self.positive_percent(&path.key("step_weight"), step.get());
        }
        if let Some(max) = rollout.max_weight {
            self.positive_percent(&path.key("max_weight"), max.get());
            if let Some(step) = rollout.step_weight
                && step.get() > max.get()
            {
                self.error(
                    &path.key("step_weight"),
                    format!(
                        "`step_weight` {} is above `max_weight` {}",
                        number(step.get()),
                        number(max.get())
                    ),
                );
            }
            if rollout.step_weights.is_some() {
                self.warning(
                    &path.key("max_weight"),
                    "`max_weight` is ignored with `step_weights`",
                )
                .set_hint("the last of `step_weights` is the largest weight the new version gets");
            }
        }
        if let Some(steps) = &rollout.step_weights {
            let steps_path = path.key("step_weights");
            if steps.is_empty() {
                self.error(&steps_path, "`step_weights` is empty")
                    .set_hint("step_weights = [1, 5, 10, 25, 50]");
            }
            self.count_limit(
                &steps_path,
                steps.len(),
                limits::STEP_WEIGHTS_MAX,
                "step weights",
            );
            for (index, step) in steps.iter().enumerate() {
                self.positive_percent(&steps_path.index(index), step.get());
                if index > 0 && step.get() <= steps[index - 1].get() {
                    self.error(
                        &steps_path.index(index),
                        format!(
                            "step weight {} does not rise above the previous {}",
                            number(step.get()),
                            number(steps[index - 1].get())
                        ),
                    )
                    .set_hint(
                        "`step_weights` are the new version's successive weights, each larger",
                    );
                }
            }
        }
    }
}

/// A check with its bounds in the metric's unit, when each bound reads as one.
fn resolved_check(metric: metric::CheckMetric, check: &Check) -> Option<RolloutCheck> {
    let value = |bound: &Option<Bound>| match bound {
        None => Some(None),
        Some(Bound::Number(number)) => Some(Some(*number)),
        Some(Bound::Text(text)) => Duration::parse(text)
            .ok()
            .map(|duration| Some(duration.as_millis_f64())),
    };
    Some(RolloutCheck {
        metric,
        min: value(&check.min)?,
        max: value(&check.max)?,
    })
}
