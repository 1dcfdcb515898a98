//! The services' versions: what their instances answered, their latencies and gauges, and the
//! route weight a rollout gave them.

use indexmap::IndexMap;

use super::Recorder;
use super::output::{KeptRows, quantile_text};
use super::version_stats::VersionStats;
use crate::catalog::VersionInfo;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::keys::VersionKey;
use crate::outcome::ServedResult;
use crate::summary::{
    LatencySummary, ServiceCounts, ServiceSummary, VersionSummary, latency_cdf, round_ratio,
};

impl Recorder {
    fn version_mut(&mut self, key: VersionKey) -> &mut VersionStats {
        &mut self.versions[key.group.index()][key.version as usize]
    }

    pub(super) fn served(&mut self, key: VersionKey, latency_ns: u64, result: ServedResult) {
        let stats = self.version_mut(key);
        for counts in [&mut stats.counts, &mut stats.interval_counts] {
            counts.received += 1;
            match result {
                ServedResult::Succeeded => counts.succeeded += 1,
                ServedResult::Failed => counts.failed += 1,
                ServedResult::Shed => counts.shed += 1,
                ServedResult::Degraded => {
                    counts.succeeded += 1;
                    counts.degraded += 1;
                }
            }
        }
        if matches!(result, ServedResult::Succeeded | ServedResult::Degraded) {
            stats.interval_latencies.record(latency_ns);
        }
    }

    pub(super) fn gauge(&mut self, key: VersionKey, gauge: Gauge, delta: i64) {
        let stats = self.version_mut(key);
        let value = match gauge {
            Gauge::InFlight => &mut stats.in_flight,
            Gauge::QueueDepth => &mut stats.queue_depth,
        };
        *value += delta;
        assert!(*value >= 0, "gauge {gauge:?} of {key:?} went negative");
    }

    pub(super) fn cpu_work(&mut self, key: VersionKey, core_ns: u64) {
        self.version_mut(key).interval_cpu_busy_ns += core_ns;
    }

    pub(super) fn route_weight(&mut self, key: VersionKey, basis_points: u32) {
        assert!(basis_points <= 10_000, "a weight above 100%");
        self.version_mut(key).route_weight_basis_points = Some(basis_points);
    }

    pub(super) fn replicas(&mut self, key: VersionKey, count: u32) {
        self.version_mut(key).replicas = Some(count);
    }

    /// Each service version's row of the interval that ends, with its service's mesh columns,
    /// and the interval's counts emptied.
    pub(super) fn service_rows(&mut self, time: &str, interval_ns: u64, kept: &mut KeptRows) {
        let writing = self.files.metrics.is_some();
        for (group_index, group) in self.catalog.groups.iter().enumerate() {
            // The mesh's columns are the service's, repeated on each of its version rows.
            let mesh = self.mesh[group_index].interval_columns();
            for (version_index, version) in group.versions.iter().enumerate() {
                let stats = &mut self.versions[group_index][version_index];
                if writing {
                    let counts = &stats.interval_counts;
                    let route_weight = match stats.route_weight_basis_points {
                        Some(basis_points) => format!("{:.1}", f64::from(basis_points) / 100.0),
                        None => format!("{:.1}", version.route_weight_percent),
                    };
                    let failed_checks = super::rollout_state::failed_checks(
                        &self.catalog,
                        &self.rollouts,
                        group_index,
                        version_index,
                    );
                    // The version's instances now: an autoscaler's count, or as built.
                    let replicas = stats.replicas.unwrap_or(version.instances);
                    let row = [
                        time.to_owned(),
                        "service".into(),
                        group.name.clone(),
                        version.name.clone(),
                        counts.received.to_string(),
                        counts.succeeded.to_string(),
                        counts.failed.to_string(),
                        String::new(),
                        counts.shed.to_string(),
                        quantile_text(&mut stats.interval_latencies, 0.50),
                        quantile_text(&mut stats.interval_latencies, 0.99),
                        stats.in_flight.to_string(),
                        stats.queue_depth.to_string(),
                        mesh.circuit_state.into(),
                        mesh.ejected.clone(),
                        route_weight,
                        mesh.retries.clone(),
                        mesh.denials.clone(),
                        mesh.pending.clone(),
                        String::new(),
                        failed_checks,
                        counts.degraded.to_string(),
                        cpu_percent(stats.interval_cpu_busy_ns, version, replicas, interval_ns),
                        replicas.to_string(),
                    ];
                    self.files.interval_row(row, kept);
                }
                stats.interval_counts = ServiceCounts::default();
                stats.interval_cpu_busy_ns = 0;
                stats.fold_interval();
            }
        }
        for mesh in &mut self.mesh {
            mesh.end_interval();
        }
    }

    /// Each service's summary, with its versions' and what the mesh did to its calls.
    pub(super) fn summarise_services(&self) -> IndexMap<String, ServiceSummary> {
        let into = self.edges.calls_into_each(self.catalog.groups.len());
        let mut services = IndexMap::new();
        for (group_index, group) in self.catalog.groups.iter().enumerate() {
            if group.versions.is_empty() {
                continue;
            }
            let mut counts = ServiceCounts::default();
            let mut histogram = Histogram::new();
            let mut versions = IndexMap::new();
            for (version_index, version) in group.versions.iter().enumerate() {
                let stats = &self.versions[group_index][version_index];
                counts.add(&stats.counts);
                histogram.merge(&stats.histogram);
                versions.insert(
                    version.name.clone(),
                    VersionSummary {
                        instances: version.instances,
                        requests: stats.counts,
                        success_rate: stats.counts.success_rate().map(round_ratio),
                        latency_ms: LatencySummary::of(&stats.histogram),
                        histogram: stats.histogram.clone(),
                    },
                );
            }
            let (calls, attempts) = into[group_index];
            services.insert(
                group.name.clone(),
                ServiceSummary {
                    requests: counts,
                    success_rate: counts.success_rate().map(round_ratio),
                    latency_ms: LatencySummary::of(&histogram),
                    latency_cdf_ms: latency_cdf(&histogram),
                    versions,
                    mesh: self.mesh[group_index].summary(calls, attempts),
                    histogram,
                },
            );
        }
        services
    }
}

/// The busy core-time of a version's instances over what their cores could give in the
/// interval, in percent; empty for a version without `cores` (its CPU is not modelled).
fn cpu_percent(busy_ns: u64, version: &VersionInfo, instances: u32, interval_ns: u64) -> String {
    let Some(cores) = version.cores else {
        return String::new();
    };
    let capacity_ns = cores * f64::from(instances) * interval_ns as f64;
    if capacity_ns <= 0.0 {
        return String::new();
    }
    format!("{:.1}", 100.0 * busy_ns as f64 / capacity_ns)
}
