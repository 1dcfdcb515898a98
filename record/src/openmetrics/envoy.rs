//! Envoy's cluster statistics of the calls into each service, as Prometheus stores them from a
//! scrape of Istio's sidecars (`envoy_cluster_*{cluster_name="outbound|80||payment.default.svc.cluster.local"}`),
//! summed over every caller's sidecar: what `sum by (cluster_name)` gives of a real mesh.
//!
//! Istio keeps these out of a sidecar's scrape unless `proxyStatsMatcher` includes them
//! (istio@1.30.3 `tools/packaging/common/envoy_bootstrap.json`, `stats_matcher`); the
//! statistics' meanings are Envoy's (envoy@v1.37.0 `docs/root/configuration/upstream/
//! cluster_manager/cluster_stats.rst`).

use std::io::{self, Write};

use super::istio::NAMESPACE;
use super::points::Points;
use super::text::{FamilyType, family_header, label_text, sample};
use crate::catalog::Catalog;

/// The port of every service's cluster: meshsim's services have none, and 80 is a Kubernetes
/// Service's usual HTTP port.
const PORT: u16 = 80;

/// The statistics written, in the order a [`ClusterStats`] holds them: the sample's name, its
/// type, its help.
const STATS: [(&str, FamilyType, &str); 6] = [
    (
        "envoy_cluster_upstream_rq_retry",
        FamilyType::Unknown,
        "Retries sent (an Envoy counter).",
    ),
    (
        "envoy_cluster_upstream_rq_retry_overflow",
        FamilyType::Unknown,
        "Retries not sent because the retry limit or budget denied them (an Envoy counter).",
    ),
    (
        "envoy_cluster_upstream_rq_pending_overflow",
        FamilyType::Unknown,
        "Requests failed because the connection pool or its pending queue was full (an Envoy counter).",
    ),
    (
        "envoy_cluster_outlier_detection_ejections_enforced_total",
        FamilyType::Counter,
        "Ejections outlier detection enforced, summed over the callers' sidecars.",
    ),
    (
        "envoy_cluster_outlier_detection_ejections_active",
        FamilyType::Gauge,
        "Hosts ejected now, summed over the callers' sidecars.",
    ),
    (
        "envoy_cluster_upstream_rq_pending_active",
        FamilyType::Gauge,
        "Requests waiting for a connection, summed over the callers' sidecars.",
    ),
];

/// One service's statistics at an interval's end, in the order of [`STATS`].
pub(crate) type ClusterStats = [f64; STATS.len()];

/// Every called service's cluster statistics, from the interval it was first called in.
#[derive(Default)]
pub(super) struct Clusters {
    /// By group: `Some` once the service has been called.
    points: Vec<Option<Points>>,
}

impl Clusters {
    pub(super) fn new(groups: usize) -> Self {
        Clusters {
            points: vec![None; groups],
        }
    }

    /// A call to `group` ended: its cluster has statistics from `next_point` on.
    pub(super) fn called(&mut self, group: u32, next_point: u32) {
        self.points[group as usize].get_or_insert_with(|| Points::new(next_point, STATS.len()));
    }

    /// Every called service's statistics at an interval's end; `stats` has one per group.
    pub(super) fn sample(&mut self, stats: &[ClusterStats]) {
        for (points, stats) in self.points.iter_mut().zip(stats) {
            if let Some(points) = points {
                points.push(stats.iter().copied());
            }
        }
    }

    pub(super) fn write(
        &self,
        out: &mut dyn Write,
        catalog: &Catalog,
        timestamps: &[String],
    ) -> io::Result<()> {
        let labels: Vec<(&Points, String)> = self
            .points
            .iter()
            .enumerate()
            .filter_map(|(group, points)| {
                let service = &catalog.groups[group].name;
                let cluster = format!("outbound|{PORT}||{service}.{NAMESPACE}.svc.cluster.local");
                points
                    .as_ref()
                    .map(|points| (points, label_text(&[("cluster_name", &cluster)])))
            })
            .collect();
        for (stat, (name, kind, help)) in STATS.iter().enumerate() {
            // A counter's family drops the `_total` its samples carry.
            let family = match kind {
                FamilyType::Counter => name.trim_end_matches("_total"),
                _ => name,
            };
            family_header(out, family, *kind, None, help)?;
            for (points, labels) in &labels {
                for (interval, values) in points.iter() {
                    sample(out, name, labels, values[stat], &timestamps[interval])?;
                }
            }
        }
        Ok(())
    }
}
