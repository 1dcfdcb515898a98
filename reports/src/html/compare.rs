//! The page of `meshsim compare`: which two runs, their key figures side by side, and the charts
//! that overlay them.

use std::fmt::Write;

use crate::chart::Chart;
use crate::compare::Difference;
use crate::run_data::{RunData, SummaryData};

use super::markup::{Cell, Row, charts_section, escape, page, seconds, table, verdict};

/// The page comparing run `a` with run `b`, each given with the label the reader knows it by
/// (a folder name, `baseline`).
pub fn compare_report_html(
    a: (&str, &RunData),
    b: (&str, &RunData),
    differences: &[Difference],
    charts: &[Chart],
) -> String {
    let (label_a, run_a) = a;
    let (label_b, run_b) = b;
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<header>\n<h1>{} <span class=\"muted\">compared with</span> {}</h1>\n</header>",
        escape(label_a),
        escape(label_b)
    );
    body.push_str(
        "<nav><a href=\"#runs\">Runs</a><a href=\"#differences\">Differences</a>\
         <a href=\"#charts\">Charts</a></nav>\n",
    );
    runs(
        &mut body,
        (label_a, &run_a.summary),
        (label_b, &run_b.summary),
    );
    differences_section(&mut body, differences);
    charts_section(&mut body, charts, "No charts were drawn for these runs.");
    let title = format!("{label_a} vs {label_b} · meshsim compare");
    page(&title, &body)
}

fn runs(out: &mut String, a: (&str, &SummaryData), b: (&str, &SummaryData)) {
    let (sa, sb) = (a.1, b.1);
    let expectations = |summary: &SummaryData| {
        let passed = summary.expectations.iter().filter(|e| e.ok).count();
        let total = summary.expectations.len();
        if total == 0 {
            "none declared".to_owned()
        } else {
            format!("{} {passed} of {total} passed", verdict(passed == total))
        }
    };
    let mut facts: Vec<(&str, [String; 2])> = vec![
        ("scenario", [escape(&sa.scenario), escape(&sb.scenario)]),
        ("seed", [sa.seed.to_string(), sb.seed.to_string()]),
        ("engine", [escape(&sa.engine), escape(&sb.engine)]),
        (
            "trace digest",
            [sa, sb].map(|s| format!("<code>{}</code>", escape(&s.digest))),
        ),
        (
            "simulated",
            [sa, sb].map(|s| format!("{} s", seconds(s.sim_seconds))),
        ),
        (
            "requests accounted for",
            [sa, sb].map(|s| verdict(s.accounted)),
        ),
        ("expectations", [expectations(sa), expectations(sb)]),
    ];
    // The labels are the scenarios' names unless the caller chose others (folder names).
    if a.0 != sa.scenario || b.0 != sb.scenario {
        facts.insert(0, ("run", [escape(a.0), escape(b.0)]));
    }
    let rows: Vec<Row> = facts
        .into_iter()
        .map(|(label, [first, second])| {
            Row::new(vec![
                Cell::text(label),
                Cell::html(first),
                Cell::html(second),
            ])
        })
        .collect();
    out.push_str("<section id=\"runs\">\n<h2>Runs</h2>\n");
    table(out, &["", "A", "B"], &rows);
    if sa.digest == sb.digest {
        out.push_str(
            "<p>The two runs have the same trace digest: they did the same thing, and every \
             figure below is equal.</p>\n",
        );
    }
    out.push_str("</section>\n");
}

fn differences_section(out: &mut String, differences: &[Difference]) {
    out.push_str("<section id=\"differences\">\n<h2>Differences</h2>\n");
    if differences.is_empty() {
        out.push_str("<p class=\"muted\">No figure to compare.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<p class=\"muted\">Change is B − A (a rate&#39;s change in percentage points); relative \
         change is (B − A) / A.</p>\n",
    );
    let mut rows = Vec::new();
    let mut group = "";
    for difference in differences {
        let this_group = metric_group(&difference.metric);
        let change = difference.delta();
        let starts_group = this_group != group && !rows.is_empty();
        let class = match (starts_group, change == Some(0.0)) {
            (true, true) => "group same",
            (true, false) => "group",
            (false, true) => "same",
            (false, false) => "",
        };
        rows.push(
            Row::new(vec![
                Cell::html(format!("<code>{}</code>", escape(&difference.metric))),
                Cell::number(&difference.show(difference.a)),
                Cell::number(&difference.show(difference.b)),
                Cell::number(&signed(&difference.show(change), change)),
                Cell::number(&relative(difference.relative())),
            ])
            .class(class),
        );
        group = this_group;
    }
    table(out, &["metric", "A#", "B#", "change#", "relative#"], &rows);
    out.push_str("</section>\n");
}

/// A relative change with its sign, and no sign on no change.
fn relative(change: Option<f64>) -> String {
    match change {
        None => "–".to_owned(),
        Some(0.0) => "0.0 %".to_owned(),
        Some(change) => format!("{:+.1} %", change * 100.0),
    }
}

/// A change with its sign: `+12`, `-3.10 %`, and `0` as it is.
fn signed(shown: &str, change: Option<f64>) -> String {
    match change {
        Some(change) if change > 0.0 => format!("+{shown}"),
        _ => shown.to_owned(),
    }
}

/// `workload.shoppers` of `workload.shoppers.latency_p99`; empty for the figures over all
/// workloads, which have no prefix.
fn metric_group(metric: &str) -> &str {
    if metric.starts_with("workload.") || metric.starts_with("service.") {
        let mut dots = metric.match_indices('.').map(|(index, _)| index);
        if let (Some(_), Some(second)) = (dots.next(), dots.next()) {
            return &metric[..second];
        }
    }
    ""
}
