//! One cluster of an upstream as one caller's sidecar holds it: the whole service, or one version
//! a route reaches (Istio makes each DestinationRule subset an Envoy cluster of its own; Linkerd
//! gives each HTTPRoute backend a balancer of its own). Each has its own circuit-breaker counters,
//! balancer, outlier detector or failure accrual, and (Linkerd) failfast state.

use std::collections::VecDeque;
use std::ops::Range;

use meshsim_sim::SimTime;

use crate::balancer::{BalancerState, LoadBalancer};
use crate::episode::Episode;
use crate::policy::failure_accrual::FailureAccrual;
use crate::policy::outlier::OutlierDetector;
use crate::policy::peak_ewma::PeakEwma;
use crate::slab::SlabKey;
use crate::upstream_config::UpstreamConfig;

/// A cluster's place among its upstream's: 0 the whole service, then each version's subset.
/// At most 255 versions a service, so a cluster fits a timer's payload in 8 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClusterIndex(pub(crate) u8);

impl ClusterIndex {
    /// The cluster at `index` of its upstream's.
    pub(crate) fn new(index: usize) -> ClusterIndex {
        ClusterIndex(u8::try_from(index).expect("at most 255 versions a service"))
    }
}

/// Where Linkerd's balancer stands when it has no endpoint to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailFast {
    /// An endpoint is ready, or nobody waits.
    Idle,
    /// Calls wait for an endpoint since this time; the failfast timer is set.
    Waiting { since: SimTime },
    /// The failfast timeout passed with no endpoint: calls are shed until one is ready.
    Failing,
}

pub(crate) struct Cluster {
    /// The instances it may send to.
    pub(crate) hosts: Range<u32>,
    /// Attempts on a connection now (Envoy's active requests).
    pub(crate) in_flight: u32,
    /// Connections open to its hosts, busy or idle.
    pub(crate) open_connections: u32,
    /// Calls waiting for a connection, in every host's queue.
    pub(crate) pending_count: u32,
    /// Retries holding a place in the `max_retries` circuit breaker or the budget.
    pub(crate) active_retries: u32,
    pub(crate) balancer: BalancerState,
    // The mechanisms few clusters have live behind a box, so a cluster without them stays
    // small: a sidecar holds one per upstream, and thousands of them at scale.
    pub(crate) peak_ewma: Option<Box<PeakEwma>>,
    pub(crate) outlier: Option<Box<OutlierDetector>>,
    /// Whether the outlier detector's interval timer is set.
    pub(crate) outlier_armed: bool,
    pub(crate) accrual: Option<Box<FailureAccrual>>,
    /// Linkerd: calls waiting for an endpoint, oldest first; stale keys are skipped.
    pub(crate) queue: VecDeque<SlabKey>,
    pub(crate) queued: u32,
    pub(crate) failfast: FailFast,
    /// The current run of retries denied by the budget or the cap, for `events.csv`.
    pub(crate) denials: Option<Episode>,
}

impl Cluster {
    /// Cluster `index` of `config`, with every host of the upstream addressable (the detectors
    /// index hosts as the upstream does) and its own hosts as members.
    pub(crate) fn new(config: &UpstreamConfig, index: usize, balancer_seed: u64) -> Self {
        let count = config.instances.len();
        let hosts = config.cluster_hosts(index);
        let outlier = config.outlier.clone().map(|outlier| {
            let mut detector = OutlierDetector::new(outlier, count);
            for host in 0..count {
                if !hosts.contains(&(host as u32)) {
                    detector.set_member(host, false);
                }
            }
            Box::new(detector)
        });
        Cluster {
            in_flight: 0,
            open_connections: 0,
            pending_count: 0,
            active_retries: 0,
            balancer: BalancerState::new(
                match config.load_balancer {
                    LoadBalancer::PeakEwma => LoadBalancer::LeastRequest,
                    other => other,
                },
                balancer_seed,
            ),
            peak_ewma: (config.load_balancer == LoadBalancer::PeakEwma)
                .then(|| Box::new(PeakEwma::new(count))),
            outlier,
            outlier_armed: false,
            accrual: config
                .failure_accrual
                .clone()
                .map(|accrual| Box::new(FailureAccrual::new(accrual, count))),
            queue: VecDeque::new(),
            queued: 0,
            failfast: FailFast::Idle,
            denials: None,
            hosts,
        }
    }

    /// Whether `host` may take a call now as far as this cluster's health checks go: not
    /// ejected, not shut by failure accrual.
    pub(crate) fn is_healthy(&self, host: u32) -> bool {
        let host = host as usize;
        self.outlier
            .as_ref()
            .is_none_or(|outlier| !outlier.is_ejected(host))
            && self
                .accrual
                .as_ref()
                .is_none_or(|accrual| accrual.is_available(host))
    }
}
