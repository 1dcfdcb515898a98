//! `[scenario] include`: each Kubernetes and Istio field meshsim maps, read from a small file and
//! checked against the scenario value the product's documentation says it means; the located
//! errors a user sees, as snapshots.

// The numbers compared are read from text (`weight: 80`), exactly.
#![allow(clippy::float_cmp)]

use meshsim::scenario::schema::{HeaderMatch, LoadBalancer, RetryOn, Scenario};
use meshsim::scenario::{Duration, LoadError, Loaded, Real, load_file};

/// The behaviour every test's scenario has: reviews and ratings, reviews calling ratings.
const BEHAVIOUR: &str = r#"
[[service]]
name = "reviews"
exposed = true
REVIEWS_EXTRA

[[service.endpoint]]
name = "GET /reviews/0"
calls = [{ service = "ratings", endpoint = "GET /ratings/0" }]

[[service]]
name = "ratings"

[[service.endpoint]]
name = "GET /ratings/0"

[[workload]]
name = "users"
target = "reviews"
endpoint = "GET /reviews/0"
arrival = { kind = "poisson", rate = 10 }
"#;

/// Writes `files` (name, text) and a scenario including them into a fresh folder, and loads it.
fn load(
    extra_toml: &str,
    files: &[(&str, &str)],
) -> (tempfile::TempDir, Result<Loaded, LoadError>) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let names: Vec<String> = files.iter().map(|(name, _)| format!("{name:?}")).collect();
    for (name, text) in files {
        std::fs::write(folder.path().join(name), text).expect("written");
    }
    let scenario = format!(
        "[scenario]\nname = \"t\"\nduration = \"10s\"\ninclude = [{}]\n{}",
        names.join(", "),
        BEHAVIOUR.replace("REVIEWS_EXTRA", extra_toml)
    );
    std::fs::write(folder.path().join("s.toml"), scenario).expect("written");
    let loaded = load_file(&folder.path().join("s.toml"));
    (folder, loaded)
}

fn loaded(files: &[(&str, &str)]) -> Scenario {
    let (_folder, result) = load("", files);
    match result {
        Ok(loaded) => loaded.scenario().clone(),
        Err(error) => panic!("did not load:\n{error}"),
    }
}

/// The errors of a load that must fail, with the temporary folder's path taken out.
fn errors(extra_toml: &str, files: &[(&str, &str)]) -> String {
    let (folder, result) = load(extra_toml, files);
    let error = result.expect_err("should not load");
    let text = format!(
        "{}\n{}",
        error.render(false),
        error.summary(false).unwrap_or_default()
    );
    text.replace(&format!("{}/", folder.path().display()), "")
}

const SERVICES: &str = r"
apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  selector:
    app: reviews
---
apiVersion: v1
kind: Service
metadata:
  name: ratings
spec:
  selector:
    app: ratings
";

fn deployment(name: &str, app: &str, version: &str, replicas: u32, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n        version: {version}\n    spec:\n      serviceAccountName: sa-{app}\n      containers:\n      - name: c\n{extra}"
    )
}

fn deployments() -> String {
    [
        deployment("reviews-v1", "reviews", "v1", 3, "        resources:\n          limits:\n            cpu: 1500m\n        readinessProbe:\n          initialDelaySeconds: 7\n"),
        deployment("reviews-v2", "reviews", "v2", 2, ""),
        deployment("ratings-v1", "ratings", "v1", 1, "        resources:\n          requests:\n            cpu: 250m\n"),
    ]
    .join("---\n")
}

#[test]
fn deployments_give_replicas_versions_readiness_and_cores() {
    let scenario = loaded(&[("k8s.yaml", &format!("{SERVICES}---\n{}", deployments()))]);
    let reviews = &scenario.services[0];
    assert_eq!(reviews.replicas, 3, "spec.replicas of the v1 Deployment");
    assert_eq!(reviews.versions.len(), 1);
    assert_eq!(
        (
            reviews.versions[0].name.as_str(),
            reviews.versions[0].replicas
        ),
        ("v2", Some(2))
    );
    assert_eq!(
        reviews.start_time,
        Some(Duration::from_secs(7)),
        "initialDelaySeconds"
    );
    assert_eq!(
        reviews.cores.map(Real::get),
        Some(1.5),
        "1500m is 1.5 cores"
    );
    assert_eq!(scenario.services[1].replicas, 1);
}

#[test]
fn hpa_gives_autoscale() {
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ratings\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: ratings-v1\n  minReplicas: 2\n  maxReplicas: 9\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n        averageUtilization: 60\n";
    let scenario = loaded(&[
        ("k8s.yaml", &format!("{SERVICES}---\n{}", deployments())),
        ("hpa.yaml", hpa),
    ]);
    // meshsim's autoscaler scales a service without other versions: ratings, not reviews.
    let autoscale = scenario.services[1].autoscale.as_ref().expect("autoscale");
    assert_eq!((autoscale.min_replicas, autoscale.max_replicas), (2, 9));
    assert_eq!(
        (autoscale.metric.as_str(), autoscale.target.get()),
        ("cpu", 60.0)
    );
    // The Deployment asks for 1 replica; the HPA scales it to its minimum at once, and the run
    // starts there, with a warning.
    assert_eq!(scenario.services[1].replicas, 2);
}

