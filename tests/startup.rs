//! Startup and health on both engines: an instance takes no request until its start time has
//! passed and its dependencies answer, a restarted instance starts over, and callers balance
//! only over ready instances.

// Times are read back from events.csv, written to the microsecond from whole nanoseconds.
#![allow(clippy::float_cmp)]

mod support;

use meshsim::EngineKind;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::{SharedBuffer, simulate_source};

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

/// The summary and the `ready` lines of events.csv: (time, instance).
fn run(engine: EngineKind, source: &str) -> (RunSummary, Vec<(f64, String)>) {
    let events = SharedBuffer::default();
    let outputs = RecorderOutputs {
        events: Some(Box::new(events.clone())),
        ..RecorderOutputs::default()
    };
    let (_, summary) = simulate_source(engine, "startup.toml", source, Some(1), outputs);
    let text = String::from_utf8(events.bytes()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let ready = reader
        .records()
        .map(Result::unwrap)
        .filter(|record| &record[1] == "ready")
        .map(|record| (record[0].parse().unwrap(), record[2].to_owned()))
        .collect();
    (summary, ready)
}

/// frontend -> backend (2 replicas) -> redis, each with a start time; `extra` adds faults.
fn demo(extra: &str) -> String {
    format!(
        r#"
[scenario]
name = "startup"
duration = "40s"

[network]
latency = {{ dist = "const", value = "1ms" }}

[[service]]
name = "frontend"
exposed = true
depends_on = ["backend"]
start_time = "1s"

[[service.endpoint]]
name = "GET /api"
calls = [{{ service = "backend", endpoint = "GET /messages" }}]

[[service]]
name = "backend"
replicas = 2
depends_on = ["redis"]
start_time = "2s"

[[service.endpoint]]
name = "GET /messages"
service_time = {{ dist = "const", value = "1ms" }}
calls = [{{ service = "redis", endpoint = "LRANGE" }}]

[[service]]
name = "redis"
start_time = "5s"

[[service.endpoint]]
name = "LRANGE"
service_time = {{ dist = "const", value = "100us" }}

[[workload]]
name = "readers"
target = "frontend"
endpoint = "GET /api"
arrival = {{ kind = "constant", rate = 20 }}
{extra}
"#
    )
}

#[test]
fn instances_are_ready_in_dependency_order_and_take_nothing_before() {
    for engine in ENGINES {
        let (summary, ready) = run(engine, &demo(""));
        let at = |name: &str| {
            ready
                .iter()
                .find(|(_, instance)| instance == name)
                .map_or_else(
                    || panic!("{engine:?}: {name} never ready: {ready:?}"),
                    |(time, _)| *time,
                )
        };
        // redis after its 5 s; each backend once its 2 s have passed and redis answers (the
        // notice takes a hop); the frontend once a backend answers.
        assert_eq!(at("redis/0"), 5.0, "{engine:?}");
        for backend in ["backend/0", "backend/1"] {
            assert!((5.0..5.01).contains(&at(backend)), "{engine:?}: {ready:?}");
        }
        assert!(at("frontend/0") > at("backend/0"), "{engine:?}: {ready:?}");
        assert!(at("frontend/0") < 5.02, "{engine:?}");
        // Before the frontend is ready the readers' sidecar has nowhere to send: 5 s at 20 a
        // second fail fast ("no healthy upstream"); everything after succeeds.
        let readers = &summary.workloads["readers"];
        assert!(
            (100..=102).contains(&readers.requests.failed),
            "{engine:?}: {:?}",
            readers.requests
        );
        assert_eq!(
            readers.requests.succeeded + readers.requests.failed + readers.requests.in_flight,
            readers.requests.sent
        );
        assert!(
            readers
                .failures
                .keys()
                .all(|reason| reason.starts_with("no_healthy_upstream")),
            "{engine:?}: {:?}",
            readers.failures
        );
        // No instance answered a request before it was ready.
        assert_eq!(summary.services["redis"].requests.failed, 0);
    }
}

#[test]
fn a_restarted_instance_starts_over_and_its_peer_takes_the_load() {
    let faults =
        "[[fault]]\nat = \"20s\"\nkind = \"crash\"\ntarget = \"backend/1\"\nrestart_after = \"3s\"";
    for engine in ENGINES {
        let (summary, ready) = run(engine, &demo(faults));
        let backend_1: Vec<f64> = ready
            .iter()
            .filter(|(_, instance)| instance == "backend/1")
            .map(|(time, _)| *time)
            .collect();
        // Ready at the start, then 2 s after its restart at 23 s.
        assert_eq!(backend_1.len(), 2, "{engine:?}: {ready:?}");
        assert!(
            (25.0..25.01).contains(&backend_1[1]),
            "{engine:?}: {backend_1:?}"
        );
        // Only what backend/1 held when it died fails after the start: the frontend's sidecar
        // sends nothing to it while it starts again.
        let readers = &summary.workloads["readers"];
        assert!(
            readers.requests.failed <= 102 + 2,
            "{engine:?}: {:?} {:?}",
            readers.requests,
            readers.failures
        );
        let backend = &summary.services["backend"].requests;
        assert_eq!(backend.failed, 0, "{engine:?}");
    }
}
