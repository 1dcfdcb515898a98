//! `report.html`: one run, from its identity and verdicts down to its timeline of events.

use std::fmt::Write;

use crate::chart::Chart;
use crate::run_data::{Counts, Latency, RunData, SummaryData};

use super::markup::{
    Cell, Row, arrow, chart_id, charts_section_with_notes, counter, escape, ms, page, table,
    verdict,
};
use crate::quantity::{duration_s, instant_s, percent};
use crate::story::{self, Line};

/// The most events the timeline lists. A run that flaps a breaker for an hour logs tens of
/// thousands; past this the page grows slow to open and no one reads on, and `events.csv`
/// holds them all.
pub const EVENTS_SHOWN_MAX: usize = 2_000;

/// Mesh figures that count traffic rather than something the mesh did: shown as context in the
/// mesh table, never a reason to list a service there.
const MESH_TRAFFIC: [&str; 3] = ["calls", "attempts", "amplification"];

/// The page of one run, with its charts inlined.
pub fn run_report_html(run: &RunData, charts: &[Chart]) -> String {
    let summary = &run.summary;
    let mut body = String::new();
    let lines = story::headline(run);
    let charts = story_first(&lines, charts);
    header(&mut body, summary);
    headline(&mut body, &lines, &charts);
    timeline(&mut body, run);
    facts(&mut body, summary);
    expectations(&mut body, summary);
    workloads(&mut body, summary);
    failures(&mut body, summary);
    services(&mut body, summary);
    mesh(&mut body, summary);
    edges(&mut body, summary);
    rollouts(&mut body, summary);
    faults(&mut body, summary);
    not_simulated(&mut body, summary);
    let note = |chart: &Chart| {
        let service = chart.file_name.strip_prefix("route-weights-service-")?;
        let name = summary
            .services
            .keys()
            .find(|name| format!("{}.svg", crate::file_name::file_part(name)) == service)?;
        story::route_note(run, name)
    };
    charts_section_with_notes(&mut body, &charts, "This run has no charts.", &note);
    events(&mut body, run);
    let title = format!("{} · seed {} · meshsim", summary.scenario, summary.seed);
    page(&title, &body)
}

fn header(out: &mut String, summary: &SummaryData) {
    let _ = writeln!(out, "<header>\n<h1>{}</h1>", escape(&summary.scenario));
    if !summary.description.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(&summary.description));
    }
    out.push_str("</header>\n");
}

/// The charts the headline points to first, in its order, then the rest in theirs.
fn story_first(lines: &[Line], charts: &[Chart]) -> Vec<Chart> {
    let mut ordered: Vec<Chart> = Vec::with_capacity(charts.len());
    for line in lines {
        let Some(name) = &line.chart else { continue };
        let file_name = format!("{name}.svg");
        if let Some(chart) = charts.iter().find(|chart| chart.file_name == file_name)
            && !ordered.iter().any(|chosen| chosen.file_name == file_name)
        {
            ordered.push(chart.clone());
        }
    }
    for chart in charts {
        if !ordered
            .iter()
            .any(|chosen| chosen.file_name == chart.file_name)
        {
            ordered.push(chart.clone());
        }
    }
    ordered
}

/// What decided the run, one line each, with links to the chart and the timeline row that
/// show it: the first thing on the page.
fn headline(out: &mut String, lines: &[Line], charts: &[Chart]) {
    out.push_str("<section id=\"headline\">\n<h2>What happened</h2>\n<ol>\n");
    for line in lines {
        let mut links = String::new();
        if let Some(name) = &line.chart {
            let file_name = format!("{name}.svg");
            if let Some(chart) = charts.iter().find(|chart| chart.file_name == file_name) {
                let _ = write!(links, "<a href=\"#{}\">chart</a>", chart_id(chart));
            }
        }
        if let Some(row) = &line.row {
            let _ = write!(links, "<a href=\"#{}\">timeline</a>", escape(row));
        }
        let _ = writeln!(
            out,
            "<li class=\"{class}\"><span class=\"tone {class}\">{}</span>{}{links}</li>",
            line.tone.glyph(),
            escape(&line.text),
            class = line.tone.class(),
        );
    }
    if lines.is_empty() {
        out.push_str("<li class=\"neutral\">Nothing to tell: the run has no workload.</li>\n");
    }
    out.push_str("</ol>\n</section>\n");
}

