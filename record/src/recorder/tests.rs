//! The recorder as a state machine: records at times in, the files and the summary out. A
//! workload `shop` calls the service `backend` (two versions); metrics are cut every second.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

use meshsim_sim::{Control, ControlAction, GroupId, NodeId, SimTime, Sink};

use super::{Recorder, RecorderOutputs};
use crate::catalog::{Catalog, GroupInfo, NodeInfo, VersionInfo};
use crate::events::MeshEvent;
use crate::keys::{ClientId, VersionKey};
use crate::outcome::{Outcome, ServedResult};
use crate::reason::{Reason, ReasonKind};
use crate::record::Record;
use crate::span::{Span, SpanKind};
use crate::summary::RunSummary;
use crate::trace::TraceOutput;

const MS: u64 = 1_000_000;
const SHOP: ClientId = ClientId(0);
const CLIENT_GROUP: GroupId = GroupId(0);
const BACKEND: GroupId = GroupId(1);
const V1: VersionKey = VersionKey {
    group: BACKEND,
    version: 0,
};

/// A file the test reads back once the recorder is done with it.
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }

    /// The CSV's rows after its header, as cells.
    fn rows(&self) -> Vec<Vec<String>> {
        self.text()
            .lines()
            .skip(1)
            .map(|line| line.split(',').map(str::to_owned).collect())
            .collect()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn catalog() -> Catalog {
    let version = |name: &str| VersionInfo {
        name: name.to_owned(),
        instances: 1,
        route_weight_percent: 50.0,
        cores: None,
    };
    Catalog {
        groups: vec![
            GroupInfo {
                name: "shop".to_owned(),
                versions: Vec::new(),
                endpoints: Vec::new(),
            },
            GroupInfo {
                name: "backend".to_owned(),
                versions: vec![version("v1"), version("v2")],
                endpoints: vec!["get".to_owned()],
            },
        ],
        clients: vec!["shop".to_owned()],
        nodes: vec![
            NodeInfo {
                group: CLIENT_GROUP,
                name: "shop".to_owned(),
                version: None,
            },
            NodeInfo {
                group: BACKEND,
                name: "backend/0".to_owned(),
                version: Some(0),
            },
        ],
        subscriptions: Vec::new(),
        rollouts: Vec::new(),
        metrics_interval_ns: 1_000 * MS,
    }
}

/// The recorder's files, kept for reading back.
#[derive(Default)]
struct Files {
    metrics: Captured,
    events: Captured,
    requests: Captured,
    trace: Captured,
}

fn recorder(files: &Files, trace: bool) -> Recorder {
    let outputs = RecorderOutputs {
        metrics: Some(Box::new(files.metrics.clone())),
        events: Some(Box::new(files.events.clone())),
        requests: Some(Box::new(files.requests.clone())),
        trace: trace.then(|| TraceOutput {
            writer: Box::new(files.trace.clone()),
            sample_rate: 1.0,
        }),
        otlp: None,
        openmetrics: None,
    };
    Recorder::new(catalog(), outputs)
}

fn at(time_ms: u64) -> SimTime {
    SimTime::from_nanos(time_ms * MS)
}

fn sent(request: u64) -> Record {
    Record::RequestSent {
        client: SHOP,
        request,
    }
}

fn done(request: u64, sent_at_ms: u64, outcome: Outcome, reason: Reason) -> Record {
    Record::RequestDone {
        client: SHOP,
        request,
        sent_at_ns: sent_at_ms * MS,
        outcome,
        status: if outcome == Outcome::Succeeded {
            200
        } else {
            500
        },
        reason,
    }
}

fn served(latency_ms: u64, result: ServedResult) -> Record {
    Record::Served {
        key: V1,
        node: NodeId(1),
        latency_ns: latency_ms * MS,
        result,
    }
}

const ERROR_AT_BACKEND: Reason = Reason {
    kind: ReasonKind::Error,
    group: Some(BACKEND),
};

/// Feeds `records` at their times (in milliseconds) as an engine would, then finishes at
/// `end_ms`.
fn replay(mut recorder: Recorder, records: &[(u64, Record)], end_ms: u64) -> RunSummary {
    for (time_ms, record) in records {
        Sink::advance(&mut recorder, at(*time_ms));
        Sink::record(&mut recorder, at(*time_ms), record);
    }
    Sink::advance(&mut recorder, at(end_ms));
    recorder
        .finish(at(end_ms))
        .expect("writing to memory fails not")
}

/// Three requests: one succeeds in 30 ms, one fails at the backend, one is still out at the end.
fn three_requests() -> Vec<(u64, Record)> {
    vec![
        (100, sent(1)),
        (120, served(20, ServedResult::Succeeded)),
        (130, done(1, 100, Outcome::Succeeded, Reason::OK)),
        (1_200, sent(2)),
        (1_210, served(5, ServedResult::Failed)),
        (1_215, done(2, 1_200, Outcome::Failed, ERROR_AT_BACKEND)),
        (2_400, sent(3)),
        (
            2_900,
            Record::InFlightAtEnd {
                client: SHOP,
                count: 1,
            },
        ),
    ]
}

#[test]
fn every_request_is_counted_once_by_how_it_ended_or_as_in_flight() {
    let files = Files::default();
    let summary = replay(recorder(&files, false), &three_requests(), 3_000);
    assert!(summary.accounting.ok, "{:?}", summary.accounting.problems);
    let requests = summary.requests;
    assert_eq!(
        (requests.sent, requests.succeeded, requests.failed),
        (3, 1, 1)
    );
    assert_eq!(
        (requests.timed_out, requests.shed, requests.in_flight),
        (0, 0, 1)
    );
    assert_eq!(requests.sent, requests.ended() + requests.in_flight);
    assert_eq!(summary.success_rate, Some(0.5));
    assert!(
        (summary.latency_ms.max - 30.0).abs() < 1e-9,
        "{:?}",
        summary.latency_ms
    );
    let shop = &summary.workloads["shop"];
    assert_eq!(shop.failures.get("error at backend"), Some(&1));
    let backend = &summary.services["backend"];
    assert_eq!(
        (
            backend.requests.received,
            backend.requests.succeeded,
            backend.requests.failed
        ),
        (2, 1, 1)
    );
    assert_eq!(backend.versions["v1"].requests.received, 2);
    assert_eq!(backend.versions["v2"].requests.received, 0);
    let rows = files.requests.rows();
    assert_eq!(rows.len(), 2, "one row per ended request");
    assert_eq!(rows[1][5], "failed");
    assert_eq!(rows[1][8], "backend", "the failure's origin");
}

#[test]
fn a_request_that_ends_twice_is_a_problem() {
    // Without metrics.csv: its in-flight column subtracts the ended from the sent, which a
    // request that ends twice takes below zero.
    let outputs = RecorderOutputs::default();
    let records = [
        (0, sent(1)),
        (10, done(1, 0, Outcome::Succeeded, Reason::OK)),
        (20, done(1, 0, Outcome::TimedOut, Reason::OK)),
        (
            30,
            Record::InFlightAtEnd {
                client: SHOP,
                count: 0,
            },
        ),
    ];
    let summary = replay(Recorder::new(catalog(), outputs), &records, 100);
    assert!(!summary.accounting.ok);
    assert_eq!(summary.accounting.problems.len(), 1);
    assert!(
        summary.accounting.problems[0].starts_with("workload shop: sent 1 but ended 2"),
        "{:?}",
        summary.accounting.problems
    );
}

#[test]
fn a_client_that_holds_other_than_what_is_unended_is_a_problem() {
    let files = Files::default();
    let mut records = three_requests();
    // The client says it holds nothing, but request 3 never ended.
    records.pop();
    records.push((
        2_900,
        Record::InFlightAtEnd {
            client: SHOP,
            count: 0,
        },
    ));
    let summary = replay(recorder(&files, false), &records, 3_000);
    assert!(!summary.accounting.ok);
    // And a client that never reports is one too.
    let summary = replay(
        recorder(&files, false),
        &records[..records.len() - 1],
        3_000,
    );
    assert!(!summary.accounting.ok);
}

#[test]
fn metrics_get_one_row_per_workload_and_version_per_interval() {
    let files = Files::default();
    replay(recorder(&files, false), &three_requests(), 2_500);
    let rows = files.metrics.rows();
    let cut: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|row| (&*row[0], &*row[1], &*row[2], &*row[3], &*row[4]))
        .collect();
    // Intervals [0, 1 s), [1 s, 2 s) and the last, partial [2 s, 2.5 s): each row counts what
    // happened in its interval only.
    assert_eq!(
        cut,
        [
            ("0.000000", "workload", "shop", "", "1"),
            ("0.000000", "service", "backend", "v1", "1"),
            ("0.000000", "service", "backend", "v2", "0"),
            ("1.000000", "workload", "shop", "", "1"),
            ("1.000000", "service", "backend", "v1", "1"),
            ("1.000000", "service", "backend", "v2", "0"),
            ("2.000000", "workload", "shop", "", "1"),
            ("2.000000", "service", "backend", "v1", "0"),
            ("2.000000", "service", "backend", "v2", "0"),
        ]
    );
    // The workload's in-flight column: nothing out at the end of the first two, one at the last.
    let in_flight: Vec<&str> = rows.iter().step_by(3).map(|row| &*row[11]).collect();
    assert_eq!(in_flight, ["0", "0", "1"]);
}

