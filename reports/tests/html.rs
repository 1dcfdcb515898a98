//! The HTML pages (issue 5, item 2): one self-contained file that opens offline, escapes every
//! text from the run, says each verdict in words, bounds the timeline, and is the same bytes for
//! the same run.

use std::fmt::Write;

use meshsim_reports::EVENTS_SHOWN_MAX;
use meshsim_reports::{Chart, RunData, compare_report_html, differences, run_report_html};

const METRICS: &str = "\
time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms,in_flight,queue_depth,circuit_state,ejected,route_weight,retries,budget_denials,pending
0.000000,workload,shoppers,,100,99,1,0,0,20.0,80.0,1,,,,,,,
0.000000,service,payment,v1,99,99,0,,0,10.0,40.0,1,0,closed,0,100.0,0,0,0
";

/// A summary with one passing and one failing expectation, a failure reason, a mesh counter,
/// an edge, a fault and a part not simulated; `name` goes wherever the run has a name.
fn summary(name: &str, digest: &str, accounted: bool) -> String {
    let name = serde_json::to_string(name).unwrap();
    let latency =
        r#"{"mean": 22.5, "stddev": 3.0, "p50": 20.0, "p90": 40.0, "p99": 80.0, "max": 95.5}"#;
    let counts =
        r#"{"sent": 100, "succeeded": 90, "failed": 6, "timed_out": 2, "shed": 1, "in_flight": 1}"#;
    format!(
        r#"{{
  "scenario": {name},
  "description": "order -> payment & <back> \"quoted\"",
  "seed": 7,
  "engine": "event",
  "digest": "{digest}",
  "sim_seconds": 180.0,
  "events": 65028,
  "requests": {counts},
  "success_rate": 0.9,
  "latency_ms": {latency},
  "workloads": {{
    {name}: {{
      "requests": {counts},
      "success_rate": 0.9,
      "latency_ms": {latency},
      "failures": {{"connection_refused at <redis> & co": 6}}
    }}
  }},
  "services": {{
    "payment": {{
      "requests": {{"received": 99, "succeeded": 99, "failed": 0, "shed": 0}},
      "success_rate": 1.0,
      "latency_ms": {latency},
      "versions": {{
        "v1": {{"instances": 2, "requests": {{"received": 60, "succeeded": 60}}, "success_rate": 1.0, "latency_ms": {latency}}},
        "v2": {{"instances": 1, "requests": {{"received": 39, "succeeded": 39}}, "success_rate": 1.0, "latency_ms": {latency}}}
      }},
      "mesh": {{"calls": 100, "attempts": 99, "amplification": 0.99, "retries": 0, "circuit_opens": 4, "fallbacks": 0}}
    }},
    "quiet": {{
      "requests": {{"received": 5, "succeeded": 5}},
      "success_rate": 1.0,
      "latency_ms": {latency},
      "versions": {{"v1": {{"instances": 1, "requests": {{"received": 5, "succeeded": 5}}, "success_rate": 1.0, "latency_ms": {latency}}}}},
      "mesh": {{"calls": 5, "attempts": 5, "amplification": 1.0, "retries": 0, "circuit_opens": 0}}
    }}
  }},
  "edges": {{"order -> payment": {{"calls": 100, "attempts": 99, "retries": 0, "amplification": 0.99}}}},
  "accounted": {accounted},
  "not_simulated": ["[mesh.payment] mirror <traffic>"],
  "faults": [{{"kind": "latency", "subject": "order<->payment", "start_s": 60.0, "end_s": 120.0, "detail": "+2500ms per hop"}}],
  "expectations": [
    {{"metric": "workload.shoppers.success_rate", "ok": true, "actual": 0.9, "expected": ">= 0.5"}},
    {{"metric": "service.payment.mesh.circuit_opens", "ok": false, "actual": 4, "expected": "<= 2", "note": "breaker flaps"}}
  ]
}}"#
    )
}

fn events(count: usize) -> String {
    let mut text = String::from("time_s,kind,subject,detail\n");
    for index in 0..count {
        let _ = writeln!(
            text,
            "{}.000000,circuit,payment,\"breaker in order/0: closed -> open <#{index}>\"",
            index + 1
        );
    }
    text
}

fn run_with(name: &str, digest: &str, accounted: bool, event_count: usize) -> RunData {
    RunData::parse(
        &summary(name, digest, accounted),
        METRICS,
        &events(event_count),
    )
    .expect("the fixture parses")
}

