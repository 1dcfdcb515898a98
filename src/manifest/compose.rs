//! A Docker Compose file (the Compose Specification,
//! <https://github.com/compose-spec/compose-spec/blob/main/spec.md>) as meshsim's services: which
//! run, how many instances, which take traffic from outside, what they wait for at start, and
//! which networks they share. `docs/include.md` ("Compose") has the table of fields.
//!
//! - `services.NAME` is a deployed service NAME (spec: "Services top-level elements").
//! - `deploy.replicas`, or `scale`, is its `replicas` (spec: `deploy`, `scale`); Compose refuses
//!   the two set to different values, and so does meshsim.
//! - `ports` publishes container ports on the host, which is where a workload's client stands:
//!   a service with `ports` is `exposed`, one without is not (spec: `ports`; `expose` publishes
//!   nothing).
//! - `depends_on` with `condition: service_healthy` is meshsim's `depends_on`: an instance is
//!   ready once the dependency takes calls. `service_started` (the short list's condition) only
//!   orders the starts, which meshsim makes all at time zero, so it waits for nothing; and
//!   `service_completed_successfully` waits for a one-shot container to exit, which meshsim does
//!   not run (a warning).
//! - `healthcheck`: Docker runs the first check `interval` (30 s by default) after the container
//!   starts, or `start_interval` after it during a `start_period`, and the container is healthy
//!   at the first check that succeeds (<https://docs.docker.com/reference/dockerfile/#healthcheck>).
//!   meshsim's first check succeeds: that delay is the `start_time`.
//! - `networks`: a service reaches only services on one of its networks (`default` when it names
//!   none), since Docker's DNS resolves a name only on a network both share (spec: `networks`).
//!   A TOML call between services that share none is a warning naming both and their networks;
//!   meshsim lets the call through (the docs say so).

use indexmap::IndexMap;

use super::declared::{Declared, DeclaredService, Sourced};
use super::kind::Kind;
use super::manifests::Manifest;
use super::reader::{Field, Place, Reader};
use super::yaml::Value;
use crate::scenario::Duration;
use crate::scenario::schema::Scenario;

/// Instances of one service: meshsim builds each one, so a typo is bounded.
const REPLICAS_MAX: u32 = 1_000;
/// Docker's health check defaults (`docker run --help`, Dockerfile reference).
const INTERVAL_DEFAULT: Duration = Duration::from_secs(30);
/// The network a service joins when it names none (spec: "default" network).
const DEFAULT_NETWORK: &str = "default";

/// A Compose service's networks, with where they are written.
struct Networks {
    names: Vec<String>,
    place: Place,
}

/// Every Compose file's services, then the calls the TOML makes across networks.
pub(crate) fn translate(
    manifests: &[Manifest],
    reader: &Reader,
    declared: &mut Declared,
    scenario: Option<&Scenario>,
) {
    for manifest in manifests.iter().filter(|m| m.kind == Kind::Compose) {
        let root = reader.field(manifest.file, &manifest.root);
        // The spec calls `version` obsolete and informative only: Compose ignores it.
        if let Some(version) = root.get("version") {
            version.mark();
        }
        let defined = defined_networks(root);
        let Some(services) = root.get("services") else {
            continue;
        };
        let names: Vec<&str> = services.entries().iter().map(|(name, _)| *name).collect();
        let mut networks = IndexMap::new();
        for (name, service) in services.entries() {
            let mut declared_service = read_service(service, &names, reader);
            let joined = service_networks(service, &defined, reader);
            declared_service.networks =
                Some(Sourced::new(joined.names.clone(), joined.place.clone()));
            declared.services.insert(name.to_owned(), declared_service);
            networks.insert(name.to_owned(), joined);
        }
        if let Some(scenario) = scenario {
            across_networks(scenario, &networks, reader);
        }
    }
}

/// The names of the file's top-level `networks`; each network's own settings (`driver`) are
/// left unread, so they are listed as not simulated one by one.
fn defined_networks(root: Field<'_>) -> Vec<String> {
    let Some(networks) = root.get("networks") else {
        return Vec::new();
    };
    networks.touch();
    networks
        .entries()
        .into_iter()
        .map(|(name, value)| {
            value.touch();
            name.to_owned()
        })
        .collect()
}

fn read_service(service: Field<'_>, names: &[&str], reader: &Reader) -> DeclaredService {
    service.touch();
    let mut declared = DeclaredService::new(service.place());
    declared.deployed = true;
    declared.replicas = replicas(service, reader);
    let ports = service.get("ports");
    let published = ports.is_some_and(|ports| !ports.items().is_empty());
    if let Some(ports) = ports {
        ports.mark();
    }
    let place = ports.map_or(service.place(), Field::place);
    declared.exposed = Some(Sourced::new(published, place));
    declared.depends_on = depends_on(service, names, reader);
    declared.start_time = start_time(service);
    declared
}

/// `deploy.replicas` or `scale`; both set and different is Compose's own error.
fn replicas(service: Field<'_>, reader: &Reader) -> Option<Sourced<u32>> {
    let read = |field: Field<'_>| {
        field
            .count(REPLICAS_MAX)
            .map(|count| Sourced::new(count, field.place()))
    };
    let from_deploy = service.at("deploy.replicas").and_then(read);
    let from_scale = service.get("scale").and_then(read);
    match (from_deploy, from_scale) {
        (Some(deploy), Some(scale)) if deploy.value != scale.value => {
            reader.error(
                &scale.place,
                format!(
                    "`scale` is {} but `deploy.replicas` is {}",
                    scale.value, deploy.value
                ),
                "docker compose refuses distinct values: keep one of the two",
            );
            Some(deploy)
        }
        (deploy, scale) => deploy.or(scale),
    }
}

