//! Istio `DestinationRule` (networking.istio.io v1, v1beta1, v1alpha3; Istio 1.24): subsets, and
//! the host's `trafficPolicy` as `[mesh.SERVICE]`'s load balancer, connection pool and outlier
//! detection (<https://istio.io/v1.24/docs/reference/config/networking/destination-rule/>).
//!
//! A subset is a version: its `labels.version`. A per-subset `trafficPolicy` has no place in
//! meshsim, whose policies are per service: it is listed as not simulated, with a warning.

use indexmap::IndexMap;

use super::declared::{Declared, DeclaredMesh};
use super::kind::Kind;
use super::kubernetes::mark_identity;
use super::manifests::Manifest;
use super::reader::{Field, Reader};
use crate::scenario::schema::{ConnectionPool, LoadBalancer, OutlierDetection};

/// Subsets by (service, subset name): the version their labels select.
pub(crate) type Subsets = IndexMap<(String, String), String>;

/// A host as Istio writes it (`reviews`, `reviews.default.svc.cluster.local`) as meshsim's name.
pub(crate) fn service_of_host(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

pub(crate) fn translate(
    manifests: &[Manifest],
    reader: &Reader,
    declared: &mut Declared,
) -> Subsets {
    let mut subsets = Subsets::new();
    for manifest in manifests.iter().filter(|m| m.kind == Kind::DestinationRule) {
        let root = reader.field(manifest.file, &manifest.root);
        mark_identity(root);
        let Some(host) = root.at("spec.host").and_then(Field::text) else {
            continue;
        };
        let service = service_of_host(host).to_owned();
        for subset in root
            .at("spec.subsets")
            .map(Field::items)
            .unwrap_or_default()
        {
            let Some(name) = subset.get("name").and_then(Field::text) else {
                continue;
            };
            let version = subset
                .at("labels.version")
                .and_then(Field::text)
                .unwrap_or(name);
            subsets.insert((service.clone(), name.to_owned()), version.to_owned());
            if let Some(policy) = subset.get("trafficPolicy") {
                reader.warning(
                    &policy.place(),
                    format!("meshsim's policies are per service: subset `{name}`'s own traffic policy is not simulated"),
                    "move what matters to the rule's `trafficPolicy`, or simulate the versions as services of their own",
                );
            }
        }
        if let Some(policy) = root.at("spec.trafficPolicy") {
            let mesh = declared.mesh.entry(service).or_default();
            traffic_policy(policy, mesh);
        }
    }
    subsets
}

fn traffic_policy(policy: Field<'_>, mesh: &mut DeclaredMesh) {
    if let Some(simple) = policy.at("loadBalancer.simple") {
        let balancer = match simple.text() {
            Some("ROUND_ROBIN" | "UNSPECIFIED") => Some(LoadBalancer::RoundRobin),
            Some("LEAST_REQUEST" | "LEAST_CONN") => Some(LoadBalancer::LeastRequest),
            Some("RANDOM") => Some(LoadBalancer::Random),
            Some(other) => {
                simple.reader().error(
                    &simple.place(),
                    format!("`{other}` is not a load balancer Istio knows"),
                    "Istio's simple load balancers: ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH",
                );
                None
            }
            None => None,
        };
        if let Some(balancer) = balancer {
            mesh.policy.load_balancer = Some(balancer);
            mesh.set_place("load_balancer", simple.place());
        }
    }
    if let Some(pool) = policy.get("connectionPool") {
        let read = |path: &str| pool.at(path).and_then(|field| field.count(1_000_000_000));
        mesh.policy.connection_pool = Some(ConnectionPool {
            max_connections: read("tcp.maxConnections"),
            max_pending_requests: read("http.http1MaxPendingRequests"),
            max_requests: read("http.http2MaxRequests"),
            max_requests_per_connection: read("http.maxRequestsPerConnection"),
            max_retries: read("http.maxRetries"),
        });
        mesh.set_place("connection_pool", pool.place());
    }
    if let Some(outlier) = policy.get("outlierDetection") {
        mesh.policy.outlier_detection = Some(outlier_detection(outlier));
        mesh.set_place("outlier_detection", outlier.place());
    }
}

fn outlier_detection(field: Field<'_>) -> OutlierDetection {
    let count = |key: &str| field.get(key).and_then(|value| value.count(1_000_000));
    let duration = |key: &str| field.get(key).and_then(Field::duration);
    // `consecutiveErrors` is the deprecated spelling of `consecutive5xxErrors` (Istio 1.24's
    // reference marks it so); the new key wins when both are written.
    let consecutive_5xx = count("consecutive5xxErrors").or_else(|| count("consecutiveErrors"));
    OutlierDetection {
        consecutive_5xx,
        consecutive_gateway_failure: count("consecutiveGatewayErrors"),
        split_external_local_origin_errors: field
            .get("splitExternalLocalOriginErrors")
            .and_then(Field::boolean),
        consecutive_local_origin_failure: count("consecutiveLocalOriginFailures"),
        interval: duration("interval"),
        base_ejection_time: duration("baseEjectionTime"),
        max_ejection_percent: field.get("maxEjectionPercent").and_then(|v| v.real(100.0)),
        min_health_percent: field.get("minHealthPercent").and_then(|v| v.real(100.0)),
        ..OutlierDetection::default()
    }
}
