//! One upstream service as a caller's sidecar sees it: the mesh policy compiled from
//! `[mesh.SERVICE]` (shared by every caller), and this sidecar's own state for it.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

use meshsim_sim::{GroupId, NodeId, SimRng, SimTime};

use crate::balancer::{BalancerState, LoadBalancer};
use crate::deadline::Deadlines;
use crate::policy::breaker::{BreakerConfig, BreakerState, CircuitBreaker};
use crate::policy::outlier::{OutlierConfig, OutlierDetector};
use crate::policy::peak_ewma::PeakEwma;
use crate::policy::retry_budget::RetryBudget;
use crate::route::RouteTable;
use crate::slab::SlabKey;

/// Which failed tries are retried, in Envoy's `retry_on` words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct RetryOn {
    /// Any 5xx answer, a reset, a per-try timeout, a refused connection.
    pub five_xx: bool,
    /// 502, 503 and 504 answers, and what Envoy turns into them: refused or reset connections,
    /// per-try timeouts.
    pub gateway_error: bool,
    pub connect_failure: bool,
    /// No answer at all: a reset connection or a per-try timeout.
    pub reset: bool,
    /// 409.
    pub retriable_4xx: bool,
    /// A refused stream: for meshsim, a refused connection.
    pub refused_stream: bool,
    /// gRPC's `unavailable`, which an HTTP service shows as 503.
    pub unavailable: bool,
}

/// `[mesh.SERVICE.retries]`, compiled.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub attempts: u32,
    pub per_try_timeout_ns: Option<u64>,
    pub retry_on: RetryOn,
    pub backoff_base_ns: u64,
    pub backoff_max_ns: u64,
    /// Envoy's retry budget; without it, at most `max_concurrent_retries` retries at once.
    pub budget: Option<RetryBudget>,
}

/// Envoy's cluster circuit-breaker thresholds, Istio's `connectionPool`; `u32::MAX` is no limit.
#[derive(Debug, Clone, Copy)]
pub struct PoolLimits {
    /// Attempts in flight at once: the lower of `max_connections` and `max_requests` (an HTTP/1
    /// connection carries one request at a time).
    pub max_in_flight: u32,
    /// Calls waiting for a connection; beyond, the call fails fast with 503.
    pub max_pending: u32,
}

impl PoolLimits {
    pub const UNLIMITED: PoolLimits = PoolLimits {
        max_in_flight: u32::MAX,
        max_pending: u32::MAX,
    };
}

/// Istio's fault injection on the route: delay and abort a share of calls.
#[derive(Debug, Clone, Copy)]
pub struct FaultInjection {
    pub delay_ns: u64,
    pub delay_probability: f64,
    pub abort_status: u16,
    pub abort_probability: f64,
}

/// The application-level circuit breaker around calls to the service (opossum).
#[derive(Debug, Clone)]
pub struct BreakerPolicy {
    pub config: BreakerConfig,
    /// A call slower than this fails (opossum's `timeout`).
    pub timeout_ns: u64,
    /// What the fallback answers; `None`: no fallback, an open breaker answers 503.
    pub fallback_status: Option<u16>,
}

/// What a sidecar knows of one upstream service, fixed at assembly and shared by every caller.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub group: GroupId,
    /// The service's name, for `events.csv`.
    pub name: Arc<str>,
    pub instances: Vec<NodeId>,
    pub load_balancer: LoadBalancer,
    /// The route timeout over the whole call, retries included; `None` waits (Istio's default).
    pub timeout_ns: Option<u64>,
    pub retries: Option<RetryPolicy>,
    /// Envoy's `max_retries` circuit-breaker threshold: retries in flight at once when no
    /// budget is set (Envoy's default is 3).
    pub max_concurrent_retries: u32,
    pub pool: PoolLimits,
    pub outlier: Option<OutlierConfig>,
    pub breaker: Option<BreakerPolicy>,
    pub fault: Option<FaultInjection>,
    /// The routes over the service's versions; empty: every instance takes calls. A rollout
    /// controller changes each caller's copy as it goes.
    pub routes: RouteTable,
    /// Instances not deployed when the run starts (a rolling update's new version): no caller
    /// sends to them until the control plane adds them to the endpoints.
    pub undeployed: Vec<u32>,
    /// A strangler migration away from this service: calls to some of its endpoints may go to
    /// another service instead.
    pub redirect: Option<RedirectConfig>,
    /// Whether the service's instances start unready (it has a start time or dependencies):
    /// callers send them nothing until each says it is ready.
    pub gated: bool,
}