fn run() -> RunData {
    run_with("shoppers", "f8dcd2a0a5ea3b3d0a35f71ddeac805a", true, 3)
}

/// A chart as a renderer writes one: a standalone document with an XML prolog, namespaces, a
/// clip path id that a second chart would repeat, and its title as a caption.
fn chart(title: &str, file_name: &str) -> Chart {
    let caption = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Chart {
        file_name: file_name.to_owned(),
        title: title.to_owned(),
        svg: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg width=\"640\" height=\"320\" xmlns=\"http://www.w3.org/2000/svg\" \
             xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n\
             <defs><clipPath id=\"plot\"><rect width=\"600\" height=\"300\"/></clipPath></defs>\n\
             <rect width=\"640\" height=\"320\" fill=\"#fff\"/>\n\
             <text x=\"10\" y=\"9\" font-weight=\"bold\">\n{caption}\n</text>\n\
             <polyline clip-path=\"url(#plot)\" points=\"0,300 320,20 640,150\" fill=\"none\"/>\n\
             <text x=\"10\" y=\"20\">success &amp; latency</text>\n\
             </svg>\n"
        ),
    }
}

fn charts() -> Vec<Chart> {
    vec![
        chart("Latency of shoppers", "latency-workload-shoppers.svg"),
        chart("Circuit state of payment", "circuit-payment.svg"),
    ]
}

/// The part of a page between a section's opening tag and its end.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("the page has no section {id}"));
    let end = start + page[start..].find("</section>").expect("the section ends");
    &page[start..end]
}

fn assert_self_contained(page: &str) {
    for forbidden in [
        "http://", "https://", "src=", "<link", "<script", "@import", "url(http", "//cdn",
    ] {
        assert!(
            !page.contains(forbidden),
            "the page holds `{forbidden}`: it would reach outside the file"
        );
    }
    // Every `url(` left is a reference inside the page, like a chart's clip path.
    for (index, _) in page.match_indices("url(") {
        assert!(
            page[index..].starts_with("url(#"),
            "an external url( at {index}"
        );
    }
    assert!(page.starts_with("<!DOCTYPE html>\n"));
    assert!(page.ends_with("</html>\n"));
}

#[test]
fn the_run_report_is_one_self_contained_file_with_its_charts_inline() {
    let page = run_report_html(&run(), &charts());
    assert_self_contained(&page);
    assert!(page.contains("<style>"), "the style is inline");
    assert_eq!(
        page.matches("<svg").count(),
        3,
        "both charts are inline, and the timeline of the run's faults and breakers"
    );
    assert!(
        !page.contains("<?xml"),
        "the SVG's prolog is not valid inside HTML"
    );
    for title in ["Latency of shoppers", "Circuit state of payment"] {
        assert!(
            page.contains(&format!("<h3>{title}</h3>")),
            "chart heading {title}"
        );
    }
    // Two charts with the same clip path id each keep their own.
    assert!(page.contains("id=\"c1-plot\"") && page.contains("url(#c1-plot)"));
    assert!(page.contains("id=\"c2-plot\"") && page.contains("url(#c2-plot)"));
    assert!(!page.contains("id=\"plot\""));
    // The heading says the title; the chart's own caption is not repeated under it.
    assert_eq!(
        page.matches("Latency of shoppers").count(),
        2,
        "the heading and the chart's label, not its caption"
    );
    assert!(page.contains("aria-label=\"Latency of shoppers\">"));
    assert_eq!(
        page.matches("success &amp; latency</text>").count(),
        2,
        "other text stays"
    );
    // Without a viewBox an SVG cannot shrink to a narrow screen; the page adds one.
    assert!(page.contains("viewBox=\"0 0 640 320\""));
}

