//! The fault model, one behaviour per test, each a small simulation whose numbers follow from
//! the semantics in docs/scenario-format.md.

mod support;

use meshsim::scenario::load_str;
use meshsim::simulate;
use meshsim_record::{RecorderOutputs, RunSummary};
use support::SharedBuffer;

/// One request row of `requests.csv`.
#[derive(Debug)]
struct Row {
    sent_s: f64,
    latency_ms: f64,
    outcome: String,
    reason: String,
}

/// A service `api` (exposed unless said otherwise) behind 1 ms hops, 100 constant requests a
/// second for 10 s, plus `extra` TOML. The mesh is a bare Envoy, which retries nothing unless
/// told to, so each fault shows as it first strikes (Istio's default retries would hide some).
fn run(extra: &str, exposed: bool) -> (RunSummary, Vec<Row>, String) {
    let source = format!(
        r#"
[scenario]
name = "faults"
duration = "10s"
mesh = "envoy"

[network]
latency = {{ dist = "const", value = "1ms" }}
discovery_delay = "1s"

[[service]]
name = "api"
replicas = 1
workers = 10
queue = 100
exposed = {exposed}

[[service.endpoint]]
name = "get"
service_time = {{ dist = "const", value = "2ms" }}

[[workload]]
name = "load"
target = "api"
endpoint = "get"
arrival = {{ kind = "constant", rate = 100 }}
timeout = "500ms"
{extra}"#
    );
    let loaded = load_str("faults.toml", &source).unwrap_or_else(|error| panic!("{error}"));
    let requests = SharedBuffer::default();
    let events = SharedBuffer::default();
    let outputs = RecorderOutputs {
        requests: Some(Box::new(requests.clone())),
        events: Some(Box::new(events.clone())),
        ..RecorderOutputs::default()
    };
    let simulation = simulate(loaded.resolved(), 5, outputs, &mut |_, _| {}).unwrap();
    assert!(
        simulation.summary.accounting.ok,
        "{:?}",
        simulation.summary.accounting.problems
    );
    let bytes = requests.bytes();
    let rows = csv::Reader::from_reader(bytes.as_slice())
        .records()
        .map(|row| {
            let row = row.unwrap();
            Row {
                sent_s: row[2].parse().unwrap(),
                latency_ms: row[4].parse().unwrap(),
                outcome: row[5].to_owned(),
                reason: row[7].to_owned(),
            }
        })
        .collect();
    let events = String::from_utf8(events.bytes()).unwrap();
    (simulation.summary, rows, events)
}

fn between(rows: &[Row], from_s: f64, to_s: f64) -> Vec<&Row> {
    rows.iter()
        .filter(|row| row.sent_s >= from_s && row.sent_s < to_s)
        .collect()
}

#[test]
fn a_healthy_request_takes_two_hops_and_the_service_time() {
    let (summary, rows, _) = run("", true);
    assert_eq!(summary.requests.sent, 1000);
    assert!(
        rows.iter()
            .all(|row| row.outcome == "succeeded" && (row.latency_ms - 4.0).abs() < 1e-9)
    );
}

#[test]
fn a_crashed_instance_refuses_after_one_round_trip_then_leaves_the_balancer() {
    let extra =
        "[[fault]]\nat = \"2s\"\nkind = \"crash\"\ntarget = \"api/0\"\nrestart_after = \"3s\"\n";
    let (_, rows, events) = run(extra, true);
    // Before the control plane notices (1 s), each attempt is refused one round trip later.
    for row in between(&rows, 2.0, 3.0) {
        assert_eq!(
            (row.outcome.as_str(), row.reason.as_str()),
            ("failed", "connection_refused"),
            "{row:?}"
        );
        assert!((row.latency_ms - 2.0).abs() < 1e-9, "{row:?}");
    }
    // Then the sidecar knows nothing is up and answers at once, without a hop.
    for row in between(&rows, 3.0, 5.0) {
        assert_eq!(row.reason, "no_healthy_upstream", "{row:?}");
        assert!(row.latency_ms.abs() < 1e-9, "{row:?}");
    }
    // Restarted at 5 s and back in the balancer a discovery delay later.
    assert!(
        between(&rows, 6.0, 10.0)
            .iter()
            .all(|row| row.outcome == "succeeded")
    );
    assert!(events.contains("crash,api/0,restarts after 3s"), "{events}");
    assert!(events.contains("restart,api/0"), "{events}");
}

#[test]
fn a_crash_refuses_the_requests_waiting_at_a_paused_instance() {
    // A pause piles requests up at the instance; the crash comes while they wait.
    let extra = "[[fault]]\nat = \"2s\"\nduration = \"1s\"\nkind = \"pause\"\ntarget = \"api/0\"\n\n\
                 [[fault]]\nat = \"2.5s\"\nkind = \"crash\"\ntarget = \"api\"\n";
    let (_, rows, _) = run(extra, true);
    // The requests that reached the paused instance between 2 s and 2.5 s sit in its sockets;
    // the crash at 2.5 s refuses them all, and each caller hears of it one hop later. The one
    // sent at 2.0 s reaches its 500 ms client timeout at 2.5 s, just before its refusal would.
    let waiting = between(&rows, 2.0, 2.5);
    assert_eq!(waiting.len(), 50);
    assert_eq!(waiting[0].outcome, "timed_out");
    for row in &waiting[1..] {
        assert_eq!(row.reason, "connection_refused", "{row:?}");
        let done_s = row.sent_s + row.latency_ms / 1e3;
        assert!((done_s - 2.501).abs() < 1e-9, "{row:?}");
    }
}