fn timeline(out: &mut String, run: &RunData) {
    let Some((svg, key)) = story::timeline_svg(run) else {
        return;
    };
    out.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n<div class=\"scroll\">");
    out.push_str(&svg);
    let _ = writeln!(
        out,
        "</div>\n<p class=\"muted\">{}</p>\n</section>",
        escape(&key)
    );
}

fn facts(out: &mut String, summary: &SummaryData) {
    let passed = summary.expectations.iter().filter(|e| e.ok).count();
    let total = summary.expectations.len();
    let expectations = if total == 0 {
        "none declared".to_owned()
    } else {
        format!("{} {passed} of {total} passed", verdict(passed == total))
    };
    let accounted = if summary.accounted {
        format!(
            "{} every request sent ended once or is still in flight",
            verdict(true)
        )
    } else {
        format!(
            "{} some requests ended twice or never: a bug in meshsim",
            verdict(false)
        )
    };
    out.push_str("<dl class=\"facts\">\n");
    for (term, definition) in [
        ("seed", summary.seed.to_string()),
        (
            "engine",
            escape(&format!(
                "{}{}",
                summary.engine,
                crate::table::code_text(&summary.code)
            )),
        ),
        ("mesh", escape(&mesh_text(&summary.mesh))),
        (
            "trace digest",
            format!("<code>{}</code>", escape(&summary.digest)),
        ),
        ("simulated", duration_s(summary.sim_seconds)),
        ("engine events", summary.events.to_string()),
        ("requests accounted for", accounted),
        ("expectations", expectations),
    ] {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{definition}</dd>");
    }
    out.push_str("</dl>\n<nav>");
    let mut sections = vec![
        ("expectations", "Expectations"),
        ("workloads", "Workloads"),
        ("services", "Services"),
    ];
    if !summary.edges.is_empty() {
        sections.push(("edges", "Calls"));
    }
    sections.extend([("charts", "Charts"), ("events", "Events")]);
    for (id, label) in sections {
        let _ = write!(out, "<a href=\"#{id}\">{label}</a>");
    }
    out.push_str("</nav>\n");
}

fn expectations(out: &mut String, summary: &SummaryData) {
    out.push_str("<section id=\"expectations\">\n<h2>Expectations</h2>\n");
    if summary.expectations.is_empty() {
        out.push_str("<p class=\"muted\">The scenario declares no expectations.</p>\n");
    } else {
        // The note column only when a note exists: most expectations have none.
        let notes = summary.expectations.iter().any(|e| e.note.is_some());
        let rows: Vec<Row> = summary
            .expectations
            .iter()
            .map(|expectation| {
                let mut cells = vec![
                    Cell::html(verdict(expectation.ok)),
                    Cell::html(format!("<code>{}</code>", escape(&expectation.metric))),
                    Cell::number(&story::shown_actual(expectation)),
                    Cell::text(&story::shown_expected(expectation)).class("nowrap"),
                ];
                if notes {
                    cells.push(Cell::text(expectation.note.as_deref().unwrap_or("")));
                }
                let row = Row::new(cells);
                if expectation.ok {
                    row
                } else {
                    row.class("fail")
                }
            })
            .collect();
        let headings = ["result", "metric", "actual#", "expected", "note"];
        table(out, &headings[..if notes { 5 } else { 4 }], &rows);
    }
    out.push_str("</section>\n");
}

/// Outcome counts, success rate and latency of a client (a workload, or all of them).
fn client_cells(name: Cell, counts: &Counts, success: Option<f64>, latency: &Latency) -> Vec<Cell> {
    let mut cells = vec![name];
    for count in [
        counts.sent,
        counts.succeeded,
        counts.failed,
        counts.timed_out,
        counts.shed,
        counts.in_flight,
    ] {
        cells.push(Cell::number(&count.to_string()));
    }
    cells.push(Cell::number(&percent(success)));
    cells.extend(latency_cells(counts.succeeded, latency));
    cells
}