#[test]
fn the_run_report_shows_the_runs_identity_and_every_table() {
    let page = run_report_html(&run(), &charts());
    for heading in [
        "<h1>shoppers</h1>",
        "<h2>Expectations</h2>",
        "<h2>Workloads</h2>",
        "<h2>Failures by reason</h2>",
        "<h2>Services</h2>",
        "<h2>Mesh</h2>",
        "<h2>Calls and retry amplification</h2>",
        "<h2>Faults</h2>",
        "<h2>Not simulated</h2>",
        "<h2>Charts</h2>",
        "<h2>Events</h2>",
    ] {
        assert!(page.contains(heading), "the page lacks {heading}");
    }
    for fact in [
        "<dt>seed</dt><dd>7</dd>",
        "<dt>engine</dt><dd>event</dd>",
        "<code>f8dcd2a0a5ea3b3d0a35f71ddeac805a</code>",
        "<dt>simulated</dt><dd>3m 00s</dd>",
        "every request sent ended once",
    ] {
        assert!(page.contains(fact), "the header lacks {fact}");
    }
    let workloads = section(&page, "workloads");
    for figure in [
        ">100<", ">90<", ">6<", ">2<", ">90.00%<", ">20.0<", ">40.0<", ">80.0<", ">95.5<",
    ] {
        assert!(
            workloads.contains(figure),
            "the workloads table lacks {figure}"
        );
    }
    assert!(workloads.contains("<tr class=\"total\"><td>all workloads</td>"));
    // A service with two versions lists each under its total.
    let services = section(&page, "services");
    assert!(services.contains("<td>payment</td><td>all</td><td class=\"n\">3</td>"));
    assert!(services.contains("<tr class=\"sub\"><td></td><td>v2</td><td class=\"n\">1</td>"));
    assert!(services.contains("<td>quiet</td><td>v1</td>"));
    // The mesh table holds what the mesh did, not counters that stayed at zero.
    let mesh = section(&page, "mesh");
    assert!(mesh.contains("circuit opens") && mesh.contains("<td>payment</td>"));
    assert!(!mesh.contains("fallbacks") && !mesh.contains("retries"));
    assert!(
        !mesh.contains("quiet"),
        "a service where the mesh did nothing"
    );
    assert!(section(&page, "edges").contains("order → payment"));
    assert!(section(&page, "edges").contains(">0.990<"));
    assert!(section(&page, "faults").contains("2m 00s"));
}

#[test]
fn every_text_from_the_run_is_escaped() {
    let hostile = "<script>alert(\"x\")</script> & 'co'";
    let data = run_with(hostile, "f8dcd2a0a5ea3b3d0a35f71ddeac805a", true, 3);
    let page = run_report_html(&data, &[chart(hostile, "x.svg")]);
    assert_self_contained(&page);
    assert!(!page.contains("<script>"), "a name became markup");
    assert!(
        !page.contains("alert(\"x\")"),
        "a quote left bare, or the chart's caption (plotters' spelling) kept"
    );
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;";
    assert!(
        page.contains(&format!("<h1>{escaped}</h1>")),
        "the scenario name"
    );
    assert!(
        page.contains(&format!("<title>{escaped} · seed 7")),
        "the title"
    );
    assert!(
        page.contains(&format!("<td>{escaped}</td>")),
        "the workload name"
    );
    assert!(
        page.contains(&format!("<h3>{escaped}</h3>")),
        "the chart title"
    );
    assert!(
        page.contains(&format!("aria-label=\"{escaped}\"")),
        "the chart's label"
    );
    assert!(page.contains("order -&gt; payment &amp; &lt;back&gt; &quot;quoted&quot;"));
    assert!(page.contains("connection_refused at &lt;redis&gt; &amp; co"));
    assert!(
        page.contains("closed -&gt; open &lt;#0&gt;"),
        "an event's detail"
    );
    assert!(
        page.contains("mirror &lt;traffic&gt;"),
        "a part not simulated"
    );
}

#[test]
fn expectations_say_ok_and_fail_in_words_as_well_as_colour() {
    let page = run_report_html(&run(), &[]);
    let expectations = section(&page, "expectations");
    assert_eq!(
        expectations
            .matches("<span class=\"mark ok\">ok</span>")
            .count(),
        1
    );
    assert_eq!(
        expectations
            .matches("<span class=\"mark fail\">FAIL</span>")
            .count(),
        1
    );
    assert!(
        expectations.contains("<tr class=\"fail\">"),
        "the failing row stands out"
    );
    assert!(expectations.contains("breaker flaps"), "the note");
    assert!(page.contains("<span class=\"mark fail\">FAIL</span> 1 of 2 passed"));
    // The marks' colours are defined, and the words do not depend on them.
    assert!(page.contains(".mark.ok {") && page.contains(".mark.fail {"));
}

#[test]
fn a_run_that_lost_track_of_a_request_says_so() {
    let page = run_report_html(&run_with("s", "d", false, 0), &[]);
    assert!(page.contains("<span class=\"mark fail\">FAIL</span> some requests ended twice"));
    assert!(section(&page, "events").contains("No fault, crash, breaker or ejection happened"));
    assert!(section(&page, "charts").contains("This run has no charts."));
}

