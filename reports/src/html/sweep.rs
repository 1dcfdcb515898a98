//! The page of a sweep, `sweep.html`: what the sweep found, in a few words (`#headline`), what
//! was swept, how often each expectation held, how the key figures spread over the seeds, each
//! rollout's detection power (how often each outcome came and how soon), the worst seeds with
//! the command that replays each, and the charts.

use std::fmt::Write;

use crate::chart::Chart;
use crate::quantity;
use crate::sweep::{Figures, Spread, Sweep, percent};

use super::markup::{Cell, Row, charts_section, escape, page, table, verdict};

/// The whole page of `sweep`.
pub fn sweep_report_html(sweep: &Sweep, charts: &[Chart]) -> String {
    let figures = Figures::of(sweep);
    let mut body = String::new();
    header(&mut body, sweep, &figures);
    expectations(&mut body, sweep, &figures);
    spread(&mut body, &figures);
    rollouts(&mut body, &figures);
    worst(&mut body, sweep);
    charts_section(&mut body, charts, "This sweep has no charts.");
    let title = format!(
        "{} · seeds {} · meshsim sweep",
        sweep.info.scenario, sweep.info.seeds
    );
    page(&title, &body)
}

fn header(out: &mut String, sweep: &Sweep, figures: &Figures) {
    let info = &sweep.info;
    let _ = writeln!(
        out,
        "<header>\n<h1>{} <span class=\"muted\">over {} seeds</span></h1>\n</header>",
        escape(&info.scenario),
        figures.seeds
    );
    out.push_str("<section id=\"headline\">\n<h2>What the sweep found</h2>\n<ul>\n");
    for line in sweep.headline() {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str("</ul>\n</section>\n");
    let all_ok = figures.ok == figures.seeds;
    let mut facts = vec![
        (
            "scenario file",
            format!("<code>{}</code>", escape(&info.file)),
        ),
        ("seeds", format!("<code>{}</code>", info.seeds)),
        ("engine", escape(&info.engine)),
        (
            "met every expectation",
            format!(
                "{} {} of {} seeds ({})",
                verdict(all_ok),
                figures.ok,
                figures.seeds,
                percent(figures.ok, figures.seeds)
            ),
        ),
        (
            "rows",
            "<a href=\"sweep.csv\"><code>sweep.csv</code></a>, one per seed".to_owned(),
        ),
    ];
    if let Some(shard) = info.shard {
        facts.insert(
            2,
            (
                "shard",
                format!("{shard}: seeds <code>{}</code>", info.own_seeds()),
            ),
        );
    }
    out.push_str("<dl class=\"facts\">\n");
    for (term, definition) in facts {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{definition}</dd>");
    }
    out.push_str("</dl>\n<nav><a href=\"#expectations\">Expectations</a>");
    out.push_str("<a href=\"#spread\">Spread</a>");
    if !figures.rollouts.is_empty() {
        out.push_str("<a href=\"#rollouts\">Rollouts</a>");
    }
    out.push_str("<a href=\"#worst\">Worst seeds</a><a href=\"#charts\">Charts</a></nav>\n");
}

fn expectations(out: &mut String, sweep: &Sweep, figures: &Figures) {
    out.push_str("<section id=\"expectations\">\n<h2>Expectations</h2>\n");
    if sweep.info.expectations.is_empty() {
        out.push_str("<p class=\"muted\">The scenario declares no expectation.</p>\n");
    } else {
        let rows: Vec<Row> = sweep
            .info
            .expectations
            .iter()
            .zip(&figures.expectations_met)
            .map(|(label, met)| {
                let row = Row::new(vec![
                    Cell::html(verdict(*met == figures.seeds)),
                    Cell::html(format!("<code>{}</code>", escape(label))),
                    Cell::number(&met.to_string()),
                    Cell::number(&percent(*met, figures.seeds)),
                ]);
                if *met == figures.seeds {
                    row
                } else {
                    row.class("fail")
                }
            })
            .collect();
        table(out, &["", "expectation", "seeds met#", "share#"], &rows);
    }
    out.push_str("</section>\n");
}

/// One row of the spread table, each figure written by `show`.
fn spread_row(label: &str, spread: &Spread, show: fn(f64) -> String) -> Row {
    let at = |quantile: f64| spread.at(quantile).map_or_else(|| "–".to_owned(), show);
    Row::new(vec![
        Cell::text(label),
        Cell::number(&at(0.0)),
        Cell::number(&at(0.5)),
        Cell::number(&at(0.9)),
        Cell::number(&at(0.99)),
        Cell::number(&at(1.0)),
    ])
}

fn spread(out: &mut String, figures: &Figures) {
    out.push_str("<section id=\"spread\">\n<h2>Spread over the seeds</h2>\n");
    let rows = vec![
        spread_row("success rate", &figures.success_rate, |rate| {
            quantity::percent(Some(rate))
        }),
        spread_row(
            "latency p99",
            &figures.latency_p99_ms,
            quantity::duration_ms,
        ),
        spread_row("requests sent", &figures.sent, |sent| format!("{sent:.0}")),
    ];
    table(
        out,
        &["figure", "min#", "p50#", "p90#", "p99#", "max#"],
        &rows,
    );
    out.push_str("</section>\n");
}

fn rollouts(out: &mut String, figures: &Figures) {
    if figures.rollouts.is_empty() {
        return;
    }
    out.push_str("<section id=\"rollouts\">\n<h2>Rollouts: detection power</h2>\n");
    out.push_str(
        "<p class=\"muted\">How often each outcome came over the seeds, how long from the \
         rollout&#39;s start it took, and how many requests the new version answered (its \
         blast radius). A bad version should be rolled back in every seed, and soon; a good one \
         promoted in every seed.</p>\n",
    );
    let mut rows = Vec::new();
    for rollout in &figures.rollouts {
        for outcome in &rollout.outcomes {
            let time = |quantile: f64| {
                outcome
                    .time_s
                    .at(quantile)
                    .map_or_else(|| "–".to_owned(), quantity::duration_s)
            };
            let radius = outcome
                .blast_radius
                .at(0.5)
                .map_or_else(|| "–".to_owned(), |radius| format!("{radius:.0}"));
            rows.push(Row::new(vec![
                Cell::text(&rollout.service),
                Cell::html(format!("<code>{}</code>", escape(&outcome.outcome))),
                Cell::number(&outcome.seeds.to_string()),
                Cell::number(&percent(outcome.seeds, figures.seeds)),
                Cell::number(&time(0.5)),
                Cell::number(&time(0.9)),
                Cell::number(&time(1.0)),
                Cell::number(&radius),
            ]));
        }
    }
    table(
        out,
        &[
            "service",
            "outcome",
            "seeds#",
            "share#",
            "time p50#",
            "time p90#",
            "time max#",
            "blast radius p50#",
        ],
        &rows,
    );
    out.push_str("</section>\n");
}

fn worst(out: &mut String, sweep: &Sweep) {
    out.push_str("<section id=\"worst\">\n<h2>Worst seeds</h2>\n");
    out.push_str(
        "<p class=\"muted\">Seeds that failed an expectation first, then by success rate. Each \
         command replays that seed&#39;s run with its report.</p>\n",
    );
    let rows: Vec<Row> = sweep
        .worst()
        .into_iter()
        .map(|row| {
            let line = Row::new(vec![
                Cell::number(&row.seed.to_string()),
                Cell::html(verdict(row.ok())),
                Cell::number(&format!("{} of {}", row.passed(), row.expectations.len())),
                Cell::number(&quantity::percent(row.success_rate)),
                Cell::number(&quantity::duration_ms(row.latency_p99_ms)),
                Cell::html(format!(
                    "<code>{}</code>",
                    escape(&sweep.replay_command(row.seed))
                )),
            ]);
            if row.ok() { line } else { line.class("fail") }
        })
        .collect();
    table(
        out,
        &["seed#", "", "expectations#", "success#", "p99#", "replay"],
        &rows,
    );
    out.push_str("</section>\n");
}
