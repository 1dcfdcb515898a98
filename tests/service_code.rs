//! Real Rust services inside the simulated mesh: axum apps and hyper-style services as service
//! versions on the turmoil engine, behind their sidecars, calling the rest of the system
//! through them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use meshsim::{EngineKind, MeshClient, MeshTest, MeshTestError, Outcome};

#[path = "../examples/async_service/inventory.rs"]
mod inventory;
#[path = "../examples/messages_backend/app.rs"]
mod messages_backend;
#[path = "../examples/retry_amplification/app.rs"]
mod retry_amplification;

fn file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// The messages demo with its backend as the axum app of `examples/messages_backend`.
fn messages_with_code(source: Option<&str>) -> MeshTest {
    let test = match source {
        Some(source) => MeshTest::from_toml("messages.toml", source).unwrap(),
        None => MeshTest::from_file(file("scenarios/messages.toml")).unwrap(),
    };
    test.with_service("backend", "v1", messages_backend::backend)
        .with_request_body(
            "backend",
            "POST /api/messages",
            "application/json",
            r#"{"message":"hello"}"#,
        )
}

fn failures_at(outcome: &Outcome, workload: &str, group: &str) -> u64 {
    outcome.summary().workloads[workload]
        .failures
        .iter()
        .filter(|(reason, _)| reason.ends_with(&format!(" at {group}")))
        .map(|(_, count)| *count)
        .sum()
}

#[test]
fn the_messages_backend_as_axum_meets_the_scenarios_expectations() {
    // `check` runs twice and compares the digests, and fails on any expectation.
    let outcome = messages_with_code(None).check();
    assert_eq!(outcome.simulation.info.engine, "turmoil");
    // The headline says what ran as code, as the report's facts do.
    insta::assert_snapshot!(outcome.table().lines().next().unwrap());
    // The writers' LPUSHes reached the store through the code and its sidecar.
    let list = outcome.summary().stores["redis"]["list_length"];
    assert!((1900..=2300).contains(&list), "{list}");
}

#[test]
fn when_redis_crashes_the_backends_users_get_its_500_at_once() {
    let source = std::fs::read_to_string(file("scenarios/messages.toml")).unwrap();
    let crashed = messages_with_code(Some(&source)).run().unwrap();
    let fault = source.find("[[fault]]").unwrap();
    let end = fault + source[fault..].find("[[expect]]").unwrap();
    let calm_source = format!("{}{}", &source[..fault], &source[end..]);
    let calm = messages_with_code(Some(&calm_source)).run().unwrap();
    // Without the crash, nothing fails at redis; with it, the readers' calls of its 15 s
    // down (80 a second) fail there, each through the code's `res.status(500)`, plus the
    // control plane's moment to notice the restart.
    assert_eq!(failures_at(&calm, "readers", "redis"), 0);
    let at_redis = failures_at(&crashed, "readers", "redis");
    assert!((1100..=1450).contains(&at_redis), "{at_redis}");
    let readers = &crashed.summary().workloads["readers"];
    assert!(
        readers.failures.contains_key("connection_refused at redis"),
        "the first calls find the crashed process: {:?}",
        readers.failures
    );
    assert!(
        readers.failures.contains_key("load_shed at redis"),
        "then Linkerd fails fast: {:?}",
        readers.failures
    );
    // Nothing waits for the client's 5 s timeout: refused, failed fast, shed.
    assert_eq!(readers.requests.timed_out, 0);
    // The backend answered every failure itself, with the app's 500.
    let backend = &crashed.summary().services["backend"];
    assert!(
        backend.requests.failed >= at_redis,
        "{:?}",
        backend.requests
    );
}

