//! The run's metrics intervals as the charts draw them: merged, when a run has many, into at
//! most [`POINTS_MAX`] buckets of whole intervals, so no line has more points than a chart has
//! pixels to show them.

use crate::run_data::RunData;

/// Points per line at most. A plot is about 680 pixels wide: more points would draw nothing
/// more, only make the SVG larger.
pub(crate) const POINTS_MAX: usize = 600;

/// The intervals of `metrics.csv` and the buckets they are merged into.
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    /// Each interval's start, in time order.
    starts_s: Vec<f64>,
    interval_s: f64,
    end_s: f64,
    /// Whole intervals per bucket, at least 1.
    per_bucket: usize,
}

impl Timeline {
    pub(crate) fn new(run: &RunData) -> Timeline {
        let starts_s = run.metrics.starts_s().to_vec();
        let interval_s = run.interval_s();
        let interval_s = if interval_s > 0.0 { interval_s } else { 1.0 };
        let last_end_s = starts_s.last().map_or(0.0, |start| start + interval_s);
        // The last interval may be cut short by the end of the run; a summary that does not
        // reach the last row's start is not trusted for the end.
        let end_s = match run.summary.sim_seconds {
            seconds if seconds > starts_s.last().copied().unwrap_or(0.0) => seconds,
            _ => last_end_s,
        };
        let per_bucket = starts_s.len().div_ceil(POINTS_MAX).max(1);
        Timeline {
            starts_s,
            interval_s,
            end_s,
            per_bucket,
        }
    }

    pub(crate) fn interval_count(&self) -> usize {
        self.starts_s.len()
    }

    /// The interval that starts at `time_s`.
    pub(crate) fn interval_at(&self, time_s: f64) -> Option<usize> {
        self.starts_s
            .binary_search_by(|start| start.total_cmp(&time_s))
            .ok()
    }

    pub(crate) fn bucket_count(&self) -> usize {
        self.starts_s.len().div_ceil(self.per_bucket)
    }

    pub(crate) fn bucket_of(&self, interval: usize) -> usize {
        interval / self.per_bucket
    }

    /// The start and end of a bucket, in seconds; the last ends with the run.
    pub(crate) fn bucket_span_s(&self, bucket: usize) -> (f64, f64) {
        let first = bucket * self.per_bucket;
        let next = first + self.per_bucket;
        let start_s = self.starts_s[first];
        let end_s = match self.starts_s.get(next) {
            Some(next_start_s) => *next_start_s,
            None => self.end_s.max(start_s),
        };
        (start_s, end_s)
    }

    /// The width a rate is divided by: the bucket's span, or one interval for a bucket of no
    /// width (a last row written at the very end of the run).
    pub(crate) fn bucket_width_s(&self, bucket: usize) -> f64 {
        let (start_s, end_s) = self.bucket_span_s(bucket);
        if end_s > start_s {
            end_s - start_s
        } else {
            self.interval_s
        }
    }

    pub(crate) fn bucket_middle_s(&self, bucket: usize) -> f64 {
        let (start_s, end_s) = self.bucket_span_s(bucket);
        f64::midpoint(start_s, end_s)
    }

    /// What one point stands for, in seconds.
    pub(crate) fn bucket_s(&self) -> f64 {
        self.interval_s * self.per_bucket as f64
    }

    /// Whether a point merges several intervals.
    pub(crate) fn merged(&self) -> bool {
        self.per_bucket > 1
    }

    pub(crate) fn end_s(&self) -> f64 {
        self.end_s
    }
}
