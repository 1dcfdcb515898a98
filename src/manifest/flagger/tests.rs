//! Each Canary field against what Flagger's documentation says it does
//! (<https://docs.flagger.app/usage/deployment-strategies>, `canary.go` at v1.38).

use super::super::declared::Declared;
use super::super::kind::Kind;
use super::super::kubernetes;
use super::super::manifests::Manifest;
use super::super::reader::Reader;
use super::super::yaml::parse_documents;
use super::CANARY_VERSION;
use crate::scenario::schema::{HeaderMatch, Rollout, Strategy};
use crate::scenario::{Bound, Duration, Real};

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 3
  template:
    metadata:
      labels:
        app: podinfo
";

/// Reads `yaml` (after a `podinfo` Deployment) and returns what it declares and the messages.
fn read(yaml: &str) -> (Declared, Vec<String>) {
    let mut reader = Reader::default();
    let text = format!("{DEPLOYMENT}---\n{yaml}");
    let file = reader.add_file("canary.yaml".to_owned(), text);
    let documents = parse_documents(&reader.files[file].text).expect("the test's YAML parses");
    let manifests: Vec<Manifest> = documents
        .into_iter()
        .map(|root| {
            let field = reader.field(file, &root);
            let text = |path: &str| {
                field
                    .at(path)
                    .and_then(|field| field.node.text())
                    .unwrap_or_default()
                    .to_owned()
            };
            let kind = Kind::recognise(&text("apiVersion"), &text("kind"));
            let name = text("metadata.name");
            Manifest {
                file,
                root,
                kind,
                name,
                namespace: "default".to_owned(),
            }
        })
        .collect();
    let mut declared = Declared::default();
    kubernetes::translate(&manifests, &reader, &mut declared);
    super::translate(&manifests, &reader, &mut declared);
    let messages = reader
        .take_diagnostics()
        .iter()
        .map(|diagnostic| diagnostic.message.clone())
        .collect();
    (declared, messages)
}

fn canary(analysis: &str) -> String {
    format!(
        "apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
{analysis}"
    )
}

fn rollout(analysis: &str) -> Rollout {
    let (declared, messages) = read(&canary(analysis));
    assert!(messages.is_empty(), "{messages:?}");
    assert_eq!(declared.rollouts.len(), 1);
    declared.rollouts[0].value.clone()
}

#[test]
fn a_progressive_canary_takes_interval_threshold_and_weights() {
    let rollout = rollout(
        "    interval: 1m30s
    threshold: 5
    maxWeight: 50
    stepWeight: 10
",
    );
    assert_eq!(rollout.service, "podinfo");
    assert_eq!(rollout.strategy, Strategy::Canary);
    assert_eq!(rollout.from.as_deref(), Some("v1"));
    assert_eq!(rollout.to.as_deref(), Some(CANARY_VERSION));
    assert_eq!(rollout.interval, Duration::from_secs(90));
    assert_eq!(rollout.threshold, 5);
    assert_eq!(rollout.max_weight, Some(Real(50.0)));
    assert_eq!(rollout.step_weight, Some(Real(10.0)));
    assert_eq!(rollout.start, Duration::ZERO);
}

#[test]
fn flagger_defaults_are_one_minute_and_one_failed_check() {
    // `GetAnalysisInterval` (60 s) and `GetAnalysisThreshold` (1) in canary.go.
    let rollout = rollout("    stepWeight: 20\n");
    assert_eq!(rollout.interval, Duration::from_secs(60));
    assert_eq!(rollout.threshold, 1);
    assert_eq!(rollout.max_weight, None);
}

#[test]
fn an_interval_under_ten_seconds_runs_every_ten() {
    let (declared, messages) = read(&canary("    interval: 2s\n    stepWeight: 20\n"));
    assert_eq!(declared.rollouts[0].value.interval, Duration::from_secs(10));
    assert_eq!(messages.len(), 1, "{messages:?}");
}