#[test]
fn the_mesh_is_counted_per_callee_and_per_edge() {
    let files = Files::default();
    let call = Record::Call {
        caller: CLIENT_GROUP,
        callee: BACKEND,
    };
    let attempt = |retry| Record::Attempt {
        caller: CLIENT_GROUP,
        callee: BACKEND,
        retry,
    };
    let mesh = |event| Record::Mesh {
        callee: BACKEND,
        event,
    };
    let records = [
        (10, call.clone()),
        (10, attempt(false)),
        (20, mesh(MeshEvent::Retry)),
        (20, attempt(true)),
        (30, mesh(MeshEvent::Retry)),
        (30, attempt(true)),
        (40, mesh(MeshEvent::BudgetExhausted)),
        (50, call),
        (50, attempt(false)),
    ];
    let summary = replay(recorder(&files, false), &records, 100);
    let mesh = &summary.services["backend"].mesh;
    assert_eq!((mesh.calls, mesh.attempts, mesh.retries), (2, 4, 2));
    assert_eq!(mesh.budget_denials, 1);
    assert_eq!(mesh.amplification, Some(2.0));
    let edge = &summary.edges["shop -> backend"];
    assert_eq!((edge.calls, edge.attempts, edge.retries), (2, 4, 2));
}

#[test]
fn controls_and_events_become_lines_of_events_csv_in_the_digest() {
    let files = Files::default();
    let mut recorder = recorder(&files, false);
    let crash = Control {
        at: at(1_500),
        action: ControlAction::Crash(NodeId(1)),
        event_kind: "crash",
        subject: "backend/0".to_owned(),
        detail: String::new(),
    };
    Sink::advance(&mut recorder, at(1_500));
    Sink::control(&mut recorder, at(1_500), &crash);
    let with_control = recorder
        .finish(at(2_000))
        .expect("writing to memory fails not");
    assert_eq!(
        files.events.rows(),
        [["1.500000", "crash", "backend/0", ""]]
    );
    let quiet = replay(self::recorder(&Files::default(), false), &[], 2_000);
    assert_ne!(with_control.digest, quiet.digest);
}