#[test]
fn a_partition_silences_and_the_client_times_out() {
    let extra = "[[fault]]\nat = \"2s\"\nduration = \"2s\"\nkind = \"partition\"\nbetween = [\"load\", \"api\"]\n";
    let (summary, rows, events) = run(extra, true);
    let cut = between(&rows, 2.0, 4.0);
    assert_eq!(cut.len(), 200);
    for row in &cut {
        assert_eq!(
            (row.outcome.as_str(), row.reason.as_str()),
            ("timed_out", "client_timeout"),
            "{row:?}"
        );
        assert!((row.latency_ms - 500.0).abs() < 1e-9);
    }
    assert!(
        between(&rows, 4.0, 10.0)
            .iter()
            .all(|row| row.outcome == "succeeded")
    );
    assert_eq!(summary.requests.timed_out, 200);
    assert!(
        events.contains("partition,load<->api") && events.contains("repair,load<->api"),
        "{events}"
    );
}

#[test]
fn a_one_way_partition_drops_only_the_answers() {
    let extra = "[[fault]]\nat = \"2s\"\nduration = \"1s\"\nkind = \"partition_oneway\"\nbetween = [\"api\", \"load\"]\n";
    let (summary, rows, _) = run(extra, true);
    // Requests get through (the service works on them) but the answers are dropped.
    assert_eq!(summary.services["api"].requests.received, 1000);
    assert!(
        between(&rows, 2.0, 2.997)
            .iter()
            .all(|row| row.outcome == "timed_out")
    );
}

#[test]
fn a_pause_holds_everything_until_it_resumes() {
    let extra =
        "[[fault]]\nat = \"2s\"\nduration = \"300ms\"\nkind = \"pause\"\ntarget = \"api/0\"\n";
    let (summary, rows, _) = run(extra, true);
    assert_eq!(summary.requests.succeeded, 1000);
    // Sent at 2.0 s, it arrives at 2.001 s and waits for the resume at 2.3 s, then takes 2 ms of
    // work and 1 ms back: 303 ms.
    let first = between(&rows, 2.0, 2.001)[0];
    assert!((first.latency_ms - 303.0).abs() < 1e-6, "{first:?}");
    // Requests sent after the resume are untouched.
    assert!(
        between(&rows, 2.31, 10.0)
            .iter()
            .all(|row| (row.latency_ms - 4.0).abs() < 1e-9)
    );
}

#[test]
fn a_latency_fault_adds_to_every_hop() {
    let extra = "[[fault]]\nat = \"2s\"\nduration = \"1s\"\nkind = \"latency\"\nbetween = [\"load\", \"api\"]\nadd = \"20ms\"\n";
    let (_, rows, _) = run(extra, true);
    for row in between(&rows, 2.0, 2.97) {
        assert!((row.latency_ms - 44.0).abs() < 1e-9, "{row:?}");
    }
}

#[test]
fn total_loss_drops_every_message() {
    let extra = "[[fault]]\nat = \"2s\"\nduration = \"1s\"\nkind = \"loss\"\nloss = 1.0\n";
    let (_, rows, _) = run(extra, true);
    assert!(
        between(&rows, 2.0, 2.99)
            .iter()
            .all(|row| row.outcome == "timed_out")
    );
}

#[test]
fn an_internal_service_refuses_workloads() {
    let (summary, rows, _) = run("", false);
    assert_eq!(summary.requests.failed, 1000);
    assert!(
        rows.iter()
            .all(|row| row.reason == "connection_refused" && (row.latency_ms - 2.0).abs() < 1e-9)
    );
}

#[test]
fn a_full_queue_sheds_with_503() {
    // One worker, no queue, 4 ms of work against a request every 1 ms: three in four are shed.
    let source = r#"
[scenario]
name = "shed"
duration = "2s"

[[service]]
name = "api"
workers = 1
queue = 0
exposed = true

[[service.endpoint]]
name = "get"
service_time = { dist = "const", value = "4ms" }

[[workload]]
name = "load"
target = "api"
endpoint = "get"
arrival = { kind = "constant", rate = 1000 }
"#;
    let loaded = load_str("shed.toml", source).unwrap();
    let simulation = simulate(
        loaded.resolved(),
        1,
        RecorderOutputs::default(),
        &mut |_, _| {},
    )
    .unwrap();
    let counts = simulation.summary.requests;
    assert_eq!(counts.sent, 2000);
    // Every fourth request finds the worker free; the last of them is still at work at the end.
    assert_eq!(counts.succeeded + counts.in_flight, 500);
    assert_eq!(counts.shed, 1500);
    assert_eq!(
        simulation.summary.workloads["load"]
            .failures
            .keys()
            .next()
            .unwrap(),
        "shed at api"
    );
}
