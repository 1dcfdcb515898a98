//! The sidecar's timers, and their place in the kernel's timer ids.

use meshsim_sim::TimerId;

use crate::cluster::ClusterIndex;
use crate::slab::SlabKey;
use crate::timer::{TimerCode, compose, compose_slab, kind, split};
use crate::upstream::{HostIndex, UpstreamIndex};

/// What a sidecar waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SidecarTimer {
    /// The earliest route timeout of an upstream's calls with one policy (0: the service's,
    /// `n`: the `n`th route policy).
    CallTimeout(UpstreamIndex, u16),
    /// The earliest per-try timeout of an upstream's tries with one policy.
    TryTimeout(UpstreamIndex, u16),
    /// The earliest application circuit-breaker timeout of an upstream's calls.
    BreakerTimeout(UpstreamIndex),
    /// A retry's back-off ran out for a call.
    Backoff(SlabKey),
    /// An injected delay ran out for a call.
    FaultDelay(SlabKey),
    /// Outlier detection's interval for one cluster.
    OutlierInterval(UpstreamIndex, ClusterIndex),
    /// An open application breaker's reset timeout ran out: it is half open now, logged when
    /// it happens rather than at the next call.
    BreakerReset(UpstreamIndex),
    /// A failure-accrual penalty ran out: the host takes one probe.
    AccrualPenalty(UpstreamIndex, ClusterIndex, HostIndex),
    /// Linkerd's balancer of one cluster waited its failfast timeout for an endpoint.
    FailFast(UpstreamIndex, ClusterIndex),
}

/// Where the cluster sits in a cluster timer's payload: the upstream in the bits above it, the
/// host in the 32 below.
const CLUSTER_SHIFT: u32 = 32;
/// Where the upstream sits in a cluster timer's payload.
const UPSTREAM_SHIFT: u32 = 40;

/// Where the policy sits in a route or try timeout's payload: above the upstream, so policy 0
/// (the service's) keeps the upstream alone.
const POLICY_SHIFT: u32 = 16;

/// The payload of a timer about `upstream`'s cluster `cluster` (and `host`, for failure
/// accrual): the upstream in the top bits, the cluster in the next 8, the host in the low 32.
fn cluster_payload(upstream: UpstreamIndex, cluster: ClusterIndex, host: HostIndex) -> u64 {
    u64::from(upstream.0) << UPSTREAM_SHIFT
        | u64::from(cluster.0) << CLUSTER_SHIFT
        | u64::from(host.0)
}

/// The upstream, cluster and host of a [`cluster_payload`].
fn split_cluster_payload(payload: u64) -> Option<(UpstreamIndex, ClusterIndex, HostIndex)> {
    Some((
        UpstreamIndex(u16::try_from(payload >> UPSTREAM_SHIFT).ok()?),
        ClusterIndex((payload >> CLUSTER_SHIFT) as u8),
        HostIndex(payload as u32),
    ))
}

impl TimerCode for SidecarTimer {
    fn encode(self) -> TimerId {
        let upstream = |kind: u8, index: UpstreamIndex| compose(kind, u64::from(index.0));
        match self {
            SidecarTimer::CallTimeout(index, policy) => compose(
                kind::CALL_TIMEOUT,
                u64::from(policy) << POLICY_SHIFT | u64::from(index.0),
            ),
            SidecarTimer::TryTimeout(index, policy) => compose(
                kind::TRY_TIMEOUT,
                u64::from(policy) << POLICY_SHIFT | u64::from(index.0),
            ),
            SidecarTimer::BreakerTimeout(index) => upstream(kind::BREAKER_TIMEOUT, index),
            SidecarTimer::BreakerReset(index) => upstream(kind::BREAKER_RESET, index),
            SidecarTimer::Backoff(call) => compose_slab(kind::BACKOFF, call),
            SidecarTimer::FaultDelay(call) => compose_slab(kind::FAULT_DELAY, call),
            SidecarTimer::OutlierInterval(index, cluster) => compose(
                kind::OUTLIER_INTERVAL,
                cluster_payload(index, cluster, HostIndex(0)),
            ),
            SidecarTimer::AccrualPenalty(index, cluster, host) => {
                compose(kind::ACCRUAL_PENALTY, cluster_payload(index, cluster, host))
            }
            SidecarTimer::FailFast(index, cluster) => compose(
                kind::FAIL_FAST,
                cluster_payload(index, cluster, HostIndex(0)),
            ),
        }
    }

    fn decode(id: TimerId) -> Option<Self> {
        let (kind, payload) = split(id);
        let upstream = || u16::try_from(payload).ok().map(UpstreamIndex);
        let with_policy = || {
            let policy = u16::try_from(payload >> POLICY_SHIFT).ok()?;
            Some((UpstreamIndex(payload as u16), policy))
        };
        // The timers about a whole cluster carry no host: its bits are zero.
        let cluster = || match split_cluster_payload(payload)? {
            (index, cluster, HostIndex(0)) => Some((index, cluster)),
            _ => None,
        };
        Some(match kind {
            kind::CALL_TIMEOUT => {
                let (index, policy) = with_policy()?;
                SidecarTimer::CallTimeout(index, policy)
            }
            kind::TRY_TIMEOUT => {
                let (index, policy) = with_policy()?;
                SidecarTimer::TryTimeout(index, policy)
            }
            kind::BREAKER_TIMEOUT => SidecarTimer::BreakerTimeout(upstream()?),
            kind::BREAKER_RESET => SidecarTimer::BreakerReset(upstream()?),
            kind::BACKOFF => SidecarTimer::Backoff(SlabKey(payload)),
            kind::FAULT_DELAY => SidecarTimer::FaultDelay(SlabKey(payload)),
            kind::OUTLIER_INTERVAL => {
                let (index, cluster) = cluster()?;
                SidecarTimer::OutlierInterval(index, cluster)
            }
            kind::ACCRUAL_PENALTY => {
                let (index, cluster, host) = split_cluster_payload(payload)?;
                SidecarTimer::AccrualPenalty(index, cluster, host)
            }
            kind::FAIL_FAST => {
                let (index, cluster) = cluster()?;
                SidecarTimer::FailFast(index, cluster)
            }
            _ => return None,
        })
    }
}
