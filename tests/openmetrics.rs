//! `meshsim run --openmetrics`: the file's request counts agree with `summary.json`'s, which
//! are summed from other records (the calls each sidecar started, the workloads' outcomes, the
//! breakers' rejections, the retries), and `promtool` turns the file into Prometheus blocks
//! holding the same values.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// order calls payment behind a retry policy and an application circuit breaker; payment fails
/// 85 % of its answers, so retries run out and the breaker opens. The workload stops at 50 s, so nothing is in flight at 60 s and
/// every call started has ended.
const SCENARIO: &str = r#"
[scenario]
name = "openmetrics"
seed = 11
duration = "60s"
metrics_interval = "5s"

[[service]]
name = "order"
replicas = 2
workers = 32
queue = 100
exposed = true

[[service.endpoint]]
name = "POST /orders"
service_time = { dist = "lognormal", median = "3ms", p99 = "15ms" }
calls = [{ service = "payment", endpoint = "POST /payments" }]

[[service]]
name = "payment"
replicas = 2
workers = 32
queue = 100

[[service.endpoint]]
name = "POST /payments"
service_time = { dist = "lognormal", median = "10ms", p99 = "40ms" }
error_rate = 0.85

[mesh.payment.retries]
attempts = 2
retry_on = ["5xx"]

[mesh.payment.circuit_breaker]
timeout = "3s"
error_threshold_percent = 50
reset_timeout = "5s"

[[workload]]
name = "shoppers"
target = "order"
endpoint = "POST /orders"
arrival = { kind = "steps", steps = [["0s", 100], ["50s", 0]] }
"#;

/// The last value of each series in an `OpenMetrics` file: samples come in time order.
fn last_values(text: &str) -> BTreeMap<String, f64> {
    let mut values = BTreeMap::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let mut parts = line.rsplitn(3, ' ');
        let (_time, value, series) = (parts.next(), parts.next(), parts.next());
        let (Some(value), Some(series)) = (value, series) else {
            panic!("a sample line has a series, a value and a time: {line}");
        };
        values.insert(series.to_owned(), value.parse::<f64>().expect("a number"));
    }
    values
}

/// The sum of the last values of series named `name` whose labels include every `labels`.
fn total(values: &BTreeMap<String, f64>, name: &str, labels: &[(&str, &str)]) -> u64 {
    values
        .iter()
        .filter(|(series, _)| series.starts_with(&format!("{name}{{")))
        .filter(|(series, _)| {
            labels
                .iter()
                .all(|(label, value)| series.contains(&format!("{label}=\"{value}\"")))
        })
        .map(|(_, value)| *value as u64)
        .sum()
}

/// Runs the scenario into `folder`; returns the `OpenMetrics` text and `summary.json`.
fn run(folder: &Path) -> (String, serde_json::Value) {
    let scenario = folder.join("openmetrics.toml");
    std::fs::write(&scenario, SCENARIO).expect("writes the scenario");
    let metrics = folder.join("metrics.om");
    let output = Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(folder.join("out"))
        .arg("--openmetrics")
        .arg(&metrics)
        .env("NO_COLOR", "1")
        .output()
        .expect("meshsim runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&metrics).expect("the metrics file");
    let summary = std::fs::read_to_string(folder.join("out/summary.json")).expect("summary");
    (text, serde_json::from_str(&summary).expect("JSON"))
}

fn count(value: &serde_json::Value) -> u64 {
    value.as_u64().expect("a count")
}

#[test]
fn request_counts_agree_with_the_summary_per_edge_and_per_status() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let (text, summary) = run(folder.path());
    let values = last_values(&text);
    let shoppers = &summary["workloads"]["shoppers"]["requests"];
    assert_eq!(count(&shoppers["in_flight"]), 0, "every call has ended");

    // Per edge: every call a sidecar started is a request its proxy reported, unless the
    // application's open breaker turned it away before it reached the proxy.
    let requests = "istio_requests_total";
    for (edge, caller, callee) in [
        ("shoppers -> order", "shoppers", "order"),
        ("order -> payment", "order", "payment"),
    ] {
        let reported = total(
            &values,
            requests,
            &[("source_app", caller), ("destination_service_name", callee)],
        );
        let rejected = count(&summary["services"][callee]["mesh"]["circuit_rejections"]);
        let calls = count(&summary["edges"][edge]["calls"]);
        assert!(calls > 1000, "{edge}: enough calls to mean something");
        assert_eq!(reported + rejected, calls, "{edge}");
    }
    // The breaker opened and turned calls away, so the last check compared two different sums.
    assert!(count(&summary["services"]["payment"]["mesh"]["circuit_rejections"]) > 0);

    // Per status: the workload's successes are its proxy's 200s, and the rest its failures.
    let from_shoppers = [("source_workload", "shoppers")];
    let ok = total(
        &values,
        requests,
        &[("source_workload", "shoppers"), ("response_code", "200")],
    );
    let all = total(&values, requests, &from_shoppers);
    assert_eq!(ok, count(&shoppers["succeeded"]));
    let not_ok =
        count(&shoppers["failed"]) + count(&shoppers["timed_out"]) + count(&shoppers["shed"]);
    assert_eq!(all - ok, not_ok);

    // Retries: Envoy's counter is the summary's, and calls whose last try failed after the
    // policy's two retries carry URX (Envoy's "upstream retry limit exceeded").
    let cluster = [(
        "cluster_name",
        "outbound|80||payment.default.svc.cluster.local",
    )];
    let retries = total(&values, "envoy_cluster_upstream_rq_retry", &cluster);
    assert_eq!(
        retries,
        count(&summary["services"]["payment"]["mesh"]["retries"])
    );
    assert!(retries > 0);
    let exhausted = total(&values, requests, &[("response_flags", "URX")]);
    assert!(exhausted > 0, "some calls ran out of retries");
    // Payment fails 85 % of answers and a call gets 3 tries: 0.85^3 = 61 % of the calls that
    // reached the proxy run out of them, whatever the breaker turned away before.
    let reached = total(
        &values,
        requests,
        &[("destination_service_name", "payment")],
    );
    let share = exhausted as f64 / reached as f64;
    assert!(
        (0.52..0.70).contains(&share),
        "URX share {share} of {reached}"
    );

    // A histogram's count is its +Inf bucket, and each is the counter of the same labels.
    let family = "istio_request_duration_milliseconds";
    let counts = total(&values, &format!("{family}_count"), &from_shoppers);
    let infinite = total(
        &values,
        &format!("{family}_bucket"),
        &[("source_workload", "shoppers"), ("le", "+Inf")],
    );
    assert_eq!((counts, infinite), (all, all));
}

