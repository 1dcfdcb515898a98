//! The summary table printed at the end of a run: outcomes, latency per workload and service,
//! expectations, the digest and the speed.

use std::fmt::Write;

use meshsim_record::RunSummary;
use meshsim_record::summary::{LatencySummary, MeshSummary};

use crate::quantity::percent;
use crate::run_data::RunData;
use crate::story::{self, Tone};
use crate::summary_file::RunInfo;

#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    pub color: bool,
    /// Wall-clock seconds the run took: shown, never written to a file.
    pub wall_seconds: f64,
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Renders rows as columns: the first left-aligned, the rest right-aligned.
fn columns(rows: &[Vec<String>]) -> String {
    let width_count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; width_count];
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::from("  ");
        for (index, cell) in row.iter().enumerate() {
            let pad = widths[index] - cell.chars().count();
            if index == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

fn latency_cells(latency: &LatencySummary) -> [String; 3] {
    [ms(latency.p50), ms(latency.p99), ms(latency.max)]
}

/// The terminal's account of a run: the headline first (what decided it, when and why), then
/// the tables, what the mesh did, the expectations, and the digest. `run` is the run as its
/// files have it, so the headline and the figures read as the report page has them.
pub fn summary_table(
    info: &RunInfo,
    summary: &RunSummary,
    run: &RunData,
    options: TableOptions,
) -> String {
    let mut out = String::new();
    let bold = |text: &str| paint(text, "1", options.color);
    let _ = writeln!(
        out,
        "{} {} (seed {}, {} engine{}{})",
        bold("meshsim"),
        info.scenario,
        info.seed,
        info.engine,
        if info.mesh.profile.is_empty() {
            String::new()
        } else {
            format!(", {}", info.mesh.label())
        },
        code_text(&info.code)
    );

    out.push('\n');
    for line in story::headline(run) {
        let glyph = match line.tone {
            Tone::Good => paint(line.tone.glyph(), "32", options.color),
            Tone::Bad => paint(line.tone.glyph(), "31;1", options.color),
            Tone::Neutral => line.tone.glyph().to_owned(),
        };
        let _ = writeln!(out, "  {glyph} {}", line.text);
    }

    out.push_str(&workloads_table(summary));
    out.push_str(&services_table(summary));
    out.push_str(&mesh_actions(summary));
    out.push_str(&expectation_lines(run, options));
    out.push_str(&not_simulated_lines(info));
    out.push_str(&digest_line(info, summary, options));
    out
}

/// Each workload's requests and latency, one row each.
fn workloads_table(summary: &RunSummary) -> String {
    let mut out = String::new();
    let mut rows = vec![
        [
            "workload",
            "sent",
            "ok",
            "failed",
            "timed out",
            "shed",
            "in flight",
            "success",
            "p50 ms",
            "p99 ms",
            "max ms",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (name, workload) in &summary.workloads {
        let counts = &workload.requests;
        let mut row = vec![
            name.clone(),
            counts.sent.to_string(),
            counts.succeeded.to_string(),
            counts.failed.to_string(),
            counts.timed_out.to_string(),
            counts.shed.to_string(),
            counts.in_flight.to_string(),
            percent(workload.success_rate),
        ];
        row.extend(latency_cells(&workload.latency_ms));
        rows.push(row);
    }
    out.push('\n');
    out.push_str(&columns(&rows));

    out
}

/// Each service's answers and latency, one row each, and a row per version where it has
/// more than one.
fn services_table(summary: &RunSummary) -> String {
    let mut out = String::new();
    let mut rows = vec![
        [
            "service", "answered", "ok", "failed", "shed", "success", "p50 ms", "p99 ms", "max ms",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for (name, service) in &summary.services {
        let counts = &service.requests;
        let mut row = vec![
            name.clone(),
            counts.received.to_string(),
            counts.succeeded.to_string(),
            counts.failed.to_string(),
            counts.shed.to_string(),
            percent(service.success_rate),
        ];
        row.extend(latency_cells(&service.latency_ms));
        rows.push(row);
        if service.versions.len() > 1 {
            for (version, stats) in &service.versions {
                let counts = &stats.requests;
                let mut row = vec![
                    format!("  {version}"),
                    counts.received.to_string(),
                    counts.succeeded.to_string(),
                    counts.failed.to_string(),
                    counts.shed.to_string(),
                    percent(stats.success_rate),
                ];
                row.extend(latency_cells(&stats.latency_ms));
                rows.push(row);
            }
        }
    }
    out.push('\n');
    out.push_str(&columns(&rows));

    out
}

/// The expectations, each with its verdict.
fn expectation_lines(run: &RunData, options: TableOptions) -> String {
    let mut out = String::new();
    let expectations = &run.summary.expectations;
    if !expectations.is_empty() {
        out.push('\n');
        let passed = expectations.iter().filter(|e| e.ok).count();
        let _ = writeln!(
            out,
            "  expectations: {passed} of {} passed",
            expectations.len()
        );
        for expectation in expectations {
            let mark = if expectation.ok {
                paint("ok  ", "32", options.color)
            } else {
                paint("FAIL", "31;1", options.color)
            };
            let _ = writeln!(out, "  {mark} {}", story::shown_expectation(expectation));
        }
    }

    out
}

/// `; backend v1 as code`, when versions ran as the team's own code.
pub(crate) fn code_text(code: &[String]) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!("; {} as code", code.join(", "))
    }
}

/// The parts of the scenario this build reads but does not simulate.
fn not_simulated_lines(info: &RunInfo) -> String {
    let mut out = String::new();
    if !info.not_simulated.is_empty() {
        let _ = writeln!(
            out,
            "\n  not simulated by this build (parsed and validated only):"
        );
        for part in &info.not_simulated {
            let _ = writeln!(out, "    - {part}");
        }
    }

    out
}

/// The digest of the trace, and how fast the run went.
fn digest_line(info: &RunInfo, summary: &RunSummary, options: TableOptions) -> String {
    let mut out = String::new();
    let speed = if options.wall_seconds > 0.0 {
        summary.sim_seconds / options.wall_seconds
    } else {
        f64::INFINITY
    };
    let _ = writeln!(
        out,
        "\n  digest {}  ·  {:.0} simulated s in {:.3} wall s ({:.0}× real time)  ·  {} events",
        summary.digest, summary.sim_seconds, options.wall_seconds, speed, info.events
    );
    out
}

/// What the mesh did to the calls into each service, where it did anything: a column per
/// action that is not zero somewhere, a row per service where one is not.
fn mesh_actions(summary: &RunSummary) -> String {
    type Count = fn(&MeshSummary) -> u64;
    const ACTIONS: [(&str, Count); 10] = [
        ("breaker opens", |mesh| mesh.circuit_opens),
        ("rejected", |mesh| mesh.circuit_rejections),
        ("fallbacks", |mesh| mesh.fallbacks),
        ("retries", |mesh| mesh.retries),
        ("budget denied", |mesh| mesh.budget_denials),
        ("ejections", |mesh| mesh.ejections),
        ("rate limited", |mesh| mesh.rate_limited),
        ("denied", |mesh| mesh.denied),
        ("overflows", |mesh| mesh.overflows),
        ("fault aborts", |mesh| mesh.fault_aborts),
    ];
    let shown: Vec<usize> = (0..ACTIONS.len())
        .filter(|&index| {
            summary
                .services
                .values()
                .any(|s| ACTIONS[index].1(&s.mesh) > 0)
        })
        .collect();
    if shown.is_empty() {
        return String::new();
    }
    let mut heading = vec!["mesh did".to_owned()];
    heading.extend(shown.iter().map(|&index| ACTIONS[index].0.to_owned()));
    let mut rows = vec![heading];
    for (name, service) in &summary.services {
        if shown
            .iter()
            .all(|&index| ACTIONS[index].1(&service.mesh) == 0)
        {
            continue;
        }
        let mut row = vec![format!("to {name}")];
        row.extend(
            shown
                .iter()
                .map(|&index| ACTIONS[index].1(&service.mesh).to_string()),
        );
        rows.push(row);
    }
    format!("\n{}", columns(&rows))
}
