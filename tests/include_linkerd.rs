//! `[scenario] include` of Linkerd's `HTTPRoute`s, annotations and `ServiceProfile`s: each field
//! read from a small file and checked against the scenario value Linkerd's documentation and
//! policy controller (edge-26.8.3) say it means; the located errors a user sees, as snapshots.

// The numbers compared are read from text (`weight: 4`), and 4 / 5 of 100 is exact.
#![allow(clippy::float_cmp)]

use meshsim::scenario::schema::{HeaderMatch, RetryOn, Route, Scenario};
use meshsim::scenario::{Duration, LoadError, Loaded, Real, load_file};

/// The messages demo's two services: frontend calling backend.
const BEHAVIOUR: &str = r#"
[[service]]
name = "frontend"
exposed = true

[[service.endpoint]]
name = "GET /send"
calls = [{ service = "backend", endpoint = "GET /api/messages" }]

[[service]]
name = "backend"

[[service.endpoint]]
name = "GET /api/messages"

[[service.endpoint]]
name = "GET /api/health"

[[workload]]
name = "users"
target = "frontend"
endpoint = "GET /send"
arrival = { kind = "poisson", rate = 10 }
"#;

/// Writes `files` and a scenario running `mesh` that includes them, and loads it.
fn load(mesh: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Loaded, LoadError>) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let names: Vec<String> = files.iter().map(|(name, _)| format!("{name:?}")).collect();
    for (name, text) in files {
        std::fs::write(folder.path().join(name), text).expect("written");
    }
    let scenario = format!(
        "[scenario]\nname = \"t\"\nduration = \"10s\"\nmesh = \"{mesh}\"\ninclude = [{}]\n{BEHAVIOUR}",
        names.join(", "),
    );
    std::fs::write(folder.path().join("s.toml"), scenario).expect("written");
    let loaded = load_file(&folder.path().join("s.toml"));
    (folder, loaded)
}

fn loaded(files: &[(&str, &str)]) -> Loaded {
    let (_folder, result) = load("linkerd", files);
    match result {
        Ok(loaded) => loaded,
        Err(error) => panic!("did not load:\n{error}"),
    }
}

fn scenario(files: &[(&str, &str)]) -> Scenario {
    loaded(files).scenario().clone()
}

/// The errors of a load that must fail, with the temporary folder's path taken out.
fn errors(files: &[(&str, &str)]) -> String {
    let (folder, result) = load("linkerd", files);
    let error = result.expect_err("should not load");
    error
        .render(false)
        .replace(&format!("{}/", folder.path().display()), "")
}

fn warned(loaded: &Loaded, text: &str) -> bool {
    loaded
        .warnings
        .iter()
        .any(|warning| warning.message.contains(text))
}

/// The Services and Deployments: backend v1 (3 instances) and v2 (1), and a Service per version.
const KUBERNETES: &str = "apiVersion: v1
kind: Service
metadata:
  name: frontend
spec:
  selector:
    app: frontend
---
apiVersion: v1
kind: Service
metadata:
  name: backend
spec:
  selector:
    app: backend
---
apiVersion: v1
kind: Service
metadata:
  name: backend-v1
spec:
  selector:
    app: backend
    version: v1
---
apiVersion: v1
kind: Service
metadata:
  name: backend-v2
spec:
  selector:
    app: backend
    version: v2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend-v1
spec:
  replicas: 3
  template:
    metadata:
      labels:
        app: backend
        version: v1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend-v2
spec:
  replicas: 1
  template:
    metadata:
      labels:
        app: backend
        version: v2
";

/// An HTTPRoute on backend with `annotations` and `rules` (indented for `spec:`).
fn http_route(api: &str, annotations: &str, rules: &str) -> String {
    format!(
        "apiVersion: {api}\nkind: HTTPRoute\nmetadata:\n  name: backend\n{annotations}spec:\n  parentRefs:\n  - name: backend\n    kind: Service\n    group: core\n    port: 8080\n  rules:\n{rules}"
    )
}

const ONE_RULE: &str =
    "  - backendRefs:\n    - name: backend\n      port: 8080\n    timeouts:\n      request: 2s\n";

#[test]
fn a_rule_timeout_is_the_service_timeout() {
    // GEP-1742's `timeouts.request`: the whole request, retries included (Linkerd's timeouts
    // reference). One rule taking every request is the service's own key.
    for api in ["policy.linkerd.io/v1beta3", "gateway.networking.k8s.io/v1"] {
        let scenario = scenario(&[
            ("k8s.yaml", KUBERNETES),
            ("route.yaml", &http_route(api, "", ONE_RULE)),
        ]);
        let backend = &scenario.mesh["backend"];
        assert_eq!(backend.timeout, Some(Duration::from_secs(2)), "{api}");
        assert!(backend.route.is_empty(), "no split, no match: no route");
    }
}

