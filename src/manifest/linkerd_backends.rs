//! An HTTPRoute rule's `backendRefs` as weights over the parent Service's versions: Linkerd's
//! traffic split (<https://linkerd.io/2-edge/tasks/traffic-shifting/>) sends a share of the
//! parent's calls to each backend Service, each with a balancer of its own.
//!
//! meshsim's routes split among versions of one service, so a backend Service is a version of
//! the parent when its `spec.selector` has a `version` label: that label's value is the version
//! (the Deployments it selects are that version's, `kubernetes.rs`). The parent Service itself
//! is the whole service when it is the only backend, and its `v1` in a split. Any other Service
//! is another service: a warning, and no share.

use indexmap::IndexMap;

use super::declared::{Declared, DeclaredService, Sourced};
use super::kind::Kind;
use super::manifests::Manifest;
use super::reader::{Field, Reader};
use crate::scenario::Real;

/// Gateway API's largest backend weight (`HTTPBackendRef.weight`, maximum 1,000,000).
const WEIGHT_MAX: u32 = 1_000_000;

/// The `version` label of each Service's selector, by Service name.
pub(crate) struct Backends {
    versions: IndexMap<String, Option<String>>,
}

impl Backends {
    pub(crate) fn read(manifests: &[Manifest], reader: &Reader) -> Backends {
        let mut versions = IndexMap::new();
        for manifest in manifests.iter().filter(|m| m.kind == Kind::Service) {
            let root = reader.field(manifest.file, &manifest.root);
            let version = root
                .at("spec.selector.version")
                .and_then(|field| field.node.text())
                .map(str::to_owned);
            versions.insert(manifest.name.clone(), version);
        }
        Backends { versions }
    }

    /// The rule's backends as percentages over `service`'s versions; the whole service (empty
    /// or one version) without backends or with the parent as the only one.
    pub(crate) fn weights(
        &self,
        service: &str,
        rule: Field<'_>,
        declared: &mut Declared,
    ) -> IndexMap<String, Real> {
        let refs = rule
            .get("backendRefs")
            .map(Field::items)
            .unwrap_or_default();
        let mut weights: Vec<(String, u32)> = Vec::new();
        for backend in &refs {
            let kind = backend
                .get("kind")
                .and_then(Field::text)
                .unwrap_or("Service");
            if let Some(group) = backend.get("group") {
                group.mark();
            }
            if let Some(port) = backend.get("port") {
                port.mark();
            }
            let Some(name) = backend.get("name").and_then(Field::text) else {
                continue;
            };
            // Gateway API's default weight is 1.
            let weight = backend
                .get("weight")
                .map_or(Some(1), |field| field.count(WEIGHT_MAX))
                .unwrap_or(0);
            if kind != "Service" {
                backend.reader().warning(
                    &backend.place(),
                    format!("a `{kind}` backend is not simulated: meshsim routes to Services"),
                    "",
                );
                continue;
            }
            let Some(version) = self.version_of(service, name, *backend, refs.len(), declared)
            else {
                continue;
            };
            if weight > 0 {
                weights.push((version, weight));
            }
        }
        if weights.len() <= 1 && refs.len() <= 1 {
            return match weights.pop() {
                Some((version, _)) if version != "v1" => IndexMap::from([(version, Real(100.0))]),
                _ => IndexMap::new(),
            };
        }
        percentages(&weights)
    }

    /// The version of `service` that backend Service `name` is, if it is one.
    fn version_of(
        &self,
        service: &str,
        name: &str,
        backend: Field<'_>,
        backends: usize,
        declared: &mut Declared,
    ) -> Option<String> {
        let label = self.versions.get(name).cloned().flatten();
        if name == service {
            if backends == 1 {
                // The whole service: every version's instances, as without backends.
                return Some("v1".to_owned());
            }
            return Some(label.unwrap_or_else(|| "v1".to_owned()));
        }
        let Some(version) = label else {
            backend.reader().warning(
                &backend.place(),
                format!("`{name}` is not a version of `{service}`: meshsim routes the calls to `{service}` only among its own versions"),
                "give `{name}`'s selector a `version` label of `{service}`'s Deployments, or call it from the TOML",
            );
            return None;
        };
        let entry = declared
            .services
            .entry(service.to_owned())
            .or_insert_with(|| DeclaredService::new(backend.place()));
        if version != "v1" && !entry.versions.contains_key(&version) {
            backend.reader().warning(
                &backend.place(),
                format!("no included Deployment of `{service}` has the label version: {version}"),
                "Linkerd accepts it; traffic sent to the backend fails, in meshsim as in Linkerd",
            );
            entry
                .versions
                .insert(version.clone(), Sourced::new(0, backend.place()));
        }
        Some(version)
    }
}

/// The whole service as weights over its versions, by their instances (a route in meshsim
/// always names its versions; without a route calls spread over every instance the same way).
pub(crate) fn whole_service(service: &str, declared: &Declared) -> IndexMap<String, Real> {
    let Some(entry) = declared.services.get(service) else {
        return IndexMap::from([("v1".to_owned(), Real(100.0))]);
    };
    let own = entry.replicas.as_ref().map_or(1, |replicas| replicas.value);
    let mut instances = vec![("v1".to_owned(), own)];
    instances.extend(
        entry
            .versions
            .iter()
            .map(|(version, replicas)| (version.clone(), replicas.value)),
    );
    if instances.iter().all(|(_, count)| *count == 0) {
        return IndexMap::from([("v1".to_owned(), Real(100.0))]);
    }
    percentages(&instances)
}

/// Weights over versions, as percentages of `weights` (Gateway API's relative weights).
pub(crate) fn percentages(weights: &[(String, u32)]) -> IndexMap<String, Real> {
    let total: u64 = weights.iter().map(|(_, weight)| u64::from(*weight)).sum();
    let mut shares: IndexMap<String, Real> = IndexMap::new();
    for (version, weight) in weights {
        #[allow(clippy::cast_precision_loss)]
        let share = f64::from(*weight) * 100.0 / total.max(1) as f64;
        shares
            .entry(version.clone())
            .and_modify(|sum| sum.0 += share)
            .or_insert(Real(share));
    }
    shares
}
