//! The charts of a run and of two runs compared, from small recorded runs written out here:
//! which charts there are, under which names, that each is an SVG document, that the same run
//! gives the same bytes, and that charts with nothing to show are left out.

use std::fmt::Write as _;

use meshsim_reports::{Chart, RunData, compare_charts, run_charts};

const HEADER: &str = "time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms,in_flight,queue_depth,circuit_state,ejected,route_weight,retries,budget_denials,pending\n";

/// A service version's rows: what one interval of it looks like.
struct ServiceRows<'a> {
    name: &'a str,
    version: &'a str,
    weight: f64,
    /// The breaker state of interval `i`.
    circuit: fn(usize) -> &'static str,
    ejected: fn(usize) -> u32,
}

fn closed(_: usize) -> &'static str {
    "closed"
}

fn none_ejected(_: usize) -> u32 {
    0
}

/// `metrics.csv` of `intervals` 5 s intervals: the workloads, then the service versions.
fn metrics(intervals: usize, workloads: &[&str], services: &[ServiceRows]) -> String {
    let mut text = HEADER.to_owned();
    for interval in 0..intervals {
        let time = interval as f64 * 5.0;
        // A slow patch in the middle of the run, for the latency lines to show.
        let slow = if (4..6).contains(&interval) {
            10.0
        } else {
            1.0
        };
        for workload in workloads {
            let failed = u32::from(interval == 5) * 7;
            writeln!(
                text,
                "{time:.6},workload,{workload},,100,{},{failed},1,0,{:.3},{:.3},2,,,,,,,",
                99 - failed,
                20.0 * slow,
                50.0 * slow
            )
            .unwrap();
        }
        for service in services {
            writeln!(
                text,
                "{time:.6},service,{},{},90,90,0,,0,{:.3},{:.3},1,{},{},{},{:.1},{},0,0",
                service.name,
                service.version,
                10.0 * slow,
                30.0 * slow,
                interval % 3,
                (service.circuit)(interval),
                (service.ejected)(interval),
                service.weight,
                interval % 2,
            )
            .unwrap();
        }
    }
    text
}

/// `summary.json` with the workloads' latency distributions, the services' mesh counters and
/// the fault windows.
fn summary(seconds: f64, workloads: &[&str], services: &[&str], faults: &str) -> String {
    let latency = r#"{"mean": 20, "p50": 20, "p90": 40, "p99": 50, "max": 60}"#;
    let counts = r#"{"sent": 1000, "succeeded": 990, "failed": 10}"#;
    let cdf = "[[0.0, 5.0], [50.0, 20.0], [90.0, 40.0], [99.0, 50.0], [100.0, 60.0]]";
    let workloads: Vec<String> = workloads
        .iter()
        .map(|name| {
            format!(
                r#""{name}": {{"requests": {counts}, "success_rate": 0.99, "latency_ms": {latency}, "latency_cdf_ms": {cdf}}}"#
            )
        })
        .collect();
    let services: Vec<String> = services
        .iter()
        .map(|name| {
            format!(
                r#""{name}": {{"requests": {counts}, "success_rate": 0.99, "latency_ms": {latency}, "mesh": {{"circuit_opens": 0, "ejections": 0}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"scenario": "test", "seed": 1, "engine": "event", "digest": "0", "sim_seconds": {seconds},
        "requests": {counts}, "success_rate": 0.99, "latency_ms": {latency},
        "workloads": {{{}}}, "services": {{{}}}, "faults": [{faults}]}}"#,
        workloads.join(", "),
        services.join(", "),
    )
}

const EVENTS: &str = "time_s,kind,subject,detail\n";

const LATENCY_FAULT: &str = r#"{"kind": "latency", "subject": "front<->back", "start_s": 20.0, "end_s": 30.0, "detail": "+250ms per hop"}"#;

fn breaker(interval: usize) -> &'static str {
    match interval {
        4 => "open",
        5 => "half_open",
        _ => "closed",
    }
}

fn one_ejected(interval: usize) -> u32 {
    u32::from(interval >= 6)
}

/// A run with one workload; `back` has two versions, a breaker that opens and an ejection;
/// `front` has one version and neither.
fn shop_run() -> RunData {
    let services = [
        ServiceRows {
            name: "front",
            version: "v1",
            weight: 100.0,
            circuit: closed,
            ejected: none_ejected,
        },
        ServiceRows {
            name: "back",
            version: "v1",
            weight: 80.0,
            circuit: breaker,
            ejected: one_ejected,
        },
        ServiceRows {
            name: "back",
            version: "v2",
            weight: 20.0,
            circuit: breaker,
            ejected: one_ejected,
        },
    ];
    let metrics = metrics(12, &["shoppers"], &services);
    let summary = summary(60.0, &["shoppers"], &["front", "back"], LATENCY_FAULT);
    RunData::parse(&summary, &metrics, EVENTS).expect("the test run parses")
}