/// The dependencies an instance waits for: those with `condition: service_healthy`.
fn depends_on(service: Field<'_>, names: &[&str], reader: &Reader) -> Option<Sourced<Vec<String>>> {
    let field = service.get("depends_on")?;
    let mut waits = Vec::new();
    let known = |name: &str, place: Place| {
        let found = names.contains(&name);
        if !found {
            reader.error(
                &place,
                format!("depends on `{name}`, which is no service of this file"),
                "docker compose refuses a dependency on an undefined service; check the name",
            );
        }
        found
    };
    if let Value::Seq(_) = field.node.value {
        // The short syntax: `service_started`, an order of start only.
        for item in field.items() {
            if let Some(name) = item.text() {
                known(name, item.place());
            }
        }
        return None;
    }
    for (name, entry) in field.entries() {
        entry.touch();
        let key = field
            .node
            .entry(name)
            .map_or(entry.place(), |(key, _)| Place {
                file: field.file,
                span: key.span.clone(),
            });
        if !known(name, key) {
            continue;
        }
        let condition = entry.get("condition");
        match condition.and_then(Field::text).unwrap_or("service_started") {
            "service_started" => {}
            "service_healthy" => waits.push(name.to_owned()),
            "service_completed_successfully" => reader.warning(
                &condition.map_or(entry.place(), Field::place),
                format!("meshsim runs no one-shot container: it does not wait for `{name}` to exit"),
                "the dependent starts at time zero, as if the dependency had already run to completion",
            ),
            other => reader.error(
                &condition.map_or(entry.place(), Field::place),
                format!("`{other}` is not a condition of `depends_on`"),
                "write service_started, service_healthy or service_completed_successfully",
            ),
        }
    }
    (!waits.is_empty()).then(|| Sourced::new(waits, field.place()))
}

/// The delay to the first health check, which meshsim's instance passes.
fn start_time(service: Field<'_>) -> Option<Sourced<Duration>> {
    let check = service.get("healthcheck")?;
    if let Some(disable) = check.get("disable")
        && disable.boolean() == Some(true)
    {
        return None;
    }
    if let Some(test) = check.get("test") {
        let none = match &test.node.value {
            Value::Seq(items) => items.first().and_then(|n| n.text()) == Some("NONE"),
            _ => false,
        };
        // meshsim's instance passes its first check, whatever the command.
        test.mark();
        if none {
            return None;
        }
    }
    let during_start = check
        .get("start_period")
        .and_then(Field::duration)
        .is_some_and(|period| period > Duration::ZERO);
    let start_interval = check.get("start_interval");
    if during_start && let Some(field) = start_interval {
        return field
            .duration()
            .map(|delay| Sourced::new(delay, field.place()));
    }
    match check.get("interval") {
        Some(field) => field
            .duration()
            .map(|delay| Sourced::new(delay, field.place())),
        None => Some(Sourced::new(INTERVAL_DEFAULT, check.place())),
    }
}

/// `networks` as a list or a map of names, each declared at the top level (or `default`).
fn service_networks(service: Field<'_>, defined: &[String], reader: &Reader) -> Networks {
    let Some(field) = service.get("networks") else {
        return Networks {
            names: vec![DEFAULT_NETWORK.to_owned()],
            place: service.place(),
        };
    };
    let mut names = Vec::new();
    let mut add = |name: &str, place: Place| {
        if name != DEFAULT_NETWORK && !defined.iter().any(|known| known == name) {
            reader.error(
                &place,
                format!("the service joins network `{name}`, which the file does not declare"),
                "docker compose refuses an undefined network: add it under the top-level `networks`",
            );
        }
        names.push(name.to_owned());
    };
    if let Value::Seq(_) = field.node.value {
        for item in field.items() {
            if let Some(name) = item.text() {
                add(name, item.place());
            }
        }
    } else {
        for (name, settings) in field.entries() {
            settings.touch();
            add(name, settings.place());
        }
    }
    Networks {
        names,
        place: field.place(),
    }
}

/// Warns of each TOML call from one Compose service to another that shares no network with it.
fn across_networks(scenario: &Scenario, networks: &IndexMap<String, Networks>, reader: &Reader) {
    let mut warned: Vec<(&str, &str)> = Vec::new();
    for service in &scenario.services {
        let Some(from) = networks.get(&service.name) else {
            continue;
        };
        let own = service.endpoints.iter().map(|e| e.calls.as_slice());
        let versions = service.versions.iter().flat_map(|v| v.endpoints.iter());
        let entries = own.chain(versions.filter_map(|e| e.calls.as_deref()));
        for calls in entries {
            for call in calls.iter().flat_map(|entry| entry.calls()) {
                let Some(callee) = call.service.as_deref().or(call.store.as_deref()) else {
                    continue;
                };
                let Some(to) = networks.get(callee) else {
                    continue;
                };
                let shared = from.names.iter().any(|name| to.names.contains(name));
                if shared || warned.contains(&(service.name.as_str(), callee)) {
                    continue;
                }
                warned.push((service.name.as_str(), callee));
                reader.warning(
                    &from.place,
                    format!(
                        "`{}` (networks: {}) calls `{callee}` (networks: {}), but they share no network",
                        service.name,
                        from.names.join(", "),
                        to.names.join(", ")
                    ),
                    "Docker's DNS does not resolve the name there, so the call fails at once, and meshsim refuses it (connection_refused): put both on a common network",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
