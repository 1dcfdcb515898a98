//! Istio `AuthorizationPolicy` and `PeerAuthentication` (security.istio.io v1, v1beta1; Istio
//! 1.24) as `[mesh.SERVICE] allow_from`: who may call a service.
//!
//! - An `ALLOW` policy (the default action) on a workload lets only the sources its rules name
//!   call it; with no rules it allows nobody
//!   (<https://istio.io/v1.24/docs/reference/config/security/authorization-policy/>). A `DENY`
//!   policy lets every service call but the ones it names. Sources are `principals`
//!   (`cluster.local/ns/NAMESPACE/sa/ACCOUNT`: the services whose Deployments run as that service
//!   account) and `namespaces` (every service there).
//! - `PeerAuthentication` `mtls.mode: STRICT` refuses plain-text callers: in meshsim the only
//!   callers without a sidecar are the workloads, so a STRICT service lets every service call
//!   and no workload (<https://istio.io/v1.24/docs/reference/config/security/peer_authentication/>).
//!   Istio resets such a connection; meshsim answers it 403 `denied` (a simplification).
//!
//! Rules with `to` (paths, methods) or `when` are not simulated: the policy applies to every
//! request, with a warning.

use indexmap::IndexMap;

use super::declared::Declared;
use super::kind::Kind;
use super::kubernetes::mark_identity;
use super::manifests::Manifest;
use super::reader::{Field, Reader};

pub(crate) fn translate(manifests: &[Manifest], reader: &Reader, declared: &mut Declared) {
    let accounts = service_accounts(manifests, reader);
    let namespaces = namespaces(manifests);
    for manifest in manifests
        .iter()
        .filter(|m| m.kind == Kind::PeerAuthentication)
    {
        peer_authentication(manifest, reader, declared, &namespaces);
    }
    for manifest in manifests
        .iter()
        .filter(|m| m.kind == Kind::AuthorizationPolicy)
    {
        authorization(manifest, reader, declared, &accounts, &namespaces);
    }
}

/// The service each Deployment's service account runs, by `(namespace, account)`.
fn service_accounts(
    manifests: &[Manifest],
    reader: &Reader,
) -> IndexMap<(String, String), Vec<String>> {
    let mut accounts: IndexMap<(String, String), Vec<String>> = IndexMap::new();
    for manifest in manifests
        .iter()
        .filter(|m| matches!(m.kind, Kind::Deployment | Kind::StatefulSet))
    {
        let root = reader.field(manifest.file, &manifest.root);
        let Some(account) = root
            .at("spec.template.spec.serviceAccountName")
            .and_then(Field::text)
        else {
            continue;
        };
        let app = root
            .at("spec.template.metadata.labels.app")
            .and_then(|field| field.node.text())
            .unwrap_or(&manifest.name);
        accounts
            .entry((manifest.namespace.clone(), account.to_owned()))
            .or_default()
            .push(app.to_owned());
    }
    accounts
}

/// The services of each namespace.
fn namespaces(manifests: &[Manifest]) -> IndexMap<String, Vec<String>> {
    let mut namespaces: IndexMap<String, Vec<String>> = IndexMap::new();
    for manifest in manifests.iter().filter(|m| m.kind == Kind::Service) {
        namespaces
            .entry(manifest.namespace.clone())
            .or_default()
            .push(manifest.name.clone());
    }
    namespaces
}

/// The services a policy's `selector.matchLabels.app` picks; the whole namespace without one.
fn targets(
    root: Field<'_>,
    manifest: &Manifest,
    namespaces: &IndexMap<String, Vec<String>>,
) -> Vec<String> {
    match root
        .at("spec.selector.matchLabels.app")
        .and_then(Field::text)
    {
        Some(app) => vec![app.to_owned()],
        None if manifest.namespace == "istio-system" => {
            namespaces.values().flatten().cloned().collect()
        }
        None => namespaces
            .get(&manifest.namespace)
            .cloned()
            .unwrap_or_default(),
    }
}

fn peer_authentication(
    manifest: &Manifest,
    reader: &Reader,
    declared: &mut Declared,
    namespaces: &IndexMap<String, Vec<String>>,
) {
    let root = reader.field(manifest.file, &manifest.root);
    mark_identity(root);
    let Some(mode) = root.at("spec.mtls.mode") else {
        return;
    };
    if mode.text() != Some("STRICT") {
        return;
    }
    for target in targets(root, manifest, namespaces) {
        let mesh = declared.mesh.entry(target).or_default();
        if mesh.policy.allow_from.is_none() && mesh.allow_all_services_but.is_none() {
            mesh.allow_all_services_but = Some(Vec::new());
            mesh.set_place("allow_from", mode.place());
        }
    }
}

fn authorization(
    manifest: &Manifest,
    reader: &Reader,
    declared: &mut Declared,
    accounts: &IndexMap<(String, String), Vec<String>>,
    namespaces: &IndexMap<String, Vec<String>>,
) {
    let root = reader.field(manifest.file, &manifest.root);
    mark_identity(root);
    let action = root
        .at("spec.action")
        .and_then(Field::text)
        .unwrap_or("ALLOW");
    if !matches!(action, "ALLOW" | "DENY") {
        return;
    }
    let mut named: Vec<String> = Vec::new();
    for rule in root.at("spec.rules").map(Field::items).unwrap_or_default() {
        if let Some(limited) = rule.get("to").or_else(|| rule.get("when")) {
            reader.warning(
                &limited.place(),
                "meshsim applies an authorization policy to every request: its `to` and `when` are not simulated",
                "",
            );
        }
        for source in rule.get("from").map(Field::items).unwrap_or_default() {
            sources(source, accounts, namespaces, &mut named);
        }
    }
    named.dedup();
    let mut unique: Vec<String> = Vec::new();
    for service in named {
        if !unique.contains(&service) {
            unique.push(service);
        }
    }
    let named = unique;
    for target in targets(root, manifest, namespaces) {
        let mesh = declared.mesh.entry(target).or_default();
        if action == "ALLOW" {
            mesh.policy.allow_from = Some(named.clone());
            mesh.allow_all_services_but = None;
        } else {
            mesh.policy.allow_from = None;
            mesh.allow_all_services_but = Some(named.clone());
        }
        mesh.places.shift_remove("allow_from");
        mesh.set_place(
            "allow_from",
            root.get("spec").map_or(root.place(), Field::place),
        );
    }
}

fn sources(
    source: Field<'_>,
    accounts: &IndexMap<(String, String), Vec<String>>,
    namespaces: &IndexMap<String, Vec<String>>,
    named: &mut Vec<String>,
) {
    for principal in source
        .at("source.principals")
        .map(Field::items)
        .unwrap_or_default()
    {
        let Some(text) = principal.text() else {
            continue;
        };
        // cluster.local/ns/NAMESPACE/sa/ACCOUNT
        let parts: Vec<&str> = text.split('/').collect();
        if let [_, "ns", namespace, "sa", account] = parts.as_slice() {
            let key = ((*namespace).to_owned(), (*account).to_owned());
            named.extend(accounts.get(&key).into_iter().flatten().cloned());
        }
    }
    for namespace in source
        .at("source.namespaces")
        .map(Field::items)
        .unwrap_or_default()
    {
        if let Some(name) = namespace.text() {
            named.extend(namespaces.get(name).into_iter().flatten().cloned());
        }
    }
}
