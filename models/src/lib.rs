//! meshsim-models: the behaviour of everything simulated, as sans-IO state machines.
//!
//! A service instance with its workers and queue, the sidecar in front of every outgoing call,
//! and the workload clients. Each takes inputs from an engine and writes what it wants done into
//! an outbox; none reads a clock or owns a socket.

pub mod balancer;
pub mod broker;
mod call_target;
mod cluster;
pub mod deadline;
mod episode;
pub mod key_value;
pub mod message;
pub mod node;
mod order_id;
pub mod outbox;
pub mod policy;
pub mod rollout;
pub mod route;
pub mod saga;
pub mod served_counters;
pub mod service;
pub mod sidecar;
pub mod slab;
pub mod store;
pub mod timer;
pub mod upstream;
pub mod upstream_config;
mod worker_pool;
pub mod workload;

pub use balancer::LoadBalancer;
pub use broker::{Broker, BrokerConfig, SubscriptionConfig};
pub use message::{Message, Request, RequestContext, Response};
pub use node::Node;
pub use route::{HeaderCondition, Route, RouteTable};
pub use saga::{SagaPlan, SagaStepPlan};
pub use service::{
    CallTarget, EndpointConfig, InboundPolicy, RateLimitConfig, Readiness, ServiceConfig,
    ServiceInstance,
};
pub use sidecar::Sidecar;
pub use store::{
    Holding, LEDGER_OPERATIONS, LedgerEntry, LedgerState, ORDERS_OPERATIONS, OrderId, OrderStatus,
    OrdersState, ProductStock, STOCK_OPERATIONS, StockState, Store, StoreConfig, StoreKind,
    StoreState,
};
pub use upstream_config::{
    Backoff, BreakerPolicy, FaultInjection, NoInstance, PoolLimits, RetryLimit, RetryOn,
    RetryPolicy, UpstreamConfig,
};
pub use workload::{ArrivalConfig, HeaderDistribution, WorkloadClient, WorkloadConfig};
