//! Kubernetes' `HorizontalPodAutoscaler` (autoscaling/v2) as a pure calculation: what it is told
//! (the pods' readings, the current count, the time) in, the replica count it sets out.
//!
//! Two halves, after their sources at kubernetes/kubernetes@v1.31.0:
//! - `recommend` is `ReplicaCalculator.calcPlainMetricReplicas`
//!   (`pkg/controller/podautoscaler/replica_calculator.go`): desired =
//!   ceil(ready pods × average / target), nothing while |average / target − 1| ≤ tolerance, and
//!   its treatment of pods without a reading and of unready pods;
//! - `Hpa::normalize` is `normalizeDesiredReplicasWithBehaviors`
//!   (`pkg/controller/podautoscaler/horizontal.go`): the stabilization windows
//!   (`stabilizeRecommendationWithBehaviors`), then the scaling policies
//!   (`convertDesiredReplicasWithBehaviorRate`, `calculateScaleUpLimitWithScalingRules`,
//!   `calculateScaleDownLimitWithBehaviors`) and `min_replicas`/`max_replicas`.

use std::cmp::Ordering;

use meshsim_sim::SimTime;

/// `--horizontal-pod-autoscaler-tolerance`'s default.
pub(crate) const TOLERANCE: f64 = 0.1;

/// What one pod of the current count says at a sync.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Reading {
    /// A ready pod's metric.
    Ready(f64),
    /// A pod not ready yet (still starting): Kubernetes' unready (pending) pods.
    Unready,
    /// A ready pod whose metric did not arrive (a scrape lost, or its first scrape).
    Missing,
}

/// `selectPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy that allows the largest change (the default).
    Max,
    /// The policy that allows the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

/// A policy's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Percent,
    Pods,
}

/// One of `policies`: at most `value` pods (or percent of the count at the period's start) per
/// `period_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalingPolicy {
    pub kind: PolicyKind,
    pub value: u32,
    pub period_ns: u64,
}

/// `HPAScalingRules`: one direction's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalingRules {
    pub stabilization_window_ns: u64,
    pub select: SelectPolicy,
    pub policies: Vec<ScalingPolicy>,
}

const SECOND_NS: u64 = 1_000_000_000;

impl ScalingRules {
    /// The default scale-up: no stabilization, 100 % or 4 pods per 15 s, whichever is more
    /// (the HPA documentation's "Default Behavior").
    pub fn default_scale_up() -> Self {
        ScalingRules {
            stabilization_window_ns: 0,
            select: SelectPolicy::Max,
            policies: vec![
                ScalingPolicy {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period_ns: 15 * SECOND_NS,
                },
                ScalingPolicy {
                    kind: PolicyKind::Pods,
                    value: 4,
                    period_ns: 15 * SECOND_NS,
                },
            ],
        }
    }

    /// The default scale-down: the highest recommendation of the last 300 s, then down to it
    /// at once (100 % per 15 s).
    pub fn default_scale_down() -> Self {
        ScalingRules {
            stabilization_window_ns: 300 * SECOND_NS,
            select: SelectPolicy::Max,
            policies: vec![ScalingPolicy {
                kind: PolicyKind::Percent,
                value: 100,
                period_ns: 15 * SECOND_NS,
            }],
        }
    }
}

/// The autoscaler's bounds and behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaSpec {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target: f64,
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

