//! The gauges models move up and down: per service version, and per service for the mesh.

/// A gauge a model moves up and down; the recorder samples it at each metrics interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Gauge {
    /// Requests being worked on.
    InFlight,
    /// Requests waiting for a worker.
    QueueDepth,
}

/// A per-service gauge of the mesh, summed over every caller's sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupGauge {
    /// Calls waiting in connection pools for a free connection.
    Pending,
    /// Instances ejected by outlier detection (counted once per caller's sidecar).
    Ejected,
    /// Callers' circuit breakers that are open.
    BreakersOpen,
    /// Callers' circuit breakers that are half open.
    BreakersHalfOpen,
}
