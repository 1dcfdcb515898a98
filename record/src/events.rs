//! What the mesh, the brokers, the sagas and the rollouts say happened, each kind counted by the
//! recorder.

use serde::Serialize;

/// Something the mesh did to a call, counted per callee service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MeshEvent {
    /// A retry was sent.
    Retry,
    /// A retry was wanted but the retry budget (or Envoy's cap of concurrent retries) denied it.
    BudgetExhausted,
    /// The connection pool was full: the call failed fast with 503.
    Overflow,
    /// An open circuit breaker turned the call away.
    CircuitRejected,
    /// The circuit breaker's fallback answered.
    Fallback,
    /// The callee's rate limit answered 429.
    RateLimited,
    /// The callee's authorization policy answered 403.
    Denied,
    /// Fault injection aborted the call.
    FaultAborted,
    /// Fault injection delayed the call.
    FaultDelayed,
    /// Outlier detection ejected an instance (counted once per caller's sidecar).
    Ejected,
    /// A caller's circuit breaker opened.
    CircuitOpened,
}

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RolloutOutcome {
    InProgress,
    Promoted,
    RolledBack,
}

impl RolloutOutcome {
    pub fn name(self) -> &'static str {
        match self {
            RolloutOutcome::InProgress => "in_progress",
            RolloutOutcome::Promoted => "promoted",
            RolloutOutcome::RolledBack => "rolled_back",
        }
    }
}

/// What happened to a saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SagaEvent {
    Started,
    /// Every step succeeded.
    Completed,
    /// A step failed and every step that may have applied was undone.
    Compensated,
}

/// What a broker did with one message of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BrokerEvent {
    /// A publish put a copy in the subscription's queue.
    Enqueued,
    /// The copy was sent to a consumer (the first time, or again).
    Delivered,
    /// It was sent again after a failure, a timeout or a lost consumer.
    Redelivered,
    /// The consumer answered with success: the message is done.
    Acked,
    /// The consumer failed it, or did not answer within `ack_timeout`: back to the queue.
    Failed,
    /// It failed for the `max_deliveries`-th time: moved to the dead-letter queue.
    DeadLettered,
    /// It came back to the queue without a verdict: the consumer was gone (refused), or the
    /// broker itself crashed while it was out.
    Returned,
}

impl BrokerEvent {
    pub const COUNT: usize = 7;
}