/// p50, p90, p99 and max; `–` over no succeeded request, where a percentile is not a figure.
fn latency_cells(succeeded: u64, latency: &Latency) -> Vec<Cell> {
    [latency.p50, latency.p90, latency.p99, latency.max]
        .iter()
        .map(|&value| {
            Cell::number(&if succeeded > 0 {
                ms(value)
            } else {
                "–".to_owned()
            })
        })
        .collect()
}

const LATENCY_HEADINGS: [&str; 4] = ["p50 ms#", "p90 ms#", "p99 ms#", "max ms#"];

fn workloads(out: &mut String, summary: &SummaryData) {
    out.push_str("<section id=\"workloads\">\n<h2>Workloads</h2>\n");
    let mut rows: Vec<Row> = summary
        .workloads
        .iter()
        .map(|(name, workload)| {
            Row::new(client_cells(
                Cell::text(name),
                &workload.requests,
                workload.success_rate,
                &workload.latency_ms,
            ))
        })
        .collect();
    rows.push(
        Row::new(client_cells(
            Cell::text("all workloads"),
            &summary.requests,
            summary.success_rate,
            &summary.latency_ms,
        ))
        .class("total"),
    );
    let mut headings = vec![
        "workload",
        "sent#",
        "succeeded#",
        "failed#",
        "timed out#",
        "shed#",
        "in flight#",
        "success#",
    ];
    headings.extend(LATENCY_HEADINGS);
    table(out, &headings, &rows);
    out.push_str("</section>\n");
}

fn failures(out: &mut String, summary: &SummaryData) {
    let mut rows = Vec::new();
    for (name, workload) in &summary.workloads {
        let sent = workload.requests.sent;
        for (reason, &count) in &workload.failures {
            let share = if sent > 0 {
                format!("{:.2}%", count as f64 / sent as f64 * 100.0)
            } else {
                "–".to_owned()
            };
            rows.push(Row::new(vec![
                Cell::text(name),
                Cell::text(reason),
                Cell::number(&count.to_string()),
                Cell::number(&share),
            ]));
        }
    }
    if rows.is_empty() {
        return;
    }
    out.push_str("<section id=\"failures\">\n<h2>Failures by reason</h2>\n");
    out.push_str("<p class=\"muted\">Where each request that did not succeed began to fail.</p>\n");
    table(out, &["workload", "reason", "requests#", "of sent#"], &rows);
    out.push_str("</section>\n");
}

fn services(out: &mut String, summary: &SummaryData) {
    out.push_str("<section id=\"services\">\n<h2>Services</h2>\n");
    let mut rows = Vec::new();
    for (name, service) in &summary.services {
        let instances: u32 = service.versions.values().map(|v| v.instances).sum();
        let single = service.versions.len() == 1;
        let version = match service.versions.keys().next() {
            Some(only) if single => only.clone(),
            _ => "all".to_owned(),
        };
        rows.push(Row::new(service_cells(
            Cell::text(name),
            &version,
            instances,
            &service.requests,
            service.success_rate,
            &service.latency_ms,
        )));
        if single {
            continue;
        }
        for (version, stats) in &service.versions {
            rows.push(
                Row::new(service_cells(
                    Cell::text(""),
                    version,
                    stats.instances,
                    &stats.requests,
                    stats.success_rate,
                    &stats.latency_ms,
                ))
                .class("sub"),
            );
        }
    }
    if rows.is_empty() {
        out.push_str("<p class=\"muted\">The scenario has no services.</p>\n");
    } else {
        let mut headings = vec![
            "service",
            "version",
            "instances#",
            "received#",
            "succeeded#",
            "failed#",
            "shed#",
            "success#",
        ];
        headings.extend(LATENCY_HEADINGS);
        table(out, &headings, &rows);
    }
    out.push_str("</section>\n");
}