#[test]
fn a_gateway_api_timeout_linkerd_cannot_parse_gives_no_timeout() {
    // Linkerd edge-26.8.3 parses a gateway.networking.k8s.io rule's timeout with its own
    // one-unit parser and drops what it cannot read (`convert_gateway_rule`).
    let rules = ONE_RULE.replace("request: 2s", "request: 1m30s");
    let loaded = loaded(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("gateway.networking.k8s.io/v1", "", &rules),
        ),
    ]);
    assert_eq!(loaded.scenario().mesh["backend"].timeout, None);
    assert!(warned(&loaded, "its own parser"), "{:?}", loaded.warnings);
    // Linkerd's own HTTPRoute reads Gateway API durations whole.
    let scenario = scenario(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("policy.linkerd.io/v1beta3", "", &rules),
        ),
    ]);
    assert_eq!(
        scenario.mesh["backend"].timeout,
        Some(Duration::from_secs(90))
    );
}

const RETRY_ANNOTATIONS: &str = "  annotations:\n    retry.linkerd.io/http: 5xx,gateway-error,429,520-522\n    retry.linkerd.io/limit: \"3\"\n    retry.linkerd.io/timeout: 300ms\n    timeout.linkerd.io/request: 5s\n";

#[test]
fn route_annotations_give_retries_and_override_the_rule_timeout() {
    let scenario = scenario(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("policy.linkerd.io/v1beta3", RETRY_ANNOTATIONS, ONE_RULE),
        ),
    ]);
    let backend = &scenario.mesh["backend"];
    // `timeouts.request = annotations.request.or_else(rule.timeouts.request)` in the policy
    // controller: the annotation wins.
    assert_eq!(backend.timeout, Some(Duration::from_secs(5)));
    let retries = backend.retries.as_ref().expect("retries");
    assert_eq!(retries.attempts, Some(3), "retry.linkerd.io/limit");
    assert_eq!(
        retries.per_try_timeout,
        Some(Duration::from_millis(300)),
        "retry.linkerd.io/timeout"
    );
    assert_eq!(
        retries.retry_on,
        Some(vec![RetryOn::FiveXx, RetryOn::GatewayError])
    );
    // A status, and a range of statuses, both ends included.
    assert_eq!(
        retries.retriable_status_codes,
        Some(vec![429, 520, 521, 522])
    );
    assert!(
        retries.retry_budget.is_none(),
        "no budget: HTTPRoute retries"
    );
}

#[test]
fn service_annotations_apply_without_a_route() {
    // Linkerd's retries and timeouts references: the annotations may sit on the Service.
    let annotated = KUBERNETES.replacen(
        "metadata:\n  name: backend\n",
        &format!("metadata:\n  name: backend\n{RETRY_ANNOTATIONS}"),
        1,
    );
    let scenario = scenario(&[("k8s.yaml", &annotated)]);
    let backend = &scenario.mesh["backend"];
    assert_eq!(backend.timeout, Some(Duration::from_secs(5)));
    assert_eq!(
        backend
            .retries
            .as_ref()
            .and_then(|retries| retries.attempts),
        Some(3)
    );
}

/// Three rules: a prefix with retries, an exact path with a short timeout, a method and header.
const RULES: &str = "  - matches:
    - path:
        type: PathPrefix
        value: /api
    timeouts:
      request: 3s
  - matches:
    - path:
        type: Exact
        value: /api/health
    timeouts:
      request: 100ms
  - matches:
    - path:
        type: PathPrefix
        value: /api
      method: GET
      headers:
      - name: x-canary
        value: \"true\"
    backendRefs:
    - name: backend-v2
      port: 8080
";

fn uri_of(route: &Route) -> (Option<&str>, Option<&str>) {
    let uri = route
        .matches
        .as_ref()
        .and_then(|matches| matches.uri.as_ref());
    (
        uri.and_then(|uri| uri.exact.as_deref()),
        uri.and_then(|uri| uri.regex.as_deref()),
    )
}

