//! `metrics.csv` read as a stream: a row of every workload, service version and subscription for
//! every interval, which at a thousand services is half a megabyte a simulated second. The
//! reports never hold it whole. One pass, when the run is loaded, keeps what every reader needs
//! (the intervals, each subject's totals and what decides whether it is charted, the route
//! story's zero-weight stretches); the charts then read again the rows of the few subjects they
//! draw (at most [`crate::BUSIEST_MAX`] a family). So a report's memory grows with the subjects
//! it draws, not with every service the run had.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::PathBuf;

use indexmap::IndexMap;

use crate::metrics_row::{MetricsRow, RowKind};
use crate::run_data_error::RunDataError;
use crate::subject_totals::SubjectTotals;
use crate::zero_weight::{Stretch, ZeroWeightFold};

/// What the reports keep of a run's `metrics.csv`, and where to read its rows again.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metrics {
    origin: Origin,
    /// Each interval's start, in time order, once.
    starts_s: Vec<f64>,
    /// The first row's start and the first later start in the file: an interval's width.
    first_two_starts_s: (Option<f64>, Option<f64>),
    /// Workloads, services and subscriptions, each kind in the order the file first names them.
    subjects: [IndexMap<String, SubjectTotals>; 3],
    /// The services' stretches of a version answering at route weight 0, by service.
    zero_weight: IndexMap<String, Vec<Stretch>>,
}

/// Where the rows are read again from.
#[derive(Debug, Clone, Default)]
enum Origin {
    /// A run without metrics (an embedded run): no rows.
    #[default]
    Nothing,
    File(PathBuf),
    /// Text handed to `RunData::parse`, kept as it was given.
    Text(String),
}

impl Metrics {
    /// Reads the file once, keeping the totals; an error names the line. `run_s`, the run's
    /// length, is an interval's width when the file has a single interval.
    pub(crate) fn from_file(path: PathBuf, run_s: f64) -> Result<Metrics, RunDataError> {
        Metrics::first_pass(Origin::File(path), run_s)
    }

    /// The same as [`Metrics::from_file`], for a text in memory.
    pub(crate) fn from_text(text: &str, run_s: f64) -> Result<Metrics, String> {
        Metrics::first_pass(Origin::Text(text.to_owned()), run_s).map_err(|error| error.message)
    }

    fn first_pass(origin: Origin, run_s: f64) -> Result<Metrics, RunDataError> {
        let mut metrics = Metrics::default();
        let mut folds: IndexMap<String, ZeroWeightFold> = IndexMap::new();
        origin.each_row(|row| {
            metrics.observe_time(row.time_s);
            if row.kind == RowKind::Service {
                if !folds.contains_key(&row.name) {
                    folds.insert(row.name.clone(), ZeroWeightFold::default());
                }
                if let Some(fold) = folds.get_mut(&row.name) {
                    fold.observe(&row);
                }
            }
            metrics.observe_subject(&row);
        })?;
        metrics.starts_s.sort_by(f64::total_cmp);
        metrics.starts_s.dedup();
        let interval_s = metrics.interval_s().unwrap_or(run_s);
        metrics.zero_weight = folds
            .into_iter()
            .map(|(service, fold)| (service, fold.finish(interval_s)))
            .filter(|(_, stretches)| !stretches.is_empty())
            .collect();
        metrics.origin = origin;
        Ok(metrics)
    }

    /// The rows of the subjects `keep` names, in the file's order.
    pub(crate) fn rows(
        &self,
        keep: impl Fn(RowKind, &str) -> bool,
    ) -> Result<Vec<MetricsRow>, RunDataError> {
        let mut rows = Vec::new();
        self.origin.each_row(|row| {
            if keep(row.kind, &row.name) {
                rows.push(row);
            }
        })?;
        Ok(rows)
    }

    /// Each interval's start, in time order.
    pub(crate) fn starts_s(&self) -> &[f64] {
        &self.starts_s
    }

    /// The width of an interval, in seconds; `None` with fewer than two intervals.
    pub(crate) fn interval_s(&self) -> Option<f64> {
        match self.first_two_starts_s {
            (Some(first), Some(second)) => Some(second - first),
            _ => None,
        }
    }

    /// The subjects of one kind, in the order the file first names them.
    pub(crate) fn subjects(&self, kind: RowKind) -> &IndexMap<String, SubjectTotals> {
        &self.subjects[kind_index(kind)]
    }

    /// A service's stretches of a version answering while its route weight was 0, versions in
    /// name order, each in time order.
    pub(crate) fn zero_weight(&self, service: &str) -> &[Stretch] {
        self.zero_weight.get(service).map_or(&[], Vec::as_slice)
    }

    fn observe_time(&mut self, time_s: f64) {
        match self.first_two_starts_s {
            (None, _) => self.first_two_starts_s.0 = Some(time_s),
            (Some(first), None) if time_s > first => self.first_two_starts_s.1 = Some(time_s),
            _ => {}
        }
        // Rows come an interval at a time: a start is kept when it differs from the last kept,
        // and the starts are sorted once at the end.
        if self.starts_s.last() != Some(&time_s) {
            self.starts_s.push(time_s);
        }
    }

    fn observe_subject(&mut self, row: &MetricsRow) {
        let subjects = &mut self.subjects[kind_index(row.kind)];
        // Looked up by `&str` first: `entry` would take an owned name for every row.
        if !subjects.contains_key(&row.name) {
            subjects.insert(row.name.clone(), SubjectTotals::default());
        }
        if let Some(totals) = subjects.get_mut(&row.name) {
            totals.observe(row);
        }
    }
}

