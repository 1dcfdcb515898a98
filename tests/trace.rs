//! The trace export: `--trace FILE` writes Chrome trace-event JSON that Perfetto opens, with a
//! span per hop of every sampled request, and changes nothing else about the run.

mod support;

use support::meshsim;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// Runs `file` with a trace at `rate`; returns the trace's events and the run's summary.
fn traced(file: &Path, rate: &str, folder: &Path) -> (Vec<Value>, Value, Vec<u8>) {
    let trace = folder.join("trace.json");
    let out = folder.join("out");
    let output = meshsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
        "--trace",
        trace.to_str().unwrap(),
        "--trace-sample",
        rate,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bytes = std::fs::read(&trace).unwrap();
    let json: Value = serde_json::from_slice(&bytes).expect("the trace is JSON");
    let events = json["traceEvents"].as_array().unwrap().clone();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    (events, summary, bytes)
}

/// Each process's name (a service or a workload), by its pid.
fn process_names(events: &[Value]) -> BTreeMap<u64, String> {
    events
        .iter()
        .filter(|event| event["ph"] == "M" && event["name"] == "process_name")
        .map(|event| {
            (
                event["pid"].as_u64().unwrap(),
                event["args"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn spans(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|event| event["ph"] == "X").collect()
}

#[test]
fn every_request_gets_a_client_span_and_the_run_is_unchanged() {
    let folder = tempfile::tempdir().unwrap();
    let (events, summary, _) = traced(&scenario("quickstart.toml"), "1", folder.path());
    let sent = summary["requests"]["sent"].as_u64().unwrap();
    let ended = sent - summary["requests"]["in_flight"].as_u64().unwrap();
    let clients = spans(&events)
        .into_iter()
        .filter(|span| span["cat"] == "client")
        .count() as u64;
    assert_eq!(clients, ended);
    // The same digest as a run without a trace: spans stay out of it, and sampling draws from
    // no random stream.
    let plain = folder.path().join("plain");
    let output = meshsim(&[
        "run",
        scenario("quickstart.toml").to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(output.status.success());
    let plain: Value =
        serde_json::from_str(&std::fs::read_to_string(plain.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(plain["digest"], summary["digest"]);
}

#[test]
fn spans_nest_within_each_request_at_each_instance() {
    let folder = tempfile::tempdir().unwrap();
    let (events, _, _) = traced(&scenario("circuit-breaker.toml"), "0.05", folder.path());
    let spans = spans(&events);
    assert!(spans.len() > 100, "{}", spans.len());
    // Group by request and instance, on each thread: a serve holds its queue and work, a call
    // its tries; everything of a request at an instance lies within one of its serve spans
    // there (a request may come back to the same instance: a saga's second step).
    let mut visits: BTreeMap<(u64, u64, &str, &str), Vec<&Value>> = BTreeMap::new();
    for span in &spans {
        let key = (
            span["pid"].as_u64().unwrap(),
            span["tid"].as_u64().unwrap(),
            span["args"]["request"].as_str().unwrap(),
            span["args"]["instance"].as_str().unwrap(),
        );
        visits.entry(key).or_default().push(span);
    }
    let interval = |span: &Value| {
        let start = span["ts"].as_f64().unwrap();
        (start, start + span["dur"].as_f64().unwrap())
    };
    let within = |inner: &Value, outer: &Value| {
        let ((inner_start, inner_end), (start, end)) = (interval(inner), interval(outer));
        inner_start >= start - 1e-3 && inner_end <= end + 1e-3
    };
    let mut checked = 0;
    for spans in visits.values() {
        let serves: Vec<&&Value> = spans.iter().filter(|span| span["cat"] == "serve").collect();
        if serves.is_empty() {
            continue;
        }
        for span in spans {
            assert!(
                serves.iter().any(|serve| within(span, serve)),
                "{span} outside {serves:?}"
            );
            checked += 1;
        }
        // Every try lies within the call it belongs to.
        for attempt in spans.iter().filter(|span| span["cat"] == "attempt") {
            assert!(
                spans
                    .iter()
                    .filter(|span| span["cat"] == "call")
                    .any(|call| within(attempt, call)),
                "{attempt} is in no call"
            );
        }
    }
    assert!(checked > 100, "{checked}");
    // Names say what happened: endpoints, tries and the instance they went to.
    assert!(
        spans
            .iter()
            .any(|span| span["name"].as_str().unwrap().starts_with("try → payment/"))
    );
    assert!(
        events
            .iter()
            .any(|event| event["name"] == "process_name" && event["args"]["name"] == "payment")
    );
}

#[test]
fn the_sample_rate_bounds_the_trace_and_the_same_seed_gives_the_same_bytes() {
    let folder = tempfile::tempdir().unwrap();
    let file = scenario("messages.toml");
    let (all, summary, _) = traced(&file, "1", &folder.path().join("all"));
    let (some, _, first) = traced(&file, "0.01", &folder.path().join("some"));
    let (_, _, second) = traced(&file, "0.01", &folder.path().join("again"));
    assert_eq!(first, second, "the same run writes the same trace");
    let count = |events: &[Value]| {
        spans(events)
            .into_iter()
            .filter(|span| span["cat"] == "client")
            .count() as f64
    };
    let sent = summary["requests"]["sent"].as_f64().unwrap();
    assert!(count(&all) > 0.99 * sent);
    let share = count(&some) / count(&all);
    assert!((0.007..0.013).contains(&share), "{share}");
}

#[test]
fn a_rate_outside_zero_to_one_is_bad_input() {
    let output = meshsim(&[
        "run",
        scenario("quickstart.toml").to_str().unwrap(),
        "--trace",
        "/dev/null",
        "--trace-sample",
        "5",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--trace-sample 5"));
}

#[test]
fn a_trace_id_ties_a_request_row_to_its_whole_call_tree() {
    // shop-sync: gateway -> order -> user, product (twice), payment, notification. Every
    // sampled request's spans carry the trace id `requests.csv` gives it, and a request that
    // succeeded has a span at every service on its path.
    let folder = tempfile::tempdir().unwrap();
    let trace = folder.path().join("trace.json");
    let out = folder.path().join("out");
    let output = meshsim(&[
        "run",
        scenario("shop-sync.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
        "--requests",
        "--trace",
        trace.to_str().unwrap(),
        "--trace-sample",
        "0.01",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    let events = json["traceEvents"].as_array().unwrap().clone();
    // Process names by pid: the service (or workload) each span ran at.
    let processes = process_names(&events);
    let mut trees: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for span in spans(&events) {
        let id = span["args"]["trace_id"]
            .as_str()
            .expect("every span has a trace id");
        assert_eq!(id.len(), 32, "{id}");
        let process = &processes[&span["pid"].as_u64().unwrap()];
        trees
            .entry(id.to_owned())
            .or_default()
            .push(process.clone());
    }
    assert!(trees.len() > 20, "{} traced requests", trees.len());
    let text = std::fs::read_to_string(out.join("requests.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|header| header == name).unwrap();
    let (trace_column, outcome_column) = (column("trace_id"), column("outcome"));
    let mut whole = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let Some(tree) = trees.get(&record[trace_column]) else {
            continue;
        };
        if &record[outcome_column] == "succeeded" {
            for service in [
                "shoppers",
                "gateway",
                "order",
                "user",
                "product",
                "payment",
                "notification",
            ] {
                assert!(
                    tree.iter().any(|process| process == service),
                    "trace {} has no span at {service}: {tree:?}",
                    &record[trace_column]
                );
            }
            whole += 1;
        }
    }
    assert!(whole > 20, "{whole} whole call trees");
}

#[test]
fn one_order_of_the_whole_shop_shows_its_whole_call_tree() {
    // shop.toml: gateway -> order's saga (orders-db, product -> products-db, payment ->
    // ledger) and the event it publishes, consumed by notification: one trace id throughout.
    let folder = tempfile::tempdir().unwrap();
    let (events, _, _) = traced(&scenario("shop.toml"), "0.01", folder.path());
    let processes = process_names(&events);
    let mut trees: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for span in spans(&events) {
        let id = span["args"]["trace_id"].as_str().unwrap().to_owned();
        let process = processes[&span["pid"].as_u64().unwrap()].clone();
        trees.entry(id).or_default().insert(process);
    }
    let whole = [
        "shoppers",
        "gateway",
        "order",
        "orders-db",
        "product",
        "products-db",
        "payment",
        "ledger",
        "notification",
    ];
    let complete = trees
        .values()
        .filter(|tree| whole.iter().all(|name| tree.contains(*name)))
        .count();
    assert!(complete > 10, "{complete} orders traced end to end");
}

/// A slice as a viewer reads it: where it sits in the file, its time in nanoseconds, and how
/// deep its category sits in a request's spans at one instance.
struct Slice {
    index: usize,
    start_ns: u64,
    end_ns: u64,
    depth: u8,
    request: String,
}

impl Slice {
    fn new(index: usize, event: &Value) -> Slice {
        // The trace's microseconds carry three decimals: whole nanoseconds, exact in an f64.
        let nanos = |field: &str| (event[field].as_f64().unwrap() * 1000.0).round() as u64;
        let depth = match event["cat"].as_str().unwrap() {
            "client" | "serve" => 0,
            "queue" | "work" | "call" => 1,
            "attempt" => 2,
            other => panic!("unknown category {other}"),
        };
        Slice {
            index,
            start_ns: nanos("ts"),
            end_ns: nanos("ts") + nanos("dur"),
            depth,
            request: event["args"]["request"].as_str().unwrap().to_owned(),
        }
    }
}

/// Slices by (pid, tid), in file order.
fn tracks(events: &[Value]) -> BTreeMap<(u64, u64), Vec<Slice>> {
    let mut tracks: BTreeMap<(u64, u64), Vec<Slice>> = BTreeMap::new();
    for (index, event) in events.iter().enumerate() {
        if event["ph"] == "X" {
            let key = (
                event["pid"].as_u64().unwrap(),
                event["tid"].as_u64().unwrap(),
            );
            tracks
                .entry(key)
                .or_default()
                .push(Slice::new(index, event));
        }
    }
    tracks
}

/// Perfetto and `chrome://tracing` break ties between slices that start together by file
/// order: of two with the same start, the outer one must come first. Zero-length slices are
/// left to [`assert_slices_nest`]: one may end a sibling before the next starts at that instant.
fn assert_parent_first(track: &[Slice]) {
    for (position, first) in track.iter().enumerate() {
        for second in &track[position + 1..] {
            if second.start_ns != first.start_ns || first.end_ns == first.start_ns {
                continue;
            }
            let (first_length, second_length) = (
                first.end_ns - first.start_ns,
                second.end_ns - second.start_ns,
            );
            assert!(
                second_length < first_length
                    || (second_length == first_length && second.depth >= first.depth),
                "event {} starts with event {} and holds it, but comes after it",
                second.index,
                first.index
            );
        }
    }
}

/// Replays a track as a viewer does (by start, ties in file order, a slice inside the last
/// open one that has not ended): no slice overlaps another without nesting in it, and the slice
/// it nests in is a shallower span of the same request.
fn assert_slices_nest(track: &[Slice]) {
    let mut order: Vec<&Slice> = track.iter().collect();
    order.sort_by_key(|slice| slice.start_ns);
    let mut open: Vec<&Slice> = Vec::new();
    for slice in order {
        while open.last().is_some_and(|top| top.end_ns <= slice.start_ns) {
            open.pop();
        }
        if let Some(parent) = open.last() {
            assert!(
                slice.end_ns <= parent.end_ns,
                "event {} overlaps event {} without nesting in it",
                slice.index,
                parent.index
            );
            assert_eq!(slice.request, parent.request, "event {}", slice.index);
            assert!(
                parent.depth < slice.depth,
                "event {} would be drawn inside event {}",
                slice.index,
                parent.index
            );
        }
        open.push(slice);
    }
}

/// Issue 16: spans end children first, and the trace once wrote them in that order (a try
/// before its call, the work before its serve), which viewers draw as the try holding the call;
/// and it gave every request a thread at every instance (716 threads for 105 requests in this
/// run). Now each service is a process whose few lanes hold one request after another.
#[test]
fn the_saga_trace_nests_parent_first_on_a_few_lanes_per_service() {
    let folder = tempfile::tempdir().unwrap();
    let (events, _, _) = traced(&scenario("saga.toml"), "0.01", folder.path());
    let tracks = tracks(&events);
    for track in tracks.values() {
        assert_parent_first(track);
        assert_slices_nest(track);
    }
    let slices: usize = tracks.values().map(Vec::len).sum();
    let requests: std::collections::BTreeSet<&str> = tracks
        .values()
        .flatten()
        .map(|slice| slice.request.as_str())
        .collect();
    assert!(
        slices > 2000 && requests.len() > 80,
        "{slices} slices of {} requests",
        requests.len()
    );
    // 1 % of 80 orders a second is under one traced order a second, and an order takes tens of
    // milliseconds, so traced orders seldom meet at a service: one lane each, more only while
    // the faults hold orders up (the ledger's 3 s pause holds payment and order). Four lanes
    // per process on average bounds it, against one thread per request per instance before.
    let processes = process_names(&events).len();
    assert_eq!(processes, 7, "a process per service, store and workload");
    assert!(
        (processes..=4 * processes).contains(&tracks.len()),
        "{} tracks for {} requests",
        tracks.len(),
        requests.len()
    );
    // A request coming back to a service (a saga's compensation at the store that created the
    // order) takes its lane again unless another request holds it then; under 1 % of the
    // (service, request) pairs spread over two lanes.
    let mut lanes: BTreeMap<(u64, &str), std::collections::BTreeSet<u64>> = BTreeMap::new();
    for (&(process, thread), track) in &tracks {
        for slice in track {
            lanes
                .entry((process, slice.request.as_str()))
                .or_default()
                .insert(thread);
        }
    }
    let spread = lanes.values().filter(|threads| threads.len() > 1).count();
    assert!(spread * 100 < lanes.len(), "{spread} of {}", lanes.len());
}