/// Where a strangler migration sends calls it takes from this service.
#[derive(Debug, Clone)]
pub struct RedirectConfig {
    /// The new service.
    pub to: GroupId,
    /// For each of this service's endpoints, the new service's endpoint of the same name, if
    /// it has one: only those calls move.
    pub endpoints: Vec<Option<u32>>,
}

impl UpstreamConfig {
    /// An upstream with no policy but the load balancer: what a scenario without `[mesh]` gets.
    pub fn plain(
        group: GroupId,
        name: &str,
        instances: Vec<NodeId>,
        load_balancer: LoadBalancer,
    ) -> Self {
        UpstreamConfig {
            group,
            name: Arc::from(name),
            instances,
            load_balancer,
            timeout_ns: None,
            retries: None,
            max_concurrent_retries: 3,
            pool: PoolLimits::UNLIMITED,
            outlier: None,
            breaker: None,
            fault: None,
            routes: RouteTable::default(),
            undeployed: Vec::new(),
            redirect: None,
            gated: false,
        }
    }
}

/// A run of refusals (retries denied by a budget, requests over a rate limit): logged when it
/// starts, and when one is let through a second or more after the last refusal, so a limit at
/// its edge logs one episode, not one line a call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Episode {
    pub since: SimTime,
    pub last: SimTime,
    pub count: u64,
}

/// Quiet time after the last refusal before an episode is logged as over.
pub(crate) const EPISODE_QUIET_NS: u64 = 1_000_000_000;

/// Envoy's `healthy_panic_threshold`: below half the hosts healthy, balance over all of them.
const HEALTHY_PANIC_PERCENT: usize = 50;

/// One sidecar's state for one upstream.
pub(crate) struct Upstream {
    pub config: Arc<UpstreamConfig>,
    /// The control plane's view: which instances are up.
    up: Vec<bool>,
    /// Which instances are deployed (in the service's endpoints); a rolling update changes it.
    deployed: Vec<bool>,
    /// Which instances said they are ready (always, for a service without a start time or
    /// dependencies).
    ready: Vec<bool>,
    /// Instances up, deployed and ready.
    live: Vec<u32>,
    /// This caller's routes: the configured ones, as rollouts have changed them since.
    pub routes: RouteTable,
    /// The share of calls a strangler migration sends to the new service, in percent.
    pub redirect_percent: f64,
    /// Attempts in flight per instance, from this sidecar.
    pub active: Vec<u32>,
    /// Attempts in flight in all.
    pub in_flight: u32,
    /// Retries in flight.
    pub active_retries: u32,
    /// Calls waiting for a free connection, oldest first; stale keys are skipped.
    pub pending: VecDeque<SlabKey>,
    pub pending_count: u32,
    balancer: BalancerState,
    pub route_deadlines: Deadlines,
    pub try_deadlines: Deadlines,
    pub breaker_deadlines: Deadlines,
    pub outlier: Option<OutlierDetector>,
    pub outlier_armed: bool,
    pub breaker: Option<CircuitBreaker>,
    /// The breaker's state as last reported to the gauges.
    pub breaker_seen: BreakerState,
    /// The current run of retries denied by the budget or the cap, for `events.csv`.
    pub denials: Option<Episode>,
    peak_ewma: Option<PeakEwma>,
    /// Scratch space for the candidates of one pick.
    candidates: Vec<u32>,
}

impl Upstream {
    pub fn new(config: Arc<UpstreamConfig>) -> Self {
        let count = config.instances.len();
        let mut deployed = vec![true; count];
        for &index in &config.undeployed {
            deployed[index as usize] = false;
        }
        let ready = vec![!config.gated; count];
        Upstream {
            up: vec![true; count],
            live: (0..count as u32)
                .filter(|&index| deployed[index as usize] && ready[index as usize])
                .collect(),
            deployed,
            ready,
            routes: config.routes.clone(),
            redirect_percent: 0.0,
            active: vec![0; count],
            in_flight: 0,
            active_retries: 0,
            pending: VecDeque::new(),
            pending_count: 0,
            balancer: BalancerState::new(match config.load_balancer {
                LoadBalancer::PeakEwma => LoadBalancer::LeastRequest,
                other => other,
            }),
            route_deadlines: Deadlines::default(),
            try_deadlines: Deadlines::default(),
            breaker_deadlines: Deadlines::default(),
            outlier: config
                .outlier
                .clone()
                .map(|outlier| OutlierDetector::new(outlier, count)),
            outlier_armed: false,
            breaker: config
                .breaker
                .as_ref()
                .map(|breaker| CircuitBreaker::new(breaker.config.clone())),
            breaker_seen: BreakerState::Closed,
            denials: None,
            peak_ewma: (config.load_balancer == LoadBalancer::PeakEwma)
                .then(|| PeakEwma::new(count)),
            candidates: Vec::new(),
            config,
        }
    }

