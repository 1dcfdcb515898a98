//! The figures of a sweep over its seeds: spreads, outcomes, rollouts.

use super::{RolloutCell, Sweep};

/// Outcomes of a rollout in the order they are listed; an outcome not named here follows them.
const OUTCOME_ORDER: [&str; 3] = ["rolled_back", "promoted", "in_progress"];

/// How a figure spread over the seeds: its order statistics.
#[derive(Debug, Clone, Default)]
pub struct Spread {
    /// The values, sorted.
    pub sorted: Vec<f64>,
}

impl Spread {
    pub fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        Spread { sorted: values }
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The value at `quantile` by the nearest rank.
    pub fn at(&self, quantile: f64) -> Option<f64> {
        let last = self.sorted.len().checked_sub(1)?;
        let index = (last as f64 * quantile).round() as usize;
        Some(self.sorted[index])
    }

    /// `min …, p50 …, p90 …, max …`, each value written by `show`.
    pub fn text(&self, show: impl Fn(f64) -> String) -> String {
        if self.is_empty() {
            return "no value".to_owned();
        }
        let at = |quantile| show(self.at(quantile).unwrap_or(0.0));
        format!(
            "min {}, p50 {}, p90 {}, max {}",
            at(0.0),
            at(0.5),
            at(0.9),
            at(1.0)
        )
    }

    /// `at 5m 00s` when every value is the same, else `between 5m 00s and 7m 00s`; `show`
    /// writes each.
    pub fn range(&self, show: impl Fn(f64) -> String) -> Option<String> {
        let (lowest, highest) = (self.at(0.0)?, self.at(1.0)?);
        Some(if lowest.to_bits() == highest.to_bits() {
            format!("at {}", show(lowest))
        } else {
            format!("between {} and {}", show(lowest), show(highest))
        })
    }
}

/// One outcome of a rollout over the seeds.
#[derive(Debug, Clone)]
pub struct OutcomeFigures {
    pub outcome: String,
    pub seeds: usize,
    /// Time to decision in the seeds with this outcome.
    pub time_s: Spread,
    /// Requests the new version answered in those seeds.
    pub blast_radius: Spread,
}

/// A rollout over the seeds: how often each outcome came, and how soon.
#[derive(Debug, Clone)]
pub struct RolloutFigures {
    pub service: String,
    pub outcomes: Vec<OutcomeFigures>,
}

/// The aggregate of a sweep.
#[derive(Debug, Clone)]
pub struct Figures {
    pub seeds: usize,
    pub ok: usize,
    /// Seeds with every request accounted for.
    pub accounted: usize,
    /// Each invariant broken in some seed, with how many, in the order first met.
    pub invariants_broken: Vec<(String, usize)>,
    /// Seeds meeting each expectation.
    pub expectations_met: Vec<usize>,
    pub success_rate: Spread,
    pub latency_p99_ms: Spread,
    pub sent: Spread,
    pub rollouts: Vec<RolloutFigures>,
}

impl Figures {
    pub fn of(sweep: &Sweep) -> Figures {
        let rows = &sweep.rows;
        let expectations_met = (0..sweep.info.expectations.len())
            .map(|index| rows.iter().filter(|row| row.expectations[index]).count())
            .collect();
        let rollouts = sweep
            .info
            .rollouts
            .iter()
            .enumerate()
            .map(|(index, service)| {
                let mut names: Vec<&str> = OUTCOME_ORDER
                    .iter()
                    .copied()
                    .filter(|name| rows.iter().any(|row| row.rollouts[index].outcome == *name))
                    .collect();
                for row in rows {
                    let name = row.rollouts[index].outcome.as_str();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                let outcomes = names
                    .into_iter()
                    .map(|name| {
                        let cells: Vec<&RolloutCell> = rows
                            .iter()
                            .map(|row| &row.rollouts[index])
                            .filter(|cell| cell.outcome == name)
                            .collect();
                        OutcomeFigures {
                            outcome: name.to_owned(),
                            seeds: cells.len(),
                            time_s: Spread::of(cells.iter().filter_map(|c| c.time_s).collect()),
                            blast_radius: Spread::of(
                                cells.iter().map(|c| c.blast_radius as f64).collect(),
                            ),
                        }
                    })
                    .collect();
                RolloutFigures {
                    service: service.clone(),
                    outcomes,
                }
            })
            .collect();
        let mut invariants_broken: Vec<(String, usize)> = Vec::new();
        for name in rows.iter().flat_map(|row| &row.invariants_broken) {
            match invariants_broken
                .iter_mut()
                .find(|(known, _)| known == name)
            {
                Some((_, seeds)) => *seeds += 1,
                None => invariants_broken.push((name.clone(), 1)),
            }
        }
        Figures {
            seeds: rows.len(),
            ok: rows.iter().filter(|row| row.ok()).count(),
            accounted: rows.iter().filter(|row| row.accounted).count(),
            invariants_broken,
            expectations_met,
            success_rate: Spread::of(rows.iter().filter_map(|row| row.success_rate).collect()),
            latency_p99_ms: Spread::of(rows.iter().map(|row| row.latency_p99_ms).collect()),
            sent: Spread::of(rows.iter().map(|row| row.sent as f64).collect()),
            rollouts,
        }
    }
}
