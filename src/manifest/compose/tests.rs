//! Each Compose field meshsim reads, from a small file, against the value the Compose
//! Specification and Docker's documentation say it means.

use std::path::Path;

use crate::scenario::schema::Scenario;
use crate::scenario::{Duration, Loaded, load_str_in};

/// A scenario with services `api` (calling `db`) and `db`, whose compose file is `compose`.
fn load(compose: &str, extra_toml: &str) -> Result<Loaded, String> {
    let folder = tempfile::tempdir().map_err(|error| error.to_string())?;
    std::fs::write(folder.path().join("docker-compose.yml"), compose)
        .map_err(|error| error.to_string())?;
    let toml = format!(
        r#"
[scenario]
name = "compose"
duration = "10s"
include = ["docker-compose.yml"]

[[service]]
name = "api"
{extra_toml}

[[service.endpoint]]
name = "GET /"
calls = [{{ service = "db", endpoint = "GET /" }}]

[[service]]
name = "db"

[[service.endpoint]]
name = "GET /"
"#
    );
    load_in(&toml, folder.path())
}

fn load_in(toml: &str, base: &Path) -> Result<Loaded, String> {
    load_str_in("s.toml", toml, base).map_err(|error| error.to_string())
}

fn service<'a>(scenario: &'a Scenario, name: &str) -> &'a crate::scenario::schema::Service {
    scenario
        .services
        .iter()
        .find(|service| service.name == name)
        .expect("the service is in the scenario")
}

const TWO: &str = "services:\n  api:\n    image: x\n  db:\n    image: y\n";

#[test]
fn a_service_runs_one_instance_unexposed_and_ready_at_once_by_default() {
    // Compose runs one container of a service (spec: `deploy.replicas`, default 1) and publishes
    // nothing without `ports`.
    let loaded = load(TWO, "").expect("loads");
    let api = service(loaded.scenario(), "api");
    assert_eq!(api.replicas, 1);
    assert!(!api.exposed);
    assert_eq!(api.start_time, None);
    assert!(api.depends_on.is_empty());
    // `image` is not simulated, and says so.
    assert!(loaded.included.summary().contains("services.api.image"));
}

#[test]
fn deploy_replicas_and_scale_are_the_instances() {
    let compose = "services:\n  api:\n    deploy:\n      replicas: 3\n  db:\n    scale: 2\n";
    let loaded = load(compose, "").expect("loads");
    assert_eq!(service(loaded.scenario(), "api").replicas, 3);
    assert_eq!(service(loaded.scenario(), "db").replicas, 2);
}

#[test]
fn scale_and_deploy_replicas_that_differ_are_refused() {
    // docker compose: "can't set distinct values on 'scale' and 'deploy.replicas'".
    let compose = "services:\n  api:\n    scale: 2\n    deploy:\n      replicas: 3\n  db: {}\n";
    let error = load(compose, "").expect_err("refused");
    assert!(
        error.contains("`scale` is 2 but `deploy.replicas` is 3"),
        "{error}"
    );
}

#[test]
fn published_ports_expose_a_service_and_expose_does_not() {
    // spec: `ports` publishes to the host; `expose` only documents ports for other services.
    let compose = "services:\n  api:\n    ports:\n      - \"8080:80\"\n  db:\n    expose:\n      - \"5432\"\n";
    let loaded = load(compose, "").expect("loads");
    assert!(service(loaded.scenario(), "api").exposed);
    assert!(!service(loaded.scenario(), "db").exposed);
    assert!(loaded.included.summary().contains("services.db.expose"));
}

#[test]
fn exposed_in_both_files_is_an_error_naming_both() {
    let compose = "services:\n  api:\n    ports:\n      - \"8080:80\"\n  db: {}\n";
    let error = load(compose, "exposed = true").expect_err("refused");
    assert!(
        error.contains("`exposed` is set both here and in s.toml"),
        "{error}"
    );
}