#[test]
fn the_file_is_openmetrics_with_families_together_and_eof_last() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let (text, _) = run(folder.path());
    assert!(text.ends_with("# EOF\n"));
    // Each family's metadata appears once and its samples follow it, never another's.
    let mut seen = Vec::new();
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            family = rest.split(' ').next().expect("a name").to_owned();
            assert!(!seen.contains(&family), "{family} twice");
            seen.push(family.clone());
        } else if !line.starts_with('#') {
            assert!(line.starts_with(&family), "{line} outside {family}");
        }
    }
    // Counters' samples end in `_total`.
    assert!(text.contains("\nistio_requests_total{"));
}

/// `promtool tsdb create-blocks-from openmetrics` accepts the file, and the blocks hold the
/// shoppers' successes at the run's end. Without promtool the test says why and passes, unless
/// `CI` is set (CI installs Debian's `prometheus`).
#[test]
fn promtool_turns_the_file_into_blocks_with_the_same_values() {
    if Command::new("promtool").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is not on PATH, and CI must run this test (apt-get install prometheus)"
        );
        eprintln!("skipped: promtool is not on PATH (Debian's `prometheus` package has it)");
        return;
    }
    let folder = tempfile::tempdir().expect("a temporary folder");
    let (_, summary) = run(folder.path());
    let blocks = folder.path().join("blocks");
    let created = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(folder.path().join("metrics.om"))
        .arg(&blocks)
        .output()
        .expect("promtool runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let listed = Command::new("promtool")
        .args(["tsdb", "list"])
        .arg(&blocks)
        .output()
        .expect("promtool runs");
    let listing = String::from_utf8_lossy(&listed.stdout);
    // The default start, 2026-01-01T00:00:00Z, in milliseconds: the first point is at 5 s.
    assert!(listing.contains("1767225605000"), "{listing}");
    // promtool's dump opens the folder as a database, which needs a write-ahead log folder.
    std::fs::create_dir_all(blocks.join("wal")).expect("creates wal/");
    let dumped = Command::new("promtool")
        .args(["tsdb", "dump", "--match"])
        .arg(r#"{__name__="istio_requests_total",source_workload="shoppers",response_code="200"}"#)
        .arg(&blocks)
        .output()
        .expect("promtool runs");
    let dump = String::from_utf8_lossy(&dumped.stdout);
    // The run ends at 60 s: the last point, in milliseconds.
    let last = dump
        .lines()
        .find(|line| line.ends_with(" 1767225660000"))
        .unwrap_or_else(|| panic!("no point at the end in {dump}"));
    let value: f64 = last
        .rsplit(' ')
        .nth(1)
        .and_then(|value| value.parse().ok())
        .expect("a value");
    let succeeded = summary["workloads"]["shoppers"]["requests"]["succeeded"].as_u64();
    assert_eq!(Some(value as u64), succeeded);
}
