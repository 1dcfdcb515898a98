//! `[service.autoscale]`: the HPA's bounds, metric, target and behaviour, checked and
//! resolved into the autoscaler's spec.

use meshsim_models::{HpaSpec, PolicyKind, ScaleMetric, ScalingPolicy, ScalingRules, SelectPolicy};

use super::checker::{Checker, number, root};
use crate::scenario::diagnostic::quote;
use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{self, Autoscale, Service};

const METRICS: [&str; 3] = ["cpu", "requests", "concurrency"];
const SELECT_POLICIES: [&str; 3] = ["max", "min", "disabled"];
const POLICY_TYPES: [&str; 2] = ["percent", "pods"];

/// The HPA API's bounds on `periodSeconds` (1 to 1800) and `stabilizationWindowSeconds` (0 to
/// 3600), from its validation (`pkg/apis/autoscaling/validation/validation.go`).
const PERIOD_MAX: Duration = Duration::from_secs(1800);
const STABILIZATION_WINDOW_MAX: Duration = Duration::from_secs(3600);

impl Checker<'_, '_> {
    pub(super) fn check_autoscalers(&mut self) {
        for (index, service) in self.scenario.services.iter().enumerate() {
            let Some(autoscale) = &service.autoscale else {
                continue;
            };
            let path = root("service").index(index).key("autoscale");
            if let Some(resolved) = self.check_autoscale(&path, service, autoscale) {
                self.resolving.autoscalers[index] = Some(resolved);
            }
        }
    }

    fn check_autoscale(
        &mut self,
        path: &DocPath,
        service: &Service,
        autoscale: &Autoscale,
    ) -> Option<(ScaleMetric, HpaSpec)> {
        let errors = self.findings.errors.len();
        self.check_autoscaled_service(path, service);
        let (min, max) = (autoscale.min_replicas, autoscale.max_replicas);
        if min == 0 {
            self.error(&path.key("min_replicas"), "`min_replicas` must be at least 1")
                .set_hint("the HPA scales to zero only behind an alpha feature gate; set min_replicas = 1 or more");
        }
        self.whole_at_most(
            &path.key("max_replicas"),
            u64::from(max),
            u64::from(limits::AUTOSCALE_REPLICAS_MAX),
            "autoscaled replicas (every instance up to it is built)",
        );
        if min > max {
            self.error(
                &path.key("min_replicas"),
                format!("`min_replicas` is {min}, above `max_replicas` ({max})"),
            )
            .set_hint("the autoscaler keeps the count between min_replicas and max_replicas: lower min_replicas or raise max_replicas");
        } else if min > 0 && !(min..=max).contains(&service.replicas) {
            self.error(
                &path.parent().key("replicas"),
                format!(
                    "`replicas` is {}, outside the autoscaler's {min} to {max}",
                    service.replicas
                ),
            )
            .set_hint("replicas is the count the run starts with: set it from min_replicas to max_replicas");
        }
        let target = autoscale.target.get();
        if target <= 0.0 {
            self.error(
                &path.key("target"),
                format!("`target` must be above 0, not {}", number(target)),
            );
        }
        let metric = self.autoscale_metric(path, service, &autoscale.metric);
        let scale_up = self.scaling_rules(
            &path.key("behavior").key("scale_up"),
            autoscale.behavior.scale_up.as_ref(),
            ScalingRules::default_scale_up(),
        );
        let scale_down = self.scaling_rules(
            &path.key("behavior").key("scale_down"),
            autoscale.behavior.scale_down.as_ref(),
            ScalingRules::default_scale_down(),
        );
        (self.findings.errors.len() == errors).then(|| {
            let spec = HpaSpec {
                min_replicas: min,
                max_replicas: max,
                target,
                scale_up,
                scale_down,
            };
            (metric, spec)
        })
    }

    /// What the autoscaler does not support on a service: other versions, a rollout.
    fn check_autoscaled_service(&mut self, path: &DocPath, service: &Service) {
        if !service.versions.is_empty() {
            self.error(
                path,
                format!("service {} has versions and an autoscaler", quote(&service.name)),
            )
            .set_hint("the autoscaler scales a service with its own version only: move the versions to a service of their own or remove the autoscaler");
        }
        if self
            .scenario
            .rollouts
            .iter()
            .any(|rollout| rollout.service == service.name)
        {
            self.error(
                path,
                format!("service {} has a rollout and an autoscaler", quote(&service.name)),
            )
            .set_hint("a rollout and an autoscaler on one service are not simulated together: remove one of them");
        }
    }

