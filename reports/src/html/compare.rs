//! The page of `meshsim compare`: what differs most, in words (`#headline`), the key figures
//! that changed side by side, which two runs, and the charts that overlay them.

use std::fmt::Write;

use crate::chart::Chart;
use crate::compare::{Difference, alike_subjects, headline};
use crate::quantity::{counted, duration_s};
use crate::run_data::{RunData, SummaryData};

use super::markup::{Cell, Row, arrow, escape, inline_svg, page, table, verdict};

/// The page comparing run `a` with run `b`, each given with the label the reader knows it by
/// (a folder name, `baseline`): the headline, the figures that changed, the two runs, and the
/// charts of what differs, two across on a wide screen.
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
        "<nav><a href=\"#headline\">Headline</a><a href=\"#differences\">Differences</a>\
         <a href=\"#runs\">Runs</a><a href=\"#charts\">Charts</a></nav>\n",
    );
    body.push_str("<section id=\"headline\">\n<h2>What differs most</h2>\n<ul>\n");
    for line in headline(a, b, differences) {
        let _ = writeln!(body, "<li>{}</li>", escape(&arrow(&line)));
    }
    body.push_str("</ul>\n</section>\n");
    differences_section(&mut body, differences);
    runs(
        &mut body,
        (label_a, &run_a.summary),
        (label_b, &run_b.summary),
    );
    let alike = alike_subjects(run_a, run_b, differences);
    charts_grid(&mut body, (label_a, label_b), charts, &alike);
    let title = format!("{label_a} vs {label_b} · meshsim compare");
    page(&title, &body)
}

/// The charts two across on a wide screen (one on a narrow one), after a line on how to read
/// them and which subjects were left undrawn for being alike in both runs.
fn charts_grid(out: &mut String, labels: (&str, &str), charts: &[Chart], alike: &[(&str, String)]) {
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"muted\">{} is drawn solid and dark, {} dashed and light; stacked outcomes \
         show the first run above the second. Fault windows are shaded. Panels where both runs \
         stayed at zero (no errors, no queue) are left out; each file under <code>charts/</code> \
         opens full size.</p>",
        escape(labels.0),
        escape(labels.1)
    );
    if !alike.is_empty() {
        let names: Vec<String> = alike
            .iter()
            .map(|(kind, name)| format!("{kind} {}", escape(&arrow(name))))
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"muted\">Not drawn, being alike in both runs (no key figure changed by \
             1 % or more, or 0.1 pp for a rate): {}. Each run&#39;s own page has all its charts: \
             <a href=\"a/report.html\">a/report.html</a>, \
             <a href=\"b/report.html\">b/report.html</a>.</p>",
            names.join(", ")
        );
    }
    if charts.is_empty() {
        out.push_str("<p class=\"muted\">No charts were drawn for these runs.</p>\n");
    } else {
        out.push_str("<div class=\"chart-grid\">\n");
        for (index, chart) in charts.iter().enumerate() {
            let _ = write!(
                out,
                "<figure id=\"chart-{}\">\n<h3>{}</h3>\n{}\n<figcaption><a href=\"charts/{file}\">{file}</a>\
                 </figcaption>\n</figure>\n",
                index + 1,
                escape(&chart.title),
                inline_svg(&chart.svg, &chart.title, index + 1),
                file = escape(&chart.file_name)
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
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
        ("simulated", [sa, sb].map(|s| duration_s(s.sim_seconds))),
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

/// The figures that changed, grouped by subject, those under the notable change muted; the
/// figures equal in both runs folded away below.
fn differences_section(out: &mut String, differences: &[Difference]) {
    out.push_str("<section id=\"differences\">\n<h2>Differences</h2>\n");
    if differences.is_empty() {
        out.push_str("<p class=\"muted\">No figure to compare.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<p class=\"muted\">Change is B − A, a rate&#39;s in percentage points (pp); relative \
         change is (B − A) / A. Changes under 1 % (0.1 pp for a rate) are grey.</p>\n",
    );
    let (changed, equal): (Vec<&Difference>, Vec<&Difference>) = differences
        .iter()
        .partition(|difference| difference.a != difference.b);
    let headings = ["metric", "A#", "B#", "change#", "relative#"];
    if changed.is_empty() {
        out.push_str("<p>Every figure is equal in both runs.</p>\n");
    } else {
        table(out, &headings, &difference_rows(&changed));
    }
    if !equal.is_empty() {
        let _ = writeln!(
            out,
            "<details>\n<summary>{} equal in both runs</summary>",
            counted(equal.len() as u64, "figure", "figures")
        );
        table(out, &headings, &difference_rows(&equal));
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

fn difference_rows(differences: &[&Difference]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut group = None;
    for difference in differences {
        // Each subject's figures are a group; those over all workloads the first.
        let this_group = Some(&difference.subject);
        let starts_group = this_group != group && !rows.is_empty();
        let class = match (starts_group, difference.notable()) {
            (true, false) => "group same",
            (true, true) => "group",
            (false, false) => "same",
            (false, true) => "",
        };
        rows.push(
            Row::new(vec![
                Cell::html(format!("<code>{}</code>", escape(&difference.metric))),
                Cell::number(&difference.show(difference.a)),
                Cell::number(&difference.show(difference.b)),
                Cell::number(&difference.change()),
                Cell::number(&difference.relative_change()),
            ])
            .class(class),
        );
        group = this_group;
    }
    rows
}
