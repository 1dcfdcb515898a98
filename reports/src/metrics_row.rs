//! A row of `metrics.csv` as the reports read it.

use serde::Deserialize;

/// Whose row of `metrics.csv` this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RowKind {
    Workload,
    Service,
    /// A broker subscription: `requests` enqueued, `succeeded` acked, `failed` failed
    /// deliveries, `shed` dead-lettered, `retries` redeliveries, `queue_depth` waiting,
    /// `in_flight` out at consumers, `lag_ms` the age of the oldest waiting message.
    Subscription,
}

/// One row of `metrics.csv`: one interval of one workload, or of one service version. Empty
/// cells (a figure that does not apply, a percentile of nothing) are `None`; so are the columns
/// a run of an older build lacks. Read by the column names, which are the fields' names.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct MetricsRow {
    /// The interval's start.
    pub time_s: f64,
    pub kind: RowKind,
    pub name: String,
    /// Empty for workloads.
    pub version: String,
    pub requests: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Empty in a run of an older build: none timed out.
    #[serde(deserialize_with = "count_or_empty")]
    pub timed_out: u64,
    pub shed: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    #[serde(default)]
    pub in_flight: Option<f64>,
    #[serde(default)]
    pub queue_depth: Option<f64>,
    /// `closed`, `half_open` or `open`; `None` for workloads.
    #[serde(default)]
    pub circuit_state: Option<String>,
    #[serde(default)]
    pub ejected: Option<f64>,
    #[serde(default)]
    pub route_weight: Option<f64>,
    #[serde(default)]
    pub retries: Option<f64>,
    #[serde(default)]
    pub budget_denials: Option<f64>,
    #[serde(default)]
    pub pending: Option<f64>,
    /// Subscriptions only: the oldest waiting message's age at the interval's end.
    #[serde(default)]
    pub lag_ms: Option<f64>,
    /// Services with cores: the CPU their instances used, in percent of their cores.
    #[serde(default)]
    pub cpu_percent: Option<f64>,
    /// Services: the version's instances at the interval's end.
    #[serde(default)]
    pub replicas: Option<f64>,
}

/// A count whose cell may be empty (read as 0).
fn count_or_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(deserializer)?.unwrap_or(0))
}

#[cfg(test)]
impl MetricsRow {
    /// A row of service `orders`' `version` for one interval, every figure but its requests
    /// (all succeeded) empty: tests set the fields they draw.
    pub(crate) fn of_service(time_s: f64, version: &str, requests: u64) -> MetricsRow {
        MetricsRow {
            time_s,
            kind: RowKind::Service,
            name: "orders".to_owned(),
            version: version.to_owned(),
            requests,
            succeeded: requests,
            failed: 0,
            timed_out: 0,
            shed: 0,
            p50_ms: None,
            p99_ms: None,
            in_flight: None,
            queue_depth: None,
            circuit_state: None,
            ejected: None,
            route_weight: None,
            retries: None,
            budget_denials: None,
            pending: None,
            lag_ms: None,
            cpu_percent: None,
            replicas: None,
        }
    }
}