#[test]
fn the_code_and_the_model_tell_the_same_story() {
    let code = messages_with_code(None).run().unwrap();
    let model = MeshTest::from_file(file("scenarios/messages.toml"))
        .unwrap()
        .engine(EngineKind::Turmoil)
        .run()
        .unwrap();
    for workload in ["readers", "writers", "visitors", "outsider"] {
        let (code_rate, model_rate) = (
            code.summary().workloads[workload].success_rate.unwrap(),
            model.summary().workloads[workload].success_rate.unwrap(),
        );
        assert!(
            (code_rate - model_rate).abs() < 0.005,
            "{workload}: {code_rate} with the code, {model_rate} with the model"
        );
    }
    // The code does no work of its own (the model's backend spends about a millisecond on
    // each request), so it answers sooner.
    let (code_p99, model_p99) = (
        code.summary().services["backend"].latency_ms.p99,
        model.summary().services["backend"].latency_ms.p99,
    );
    assert!(code_p99 < model_p99, "{code_p99} {model_p99}");
}

/// Payment requests per failed order, with `checkout` as the code or as its model.
fn payment_requests_per_failed_order(with_code: bool) -> f64 {
    let mut test = MeshTest::from_file(file("examples/retry-amplification.toml"))
        .unwrap()
        .engine(EngineKind::Turmoil);
    if with_code {
        test = test.with_service("checkout", "v1", retry_amplification::checkout);
    }
    let outcome = test.check();
    let orders = &outcome.summary().workloads["orders"].requests;
    let payment = outcome.summary().services["payment"].requests.received;
    assert!(orders.failed > 600, "{orders:?}");
    (payment - orders.succeeded) as f64 / orders.failed as f64
}

#[test]
fn retries_in_the_code_multiply_with_the_meshs() {
    // The mesh alone: three tries of each call while the bank is down.
    let mesh_only = payment_requests_per_failed_order(false);
    assert!((mesh_only - 3.0).abs() < 0.05, "{mesh_only}");
    // The code's three tries, each the mesh's three: nine (a few orders at the edges of the
    // outage fail some tries and not others).
    let both = payment_requests_per_failed_order(true);
    let tries = f64::from(retry_amplification::TRIES);
    assert!((both - tries * mesh_only).abs() < 0.3, "{both}");
}

#[test]
fn a_hyper_service_answers_and_the_mesh_times_it_out() {
    let outcome = MeshTest::from_file(file("examples/async-service.toml"))
        .unwrap()
        .with_service("inventory", "v1", inventory::inventory)
        .check();
    let counts = &outcome.summary().workloads["shoppers"].requests;
    let sent = counts.sent as f64;
    // Two instances share the requests, each counting its own: a tenth of them slow (past
    // the frontend's 30 ms route timeout), one in fifty a 503.
    let slack = counts.in_flight as f64 + 4.0;
    assert!(
        (counts.timed_out as f64 - sent / 10.0).abs() <= slack,
        "{counts:?}"
    );
    assert!(
        (counts.failed as f64 - sent / 50.0).abs() <= slack,
        "{counts:?}"
    );
    let failures = &outcome.summary().workloads["shoppers"].failures;
    assert!(
        failures.contains_key("route_timeout at inventory"),
        "{failures:?}"
    );
    assert!(failures.contains_key("error at inventory"), "{failures:?}");
    // The code's own time, measured at the service: 4 ms for the fast queries.
    let latency = &outcome.summary().services["inventory"].latency_ms;
    assert!((latency.p50 - 4.0).abs() < 1.0, "{latency:?}");
}