/// A run with nothing to chart for breakers or route weights: one version, always closed.
fn plain_run() -> RunData {
    let services = [ServiceRows {
        name: "hello",
        version: "v1",
        weight: 100.0,
        circuit: closed,
        ejected: none_ejected,
    }];
    let metrics = metrics(6, &["visitors"], &services);
    let summary = summary(30.0, &["visitors"], &["hello"], "");
    RunData::parse(&summary, &metrics, EVENTS).expect("the test run parses")
}

/// Whether `svg` has a text element of exactly `text`, as plotters writes one.
fn has_text(svg: &str, text: &str) -> bool {
    svg.contains(&format!(">\n{text}\n</text>"))
}

fn names(charts: &[Chart]) -> Vec<&str> {
    charts
        .iter()
        .map(|chart| chart.file_name.as_str())
        .collect()
}

fn chart<'a>(charts: &'a [Chart], file_name: &str) -> &'a Chart {
    charts
        .iter()
        .find(|chart| chart.file_name == file_name)
        .unwrap_or_else(|| panic!("no {file_name} in {:?}", names(charts)))
}

/// Checks that `svg` is one `<svg>` element whose tags all close in order, with quoted
/// attributes and no stray `<` or `&` in text.
fn assert_well_formed(svg: &str, file_name: &str) {
    assert!(
        svg.starts_with("<svg "),
        "{file_name} starts with {:?}",
        &svg[..20]
    );
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "{file_name} does not end with </svg>"
    );
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        assert!(!text.contains('>'), "{file_name}: stray > in {text:?}");
        for entity in text.split('&').skip(1) {
            let name = entity.split(';').next().unwrap_or_default();
            assert!(
                ["lt", "gt", "amp", "quot", "apos"].contains(&name),
                "{file_name}: bare & in {text:?}"
            );
        }
        let end = rest[start..].find('>').expect("every tag closes") + start;
        let tag = &rest[start + 1..end];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "{file_name}: unbalanced quotes in <{tag}>"
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop(),
                Some(name),
                "{file_name}: </{name}> closes the wrong element"
            );
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().expect("a tag has a name"));
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "{file_name}: unclosed {open:?}");
}

#[test]
fn a_run_has_each_family_of_chart_under_its_file_name() {
    let charts = run_charts(&shop_run()).expect("the charts are drawn");
    assert_eq!(
        names(&charts),
        [
            "latency-workload-shoppers.svg",
            "throughput-workload-shoppers.svg",
            "outcomes-workload-shoppers.svg",
            "latency-cdf-workload-shoppers.svg",
            // `back` answered more (two versions), so it comes first.
            "latency-service-back.svg",
            "throughput-service-back.svg",
            "queue-service-back.svg",
            "circuit-service-back.svg",
            "route-weights-service-back.svg",
            "latency-service-front.svg",
            "throughput-service-front.svg",
            "queue-service-front.svg",
        ]
    );
}

#[test]
fn every_chart_is_a_well_formed_svg_with_its_title() {
    let charts = run_charts(&shop_run()).expect("the charts are drawn");
    let compared = compare_charts(("before", &shop_run()), ("after", &plain_run()))
        .expect("the charts are drawn");
    for chart in charts.iter().chain(&compared) {
        assert_well_formed(&chart.svg, &chart.file_name);
        // The title is in the document, escaped as text.
        let title = chart
            .title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            chart.svg.contains(&title),
            "{} lacks its title {title:?}",
            chart.file_name
        );
        assert!(
            chart.svg.contains("(s)") || chart.svg.contains("(ms"),
            "{}: an axis without its unit",
            chart.file_name
        );
    }
}

#[test]
fn the_same_run_gives_the_same_bytes() {
    let first = run_charts(&shop_run()).expect("the charts are drawn");
    let second = run_charts(&shop_run()).expect("the charts are drawn");
    assert_eq!(first, second);
    let compared =
        compare_charts(("a", &shop_run()), ("b", &plain_run())).expect("the charts are drawn");
    assert_eq!(
        compared,
        compare_charts(("a", &shop_run()), ("b", &plain_run())).expect("the charts are drawn")
    );
}

