//! `[[expect]]`: the metric each names, its subject, and its bounds.

use super::bounds::Bounds;
use super::checker::{Checker, root};
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::metric::{self, MetricRef};
use crate::scenario::schema::Expectation;

impl Checker<'_, '_> {
    pub(super) fn check_expectations(&mut self) {
        let expectations = &self.scenario.expectations;
        self.count_limit(
            &root("expect"),
            expectations.len(),
            limits::EXPECTATIONS_MAX,
            "expectations",
        );
        for (index, expectation) in expectations.iter().enumerate() {
            let metric = self.check_expectation(&root("expect").index(index), expectation);
            self.resolving.expectations[index] = metric;
        }
    }

    /// Checks one expectation; the metric it names, parsed, when that parses.
    fn check_expectation(
        &mut self,
        path: &DocPath,
        expectation: &Expectation,
    ) -> Option<MetricRef> {
        let metric_path = path.key("metric");
        let metric = match metric::parse(&expectation.metric) {
            Ok(metric) => metric,
            Err(error) => {
                self.error(&metric_path, error.message).set_hint(error.hint);
                return None;
            }
        };
        match &metric {
            metric::MetricRef::Global(_) | metric::MetricRef::Invariant { .. } => {}
            metric::MetricRef::Workload { name, .. } => {
                let known: Vec<&str> = self.names.workloads.keys().copied().collect();
                self.metric_subject_ref(&metric_path, name, &known, "workload");
            }
            metric::MetricRef::Service { name, .. } => {
                self.service_ref(&metric_path, name, "metric");
            }
            metric::MetricRef::Broker { name, .. } => {
                let known: Vec<&str> = self.names.brokers.keys().copied().collect();
                self.metric_subject_ref(&metric_path, name, &known, "broker");
            }
            metric::MetricRef::Store { name, .. } => {
                let known: Vec<&str> = self.names.stores.keys().copied().collect();
                self.metric_subject_ref(&metric_path, name, &known, "store");
            }
            metric::MetricRef::Rollout { service, .. } => {
                if self.service_ref(&metric_path, service, "metric").is_some()
                    && !self.names.rollouts.contains(service.as_str())
                {
                    let hint = self.suggest(
                        service,
                        "services with a rollout",
                        || self.names.rollouts.iter().copied().collect(),
                        "no [[rollout]] is declared",
                    );
                    self.error(
                        &metric_path,
                        format!("service {} has no rollout", quote(service)),
                    )
                    .set_optional_hint(hint);
                }
            }
        }
        let bounds = Bounds {
            min: expectation.min.as_ref(),
            max: expectation.max.as_ref(),
            equals: expectation.equals.as_ref(),
        };
        self.check_bounds(
            path,
            &expectation.metric,
            metric.value_kind(),
            &bounds,
            "an expectation",
        );
        Some(metric)
    }
}
