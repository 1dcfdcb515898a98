//! What a caller's sidecar knows of one upstream service: the mesh policy compiled from
//! `[mesh.SERVICE]` and the scenario's mesh profile, shared by every caller.
//!
//! The models know mechanisms, not products: the root crate's profile decides which mechanism
//! and which numbers an Istio, Envoy or Linkerd proxy has, and writes them here.

use std::ops::{Range, RangeInclusive};
use std::sync::Arc;

use meshsim_sim::{GroupId, NodeId};

use crate::balancer::LoadBalancer;
use crate::policy::breaker::BreakerConfig;
use crate::policy::failure_accrual::FailureAccrualConfig;
use crate::policy::outlier::OutlierConfig;
use crate::policy::retry_budget::RetryBudget;
use crate::policy::tps_budget::TpsBudgetConfig;
use crate::route::RouteTable;

/// Which failed tries are retried. The root crate compiles Envoy's `retry_on` words and
/// Linkerd's status conditions into this one form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryOn {
    /// Answers retried by their status (Envoy's `5xx`, `gateway-error`, `retriable-4xx`,
    /// `retriable_status_codes`; Linkerd's `retry.linkerd.io/http`).
    pub statuses: Vec<RangeInclusive<u16>>,
    /// A refused connection (Envoy's `connect-failure`, `reset`, `5xx`, `gateway-error`).
    pub connect_failure: bool,
    /// A connection closed before the answer (Envoy's `reset`, `5xx`, `gateway-error`).
    pub reset: bool,
    /// A try that ran out of its per-try timeout (Envoy's `reset`, `5xx`, `gateway-error`;
    /// Linkerd's `retry.linkerd.io/timeout`, always retried).
    pub try_timeout: bool,
    /// A call Linkerd's balancer failed fast: its annotated retries retry it, "since retrying
    /// may put us in another backend that is available" (route/retry.rs#L127-L154).
    pub fail_fast: bool,
}

impl RetryOn {
    /// Whether an answer with `status` is retried.
    pub fn status(&self, status: u16) -> bool {
        self.statuses.iter().any(|range| range.contains(&status))
    }
}

/// How long a retry waits before it goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backoff {
    /// Envoy's fully jittered exponential back-off.
    Envoy { base_ns: u64, max_ns: u64 },
    /// Linkerd's exponential back-off with added jitter.
    Linkerd {
        min_ns: u64,
        max_ns: u64,
        jitter_ratio: f64,
    },
    /// At once (Linkerd's ServiceProfile retries).
    Immediate,
}

/// What bounds the retries to one cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryLimit {
    /// Envoy's `max_retries` circuit breaker: retries in flight at once.
    Concurrent(u32),
    /// Envoy's retry budget.
    Budget(RetryBudget),
    /// Linkerd's ServiceProfile budget (tower's `TpsBudget`).
    Tps(TpsBudgetConfig),
    /// Nothing but the attempts.
    Unlimited,
}

/// The retry policy.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first try.
    pub attempts: u32,
    /// Each try's own timeout, from the moment it has a connection.
    pub per_try_timeout_ns: Option<u64>,
    /// Linkerd: the last try has no per-try timeout (its response-headers timeout is removed).
    pub last_try_untimed: bool,
    pub retry_on: RetryOn,
    pub backoff: Backoff,
    pub limit: RetryLimit,
    /// Envoy's `previous_hosts` predicate: a retry whose host was tried before draws again, at
    /// most this many times, and then goes to its last draw. `None`: no predicate.
    pub host_reselections: Option<u32>,
}

/// Envoy's cluster circuit-breaker thresholds; `u32::MAX` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Connections open to the cluster's hosts at once (HTTP/1: one request each).
    pub max_connections: u32,
    /// Calls waiting for a connection; beyond, a call fails fast with 503.
    pub max_pending_requests: u32,
    /// Requests on connections at once; a call that would pass it fails at once with 503.
    pub max_requests: u32,
}

impl PoolLimits {
    pub const UNLIMITED: PoolLimits = PoolLimits {
        max_connections: u32::MAX,
        max_pending_requests: u32::MAX,
        max_requests: u32::MAX,
    };
}

/// What a sidecar does with a call when no instance of its cluster can take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoInstance {
    /// Envoy: 503 "no healthy upstream" at once.
    FailAtOnce,
    /// Linkerd: the call waits in the balancer's queue; after `failfast_ns` without an instance
    /// the waiting calls fail (504) and later ones are shed (503) until one is ready again.
    Queue { failfast_ns: u64, capacity: u32 },
}

/// Fault injection on the route: delay and abort a share of calls.
#[derive(Debug, Clone, Copy)]
pub struct FaultInjection {
    pub delay_ns: u64,
    pub delay_probability: f64,
    pub abort_status: u16,
    pub abort_probability: f64,
}