#[test]
fn only_service_healthy_makes_an_instance_wait() {
    // spec: the short syntax is `service_started`, which waits for the container to start, not
    // for it to answer; `service_healthy` waits for its health check to pass, which is meshsim's
    // `depends_on`.
    let short = "services:\n  api:\n    depends_on:\n      - db\n  db: {}\n";
    let loaded = load(short, "").expect("loads");
    assert!(service(loaded.scenario(), "api").depends_on.is_empty());
    let started = "services:\n  api:\n    depends_on:\n      db:\n        condition: service_started\n  db: {}\n";
    let loaded = load(started, "").expect("loads");
    assert!(service(loaded.scenario(), "api").depends_on.is_empty());
    let healthy = "services:\n  api:\n    depends_on:\n      db:\n        condition: service_healthy\n  db: {}\n";
    let loaded = load(healthy, "").expect("loads");
    assert_eq!(service(loaded.scenario(), "api").depends_on, vec!["db"]);
}

#[test]
fn a_one_shot_dependency_is_a_warning() {
    let compose = "services:\n  api:\n    depends_on:\n      db:\n        condition: service_completed_successfully\n  db: {}\n";
    let loaded = load(compose, "").expect("loads");
    assert!(service(loaded.scenario(), "api").depends_on.is_empty());
    assert!(
        loaded
            .warnings
            .iter()
            .any(|warning| warning.message.contains("one-shot")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn a_dependency_on_no_service_or_an_unknown_condition_is_refused() {
    let compose = "services:\n  api:\n    depends_on:\n      - dbb\n  db: {}\n";
    let error = load(compose, "").expect_err("refused");
    assert!(error.contains("depends on `dbb`"), "{error}");
    let compose = "services:\n  api:\n    depends_on:\n      db:\n        condition: service_ready\n  db: {}\n";
    let error = load(compose, "").expect_err("refused");
    assert!(
        error.contains("`service_ready` is not a condition"),
        "{error}"
    );
}

#[test]
fn a_health_check_is_ready_at_its_first_probe() {
    // Dockerfile reference, HEALTHCHECK: the first check runs `interval` after the start,
    // 30 s by default; during `start_period`, checks run every `start_interval`.
    let default =
        "services:\n  api:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n  db: {}\n";
    let loaded = load(default, "").expect("loads");
    assert_eq!(
        service(loaded.scenario(), "api").start_time,
        Some(Duration::from_secs(30))
    );
    let interval = "services:\n  api:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 10s\n      start_period: 1m\n  db: {}\n";
    let loaded = load(interval, "").expect("loads");
    assert_eq!(
        service(loaded.scenario(), "api").start_time,
        Some(Duration::from_secs(10))
    );
    let start = "services:\n  api:\n    healthcheck:\n      interval: 10s\n      start_period: 1m\n      start_interval: 2s\n  db: {}\n";
    let loaded = load(start, "").expect("loads");
    assert_eq!(
        service(loaded.scenario(), "api").start_time,
        Some(Duration::from_secs(2))
    );
    let disabled = "services:\n  api:\n    healthcheck:\n      disable: true\n  db: {}\n";
    let loaded = load(disabled, "").expect("loads");
    assert_eq!(service(loaded.scenario(), "api").start_time, None);
}

#[test]
fn a_call_between_services_that_share_no_network_is_a_warning() {
    let compose = "services:\n  api:\n    networks: [front]\n  db:\n    networks: [back]\nnetworks:\n  front:\n  back:\n";
    let loaded = load(compose, "").expect("loads");
    let warning = loaded
        .warnings
        .iter()
        .find(|warning| warning.message.contains("share no network"))
        .expect("a warning");
    assert_eq!(
        warning.message,
        "`api` (networks: front) calls `db` (networks: back), but they share no network"
    );
    // On a common network, or both on the default one, there is nothing to say.
    let shared = "services:\n  api:\n    networks: [front, back]\n  db:\n    networks: [back]\nnetworks:\n  front:\n  back:\n";
    let loaded = load(shared, "").expect("loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let loaded = load(TWO, "").expect("loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn an_undeclared_network_is_refused() {
    let compose = "services:\n  api:\n    networks: [front]\n  db: {}\n";
    let error = load(compose, "").expect_err("refused");
    assert!(
        error.contains("network `front`, which the file does not declare"),
        "{error}"
    );
}
