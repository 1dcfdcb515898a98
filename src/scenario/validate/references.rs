//! References from one section to another: a service, an endpoint, a topic, a version, a host,
//! a metric's subject. Each resolves to an index or reports the name with a "did you mean".

use super::checker::Checker;
use super::host::Host;
use crate::scenario::diagnostic::quote;
use crate::scenario::locate::DocPath;
use crate::scenario::resolved::{BrokerId, EndpointId, ServiceId, StoreId, WorkloadId};

impl<'s> Checker<'s, '_> {
    pub(super) fn service_ref(
        &mut self,
        path: &DocPath,
        name: &str,
        context: &str,
    ) -> Option<usize> {
        if let Some(index) = self.names.services.get(name) {
            return Some(*index);
        }
        let hint = self.suggest(
            name,
            "services here",
            || self.names.service_names(),
            "no [[service]] is declared",
        );
        self.error(
            path,
            format!("unknown service {} in `{context}`", quote(name)),
        )
        .set_optional_hint(hint);
        None
    }

    pub(super) fn endpoint_ref(
        &mut self,
        path: &DocPath,
        service: usize,
        name: &str,
    ) -> Option<usize> {
        if let Some(index) = self.names.endpoints[service].get(name) {
            return Some(*index);
        }
        let service_name = self.scenario.services[service].name.as_str();
        let label = format!("endpoints of {}", quote(service_name));
        let hint = self.suggest(
            name,
            &label,
            || self.names.endpoints[service].keys().copied().collect(),
            &format!("{} declares no [[service.endpoint]]", quote(service_name)),
        );
        self.error(
            path,
            format!(
                "service {} has no endpoint {}",
                quote(service_name),
                quote(name)
            ),
        )
        .set_optional_hint(hint);
        None
    }

    pub(super) fn topic_ref(&mut self, path: &DocPath, topic: &str) -> bool {
        if self.names.topics.contains_key(topic) {
            return true;
        }
        let hint = self.suggest(
            topic,
            "topics here",
            || self.names.topics.keys().copied().collect(),
            "declare it in a [[broker]]'s `topics`",
        );
        self.error(
            path,
            format!("unknown topic {}: no [[broker]] declares it", quote(topic)),
        )
        .set_optional_hint(hint);
        false
    }

    /// Whether `version` is one of the service's; `at_key` points an error at the key (route
    /// weights name versions by key) rather than at the value (a rollout's `from` and `to`).
    pub(super) fn version_ref(
        &mut self,
        path: &DocPath,
        service: usize,
        version: &str,
        at_key: bool,
    ) -> bool {
        if self.names.versions[service].contains(&version) {
            return true;
        }
        let service_name = self.scenario.services[service].name.as_str();
        let label = format!("versions of {}", quote(service_name));
        let hint = self.suggest(
            version,
            &label,
            || self.names.versions[service].iter().copied().collect(),
            "",
        );
        let message = format!(
            "{} is not a version of {}",
            quote(version),
            quote(service_name)
        );
        let diagnostic = if at_key {
            self.error_at_key(path, message)
        } else {
            self.error(path, message)
        };
        diagnostic.set_optional_hint(hint);
        false
    }

    /// A service (all its instances), an instance `service/N`, or a workload's client host.
    pub(super) fn host_ref(&mut self, path: &DocPath, text: &str) -> Option<Host> {
        if let Some((service_name, number_text)) = text.split_once('/') {
            let service = self.service_ref(path, service_name, path.last_key())?;
            let count = self.names.instances[service];
            let number = if !number_text.is_empty()
                && number_text.bytes().all(|byte| byte.is_ascii_digit())
            {
                number_text.parse::<u64>().ok()
            } else {
                None
            };
            let range = if count == 0 {
                format!("{} has no instances", quote(service_name))
            } else if count == 1 {
                format!("{} has 1 instance, {service_name}/0", quote(service_name))
            } else {
                format!(
                    "{} has {count} instances, {service_name}/0 to {service_name}/{}",
                    quote(service_name),
                    count - 1
                )
            };
            return match number {
                Some(number) if number < count => Some(Host::Instance(
                    service_id(service),
                    u32::try_from(number).ok()?,
                )),
                Some(_) => {
                    self.error(path, format!("unknown instance {}: {range}", quote(text)))
                        .set_hint("instances are numbered across versions: v1's first, then each [[service.version]]'s in order");
                    None
                }
                None => {
                    self.error(
                        path,
                        format!(
                            "{} is not an instance: write SERVICE/N, N a number",
                            quote(text)
                        ),
                    )
                    .set_hint(range);
                    None
                }
            };
        }
        if let Some(index) = self.names.services.get(text) {
            return Some(Host::Service(service_id(*index)));
        }
        if let Some(index) = self.names.workloads.get(text) {
            return Some(Host::Workload(WorkloadId(*index as u32)));
        }
        if let Some(index) = self.names.brokers.get(text) {
            return Some(Host::Broker(BrokerId(*index as u32)));
        }
        if let Some(index) = self.names.stores.get(text) {
            return Some(Host::Store(StoreId(*index as u32)));
        }
        let hint = self.suggest(
            text,
            "services, workloads and brokers here",
            || {
                let mut hosts = self.names.service_names();
                hosts.extend(self.names.workloads.keys().copied());
                hosts.extend(self.names.brokers.keys().copied());
                hosts.extend(self.names.stores.keys().copied());
                hosts
            },
            "declare a [[service]], a [[workload]], a [[broker]] or a [[store]] first",
        );
        self.error(
            path,
            format!(
                "unknown service, instance or workload {} in `{}`",
                quote(text),
                path.last_key()
            ),
        )
        .set_optional_hint(hint);
        None
    }

    /// A metric's workload or broker `name` is one of `known` (of this `kind`).
    pub(super) fn metric_subject_ref(
        &mut self,
        path: &DocPath,
        name: &str,
        known: &[&'s str],
        kind: &str,
    ) {
        if known.contains(&name) {
            return;
        }
        let hint = self.suggest(
            name,
            &format!("{kind}s here"),
            || known.to_vec(),
            &format!("no [[{kind}]] is declared"),
        );
        self.error(path, format!("unknown {kind} {} in `metric`", quote(name)))
            .set_optional_hint(hint);
    }

    /// Services, workloads and brokers are hosts: faults and links name them in one namespace.
    pub(super) fn host_name_clash(&mut self, path: &DocPath, name: &str, kind: &str) {
        let clash = if self.names.services.contains_key(name) {
            Some("service")
        } else if kind != "workload" && self.names.workloads.contains_key(name) {
            Some("workload")
        } else if kind == "store" && self.names.brokers.contains_key(name) {
            Some("broker")
        } else {
            None
        };
        if let Some(other) = clash {
            self.error(path, format!("{kind} {} has the name of a {other}", quote(name)))
                .set_hint("services, workloads, brokers and stores are hosts, and faults and links name hosts: give each its own name");
        }
    }
}

/// Service `index`'s id: the limits keep every count far below `u32::MAX`.
pub(super) fn service_id(index: usize) -> ServiceId {
    ServiceId(index as u32)
}

/// Endpoint `endpoint` of service `service`, as indices resolved; the limits keep both small.
pub(super) fn endpoint_id(service: usize, endpoint: usize) -> Option<EndpointId> {
    Some(EndpointId(
        service_id(service),
        u16::try_from(endpoint).ok()?,
    ))
}