const SUBSETS: &str = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\nspec:\n  host: reviews.default.svc.cluster.local\n  trafficPolicy:\n    loadBalancer:\n      simple: LEAST_REQUEST\n    connectionPool:\n      tcp:\n        maxConnections: 4\n      http:\n        http1MaxPendingRequests: 2\n        http2MaxRequests: 8\n        maxRetries: 3\n    outlierDetection:\n      consecutive5xxErrors: 5\n      interval: 10s\n      baseEjectionTime: 30s\n      maxEjectionPercent: 50\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n";

#[test]
fn destination_rule_gives_balancer_pool_and_outlier_detection() {
    let scenario = loaded(&[
        ("k8s.yaml", &format!("{SERVICES}---\n{}", deployments())),
        ("dr.yaml", SUBSETS),
    ]);
    let mesh = &scenario.mesh["reviews"];
    assert_eq!(mesh.load_balancer, Some(LoadBalancer::LeastRequest));
    let pool = mesh.connection_pool.as_ref().expect("pool");
    assert_eq!(
        (
            pool.max_connections,
            pool.max_pending_requests,
            pool.max_requests,
            pool.max_retries
        ),
        (Some(4), Some(2), Some(8), Some(3))
    );
    let outlier = mesh.outlier_detection.as_ref().expect("outlier detection");
    assert_eq!(outlier.consecutive_5xx, Some(5));
    assert_eq!(outlier.interval, Some(Duration::from_secs(10)));
    assert_eq!(outlier.base_ejection_time, Some(Duration::from_secs(30)));
    assert_eq!(outlier.max_ejection_percent.map(Real::get), Some(50.0));
}

const ROUTES: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n  - reviews\n  http:\n  - match:\n    - headers:\n        end-user:\n          exact: jason\n    - uri:\n        prefix: /reviews\n    route:\n    - destination:\n        host: reviews\n        subset: v2\n    timeout: 2s\n    retries:\n      attempts: 3\n      perTryTimeout: 500ms\n      retryOn: 5xx,connect-failure,503\n    fault:\n      abort:\n        httpStatus: 418\n        percentage:\n          value: 25\n  - route:\n    - destination:\n        host: reviews\n        subset: v1\n      weight: 80\n    - destination:\n        host: reviews\n        subset: v2\n      weight: 20\n";

#[test]
fn virtual_service_gives_routes_with_their_policies() {
    let scenario = loaded(&[
        ("k8s.yaml", &format!("{SERVICES}---\n{}", deployments())),
        ("dr.yaml", SUBSETS),
        ("vs.yaml", ROUTES),
    ]);
    let routes = &scenario.mesh["reviews"].route;
    // One route per `match` entry (Istio ORs them), then the catch-all.
    assert_eq!(routes.len(), 3);
    let jason = routes[0].matches.as_ref().expect("a match");
    assert!(
        matches!(&jason.headers["end-user"], HeaderMatch::How(how) if how.exact.as_deref() == Some("jason"))
    );
    let by_path = routes[1].matches.as_ref().expect("a match");
    assert_eq!(
        by_path.uri.as_ref().and_then(|uri| uri.prefix.as_deref()),
        Some("/reviews")
    );
    for route in &routes[..2] {
        assert_eq!(route.weights["v2"].get(), 100.0);
        assert_eq!(route.timeout, Some(Duration::from_secs(2)));
        let retries = route.retries.as_ref().expect("retries");
        assert_eq!(retries.attempts, Some(3));
        assert_eq!(retries.per_try_timeout, Some(Duration::from_millis(500)));
        assert_eq!(
            retries.retry_on,
            Some(vec![RetryOn::FiveXx, RetryOn::ConnectFailure])
        );
        assert_eq!(retries.retriable_status_codes, Some(vec![503]));
        let fault = route.fault.as_ref().expect("fault");
        assert_eq!(
            (fault.abort_status, fault.abort_percent.map(Real::get)),
            (Some(418), Some(25.0))
        );
    }
    assert!(routes[2].matches.is_none());
    assert_eq!(
        (routes[2].weights["v1"].get(), routes[2].weights["v2"].get()),
        (80.0, 20.0)
    );
}

#[test]
fn authorization_policy_names_who_may_call() {
    let policy = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ratings\nspec:\n  selector:\n    matchLabels:\n      app: ratings\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/default/sa/sa-reviews\"]\n";
    let scenario = loaded(&[
        ("k8s.yaml", &format!("{SERVICES}---\n{}", deployments())),
        ("authz.yaml", policy),
    ]);
    assert_eq!(
        scenario.mesh["ratings"].allow_from,
        Some(vec!["reviews".to_owned()])
    );
    let strict = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: reviews\nspec:\n  selector:\n    matchLabels:\n      app: reviews\n  mtls:\n    mode: STRICT\n";
    let scenario = loaded(&[
        ("k8s.yaml", &format!("{SERVICES}---\n{}", deployments())),
        ("peer.yaml", strict),
    ]);
    // Every service has a sidecar; only the workloads (plain text) are refused.
    assert_eq!(
        scenario.mesh["reviews"].allow_from,
        Some(vec!["reviews".to_owned(), "ratings".to_owned()])
    );
}

