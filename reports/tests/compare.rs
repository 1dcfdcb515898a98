//! Two runs compared (issue 16): the terminal and the page word every change alike (a rate's in
//! percentage points, a relative change in percent), the page opens with what differs most,
//! and its charts draw only what tells the runs apart, a subject only one run has named as that
//! run's alone.

use std::fmt::Write as _;

use meshsim_reports::{
    RunData, alike_subjects, compare_charts, compare_report_html, differences, differences_text,
    headline,
};

const HEADER: &str = "time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms,in_flight,queue_depth,circuit_state,ejected,route_weight,retries,budget_denials,pending,lag_ms,failed_checks\n";

/// How one of the two runs went.
struct Shape {
    name: &'static str,
    digest: &'static str,
    /// Requests that failed of the workload's 1000, all at `back`.
    failed: u64,
    p99_ms: f64,
    /// Whether `order` publishes to a broker, which `back` consumes from.
    broker: bool,
}

const SYNC: Shape = Shape {
    name: "sync",
    digest: "aaaa",
    failed: 300,
    p99_ms: 140.0,
    broker: false,
};

const ASYNC: Shape = Shape {
    name: "async",
    digest: "bbbb",
    failed: 5,
    p99_ms: 40.0,
    broker: true,
};

fn summary(shape: &Shape) -> String {
    let failed = shape.failed;
    let succeeded = 1000 - failed;
    let rate = succeeded as f64 / 1000.0;
    let p99 = shape.p99_ms;
    let latency = format!(r#"{{"mean": 20, "p50": 20, "p90": 40, "p99": {p99}, "max": 200}}"#);
    let counts = format!(r#"{{"sent": 1000, "succeeded": {succeeded}, "failed": {failed}}}"#);
    let steady = r#"{"mean": 2, "p50": 2, "p90": 4, "p99": 5, "max": 9}"#;
    let received = r#"{"received": 1000, "succeeded": 1000, "failed": 0}"#;
    let broker = if shape.broker {
        r#""events": {"enqueued": 1000, "delivered": 1000, "redelivered": 3, "acked": 1000,
            "failed": 0, "dead_lettered": 0, "queued_at_end": 0, "in_flight_at_end": 0,
            "max_lag_ms": 30000.0,
            "subscriptions": {"order.created -> back": {"enqueued": 1000, "delivered": 1000,
            "redelivered": 3, "acked": 1000, "failed": 0, "dead_lettered": 0, "queued_at_end": 0,
            "in_flight_at_end": 0, "max_lag_ms": 30000.0}}}"#
    } else {
        ""
    };
    let expectations = format!(
        r#"[{{"metric": "workload.shoppers.success_rate", "ok": {}, "actual": {rate}, "expected": ">= 0.99"}}]"#,
        rate >= 0.99
    );
    format!(
        r#"{{"scenario": "{name}", "seed": 4, "engine": "event", "digest": "{digest}",
        "sim_seconds": 30.0, "requests": {counts}, "success_rate": {rate}, "latency_ms": {latency},
        "workloads": {{"shoppers": {{"requests": {counts}, "success_rate": {rate},
            "latency_ms": {latency}}}}},
        "services": {{
            "back": {{"requests": {{"received": 1000, "succeeded": {succeeded}, "failed": {failed}}},
                "success_rate": {rate}, "latency_ms": {latency}, "mesh": {{"retries": {failed}}}}},
            "quiet": {{"requests": {received}, "success_rate": 1.0, "latency_ms": {steady},
                "mesh": {{"retries": 0}}}}
        }},
        "brokers": {{{broker}}},
        "faults": [{{"kind": "crash", "subject": "back", "start_s": 10.0, "end_s": 20.0, "detail": ""}}],
        "expectations": {expectations}}}"#,
        name = shape.name,
        digest = shape.digest,
    )
}