fn span(request: u64) -> Span {
    Span {
        trace: (SHOP, request),
        node: NodeId(1),
        kind: SpanKind::Serve,
        start_ns: 110 * MS,
        end_ns: 120 * MS,
        endpoint: Some((BACKEND, 0)),
        peer: None,
        status: 200,
        number: 0,
        id: 1,
        parent: 0,
        events: Vec::new(),
    }
}

#[test]
fn spans_go_to_the_trace_and_stay_out_of_the_digest() {
    let traced = Files::default();
    let mut records = three_requests();
    records.insert(2, (120, Record::Span(Box::new(span(1)))));
    let with_span = replay(recorder(&traced, true), &records, 3_000);
    let without = replay(recorder(&Files::default(), false), &three_requests(), 3_000);
    assert_eq!(with_span.digest, without.digest);
    let trace = traced.trace.text();
    assert!(trace.starts_with("{\"displayTimeUnit\""), "{trace}");
    assert!(
        trace.contains("backend/0"),
        "the span's node is named: {trace}"
    );
}

#[test]
fn the_digest_is_a_function_of_the_records_and_their_times() {
    let first = replay(recorder(&Files::default(), false), &three_requests(), 3_000);
    let again = replay(recorder(&Files::default(), false), &three_requests(), 3_000);
    assert_eq!(first.digest, again.digest);
    assert_eq!(first.digest.len(), 32);
    let mut later = three_requests();
    later[0].0 += 1;
    let moved = replay(recorder(&Files::default(), false), &later, 3_000);
    assert_ne!(
        first.digest, moved.digest,
        "a record a millisecond later is another run"
    );
}