#[test]
fn the_event_engine_refuses_code_and_names_the_engine_to_use() {
    let error = MeshTest::from_file(file("examples/async-service.toml"))
        .unwrap()
        .with_service("inventory", "v1", inventory::inventory)
        .engine(EngineKind::Event)
        .run()
        .expect_err("refused");
    assert!(matches!(error, MeshTestError::CodeNeedsTurmoil { .. }));
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn what_the_scenario_does_not_have_is_refused_by_name() {
    let refusal = |test: MeshTest| test.run().expect_err("refused").to_string();
    let scenario = || MeshTest::from_file(file("examples/async-service.toml")).unwrap();
    insta::assert_snapshot!(
        "no_such_service",
        refusal(scenario().with_service("nowhere", "v1", inventory::inventory))
    );
    insta::assert_snapshot!(
        "no_such_version",
        refusal(scenario().with_service("inventory", "v2", inventory::inventory))
    );
    insta::assert_snapshot!(
        "no_such_endpoint_for_a_body",
        refusal(
            scenario()
                .with_service("inventory", "v1", inventory::inventory)
                .with_request_body("inventory", "POST /stock", "text/plain", "1")
        )
    );
    let source = std::fs::read_to_string(file("examples/async-service.toml")).unwrap()
        + "\n[[fault]]\nat = \"5s\"\nkind = \"crash\"\ntarget = \"inventory/1\"\nrestart_after = \"1s\"\n";
    let crashing = MeshTest::from_toml("async-service.toml", &source)
        .unwrap()
        .with_service("inventory", "v1", inventory::inventory);
    insta::assert_snapshot!("a_crash_of_code", refusal(crashing));
}

/// A frontend whose handler calls what its path names, and answers what it got.
fn relay() -> Router {
    let client = MeshClient::new();
    Router::new().route(
        "/relay/{host}",
        get(
            move |axum::extract::Path(host): axum::extract::Path<String>| async move {
                let answer = client
                    .get(&format!("http://{host}/stock"))
                    .await
                    .expect("an answer");
                let body = String::from_utf8_lossy(answer.body()).into_owned();
                (answer.status(), body)
            },
        ),
    )
}

#[test]
fn a_call_to_what_the_scenario_lacks_is_answered_404_with_a_reason() {
    let source = r#"
[scenario]
name = "relay"
seed = 1
duration = "2s"

[[service]]
name = "front"
exposed = true

[[service.endpoint]]
name = "GET /relay/:host"

[[service]]
name = "inventory"

[[service.endpoint]]
name = "GET /stock"
service_time = { dist = "const", value = "1ms" }

[[workload]]
name = "users"
target = "front"
endpoint = "GET /relay/:host"
arrival = { kind = "poisson", rate = 20 }
"#;
    let outcome = MeshTest::from_toml("relay.toml", source)
        .unwrap()
        .with_service("front", "v1", relay)
        .run()
        .unwrap();
    // The request's path parameter is the request's number: `/relay/17` calls host `17`,
    // which the scenario does not have. The code sees a 404 and passes it on.
    let front = &outcome.summary().services["front"];
    assert_eq!(front.requests.succeeded, 0, "{:?}", front.requests);
    assert!(front.requests.failed > 20, "{:?}", front.requests);
    assert_eq!(outcome.summary().services["inventory"].requests.received, 0);
}

/// Counts requests across runs: state outside the simulation, which a second run sees.
static SERVED_EVER: AtomicU64 = AtomicU64::new(0);

fn leaky() -> Router {
    Router::new().route(
        "/stock",
        get(|| async {
            // Slow on every 7th request ever served, in this run or an earlier one.
            if SERVED_EVER
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(7)
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            StatusCode::OK
        }),
    )
}

#[test]
fn code_that_keeps_state_outside_the_run_is_caught_by_the_second_run() {
    let test = MeshTest::from_file(file("examples/async-service.toml"))
        .unwrap()
        .with_service("inventory", "v1", leaky);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test.check()))
        .expect_err("the two runs differ");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("two runs of seed 5 differ"), "{message}");
    assert!(message.contains("MESHSIM_SEED=5 cargo test"), "{message}");
}

/// An inventory that posts a stock update through a hyper-util client of its own, over
/// meshsim's connector: the call goes through the sidecar all the same.
fn with_own_client() -> Router {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<meshsim::MeshConnector, http_body_util::Full<bytes::Bytes>> =
        Client::builder(TokioExecutor::new()).build(meshsim::MeshConnector::new());
    Router::new().route(
        "/products",
        get(move || async move {
            let answer = client
                .get("http://inventory/stock".parse().unwrap())
                .await
                .expect("an answer");
            answer.status()
        }),
    )
}