/// Six 5 s intervals: the workload, `back` (failing in the crash, from 10 s to 20 s, unless
/// async), `quiet` (the same in both), and the subscription of an async run.
fn metrics(shape: &Shape) -> String {
    let mut text = HEADER.to_owned();
    for interval in 0..6 {
        let time = f64::from(interval) * 5.0;
        let crashed = (2..4).contains(&interval) && !shape.broker;
        let failed = if crashed { 150 } else { 0 };
        let succeeded = 166 - failed;
        writeln!(
            text,
            "{time:.6},workload,shoppers,,166,{succeeded},{failed},0,0,20.000,{:.3},2,,,,,,,,,",
            shape.p99_ms
        )
        .unwrap();
        writeln!(
            text,
            "{time:.6},service,back,v1,166,{succeeded},{failed},,0,10.000,30.000,1,0,closed,0,100.0,0,0,0,,"
        )
        .unwrap();
        writeln!(
            text,
            "{time:.6},service,quiet,v1,166,166,0,,0,2.000,5.000,1,0,closed,0,100.0,0,0,0,,"
        )
        .unwrap();
        if shape.broker {
            let waiting = if (2..4).contains(&interval) { 400 } else { 0 };
            writeln!(
                text,
                "{time:.6},subscription,order.created -> back,,166,166,0,,0,,,2,{waiting},,,,0,,,{:.3},",
                f64::from(waiting) * 25.0
            )
            .unwrap();
        }
    }
    text
}

fn run(shape: &Shape) -> RunData {
    RunData::parse(
        &summary(shape),
        &metrics(shape),
        "time_s,kind,subject,detail\n",
    )
    .expect("the fixture parses")
}

#[test]
fn the_terminal_writes_a_rate_change_in_points_and_a_relative_change_in_percent() {
    let (a, b) = (run(&SYNC), run(&ASYNC));
    let rows = differences(&a, &b);
    let lines = headline(("sync", &a), ("async", &b), &rows);
    let text = differences_text(["sync", "async"], 4, &lines, &rows);
    // 70.00% to 99.50%: a change of 29.5 points, and 42.1 % of the first rate.
    let success = text
        .lines()
        .find(|line| {
            line.trim_start()
                .starts_with("workload.shoppers.success_rate")
        })
        .expect("the success rate changed");
    assert!(
        success.contains("70.00%") && success.contains("99.50%"),
        "{success}"
    );
    assert!(success.contains("+29.50 pp"), "{success}");
    assert!(success.contains("+42.1 %"), "{success}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_headline_names_the_biggest_changes_and_what_only_one_run_has() {
    let (a, b) = (run(&SYNC), run(&ASYNC));
    let rows = differences(&a, &b);
    let lines = headline(("sync", &a), ("async", &b), &rows);
    assert_eq!(
        lines[0], "success rate of workload shoppers: 70.00% → 99.50% (+29.50 pp)",
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"only async has broker events".to_owned()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"expectations: sync met 0 of 1; async met 1 of 1".to_owned()),
        "{lines:#?}"
    );
    // One workload: the figures over all workloads are its own, and not named twice.
    assert!(
        !lines.iter().any(|line| line.contains("over all workloads")),
        "{lines:#?}"
    );
    let same = headline(("sync", &a), ("sync", &a), &differences(&a, &a));
    assert_eq!(same.len(), 1);
    assert!(same[0].contains("same trace digest"), "{same:?}");
}

#[test]
fn a_chart_of_a_subject_only_one_run_has_names_that_run_alone() {
    let (a, b) = (run(&SYNC), run(&ASYNC));
    let charts = compare_charts(("sync", &a), ("async", &b)).expect("the charts are drawn");
    let broker = charts
        .iter()
        .find(|chart| chart.file_name == "compare-broker-subscription-order-created-back.svg")
        .expect("the subscription only async has is charted");
    assert!(
        broker.title.contains("only async has it (dashed)"),
        "{}",
        broker.title
    );
    assert!(!broker.title.contains("sync solid"), "{}", broker.title);
    assert!(broker.svg.contains("async: published/s"));
    assert!(
        !broker.svg.contains(">\nsync: "),
        "no legend entry names the run without a broker"
    );
    // Charts both runs have name both.
    let latency = charts
        .iter()
        .find(|chart| chart.file_name == "compare-latency-workload-shoppers.svg")
        .expect("the workload is charted");
    assert!(
        latency.title.contains("sync solid, async dashed"),
        "{}",
        latency.title
    );
}

