//! `[[service]]`: capacity, gateway keys, endpoints (their calls and caches) and versions.

use indexmap::IndexMap;

use super::checker::{Checker, number, root};
use super::graph::EndpointId;
use super::stores::{store_kind_name, store_operations};
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::resolved::{Call, EndpointCalls, OpIndex, StoreId};
use crate::scenario::schema::{BASE_VERSION, CacheAside, Endpoint, Service, StoreKind};

impl<'s> Checker<'s, '_> {
    pub(super) fn check_services(&mut self) {
        let services = &self.scenario.services;
        self.count_limit(
            &root("service"),
            services.len(),
            limits::SERVICES_MAX,
            "services",
        );
        let mut seen = IndexMap::new();
        let mut instances_total: u64 = 0;
        let mut total_reported = false;
        for (index, service) in services.iter().enumerate() {
            let path = root("service").index(index);
            self.name(&path.key("name"), &service.name, "service name");
            self.unique(&mut seen, &service.name, &path.key("name"), "service name");
            self.check_capacity(&path, service);
            self.check_gateway_keys(&path, service);
            self.count_limit(
                &path.key("endpoint"),
                service.endpoints.len(),
                limits::ENDPOINTS_PER_SERVICE_MAX,
                &format!("endpoints in {}", quote(&service.name)),
            );
            let mut endpoint_names = IndexMap::new();
            for (endpoint_index, endpoint) in service.endpoints.iter().enumerate() {
                let endpoint_path = path.key("endpoint").index(endpoint_index);
                self.unique(
                    &mut endpoint_names,
                    &endpoint.name,
                    &endpoint_path.key("name"),
                    "endpoint name",
                );
                self.check_endpoint(&endpoint_path, (index, endpoint_index), endpoint);
            }
            self.check_versions(&path, index, service);
            let instances = self.names.instances[index];
            if instances == 0 {
                let diagnostic = self.error(
                    &path.key("replicas"),
                    format!("service {} has no instances", quote(&service.name)),
                );
                if service.versions.is_empty() {
                    diagnostic.set_hint("set replicas to 1 or more");
                } else {
                    diagnostic.set_hint("give it or one of its versions replicas = 1 or more");
                }
            }
            instances_total = instances_total.saturating_add(instances);
            if instances_total > limits::INSTANCES_MAX && !total_reported {
                total_reported = true;
                self.error(
                    &path.key("replicas"),
                    format!(
                        "too many instances: {instances_total} up to service {}, the limit is {} in all",
                        quote(&service.name),
                        limits::INSTANCES_MAX
                    ),
                );
            }
        }
    }

    fn check_capacity(&mut self, path: &DocPath, service: &Service) {
        self.whole_at_most(
            &path.key("replicas"),
            u64::from(service.replicas),
            u64::from(limits::REPLICAS_PER_VERSION_MAX),
            "replicas per version",
        );
        let workers_path = path.key("workers");
        self.whole_at_least(&workers_path, u64::from(service.workers), 1);
        self.whole_at_most(
            &workers_path,
            u64::from(service.workers),
            u64::from(limits::WORKERS_PER_INSTANCE_MAX),
            "workers per instance",
        );
        self.whole_at_most(
            &path.key("queue"),
            u64::from(service.queue),
            u64::from(limits::QUEUE_MAX),
            "requests queued per instance",
        );
        self.check_concurrency(path, service);
    }

    /// `refused_status`, `client_rate_limit` and each endpoint's `auth`.
    fn check_gateway_keys(&mut self, path: &DocPath, service: &Service) {
        if let Some(status) = service.refused_status
            && !(400..=599).contains(&status)
        {
            self.error(
                &path.key("refused_status"),
                format!("`refused_status` must be an error status, 400 to 599, not {status}"),
            )
            .set_hint(
                "the seed's gateway answers 503 (Service Unavailable) for a refused connection",
            );
        }
        if let Some(limit) = &service.client_rate_limit {
            let limit_path = path.key("client_rate_limit");
            self.whole_at_least(&limit_path.key("max"), u64::from(limit.max), 1);
            self.positive_duration(&limit_path.key("window"), limit.window);
        }
        for (index, endpoint) in service.endpoints.iter().enumerate() {
            let Some(header) = &endpoint.auth else {
                continue;
            };
            let auth_path = path.key("endpoint").index(index).key("auth");
            if header.is_empty() {
                self.error(&auth_path, "`auth` names no header")
                    .set_hint("auth = \"authorization\": requests without it are answered 401");
            } else if !self
                .scenario
                .workloads
                .iter()
                .any(|workload| workload.headers.contains_key(header.as_str()))
            {
                self.warning(
                    &auth_path,
                    format!("no workload sends the header {}: every request is answered 401", quote(header)),
                )
                .set_hint(format!(
                    "headers = {{ {header} = {{ \"Bearer token\" = 0.95, \"\" = 0.05 }} }} on a workload: an empty value is no header"
                ));
            }
        }
    }

    fn check_endpoint(&mut self, path: &DocPath, node: EndpointId, endpoint: &'s Endpoint) {
        self.label(
            &path.key("name"),
            &endpoint.name,
            "endpoint name",
            limits::ENDPOINT_NAME_CHARS_MAX,
        );
        if let Some(service_time) = &endpoint.service_time {
            self.distribution(&path.key("service_time"), service_time);
        }
        self.probability(&path.key("error_rate"), endpoint.error_rate.get());
        self.count_limit(
            &path.key("calls"),
            endpoint.calls.len(),
            limits::CALLS_PER_ENDPOINT_MAX,
            &format!("calls in endpoint {}", quote(&endpoint.name)),
        );
        let (calls, behaviours, steps) =
            self.check_call_entries(node, &path.key("calls"), &endpoint.calls);
        let on_failure: Vec<_> = endpoint
            .on_failure
            .iter()
            .enumerate()
            .map(|(index, call)| {
                self.check_call_from(node, path.key("on_failure").index(index), call)
            })
            .collect();
        let cache = match &endpoint.cache {
            Some(cache) => self
                .check_cache(&path.key("cache").key("store"), cache)
                .map(Some),
            None => Some(None),
        };
        let (service, endpoint_index) = node;
        self.resolving.endpoints[service][endpoint_index] = (|| {
            Some(EndpointCalls {
                calls: calls.into_iter().collect::<Option<_>>()?,
                behaviours,
                steps,
                on_failure: on_failure.into_iter().collect::<Option<_>>()?,
                cache: cache?,
            })
        })();
    }

    /// Checks an endpoint's cache: a redis store; returns its `GET` and `SETEX`.
    fn check_cache(&mut self, cache_path: &DocPath, cache: &CacheAside) -> Option<(Call, Call)> {
        let found = self
            .scenario
            .stores
            .iter()
            .position(|store| store.name == cache.store);
        match found.map(|index| (index, &self.scenario.stores[index])) {
            Some((index, store)) if store.kind == StoreKind::Redis => {
                let operation = |name: &str| {
                    let position = store_operations(StoreKind::Redis)
                        .iter()
                        .position(|candidate| *candidate == name)?;
                    Some(Call::Store(
                        StoreId(index as u32),
                        OpIndex(u16::try_from(position).ok()?),
                    ))
                };
                Some((operation("GET")?, operation("SETEX")?))
            }
            Some((_, store)) => {
                self.error(
                    cache_path,
                    format!(
                        "{} is a {} store, not redis",
                        quote(&store.name),
                        store_kind_name(store.kind)
                    ),
                )
                .set_hint("a cache is a [[store]] with kind = \"redis\"");
                None
            }
            None => {
                let names: Vec<&str> = self
                    .scenario
                    .stores
                    .iter()
                    .filter(|store| store.kind == StoreKind::Redis)
                    .map(|store| store.name.as_str())
                    .collect();
                let hint = if names.is_empty() {
                    "declare a [[store]] with kind = \"redis\"".to_owned()
                } else {
                    format!("redis stores: {}", names.join(", "))
                };
                self.error(
                    cache_path,
                    format!("no store is named {}", quote(&cache.store)),
                )
                .set_hint(hint);
                None
            }
        }
    }

    fn check_versions(&mut self, path: &DocPath, service_index: usize, service: &'s Service) {
        let total = service.added_versions().count().saturating_add(1);
        if total > limits::VERSIONS_PER_SERVICE_MAX {
            self.error(
                &path
                    .key("version")
                    .index(limits::VERSIONS_PER_SERVICE_MAX - 1),
                format!(
                    "too many versions of {}: {total} with v1, the limit is {}",
                    quote(&service.name),
                    limits::VERSIONS_PER_SERVICE_MAX
                ),
            );
        }
        let mut seen = IndexMap::new();
        for (index, version) in service.versions.iter().enumerate() {
            let version_path = path.key("version").index(index);
            let name_path = version_path.key("name");
            self.name(&name_path, &version.name, "version name");
            self.unique(&mut seen, &version.name, &name_path, "version name");
            if let Some(replicas) = version.replicas {
                self.whole_at_most(
                    &version_path.key("replicas"),
                    u64::from(replicas),
                    u64::from(limits::REPLICAS_PER_VERSION_MAX),
                    "replicas per version",
                );
                if version.name == BASE_VERSION {
                    self.base_replicas_agree(path, &version_path, service, replicas);
                }
            }
            if let Some(error_rate) = version.error_rate {
                self.probability(&version_path.key("error_rate"), error_rate.get());
            }
            if let Some(factor) = version.service_time_factor
                && factor.get() <= 0.0
            {
                self.error(
                    &version_path.key("service_time_factor"),
                    format!(
                        "`service_time_factor` must be above 0, not {}",
                        number(factor.get())
                    ),
                )
                .set_hint("1 keeps the endpoints' service times, 2 doubles them, 0.5 halves them");
            }
            self.check_version_endpoints(&version_path, (service_index, index), version);
        }
    }

    /// A `[[service.version]]` named `v1` holds the base version's replicas; the service's own
    /// `replicas`, when the file writes it too, must say the same.
    fn base_replicas_agree(
        &mut self,
        service_path: &DocPath,
        version_path: &DocPath,
        service: &Service,
        replicas: u32,
    ) {
        if replicas == service.replicas
            || !self.locator.exists(service_path.key("replicas").parts())
        {
            return;
        }
        let line = self.line_of(&service_path.key("replicas"));
        self.error(
            &version_path.key("replicas"),
            format!(
                "v1 has {replicas} replicas here and {} on its [[service]] {}",
                service.replicas,
                quote(&service.name)
            ),
        )
        .set_hint(match line {
            Some(line) => format!("the base version's replicas go in one place: remove this key or the service's on line {line}"),
            None => "the base version's replicas go in one place: remove this key or the service's".to_owned(),
        });
    }
}
