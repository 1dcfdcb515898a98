//! One call of an endpoint or a saga step: a synchronous call, a publish, or a store operation.

use super::checker::Checker;
use super::graph::EndpointId;
use super::references::service_id;
use super::stores::{store_kind_name, store_operations};
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::resolved::{self, BrokerId, CallBehaviour, OpIndex, StoreId, TopicId};
use crate::scenario::schema::{Call, CallEntry};

/// What an endpoint's `calls` resolve to: every call in the order written (a `parallel`'s
/// members in place), what the application does with each, and how many calls each entry holds.
type CheckedEntries = (Vec<Option<resolved::Call>>, Vec<CallBehaviour>, Vec<usize>);

impl<'s> Checker<'s, '_> {
    /// Checks the entries of an endpoint's `calls` at `path`: each a call, or a `parallel` of
    /// calls (at least one, at most [`limits::PARALLEL_MEMBERS_MAX`], none itself a `parallel`).
    pub(super) fn check_call_entries(
        &mut self,
        from: EndpointId,
        path: &DocPath,
        entries: &'s [CallEntry],
    ) -> CheckedEntries {
        let mut checked = (Vec::new(), Vec::new(), Vec::new());
        for (index, entry) in entries.iter().enumerate() {
            let entry_path = path.index(index);
            let members = match entry {
                CallEntry::Call(call) => {
                    self.check_entry_call(from, &entry_path, call, &mut checked);
                    checked.2.push(1);
                    continue;
                }
                CallEntry::Parallel(members) => members,
            };
            let members_path = entry_path.key("parallel");
            if members.is_empty() {
                self.error(&members_path, "an empty `parallel`: it makes no call")
                    .set_hint("a parallel is { parallel = [{ service = \"...\", endpoint = \"...\" }, ...] }, its members going out at once; remove the entry if it has none");
            }
            self.count_limit(
                &members_path,
                members.len(),
                limits::PARALLEL_MEMBERS_MAX,
                "members in a `parallel`",
            );
            for (member_index, member) in members.iter().enumerate() {
                let member_path = members_path.index(member_index);
                match member {
                    CallEntry::Call(call) => {
                        self.check_entry_call(from, &member_path, call, &mut checked);
                    }
                    CallEntry::Parallel(_) => {
                        self.error(
                            &member_path.key("parallel"),
                            "a member of a `parallel` is a call, not another `parallel`",
                        )
                        .set_hint("the members of a `parallel` all go out at once already: write the inner calls as members of the outer one");
                    }
                }
            }
            checked.2.push(members.len());
        }
        checked
    }

    /// Checks one call of an endpoint's `calls` at `path`, the application's keys included,
    /// adding what it resolves to `checked`.
    fn check_entry_call(
        &mut self,
        from: EndpointId,
        path: &DocPath,
        call: &'s Call,
        checked: &mut CheckedEntries,
    ) {
        checked
            .0
            .push(self.check_endpoint_call(from, path.clone(), call));
        checked.1.push(self.call_behaviour(path, call));
    }

    /// Checks one call; returns what it calls, if it resolves.
    pub(super) fn check_call(&mut self, path: &DocPath, call: &'s Call) -> Option<resolved::Call> {
        const SHAPES: &str = "a call is { service = \"...\", endpoint = \"...\" }, which waits for the answer, { topic = \"...\" }, which publishes and goes on, or { store = \"...\", op = \"...\" }";
        if call.store.is_some() || call.op.is_some() {
            if call.service.is_some() || call.endpoint.is_some() || call.topic.is_some() {
                self.error(path, "a store operation `{ store, op }` names nothing else")
                    .set_hint(SHAPES);
                return None;
            }
            let (Some(store), Some(op)) = (&call.store, &call.op) else {
                self.error(path, "a store operation needs both `store` and `op`")
                    .set_hint(SHAPES);
                return None;
            };
            return self.store_op_ref(path, store, op);
        }
        match (&call.service, &call.endpoint, &call.topic) {
            (None, None, Some(topic)) => {
                if !self.topic_ref(&path.key("topic"), topic) {
                    return None;
                }
                self.published
                    .entry(topic.as_str())
                    .or_insert_with(|| path.key("topic"));
                self.publish_target(topic)
            }
            (Some(service), Some(endpoint), None) => {
                let service = self.service_ref(&path.key("service"), service, "calls")?;
                let endpoint = self.endpoint_ref(&path.key("endpoint"), service, endpoint)?;
                Some(resolved::Call::Sync(resolved::EndpointId(
                    service_id(service),
                    u16::try_from(endpoint).ok()?,
                )))
            }
            (Some(service), None, None) => {
                let hint = self.names.services.get(service.as_str()).map(|index| {
                    let endpoints = self.names.endpoints[*index].keys().copied();
                    format!(
                        "endpoints of {}: {}",
                        quote(service),
                        crate::scenario::diagnostic::name_list(endpoints)
                    )
                });
                let diagnostic = self.error(
                    path,
                    format!("call to {} names no `endpoint`", quote(service)),
                );
                diagnostic.set_hint(hint.unwrap_or_else(|| SHAPES.to_owned()));
                None
            }
            (None, Some(endpoint), None) => {
                self.error(
                    path,
                    format!("call to endpoint {} names no `service`", quote(endpoint)),
                )
                .set_hint(SHAPES);
                None
            }
            (_, _, Some(_)) => {
                self.error(
                    path,
                    "a call has `service` and `endpoint`, or `topic`, not both",
                )
                .set_hint(format!("{SHAPES}; write two calls to do both"));
                None
            }
            (None, None, None) => {
                self.error(path, "empty call").set_hint(SHAPES);
                None
            }
        }
    }

    /// Checks an `on_failure` call or a saga step endpoint `from` makes, which takes none of
    /// the application's keys, adding it to the call graph when it waits for the answer; returns
    /// what it calls, if it resolves.
    pub(super) fn check_call_from(
        &mut self,
        from: EndpointId,
        path: DocPath,
        call: &'s Call,
    ) -> Option<resolved::Call> {
        self.no_behaviour(&path, call);
        self.check_endpoint_call(from, path, call)
    }

    /// Checks an entry of an endpoint's `calls` (the application's keys apart), adding it to
    /// the call graph when it waits for the answer; returns what it calls, if it resolves.
    pub(super) fn check_endpoint_call(
        &mut self,
        from: EndpointId,
        path: DocPath,
        call: &'s Call,
    ) -> Option<resolved::Call> {
        let target = self.check_call(&path, call)?;
        if let resolved::Call::Sync(resolved::EndpointId(service, endpoint)) = target {
            let to = (service.index(), usize::from(endpoint));
            self.graph.add_call(from, to, path);
        }
        Some(target)
    }

    /// A publish to `topic`, which a broker declares: the first broker declaring it, and the
    /// topic's place among that broker's topics.
    fn publish_target(&self, topic: &str) -> Option<resolved::Call> {
        let broker = *self.names.topics.get(topic)?;
        let position = self.scenario.brokers[broker]
            .topics
            .iter()
            .position(|candidate| candidate == topic)?;
        Some(resolved::Call::Publish(
            BrokerId(broker as u32),
            TopicId(u16::try_from(position).ok()?),
        ))
    }

    /// Checks `{ store, op }`: the store exists and has the operation; returns the operation.
    pub(super) fn store_op_ref(
        &mut self,
        path: &DocPath,
        store: &str,
        op: &str,
    ) -> Option<resolved::Call> {
        let Some(&index) = self.names.stores.get(store) else {
            let hint = self.suggest(
                store,
                "stores here",
                || self.names.stores.keys().copied().collect(),
                "declare a [[store]] first",
            );
            self.error(
                &path.key("store"),
                format!("unknown store {}", quote(store)),
            )
            .set_optional_hint(hint);
            return None;
        };
        let kind = self.scenario.stores[index].kind;
        let operations = store_operations(kind);
        if let Some(position) = operations.iter().position(|candidate| *candidate == op) {
            return Some(resolved::Call::Store(
                StoreId(index as u32),
                OpIndex(u16::try_from(position).ok()?),
            ));
        }
        let hint = match crate::scenario::diagnostic::did_you_mean(op, operations.iter().copied()) {
            Some(close) => format!(
                "did you mean {}? a {} store has {}",
                quote(close),
                store_kind_name(kind),
                operations.join(", ")
            ),
            None => format!(
                "a {} store has {}",
                store_kind_name(kind),
                operations.join(", ")
            ),
        };
        self.error(
            &path.key("op"),
            format!("store {} has no operation {}", quote(store), quote(op)),
        )
        .set_hint(hint);
        None
    }
}
