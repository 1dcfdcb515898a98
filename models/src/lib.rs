//! meshsim-models: the behaviour of everything simulated, as sans-IO state machines.
//!
//! A service instance with its workers and queue, the sidecar in front of every outgoing call,
//! and the workload clients. Each takes inputs from an engine and writes what it wants done into
//! an outbox; none reads a clock or owns a socket.

#![warn(unreachable_pub)]

mod arrival;
mod autoscaler;
mod balancer;
mod broker;
mod call_target;
mod cluster;
mod deadline;
mod episode;
mod event_loops;
mod key_value;
mod message;
mod node;
mod order_id;
mod outbox;
mod policy;
mod processor_sharing;
mod rollout;
mod route;
mod saga;
mod served_counters;
mod service;
mod sidecar;
mod slab;
mod store;
mod timer;
mod upstream;
mod upstream_config;
mod worker_pool;
mod workload;

pub use autoscaler::{
    Autoscaler, AutoscalerConfig, HpaSpec, PolicyKind, ScaleMetric, ScalingPolicy, ScalingRules,
    SelectPolicy,
};
pub use balancer::LoadBalancer;
pub use broker::{Broker, BrokerConfig, SubscriptionConfig};
pub use key_value::KEY_VALUE_OPERATIONS;
pub use message::{Message, Request, RequestContext, Response};
pub use node::Node;
pub use policy::{
    BreakerConfig, FailureAccrualConfig, FailurePercentage, OutlierConfig, Refill, RetryBudget,
    TpsBudgetConfig,
};
pub use rollout::{
    CheckMetric, FailureAction, RolloutCheck, RolloutConfig, RolloutController, RolloutStrategy,
};
pub use route::{HeaderCondition, Route, RouteTable};
pub use saga::{SagaPlan, SagaStepPlan};
pub use service::{
    AppCall, CallPolicy, CallStep, CallTarget, Concurrency, EndpointConfig, FromCode,
    InboundPolicy, OnError, RateLimitConfig, Readiness, ServiceConfig, ServiceInstance, ToCode,
};
pub use sidecar::Sidecar;
pub use store::{
    Holding, LEDGER_OPERATIONS, LedgerEntry, LedgerState, ORDERS_OPERATIONS, OrderId, OrderStatus,
    OrdersState, ProductStock, STOCK_OPERATIONS, StockState, Store, StoreConfig, StoreKind,
    StoreState,
};
pub use upstream::RedirectConfig;
pub use upstream_config::{
    Backoff, BreakerPolicy, FaultInjection, NoInstance, PoolLimits, RetryLimit, RetryOn,
    RetryPolicy, RoutePolicy, UpstreamConfig,
};
pub use workload::{ArrivalConfig, HeaderDistribution, WorkloadClient, WorkloadConfig};
