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
                    share_by(&outcome.time_s, seeds, true),
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
    let panel = Panel::new("seeds at or below (%)", Scale::Percent).with(Series::new(
        "latency p99",
        0,
        Mark::Line,
        share_by(&figures.latency_p99_ms, figures.seeds, false),
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

/// A step line of the share of `seeds` (percent) at or below each value of `spread`; from
/// zero when `from_origin`, so a curve of decisions starts at the rollout's start.
fn share_by(spread: &Spread, seeds: usize, from_origin: bool) -> Vec<(f64, Option<f64>)> {
    let mut points: Vec<(f64, Option<f64>)> = Vec::with_capacity(2 * spread.sorted.len() + 1);
    if from_origin {
        points.push((0.0, Some(0.0)));
    }
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
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_rises_by_one_step_per_distinct_value() {
        let spread = Spread::of(vec![60.0, 30.0, 60.0]);
        let points = share_by(&spread, 4, true);
        let expected = [
            (0.0, 0.0),
            (30.0, 0.0),
            (30.0, 25.0),
            (60.0, 25.0),
            (60.0, 75.0),
        ];
        assert_eq!(
            points,
            expected.map(|(x, y)| (x, Some(y))).to_vec(),
            "a quarter of seeds were never decided"
        );
    }
}