fn service_cells(
    name: Cell,
    version: &str,
    instances: u32,
    counts: &Counts,
    success: Option<f64>,
    latency: &Latency,
) -> Vec<Cell> {
    let mut cells = vec![
        name,
        Cell::text(version),
        Cell::number(&instances.to_string()),
    ];
    for count in [
        counts.received,
        counts.succeeded,
        counts.failed,
        counts.shed,
    ] {
        cells.push(Cell::number(&count.to_string()));
    }
    cells.push(Cell::number(&percent(success)));
    cells.extend(latency_cells(counts.succeeded, latency));
    cells
}

/// What the mesh did to the calls into each service: only the counters that are not zero
/// somewhere, and only the services where one of them is not zero.
fn mesh(out: &mut String, summary: &SummaryData) {
    let nonzero = |value: &serde_json::Value| match value {
        serde_json::Value::Null => false,
        serde_json::Value::Number(number) => number.as_f64().is_some_and(|v| v != 0.0),
        _ => true,
    };
    let mut counters: Vec<&str> = Vec::new();
    for service in summary.services.values() {
        for (key, value) in &service.mesh {
            if !MESH_TRAFFIC.contains(&key.as_str())
                && nonzero(value)
                && !counters.contains(&key.as_str())
            {
                counters.push(key);
            }
        }
    }
    if counters.is_empty() {
        return;
    }
    let mut rows = Vec::new();
    for (name, service) in &summary.services {
        if !counters
            .iter()
            .any(|&key| service.mesh.get(key).is_some_and(nonzero))
        {
            continue;
        }
        let mut cells = vec![Cell::text(name)];
        for key in MESH_TRAFFIC.iter().chain(&counters) {
            let figure = service.mesh.get(*key).map_or("–".to_owned(), counter);
            cells.push(Cell::number(&figure));
        }
        rows.push(Row::new(cells));
    }
    let labels: Vec<String> = MESH_TRAFFIC
        .iter()
        .chain(&counters)
        .map(|key| format!("{}#", key.replace('_', " ")))
        .collect();
    let mut headings = vec!["service"];
    headings.extend(labels.iter().map(String::as_str));
    out.push_str("<section id=\"mesh\">\n<h2>Mesh</h2>\n");
    out.push_str(
        "<p class=\"muted\">What the callers&#39; sidecars (or the callee&#39;s) did to the calls \
         into each service, where it did anything.</p>\n",
    );
    table(out, &headings, &rows);
    out.push_str("</section>\n");
}

fn edges(out: &mut String, summary: &SummaryData) {
    if summary.edges.is_empty() {
        return;
    }
    let rows: Vec<Row> = summary
        .edges
        .iter()
        .map(|(edge, data)| {
            let amplification = Cell::number(&format!("{:.3}", data.amplification));
            Row::new(vec![
                Cell::text(&arrow(edge)),
                Cell::number(&data.calls.to_string()),
                Cell::number(&data.attempts.to_string()),
                Cell::number(&data.retries.to_string()),
                amplification,
            ])
        })
        .collect();
    out.push_str("<section id=\"edges\">\n<h2>Calls and retry amplification</h2>\n");
    out.push_str(
        "<p class=\"muted\">Attempts sent per call made, on each caller → callee edge: above 1, \
         retries multiply the load; below 1, a breaker or a limit held calls back.</p>\n",
    );
    table(
        out,
        &[
            "caller → callee",
            "calls#",
            "attempts#",
            "retries#",
            "amplification#",
        ],
        &rows,
    );
    out.push_str("</section>\n");
}

