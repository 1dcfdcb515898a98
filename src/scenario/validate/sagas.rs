//! `[[saga]]`: the endpoint that runs it, and its steps and compensations.

use indexmap::IndexMap;

use super::checker::{Checker, root};
use super::graph::EndpointId;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::resolved::{self, SagaStep};
use crate::scenario::schema::Call;

impl<'s> Checker<'s, '_> {
    pub(super) fn check_sagas(&mut self) {
        let mut seen: IndexMap<(usize, usize), DocPath> = IndexMap::new();
        for (index, saga) in self.scenario.sagas.iter().enumerate() {
            let path = root("saga").index(index);
            let Some(service) = self.service_ref(&path.key("service"), &saga.service, "service")
            else {
                continue;
            };
            let Some(endpoint) = self.endpoint_ref(&path.key("endpoint"), service, &saga.endpoint)
            else {
                continue;
            };
            if let Some(first) = seen.get(&(service, endpoint)) {
                let first = first.clone();
                self.error(&path.key("endpoint"), "this endpoint already runs a saga")
                    .set_hint(format!("see {first}"));
            }
            seen.insert((service, endpoint), path.clone());
            if !self.scenario.services[service].endpoints[endpoint]
                .calls
                .is_empty()
            {
                self.warning(
                    &path.key("endpoint"),
                    "the endpoint's own `calls` are not made: the saga's steps are",
                );
            }
            if saga.steps.is_empty() {
                self.error(&path.key("steps"), "a saga needs at least one step");
            }
            self.count_limit(
                &path.key("steps"),
                saga.steps.len(),
                limits::CALLS_PER_ENDPOINT_MAX,
                "saga steps",
            );
            self.whole_at_most(
                &path.key("step_retries"),
                u64::from(saga.step_retries),
                u64::from(limits::SAGA_STEP_RETRIES_MAX),
                "step retries",
            );
            let node = (service, endpoint);
            let mut steps = Some(Vec::new());
            for (step_index, step) in saga.steps.iter().enumerate() {
                let step_path = path.key("steps").index(step_index);
                let action = self.check_step_call(node, step_path.key("action"), &step.action);
                let compensation = step
                    .compensation
                    .as_ref()
                    .map(|call| self.check_compensation(node, step_path.key("compensation"), call));
                let resolved = match (action, compensation) {
                    (Some(action), None) => Some(SagaStep {
                        action,
                        compensation: None,
                    }),
                    (Some(action), Some(Some(compensation))) => Some(SagaStep {
                        action,
                        compensation: Some(compensation),
                    }),
                    _ => None,
                };
                match (steps.as_mut(), resolved) {
                    (Some(steps), Some(step)) => steps.push(step),
                    _ => steps = None,
                }
            }
            self.resolving.sagas[index] = steps;
        }
    }
    /// A saga step's action: any call.
    fn check_step_call(
        &mut self,
        node: EndpointId,
        path: DocPath,
        call: &'s Call,
    ) -> Option<resolved::Call> {
        self.check_call_from(node, path, call)
    }

    /// A saga step's compensation: a call of a service or a store.
    fn check_compensation(
        &mut self,
        node: EndpointId,
        path: DocPath,
        call: &'s Call,
    ) -> Option<resolved::Call> {
        // A publish is a step too: it succeeds when the broker confirms it. Nothing takes a
        // message back, so it cannot be a compensation.
        if call.topic.is_some() {
            self.error(&path, "a compensation undoes a step: it calls a service or a store, not a topic")
                .set_hint("a published message cannot be taken back: publish a compensating event from a service the compensation calls");
            return None;
        }
        self.check_call_from(node, path, call)
    }
}
