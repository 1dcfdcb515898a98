//! `[service.autoscale]`: a Kubernetes `HorizontalPodAutoscaler` (`autoscaling/v2`) on the
//! service, its keys those of the HPA's spec in `snake_case`.

use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;
use crate::scenario::number::Real;

/// `[service.autoscale]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Autoscale {
    /// The HPA's `minReplicas`, whose default is 1.
    #[serde(default = "default_min_replicas")]
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// `"cpu"`, `"requests"` or `"concurrency"`; the checker refuses any other word.
    pub metric: String,
    /// The average per instance the HPA keeps the metric at.
    pub target: Real,
    #[serde(default)]
    pub behavior: Behavior,
}

fn default_min_replicas() -> u32 {
    1
}

/// `[service.autoscale.behavior]`: each direction's rules; a direction left out keeps the
/// HPA's defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Behavior {
    pub scale_up: Option<ScalingRules>,
    pub scale_down: Option<ScalingRules>,
}

/// `[service.autoscale.behavior.scale_up]` or `scale_down`: a key left out keeps the HPA's
/// default for its direction.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingRules {
    pub stabilization_window: Option<Duration>,
    /// `"max"`, `"min"` or `"disabled"`.
    pub select_policy: Option<String>,
    pub policies: Option<Vec<ScalingPolicy>>,
}

/// `{ type = "percent", value = 100, period = "15s" }`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingPolicy {
    /// `"percent"` or `"pods"`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: u32,
    pub period: Duration,
}
