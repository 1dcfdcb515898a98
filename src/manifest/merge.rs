//! What the included files declare folded into the scenario the TOML describes.
//!
//! YAML says what is deployed and how the mesh treats it; the TOML says what each service does.
//! A key set in both places is an error naming both, never a silent override; a service the YAML
//! deploys without behaviour in the TOML is an error that says what to add. Each value taken
//! from YAML is recorded with its document path in the scenario, so later checks and `explain`
//! can point at the YAML line it came from.

use super::declared::{Declared, DeclaredMesh, DeclaredService, Sourced};
use super::reader::{Place, Reader};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::locate::{DocPath, Locator};
use crate::scenario::schema::{self, BASE_VERSION, Scenario};

/// Where each value the YAML set now stands in the scenario.
pub(crate) type Origins = Vec<(DocPath, Place)>;

/// Folds `declared` into `scenario`, whose TOML text `locator` reads.
pub(crate) fn merge(
    declared: Declared,
    scenario: &mut Scenario,
    locator: &Locator<'_>,
    file: &str,
    reader: &Reader,
) -> Origins {
    let mut merger = Merger {
        scenario,
        locator,
        file,
        reader,
        origins: Vec::new(),
    };
    for (name, service) in declared.services {
        merger.service(&name, service);
    }
    for (name, mesh) in declared.mesh {
        merger.mesh(&name, mesh);
    }
    for rollout in declared.rollouts {
        let path = DocPath::root()
            .key("rollout")
            .index(merger.scenario.rollouts.len());
        merger.scenario.rollouts.push(rollout.value);
        merger.origins.push((path, rollout.place));
    }
    merger.origins
}

struct Merger<'a, 'l> {
    scenario: &'a mut Scenario,
    locator: &'a Locator<'l>,
    file: &'a str,
    reader: &'a Reader,
    origins: Origins,
}

impl Merger<'_, '_> {
    fn service(&mut self, name: &str, declared: DeclaredService) {
        let Some(index) = self.scenario.services.iter().position(|s| s.name == name) else {
            self.not_a_service(name, declared);
            return;
        };
        let path = DocPath::root().key("service").index(index);
        if let Some(replicas) = declared.replicas {
            self.set(
                &path.key("replicas"),
                replicas,
                |service, value| {
                    service.replicas = value;
                },
                index,
            );
        }
        if let Some(start_time) = declared.start_time {
            self.set(
                &path.key("start_time"),
                start_time,
                |service, value| {
                    service.start_time = Some(value);
                },
                index,
            );
        }
        if let Some(cores) = declared.cores {
            self.set(
                &path.key("cores"),
                cores,
                |service, value| {
                    service.cores = Some(value);
                },
                index,
            );
        }
        if let Some(autoscale) = declared.autoscale {
            self.set(
                &path.key("autoscale"),
                autoscale,
                |service, value| {
                    service.autoscale = Some(value);
                },
                index,
            );
        }
        if let Some(exposed) = declared.exposed {
            self.set(
                &path.key("exposed"),
                exposed,
                |service, value| {
                    service.exposed = value;
                },
                index,
            );
        }
        if let Some(depends_on) = declared.depends_on {
            self.set(
                &path.key("depends_on"),
                depends_on,
                |service, value| {
                    service.depends_on = value;
                },
                index,
            );
        }
        if let Some(networks) = declared.networks {
            self.set(
                &path.key("networks"),
                networks,
                |service, value| service.networks = Some(value),
                index,
            );
        }
        for (version, replicas) in declared.versions {
            self.version(index, &version, replicas);
        }
    }

    /// A name the TOML has no `[[service]]` for: a `[[store]]` standing for a Compose service
    /// takes its networks; a deployed service without behaviour is an error.
    fn not_a_service(&mut self, name: &str, declared: DeclaredService) {
        let store = self
            .scenario
            .stores
            .iter()
            .position(|store| store.name == name);
        if let Some(index) = store {
            if let Some(networks) = declared.networks {
                let path = DocPath::root().key("store").index(index).key("networks");
                if !self.conflicts(&path, &networks.place) {
                    self.scenario.stores[index].networks = Some(networks.value);
                    self.origins.push((path, networks.place));
                }
            }
            return;
        }
        if !declared.deployed {
            return;
        }
        let message = format!("`{name}` is deployed, but the scenario does not say what it does");
        let hint = format!(
            "add to {}: [[service]] name = \"{name}\", with its [[service.endpoint]]s (service time, calls)",
            self.file
        );
        let diagnostic = self
            .reader
            .at(&declared.place, Diagnostic::error("", message))
            .with_hint(hint);
        self.reader.push(diagnostic);
    }