/// `ReplicaCalculator.calcPlainMetricReplicas`: the count the readings ask for, or `None` when
/// no ready pod has a reading (Kubernetes: "did not receive metrics for any ready pods", and
/// no scaling). `current` is the count the readings are of.
pub(crate) fn recommend(current: u32, readings: &[Reading], target: f64) -> Option<u32> {
    let ready: Vec<f64> = readings
        .iter()
        .filter_map(|reading| match reading {
            Reading::Ready(value) => Some(*value),
            _ => None,
        })
        .collect();
    if ready.is_empty() {
        return None;
    }
    let count = |kind: fn(&Reading) -> bool| readings.iter().filter(|r| kind(r)).count();
    let unready = count(|r| matches!(r, Reading::Unready));
    let missing = count(|r| matches!(r, Reading::Missing));
    let usage_ratio = ready.iter().sum::<f64>() / ready.len() as f64 / target;
    let rebalance_unready = unready > 0 && usage_ratio > 1.0;
    if !rebalance_unready && missing == 0 {
        if (1.0 - usage_ratio).abs() <= TOLERANCE {
            return Some(current);
        }
        return Some(ceil_count(usage_ratio * ready.len() as f64));
    }
    // On a scale-down a pod without a reading counts as at the target, on a scale-up as idle;
    // an unready pod counts as idle on a scale-up.
    let missing_value = if usage_ratio < 1.0 { target } else { 0.0 };
    let sum = ready.iter().sum::<f64>() + missing_value * missing as f64;
    let mut pods = ready.len() + missing;
    if rebalance_unready {
        pods += unready;
    }
    let new_ratio = sum / pods as f64 / target;
    let flips = (usage_ratio < 1.0 && new_ratio > 1.0) || (usage_ratio > 1.0 && new_ratio < 1.0);
    if (1.0 - new_ratio).abs() <= TOLERANCE || flips {
        return Some(current);
    }
    let proposed = ceil_count(new_ratio * pods as f64);
    if (new_ratio < 1.0 && proposed > current) || (new_ratio > 1.0 && proposed < current) {
        return Some(current);
    }
    Some(proposed)
}

/// A replica count from a product of non-negative numbers, rounded up as Go's `math.Ceil`.
fn ceil_count(value: f64) -> u32 {
    // Counts are bounded by the scenario's limits, far below u32::MAX.
    value.ceil().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// What one sync decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    /// The count the readings asked for (before stabilization and policies).
    pub(crate) recommended: u32,
    /// The count to run now.
    pub(crate) desired: u32,
    /// Whether the stabilization window held the count away from `recommended`.
    pub(crate) stabilized: bool,
}

/// The autoscaler's memory between syncs: its recent recommendations and scale events.
#[derive(Debug, Clone)]
pub(crate) struct Hpa {
    spec: HpaSpec,
    /// `recommendations`: each sync's unstabilized recommendation.
    recommendations: Vec<(SimTime, u32)>,
    /// `scaleUpEvents` and `scaleDownEvents`: the pods added or removed, and when.
    scale_up_events: Vec<(SimTime, u32)>,
    scale_down_events: Vec<(SimTime, u32)>,
}

impl Hpa {
    pub(crate) fn new(spec: HpaSpec) -> Self {
        Hpa {
            spec,
            recommendations: Vec::new(),
            scale_up_events: Vec::new(),
            scale_down_events: Vec::new(),
        }
    }

    pub(crate) fn spec(&self) -> &HpaSpec {
        &self.spec
    }

    /// One sync: `current` pods, the readings' recommendation `recommended` (from
    /// [`recommend`]). Returns the count to run and remembers the scale event.
    pub(crate) fn normalize(&mut self, now: SimTime, current: u32, recommended: u32) -> Decision {
        // `recordInitialRecommendation`: the first sync remembers the count it found.
        if self.recommendations.is_empty() {
            self.recommendations.push((now, current));
        }
        let (desired, stabilized) = if current > self.spec.max_replicas {
            (self.spec.max_replicas, false)
        } else if current < self.spec.min_replicas {
            (self.spec.min_replicas, false)
        } else {
            let stabilized = self.stabilize(now, current, recommended);
            (
                self.limit_rate(now, current, stabilized),
                stabilized != recommended,
            )
        };
        if desired > current {
            self.scale_up_events.push((now, desired - current));
        } else if desired < current {
            self.scale_down_events.push((now, current - desired));
        }
        Decision {
            recommended,
            desired,
            stabilized,
        }
    }

