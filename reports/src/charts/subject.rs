//! A workload or a service as the charts read it: its `metrics.csv` rows by version and by
//! interval, and the sums and peaks of them per point of a chart.

use indexmap::IndexMap;

use crate::metrics_row::{MetricsRow, RowKind};
use crate::run_data::RunData;
use crate::subject_totals::SubjectTotals;

use super::timeline::Timeline;

/// One workload's or one service's totals, and its rows when it is drawn.
#[derive(Debug, Clone)]
pub(crate) struct Subject<'a> {
    pub name: &'a str,
    /// Its figures over the run: what choosing the subjects to draw reads.
    pub totals: &'a SubjectTotals,
    /// The rows of each version (a workload has one, named ""), indexed by interval; empty
    /// for a subject whose rows were not read (see `metrics`).
    pub versions: IndexMap<&'a str, Vec<Option<&'a MetricsRow>>>,
    /// Requests over the run, all versions: what "busiest" means.
    pub requests: u64,
}

/// How the intervals of one bucket are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Merge {
    /// Counts add up.
    Sum,
    /// Gauges and percentiles keep the highest, so a short spike stays visible.
    Peak,
}

/// The workloads and the services of a run, in the order `metrics.csv` first names them, each
/// with its rows among `rows`.
pub(crate) fn subjects<'a>(
    run: &'a RunData,
    rows: &'a [MetricsRow],
    timeline: &Timeline,
    kind: RowKind,
) -> IndexMap<&'a str, Subject<'a>> {
    let mut subjects: IndexMap<&str, Subject> = run
        .metrics
        .subjects(kind)
        .iter()
        .map(|(name, totals)| {
            let subject = Subject {
                name,
                totals,
                versions: IndexMap::new(),
                requests: totals.requests,
            };
            (name.as_str(), subject)
        })
        .collect();
    for row in rows.iter().filter(|row| row.kind == kind) {
        let Some(interval) = timeline.interval_at(row.time_s) else {
            continue;
        };
        let Some(subject) = subjects.get_mut(row.name.as_str()) else {
            continue;
        };
        let rows = subject
            .versions
            .entry(&row.version)
            .or_insert_with(|| vec![None; timeline.interval_count()]);
        rows[interval] = Some(row);
    }
    subjects
}

impl<'a> Subject<'a> {
    /// The versions, busiest first (ties in the order of the file), at most `count`.
    pub(crate) fn busiest_versions(&self, count: usize) -> Vec<&'a str> {
        let mut versions: Vec<(&str, u64)> = self
            .versions
            .iter()
            .map(|(version, rows)| {
                (
                    *version,
                    rows.iter().flatten().map(|row| row.requests).sum(),
                )
            })
            .collect();
        versions.sort_by_key(|(_, requests)| std::cmp::Reverse(*requests));
        versions
            .into_iter()
            .take(count)
            .map(|(version, _)| version)
            .collect()
    }

    /// One figure per bucket: `value` of each interval's rows (of every version, or only of
    /// `version`), merged over the bucket's intervals; `None` where no interval has one.
    pub(crate) fn per_bucket(
        &self,
        timeline: &Timeline,
        version: Option<&str>,
        merge: Merge,
        value: impl Fn(&[&MetricsRow]) -> Option<f64>,
    ) -> Vec<Option<f64>> {
        let mut buckets: Vec<Option<f64>> = vec![None; timeline.bucket_count()];
        let mut rows: Vec<&MetricsRow> = Vec::with_capacity(self.versions.len());
        for interval in 0..timeline.interval_count() {
            rows.clear();
            for (name, version_rows) in &self.versions {
                if version.is_none_or(|wanted| wanted == *name) {
                    rows.extend(version_rows[interval]);
                }
            }
            if rows.is_empty() {
                continue;
            }
            let Some(figure) = value(&rows) else {
                continue;
            };
            let bucket = &mut buckets[timeline.bucket_of(interval)];
            *bucket = Some(match (*bucket, merge) {
                (None, _) => figure,
                (Some(so_far), Merge::Sum) => so_far + figure,
                (Some(so_far), Merge::Peak) => so_far.max(figure),
            });
        }
        buckets
    }

    /// A count per second in each bucket: the sum of `count` over every version's rows.
    pub(crate) fn rate(
        &self,
        timeline: &Timeline,
        version: Option<&str>,
        count: impl Fn(&MetricsRow) -> f64,
    ) -> Vec<Option<f64>> {
        let sums = self.per_bucket(timeline, version, Merge::Sum, |rows| {
            Some(rows.iter().map(|row| count(row)).sum())
        });
        sums.into_iter()
            .enumerate()
            .map(|(bucket, sum)| sum.map(|sum| sum / timeline.bucket_width_s(bucket)))
            .collect()
    }

    /// The highest, over each bucket, of a gauge summed over the versions.
    pub(crate) fn gauge(
        &self,
        timeline: &Timeline,
        value: impl Fn(&MetricsRow) -> Option<f64>,
    ) -> Vec<Option<f64>> {
        self.per_bucket(timeline, None, Merge::Peak, |rows| {
            rows.iter()
                .filter_map(|row| value(row))
                .reduce(|a, b| a + b)
        })
    }

    /// The highest, over each bucket, of a service-wide figure that `metrics.csv` repeats on
    /// each version's row (the mesh's columns): read from the first row only.
    pub(crate) fn service_wide(
        &self,
        timeline: &Timeline,
        merge: Merge,
        value: impl Fn(&MetricsRow) -> Option<f64>,
    ) -> Vec<Option<f64>> {
        self.per_bucket(timeline, None, merge, |rows| value(rows[0]))
    }
}