fn rollouts(out: &mut String, summary: &SummaryData) {
    if summary.rollouts.is_empty() {
        return;
    }
    let rows: Vec<Row> = summary
        .rollouts
        .iter()
        .map(|(service, data)| {
            Row::new(vec![
                Cell::text(service),
                Cell::text(&data.strategy),
                Cell::text(&format!("{} → {}", data.from, data.to)),
                Cell::text(&data.outcome.replace('_', " ")),
                Cell::number(&data.decided_at_s.map_or_else(|| "–".to_owned(), instant_s)),
                Cell::number(&data.time_s.map_or_else(|| "–".to_owned(), duration_s)),
                Cell::number(&data.failed_checks.to_string()),
                Cell::number(&data.blast_radius.to_string()),
                Cell::number(&data.blast_radius_failed.to_string()),
            ])
        })
        .collect();
    out.push_str("<section id=\"rollouts\">\n<h2>Rollouts</h2>\n");
    out.push_str(
        "<p class=\"muted\">Each controller's decision, the time from its start to it, the \
         checks that failed, and the blast radius: the requests the new version answered, and \
         how many of those it failed. Every step and check is in the timeline below.</p>\n",
    );
    table(
        out,
        &[
            "service",
            "strategy",
            "versions",
            "outcome",
            "decided#",
            "after#",
            "failed checks#",
            "answered by new#",
            "failed by new#",
        ],
        &rows,
    );
    out.push_str("</section>\n");
}

fn faults(out: &mut String, summary: &SummaryData) {
    if summary.faults.is_empty() {
        return;
    }
    let rows: Vec<Row> = summary
        .faults
        .iter()
        .map(|fault| {
            let end = fault.end_s.map_or("end of run".to_owned(), duration_s);
            Row::new(vec![
                Cell::text(&fault.kind),
                Cell::text(&arrow(&fault.subject)).class("nowrap"),
                Cell::number(&duration_s(fault.start_s)),
                Cell::number(&end),
                Cell::text(&fault.detail),
            ])
        })
        .collect();
    out.push_str("<section id=\"faults\">\n<h2>Faults</h2>\n");
    table(out, &["fault", "on", "from#", "to#", "detail"], &rows);
    out.push_str("</section>\n");
}

fn not_simulated(out: &mut String, summary: &SummaryData) {
    if summary.not_simulated.is_empty() {
        return;
    }
    out.push_str("<section id=\"not-simulated\">\n<h2>Not simulated</h2>\n");
    out.push_str(
        "<p>This build parsed and validated these parts of the scenario but did not simulate \
         them:</p>\n<ul>\n",
    );
    for part in &summary.not_simulated {
        let _ = writeln!(out, "<li>{}</li>", escape(part));
    }
    out.push_str("</ul>\n</section>\n");
}

fn events(out: &mut String, run: &RunData) {
    out.push_str("<section id=\"events\">\n<h2>Events</h2>\n");
    let total = run.events.len();
    if total == 0 {
        out.push_str("<p class=\"muted\">No fault, crash, breaker or ejection happened.</p>\n");
        out.push_str("</section>\n");
        return;
    }
    if total > EVENTS_SHOWN_MAX {
        let _ = writeln!(
            out,
            "<p>The first {EVENTS_SHOWN_MAX} of {total} events; {} more are left out here and \
             listed in <code>events.csv</code>.</p>",
            total - EVENTS_SHOWN_MAX
        );
    }
    let rows: Vec<Row> = run
        .events
        .iter()
        .take(EVENTS_SHOWN_MAX)
        .map(|event| {
            Row::new(vec![
                Cell::number(&format!("{:.3}", event.time_s)),
                Cell::text(&event.kind),
                Cell::text(&arrow(&event.subject)).class("nowrap"),
                Cell::text(&event.detail).class("detail"),
            ])
        })
        .collect();
    table(out, &["time s#", "kind", "subject", "detail"], &rows);
    if total > EVENTS_SHOWN_MAX {
        let _ = writeln!(
            out,
            "<p class=\"muted\">… and {} more in <code>events.csv</code>.</p>",
            total - EVENTS_SHOWN_MAX
        );
    }
    out.push_str("</section>\n");
}

/// The mesh a run followed, as its page names it: `istio 1.30.3 · Envoy 1.37 (...)`.
fn mesh_text(mesh: &crate::summary_file::MeshInfo) -> String {
    if mesh.profile.is_empty() {
        return "not recorded".to_owned();
    }
    format!("{} · {}", mesh.label(), mesh.proxy)
}