    /// `stabilizeRecommendationWithBehaviors`: the count moves up no further than the lowest
    /// recommendation of the scale-up window, and down no further than the highest of the
    /// scale-down window (both including this one); this one is remembered.
    fn stabilize(&mut self, now: SimTime, current: u32, recommended: u32) -> u32 {
        let within = |at: SimTime, window_ns: u64| at.as_nanos() + window_ns > now.as_nanos();
        let mut up = recommended;
        let mut down = recommended;
        for &(at, value) in &self.recommendations {
            if within(at, self.spec.scale_up.stabilization_window_ns) {
                up = up.min(value);
            }
            if within(at, self.spec.scale_down.stabilization_window_ns) {
                down = down.max(value);
            }
        }
        let longest = self
            .spec
            .scale_up
            .stabilization_window_ns
            .max(self.spec.scale_down.stabilization_window_ns);
        // Kubernetes reuses the slot of a recommendation older than both windows; dropping
        // them keeps the same set.
        self.recommendations.retain(|&(at, _)| within(at, longest));
        self.recommendations.push((now, recommended));
        current.max(up).min(down)
    }

    /// `convertDesiredReplicasWithBehaviorRate`: the policies' limit and the bounds.
    fn limit_rate(&self, now: SimTime, current: u32, desired: u32) -> u32 {
        match desired.cmp(&current) {
            Ordering::Greater => {
                let limit = self.scale_up_limit(now, current).max(current);
                desired.min(limit.min(self.spec.max_replicas))
            }
            Ordering::Less => {
                let limit = self.scale_down_limit(now, current).min(current);
                desired.max(limit.max(self.spec.min_replicas))
            }
            Ordering::Equal => desired,
        }
    }

    /// The count at the start of `period_ns`: the current one less the pods added and plus the
    /// pods removed within it (`getReplicasChangePerPeriod`).
    fn period_start(&self, now: SimTime, current: u32, period_ns: u64) -> i64 {
        let changed = |events: &[(SimTime, u32)]| -> i64 {
            events
                .iter()
                .filter(|(at, _)| at.as_nanos() + period_ns > now.as_nanos())
                .map(|&(_, pods)| i64::from(pods))
                .sum()
        };
        i64::from(current) - changed(&self.scale_up_events) + changed(&self.scale_down_events)
    }

    /// `calculateScaleUpLimitWithScalingRules`.
    fn scale_up_limit(&self, now: SimTime, current: u32) -> u32 {
        let rules = &self.spec.scale_up;
        let proposals = rules.policies.iter().map(|policy| {
            let start = self.period_start(now, current, policy.period_ns);
            match policy.kind {
                PolicyKind::Pods => start + i64::from(policy.value),
                // Rounded up, "because the proposed change might not increase the replica
                // count causing the target to never scale up".
                PolicyKind::Percent => {
                    (start as f64 * (1.0 + f64::from(policy.value) / 100.0)).ceil() as i64
                }
            }
        });
        let limit = match rules.select {
            SelectPolicy::Disabled => return current,
            SelectPolicy::Max => proposals.max(),
            SelectPolicy::Min => proposals.min(),
        };
        to_count(limit.unwrap_or(i64::from(current)))
    }

    /// `calculateScaleDownLimitWithBehaviors`.
    fn scale_down_limit(&self, now: SimTime, current: u32) -> u32 {
        let rules = &self.spec.scale_down;
        let proposals = rules.policies.iter().map(|policy| {
            let start = self.period_start(now, current, policy.period_ns);
            match policy.kind {
                PolicyKind::Pods => start - i64::from(policy.value),
                // Go's int32() conversion truncates.
                PolicyKind::Percent => {
                    (start as f64 * (1.0 - f64::from(policy.value) / 100.0)).trunc() as i64
                }
            }
        });
        // For a scale-down the largest change is the lowest count.
        let limit = match rules.select {
            SelectPolicy::Disabled => return current,
            SelectPolicy::Max => proposals.min(),
            SelectPolicy::Min => proposals.max(),
        };
        to_count(limit.unwrap_or(i64::from(current)))
    }
}

fn to_count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}