#[test]
fn step_weights_are_taken_in_order() {
    let rollout = rollout("    stepWeights: [1, 2, 10, 80]\n");
    assert_eq!(
        rollout.step_weights,
        Some(vec![Real(1.0), Real(2.0), Real(10.0), Real(80.0)])
    );
    assert_eq!(rollout.step_weight, None);
}

#[test]
fn iterations_make_a_blue_green() {
    let rollout = rollout("    interval: 1m\n    iterations: 10\n    threshold: 2\n");
    assert_eq!(rollout.strategy, Strategy::BlueGreen);
    assert_eq!(rollout.iterations, Some(10));
    assert_eq!(rollout.step_weight, None);
}

#[test]
fn the_built_in_metrics_become_checks() {
    let rollout = rollout(
        "    stepWeight: 10
    metrics:
    - name: request-success-rate
      thresholdRange:
        min: 99
      interval: 1m
    - name: request-duration
      thresholdRange:
        max: 500
      interval: 1m
",
    );
    assert_eq!(rollout.checks.len(), 2);
    assert_eq!(rollout.checks[0].metric, "success_rate");
    assert!(
        matches!(rollout.checks[0].min, Some(Bound::Number(min)) if (min - 0.99).abs() < 1e-12)
    );
    assert!(rollout.checks[0].max.is_none());
    assert_eq!(rollout.checks[1].metric, "latency_p99");
    assert!(matches!(&rollout.checks[1].max, Some(Bound::Text(max)) if max == "500ms"));
}

#[test]
fn a_metric_window_other_than_the_interval_is_a_warning() {
    let (_, messages) = read(&canary(
        "    stepWeight: 10
    metrics:
    - name: request-success-rate
      thresholdRange:
        min: 99
      interval: 5m
",
    ));
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("5m"));
}

#[test]
fn the_canary_version_has_the_deployments_replicas() {
    let (declared, _) = read(&canary("    stepWeight: 10\n"));
    let service = &declared.services["podinfo"];
    assert_eq!(service.versions[CANARY_VERSION].value, 3);
    assert_eq!(service.replicas.as_ref().map(|r| r.value), Some(3));
}

#[test]
fn the_service_name_overrides_the_target() {
    let yaml =
        canary("    stepWeight: 10\n").replace("port: 9898", "name: frontend\n    port: 9898");
    let (declared, _) = read(&yaml);
    assert_eq!(declared.rollouts[0].value.service, "frontend");
}

#[test]
fn a_b_matches_route_matching_requests_to_the_canary() {
    let rollout = rollout(
        "    iterations: 10
    match:
    - headers:
        x-canary:
          exact: insider
    - headers:
        cookie:
          regex: \"^(.*?;)?(canary=always)(;.*)?$\"
",
    );
    assert_eq!(rollout.strategy, Strategy::BlueGreen);
    let (declared, _) = read(&canary(
        "    iterations: 10\n    match:\n    - headers:\n        x-canary:\n          exact: insider\n",
    ));
    let routes = &declared.mesh["podinfo"].policy.route;
    assert_eq!(routes.len(), 2);
    let header = &routes[0].matches.as_ref().expect("a match").headers["x-canary"];
    assert!(matches!(header, HeaderMatch::How(how) if how.exact.as_deref() == Some("insider")));
    assert_eq!(routes[0].weights[CANARY_VERSION], Real(100.0));
    assert!(routes[1].matches.is_none());
    assert_eq!(routes[1].weights["v1"], Real(100.0));
}

#[test]
fn match_on_a_progressive_canary_is_a_warning() {
    let (declared, messages) = read(&canary(
        "    stepWeight: 10\n    match:\n    - headers:\n        x-canary:\n          exact: insider\n",
    ));
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(!declared.mesh.contains_key("podinfo"));
}

#[test]
fn an_analysis_that_never_moves_traffic_is_an_error() {
    let (declared, messages) = read(&canary("    interval: 1m\n"));
    assert!(declared.rollouts.is_empty());
    assert_eq!(messages.len(), 1, "{messages:?}");
}

#[test]
fn weights_above_100_are_errors() {
    let (_, messages) = read(&canary("    stepWeight: 120\n"));
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("0 to 100"), "{messages:?}");
}
