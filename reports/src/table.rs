//! The summary table printed at the end of a run: outcomes, latency per workload and service,
//! expectations, the digest and the speed.

use std::fmt::Write;

use meshsim_sim::RunSummary;
use meshsim_sim::summary::LatencySummary;

use crate::summary_file::{ExpectationOutcome, RunInfo};

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

fn rate(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |rate| format!("{:.2}%", rate * 100.0))
}

fn latency_cells(latency: &LatencySummary) -> [String; 3] {
    [ms(latency.p50), ms(latency.p99), ms(latency.max)]
}

pub fn summary_table(
    info: &RunInfo,
    summary: &RunSummary,
    expectations: &[ExpectationOutcome],
    options: TableOptions,
) -> String {
    let mut out = String::new();
    let bold = |text: &str| paint(text, "1", options.color);
    let _ = writeln!(
        out,
        "{} {} (seed {}, {} engine{})",
        bold("meshsim"),
        info.scenario,
        info.seed,
        info.engine,
        if info.mesh.profile.is_empty() {
            String::new()
        } else {
            format!(", {}", info.mesh.label())
        }
    );

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
            rate(workload.success_rate),
        ];
        row.extend(latency_cells(&workload.latency_ms));
        rows.push(row);
    }
    out.push('\n');
    out.push_str(&columns(&rows));

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
            rate(service.success_rate),
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
                    rate(stats.success_rate),
                ];
                row.extend(latency_cells(&stats.latency_ms));
                rows.push(row);
            }
        }
    }
    out.push('\n');
    out.push_str(&columns(&rows));

    let mut failure_lines = String::new();
    for (workload_name, workload) in &summary.workloads {
        if workload.failures.is_empty() {
            continue;
        }
        let list: Vec<String> = workload
            .failures
            .iter()
            .map(|(reason, count)| format!("{reason} {count}"))
            .collect();
        let _ = writeln!(
            failure_lines,
            "  {workload_name} did not succeed: {}",
            list.join(", ")
        );
    }
    if !failure_lines.is_empty() {
        out.push('\n');
        out.push_str(&failure_lines);
    }

    if !summary.rollouts.is_empty() {
        out.push('\n');
    }
    for (service, rollout) in &summary.rollouts {
        let when = rollout.time_s.map_or(String::new(), |seconds| {
            format!(" after {} s", trim_number(seconds))
        });
        let _ = writeln!(
            out,
            "  rollout {service} ({}, {} -> {}): {}{when}, {} failed check{}, {} answered {} requests ({} failed)",
            rollout.strategy,
            rollout.from,
            rollout.to,
            rollout.outcome.name(),
            rollout.failed_checks,
            if rollout.failed_checks == 1 { "" } else { "s" },
            rollout.to,
            rollout.blast_radius,
            rollout.blast_radius_failed,
        );
    }

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
            let actual = match &expectation.actual {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Null => "none".to_owned(),
                other => other.to_string(),
            };
            let note = expectation
                .note
                .as_ref()
                .map_or(String::new(), |note| format!(" ({note})"));
            let _ = writeln!(
                out,
                "  {mark} {}: {actual}, expected {}{note}",
                expectation.metric, expectation.expected
            );
        }
    }

    if !info.not_simulated.is_empty() {
        let _ = writeln!(
            out,
            "\n  not simulated by this build (parsed and validated only):"
        );
        for part in &info.not_simulated {
            let _ = writeln!(out, "    - {part}");
        }
    }

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

/// A number without a fraction when it has none: `300`, `42.5`.
fn trim_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}
