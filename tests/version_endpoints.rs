//! Versions that behave differently (issue 18, item 2), held to Istio's Bookinfo, on both
//! engines. Bookinfo's reviews v1 calls nothing, v2 and v3 call ratings, v2 with a 10 s
//! timeout and v3 with 2.5 s; its product page calls reviews with a 3 s timeout and one retry
//! and renders "reviews unavailable" when that fails. Istio's fault-injection task
//! (<https://istio.io/latest/docs/tasks/traffic-management/fault-injection/>, Istio 1.24)
//! delays ratings by 7 s: v2's 10 s outlasts the product page's 3 s + 3 s, so the page shows
//! reviews unavailable, while v3's 2.5 s gives up on ratings in time and the page shows reviews.

mod support;

use meshsim::EngineKind;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::simulate_source;

const ENGINES: [EngineKind; 2] = [EngineKind::Event, EngineKind::Turmoil];

fn run(engine: EngineKind, source: &str) -> RunSummary {
    simulate_source(
        engine,
        "bookinfo.toml",
        source,
        Some(3),
        RecorderOutputs::default(),
    )
    .1
}

/// Bookinfo with reviews' versions weighted `weights` (`v1 = 40, v2 = 30, v3 = 30`), `mesh`
/// added (a fault on ratings, say). Every version names its own calls: v1 replaces the
/// endpoint's call to ratings with none, v2 and v3 set their own timeouts on it.
fn bookinfo(weights: &str, mesh: &str) -> String {
    format!(
        r#"
[scenario]
name = "bookinfo"
duration = "60s"

[[service]]
name = "productpage"
exposed = true

[[service.endpoint]]
name = "GET /productpage"
service_time = {{ dist = "const", value = "5ms" }}
calls = [{{ service = "reviews", endpoint = "GET /reviews", timeout = "3s", retries = 1, on_error = "continue" }}]

[[service]]
name = "reviews"

[[service.endpoint]]
name = "GET /reviews"
service_time = {{ dist = "const", value = "2ms" }}
calls = [{{ service = "ratings", endpoint = "GET /ratings" }}]

[[service.version]]
name = "v1"
replicas = 2

[[service.version.endpoint]]
name = "GET /reviews"
calls = []

[[service.version]]
name = "v2"
replicas = 2

[[service.version.endpoint]]
name = "GET /reviews"
calls = [{{ service = "ratings", endpoint = "GET /ratings", timeout = "10s", on_error = "continue" }}]

[[service.version]]
name = "v3"
replicas = 2

[[service.version.endpoint]]
name = "GET /reviews"
calls = [{{ service = "ratings", endpoint = "GET /ratings", timeout = "2500ms", on_error = "continue" }}]

[[service]]
name = "ratings"

[[service.endpoint]]
name = "GET /ratings"
service_time = {{ dist = "const", value = "1ms" }}

[[mesh.reviews.route]]
weights = {{ {weights} }}
{mesh}
[[workload]]
name = "readers"
target = "productpage"
endpoint = "GET /productpage"
arrival = {{ kind = "poisson", rate = 20 }}
"#
    )
}

/// Only v2 and v3 call ratings, so the edge reviews → ratings carries exactly their requests,
/// and their share of reviews' requests is the weights' 60 %. Each request is routed on its
/// own, so the count of v2 and v3 requests out of n is Binomial(n, 0.6): it lies within 4
/// standard deviations, sqrt(n × 0.6 × 0.4), of 0.6 n but for a chance of 6e-5.
#[test]
fn ratings_is_called_only_by_the_versions_that_call_it_in_their_weights_share() {
    for engine in ENGINES {
        let summary = run(engine, &bookinfo("v1 = 40, v2 = 30, v3 = 30", ""));
        let reviews = &summary.services["reviews"];
        let received = |version: &str| reviews.versions[version].requests.received;
        let n = reviews.requests.received as f64;
        assert!(n > 1_000.0, "{engine:?}: {n} requests");
        let calling = (received("v2") + received("v3")) as f64;
        let bound = 4.0 * (n * 0.6 * 0.4).sqrt();
        assert!(
            (calling - 0.6 * n).abs() <= bound,
            "{engine:?}: v2 and v3 answered {calling} of {n}, 60 % ± {bound}"
        );
        let edge = summary.edges["reviews -> ratings"].calls as f64;
        // A request still in flight at the end may not have made its call yet.
        let in_flight = summary.workloads["readers"].requests.in_flight as f64;
        assert!(
            edge <= calling && edge + in_flight >= calling,
            "{engine:?}: {edge} calls to ratings for {calling} requests to v2 and v3"
        );
        assert_eq!(summary.services["productpage"].requests.degraded, 0);
        // `[[service.version]] name = "v1"` holds the base version's replicas.
        assert_eq!(reviews.versions["v1"].instances, 2, "{engine:?}");
        assert_eq!(
            reviews.versions.len(),
            3,
            "{engine:?}: v1 is not a fourth version"
        );
    }
}