#[test]
fn text_is_left_to_the_viewers_sans_serif_font() {
    for chart in run_charts(&shop_run()).expect("the charts are drawn") {
        let families: Vec<&str> = chart
            .svg
            .split("font-family=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default())
            .collect();
        assert!(!families.is_empty(), "{} has no text", chart.file_name);
        assert!(
            families.iter().all(|family| *family == "sans-serif"),
            "{families:?}"
        );
    }
}

#[test]
fn charts_with_nothing_to_show_are_left_out() {
    let charts = run_charts(&plain_run()).expect("the charts are drawn");
    let names = names(&charts);
    // One version: no route weights; a breaker always closed and nothing ejected: no circuit.
    assert!(
        !names.iter().any(|name| name.starts_with("route-weights-")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|name| name.starts_with("circuit-")),
        "{names:?}"
    );
    assert!(names.contains(&"latency-service-hello.svg"));

    // A workload without a latency distribution and without any outcome has no chart of them.
    let services = [ServiceRows {
        name: "hello",
        version: "v1",
        weight: 100.0,
        circuit: closed,
        ejected: none_ejected,
    }];
    let mut quiet = String::from(HEADER);
    for interval in 0..4 {
        writeln!(
            quiet,
            "{}.000000,workload,idle,,0,0,0,0,0,,,0,,,,,,,",
            interval * 5
        )
        .unwrap();
    }
    quiet.push_str(metrics(4, &[], &services).trim_start_matches(HEADER));
    let summary = summary(20.0, &[], &["hello"], "");
    let run = RunData::parse(&summary, &quiet, EVENTS).unwrap();
    let charts = run_charts(&run).expect("the charts are drawn");
    let names: Vec<&str> = charts
        .iter()
        .map(|chart| chart.file_name.as_str())
        .collect();
    for family in ["latency", "outcomes", "latency-cdf"] {
        let name = format!("{family}-workload-idle.svg");
        assert!(
            !names.contains(&name.as_str()),
            "{name} drawn for an idle workload"
        );
    }
    // Throughput is not empty: zero requests per second is what happened.
    assert!(names.contains(&"throughput-workload-idle.svg"));
}

#[test]
fn fault_windows_are_shaded_and_labelled() {
    let charts = run_charts(&shop_run()).expect("the charts are drawn");
    let latency = chart(&charts, "latency-workload-shoppers.svg");
    assert!(has_text(
        &latency.svg,
        "latency front&lt;-&gt;back (+250ms per hop)"
    ));
    assert!(latency.svg.contains("fill=\"#E4E4E4\""), "no shaded window");
    // A window past the end of the run is cut to it: the bar under its label ends with the plot.
    let late =
        r#"{"kind": "crash", "subject": "back/0", "start_s": 50.0, "end_s": 500.0, "detail": ""}"#;
    let services = [ServiceRows {
        name: "back",
        version: "v1",
        weight: 100.0,
        circuit: closed,
        ejected: none_ejected,
    }];
    let metrics = metrics(12, &["shoppers"], &services);
    let run = RunData::parse(
        &summary(60.0, &["shoppers"], &["back"], late),
        &metrics,
        EVENTS,
    );
    let late_charts = run_charts(&run.unwrap()).expect("the charts are drawn");
    let svg = &chart(&late_charts, "latency-workload-shoppers.svg").svg;
    let bar = svg
        .lines()
        .find(|line| line.starts_with("<rect") && line.contains("#A0A0A0"))
        .expect("the late window is labelled over a bar");
    let attribute = |name: &str| -> i32 {
        let start = bar.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        bar[start..].split('"').next().unwrap().parse().unwrap()
    };
    assert!(attribute("x") + attribute("width") <= 960 - 250, "{bar}");

    // The distribution is over the whole run: no window to shade.
    let cdf = chart(&charts, "latency-cdf-workload-shoppers.svg");
    assert!(!cdf.svg.contains("#E4E4E4"));
}

#[test]
fn series_differ_by_dash_as_well_as_colour() {
    let charts = run_charts(&shop_run()).expect("the charts are drawn");
    let latency = chart(&charts, "latency-workload-shoppers.svg");
    // p50 solid and dark, p99 dashed and light: one dashed line and one dashed legend swatch.
    assert_eq!(
        latency.svg.matches("stroke-dasharray").count(),
        2,
        "{}",
        latency.svg
    );
    assert!(has_text(&latency.svg, "p50") && has_text(&latency.svg, "p99"));
}

#[test]
fn two_runs_are_overlaid_and_labelled() {
    // The services' breakers opened in the second run only: their charts are drawn (services
    // alike in both runs are not).
    let mut after = shop_run();
    for service in after.summary.services.values_mut() {
        service.mesh.insert("circuit_opens".into(), 3.into());
    }
    let compared =
        compare_charts(("before", &shop_run()), ("after", &after)).expect("the charts are drawn");
    let names = names(&compared);
    assert!(
        names.iter().all(|name| name.starts_with("compare-")),
        "{names:?}"
    );
    let cdf = chart(&compared, "compare-latency-cdf-workload-shoppers.svg");
    assert!(has_text(&cdf.svg, "before: requests") && has_text(&cdf.svg, "after: requests"));
    // Both distributions are lines of the one chart: the second's dashed.
    assert!(cdf.svg.contains("stroke-dasharray"));
    let latency = chart(&compared, "compare-latency-service-back.svg");
    assert!(has_text(&latency.svg, "before: v1 p99") && has_text(&latency.svg, "after: v1 p99"));
    // Stacked outcomes are shown one run above the other, each captioned.
    let outcomes = chart(&compared, "compare-outcomes-workload-shoppers.svg");
    assert!(
        outcomes.title.contains("before above, after below"),
        "{}",
        outcomes.title
    );
    assert!(has_text(&outcomes.svg, "before") && has_text(&outcomes.svg, "after"));
}

#[test]
fn names_become_lower_case_file_names_that_never_collide() {
    let services = [
        ServiceRows {
            name: "Pay_Ment",
            version: "v1",
            weight: 100.0,
            circuit: closed,
            ejected: none_ejected,
        },
        ServiceRows {
            name: "pay-ment",
            version: "v1",
            weight: 100.0,
            circuit: closed,
            ejected: none_ejected,
        },
    ];
    let metrics = metrics(4, &[], &services);
    let summary = summary(20.0, &[], &["Pay_Ment", "pay-ment"], "");
    let charts = run_charts(&RunData::parse(&summary, &metrics, EVENTS).unwrap())
        .expect("the charts are drawn");
    let names = names(&charts);
    assert!(names.contains(&"latency-service-pay-ment.svg"), "{names:?}");
    assert!(
        names.contains(&"latency-service-pay-ment-2.svg"),
        "{names:?}"
    );
}

#[test]
fn many_services_are_cut_to_the_busiest_and_the_title_says_so() {
    let names: Vec<String> = (0..20).map(|index| format!("s{index:02}")).collect();
    let services: Vec<ServiceRows> = names
        .iter()
        .map(|name| ServiceRows {
            name,
            version: "v1",
            weight: 100.0,
            circuit: closed,
            ejected: none_ejected,
        })
        .collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let metrics = metrics(4, &[], &services);
    let summary = summary(20.0, &[], &name_refs, "");
    let charts = run_charts(&RunData::parse(&summary, &metrics, EVENTS).unwrap())
        .expect("the charts are drawn");
    let latency: Vec<&Chart> = charts
        .iter()
        .filter(|chart| chart.file_name.starts_with("latency-service-"))
        .collect();
    assert_eq!(latency.len(), meshsim_reports::BUSIEST_MAX);
    assert!(
        latency[0].title.contains("busiest of 20"),
        "{}",
        latency[0].title
    );
}

#[test]
fn a_long_run_stays_small() {
    let services = [ServiceRows {
        name: "back",
        version: "v1",
        weight: 100.0,
        circuit: breaker,
        ejected: one_ejected,
    }];
    let intervals = 5000;
    let metrics = metrics(intervals, &["load"], &services);
    let summary = summary(intervals as f64 * 5.0, &["load"], &["back"], LATENCY_FAULT);
    let charts = run_charts(&RunData::parse(&summary, &metrics, EVENTS).unwrap())
        .expect("the charts are drawn");
    for chart in &charts {
        // 600 points per line at most, a few lines per chart.
        assert!(
            chart.svg.len() < 120_000,
            "{} is {} bytes",
            chart.file_name,
            chart.svg.len()
        );
        for polyline in chart.svg.split("<polyline").skip(1) {
            let points = polyline
                .split('>')
                .next()
                .unwrap_or_default()
                .matches(',')
                .count();
            assert!(
                points <= 1200,
                "{}: a line of {points} points",
                chart.file_name
            );
        }
    }
    let latency = chart(&charts, "latency-workload-load.svg");
    assert!(latency.title.contains("highest per"), "{}", latency.title);
}
