//! What the detector reports: an ejection, a change at an interval tick, a change of membership.

/// Why a host was ejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EjectionReason {
    Consecutive5xx,
    ConsecutiveGatewayFailure,
    /// Split mode only.
    ConsecutiveLocalOriginFailure,
    /// External-origin success rate.
    SuccessRate,
    /// Split mode only.
    LocalOriginSuccessRate,
    /// External-origin failure percentage.
    FailurePercentage,
}

/// One host taken out of the load-balancing set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ejection {
    pub(crate) host: usize,
    pub(crate) reason: EjectionReason,
    /// How long the host stays out at least; it returns at the first interval tick after.
    pub(crate) duration_ns: u64,
    /// This host's ejections since it joined the cluster, this one included.
    pub(crate) times_ejected: u32,
}

/// A change made at an interval tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutlierChange {
    pub(crate) host: usize,
    /// True for an ejection (success rate or failure percentage), false for a return to service.
    pub(crate) ejected: bool,
    /// The ejection, when `ejected`.
    pub(crate) ejection: Option<Ejection>,
}

/// What [`OutlierDetector::set_member`](super::OutlierDetector::set_member) changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MembershipChange {
    /// The host already had that membership: nothing changed.
    Unchanged,
    /// The host joined the cluster, fresh: in service, no streaks, no counts, never ejected.
    Joined,
    /// The host left the cluster and the detector forgot it. `ejection_dropped`: it was ejected,
    /// and that ejection no longer counts (Envoy lowers `ejections_active`); no return to
    /// service is reported for it, now or later.
    Left { ejection_dropped: bool },
}
