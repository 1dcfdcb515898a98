//! Why a request failed: the kind of failure, and the group where it began.

use meshsim_sim::GroupId;

/// What a request's failure began with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonKind {
    /// Not a failure.
    Ok,
    /// The service's own work answered an error (its `error_rate`).
    Error,
    /// A full queue turned the request away with 503.
    Shed,
    /// The connection was refused: the instance's process was gone.
    Refused,
    /// The connection was reset: the instance crashed while it held the request.
    Reset,
    /// No instance was up to take the request ("no healthy upstream").
    NoHealthyUpstream,
    /// A sidecar's route timeout ran out (504).
    RouteTimeout,
    /// The client's own timeout ran out.
    ClientTimeout,
    /// The caller's connection pool was full (503): shed by the mesh, not by the service.
    Overflow,
    /// The caller's circuit breaker was open and there was no fallback (503).
    CircuitOpen,
    /// The callee's local rate limit turned the request away (429).
    RateLimited,
    /// The callee's authorization policy denied the caller (403).
    Denied,
    /// Fault injection aborted the request with its configured status.
    FaultAbort,
    /// The circuit breaker's own timeout ran out before the answer (opossum's `timeout`).
    BreakerTimeout,
    /// The circuit breaker's fallback answered in place of the failed or rejected call.
    Fallback,
    /// No route of the callee's mesh policy matched the request (404, Envoy's `NR`).
    NoRoute,
    /// The request carried no credentials where an endpoint asks for them (401).
    Unauthenticated,
    /// Linkerd's balancer found no endpoint to take the request within its failfast timeout
    /// (504).
    FailFast,
    /// Linkerd's balancer is failing fast, or its queue is full: the request is shed at once
    /// (503).
    LoadShed,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 19] = [
        ReasonKind::Ok,
        ReasonKind::Error,
        ReasonKind::Shed,
        ReasonKind::Refused,
        ReasonKind::Reset,
        ReasonKind::NoHealthyUpstream,
        ReasonKind::RouteTimeout,
        ReasonKind::ClientTimeout,
        ReasonKind::Overflow,
        ReasonKind::CircuitOpen,
        ReasonKind::RateLimited,
        ReasonKind::Denied,
        ReasonKind::FaultAbort,
        ReasonKind::BreakerTimeout,
        ReasonKind::Fallback,
        ReasonKind::NoRoute,
        ReasonKind::Unauthenticated,
        ReasonKind::FailFast,
        ReasonKind::LoadShed,
    ];

    /// The kind with this discriminant, for decoding from the wire.
    pub fn from_u8(value: u8) -> Option<ReasonKind> {
        ReasonKind::ALL
            .into_iter()
            .find(|kind| *kind as u8 == value)
    }

    pub fn name(self) -> &'static str {
        match self {
            ReasonKind::Ok => "ok",
            ReasonKind::Error => "error",
            ReasonKind::Shed => "shed",
            ReasonKind::Refused => "connection_refused",
            ReasonKind::Reset => "connection_reset",
            ReasonKind::NoHealthyUpstream => "no_healthy_upstream",
            ReasonKind::RouteTimeout => "route_timeout",
            ReasonKind::ClientTimeout => "client_timeout",
            ReasonKind::Overflow => "overflow",
            ReasonKind::CircuitOpen => "circuit_open",
            ReasonKind::RateLimited => "rate_limited",
            ReasonKind::Denied => "denied",
            ReasonKind::FaultAbort => "fault_abort",
            ReasonKind::BreakerTimeout => "breaker_timeout",
            ReasonKind::Fallback => "fallback",
            ReasonKind::NoRoute => "no_route",
            ReasonKind::Unauthenticated => "unauthenticated",
            ReasonKind::FailFast => "fail_fast",
            ReasonKind::LoadShed => "load_shed",
        }
    }
}

/// Why a request ended as it did: the kind, and the group where it began (`shed at backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reason {
    pub kind: ReasonKind,
    pub group: Option<GroupId>,
}

impl Reason {
    pub const OK: Reason = Reason {
        kind: ReasonKind::Ok,
        group: None,
    };
}