    /// The control plane says instance `index` is up or down; false when nothing changed.
    pub fn set_up(&mut self, index: usize, up: bool) -> bool {
        if self.up[index] == up {
            return false;
        }
        self.up[index] = up;
        self.refresh_live();
        true
    }

    /// The control plane adds instance `index` to the endpoints or takes it away.
    pub fn set_deployed(&mut self, index: usize, deployed: bool) {
        self.deployed[index] = deployed;
        self.refresh_live();
    }

    /// Instance `index` says it is ready, or not.
    pub fn set_ready(&mut self, index: usize, ready: bool) {
        self.ready[index] = ready;
        self.refresh_live();
    }

    fn refresh_live(&mut self) {
        self.live = (0..self.up.len() as u32)
            .filter(|&i| {
                let i = i as usize;
                self.up[i] && self.deployed[i] && self.ready[i]
            })
            .collect();
    }

    /// Whether any instance (of `subset`, when given) is up: [`Upstream::pick`] finds one
    /// exactly when this holds (with every live instance ejected, panic mode balances over all
    /// of them).
    pub fn has_live(&self, subset: Option<&Range<u32>>) -> bool {
        match subset {
            None => !self.live.is_empty(),
            Some(subset) => self.live.iter().any(|instance| subset.contains(instance)),
        }
    }

    /// Picks an instance for an attempt: among live instances not ejected (all live ones when
    /// fewer than half are healthy: Envoy's panic mode), preferring one not `tried` yet.
    pub fn pick(
        &mut self,
        now: SimTime,
        tried: &[u32],
        subset: Option<&Range<u32>>,
        rng: &mut SimRng,
    ) -> Option<u32> {
        if self.live.is_empty() {
            return None;
        }
        if self.outlier.is_none() && subset.is_none() && tried.is_empty() {
            // Every live instance is a candidate: pick among them where they are, rather than
            // copying the list on every call.
            return match &self.peak_ewma {
                Some(peak_ewma) => peak_ewma.pick(now, &self.live, &self.active, rng),
                None => self.balancer.pick(&self.live, &self.active, rng),
            };
        }
        self.candidates.clear();
        match &self.outlier {
            Some(outlier) => {
                let healthy = self
                    .live
                    .iter()
                    .filter(|&&i| !outlier.is_ejected(i as usize))
                    .count();
                let panic = healthy * 100 < self.up.len() * HEALTHY_PANIC_PERCENT;
                self.candidates.extend(
                    self.live
                        .iter()
                        .copied()
                        .filter(|&i| panic || !outlier.is_ejected(i as usize)),
                );
            }
            None => self.candidates.extend_from_slice(&self.live),
        }
        if let Some(subset) = subset {
            // The route chose a version: its instances only.
            self.candidates.retain(|instance| subset.contains(instance));
        }
        if !tried.is_empty() && self.candidates.iter().any(|i| !tried.contains(i)) {
            self.candidates.retain(|i| !tried.contains(i));
        }
        if self.candidates.is_empty() {
            return None;
        }
        match &self.peak_ewma {
            Some(peak_ewma) => peak_ewma.pick(now, &self.candidates, &self.active, rng),
            None => self.balancer.pick(&self.candidates, &self.active, rng),
        }
    }

    /// Forgets everything but the control plane's view (endpoints, routes): the process that
    /// held it crashed.
    pub fn reset(&mut self) {
        let fresh = Upstream::new(Arc::clone(&self.config));
        let (up, live) = (std::mem::take(&mut self.up), std::mem::take(&mut self.live));
        let deployed = std::mem::take(&mut self.deployed);
        let ready = std::mem::take(&mut self.ready);
        let routes = std::mem::take(&mut self.routes);
        *self = Upstream {
            up,
            live,
            deployed,
            ready,
            routes,
            redirect_percent: self.redirect_percent,
            ..fresh
        };
    }

    /// An attempt to `instance` took `rtt_ns`: feeds the peak-EWMA balancer.
    pub fn observe(&mut self, now: SimTime, instance: u32, rtt_ns: u64) {
        if let Some(peak_ewma) = &mut self.peak_ewma {
            peak_ewma.observe(now, instance as usize, rtt_ns);
        }
    }
}