#[test]
fn the_codes_own_hyper_client_reaches_the_mesh_through_the_connector() {
    let outcome = MeshTest::from_file(file("examples/async-service.toml"))
        .unwrap()
        .with_service("frontend", "v1", with_own_client)
        .check();
    let frontend = &outcome.summary().services["frontend"];
    let inventory = &outcome.summary().services["inventory"];
    assert!(frontend.requests.succeeded > 900, "{:?}", frontend.requests);
    // Every call reached inventory, through the frontend's sidecar and its route timeout (but
    // for a request or two in flight at the end).
    assert!(
        inventory
            .requests
            .received
            .abs_diff(frontend.requests.received)
            <= 2,
        "{:?} {:?}",
        inventory.requests,
        frontend.requests
    );
    assert!(
        outcome
            .summary()
            .edges
            .contains_key("frontend -> inventory")
    );
}

#[test]
fn a_post_handler_reads_the_body_the_test_gives() {
    let source = std::fs::read_to_string(file("examples/retry-amplification.toml")).unwrap();
    let echo = || {
        Router::new().route(
            "/orders",
            post(|body: String| async move {
                if body == "order 1" {
                    StatusCode::CREATED
                } else {
                    StatusCode::BAD_REQUEST
                }
            }),
        )
    };
    let outcome = MeshTest::from_toml("retry-amplification.toml", &source)
        .unwrap()
        .with_service("checkout", "v1", echo)
        .with_request_body("checkout", "POST /orders", "text/plain", "order 1")
        .run()
        .unwrap();
    assert_eq!(outcome.summary().workloads["orders"].requests.failed, 0);
}

#[test]
fn the_codes_calls_are_traced_in_the_requests_they_serve() {
    let folder = tempfile::tempdir().unwrap();
    let trace = folder.path().join("trace.json");
    // The first 20 s, without the crash and the expectations written for the whole run.
    let whole = std::fs::read_to_string(file("scenarios/messages.toml")).unwrap();
    let source = whole[..whole.find("[[fault]]").unwrap()]
        .replace("duration = \"3m\"", "duration = \"20s\"");
    let outcome = messages_with_code(Some(&source))
        .trace(&trace, 0.05)
        .output(folder.path().join("out"))
        .check();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    // Per trace, the instances its spans are at.
    let mut instances: std::collections::BTreeMap<&str, Vec<&str>> =
        std::collections::BTreeMap::new();
    for event in events.iter().filter(|event| event["ph"] == "X") {
        instances
            .entry(event["args"]["trace_id"].as_str().unwrap())
            .or_default()
            .push(event["args"]["instance"].as_str().unwrap());
    }
    // A reader's request after the backend's start: the workload, the frontend, the code's
    // visit, and its call to redis, in one trace.
    let whole = instances.values().filter(|at| {
        ["readers", "frontend/0", "backend/0", "redis"]
            .iter()
            .all(|instance| at.contains(instance))
    });
    assert!(whole.count() > 10, "{instances:?}");
    // The output folder has what `meshsim run` writes.
    for written in ["summary.json", "metrics.csv", "events.csv", "report.html"] {
        assert!(
            folder.path().join("out").join(written).is_file(),
            "{written}"
        );
    }
    // Tracing changes nothing about the run.
    let untraced = messages_with_code(Some(&source)).run().unwrap();
    assert_eq!(untraced.digest(), outcome.digest());
}

/// An inventory whose handler panics on every fifth request it serves.
fn panicky() -> Router {
    // axum asks handlers to be `Send`: an instance's own count is an `Arc`, not an `Rc`.
    let served = Arc::new(AtomicU64::new(0));
    Router::new().route(
        "/stock",
        get(move || {
            let served = Arc::clone(&served);
            async move {
                let number = served.fetch_add(1, Ordering::Relaxed) + 1;
                assert!(
                    !number.is_multiple_of(5),
                    "the fifth request (a panic the test asks for)"
                );
                StatusCode::OK
            }
        }),
    )
}

#[test]
fn a_handler_that_panics_answers_503_and_the_run_goes_on() {
    let outcome = MeshTest::from_file(file("examples/async-service.toml"))
        .unwrap()
        .with_service("inventory", "v1", panicky)
        .run()
        .unwrap();
    // As Envoy answers a connection the application drops before its response: 503, and the
    // failure is the service's own.
    let inventory = &outcome.summary().services["inventory"];
    let received = inventory.requests.received as f64;
    assert!(
        (inventory.requests.failed as f64 - received / 5.0).abs() <= 2.0,
        "{:?}",
        inventory.requests
    );
    let failures = &outcome.summary().workloads["shoppers"].failures;
    assert!(failures.contains_key("error at inventory"), "{failures:?}");
    assert!(outcome.summary().accounting.ok);
}