    fn autoscale_metric(&mut self, path: &DocPath, service: &Service, metric: &str) -> ScaleMetric {
        match metric {
            "cpu" => {
                // An event-loop service's processes have a core each.
                if let Some(cores) = service.cores_per_instance().filter(|cores| *cores > 0.0) {
                    return ScaleMetric::Cpu { cores };
                }
                self.error(
                    &path.key("metric"),
                    format!(
                        "`metric = \"cpu\"` on service {}, which sets no `cores` above 0 and is not an event loop",
                        quote(&service.name)
                    ),
                )
                .set_hint("CPU utilization is a percentage of the pods' CPU request (the HPA's documentation): set cores on the [[service]], or scale on \"requests\" or \"concurrency\"");
            }
            "requests" => return ScaleMetric::Requests,
            "concurrency" => return ScaleMetric::Concurrency,
            _ => {
                let hint = self.suggest(metric, "metric", || METRICS.to_vec(), "");
                let diagnostic = self.error(
                    &path.key("metric"),
                    format!("unknown autoscaling metric {}", quote(metric)),
                );
                diagnostic.set_hint(match hint {
                    Some(hint) if !hint.is_empty() => hint,
                    _ => "metric is \"cpu\", \"requests\" or \"concurrency\"".to_owned(),
                });
            }
        }
        ScaleMetric::Requests
    }

    /// One direction's rules: the file's keys over the HPA's defaults for the direction.
    fn scaling_rules(
        &mut self,
        path: &DocPath,
        rules: Option<&schema::ScalingRules>,
        default: ScalingRules,
    ) -> ScalingRules {
        let Some(rules) = rules else {
            return default;
        };
        let mut resolved = default;
        if let Some(window) = rules.stabilization_window {
            if window > STABILIZATION_WINDOW_MAX {
                self.error(
                    &path.key("stabilization_window"),
                    "`stabilization_window` is above the HPA's limit of 3600s",
                );
            }
            resolved.stabilization_window_ns = window.as_nanos();
        }
        if let Some(select) = &rules.select_policy {
            resolved.select = match select.as_str() {
                "max" => SelectPolicy::Max,
                "min" => SelectPolicy::Min,
                "disabled" => SelectPolicy::Disabled,
                _ => {
                    self.error(
                        &path.key("select_policy"),
                        format!("unknown select_policy {}", quote(select)),
                    )
                    .set_hint(format!(
                        "select_policy is one of {}",
                        SELECT_POLICIES.map(quote).join(", ")
                    ));
                    SelectPolicy::Max
                }
            };
        }
        if let Some(policies) = &rules.policies {
            if policies.is_empty() && resolved.select != SelectPolicy::Disabled {
                self.error(&path.key("policies"), "`policies` is empty")
                    .set_hint("give at least one policy, as the HPA requires, or leave policies out for the defaults");
            }
            resolved.policies = policies
                .iter()
                .enumerate()
                .map(|(index, policy)| {
                    self.scaling_policy(&path.key("policies").index(index), policy)
                })
                .collect();
        }
        resolved
    }

    fn scaling_policy(&mut self, path: &DocPath, policy: &schema::ScalingPolicy) -> ScalingPolicy {
        let kind = match policy.kind.as_str() {
            "percent" => PolicyKind::Percent,
            "pods" => PolicyKind::Pods,
            other => {
                self.error(
                    &path.key("type"),
                    format!("unknown policy type {}", quote(other)),
                )
                .set_hint(format!(
                    "type is one of {}",
                    POLICY_TYPES.map(quote).join(", ")
                ));
                PolicyKind::Pods
            }
        };
        self.whole_at_least(&path.key("value"), u64::from(policy.value), 1);
        self.positive_duration(&path.key("period"), policy.period);
        if policy.period > PERIOD_MAX {
            self.error(
                &path.key("period"),
                "`period` is above the HPA's limit of 1800s",
            );
        }
        ScalingPolicy {
            kind,
            value: policy.value,
            period_ns: policy.period.as_nanos(),
        }
    }
}
