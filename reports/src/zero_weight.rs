//! A service's versions answering while their route weight was 0: folded from `metrics.csv`
//! one row at a time, so the file need not be held (see `metrics`), and told by the story's
//! route notes.

use indexmap::IndexMap;

use crate::metrics_row::MetricsRow;

/// A stretch of intervals in which a version's route weight was 0 and it answered requests
/// all the same.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stretch {
    pub version: String,
    pub start_s: f64,
    pub end_s: f64,
    pub share: f64,
}

/// One service's rows of `metrics.csv`, folded one at a time into its versions' stretches at
/// weight 0, so the file need not be held: `metrics.csv` writes an interval's rows together.
#[derive(Debug, Default)]
pub(crate) struct ZeroWeightFold {
    /// The start of the interval being read, and everyone's requests in it.
    interval: Option<(f64, u64)>,
    /// Each version, in the order first seen.
    versions: IndexMap<String, VersionFold>,
}

#[derive(Debug, Default)]
struct VersionFold {
    /// In the interval being read: whether its weight was 0, and its requests.
    zero: bool,
    requests: u64,
    /// (first start, last start, the version's requests, everyone's) of the current stretch.
    current: Option<(f64, f64, u64, u64)>,
    closed: Vec<(f64, f64, u64, u64)>,
}

impl ZeroWeightFold {
    pub(crate) fn observe(&mut self, row: &MetricsRow) {
        if self
            .interval
            .is_some_and(|(time_s, _)| time_s.to_bits() != row.time_s.to_bits())
        {
            self.close_interval();
        }
        let interval = self.interval.get_or_insert((row.time_s, 0));
        interval.1 += row.requests;
        if !self.versions.contains_key(&row.version) {
            self.versions
                .insert(row.version.clone(), VersionFold::default());
        }
        if let Some(version) = self.versions.get_mut(&row.version) {
            version.zero |= row.route_weight == Some(0.0);
            version.requests += row.requests;
        }
    }

    /// The stretches, versions in name order, each in time order; a stretch ends one interval
    /// after its last start.
    pub(crate) fn finish(mut self, interval_s: f64) -> Vec<Stretch> {
        /// Below this share, a stretch is chance or a request in flight across a change of weight.
        const TRACE_SHARE: f64 = 0.005;
        self.close_interval();
        let mut versions: Vec<(String, VersionFold)> = self.versions.into_iter().collect();
        versions.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut found = Vec::new();
        for (name, mut version) in versions {
            version.closed.extend(version.current.take());
            for (start_s, last_start_s, mine, all) in version.closed {
                let stretch = (start_s, last_start_s + interval_s, mine, all);
                found.extend(stretch_of(&name, stretch, TRACE_SHARE));
            }
        }
        found
    }

    fn close_interval(&mut self) {
        let Some((time_s, all)) = self.interval.take() else {
            return;
        };
        for version in self.versions.values_mut() {
            if std::mem::take(&mut version.zero) {
                let stretch = version.current.get_or_insert((time_s, time_s, 0, 0));
                stretch.1 = time_s;
                stretch.2 += version.requests;
                stretch.3 += all;
            } else if let Some(stretch) = version.current.take() {
                version.closed.push(stretch);
            }
            version.requests = 0;
        }
    }
}

