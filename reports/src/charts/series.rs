//! One series of a chart: a line, or a band of a stacked area, with its legend label.

use super::palette::Side;
use super::timeline::Timeline;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A line in the palette's style for its role.
    Line,
    /// A band of a stacked area, filled with the outcome fill of its role.
    Band,
}

/// A series: points in the chart's coordinates, `None` where there is nothing to draw (the
/// line breaks there).
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub label: String,
    /// What the series is within its chart, which picks its style: the same role in two runs
    /// compared gets the same hue and marker.
    pub role: usize,
    pub side: Side,
    pub mark: Mark,
    pub points: Vec<(f64, Option<f64>)>,
}

impl Series {
    /// A line through the middle of each bucket.
    pub(crate) fn line(
        label: impl Into<String>,
        role: usize,
        timeline: &Timeline,
        values: &[Option<f64>],
    ) -> Series {
        let points = values
            .iter()
            .enumerate()
            .map(|(bucket, value)| (timeline.bucket_middle_s(bucket), *value))
            .collect();
        Series::new(label, role, Mark::Line, points)
    }

    /// A line through the end of each bucket, for gauges read at the end of each interval.
    pub(crate) fn sampled(
        label: impl Into<String>,
        role: usize,
        timeline: &Timeline,
        values: &[Option<f64>],
    ) -> Series {
        let points = values
            .iter()
            .enumerate()
            .map(|(bucket, value)| (timeline.bucket_span_s(bucket).1, *value))
            .collect();
        Series::new(label, role, Mark::Line, points)
    }

    /// A step line: each bucket's value from its start to its end, for states and settings
    /// that hold over the interval rather than describe its middle. A run of equal values is
    /// one step, so a setting that never changes is two points however long the run.
    pub(crate) fn steps(
        label: impl Into<String>,
        role: usize,
        timeline: &Timeline,
        values: &[Option<f64>],
    ) -> Series {
        let mut points: Vec<(f64, Option<f64>)> = Vec::new();
        let mut previous: Option<Option<f64>> = None;
        for (bucket, value) in values.iter().enumerate() {
            let (start_s, end_s) = timeline.bucket_span_s(bucket);
            match points.last_mut() {
                // The same value goes on: the step's end moves.
                Some(last) if previous == Some(*value) => last.0 = end_s,
                _ => {
                    points.push((start_s, *value));
                    points.push((end_s, *value));
                }
            }
            previous = Some(*value);
        }
        Series::new(label, role, Mark::Line, points)
    }

    /// A band of a stacked area through the middle of each bucket.
    pub(crate) fn band(
        label: impl Into<String>,
        role: usize,
        timeline: &Timeline,
        values: &[Option<f64>],
    ) -> Series {
        let mut series = Series::line(label, role, timeline, values);
        series.mark = Mark::Band;
        series
    }

    pub(crate) fn new(
        label: impl Into<String>,
        role: usize,
        mark: Mark,
        points: Vec<(f64, Option<f64>)>,
    ) -> Series {
        Series {
            label: label.into(),
            role,
            side: Side::Only,
            mark,
            points,
        }
    }

    /// Whether the series has nothing to draw.
    pub(crate) fn is_empty(&self) -> bool {
        self.points.iter().all(|(_, value)| value.is_none())
    }

    /// Whether every value is zero or missing.
    pub(crate) fn is_zero(&self) -> bool {
        self.points
            .iter()
            .all(|(_, value)| value.is_none_or(|value| value == 0.0))
    }

    pub(crate) fn highest(&self) -> f64 {
        self.points
            .iter()
            .filter_map(|(_, value)| *value)
            .fold(0.0, f64::max)
    }
}
