//! Conformance of the mesh: one test per semantic in ../shared/reference/mesh-semantics.md, each
//! a small simulation whose numbers follow from Envoy's, Istio's or opossum's documented
//! behaviour. `docs/mesh.md` maps every semantic to its test here (or to the unit test in
//! `models/src/policy/` that pins it at the level of one state machine).
//!
//! Every scenario here has constant 1 ms hops, so a request's latency is an exact sum of hops,
//! service times, back-offs and timeouts, and counts are exact where the semantics make them so.
//! Tests whose numbers do not depend on the tick run on both engines.

#[path = "../support/mod.rs"]
mod support;

mod balancing;
mod breaker;
mod outlier;
mod policies;
mod pool;
mod retries;
mod routes;
mod visible;

use meshsim::EngineKind;
use support::probe::{self, Row, Run, System};

/// The probe system (`support::probe::System`), its requests giving up after 10 s. The mesh is
/// a bare Envoy: every default is Envoy's own (no retries, round robin, a 15 s route
/// timeout), so each test writes what its mechanism needs. `tests/profiles.rs` holds what
/// Istio's and Linkerd's defaults change.
fn scenario(duration: &str, rate: u32, api: &str, extra: &str) -> String {
    System {
        mesh: "envoy",
        duration,
        rate: f64::from(rate),
        timeout: "10s",
        network: "",
        api,
        extra,
    }
    .text()
}

fn run_on(engine: EngineKind, source: &str) -> Run {
    probe::run_on(engine, "mesh.toml", source)
}

fn run(source: &str) -> Run {
    run_on(EngineKind::Event, source)
}

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// An endpoint that always fails with 500 after `service_time`.
fn failing(replicas: u32, service_time: &str) -> String {
    format!(
        "replicas = {replicas}\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
         service_time = {{ dist = \"const\", value = \"{service_time}\" }}\nerror_rate = 1.0\n"
    )
}

/// An endpoint that always succeeds after `service_time`.
fn healthy(replicas: u32, service_time: &str) -> String {
    format!(
        "replicas = {replicas}\nworkers = 100\nqueue = 100\n\n[[service.endpoint]]\nname = \"get\"\n\
         service_time = {{ dist = \"const\", value = \"{service_time}\" }}\n"
    )
}
