//! Whether an autoscaler has an instance running, draining or standing by, and how long a
//! stopped one may drain.

/// Kubernetes' `terminationGracePeriodSeconds` default: a deleted pod has 30 s to finish
/// before it is killed (kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/,
/// "Termination of Pods").
pub(crate) const TERMINATION_GRACE_NS: u64 = 30_000_000_000;

/// Whether an instance runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deployment {
    /// Deployed: its process runs (or is down after a crash, to restart).
    Running,
    /// Told to stop: out of the callers' endpoints, finishing what it holds.
    Draining,
    /// Not deployed: no process; an autoscaler may start it.
    Standby,
}
