//! One upstream service as a caller's sidecar holds it: the control plane's view of its
//! instances, this sidecar's connections and requests to each, and its clusters (the whole
//! service, and each version a route reaches).

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use meshsim_sim::{SimRng, SimTime};
use smallvec::{SmallVec, smallvec};

use crate::balancer::LoadBalancer;
use crate::cluster::Cluster;
use crate::deadline::Deadlines;
use crate::policy::breaker::{BreakerState, CircuitBreaker};
use crate::policy::failure_accrual::GateState;
use crate::policy::outlier::MembershipChange;
use crate::policy::tps_budget::TpsBudget;
use crate::route::RouteTable;
use crate::slab::SlabKey;
use crate::upstream_config::{RetryLimit, UpstreamConfig};

pub use crate::upstream_config::RedirectConfig;

/// Envoy's over-provisioning factor, in percent: a priority's availability is its healthy share
/// × 1.4, capped at 100 (`kDefaultOverProvisioningFactor`, `upstream_impl.h#L77`).
const OVERPROVISIONING_PERCENT: usize = 140;

/// An upstream's place among its sidecar's upstreams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UpstreamIndex(pub(crate) u16);

/// A host's place among its upstream's instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HostIndex(pub(crate) u32);

/// Per instance of the upstream, a flag or a count: inline up to eight instances, so a call
/// reads them from the upstream it already holds rather than from a heap block of each (at
/// thousands of instances, each block is a cache miss of its own).
type PerHost<T> = SmallVec<[T; 8]>;

/// One sidecar's state for one upstream.
pub(crate) struct Upstream {
    pub(crate) config: Arc<UpstreamConfig>,
    /// The control plane's view: which instances are up.
    up: PerHost<bool>,
    /// Which instances are deployed (in the service's endpoints); a rolling update changes it.
    deployed: PerHost<bool>,
    /// Which instances said they are ready (always, for a service without a start time or
    /// dependencies).
    ready: PerHost<bool>,
    /// Instances up, deployed and ready: the endpoints the control plane hands the sidecar.
    live: PerHost<u32>,
    /// This caller's routes: the configured ones, as rollouts have changed them since.
    pub(crate) routes: RouteTable,
    /// The share of calls a strangler migration sends to the new service, in percent.
    pub(crate) redirect_percent: f64,
    /// Attempts on a connection per instance, from this sidecar.
    pub(crate) active: PerHost<u32>,
    /// Connections open per instance, busy or idle (HTTP/1: one request each).
    pub(crate) connections: PerHost<u32>,
    /// Calls waiting for a connection to each instance, oldest first; stale keys are skipped.
    /// Empty until a pool first runs out of connections.
    pub(crate) pending: Vec<VecDeque<SlabKey>>,
    /// The whole service (0), then each version's subset.
    pub(crate) clusters: SmallVec<[Cluster; 1]>,
    /// Per policy (the service's, then each route's own): its route timeouts and its per-try
    /// timeouts, each a FIFO since one policy's timeout is fixed.
    pub(crate) route_deadlines: SmallVec<[Deadlines; 1]>,
    pub(crate) try_deadlines: SmallVec<[Deadlines; 1]>,
    pub(crate) breaker_deadlines: Deadlines,
    pub(crate) breaker: Option<Box<CircuitBreaker>>,
    /// The breaker's state as last reported to the gauges.
    pub(crate) breaker_seen: BreakerState,
    /// Linkerd's ServiceProfile retry budget, one per service for this caller.
    pub(crate) tps_budget: Option<Box<TpsBudget>>,
    /// Scratch space for the candidates of one pick.
    candidates: PerHost<u32>,
}

impl Upstream {
    pub(crate) fn new(config: Arc<UpstreamConfig>, rng: &mut SimRng) -> Self {
        let count = config.instances.len();
        let mut deployed: PerHost<bool> = smallvec![true; count];
        for &index in &config.undeployed {
            deployed[index as usize] = false;
        }
        let ready: PerHost<bool> = smallvec![!config.gated; count];
        let clusters = (0..config.cluster_count())
            .map(|index| {
                // Only round robin reads its seed; drawing it for other balancers would move
                // every later draw for nothing.
                let seed = if config.load_balancer == LoadBalancer::RoundRobin {
                    rng.next_u64()
                } else {
                    0
                };
                Cluster::new(&config, index, seed)
            })
            .collect();
        let tps_budget = config
            .retries
            .as_ref()
            .and_then(|retries| match &retries.limit {
                RetryLimit::Tps(budget) => Some(Box::new(TpsBudget::new(budget, SimTime::ZERO))),
                _ => None,
            });
        let mut upstream = Upstream {
            up: smallvec![true; count],
            live: PerHost::new(),
            deployed,
            ready,
            routes: config.routes.clone(),
            redirect_percent: 0.0,
            active: smallvec![0; count],
            connections: smallvec![0; count],
            pending: Vec::new(),
            clusters,
            route_deadlines: (0..config.policy_count())
                .map(|_| Deadlines::default())
                .collect(),
            try_deadlines: (0..config.policy_count())
                .map(|_| Deadlines::default())
                .collect(),
            breaker_deadlines: Deadlines::default(),
            breaker: config
                .breaker
                .as_ref()
                .map(|breaker| Box::new(CircuitBreaker::new(breaker.config.clone()))),
            breaker_seen: BreakerState::Closed,
            tps_budget,
            candidates: PerHost::new(),
            config,
        };
        upstream.live = upstream.compute_live();
        for host in 0..count {
            if !upstream.is_live(host) {
                upstream.set_membership(SimTime::ZERO, host, false);
            }
        }
        upstream
    }

