//! What a person reads of a sweep on the terminal: the summary and the headline.

use std::fmt::Write as _;

use super::{Figures, Sweep};
use crate::quantity;

impl Sweep {
    /// The terminal summary.
    pub fn summary_text(&self) -> String {
        let figures = Figures::of(self);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  seeds {}: {} met every expectation ({})",
            figures.seeds,
            figures.ok,
            percent(figures.ok, figures.seeds)
        );
        for (label, met) in self.info.expectations.iter().zip(&figures.expectations_met) {
            let _ = writeln!(out, "    {label}: met in {}", percent(*met, figures.seeds));
        }
        let unaccounted = figures.seeds - figures.accounted;
        if unaccounted > 0 {
            let _ = writeln!(
                out,
                "  requests not all accounted for in {unaccounted} seeds (a bug in meshsim)"
            );
        }
        if !figures.invariants_broken.is_empty() {
            let broken: Vec<String> = figures
                .invariants_broken
                .iter()
                .map(|(name, seeds)| format!("{name} in {seeds}"))
                .collect();
            let _ = writeln!(out, "  invariants broken: {}", broken.join(", "));
        }
        let _ = writeln!(out, "  success rate: {}", figures.success_rate.text(share));
        let _ = writeln!(
            out,
            "  latency p99:  {}",
            figures.latency_p99_ms.text(quantity::duration_ms)
        );
        for rollout in &figures.rollouts {
            let _ = writeln!(out, "  rollout {}:", rollout.service);
            for outcome in &rollout.outcomes {
                let mut line = format!(
                    "    {} in {} of seeds",
                    outcome.outcome,
                    percent(outcome.seeds, figures.seeds)
                );
                if !outcome.time_s.is_empty() {
                    let time = outcome.time_s.text(quantity::duration_s);
                    let _ = write!(line, "; time to decision {time}");
                }
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out, "  worst seeds:");
        for row in self.worst() {
            let _ = writeln!(
                out,
                "    seed {}: {} of {} expectations, success {}  ·  {}",
                row.seed,
                row.passed(),
                row.expectations.len(),
                quantity::percent(row.success_rate),
                self.replay_command(row.seed)
            );
        }
        out
    }

    /// What the sweep found, in a few lines for the top of its page: how many seeds failed an
    /// expectation (and the worst), what each rollout did and when, and how far the success
    /// rate and the p99 spread.
    pub fn headline(&self) -> Vec<String> {
        let figures = Figures::of(self);
        let seeds = figures.seeds;
        let mut lines = Vec::new();
        let failed = seeds - figures.ok;
        let mut verdict = if self.info.expectations.is_empty() {
            "the scenario declares no expectation".to_owned()
        } else if failed == 0 {
            format!("every seed met every expectation ({seeds} of {seeds})")
        } else {
            format!(
                "{} of {seeds} failed an expectation",
                quantity::counted(failed as u64, "seed", "seeds")
            )
        };
        if let Some(worst) = self.worst().first().filter(|row| !row.ok()) {
            let _ = write!(
                verdict,
                "; the worst is seed {}: {}",
                worst.seed,
                self.replay_command(worst.seed)
            );
        }
        lines.push(verdict);
        let unaccounted = seeds - figures.accounted;
        if unaccounted > 0 {
            lines.push(format!(
                "requests not all accounted for in {} (a bug in meshsim)",
                quantity::counted(unaccounted as u64, "seed", "seeds")
            ));
        }
        for (name, broken) in &figures.invariants_broken {
            lines.push(format!(
                "invariant {name} broken in {} of {seeds}",
                quantity::counted(*broken as u64, "seed", "seeds")
            ));
        }
        for rollout in &figures.rollouts {
            let outcomes: Vec<String> = rollout
                .outcomes
                .iter()
                .map(|outcome| {
                    let mut phrase = format!(
                        "{} in {} of {seeds} seeds",
                        outcome_words(&outcome.outcome),
                        outcome.seeds
                    );
                    if let Some(range) = outcome.time_s.range(quantity::duration_s) {
                        let _ = write!(phrase, ", {range} from its start");
                    }
                    phrase
                })
                .collect();
            lines.push(format!(
                "rollout of {}: {}",
                rollout.service,
                outcomes.join("; ")
            ));
        }
        if let (Some(rates), Some(p99)) = (
            figures.success_rate.range(share),
            figures.latency_p99_ms.range(quantity::duration_ms),
        ) {
            lines.push(format!(
                "success rate {rates}, p99 latency {p99} over the seeds"
            ));
        }
        lines
    }
}

/// A share of 1 as the reports write it: `99.27%`.
fn share(value: f64) -> String {
    quantity::percent(Some(value))
}

/// A rollout's outcome as the headline says it: `rolled back`.
fn outcome_words(outcome: &str) -> String {
    match outcome {
        "rolled_back" => "rolled back".to_owned(),
        "in_progress" => "still in progress at the end".to_owned(),
        other => other.replace('_', " "),
    }
}

/// `part` of `whole` as a percentage, as `quantity::percent` writes a share: `75.00%`.
pub fn percent(part: usize, whole: usize) -> String {
    quantity::percent((whole > 0).then(|| part as f64 / whole as f64))
}
