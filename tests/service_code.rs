//! A service written as async Rust code runs inside a scenario on its turmoil hosts, behind
//! the callers' sidecars.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use meshsim::scenario::{load_file, load_str};
use meshsim::{AsyncService, IncomingRequest, ServiceCode, simulate_with_code};
use meshsim_record::RecorderOutputs;

/// Slow (80 ms) on every tenth request, 503 on request 7 of every fifty.
struct Inventory;

impl AsyncService for Inventory {
    fn call(&self, request: IncomingRequest) -> Pin<Box<dyn Future<Output = u16>>> {
        Box::pin(async move {
            assert_eq!(request.endpoint, "GET /stock");
            let slow = request.trace.is_multiple_of(10);
            tokio::time::sleep(Duration::from_millis(if slow { 80 } else { 4 })).await;
            if request.trace % 50 == 7 { 503 } else { 200 }
        })
    }
}

#[test]
fn user_code_answers_and_the_mesh_times_it_out() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/async-service.toml");
    let loaded = load_file(&path).unwrap();
    let code = ServiceCode::new().with("inventory", Inventory);
    let run = || {
        simulate_with_code(
            loaded.resolved(),
            5,
            RecorderOutputs::default(),
            &code,
            &mut |_, _| {},
        )
        .unwrap()
    };
    let simulation = run();
    let summary = &simulation.summary;
    assert!(summary.accounting.ok);
    assert_eq!(simulation.info.engine, "turmoil");
    let counts = summary.workloads["shoppers"].requests;
    let sent = counts.sent as f64;
    // Every tenth request takes 80 ms, past the frontend's 30 ms route timeout; one in fifty
    // is answered 503. The trace id is the request's number, so the counts are exact but for
    // the requests still in flight at the end.
    let slack = counts.in_flight as f64 + 1.0;
    assert!(
        (counts.timed_out as f64 - (sent / 10.0).floor()).abs() <= slack,
        "{counts:?}"
    );
    assert!(
        (counts.failed as f64 - ((sent - 7.0) / 50.0).floor() - 1.0).abs() <= slack,
        "{counts:?}"
    );
    let failures = &summary.workloads["shoppers"].failures;
    assert!(
        failures.contains_key("route_timeout at inventory"),
        "{failures:?}"
    );
    assert!(failures.contains_key("error at inventory"), "{failures:?}");
    // The code's own latency: 4 ms for the fast queries, measured at the service.
    let inventory = &summary.services["inventory"];
    assert!(
        (inventory.latency_ms.p50 - 4.0).abs() < 1.0,
        "{:?}",
        inventory.latency_ms
    );
    // And it replays.
    assert_eq!(run().summary.digest, summary.digest);
}

#[test]
fn code_cannot_be_crashed_by_a_fault() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/async-service.toml");
    let source = std::fs::read_to_string(path).unwrap()
        + "\n[[fault]]\nat = \"5s\"\nkind = \"crash\"\ntarget = \"inventory/1\"\n";
    let loaded = load_str("async-service.toml", &source).unwrap();
    let code = ServiceCode::new().with("inventory", Inventory);
    let error = simulate_with_code(
        loaded.resolved(),
        5,
        RecorderOutputs::default(),
        &code,
        &mut |_, _| {},
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(error.contains("inventory"), "{error}");
    let unknown = ServiceCode::new().with("nowhere", Inventory);
    assert!(
        simulate_with_code(
            loaded.resolved(),
            5,
            RecorderOutputs::default(),
            &unknown,
            &mut |_, _| {}
        )
        .is_err()
    );
}
