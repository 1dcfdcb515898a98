//! One panel of a chart: a plot with its own value axis, sharing the chart's time axis.

use super::axis::Axis;
use super::series::{Mark, Series};

/// How a panel's value axis is chosen from its data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scale {
    /// From zero to a round number above the highest value.
    FromZero,
    /// Like `FromZero`, for whole things (requests, instances): no tick between two integers.
    Count,
    /// A percentage: from zero up to 100 at most.
    PercentUpTo,
    /// A percentage from 0 to 100.
    Percent,
    /// Named levels at 0, 1, 2 ...
    Levels(&'static [&'static str]),
}

/// A plot: its value axis's description and scale, its series and, for two runs shown one
/// above the other, whose it is.
#[derive(Debug, Clone)]
pub(crate) struct Panel {
    /// The value axis's description with its unit.
    pub label: String,
    pub scale: Scale,
    pub series: Vec<Series>,
    /// A heading above the panel's legend.
    pub caption: Option<String>,
    /// The axis reaches at least this high: two runs' stacked panels, drawn one above the
    /// other, share their scale this way.
    pub highest_at_least: f64,
}

impl Panel {
    pub(crate) fn new(label: impl Into<String>, scale: Scale) -> Panel {
        Panel {
            label: label.into(),
            scale,
            series: Vec::new(),
            caption: None,
            highest_at_least: 0.0,
        }
    }

    pub(crate) fn with(mut self, series: Series) -> Panel {
        self.series.push(series);
        self
    }

    /// Adds a series unless it has nothing to draw.
    pub(crate) fn with_unless_empty(self, series: Series) -> Panel {
        if series.is_empty() {
            self
        } else {
            self.with(series)
        }
    }

    /// Adds a series unless every value of it is zero or missing.
    pub(crate) fn with_unless_zero(self, series: Series) -> Panel {
        if series.is_zero() {
            self
        } else {
            self.with(series)
        }
    }

    /// Whether the panel's series are bands stacked on one another.
    pub(crate) fn stacked(&self) -> bool {
        self.series.iter().any(|series| series.mark == Mark::Band)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.series.iter().all(Series::is_empty)
    }

    /// The highest value drawn: of any series, or of the stack's top.
    pub(crate) fn highest(&self) -> f64 {
        if self.stacked() {
            self.stack_tops().last().map_or(0.0, |tops| {
                tops.iter().filter_map(|(_, top)| *top).fold(0.0, f64::max)
            })
        } else {
            self.series.iter().map(Series::highest).fold(0.0, f64::max)
        }
    }

    /// The value axis that fits every series (stacked ones added up).
    pub(crate) fn axis(&self) -> Axis {
        let highest = self.highest().max(self.highest_at_least);
        match self.scale {
            Scale::FromZero => Axis::from_zero(&self.label, highest),
            Scale::Count => Axis::count(&self.label, highest),
            Scale::PercentUpTo => Axis::percent_up_to(&self.label, highest),
            Scale::Percent => Axis::percent(&self.label),
            Scale::Levels(names) => Axis::levels(&self.label, names),
        }
    }

    /// The top of each band of a stacked panel: each series added to those below it.
    pub(crate) fn stack_tops(&self) -> Vec<Vec<(f64, Option<f64>)>> {
        let mut tops: Vec<Vec<(f64, Option<f64>)>> = Vec::with_capacity(self.series.len());
        for series in &self.series {
            assert!(
                tops.last()
                    .is_none_or(|below| below.len() == series.points.len()),
                "stacked series of different lengths in panel {}",
                self.label
            );
            let top = series
                .points
                .iter()
                .enumerate()
                .map(|(index, (x, value))| {
                    let below = tops.last().and_then(|previous| previous[index].1);
                    let top = match (below, value) {
                        (Some(below), Some(value)) => Some(below + value),
                        (below, value) => below.or(*value),
                    };
                    (*x, top)
                })
                .collect();
            tops.push(top);
        }
        tops
    }
}
