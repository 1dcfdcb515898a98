//! A Docker Compose file included as it is: the messages seed's own `docker-compose.yml`
//! (`examples/messages-compose/`) tells the story `scenarios/messages.toml` tells by hand, and
//! what Compose itself refuses is a located error.

mod support;

use std::fs;
use std::path::Path;

use support::meshsim;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `file` into `out` and returns the exit code and the summary's digest.
fn run(file: &Path, out: &Path, engine: &str) -> (Option<i32>, String) {
    let output = meshsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--engine",
        engine,
        "--no-progress",
    ]);
    let summary: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(out.join("summary.json")).unwrap_or_else(|_| {
            panic!("{}", String::from_utf8_lossy(&output.stderr));
        }),
    )
    .unwrap();
    (
        output.status.code(),
        summary["digest"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn the_compose_example_meets_its_expectations() {
    let out = tempfile::tempdir().unwrap();
    let file = root().join("examples/messages-compose/messages.toml");
    let (code, _) = run(&file, out.path(), "event");
    assert_eq!(code, Some(0), "every expectation is met");
}

/// The compose file as written publishes the backend's port 3001: the run is
/// `scenarios/messages.toml` with the backend exposed, on both engines.
#[test]
fn the_compose_example_is_the_messages_scenario_with_the_backend_published() {
    let folder = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(root().join("scenarios/messages.toml")).unwrap();
    let exposed = text.replacen(
        "concurrency = \"event_loop\"",
        "exposed = true\nconcurrency = \"event_loop\"",
        1,
    );
    assert_ne!(exposed, text);
    let by_hand = folder.path().join("messages.toml");
    fs::write(&by_hand, exposed).unwrap();
    let example = root().join("examples/messages-compose/messages.toml");
    for engine in ["event", "turmoil"] {
        let (_, hand_digest) = run(&by_hand, &folder.path().join(format!("h-{engine}")), engine);
        let (_, compose_digest) = run(&example, &folder.path().join(format!("c-{engine}")), engine);
        assert_eq!(compose_digest, hand_digest, "{engine} engine");
    }
}

/// Without the backend's `ports`, the compose file says what `scenarios/messages.toml` says:
/// the same digest.
#[test]
fn without_the_backends_port_the_compose_example_is_the_messages_scenario() {
    let folder = tempfile::tempdir().unwrap();
    let compose =
        fs::read_to_string(root().join("examples/messages-compose/docker-compose.yml")).unwrap();
    let unpublished = compose.replacen("    ports:\n      - \"3001:3001\"\n", "", 1);
    assert_ne!(unpublished, compose);
    fs::write(folder.path().join("docker-compose.yml"), unpublished).unwrap();
    let scenario = folder.path().join("messages.toml");
    fs::copy(
        root().join("examples/messages-compose/messages.toml"),
        &scenario,
    )
    .unwrap();
    let (code, compose_digest) = run(&scenario, &folder.path().join("c"), "event");
    // The outsider is refused now, as the seed's prose says, so its expectation fails.
    assert_eq!(code, Some(1));
    let (_, hand_digest) = run(
        &root().join("scenarios/messages.toml"),
        &folder.path().join("h"),
        "event",
    );
    assert_eq!(compose_digest, hand_digest);
}

/// What docker compose refuses, each at its place, and a call across networks warned of.
#[test]
fn compose_errors_are_located() {
    let folder = tempfile::tempdir().unwrap();
    let compose = "\
services:
  api:
    scale: 2
    deploy:
      replicas: 3
    depends_on:
      db:
        condition: service_ready
      cache:
        condition: service_started
    networks: [front]
  db:
    networks: [back]
networks:
  back:
";
    fs::write(folder.path().join("docker-compose.yml"), compose).unwrap();
    let toml = "\
[scenario]
name = \"compose\"
duration = \"10s\"
include = [\"docker-compose.yml\"]

[[service]]
name = \"api\"

[[service.endpoint]]
name = \"GET /\"
calls = [{ service = \"db\", endpoint = \"GET /\" }]

[[service]]
name = \"db\"

[[service.endpoint]]
name = \"GET /\"
";
    fs::write(folder.path().join("s.toml"), toml).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args(["check", "s.toml"])
        .current_dir(folder.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stderr));
}

/// Docker's DNS resolves a service's name only on a network both containers are on: a call
/// between services that share none fails at once (here `connection_refused`), on both engines,
/// while a call within a network goes through.
#[test]
fn a_call_across_networks_is_refused() {
    let folder = tempfile::tempdir().unwrap();
    let compose = "services:\n  front:\n    image: nginx\n    ports: [\"8080:80\"]\n    networks: [edge]\n  back:\n    image: node\n    networks: [inside]\n  side:\n    image: node\n    networks: [edge]\nnetworks:\n  edge: {}\n  inside: {}\n";
    fs::write(folder.path().join("docker-compose.yml"), compose).unwrap();
    let scenario = "[scenario]\nname = \"apart\"\nduration = \"10s\"\ninclude = [\"docker-compose.yml\"]\n\n[[service]]\nname = \"front\"\n\n[[service.endpoint]]\nname = \"GET /back\"\ncalls = [{ service = \"back\", endpoint = \"GET /\" }]\n\n[[service.endpoint]]\nname = \"GET /side\"\ncalls = [{ service = \"side\", endpoint = \"GET /\" }]\n\n[[service]]\nname = \"back\"\n\n[[service.endpoint]]\nname = \"GET /\"\n\n[[service]]\nname = \"side\"\n\n[[service.endpoint]]\nname = \"GET /\"\n\n[[workload]]\nname = \"to-back\"\ntarget = \"front\"\nendpoint = \"GET /back\"\narrival = { kind = \"constant\", rate = 10 }\n\n[[workload]]\nname = \"to-side\"\ntarget = \"front\"\nendpoint = \"GET /side\"\narrival = { kind = \"constant\", rate = 10 }\n\n[[expect]]\nmetric = \"workload.to-back.success_rate\"\nmax = 0.0\n\n[[expect]]\nmetric = \"workload.to-side.success_rate\"\nmin = 1.0\n\n[[expect]]\nmetric = \"service.back.requests.received\"\nmax = 0\n";
    let file = folder.path().join("apart.toml");
    fs::write(&file, scenario).unwrap();
    for engine in ["event", "turmoil"] {
        let out = folder.path().join(engine);
        let (code, _) = run(&file, &out, engine);
        assert_eq!(code, Some(0), "{engine}: the expectations hold");
        let summary = fs::read_to_string(out.join("summary.json")).unwrap();
        assert!(
            summary.contains("connection_refused"),
            "{engine}: {summary}"
        );
    }
}