    fn is_live(&self, index: usize) -> bool {
        self.up[index] && self.deployed[index] && self.ready[index]
    }

    fn compute_live(&self) -> PerHost<u32> {
        (0..self.up.len() as u32)
            .filter(|&index| self.is_live(index as usize))
            .collect()
    }

    /// The control plane says instance `index` is up or down at `now`; returns what its
    /// clusters' detectors forgot (ejections dropped with the host), for the gauges.
    pub(crate) fn set_up(&mut self, now: SimTime, index: usize, up: bool) -> usize {
        self.change(now, index, |upstream| upstream.up[index] = up)
    }

    /// The control plane adds instance `index` to the endpoints or takes it away.
    pub(crate) fn set_deployed(&mut self, now: SimTime, index: usize, deployed: bool) -> usize {
        self.change(now, index, |upstream| upstream.deployed[index] = deployed)
    }

    /// Instance `index` says it is ready, or not.
    pub(crate) fn set_ready(&mut self, now: SimTime, index: usize, ready: bool) -> usize {
        self.change(now, index, |upstream| upstream.ready[index] = ready)
    }

    /// Applies `change` to instance `index` and brings the live list and the clusters'
    /// membership up to date; returns the ejections dropped.
    fn change(&mut self, now: SimTime, index: usize, change: impl FnOnce(&mut Self)) -> usize {
        let was_live = self.is_live(index);
        change(self);
        let live = self.is_live(index);
        if was_live == live {
            return 0;
        }
        self.live = self.compute_live();
        self.set_membership(now, index, live)
    }

    /// Tells the clusters holding `host` whether it is one of their hosts now (Envoy's member
    /// update, Linkerd's discovery); returns the ejections forgotten with a removed host.
    fn set_membership(&mut self, now: SimTime, host: usize, member: bool) -> usize {
        let mut dropped = 0;
        for cluster in &mut self.clusters {
            if !cluster.hosts.contains(&(host as u32)) {
                continue;
            }
            // Linkerd builds a new endpoint, at the default RTT, when one is discovered again.
            if member && let Some(peak_ewma) = &mut cluster.peak_ewma {
                peak_ewma.reset_host(now, host);
            }
            if let Some(outlier) = &mut cluster.outlier
                && let MembershipChange::Left {
                    ejection_dropped: true,
                } = outlier.set_member(host, member)
            {
                dropped += 1;
            }
            // Linkerd builds a fresh endpoint when one is discovered again: its gate starts open.
            if let Some(accrual) = &mut cluster.accrual
                && !member
            {
                if accrual.state(host) == GateState::Shut {
                    dropped += 1;
                }
                accrual.forget_host(host);
            }
        }
        dropped
    }

    /// Whether any instance (of `subset`, when given) is an endpoint now.
    pub(crate) fn has_live(&self, subset: Option<&Range<u32>>) -> bool {
        match subset {
            None => !self.live.is_empty(),
            Some(subset) => self.live.iter().any(|instance| subset.contains(instance)),
        }
    }

    /// Picks an instance of cluster `cluster` for an attempt, as Envoy's or Linkerd's balancer
    /// would: among its endpoints that are healthy (not ejected, not shut by failure accrual),
    /// or all of them in Envoy's panic mode. A retry with a host predicate draws again while it
    /// lands on a host in `tried`, up to `reselections` times, and then keeps its last draw.
    /// `None` when no instance can take the call.
    pub(crate) fn pick(
        &mut self,
        now: SimTime,
        cluster: usize,
        tried: &[u32],
        reselections: Option<u32>,
        rng: &mut SimRng,
    ) -> Option<u32> {
        // The whole service with no health checks: every endpoint is a candidate, so the pick
        // reads the live list where it is rather than copying it on every call.
        let state = &self.clusters[cluster];
        let direct = cluster == 0 && state.outlier.is_none() && state.accrual.is_none();
        if !direct {
            self.collect_candidates(cluster);
        }
        let candidates = if direct { &self.live } else { &self.candidates };
        if candidates.is_empty() {
            return None;
        }
        let redraws = match reselections {
            Some(redraws) if !tried.is_empty() => redraws,
            _ => 0,
        };
        let state = &mut self.clusters[cluster];
        let mut host = pick_once(state, now, candidates, &self.active, rng);
        for _ in 0..redraws {
            if !tried.contains(&host) {
                break;
            }
            host = pick_once(state, now, candidates, &self.active, rng);
        }
        Some(host)
    }

