//! Istio's standard request metrics, as the caller's sidecar reports them (`reporter="source"`):
//! `istio_requests_total` and `istio_request_duration_milliseconds`, with Istio's labels
//! (<https://istio.io/latest/docs/reference/config/metrics/>) and Envoy's response flags.
//!
//! One series per (source workload, destination service, destination workload, response code,
//! response flags), kept from the interval it first appears in, as a sidecar keeps a stat from
//! its first increment.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::points::Points;
use super::text::{FamilyType, family_header, label_text, sample};
use crate::call_end::{CallEnd, RetryStop};
use crate::catalog::Catalog;
use crate::reason::ReasonKind;

/// Envoy's default histogram bucket bounds, in the histogram's unit (milliseconds here):
/// envoy@v1.37.0 `source/common/stats/histogram_impl.cc` (`HistogramStatisticsImpl::
/// supportedBuckets`). Istio sets others only when a pod asks
/// (`sidecar.istio.io/statsHistogramBuckets`: istio@1.30.3
/// `tools/packaging/common/envoy_bootstrap.json`, `histogram_bucket_settings`).
pub const BUCKET_BOUNDS_MS: [f64; 19] = [
    0.5,
    1.0,
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10_000.0,
    30000.0,
    60_000.0,
    300_000.0,
    600_000.0,
    1_800_000.0,
    3_600_000.0,
];
/// The bounds' `le` values as Envoy's exporter writes them.
const BUCKET_LABELS: [&str; 19] = [
    "0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000",
    "30000", "60000", "300000", "600000", "1800000", "3600000",
];
/// Values per point: each bound's cumulative count, `+Inf` (the count), the sum.
const WIDTH: usize = BUCKET_BOUNDS_MS.len() + 2;

/// The Kubernetes namespace every workload is in.
pub(super) const NAMESPACE: &str = "default";

/// Envoy's response flags meshsim can raise, in the order Envoy writes them, joined by commas
/// (envoy@v1.37.0 `source/common/stream_info/utility.h`, `ALL_RESPONSE_STRINGS_FLAGS`).
const FLAGS: [&str; 11] = [
    "UH", "UT", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "DC", "URX",
];
const UH: u16 = 1 << 0;
const UT: u16 = 1 << 1;
const UF: u16 = 1 << 2;
const UC: u16 = 1 << 3;
const UO: u16 = 1 << 4;
const NR: u16 = 1 << 5;
const DI: u16 = 1 << 6;
const FI: u16 = 1 << 7;
const DC: u16 = 1 << 9;
const URX: u16 = 1 << 10;