/// A `v1` entry that gives no `replicas` keeps the service's, and its `error_rate` replaces the
/// base version's endpoints' (the documented rule), while v2 keeps the endpoint's own 0.
#[test]
fn a_v1_entry_without_replicas_keeps_the_services_and_sets_v1s_keys() {
    let source = r#"
[scenario]
name = "named-v1"
duration = "60s"

[[service]]
name = "reviews"
exposed = true
replicas = 3

[[service.endpoint]]
name = "GET /reviews"

[[service.version]]
name = "v2"

[[service.version]]
name = "v1"
error_rate = 0.5

[[workload]]
name = "readers"
target = "reviews"
endpoint = "GET /reviews"
arrival = { kind = "poisson", rate = 50 }
"#;
    for engine in ENGINES {
        let summary = run(engine, source);
        let versions = &summary.services["reviews"].versions;
        assert_eq!(versions["v1"].instances, 3, "{engine:?}");
        assert_eq!(versions["v2"].instances, 1, "{engine:?}");
        assert_eq!(versions["v2"].requests.failed, 0, "{engine:?}");
        // Binomial(n, 0.5) failures: within 4 standard deviations of n / 2.
        let v1 = &versions["v1"].requests;
        let n = v1.received as f64;
        assert!(n > 1_000.0, "{engine:?}");
        let bound = 4.0 * (n * 0.25).sqrt();
        assert!(
            (v1.failed as f64 - 0.5 * n).abs() <= bound,
            "{engine:?}: {} of {n} failed",
            v1.failed
        );
    }
}

/// The fault-injection task: ratings delayed 7 s. With every reader on v2, reviews waits for
/// ratings (7 s < 10 s) while the product page gives up after its 3 s try and its 3 s retry:
/// every page degrades to "reviews unavailable", and no reviews answer degrades.
#[test]
fn with_ratings_delayed_7s_v2s_10s_timeout_leaves_the_page_without_reviews() {
    let delay = "\n[mesh.ratings]\nfault = { delay = \"7s\", delay_percent = 100 }\n";
    for engine in ENGINES {
        let summary = run(engine, &bookinfo("v2 = 100", delay));
        let page = &summary.services["productpage"];
        assert!(page.requests.received > 1_000, "{engine:?}");
        assert_eq!(page.success_rate, Some(1.0), "{engine:?}");
        assert_eq!(
            page.requests.degraded, page.requests.received,
            "{engine:?}: every page shows reviews unavailable"
        );
        // Each page waits its two 3 s tries, and no more.
        assert!(
            page.latency_ms.p50 >= 6_000.0 && page.latency_ms.max <= 6_100.0,
            "{engine:?}: p50 {} ms, max {} ms",
            page.latency_ms.p50,
            page.latency_ms.max
        );
        let v2 = &summary.services["reviews"].versions["v2"].requests;
        assert_eq!(v2.degraded, 0, "{engine:?}: v2 waits for ratings");
        assert_eq!(v2.failed, 0, "{engine:?}");
    }
}

/// The same delay with every reader on v3: v3 gives up on ratings after 2.5 s and answers
/// without them, inside the product page's 3 s, so every page shows reviews and every v3
/// answer degrades instead ("ratings unavailable").
#[test]
fn with_ratings_delayed_7s_v3s_2_5s_timeout_keeps_the_reviews_on_the_page() {
    let delay = "\n[mesh.ratings]\nfault = { delay = \"7s\", delay_percent = 100 }\n";
    for engine in ENGINES {
        let summary = run(engine, &bookinfo("v3 = 100", delay));
        let page = &summary.services["productpage"];
        assert!(page.requests.received > 1_000, "{engine:?}");
        assert_eq!(
            page.requests.degraded, 0,
            "{engine:?}: the page shows reviews"
        );
        assert!(
            page.latency_ms.max < 3_000.0,
            "{engine:?}: max {} ms",
            page.latency_ms.max
        );
        let v3 = &summary.services["reviews"].versions["v3"].requests;
        assert_eq!(
            v3.degraded, v3.received,
            "{engine:?}: every v3 answer goes without ratings"
        );
    }
}

/// `explain` lists a version's own call as an edge: reviews → ratings, though only v2 and v3
/// make it, and with the endpoint's own calls empty.
#[test]
fn explain_shows_a_call_only_a_version_makes() {
    let source = bookinfo("v1 = 40, v2 = 30, v3 = 30", "").replace(
        "calls = [{ service = \"ratings\", endpoint = \"GET /ratings\" }]\n",
        "",
    );
    let folder = tempfile::tempdir().expect("a temporary folder");
    let file = folder.path().join("bookinfo.toml");
    std::fs::write(&file, source).expect("written");
    let output = support::meshsim(&["explain", file.to_str().expect("a UTF-8 path")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("reviews → ratings") || stdout.contains("reviews -> ratings"),
        "{stdout}"
    );
}