impl Origin {
    /// Hands `visit` every row, in the file's order; an error names the line.
    fn each_row(&self, visit: impl FnMut(MetricsRow)) -> Result<(), RunDataError> {
        let path = || PathBuf::from("metrics.csv");
        match self {
            Origin::Nothing => Ok(()),
            Origin::Text(text) => {
                each_row_of(text.as_bytes(), visit).map_err(|message| RunDataError {
                    path: path(),
                    message,
                })
            }
            Origin::File(file_path) => {
                let file = File::open(file_path).map_err(|error| RunDataError {
                    path: file_path.clone(),
                    message: format!(
                        "cannot read it ({error}); is this the output folder of `meshsim run`?"
                    ),
                })?;
                each_row_of(BufReader::new(file), visit).map_err(|message| RunDataError {
                    path: file_path.clone(),
                    message,
                })
            }
        }
    }
}

/// Every row of a `metrics.csv`, read by the column names, one at a time.
fn each_row_of(reader: impl Read, mut visit: impl FnMut(MetricsRow)) -> Result<(), String> {
    let mut reader = csv::Reader::from_reader(reader);
    for (line, row) in reader.deserialize().enumerate() {
        visit(row.map_err(|error| format!("line {}: {error}", line + 2))?);
    }
    Ok(())
}

fn kind_index(kind: RowKind) -> usize {
    match kind {
        RowKind::Workload => 0,
        RowKind::Service => 1,
        RowKind::Subscription => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_rows_read_by_column_name_with_empty_and_missing_cells_as_none() {
        // An older build's file: no `timed_out` figure, no mesh columns, columns in another order.
        let text = "kind,time_s,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms,circuit_state\n\
                    service,1.5,order,v2,10,8,2,,0,3.25,,open\n\
                    workload,2,shoppers,,4,4,0,1,0,,,\n";
        let metrics = Metrics::from_text(text, 10.0).expect("parses");
        let rows = metrics.rows(|_, _| true).expect("reads again");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].kind, RowKind::Service);
        assert_eq!(
            (rows[0].time_s, rows[0].requests, rows[0].failed),
            (1.5, 10, 2)
        );
        assert_eq!(rows[0].timed_out, 0);
        assert_eq!((rows[0].p50_ms, rows[0].p99_ms), (Some(3.25), None));
        assert_eq!(rows[0].circuit_state.as_deref(), Some("open"));
        assert_eq!((rows[0].retries, rows[0].lag_ms), (None, None));
        assert_eq!((rows[1].kind, rows[1].timed_out), (RowKind::Workload, 1));
        assert_eq!(rows[1].circuit_state, None);
        assert_eq!(
            (metrics.starts_s(), metrics.interval_s()),
            (&[1.5, 2.0][..], Some(0.5))
        );
    }

    #[test]
    fn a_bad_metrics_cell_names_its_line() {
        let text = "time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms\n\
                    0,service,order,v1,ten,0,0,0,0,,\n";
        let error = Metrics::from_text(text, 10.0).expect_err("`ten` is not a count");
        assert!(error.starts_with("line 2: "), "{error}");
        let text = "time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms\n\
                    0,store,order,v1,1,0,0,0,0,,\n";
        assert!(
            Metrics::from_text(text, 10.0).is_err(),
            "an unknown row kind is refused"
        );
    }

    #[test]
    fn totals_say_who_is_busiest_and_what_moved_without_the_rows() {
        let text = "time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms,circuit_state,ejected,replicas,cpu_percent\n\
                    0,service,order,v1,10,10,0,0,0,,,closed,0,3,\n\
                    0,service,order,v2,5,5,0,0,0,,,closed,0,1,\n\
                    0,service,cart,v1,1,1,0,0,0,,,closed,0,2,40\n\
                    1,service,order,v1,7,7,0,0,0,,,half_open,0,3,\n\
                    1,service,order,v2,2,2,0,0,0,,,closed,1,2,\n\
                    1,service,cart,v1,1,1,0,0,0,,,closed,0,2.4,45\n";
        let metrics = Metrics::from_text(text, 10.0).expect("parses");
        let services = metrics.subjects(RowKind::Service);
        assert_eq!(services.keys().collect::<Vec<_>>(), ["order", "cart"]);
        let order = &services["order"];
        assert_eq!(order.requests, 24);
        assert_eq!(
            order
                .versions
                .iter()
                .map(|(v, r)| (v.as_str(), *r))
                .collect::<Vec<_>>(),
            [("v1", 17), ("v2", 7)]
        );
        assert!(order.breaker_left_closed && order.ejected && order.scaled && !order.cpu);
        let cart = &services["cart"];
        assert!(!cart.breaker_left_closed && !cart.ejected && !cart.scaled && cart.cpu);
        assert!(metrics.subjects(RowKind::Workload).is_empty());
        let kept = metrics
            .rows(|kind, name| kind == RowKind::Service && name == "cart")
            .expect("reads again");
        assert_eq!(
            kept.iter().map(|row| row.time_s).collect::<Vec<_>>(),
            [0.0, 1.0]
        );
    }

    #[test]
    fn a_stretch_in_the_only_interval_ends_with_the_run() {
        let text = "time_s,kind,name,version,requests,succeeded,failed,timed_out,shed,p50_ms,p99_ms,route_weight\n\
                    0,service,orders,v1,90,90,0,0,0,,,100\n\
                    0,service,orders,v2,10,10,0,0,0,,,0\n";
        let metrics = Metrics::from_text(text, 30.0).expect("parses");
        assert_eq!(metrics.interval_s(), None);
        let stretches = metrics.zero_weight("orders");
        assert_eq!(stretches.len(), 1);
        assert_eq!((stretches[0].start_s, stretches[0].end_s), (0.0, 30.0));
    }
}