/// Who is at one end of a call, as Kubernetes names the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Workload {
    /// No instance took a try (Envoy knows no upstream host).
    Unknown,
    /// A node of a group without versions: a workload's client, a store, a broker.
    Group(u32),
    /// An instance of a service version: group, version.
    Version(u32, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SeriesKey {
    source: Workload,
    callee: u32,
    destination: Workload,
    status: u16,
    flags: u16,
}

/// One label set's running histogram and its points.
struct Series {
    /// Calls per bucket (not cumulative); the last is above every bound.
    buckets: [u64; BUCKET_BOUNDS_MS.len() + 1],
    sum_ms: f64,
    points: Points,
}

/// Every source-reported request series of the run.
#[derive(Default)]
pub(super) struct Requests {
    index: BTreeMap<SeriesKey, usize>,
    series: Vec<Series>,
}

impl Requests {
    /// Counts one ended call; `next_point` is the interval its series' first point will be.
    pub(super) fn call_ended(&mut self, catalog: &Catalog, end: &CallEnd, next_point: u32) {
        let (status, flags) = status_and_flags(end);
        let key = SeriesKey {
            source: workload(catalog, Some(end.caller.0)),
            callee: end.callee.0,
            destination: workload(catalog, end.peer.map(|peer| peer.0)),
            status,
            flags,
        };
        let series = &mut self.series;
        let index = *self.index.entry(key).or_insert_with(|| {
            series.push(Series {
                buckets: [0; BUCKET_BOUNDS_MS.len() + 1],
                sum_ms: 0.0,
                points: Points::new(next_point, WIDTH),
            });
            series.len() - 1
        });
        let series = &mut self.series[index];
        let millis = end.duration_ns as f64 / 1e6;
        let bucket = BUCKET_BOUNDS_MS
            .iter()
            .position(|&bound| millis <= bound)
            .unwrap_or(BUCKET_BOUNDS_MS.len());
        series.buckets[bucket] += 1;
        series.sum_ms += millis;
    }

    /// Every series' point at the end of an interval.
    pub(super) fn sample(&mut self) {
        for series in &mut self.series {
            let mut cumulative = 0;
            let counts = series.buckets.iter().map(|&count| {
                cumulative += count;
                cumulative as f64
            });
            let values: Vec<f64> = counts.chain([series.sum_ms]).collect();
            series.points.push(values);
        }
    }

    /// Writes `istio_requests_total`, then `istio_request_duration_milliseconds`.
    pub(super) fn write(
        &self,
        out: &mut dyn Write,
        catalog: &Catalog,
        timestamps: &[String],
    ) -> io::Result<()> {
        let labels: Vec<(usize, String)> = self
            .index
            .iter()
            .map(|(key, &index)| (index, series_labels(catalog, key)))
            .collect();
        family_header(
            out,
            "istio_requests",
            FamilyType::Counter,
            None,
            "Requests, counted by the caller's sidecar when each ends (Istio's standard metric).",
        )?;
        for (index, labels) in &labels {
            for (interval, values) in self.series[*index].points.iter() {
                let count = values[BUCKET_BOUNDS_MS.len()];
                sample(
                    out,
                    "istio_requests_total",
                    labels,
                    count,
                    &timestamps[interval],
                )?;
            }
        }
        let family = "istio_request_duration_milliseconds";
        family_header(
            out,
            family,
            FamilyType::Histogram,
            Some("milliseconds"),
            "Request duration at the caller's sidecar (Istio's standard metric).",
        )?;
        for (index, labels) in &labels {
            for (interval, values) in self.series[*index].points.iter() {
                let time = &timestamps[interval];
                let le = BUCKET_LABELS.iter().chain(&["+Inf"]);
                for (bound, value) in le.zip(values) {
                    let bucket_labels = format!("{labels},le=\"{bound}\"");
                    sample(
                        out,
                        &format!("{family}_bucket"),
                        &bucket_labels,
                        *value,
                        time,
                    )?;
                }
                let count = values[BUCKET_BOUNDS_MS.len()];
                sample(out, &format!("{family}_count"), labels, count, time)?;
                let sum = values[BUCKET_BOUNDS_MS.len() + 1];
                sample(out, &format!("{family}_sum"), labels, sum, time)?;
            }
        }
        Ok(())
    }
}

/// The workload of `node` (`None`: no instance).
fn workload(catalog: &Catalog, node: Option<u32>) -> Workload {
    let Some(node) = node else {
        return Workload::Unknown;
    };
    let info = &catalog.nodes[node as usize];
    match info.version {
        Some(version) => Workload::Version(info.group.0, version),
        None => Workload::Group(info.group.0),
    }
}

/// The response code and the flags Envoy writes for a call that ended so.
fn status_and_flags(end: &CallEnd) -> (u16, u16) {
    let mut status = end.status;
    let mut flags = match end.reason {
        ReasonKind::NoHealthyUpstream | ReasonKind::FailFast => UH,
        ReasonKind::RouteTimeout => UT,
        ReasonKind::Refused => UF,
        ReasonKind::Reset => UC,
        ReasonKind::Overflow | ReasonKind::LoadShed => UO,
        ReasonKind::NoRoute => NR,
        ReasonKind::FaultAbort => FI,
        // The application gave up (its breaker's or its own timeout): the proxy sees the
        // downstream cancel the request, and logs no response code.
        ReasonKind::BreakerTimeout | ReasonKind::ClientTimeout => {
            status = 0;
            DC
        }
        _ => 0,
    };
    if end.delayed {
        flags |= DI;
    }
    flags |= match end.retry_stop {
        RetryStop::None => 0,
        RetryStop::LimitExceeded => URX,
        RetryStop::Overflow => UO,
    };
    (status, flags)
}

/// `-`, or the flags joined by commas in Envoy's order.
fn flags_text(flags: u16) -> String {
    let names: Vec<&str> = FLAGS
        .iter()
        .enumerate()
        .filter(|(bit, _)| flags & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join(",")
    }
}

/// A workload's name, app, version and canonical revision, as Istio's labels have them.
fn identity(catalog: &Catalog, workload: Workload) -> [String; 4] {
    let unknown = || "unknown".to_owned();
    match workload {
        Workload::Unknown => [unknown(), unknown(), unknown(), unknown()],
        Workload::Group(group) => {
            let name = catalog.groups[group as usize].name.clone();
            [name.clone(), name, unknown(), "latest".to_owned()]
        }
        Workload::Version(group, version) => {
            let info = &catalog.groups[group as usize];
            let version = info.versions[version as usize].name.clone();
            // A Deployment per version, named as Bookinfo's are: `reviews-v2`.
            let name = format!("{}-{version}", info.name);
            [name, info.name.clone(), version.clone(), version]
        }
    }
}

/// The series' labels, in the order Istio's stats filter writes them.
fn series_labels(catalog: &Catalog, key: &SeriesKey) -> String {
    let [source, source_app, source_version, source_revision] = identity(catalog, key.source);
    let [
        destination,
        destination_app,
        destination_version,
        destination_revision,
    ] = identity(catalog, key.destination);
    let service = &catalog.groups[key.callee as usize].name;
    let host = format!("{service}.{NAMESPACE}.svc.cluster.local");
    let code = key.status.to_string();
    let flags = flags_text(key.flags);
    label_text(&[
        ("reporter", "source"),
        ("source_workload", &source),
        ("source_canonical_service", &source_app),
        ("source_canonical_revision", &source_revision),
        ("source_workload_namespace", NAMESPACE),
        ("source_principal", "unknown"),
        ("source_app", &source_app),
        ("source_version", &source_version),
        ("source_cluster", "Kubernetes"),
        ("destination_workload", &destination),
        ("destination_workload_namespace", NAMESPACE),
        ("destination_principal", "unknown"),
        ("destination_app", &destination_app),
        ("destination_version", &destination_version),
        ("destination_service", &host),
        ("destination_canonical_service", &destination_app),
        ("destination_canonical_revision", &destination_revision),
        ("destination_service_name", service),
        ("destination_service_namespace", NAMESPACE),
        ("destination_cluster", "Kubernetes"),
        ("request_protocol", "http"),
        ("response_code", &code),
        ("grpc_response_status", ""),
        ("response_flags", &flags),
        ("connection_security_policy", "unknown"),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(reason: ReasonKind, status: u16) -> CallEnd {
        CallEnd {
            caller: meshsim_sim::NodeId(0),
            callee: meshsim_sim::GroupId(0),
            peer: None,
            duration_ns: 1,
            status,
            reason,
            retry_stop: RetryStop::None,
            delayed: false,
        }
    }

    #[test]
    fn flags_follow_envoys_names_and_order() {
        // Envoy's access-log docs (v1.37.0, "%RESPONSE_FLAGS%"): UO overflow, UH no healthy
        // upstream, UF connect failure, UT timeout, FI/DI fault injection, URX retry limit.
        let flags = |reason, status| flags_text(status_and_flags(&end(reason, status)).1);
        assert_eq!(flags(ReasonKind::Ok, 200), "-");
        assert_eq!(flags(ReasonKind::Error, 500), "-");
        assert_eq!(flags(ReasonKind::Overflow, 503), "UO");
        assert_eq!(flags(ReasonKind::NoHealthyUpstream, 503), "UH");
        assert_eq!(flags(ReasonKind::RouteTimeout, 504), "UT");
        assert_eq!(flags(ReasonKind::FaultAbort, 503), "FI");
        let mut refused = end(ReasonKind::Refused, 503);
        refused.retry_stop = RetryStop::LimitExceeded;
        refused.delayed = true;
        // Envoy joins several with commas, in its own order: UF before DI before URX.
        assert_eq!(flags_text(status_and_flags(&refused).1), "UF,DI,URX");
    }

    #[test]
    fn a_cancelled_call_has_no_response_code() {
        let (status, flags) = status_and_flags(&end(ReasonKind::BreakerTimeout, 504));
        assert_eq!((status, flags_text(flags).as_str()), (0, "DC"));
    }

    #[test]
    fn buckets_are_envoys_defaults_in_increasing_order() {
        assert!(BUCKET_BOUNDS_MS.windows(2).all(|pair| pair[0] < pair[1]));
        for (bound, label) in BUCKET_BOUNDS_MS.iter().zip(BUCKET_LABELS) {
            assert_eq!(label.parse::<f64>().ok(), Some(*bound));
        }
    }
}