fn kubernetes() -> String {
    format!("{SERVICES}---\n{}", deployments())
}

#[test]
fn yaml_syntax_is_a_located_error() {
    insta::assert_snapshot!(errors(
        "",
        &[(
            "k8s.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: [reviews\n"
        )]
    ));
}

#[test]
fn a_key_in_both_places_is_an_error_naming_both() {
    insta::assert_snapshot!(errors("replicas = 2", &[("k8s.yaml", &kubernetes())]));
}

#[test]
fn a_field_of_the_wrong_type_is_a_located_error() {
    let wrong = kubernetes().replace("replicas: 3", "replicas: three");
    insta::assert_snapshot!(errors("", &[("k8s.yaml", &wrong)]));
}

#[test]
fn a_deployed_service_without_behaviour_says_what_to_add() {
    let details = deployment("details-v1", "details", "v1", 1, "");
    insta::assert_snapshot!(errors(
        "",
        &[("k8s.yaml", &format!("{}---\n{details}", kubernetes()))]
    ));
}

#[test]
fn weights_that_do_not_add_up_are_refused() {
    let routes = ROUTES.replace("weight: 20", "weight: 30");
    insta::assert_snapshot!(errors(
        "",
        &[
            ("k8s.yaml", &kubernetes()),
            ("dr.yaml", SUBSETS),
            ("vs.yaml", &routes)
        ]
    ));
}

#[test]
fn a_subset_no_deployment_backs_is_a_warning_and_an_empty_version() {
    let routes = ROUTES.replace(
        "subset: v2\n      weight: 20",
        "subset: v3\n      weight: 20",
    );
    let subsets = format!("{SUBSETS}  - name: v3\n    labels:\n      version: v3\n");
    let (_folder, result) = load(
        "",
        &[
            ("k8s.yaml", &kubernetes()),
            ("dr.yaml", &subsets),
            ("vs.yaml", &routes),
        ],
    );
    let loaded = result.expect("Istio accepts it, and so does meshsim");
    let reviews = &loaded.scenario().services[0];
    let v3 = reviews
        .versions
        .iter()
        .find(|version| version.name == "v3")
        .expect("v3");
    assert_eq!(
        v3.replicas,
        Some(0),
        "a version with no instances: Envoy answers 503"
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|warning| warning.message.contains("version: v3")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn a_later_document_replaces_an_earlier_one_and_fields_not_simulated_are_listed() {
    let first = ROUTES
        .replace("weight: 80", "weight: 70")
        .replace("weight: 20", "weight: 30");
    let (_folder, result) = load(
        "",
        &[
            ("k8s.yaml", &kubernetes()),
            ("dr.yaml", SUBSETS),
            ("a.yaml", &first),
            ("b.yaml", ROUTES),
        ],
    );
    let loaded = result.expect("loads");
    let routes = &loaded.scenario().mesh["reviews"].route;
    assert_eq!(
        routes[2].weights["v1"].get(),
        80.0,
        "b.yaml's VirtualService replaced a.yaml's"
    );
    let summary = loaded.included.summary();
    assert!(
        summary.contains("replaced: VirtualService default/reviews at"),
        "{summary}"
    );
    assert!(summary.contains("b.yaml:1:1"), "{summary}");
    // The container's name is nothing meshsim simulates; it is listed with its place.
    assert!(
        summary.contains("spec.template.spec.containers[0].name"),
        "{summary}"
    );
}

#[test]
fn a_deny_policy_allows_every_other_service_and_a_host_of_no_service_is_a_warning() {
    let deny = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: ratings\nspec:\n  selector:\n    matchLabels:\n      app: ratings\n  action: DENY\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/default/sa/sa-reviews\"]\n";
    let elsewhere = ROUTES.replace("  - reviews\n  http:", "  - details\n  http:");
    let (_folder, result) = load(
        "",
        &[
            ("k8s.yaml", &kubernetes()),
            ("authz.yaml", deny),
            ("vs.yaml", &elsewhere),
        ],
    );
    let loaded = result.expect("Istio accepts both");
    // Denied: reviews; every other service of the scenario (ratings itself) may call.
    assert_eq!(
        loaded.scenario().mesh["ratings"].allow_from,
        Some(vec!["ratings".to_owned()])
    );
    assert!(!loaded.scenario().mesh.contains_key("details"));
    assert!(
        loaded
            .warnings
            .iter()
            .any(|warning| warning.message.contains("`details` is no service")),
        "{:?}",
        loaded.warnings
    );
}
