//! An axis of a chart: its description with the unit, its range and its ticks with their labels.
//!
//! The ticks are computed here, not by plotters: plotters finds its own with `powf` and `log10`
//! from the platform's libm, whose last bits may differ between machines and move a tick. Here the
//! steps come from multiplying by ten, the logarithms from the pure-Rust `libm`, so the same data
//! gives the same ticks everywhere. An `Axis` is itself plotters' coordinate for its direction,
//! mapping values to pixels as plotters' own `f64` coordinate does.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// One axis: what it shows, its range, and the ticks to label.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    /// The description with the unit, like `latency (ms)`.
    pub label: String,
    pub min: f64,
    pub max: f64,
    /// Positions on the axis and their labels, in order.
    pub ticks: Vec<(f64, String)>,
}

/// About this many ticks on a value axis; fewer on short panels would crowd nothing.
const VALUE_TICKS: usize = 5;
/// About this many ticks on the time axis, which is longer.
const TIME_TICKS: usize = 8;

impl Axis {
    /// Time from the start of the run to `end_s`.
    pub(crate) fn time(end_s: f64) -> Axis {
        let end_s = if end_s > 0.0 { end_s } else { 1.0 };
        let step = nice_step(end_s, TIME_TICKS);
        let ticks = multiples(0.0, end_s, step);
        Axis {
            label: "time (s)".into(),
            min: 0.0,
            max: end_s,
            ticks,
        }
    }

    /// From a round number at or below `lowest` to one at or above `highest`, with steps of
    /// `step_min` at least.
    pub(crate) fn span(label: &str, lowest: f64, highest: f64, step_min: f64) -> Axis {
        let highest = if highest > lowest {
            highest
        } else {
            lowest + step_min.max(1.0)
        };
        let step = nice_step(highest - lowest, TIME_TICKS).max(step_min);
        let min = (lowest / step).floor() * step;
        let max = (highest / step).ceil() * step;
        Axis {
            label: label.into(),
            min,
            max,
            ticks: multiples(min, max, step),
        }
    }

    /// From zero to a round number a little above `highest`, which may be zero.
    pub(crate) fn from_zero(label: &str, highest: f64) -> Axis {
        Axis::from_zero_by(label, highest, 0.0)
    }

    /// From zero, for counts of whole things: steps of 1 at least.
    pub(crate) fn count(label: &str, highest: f64) -> Axis {
        Axis::from_zero_by(label, highest, 1.0)
    }

    fn from_zero_by(label: &str, highest: f64, step_min: f64) -> Axis {
        let top = if highest > 0.0 { highest * 1.05 } else { 1.0 };
        let step = nice_step(top, VALUE_TICKS).max(step_min);
        let top = (top / step).ceil() * step;
        Axis {
            label: label.into(),
            min: 0.0,
            max: top,
            ticks: multiples(0.0, top, step),
        }
    }

    /// A percentage from zero to a round number above `highest`, at most 100.
    pub(crate) fn percent_up_to(label: &str, highest: f64) -> Axis {
        if highest * 1.05 >= 80.0 {
            return Axis::percent(label);
        }
        Axis::from_zero(label, highest)
    }

    /// A percentage from 0 to 100, with room above so a line at 100 % stays off the frame.
    pub(crate) fn percent(label: &str) -> Axis {
        Axis {
            label: label.into(),
            min: 0.0,
            max: 104.0,
            ticks: multiples(0.0, 100.0, 20.0),
        }
    }

    /// Named levels at 0, 1, 2 ..., with a little room above and below.
    pub(crate) fn levels(label: &str, names: &[&str]) -> Axis {
        Axis {
            label: label.into(),
            min: -0.25,
            max: names.len() as f64 - 0.75,
            ticks: names
                .iter()
                .enumerate()
                .map(|(index, name)| (index as f64, (*name).to_owned()))
                .collect(),
        }
    }

    /// Milliseconds on a logarithmic scale: positions are `log10(ms)`, whole decades around
    /// the positions `lowest` to `highest`, labelled in milliseconds.
    pub(crate) fn log_ms(label: &str, lowest: f64, highest: f64) -> Axis {
        let first = libm::floor(lowest) as i32;
        let last = (libm::ceil(highest) as i32).max(first + 1);
        // Over a few decades 2 and 5 are labelled too; over many they would crowd.
        let multipliers: &[u32] = if last - first <= 2 { &[1, 2, 5] } else { &[1] };
        let mut ticks = Vec::new();
        for decade in first..=last {
            for &multiplier in multipliers {
                if decade == last && multiplier > 1 {
                    break;
                }
                let position = f64::from(decade) + libm::log10(f64::from(multiplier));
                ticks.push((position, decimal_label(multiplier, decade)));
            }
        }
        Axis {
            label: label.into(),
            min: f64::from(first),
            max: f64::from(last),
            ticks,
        }
    }