    /// Fills `candidates` with the hosts cluster `cluster` may pick: its endpoints, less the
    /// unhealthy ones unless Envoy's panic threshold says to use them all.
    fn collect_candidates(&mut self, cluster: usize) {
        self.candidates.clear();
        let cluster_state = &self.clusters[cluster];
        let hosts = &cluster_state.hosts;
        let endpoints = self
            .live
            .iter()
            .copied()
            .filter(|host| hosts.contains(host));
        if cluster_state.outlier.is_none() && cluster_state.accrual.is_none() {
            self.candidates.extend(endpoints);
            return;
        }
        let total = endpoints.clone().count();
        let healthy = endpoints
            .clone()
            .filter(|&host| cluster_state.is_healthy(host))
            .count();
        let panic = cluster_state.accrual.is_none()
            && in_panic(healthy, total, self.config.panic_threshold_percent);
        self.candidates
            .extend(endpoints.filter(|&host| panic || cluster_state.is_healthy(host)));
    }

    /// Forgets everything but the control plane's view (endpoints, routes): the process that
    /// held it crashed at `now`, and its balancer starts over.
    pub(crate) fn reset(&mut self, now: SimTime, rng: &mut SimRng) {
        let fresh = Upstream::new(Arc::clone(&self.config), rng);
        let (up, deployed, ready) = (
            std::mem::take(&mut self.up),
            std::mem::take(&mut self.deployed),
            std::mem::take(&mut self.ready),
        );
        let routes = std::mem::take(&mut self.routes);
        let redirect_percent = self.redirect_percent;
        *self = Upstream {
            up,
            deployed,
            ready,
            routes,
            redirect_percent,
            ..fresh
        };
        self.live = self.compute_live();
        for host in 0..self.up.len() {
            let live = self.is_live(host);
            self.set_membership(now, host, live);
        }
    }

    /// An attempt to `instance` in cluster `cluster` took `rtt_ns`: feeds the peak-EWMA balancer.
    pub(crate) fn observe(&mut self, now: SimTime, cluster: usize, instance: u32, rtt_ns: u64) {
        if let Some(peak_ewma) = &mut self.clusters[cluster].peak_ewma {
            peak_ewma.observe(now, instance as usize, rtt_ns);
        }
    }

    /// The waiting calls for a connection to `host`, made on first use.
    pub(crate) fn pending_for(&mut self, host: u32) -> &mut VecDeque<SlabKey> {
        if self.pending.is_empty() {
            self.pending = vec![VecDeque::new(); self.config.instances.len()];
        }
        &mut self.pending[host as usize]
    }
}

/// One draw of `cluster`'s balancer among `candidates` (not empty).
fn pick_once(
    cluster: &mut Cluster,
    now: SimTime,
    candidates: &[u32],
    active: &[u32],
    rng: &mut SimRng,
) -> u32 {
    let picked = match &cluster.peak_ewma {
        Some(peak_ewma) => peak_ewma.pick(now, candidates, active, rng),
        None => cluster.balancer.pick(candidates, active, rng),
    };
    picked.expect("candidates are not empty")
}

/// Envoy's panic rule for one priority (`load_balancer_impl.cc#L270-L297`, `#L636-L651`): no
/// panic while the priority's availability (healthy share × 1.4, capped at 100) is whole;
/// otherwise panic below `threshold_percent` healthy. 0 never panics, so with no healthy host
/// the balancer finds none.
fn in_panic(healthy: usize, total: usize, threshold_percent: u32) -> bool {
    if total == 0 {
        return false;
    }
    let availability = (OVERPROVISIONING_PERCENT * healthy / total).min(100);
    let healthy_percent = 100.0 * healthy as f64 / total as f64;
    availability < 100 && healthy_percent < f64::from(threshold_percent)
}

#[cfg(test)]
mod tests {
    use super::in_panic;

    #[test]
    fn panic_needs_the_share_below_the_threshold_and_availability_below_whole() {
        // Envoy's default 50 %: 1 healthy of 3 panics, 2 of 3 does not.
        assert!(in_panic(1, 3, 50));
        assert!(!in_panic(2, 3, 50));
        // Istio's 0 never panics, not even with nothing healthy.
        assert!(!in_panic(0, 3, 0));
        // 75 % healthy is 105 % available: no panic even under an 80 % threshold.
        assert!(!in_panic(3, 4, 80));
        assert!(in_panic(2, 4, 80));
    }
}