/// The policy of calls one route takes, when the route sets its own: Envoy's router and fault
/// filter read the selected route's `RouteAction.timeout`, `retry_policy` and
/// `typed_per_filter_config`, so two routes to one service may differ in each.
#[derive(Debug, Clone)]
pub struct RoutePolicy {
    /// The route timeout over the whole call, retries included; `None` waits.
    pub timeout_ns: Option<u64>,
    pub retries: Option<RetryPolicy>,
    pub fault: Option<FaultInjection>,
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
    /// Each version's instances: a version a route reaches is a cluster of its own (an Istio
    /// subset, a Linkerd backend).
    pub subsets: Vec<Range<u32>>,
    pub load_balancer: LoadBalancer,
    /// The route timeout over the whole call, retries included; `None` waits.
    pub timeout_ns: Option<u64>,
    pub retries: Option<RetryPolicy>,
    pub pool: PoolLimits,
    pub outlier: Option<OutlierConfig>,
    /// Envoy's healthy panic threshold, in whole percent: below it the balancer uses every host,
    /// ejected ones too; 0 never panics.
    pub panic_threshold_percent: u32,
    /// Linkerd's consecutive failure accrual.
    pub failure_accrual: Option<FailureAccrualConfig>,
    pub no_instance: NoInstance,
    /// The status the sidecar answers for a refused or reset connection: Envoy's 503, Linkerd's
    /// 502.
    pub connection_error_status: u16,
    /// Whether each try draws its version again (Linkerd's retries sit above its backend
    /// distribution); Envoy keeps a call's retries on the cluster its route chose.
    pub route_each_try: bool,
    pub breaker: Option<BreakerPolicy>,
    pub fault: Option<FaultInjection>,
    /// The policies of the routes that set their own timeout, retries or fault: a route's
    /// `policy` `n` is entry `n − 1`; policy 0 is the service's (the fields above).
    pub route_policies: Vec<RoutePolicy>,
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
    /// Whether the sidecar reports each call's end (`Record::CallEnded`) for `--openmetrics`.
    /// Off, it records nothing more per call: the export's cost falls only on runs that ask.
    pub report_call_ends: bool,
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
    /// An upstream with no policy at all: round robin, no retries, no limits, Envoy's answers.
    /// Tests and callers without a mesh profile start from here.
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
            subsets: Vec::new(),
            load_balancer,
            timeout_ns: None,
            retries: None,
            pool: PoolLimits::UNLIMITED,
            outlier: None,
            panic_threshold_percent: 50,
            failure_accrual: None,
            no_instance: NoInstance::FailAtOnce,
            connection_error_status: 503,
            route_each_try: false,
            breaker: None,
            fault: None,
            route_policies: Vec::new(),
            routes: RouteTable::default(),
            undeployed: Vec::new(),
            redirect: None,
            gated: false,
            report_call_ends: false,
        }
    }

    /// The route timeout of calls with `policy` (0: the service's).
    pub(crate) fn timeout_ns(&self, policy: u16) -> Option<u64> {
        match policy.checked_sub(1) {
            None => self.timeout_ns,
            Some(index) => self.route_policies[usize::from(index)].timeout_ns,
        }
    }

    /// The retry policy of calls with `policy` (0: the service's).
    pub(crate) fn retries(&self, policy: u16) -> Option<&RetryPolicy> {
        match policy.checked_sub(1) {
            None => self.retries.as_ref(),
            Some(index) => self.route_policies[usize::from(index)].retries.as_ref(),
        }
    }

    /// The fault injected into calls with `policy` (0: the service's).
    pub(crate) fn fault(&self, policy: u16) -> Option<FaultInjection> {
        match policy.checked_sub(1) {
            None => self.fault,
            Some(index) => self.route_policies[usize::from(index)].fault,
        }
    }

    /// How many policies calls to this service may have: the service's and each route's own.
    pub(crate) fn policy_count(&self) -> usize {
        1 + self.route_policies.len()
    }

    /// How many clusters a caller keeps for this service: the whole service, and each version
    /// once a route picks versions. Without routes every call goes to the whole service, and
    /// the versions' clusters would be dead weight.
    pub(crate) fn cluster_count(&self) -> usize {
        if self.routes.routes.is_empty() {
            1
        } else {
            1 + self.subsets.len()
        }
    }

    /// The cluster a call to `subset` goes to: 0 for the whole service, `1 + v` for version
    /// `v`'s subset.
    pub(crate) fn cluster_of(&self, subset: Option<&Range<u32>>) -> usize {
        let cluster = match subset {
            None => 0,
            Some(subset) => self
                .subsets
                .iter()
                .position(|candidate| candidate == subset)
                .map_or(0, |version| version + 1),
        };
        assert!(cluster < self.cluster_count(), "a route picks a version");
        cluster
    }

    /// The instances of cluster `cluster`.
    pub(crate) fn cluster_hosts(&self, cluster: usize) -> Range<u32> {
        match cluster {
            0 => 0..self.instances.len() as u32,
            version => self.subsets[version - 1].clone(),
        }
    }
}