#[test]
fn matches_become_routes_most_specific_first() {
    let scenario = scenario(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("policy.linkerd.io/v1beta3", "", RULES),
        ),
    ]);
    let routes = &scenario.mesh["backend"].route;
    assert_eq!(routes.len(), 3);
    // linkerd2-proxy's best match: an exact path (the whole path matched) before a prefix, and
    // of two equal prefixes the one with more headers and a method.
    assert_eq!(uri_of(&routes[0]), (Some("/api/health"), None));
    assert_eq!(routes[0].timeout, Some(Duration::from_millis(100)));
    // A prefix matches whole path segments: `/api` takes `/api` and `/api/x`, not `/apix`.
    assert_eq!(uri_of(&routes[1]), (None, Some("/api(/.*)?")));
    let canary = routes[1].matches.as_ref().expect("a match");
    assert_eq!(
        canary
            .method
            .as_ref()
            .and_then(|method| method.exact.as_deref()),
        Some("GET")
    );
    assert!(
        matches!(&canary.headers["x-canary"], HeaderMatch::How(how) if how.exact.as_deref() == Some("true"))
    );
    assert_eq!(routes[1].weights.len(), 1);
    assert_eq!(routes[1].weights["v2"].get(), 100.0, "backend-v2 is v2");
    assert_eq!(uri_of(&routes[2]), (None, Some("/api(/.*)?")));
    assert_eq!(routes[2].timeout, Some(Duration::from_secs(3)));
    // The whole service, by instances: 3 of v1, 1 of v2.
    assert_eq!(
        (routes[2].weights["v1"].get(), routes[2].weights["v2"].get()),
        (75.0, 25.0)
    );
}

#[test]
fn backend_refs_to_version_services_split_traffic() {
    // Linkerd's traffic shifting: backendRefs with relative weights (Gateway API's default 1).
    let rules =
        "  - backendRefs:\n    - name: backend-v1\n      weight: 4\n    - name: backend-v2\n";
    let scenario = scenario(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("gateway.networking.k8s.io/v1", "", rules),
        ),
    ]);
    let route = &scenario.mesh["backend"].route;
    assert_eq!(route.len(), 1);
    assert!(route[0].matches.is_none());
    assert_eq!(
        (route[0].weights["v1"].get(), route[0].weights["v2"].get()),
        (80.0, 20.0)
    );
}

const PROFILE: &str = "apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: backend.default.svc.cluster.local
  namespace: default
spec:
  routes:
  - name: GET /api/messages
    condition:
      method: GET
      pathRegex: /api/messages
    isRetryable: true
    timeout: 250ms
  - name: health
    condition:
      all:
      - pathRegex: /api/health
      - method: GET
    timeout: 1s
  retryBudget:
    retryRatio: 0.5
    minRetriesPerSecond: 20
    ttl: 5s
";

#[test]
fn a_service_profile_gives_routes_and_a_retry_budget() {
    let scenario = scenario(&[("k8s.yaml", KUBERNETES), ("profile.yaml", PROFILE)]);
    let backend = &scenario.mesh["backend"];
    let budget = backend
        .retries
        .as_ref()
        .and_then(|retries| retries.retry_budget.as_ref())
        .expect("a retry budget");
    assert_eq!(budget.retry_ratio.map(Real::get), Some(0.5));
    assert_eq!(budget.min_retries_per_second, Some(20));
    assert_eq!(budget.ttl, Some(Duration::from_secs(5)));
    let routes = &backend.route;
    assert_eq!(routes.len(), 3, "two profile routes, then the rest");
    assert_eq!(uri_of(&routes[0]), (None, Some("/api/messages")));
    assert_eq!(routes[0].timeout, Some(Duration::from_millis(250)));
    assert!(
        routes[0].retries.is_none(),
        "retryable: the service's budget"
    );
    assert_eq!(uri_of(&routes[1]), (None, Some("/api/health")));
    assert_eq!(
        routes[1]
            .matches
            .as_ref()
            .and_then(|matches| matches.method.as_ref())
            .and_then(|method| method.exact.as_deref()),
        Some("GET")
    );
    assert_eq!(routes[1].timeout, Some(Duration::from_secs(1)));
    // Not retryable, and the rest: no retries, and (the rest) no timeout.
    for route in &routes[1..] {
        assert_eq!(
            route.retries.as_ref().and_then(|retries| retries.attempts),
            Some(0)
        );
    }
    assert!(routes[2].matches.is_none());
    assert_eq!(routes[2].timeout, None);
}

#[test]
fn a_profile_without_a_budget_takes_linkerd_s_defaults() {
    let profile = PROFILE.split("  retryBudget:").next().unwrap_or(PROFILE);
    let scenario = scenario(&[("k8s.yaml", KUBERNETES), ("profile.yaml", profile)]);
    let budget = scenario.mesh["backend"]
        .retries
        .as_ref()
        .and_then(|retries| retries.retry_budget.as_ref())
        .expect("a retry budget");
    // Left to the profile's defaults (0.2, 10, 10s: profile_translator.go).
    assert!(budget.retry_ratio.is_none() && budget.min_retries_per_second.is_none());
}