/// Version 2 of `order` as code: it takes the payment through the mesh and, with `bug`, fails
/// one order in twenty with a 500 of its own.
fn order_v2(bug: bool) -> impl Fn() -> Router {
    move || {
        let payment = MeshClient::new();
        let served = Arc::new(AtomicU64::new(0));
        Router::new().route(
            "/orders",
            post(move || {
                let served = Arc::clone(&served);
                async move {
                    let number = served.fetch_add(1, Ordering::Relaxed) + 1;
                    if bug && number.is_multiple_of(20) {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    match payment.post("http://payment/payments", "{}").await {
                        Ok(answer) if answer.status().is_success() => StatusCode::CREATED,
                        _ => StatusCode::BAD_GATEWAY,
                    }
                }
            }),
        )
    }
}

fn canary_outcome(bug: bool) -> String {
    let outcome = MeshTest::from_file(file("scenarios/canary.toml"))
        .unwrap()
        .with_service("order", "v2", order_v2(bug))
        .run()
        .unwrap();
    let rollout = &outcome.summary().rollouts["order"];
    // Only beta users and the canary's share met v2 before the decision.
    assert!(rollout.blast_radius > 0, "{rollout:?}");
    outcome.summary().rollouts["order"]
        .outcome
        .name()
        .to_owned()
}

#[test]
fn a_canary_of_code_is_rolled_back_for_its_bug_and_promoted_without_it() {
    // Flagger's analysis reads the code's answers as it reads a model's: the sidecar in front
    // of the code records them, and the controller scrapes them.
    assert_eq!(canary_outcome(true), "rolled_back");
    assert_eq!(canary_outcome(false), "promoted");
}

/// The first 40 s of the messages demo with one fault drawn: Redis crashing, the backend cut
/// off from Redis, or every hop slowed.
fn messages_with_fault(kind: u8, at_s: u32, lasts_s: u32) -> String {
    let whole = std::fs::read_to_string(file("scenarios/messages.toml")).unwrap();
    let head = whole[..whole.find("[[fault]]").unwrap()]
        .replace("duration = \"3m\"", "duration = \"40s\"");
    let fault = match kind {
        0 => format!("kind = \"crash\"\ntarget = \"redis\"\nrestart_after = \"{lasts_s}s\""),
        1 => format!(
            "kind = \"partition\"\nbetween = [\"backend\", \"redis\"]\nduration = \"{lasts_s}s\""
        ),
        _ => format!(
            "kind = \"latency\"\nbetween = [\"frontend\", \"backend\"]\nadd = \"{lasts_s}ms\"\nduration = \"{lasts_s}s\""
        ),
    };
    format!("{head}[[fault]]\nat = \"{at_s}s\"\n{fault}\n")
}

/// Whatever the seed and the fault, a run with code accounts for every request, holds its
/// invariants, and gives the same digest twice (`check` runs it twice).
#[test]
fn any_seed_and_fault_with_code_accounts_for_everything_and_replays() {
    use proptest::prelude::{ProptestConfig, any};
    use proptest::test_runner::TestRunner;
    // Each case runs 40 simulated seconds six times on the turmoil engine (each kind of fault,
    // twice): three cases vary the seed and the fault's window. A runner of its own, since the
    // `proptest!` macro would take CI's `PROPTEST_CASES` (48) over this count.
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 3,
        ..ProptestConfig::default()
    });
    let drawn = (any::<u64>(), 10u32..30, 1u32..10);
    runner
        .run(&drawn, |(seed, at_s, lasts_s)| {
            for kind in 0..3 {
                let source = messages_with_fault(kind, at_s, lasts_s);
                let outcome = messages_with_code(Some(&source)).seed(seed).check();
                proptest::prop_assert!(outcome.summary().accounting.ok);
            }
            Ok(())
        })
        .unwrap();
}