fn stretch_of(
    version: &str,
    (start_s, end_s, mine, all): (f64, f64, u64, u64),
    trace_share: f64,
) -> Option<Stretch> {
    let share = mine as f64 / all.max(1) as f64;
    (share > trace_share).then(|| Stretch {
        version: version.to_owned(),
        start_s,
        end_s,
        share,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics_row::MetricsRow;

    /// Rows of `orders` (v1 and v2) and of another service in between, one interval a second.
    const METRICS: &str = "time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms,route_weight\n\
        0,service,orders,v1,90,90,0,0,0,,,100\n\
        0,service,orders,v2,10,10,0,0,0,,,0\n\
        0,service,cart,v1,5,5,0,0,0,,,100\n\
        1,service,orders,v1,80,80,0,0,0,,,100\n\
        1,service,orders,v2,20,20,0,0,0,,,0\n\
        1,service,cart,v1,5,5,0,0,0,,,100\n\
        2,service,orders,v1,50,50,0,0,0,,,50\n\
        2,service,orders,v2,50,50,0,0,0,,,50\n\
        3,service,orders,v1,100,100,0,0,0,,,100\n\
        3,service,orders,v2,0,0,0,0,0,,,0\n\
        4,service,orders,v1,999,999,0,0,0,,,0\n\
        4,service,orders,v2,1,1,0,0,0,,,100\n";

    #[test]
    fn a_stretch_at_weight_zero_counts_the_versions_share_until_its_weight_moves() {
        let mut fold = ZeroWeightFold::default();
        let mut reader = csv::Reader::from_reader(METRICS.as_bytes());
        for row in reader.deserialize::<MetricsRow>() {
            let row = row.expect("parses");
            if row.name == "orders" {
                fold.observe(&row);
            }
        }
        let stretches = fold.finish(1.0);
        // v1 at weight 0 in the last interval answered 99.9 %; v2 at weight 0 answered 30 of
        // 200 in the first two intervals, then nothing of 100 in the fourth (a trace: left out).
        assert_eq!(
            stretches,
            [
                Stretch {
                    version: "v1".to_owned(),
                    start_s: 4.0,
                    end_s: 5.0,
                    share: 0.999,
                },
                Stretch {
                    version: "v2".to_owned(),
                    start_s: 0.0,
                    end_s: 2.0,
                    share: 0.15,
                },
            ]
        );
    }

    /// A service's row for one version in one interval.
    fn row(time_s: f64, version: &str, requests: u64, route_weight: Option<f64>) -> MetricsRow {
        MetricsRow {
            route_weight,
            ..MetricsRow::of_service(time_s, version, requests)
        }
    }

    /// The stretches as they were found before the file was streamed: every row of the service
    /// held, a pass over the intervals for each version (the code of 2fbb59f).
    fn found_from_all_rows(rows: &[MetricsRow], interval_s: f64) -> Vec<Stretch> {
        const TRACE_SHARE: f64 = 0.005;
        let mut versions: Vec<&str> = rows.iter().map(|row| row.version.as_str()).collect();
        versions.sort_unstable();
        versions.dedup();
        let intervals: Vec<&[MetricsRow]> = rows
            .chunk_by(|a, b| a.time_s.to_bits() == b.time_s.to_bits())
            .collect();
        let mut found = Vec::new();
        for version in versions {
            let mut current: Option<(f64, f64, u64, u64)> = None;
            for at in &intervals {
                let time_s = at[0].time_s;
                let zero = at
                    .iter()
                    .any(|row| row.version == version && row.route_weight == Some(0.0));
                if zero {
                    let all: u64 = at.iter().map(|row| row.requests).sum();
                    let mine: u64 = at
                        .iter()
                        .filter(|row| row.version == version)
                        .map(|row| row.requests)
                        .sum();
                    let stretch = current.get_or_insert((time_s, time_s, 0, 0));
                    stretch.1 = time_s + interval_s;
                    stretch.2 += mine;
                    stretch.3 += all;
                } else if let Some(stretch) = current.take() {
                    found.extend(stretch_of(version, stretch, TRACE_SHARE));
                }
            }
            if let Some(stretch) = current.take() {
                found.extend(stretch_of(version, stretch, TRACE_SHARE));
            }
        }
        found
    }

    proptest::proptest! {
        /// Folded a row at a time, the stretches are exactly those found with every row held:
        /// versions that come and go, intervals without rows, weights that move.
        #[test]
        fn the_fold_finds_what_holding_every_row_found(
            intervals in proptest::collection::vec(
                proptest::collection::vec((0usize..3, 0u64..40, 0u8..4), 0..4),
                0..40,
            )
        ) {
            const VERSIONS: [&str; 3] = ["v2", "v1", "canary"];
            let interval_s = 0.5;
            let mut rows = Vec::new();
            for (index, interval) in intervals.iter().enumerate() {
                for &(version, requests, weight) in interval {
                    let route_weight = [Some(0.0), Some(0.0), Some(50.0), None][usize::from(weight)];
                    rows.push(row(index as f64 * interval_s, VERSIONS[version], requests, route_weight));
                }
            }
            let mut fold = ZeroWeightFold::default();
            for row in &rows {
                fold.observe(row);
            }
            proptest::prop_assert_eq!(fold.finish(interval_s), found_from_all_rows(&rows, interval_s));
        }
    }
}
