//! The charts of a sweep, drawn from its rows alone: the success and the p99 of every seed, how
//! the p99 spread over the seeds, and for each rollout the share of seeds decided by each time
//! after its start (its detection power over time).

use crate::chart::Chart;
use crate::sweep::{Figures, Spread, Sweep};

use super::figure::{Figure, XScale};
use super::panel::{Panel, Scale};
use super::series::{Mark, Series};

/// The charts of `sweep`, in the order the page shows them.
pub fn sweep_charts(sweep: &Sweep) -> Vec<Chart> {
    if sweep.rows.is_empty() {
        return Vec::new();
    }
    let mut charts = vec![by_seed(sweep), p99_spread(&Figures::of(sweep))];
    charts.extend(Figures::of(sweep).rollouts.iter().filter_map(|rollout| {
        let seeds = sweep.rows.len();
        // Every outcome's line runs on to the same time past the last decision of any.
        let last_s = rollout
            .outcomes
            .iter()
            .filter_map(|outcome| outcome.time_s.at(1.0))
            .fold(0.0, f64::max);
        let pad_s = padding(0.0, last_s, 1.0);
        let panel = rollout.outcomes.iter().enumerate().fold(
            Panel::new("seeds decided by then (%)", Scale::Percent),
            |panel, (role, outcome)| {
                if outcome.time_s.is_empty() {
                    return panel;
                }
                let label = format!("{} ({} seeds)", outcome.outcome, outcome.seeds);
                panel.with(Series::new(
                    label,
                    role,
                    Mark::Line,
                    share_by(&outcome.time_s, seeds, 0.0, last_s + pad_s),
                ))
            },
        );
        (!panel.is_empty()).then(|| {
            let figure = Figure {
                title: format!(
                    "Rollout of {}: seeds decided, by time from its start",
                    rollout.service
                ),
                x: XScale::Linear {
                    label: "time from the rollout's start (s)",
                    from_zero: true,
                    step_min: 1.0,
                },
                panels: vec![panel],
                faults: Vec::new(),
                marks: Vec::new(),
            };
            chart(format!("sweep-rollout-{}.svg", rollout.service), &figure)
        })
    }));
    charts
}

fn chart(file_name: String, figure: &Figure) -> Chart {
    Chart {
        file_name,
        title: figure.title.clone(),
        svg: figure.render(),
    }
}

/// Each seed's share of requests that did not succeed, and its p99; the seeds that failed an
/// expectation as a series of their own, so they stand out.
fn by_seed(sweep: &Sweep) -> Chart {
    let unsuccessful = |ok: Option<bool>| -> Vec<(f64, Option<f64>)> {
        sweep
            .rows
            .iter()
            .map(|row| {
                let value = row.success_rate.map(|rate| 100.0 * (1.0 - rate));
                let shown = ok.is_none_or(|ok| row.ok() == ok);
                (row.seed as f64, value.filter(|_| shown))
            })
            .collect()
    };
    let p99 = |ok: Option<bool>| -> Vec<(f64, Option<f64>)> {
        sweep
            .rows
            .iter()
            .map(|row| {
                let shown = ok.is_none_or(|ok| row.ok() == ok);
                (row.seed as f64, Some(row.latency_p99_ms).filter(|_| shown))
            })
            .collect()
    };
    let failing = "failed an expectation";
    let errors = Panel::new("requests not succeeded (%)", Scale::FromZero)
        .with(Series::new("every seed", 0, Mark::Line, unsuccessful(None)))
        .with_unless_empty(Series::new(
            failing,
            1,
            Mark::Line,
            unsuccessful(Some(false)),
        ));
    let latency = Panel::new("latency p99 (ms)", Scale::FromZero)
        .with(Series::new("every seed", 0, Mark::Line, p99(None)))
        .with_unless_empty(Series::new(failing, 1, Mark::Line, p99(Some(false))));
    let figure = Figure {
        title: format!(
            "Each seed of {}: requests not succeeded and p99",
            sweep.info.seeds
        ),
        x: XScale::Linear {
            label: "seed",
            from_zero: false,
            step_min: 1.0,
        },
        panels: vec![errors, latency],
        faults: Vec::new(),
        marks: Vec::new(),
    };
    chart("sweep-seeds.svg".to_owned(), &figure)
}