#[test]
fn the_timeline_is_bounded() {
    let rows = |page: &str| {
        let events = section(page, "events");
        let body = &events[events.find("<tbody>").expect("a table body")..];
        body.matches("<tr>").count()
    };
    let small = run_report_html(&run_with("s", "d", true, 10), &[]);
    assert_eq!(rows(&small), 10);
    assert!(!small.contains("left out"));

    let total = EVENTS_SHOWN_MAX + 500;
    let large = run_report_html(&run_with("s", "d", true, total), &[]);
    assert_eq!(EVENTS_SHOWN_MAX, 2_000);
    assert_eq!(rows(&large), EVENTS_SHOWN_MAX);
    assert!(
        large.contains("The first 2000 of 2500 events; 500 more are left out"),
        "the page says how many it left out"
    );
    assert!(
        large.contains("… and 500 more in <code>events.csv</code>"),
        "and says it again where the table ends"
    );
    let last_shown = format!("&lt;#{}&gt;", EVENTS_SHOWN_MAX - 1);
    let first_left_out = format!("&lt;#{EVENTS_SHOWN_MAX}&gt;");
    assert!(large.contains(&last_shown) && !large.contains(&first_left_out));
}

#[test]
fn the_same_run_gives_the_same_bytes() {
    let first = run_report_html(&run(), &charts());
    let second = run_report_html(&run(), &charts());
    assert_eq!(first, second);
    let other = run_report_html(&run_with("shoppers", "0000", true, 3), &charts());
    assert_ne!(first, other, "a different digest is a different page");

    let (a, b) = (run(), run_with("shoppers", "0000", true, 4));
    let rows = differences(&a, &b);
    let compare = || compare_report_html(("a", &a), ("b", &b), &rows, &charts());
    assert_eq!(compare(), compare());
}

#[test]
fn the_compare_page_names_both_runs_and_shows_each_difference() {
    let a = run();
    let b = RunData::parse(
        &summary("shoppers", "0123456789abcdef", true)
            .replace("\"succeeded\": 90", "\"succeeded\": 80")
            .replace("\"seed\": 7", "\"seed\": 8"),
        METRICS,
        &events(1),
    )
    .unwrap();
    let rows = differences(&a, &b);
    let page = compare_report_html(
        ("baseline <1>", &a),
        ("budget", &b),
        &rows,
        &[chart("Success rate, both runs", "success.svg")],
    );
    assert_self_contained(&page);
    for heading in ["<h2>Runs</h2>", "<h2>Differences</h2>", "<h2>Charts</h2>"] {
        assert!(page.contains(heading), "the page lacks {heading}");
    }
    assert!(page.contains("<th></th><th>A</th><th>B</th>"));
    assert!(page.contains("<td>run</td><td>baseline &lt;1&gt;</td><td>budget</td>"));
    assert!(page.contains("<td>seed</td><td>7</td><td>8</td>"));
    assert!(page.contains("<code>f8dcd2a0a5ea3b3d0a35f71ddeac805a</code>"));
    assert!(page.contains("<code>0123456789abcdef</code>"));
    assert!(!page.contains("same trace digest"));
    let table = section(&page, "differences");
    assert_eq!(
        table.matches("<code>").count(),
        rows.len(),
        "one row per difference"
    );
    assert!(table.contains(
        "<td><code>requests.succeeded</code></td><td class=\"n\">90</td>\
         <td class=\"n\">80</td><td class=\"n\">-10</td><td class=\"n\">-11.1 %</td>"
    ));
    assert!(table.contains(
        "<tr class=\"same\"><td><code>requests.sent</code></td><td class=\"n\">100</td>\
         <td class=\"n\">100</td><td class=\"n\">0</td><td class=\"n\">0.0 %</td>"
    ));
    assert!(page.contains("<h3>Success rate, both runs</h3>") && page.contains("<svg"));

    let same = compare_report_html(
        ("shoppers", &a),
        ("shoppers", &a),
        &differences(&a, &a),
        &[],
    );
    assert!(
        !same.contains("<td>run</td>"),
        "labels that are the scenarios' names"
    );
    assert!(same.contains("same trace digest"));
    let other = run_with("storm", "d", true, 0);
    let different = compare_report_html(("a", &a), ("storm", &other), &[], &[]);
    assert!(different.contains("No figure to compare."));
}
