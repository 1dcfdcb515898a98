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
