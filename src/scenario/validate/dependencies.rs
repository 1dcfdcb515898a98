//! `depends_on`: a service depends only on what it calls.

use super::checker::{Checker, root};
use super::references::service_id;
use crate::scenario::diagnostic::quote;
use crate::scenario::resolved::{BrokerId, Callee, StoreId};
use crate::scenario::schema::{CallEntry, Service};

impl Checker<'_, '_> {
    /// Every `depends_on` names something the service calls: its readiness probe can only see
    /// what its sidecar reaches.
    pub(super) fn check_dependencies(&mut self) {
        for (index, service) in self.scenario.services.iter().enumerate() {
            let called = self.called_by(service);
            let mut depends_on = Some(Vec::new());
            for (position, name) in service.depends_on.iter().enumerate() {
                let path = root("service")
                    .index(index)
                    .key("depends_on")
                    .index(position);
                if called.iter().any(|callee| callee == name) {
                    match (depends_on.as_mut(), self.callee_named(name)) {
                        (Some(depends_on), Some(callee)) => depends_on.push(callee),
                        _ => depends_on = None,
                    }
                    continue;
                }
                depends_on = None;
                let known = self.scenario.services.iter().any(|s| s.name == *name)
                    || self.scenario.stores.iter().any(|s| s.name == *name)
                    || self.scenario.brokers.iter().any(|b| b.name == *name);
                let message = if known {
                    format!("{} does not call {}", quote(&service.name), quote(name))
                } else {
                    format!("no service, store or broker is named {}", quote(name))
                };
                let hint = if called.is_empty() {
                    "a service depends on what it calls; this one calls nothing".to_owned()
                } else {
                    format!("a service depends on what it calls: {}", called.join(", "))
                };
                self.error(&path, message).set_hint(hint);
            }
            self.resolving.depends_on[index] = depends_on;
        }
    }

    /// The service, broker or store named `name`, in that order, as a sidecar's upstreams
    /// list them.
    fn callee_named(&self, name: &str) -> Option<Callee> {
        if let Some(&index) = self.names.services.get(name) {
            return Some(Callee::Service(service_id(index)));
        }
        if let Some(&index) = self.names.brokers.get(name) {
            return Some(Callee::Broker(BrokerId(index as u32)));
        }
        let index = *self.names.stores.get(name)?;
        Some(Callee::Store(StoreId(index as u32)))
    }

    /// The services, stores and brokers `service` calls, in first-call order.
    fn called_by(&self, service: &Service) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let sagas = self
            .scenario
            .sagas
            .iter()
            .filter(|saga| saga.service == service.name)
            .flat_map(|saga| {
                saga.steps
                    .iter()
                    .flat_map(|step| std::iter::once(&step.action).chain(&step.compensation))
            });
        let version_calls = service
            .versions
            .iter()
            .flat_map(|version| &version.endpoints)
            .filter_map(|entry| entry.calls.as_ref())
            .flatten()
            .flat_map(CallEntry::calls);
        let calls = service
            .endpoints
            .iter()
            .flat_map(|endpoint| {
                endpoint
                    .calls
                    .iter()
                    .flat_map(CallEntry::calls)
                    .chain(&endpoint.on_failure)
            })
            .chain(version_calls)
            .chain(sagas);
        for cache in service.endpoints.iter().filter_map(|e| e.cache.as_ref()) {
            if !names.contains(&cache.store) {
                names.push(cache.store.clone());
            }
        }
        for call in calls {
            let name = if let Some(topic) = &call.topic {
                self.scenario
                    .brokers
                    .iter()
                    .find(|broker| broker.topics.contains(topic))
                    .map(|broker| broker.name.clone())
            } else {
                call.service.clone().or_else(|| call.store.clone())
            };
            if let Some(name) = name
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
        names
    }
}
