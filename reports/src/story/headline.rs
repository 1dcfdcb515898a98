//! The headline's lines: the expectations' verdict, then each rollout, breaker, ejection, retry
//! storm, policy that turned requests away, broken invariant, fault and workload outcome, each
//! with its absolute simulated time and its cause, and the chart and timeline row that show it.

use std::fmt::Write as _;

use super::figures::shown_expectation;
use super::line::{Line, Tone, chart_name, row_id};
use super::{Action, mesh_lines, rollout_lines, scale_lines};
use crate::quantity::{counted, duration_s, instant_s, percent};
use crate::run_data::RunData;
use crate::summary_file::FaultWindow;

/// Lines of one kind at most (faults, workloads, breakers): past this the rest are counted.
const LINES_PER_KIND_MAX: usize = 4;

pub(super) fn lines(run: &RunData, actions: &[Action]) -> Vec<Line> {
    let mut lines = Vec::new();
    expectations(run, &mut lines);
    rollout_lines::rollouts(run, actions, &mut lines);
    rollout_lines::routes(run, &mut lines);
    capped(
        &mut lines,
        mesh_lines::breakers(run, actions),
        "services' breakers",
    );
    capped(
        &mut lines,
        mesh_lines::ejections(actions),
        "services' ejections",
    );
    capped(
        &mut lines,
        mesh_lines::mesh_actions(run, actions),
        "services",
    );
    capped(&mut lines, mesh_lines::fail_fast(actions), "services");
    capped(&mut lines, mesh_lines::subscriptions(run), "subscriptions");
    capped(
        &mut lines,
        scale_lines::autoscaling(run),
        "autoscaled services",
    );
    invariants(run, &mut lines);
    capped(&mut lines, faults(&run.summary.faults), "faults");
    capped(&mut lines, workloads(run), "workloads");
    lines
}

/// Appends `more`, keeping the first few and counting the rest in one line.
fn capped(lines: &mut Vec<Line>, more: Vec<Line>, noun: &str) {
    let left_out = more.len().saturating_sub(LINES_PER_KIND_MAX);
    lines.extend(more.into_iter().take(LINES_PER_KIND_MAX));
    if left_out > 0 {
        lines.push(Line::new(
            Tone::Neutral,
            format!("and {left_out} more {noun}: see the tables below"),
        ));
    }
}

fn expectations(run: &RunData, lines: &mut Vec<Line>) {
    let expectations = &run.summary.expectations;
    if expectations.is_empty() {
        return;
    }
    let failed: Vec<_> = expectations.iter().filter(|e| !e.ok).collect();
    if failed.is_empty() {
        lines.push(Line::new(
            Tone::Good,
            format!(
                "all {} met",
                counted(expectations.len() as u64, "expectation", "expectations")
            ),
        ));
        return;
    }
    lines.push(Line::new(
        Tone::Bad,
        format!(
            "{} of {} expectations failed",
            failed.len(),
            expectations.len()
        ),
    ));
    for expectation in failed {
        lines.push(Line::new(
            Tone::Bad,
            format!("failed {}", shown_expectation(expectation)),
        ));
    }
}

fn invariants(run: &RunData, lines: &mut Vec<Line>) {
    for invariant in run.summary.invariants.iter().filter(|i| !i.holds) {
        let example = invariant
            .examples
            .first()
            .map_or(String::new(), |example| format!(": {example}"));
        lines.push(Line::new(
            Tone::Bad,
            format!(
                "invariant {} broken {} of {}{example}",
                invariant.name,
                counted(invariant.violations, "time", "times"),
                invariant.checked
            ),
        ));
    }
}

fn faults(faults: &[FaultWindow]) -> Vec<Line> {
    faults
        .iter()
        .map(|fault| {
            let detail = if fault.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", fault.detail)
            };
            let span = match (fault.kind.as_str(), fault.end_s) {
                ("crash", Some(end)) => format!(
                    "at {}, restarted at {}",
                    instant_s(fault.start_s),
                    duration_s(end)
                ),
                ("crash", None) => format!("at {}, not restarted", instant_s(fault.start_s)),
                (_, Some(end)) => {
                    format!("from {} to {}", instant_s(fault.start_s), duration_s(end))
                }
                (_, None) => format!("from {} to the end", instant_s(fault.start_s)),
            };
            Line::new(
                Tone::Neutral,
                format!("fault: {} {}{detail} {span}", fault.kind, fault.subject),
            )
            .row(row_id(&format!("fault-{}", fault.kind), &fault.subject))
        })
        .collect()
}

fn workloads(run: &RunData) -> Vec<Line> {
    run.summary
        .workloads
        .iter()
        .map(|(name, workload)| {
            let counts = &workload.requests;
            let ended = counts.succeeded + counts.failed + counts.timed_out + counts.shed;
            let mut text = format!(
                "{name}: {} of {} succeeded ({})",
                counts.succeeded,
                counted(ended, "request", "requests"),
                percent(workload.success_rate)
            );
            let failures: Vec<String> = workload
                .failures
                .iter()
                .map(|(reason, count)| format!("{reason} {count}"))
                .collect();
            if !failures.is_empty() {
                let _ = write!(text, "; did not succeed: {}", failures.join(", "));
            }
            Line::new(Tone::Neutral, text).chart(chart_name("outcomes-workload", name))
        })
        .collect()
}