/// The share of seeds whose p99 was at or below each latency.
fn p99_spread(figures: &Figures) -> Chart {
    let spread = &figures.latency_p99_ms;
    let (lowest, highest) = (spread.at(0.0).unwrap_or(0.0), spread.at(1.0).unwrap_or(0.0));
    let pad = padding(lowest, highest, 1.0);
    let panel = Panel::new("seeds at or below (%)", Scale::Percent).with(Series::new(
        "latency p99",
        0,
        Mark::Line,
        share_by(
            &figures.latency_p99_ms,
            figures.seeds,
            (lowest - pad).max(0.0),
            highest + pad,
        ),
    ));
    let figure = Figure {
        title: "The p99 over the seeds: share of seeds at or below each latency".to_owned(),
        x: XScale::Linear {
            label: "latency p99 (ms)",
            from_zero: false,
            step_min: 0.001,
        },
        panels: vec![panel],
        faults: Vec::new(),
        marks: Vec::new(),
    };
    chart("sweep-p99.svg".to_owned(), &figure)
}

/// How far a line of values from `lowest` to `highest` runs on past each end, so that its first
/// and last steps sit inside the plot rather than on its frame: a tenth of the span, or of the
/// value itself when every seed gave the same (`unit` when that is zero too).
fn padding(lowest: f64, highest: f64, unit: f64) -> f64 {
    let span = highest - lowest;
    if span > 0.0 {
        span / 10.0
    } else if highest != 0.0 {
        highest.abs() / 10.0
    } else {
        unit
    }
}

/// A step line of the share of `seeds` (percent) at or below each value of `spread`, from 0 % at
/// `from` to the last share at `to`: a rollout's decisions start at its start, and every line
/// runs on past its last step so that no step is drawn on the plot's frame.
fn share_by(spread: &Spread, seeds: usize, from: f64, to: f64) -> Vec<(f64, Option<f64>)> {
    if spread.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<(f64, Option<f64>)> = Vec::with_capacity(2 * spread.sorted.len() + 2);
    points.push((from, Some(0.0)));
    let mut below = 0usize;
    let mut index = 0;
    // Equal values make one step.
    while index < spread.sorted.len() {
        let value = spread.sorted[index];
        let mut next = index;
        while next < spread.sorted.len() && spread.sorted[next].to_bits() == value.to_bits() {
            next += 1;
        }
        let before = 100.0 * below as f64 / seeds as f64;
        below += next - index;
        let after = 100.0 * below as f64 / seeds as f64;
        if points
            .last()
            .is_none_or(|(x, _)| x.to_bits() != value.to_bits())
        {
            points.push((value, Some(before)));
        }
        points.push((value, Some(after)));
        index = next;
    }
    let last = 100.0 * below as f64 / seeds as f64;
    points.push((to, Some(last)));
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_rises_by_one_step_per_distinct_value() {
        let spread = Spread::of(vec![60.0, 30.0, 60.0]);
        let points = share_by(&spread, 4, 0.0, 66.0);
        let expected = [
            (0.0, 0.0),
            (30.0, 0.0),
            (30.0, 25.0),
            (60.0, 25.0),
            (60.0, 75.0),
            (66.0, 75.0),
        ];
        assert_eq!(
            points,
            expected.map(|(x, y)| (x, Some(y))).to_vec(),
            "a quarter of seeds were never decided"
        );
    }

    #[test]
    fn a_value_every_seed_agrees_on_is_padded_on_both_sides() {
        // Every seed rolled back at 300 s: the line runs on a tenth past it.
        assert_eq!(padding(0.0, 300.0, 1.0).to_bits(), 30.0_f64.to_bits());
        let decided = share_by(&Spread::of(vec![300.0; 8]), 8, 0.0, 330.0);
        assert_eq!(
            decided,
            [(0.0, 0.0), (300.0, 0.0), (300.0, 100.0), (330.0, 100.0)]
                .map(|(x, y)| (x, Some(y)))
                .to_vec()
        );
        // Every seed's p99 is the same: a tenth of the value on each side.
        let pad = padding(59.5, 59.5, 1.0);
        assert!((pad - 5.95).abs() < 1e-9);
        let p99 = share_by(&Spread::of(vec![59.5; 8]), 8, 59.5 - pad, 59.5 + pad);
        let xs: Vec<f64> = p99.iter().map(|(x, _)| *x).collect();
        assert_eq!(xs, [59.5 - pad, 59.5, 59.5, 59.5 + pad]);
        // A value of zero has no tenth: the unit step instead.
        assert_eq!(padding(0.0, 0.0, 1.0).to_bits(), 1.0_f64.to_bits());
    }
}