    /// Sets a key of service `index` unless the TOML sets it too, which is an error.
    fn set<T>(
        &mut self,
        path: &DocPath,
        value: Sourced<T>,
        apply: impl FnOnce(&mut schema::Service, T),
        index: usize,
    ) {
        if self.conflicts(path, &value.place) {
            return;
        }
        apply(&mut self.scenario.services[index], value.value);
        self.origins.push((path.clone(), value.place));
    }

    /// Whether the TOML sets `path` too; if so, the error naming both places is recorded.
    fn conflicts(&self, path: &DocPath, place: &Place) -> bool {
        if !self.locator.exists(path.parts()) {
            return false;
        }
        let key = path.last_key();
        let mut diagnostic = self
            .reader
            .at(
                place,
                Diagnostic::error("", format!("`{key}` is set both here and in {}", self.file)),
            )
            .with_hint(format!(
                "say it in one place: delete `{key}` from {} (or from this file)",
                self.file
            ));
        if let Some(span) = self.locator.value_span(path.parts()) {
            diagnostic = diagnostic.with_also(
                crate::scenario::diagnostic::SourceSpan::new(self.file, span),
                "also set here",
            );
        }
        self.reader.push(diagnostic);
        true
    }

    fn version(&mut self, index: usize, name: &str, replicas: Sourced<u32>) {
        debug_assert_ne!(name, BASE_VERSION, "v1 is the service's own replicas");
        let service = &mut self.scenario.services[index];
        let path = DocPath::root().key("service").index(index).key("version");
        let existing = service
            .versions
            .iter()
            .position(|version| version.name == name);
        if let Some(position) = existing {
            let path = path.index(position).key("replicas");
            if self.conflicts(&path, &replicas.place) {
                return;
            }
            self.scenario.services[index].versions[position].replicas = Some(replicas.value);
            self.origins.push((path, replicas.place));
            return;
        }
        let position = service.versions.len();
        service.versions.push(schema::Version {
            name: name.to_owned(),
            replicas: Some(replicas.value),
            error_rate: None,
            service_time_factor: None,
            endpoints: Vec::new(),
        });
        self.origins.push((path.index(position), replicas.place));
    }

    fn mesh(&mut self, name: &str, mut declared: DeclaredMesh) {
        let path = DocPath::root().key("mesh").key(name);
        let is_host = self
            .scenario
            .services
            .iter()
            .any(|service| service.name == name)
            || self.scenario.stores.iter().any(|store| store.name == name);
        if !is_host {
            if let Some(place) = declared.places.values().next() {
                self.reader.warning(
                    place,
                    format!("`{name}` is no service of the scenario: this policy applies to nothing meshsim runs"),
                    "Istio accepts a host no Service has; calls to it would fail with 503, and the scenario makes none",
                );
            }
            return;
        }
        if let Some(excluded) = declared.allow_all_services_but.take() {
            let allowed = self
                .scenario
                .services
                .iter()
                .map(|service| service.name.clone())
                .filter(|service| !excluded.contains(service))
                .collect();
            declared.policy.allow_from = Some(allowed);
        }
        let policy = self.scenario.mesh.entry(name.to_owned()).or_default();
        let mut conflicts = Vec::new();
        let taken = merge_policy(policy, declared.policy, &mut conflicts);
        for key in conflicts {
            if let Some(place) = declared.places.get(key) {
                self.conflicts(&path.key(key), place);
            }
        }
        for key in &taken {
            if let Some(place) = declared.places.get(key) {
                self.origins.push((path.key(key), place.clone()));
            }
        }
        if taken.contains(&"route") {
            for (index, place) in declared.route_places.into_iter().enumerate() {
                self.origins.push((path.key("route").index(index), place));
            }
        }
    }
}

/// Fills `into` with what `from` sets, key by key; the keys both set go to `conflicts` and keep
/// the TOML's value. Returns the keys taken from `from`.
fn merge_policy(
    into: &mut schema::MeshPolicy,
    from: schema::MeshPolicy,
    conflicts: &mut Vec<&'static str>,
) -> Vec<&'static str> {
    let mut taken = Vec::new();
    macro_rules! take {
        ($($key:ident),*) => {$(
            if let Some(value) = from.$key {
                if into.$key.is_some() {
                    conflicts.push(stringify!($key));
                } else {
                    into.$key = Some(value);
                    taken.push(stringify!($key));
                }
            }
        )*};
    }
    take!(
        timeout,
        load_balancer,
        connection_pool,
        fault,
        rate_limit,
        allow_from,
        retries,
        outlier_detection,
        failure_accrual,
        circuit_breaker
    );
    if !from.route.is_empty() {
        if into.route.is_empty() {
            into.route = from.route;
            taken.push("route");
        } else {
            conflicts.push("route");
        }
    }
    taken
}