#[test]
fn subjects_alike_in_both_runs_get_no_chart_and_the_page_says_so() {
    let (a, b) = (run(&SYNC), run(&ASYNC));
    let rows = differences(&a, &b);
    assert_eq!(
        alike_subjects(&a, &b, &rows),
        [("service", "quiet".to_owned())]
    );
    let charts = compare_charts(("sync", &a), ("async", &b)).expect("the charts are drawn");
    assert!(
        charts
            .iter()
            .all(|chart| !chart.file_name.contains("service-quiet")),
        "{:?}",
        charts
            .iter()
            .map(|chart| &chart.file_name)
            .collect::<Vec<_>>()
    );
    assert!(
        charts
            .iter()
            .any(|chart| chart.file_name == "compare-latency-service-back.svg")
    );
    let page = compare_report_html(("sync", &a), ("async", &b), &rows, &charts);
    assert!(
        page.contains("being alike in both runs"),
        "the page names them"
    );
    assert!(page.contains("service quiet"));
}

#[test]
fn the_page_opens_with_its_headline_then_the_differences() {
    let (a, b) = (run(&SYNC), run(&ASYNC));
    let rows = differences(&a, &b);
    let charts = compare_charts(("sync", &a), ("async", &b)).expect("the charts are drawn");
    let page = compare_report_html(("sync", &a), ("async", &b), &rows, &charts);
    let at = |id: &str| {
        page.find(&format!("<section id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no section {id}"))
    };
    let order = [at("headline"), at("differences"), at("runs"), at("charts")];
    assert!(order.is_sorted(), "sections out of order: {order:?}");
    let headline = &page[order[0]..order[1]];
    assert!(
        headline
            .contains("<li>success rate of workload shoppers: 70.00% → 99.50% (+29.50 pp)</li>"),
        "{headline}"
    );
    // The table words each change as the terminal does.
    assert!(page.contains("<td class=\"n\">+29.50 pp</td><td class=\"n\">+42.1 %</td>"));
    // Figures equal in both runs are folded away below the changed ones.
    let differences = &page[order[1]..order[2]];
    let folded = differences.find("<details>").expect("equal figures folded");
    assert!(differences[folded..].contains("<code>requests.sent</code>"));
    assert!(!differences[..folded].contains("<code>requests.sent</code>"));
    assert!(page.contains("<div class=\"chart-grid\">"));
}

#[test]
fn the_fault_shows_through_the_stacked_outcomes() {
    let (a, b) = (run(&SYNC), run(&ASYNC));
    let charts = compare_charts(("sync", &a), ("async", &b)).expect("the charts are drawn");
    let outcomes = charts
        .iter()
        .find(|chart| chart.file_name == "compare-outcomes-workload-shoppers.svg")
        .expect("outcomes are charted");
    let bands: Vec<&str> = outcomes
        .svg
        .lines()
        .filter(|line| line.starts_with("<polygon "))
        .collect();
    assert!(!bands.is_empty());
    assert!(
        bands.iter().all(|band| band.contains("opacity=\"0.8\"")),
        "{bands:#?}"
    );
    // The window's edges come again after the last band, so they are drawn over it.
    let last_band = outcomes.svg.rfind("<polygon ").unwrap();
    assert!(outcomes.svg[last_band..].contains("stroke=\"#A0A0A0\""));
    // A chart without a stack is left as drawn.
    let latency = charts
        .iter()
        .find(|chart| chart.file_name == "compare-latency-workload-shoppers.svg")
        .unwrap();
    assert!(!latency.svg.contains("opacity=\"0.8\""));
}