#[test]
fn a_service_profile_wins_over_an_http_route() {
    let loaded = loaded(&[
        ("k8s.yaml", KUBERNETES),
        ("profile.yaml", PROFILE),
        (
            "route.yaml",
            &http_route("policy.linkerd.io/v1beta3", RETRY_ANNOTATIONS, ONE_RULE),
        ),
    ]);
    let backend = &loaded.scenario().mesh["backend"];
    assert_eq!(backend.timeout, None, "the HTTPRoute's timeout is ignored");
    assert!(
        warned(&loaded, "has a ServiceProfile"),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn under_another_mesh_linkerd_resources_are_warned_and_not_applied() {
    let (_folder, result) = load(
        "istio",
        &[
            ("k8s.yaml", KUBERNETES),
            ("profile.yaml", PROFILE),
            (
                "route.yaml",
                &http_route("policy.linkerd.io/v1beta3", "", ONE_RULE),
            ),
        ],
    );
    let loaded = result.expect("loads, with warnings");
    assert!(
        loaded
            .scenario()
            .mesh
            .get("backend")
            .is_none_or(|mesh| mesh.timeout.is_none()
                && mesh.route.is_empty()
                && mesh.retries.is_none())
    );
    assert!(warned(&loaded, "means nothing under mesh = \"istio\""));
    assert_eq!(
        loaded
            .warnings
            .iter()
            .filter(|warning| warning.message.contains("means nothing"))
            .count(),
        2
    );
}

#[test]
fn a_retry_condition_linkerd_refuses_is_a_located_error() {
    let annotations = RETRY_ANNOTATIONS.replace("5xx,gateway-error", "5xx,reset");
    insta::assert_snapshot!(errors(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("policy.linkerd.io/v1beta3", &annotations, ONE_RULE)
        ),
    ]));
}

#[test]
fn a_fractional_annotation_duration_is_a_located_error() {
    // Linkerd's parser takes whole numbers only: "fractional values not supported".
    let annotations = RETRY_ANNOTATIONS.replace("300ms", "0.3s");
    insta::assert_snapshot!(errors(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("policy.linkerd.io/v1beta3", &annotations, ONE_RULE)
        ),
    ]));
}

#[test]
fn a_profile_field_of_the_wrong_type_is_a_located_error() {
    let profile = PROFILE.replace("isRetryable: true", "isRetryable: sometimes");
    insta::assert_snapshot!(errors(&[
        ("k8s.yaml", KUBERNETES),
        ("profile.yaml", &profile)
    ]));
}

#[test]
fn a_bad_rule_timeout_is_a_located_error() {
    let rules = ONE_RULE.replace("request: 2s", "request: two seconds");
    insta::assert_snapshot!(errors(&[
        ("k8s.yaml", KUBERNETES),
        (
            "route.yaml",
            &http_route("policy.linkerd.io/v1beta3", "", &rules)
        ),
    ]));
}

/// Runs `scenario` in `folder`; its exit code.
fn run(folder: &std::path::Path, scenario: &str) -> i32 {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .current_dir(folder)
        .args(["run", scenario, "--out"])
        .arg(folder.join("out"))
        .output()
        .expect("meshsim runs");
    output.status.code().unwrap_or(-1)
}

#[test]
fn the_example_meets_its_expectations_only_with_its_http_route() {
    // examples/linkerd-routes: a backend failing one answer in ten and stalling one in fifty.
    // With the route's retries (5xx, twice) and per-try timeout, about 0.12³ of calls fail;
    // without them, 10 % fail and 2 % wait 5 s.
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/linkerd-routes");
    let folder = tempfile::tempdir().expect("a temporary folder");
    for part in ["k8s", "linkerd"] {
        std::fs::create_dir_all(folder.path().join(part)).expect("a folder");
    }
    for file in [
        "retries.toml",
        "k8s/services.yaml",
        "linkerd/backend-route.yaml",
    ] {
        std::fs::copy(example.join(file), folder.path().join(file)).expect("a copy");
    }
    assert_eq!(
        run(folder.path(), "retries.toml"),
        0,
        "the expectations hold"
    );
    let text = std::fs::read_to_string(folder.path().join("retries.toml")).expect("the example");
    let line = "  \"linkerd/backend-route.yaml\",\n";
    assert!(text.contains(line));
    std::fs::write(folder.path().join("without.toml"), text.replace(line, "")).expect("written");
    assert_eq!(
        run(folder.path(), "without.toml"),
        1,
        "without the HTTPRoute an expectation fails"
    );
}
