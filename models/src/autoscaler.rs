//! A Kubernetes HorizontalPodAutoscaler as a node of the simulated world.

mod hpa;
#[cfg(test)]
mod hpa_tests;

pub use hpa::{
    Decision, Hpa, HpaSpec, PolicyKind, Reading, ScalingPolicy, ScalingRules, SelectPolicy,
    recommend,
};