    /// The label of the tick at `position`.
    pub(crate) fn label_at(&self, position: f64) -> String {
        self.ticks
            .iter()
            // plotters hands back the very positions `key_points` gave it.
            .find(|(at, _)| at.to_bits() == position.to_bits())
            .map(|(_, label)| label.clone())
            .unwrap_or_default()
    }
}

impl Ranged for Axis {
    /// Labels come from `label_at`, given to the mesh as its formatter.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = (value - self.min) / (self.max - self.min);
        let length = f64::from(limit.1 - limit.0);
        // plotters' own rounding for f64 coordinates, so lines land on the same pixels.
        if length > 0.0 {
            limit.0 + (length * share + 1e-3).floor() as i32
        } else {
            limit.0 + (length * share - 1e-3).ceil() as i32
        }
    }

    /// The ticks as bold grid lines, and no light ones.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        self.ticks.iter().map(|(position, _)| *position).collect()
    }

    fn range(&self) -> Range<f64> {
        self.min..self.max
    }
}

/// A step of 1, 2 or 5 times a power of ten that cuts `span` into about `count` parts.
fn nice_step(span: f64, count: usize) -> f64 {
    assert!(span > 0.0 && span.is_finite(), "an axis spans {span}");
    let raw = span / count as f64;
    let mut power = 1.0;
    // Both loops are bounded by the exponent range of an f64.
    while power * 10.0 <= raw {
        power *= 10.0;
    }
    while power > raw {
        power /= 10.0;
    }
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|multiplier| multiplier * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

/// The multiples of `step` from `low` to `high`, labelled with as many decimals as `step` needs.
fn multiples(low: f64, high: f64, step: f64) -> Vec<(f64, String)> {
    let decimals = decimals(step);
    let first = (low / step).ceil() as i64;
    let last = (high / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|index| {
            let position = index as f64 * step;
            (position, format!("{position:.decimals$}"))
        })
        .collect()
}

/// How many decimals a multiple of `step` needs, at most 9.
fn decimals(step: f64) -> usize {
    let mut scaled = step;
    let mut decimals = 0;
    while decimals < 9 && (scaled - scaled.round()).abs() > 1e-9 * scaled.max(1.0) {
        scaled *= 10.0;
        decimals += 1;
    }
    decimals
}

/// `multiplier × 10^decade` written out, like `0.05`, `2` or `1000`.
fn decimal_label(multiplier: u32, decade: i32) -> String {
    if decade >= 0 {
        format!("{multiplier}{}", "0".repeat(decade as usize))
    } else {
        let zeros = "0".repeat((-decade - 1) as usize);
        format!("0.{zeros}{multiplier}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        let steps = [
            nice_step(100.0, 5),
            nice_step(180.0, 8),
            nice_step(0.9, 5),
            nice_step(3000.0, 5),
        ];
        assert_eq!(
            steps.map(|step| format!("{step}")),
            ["20", "50", "0.2", "1000"]
        );
    }

    #[test]
    fn labels_have_the_decimals_the_step_needs() {
        let axis = Axis::from_zero("x", 0.7);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8"]);
        let axis = Axis::from_zero("x", 3103.0);
        assert_eq!(
            axis.ticks.last().map(|(_, label)| label.as_str()),
            Some("4000")
        );
        assert!(axis.max >= 3103.0);
    }

    #[test]
    fn counts_have_whole_ticks() {
        let axis = Axis::count("x", 2.0);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(labels, ["0", "1", "2", "3"]);
    }

    #[test]
    fn the_time_axis_ends_at_the_run_end() {
        let axis = Axis::time(120.0);
        assert_eq!(axis.max.to_bits(), 120.0_f64.to_bits());
        assert_eq!(axis.label_at(100.0), "100");
    }

    #[test]
    fn a_span_axis_starts_and_ends_on_ticks() {
        let axis = Axis::span("seed", 3.0, 1002.0, 1.0);
        assert_eq!((axis.min, axis.max), (0.0, 1200.0));
        let axis = Axis::span("seed", 3.0, 9.0, 1.0);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(labels, ["3", "4", "5", "6", "7", "8", "9"]);
        let axis = Axis::span("seed", 7.0, 7.0, 1.0);
        assert!(axis.max > axis.min);
    }

    #[test]
    fn a_log_axis_labels_decades_in_milliseconds() {
        let axis = Axis::log_ms("latency (ms)", libm::log10(0.125), libm::log10(0.418));
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(labels, ["0.1", "0.2", "0.5", "1"]);
        let axis = Axis::log_ms("latency (ms)", libm::log10(7.0), libm::log10(3103.0));
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, label)| label.as_str()).collect();
        assert_eq!(labels, ["1", "10", "100", "1000", "10000"]);
    }
}
