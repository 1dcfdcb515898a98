//! A workload's, service's or subscription's figures over a whole run, summed from its rows of
//! `metrics.csv` as they stream past (see `metrics`).

use indexmap::IndexMap;

use crate::metrics_row::MetricsRow;

/// One workload's, service's or subscription's figures over the whole run: what deciding
/// whether, and where, to chart it needs without its rows.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubjectTotals {
    /// Requests over the run, all versions: what "busiest" means.
    pub requests: u64,
    /// Each version's requests over the run, in the order the file first names them (a
    /// workload has one version, named "").
    pub versions: IndexMap<String, u64>,
    /// Whether some row has a breaker state other than `closed`.
    pub breaker_left_closed: bool,
    /// Whether some row counts an ejected instance.
    pub ejected: bool,
    /// Whether some row has the CPU its instances used.
    pub cpu: bool,
    /// Whether some version's instance count moved by one or more.
    pub scaled: bool,
    /// Each version's first instance count, to tell whether it moved.
    first_replicas: IndexMap<String, f64>,
}

impl SubjectTotals {
    /// Adds one row of the subject's.
    pub(crate) fn observe(&mut self, row: &MetricsRow) {
        self.requests += row.requests;
        match self.versions.get_mut(&row.version) {
            Some(requests) => *requests += row.requests,
            None => {
                self.versions.insert(row.version.clone(), row.requests);
            }
        }
        self.breaker_left_closed |= row
            .circuit_state
            .as_deref()
            .is_some_and(|state| state != "closed");
        self.ejected |= row.ejected.is_some_and(|ejected| ejected > 0.0);
        self.cpu |= row.cpu_percent.is_some();
        if let Some(count) = row.replicas {
            match self.first_replicas.get(&row.version) {
                Some(first) => self.scaled |= (count - first).abs() >= 0.5,
                None => {
                    self.first_replicas.insert(row.version.clone(), count);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(time_s: f64, version: &str, requests: u64, codes: (u8, u8, u8, u8)) -> MetricsRow {
        let (circuit, ejected, replicas, cpu) = codes;
        MetricsRow {
            circuit_state: [None, Some("closed"), Some("closed"), Some("open")]
                [usize::from(circuit)]
            .map(str::to_owned),
            ejected: [None, Some(0.0), Some(0.0), Some(1.0)][usize::from(ejected)],
            cpu_percent: [None, None, None, Some(30.0)][usize::from(cpu)],
            replicas: [None, Some(3.0), Some(3.0), Some(3.4), Some(4.0)][usize::from(replicas)],
            ..MetricsRow::of_service(time_s, version, requests)
        }
    }

    proptest::proptest! {
        /// Summed as the rows stream past, the totals are what the charts computed from every
        /// row held, version by version in interval order (the code of 2fbb59f).
        #[test]
        fn streamed_totals_are_those_of_every_row_held(
            intervals in proptest::collection::vec(
                proptest::collection::btree_map(
                    0usize..3,
                    (0u64..40, (0u8..4, 0u8..4, 0u8..5, 0u8..4)),
                    0..3,
                ),
                0..30,
            )
        ) {
            const VERSIONS: [&str; 3] = ["v2", "v1", "canary"];
            let mut rows = Vec::new();
            for (index, interval) in intervals.iter().enumerate() {
                for (&version, &(requests, codes)) in interval {
                    rows.push(row(index as f64, VERSIONS[version], requests, codes));
                }
            }
            let mut totals = SubjectTotals::default();
            for row in &rows {
                totals.observe(row);
            }
            let mut versions: IndexMap<&str, Vec<&MetricsRow>> = IndexMap::new();
            for row in &rows {
                versions.entry(row.version.as_str()).or_default().push(row);
            }
            let scaled = versions.values().any(|rows| {
                let mut counts = rows.iter().filter_map(|row| row.replicas);
                counts
                    .next()
                    .is_some_and(|first| counts.any(|count| (count - first).abs() >= 0.5))
            });
            let breaker = rows.iter().any(|row| {
                row.circuit_state.as_deref().is_some_and(|state| state != "closed")
            });
            let ejected = rows.iter().any(|row| row.ejected.is_some_and(|count| count > 0.0));
            let by_version: Vec<(&str, u64)> = versions
                .iter()
                .map(|(version, rows)| (*version, rows.iter().map(|row| row.requests).sum()))
                .collect();
            proptest::prop_assert_eq!(totals.requests, rows.iter().map(|row| row.requests).sum::<u64>());
            proptest::prop_assert_eq!(
                totals.versions.iter().map(|(v, r)| (v.as_str(), *r)).collect::<Vec<_>>(),
                by_version
            );
            proptest::prop_assert_eq!(totals.scaled, scaled);
            proptest::prop_assert_eq!(totals.breaker_left_closed, breaker);
            proptest::prop_assert_eq!(totals.ejected, ejected);
            proptest::prop_assert_eq!(totals.cpu, rows.iter().any(|row| row.cpu_percent.is_some()));
        }
    }
}
