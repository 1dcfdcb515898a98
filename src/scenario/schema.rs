//! The scenario file's schema, format 1, as fixed in `docs/scenario-format.md`.
//!
//! Every struct denies unknown keys, so a misspelt key is an error with its position rather than
//! a silently ignored setting. Defaults live here, each with the reason it has the value it has.
//! Only the shape is checked here; meaning (references, ranges, cycles) is checked in `validate`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::duration::Duration;
use super::number::{Bound, Real};
use crate::profile::Profile;

mod arrival;
mod autoscale;
mod call_entry;
mod concurrency;
mod distribution;
mod on_error;
mod version_endpoint;
mod versions;
pub use self::distribution::{Distribution, MixturePart, SampleFile};
pub use arrival::Arrival;
pub use autoscale::{Autoscale, Behavior, ScalingPolicy, ScalingRules};
pub use call_entry::CallEntry;
pub use concurrency::Concurrency;
pub use on_error::{OnError, StatusAnswer};
pub use version_endpoint::VersionEndpoint;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub scenario: Header,
    #[serde(default)]
    pub network: Network,
    #[serde(default, rename = "service")]
    pub services: Vec<Service>,
    #[serde(default, rename = "broker")]
    pub brokers: Vec<Broker>,
    #[serde(default, rename = "subscription")]
    pub subscriptions: Vec<Subscription>,
    #[serde(default, rename = "store")]
    pub stores: Vec<Store>,
    #[serde(default, rename = "saga")]
    pub sagas: Vec<Saga>,
    /// Keyed by the callee's service name: what every caller's sidecar does for calls to it.
    #[serde(default)]
    pub mesh: IndexMap<String, MeshPolicy>,
    #[serde(default, rename = "workload")]
    pub workloads: Vec<Workload>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<Fault>,
    #[serde(default, rename = "rollout")]
    pub rollouts: Vec<Rollout>,
    #[serde(default, rename = "expect")]
    pub expectations: Vec<Expectation>,
}

/// `[scenario]`: the name, the default seed and how long to simulate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The default seed; `--seed N` overrides it.
    #[serde(default)]
    pub seed: u64,
    pub duration: Duration,
    /// Width of a time-series bucket in `metrics.csv`.
    #[serde(default = "default_metrics_interval")]
    pub metrics_interval: Duration,
    /// The mesh whose proxies run `[mesh.SERVICE]`: `"istio"` (the default, the shop seed's),
    /// `"linkerd"` (the messages seed's) or `"envoy"`. It decides what every key left out means.
    pub mesh: Option<Profile>,
    /// Kubernetes, Istio, Linkerd, Flagger and Compose files whose declarations become part of
    /// the scenario: paths and globs relative to the scenario file (`docs/include.md`).
    #[serde(default)]
    pub include: Vec<String>,
}

impl Scenario {
    /// The mesh the scenario runs: its `[scenario] mesh`, or Istio.
    pub fn profile(&self) -> Profile {
        self.scenario.mesh.unwrap_or_default()
    }
}

fn default_metrics_interval() -> Duration {
    Duration::from_secs(1)
}

/// `[network]`: latency and loss on every hop unless a link overrides them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// One-way latency per hop; without it, hops are instantaneous.
    pub latency: Option<Distribution>,
    /// Probability that any one message is dropped.
    #[serde(default)]
    pub loss: Real,
    /// How long the control plane takes to take a crashed instance out of every load balancer,
    /// and to put a restarted one back. Kubernetes notices a dead container and updates its
    /// endpoints within about a second, so that is the default.
    #[serde(default = "default_discovery_delay")]
    pub discovery_delay: Duration,
    #[serde(default)]
    pub link: Vec<Link>,
}

fn default_discovery_delay() -> Duration {
    Duration::from_secs(1)
}

/// `[[network.link]]`: an override for messages between two services, both ways.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub between: Vec<String>,
    pub latency: Option<Distribution>,
    pub loss: Option<Real>,
}

/// The name of a service's own version, the one its top-level keys describe; each
/// `[[service.version]]` adds another beside it.
pub const BASE_VERSION: &str = "v1";

/// `[[service]]`: a service, its instances' capacity and its endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    /// Instances of the service's own version, "v1".
    #[serde(default = "default_replicas")]
    pub replicas: u32,
    /// Requests served at once by one instance. Tomcat's default thread pool (200) is the most
    /// widely deployed reference point, so it is ours.
    #[serde(default = "default_workers")]
    pub workers: u32,
    /// Requests waiting in one instance; beyond it, shed with 503. Tomcat's `acceptCount` (100).
    #[serde(default = "default_queue")]
    pub queue: u32,
    /// Cores an instance's own work shares (processor sharing); unlimited when omitted.
    pub cores: Option<Real>,
    /// `"threads"` (when omitted) or `"event_loop"` (`docs/scenario-format.md`).
    pub concurrency: Option<Concurrency>,
    /// Only exposed services accept traffic from workloads.
    #[serde(default)]
    pub exposed: bool,
    #[serde(default, rename = "endpoint")]
    pub endpoints: Vec<Endpoint>,
    #[serde(default, rename = "version")]
    pub versions: Vec<Version>,
    /// Services, stores and brokers this one calls that must answer before an instance is
    /// ready (Docker Compose's `depends_on` with `condition: service_healthy`).
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// How long an instance takes from its process start (at time zero, or a restart) to
    /// ready; until then callers send it nothing. 0 when omitted.
    pub start_time: Option<Duration>,
    /// express-rate-limit: each instance lets each client (workload) make `max` requests per
    /// fixed `window`, and answers 429 beyond.
    pub client_rate_limit: Option<ClientRateLimit>,
    /// The status the service answers when a call's connection is refused or finds no
    /// instance (the seed's gateway answers 503 for `ECONNREFUSED`); 500 when omitted.
    pub refused_status: Option<u16>,
    /// A `HorizontalPodAutoscaler` on the service's own version.
    pub autoscale: Option<Autoscale>,
    /// Docker Compose networks: the service reaches only services and stores on one of them.
    pub networks: Option<Vec<String>>,
}

/// `client_rate_limit = { max = 100, window = "15m" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRateLimit {
    pub max: u32,
    pub window: Duration,
}

fn default_replicas() -> u32 {
    1
}

fn default_workers() -> u32 {
    200
}

fn default_queue() -> u32 {
    100
}

/// `[[service.endpoint]]`: one operation a service answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub name: String,
    /// Time a worker is busy with the endpoint's own work; zero when omitted.
    pub service_time: Option<Distribution>,
    /// Probability that the own work answers 500.
    #[serde(default)]
    pub error_rate: Real,
    /// Calls made one after another, after the own work, while the worker is held; an entry
    /// may be `{ parallel = [...] }`, calls that go out at once.
    #[serde(default)]
    pub calls: Vec<CallEntry>,
    /// meshsim's addition: calls made instead when a call is refused (a 4xx other than 429: the
    /// business said no): undo and report, as a choreographed saga's step does. When they all
    /// succeed the endpoint answers 200 (a consumer acknowledges the message). Any other
    /// failure (a timeout, an unreachable callee, its own error) answers 500, so it is tried
    /// again.
    #[serde(default)]
    pub on_failure: Vec<Call>,
    /// Cache-aside through a Redis store: after the own work, `GET` the request's key; a hit
    /// answers at once, a miss (or an unreachable cache) makes the calls and then `SETEX`s.
    pub cache: Option<CacheAside>,
    /// The header a request must carry, not empty, or be answered 401 at once (a gateway's
    /// authentication middleware): `auth = "authorization"`.
    pub auth: Option<String>,
}

/// `cache = { store = "NAME" }` on an endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheAside {
    pub store: String,
}

/// One entry of `calls`: a synchronous call `{ service, endpoint }`, a publish `{ topic }`, or an
/// operation on a store `{ store, op }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub service: Option<String>,
    pub endpoint: Option<String>,
    pub topic: Option<String>,
    pub store: Option<String>,
    pub op: Option<String>,
    /// The application's own policy for the call, defaults today's (`docs/scenario-format.md`).
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub retry_backoff: Option<Distribution>,
    pub on_error: Option<OnError>,
    pub probability: Option<Real>,
}

/// `[[store]]`: a durable store with state whose operations take service time (a database).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    pub name: String,
    pub kind: StoreKind,
    /// Stock only: how many products.
    pub products: Option<u32>,
    /// Stock only: units of each product at the start.
    pub stock_per_product: Option<u32>,
    /// Operations served at once (a connection pool).
    #[serde(default = "default_store_workers")]
    pub workers: u32,
    /// Operations waiting for a worker; beyond it, shed with 503, as a service's queue sheds.
    #[serde(default = "default_store_queue")]
    pub queue: u32,
    /// Time one operation takes; zero when omitted.
    pub service_time: Option<Distribution>,
    /// Idempotency keys: a repeated operation for the same order applies once.
    #[serde(default = "default_idempotent")]
    pub idempotent: bool,
    /// Stock only: a SQL store's row locks (`SELECT … FOR UPDATE`): writes to one product
    /// wait for each other.
    #[serde(default)]
    pub row_locks: bool,
    /// Redis only: how many keys a cache's requests spread over (1,000 when omitted).
    pub keys: Option<u32>,
    /// Redis only: the Zipf skew of the keys' popularity (1.0 when omitted; 0 is uniform).
    pub key_skew: Option<Real>,
    /// Redis only: the time to live `SETEX` gives a key (60 s when omitted).
    pub ttl: Option<Duration>,
    /// Docker Compose networks, as a service's.
    pub networks: Option<Vec<String>>,
}

/// What a store holds, and so which operations it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// Stock per product: `reserve`, `release`, `commit`, `query`, `read`.
    Stock,
    /// A payment ledger: `charge`, `refund`, `query`.
    Ledger,
    /// An order table: `create`, `confirm`, `cancel`, `query`.
    Orders,
    /// A Redis-like key-value store: `GET`, `SETEX`, `DEL`, `LPUSH`, `LRANGE`.
    Redis,
}

fn default_store_workers() -> u32 {
    8
}

/// A store's queue when `queue` is omitted. Ten times a service's (Tomcat's `acceptCount`,
/// 100), because one store takes the waiting of every caller's connection pool at once; far
/// above the deepest store queue of any scenario shipped (48 operations, the saga's stock
/// during its crash) and of a generated scenario's pause (about 450), so no existing run sheds
/// at a store; and still a bound, so a typo that floods a store sheds instead of queueing
/// without end.
fn default_store_queue() -> u32 {
    1_000
}

fn default_idempotent() -> bool {
    true
}

/// `[[saga]]`: an orchestrated saga run by a service's endpoint instead of its plain calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saga {
    /// The orchestrator.
    pub service: String,
    /// The endpoint whose requests each run the saga.
    pub endpoint: String,
    pub steps: Vec<SagaStep>,
    /// Tries of a step whose outcome is unknown (a timeout, a reset) before the saga gives it
    /// up and compensates; each try is idempotent.
    #[serde(default = "default_step_retries")]
    pub step_retries: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SagaStep {
    pub action: Call,
    /// What undoes the action; none for a step that needs no undoing (the last one, often).
    pub compensation: Option<Call>,
}

fn default_step_retries() -> u32 {
    2
}

/// `[[service.version]]`: another version of the service with its own instances, or, named
/// `v1`, the service's own version.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Version {
    pub name: String,
    /// 1 when left out; for `v1`, the service's `replicas` (`Service::base_replicas`).
    pub replicas: Option<u32>,
    /// Overrides every endpoint's error rate.
    pub error_rate: Option<Real>,
    /// Multiplies every endpoint's service time.
    pub service_time_factor: Option<Real>,
    /// What single endpoints do differently in this version.
    #[serde(default, rename = "endpoint")]
    pub endpoints: Vec<VersionEndpoint>,
}

/// `[[broker]]`: a RabbitMQ-like broker with at-least-once delivery.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Broker {
    pub name: String,
    pub topics: Vec<String>,
    /// Unacknowledged messages are delivered again after this; `RabbitMQ`'s consumer timeout is
    /// 30 minutes, far too long for a simulation, so meshsim takes 30 s.
    #[serde(default = "default_ack_timeout")]
    pub ack_timeout: Duration,
    /// Deliveries before a message goes to the dead-letter queue.
    #[serde(default = "default_max_deliveries")]
    pub max_deliveries: u32,
    /// meshsim's addition: a failed message waits this long before it is delivered again (a
    /// retry queue with a time to live). Zero, `RabbitMQ`'s requeue, delivers it again at once.
    #[serde(default)]
    pub redelivery_delay: Duration,
}

fn default_ack_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_max_deliveries() -> u32 {
    5
}

/// `[[subscription]]`: a service's endpoint consuming a topic.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub topic: String,
    pub service: String,
    pub endpoint: String,
}

/// `[mesh.SERVICE]`: what every caller's sidecar does for calls to SERVICE.
///
/// Every key is optional and carries no default here: what a key left out means depends on the
/// mesh the scenario runs (`[scenario] mesh`), so the profile fills it in (`crate::profile`), and
/// `meshsim explain` can tell a value the file set from one the profile supplied.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeshPolicy {
    /// The route timeout over the whole request, retries included.
    pub timeout: Option<Duration>,
    pub load_balancer: Option<LoadBalancer>,
    pub connection_pool: Option<ConnectionPool>,
    pub fault: Option<FaultInjection>,
    pub rate_limit: Option<RateLimit>,
    pub allow_from: Option<Vec<String>>,
    pub retries: Option<Retries>,
    pub outlier_detection: Option<OutlierDetection>,
    /// Linkerd's failure accrual (`balancer.linkerd.io/failure-accrual: consecutive`).
    pub failure_accrual: Option<FailureAccrual>,
    pub circuit_breaker: Option<CircuitBreaker>,
    #[serde(default)]
    pub route: Vec<Route>,
}

/// How a sidecar picks an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalancer {
    RoundRobin,
    Random,
    LeastRequest,
    PeakEwma,
}

/// Envoy's cluster circuit-breaker thresholds; Istio's `connectionPool`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPool {
    pub max_connections: Option<u32>,
    pub max_pending_requests: Option<u32>,
    pub max_requests: Option<u32>,
    pub max_requests_per_connection: Option<u32>,
    pub max_retries: Option<u32>,
}

/// Istio's `fault`: delay and abort a percentage of requests.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultInjection {
    pub delay: Option<Duration>,
    pub delay_percent: Option<Real>,
    pub abort_status: Option<u16>,
    pub abort_percent: Option<Real>,
}

/// The callee's local rate limit: Envoy's token bucket (`max_tokens`, `tokens_per_fill`,
/// `fill_interval`) or Linkerd's `HTTPLocalRateLimitPolicy` (`requests_per_second`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub max_tokens: Option<u32>,
    pub tokens_per_fill: Option<u32>,
    pub fill_interval: Option<Duration>,
    pub requests_per_second: Option<u32>,
}

/// `[mesh.SERVICE.retries]`: Envoy's retry policy (Istio's `retries`), or Linkerd's retry
/// annotations and ServiceProfile retry budget.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Retries {
    /// Retries after the first try.
    pub attempts: Option<u32>,
    pub per_try_timeout: Option<Duration>,
    pub retry_on: Option<Vec<RetryOn>>,
    /// Statuses retried besides those `retry_on` names (Envoy's `retriable_status_codes`,
    /// Istio's numbers in `retryOn`, Linkerd's codes in `retry.linkerd.io/http`).
    pub retriable_status_codes: Option<Vec<u16>>,
    pub backoff_base: Option<Duration>,
    pub backoff_max: Option<Duration>,
    pub budget_percent: Option<Real>,
    pub min_retry_concurrency: Option<u32>,
    /// Istio's `retryIgnorePreviousHosts`, Envoy's `previous_hosts` retry host predicate.
    pub retry_ignore_previous_hosts: Option<bool>,
    /// Envoy's `host_selection_retry_max_attempts`.
    pub host_selection_retry_max_attempts: Option<u32>,
    /// Linkerd's ServiceProfile retries: retries only within this budget.
    pub retry_budget: Option<RetryBudget>,
}

/// A Linkerd ServiceProfile's `retryBudget`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetryBudget {
    pub retry_ratio: Option<Real>,
    pub min_retries_per_second: Option<u32>,
    pub ttl: Option<Duration>,
}

/// What makes a try worth retrying, in Envoy's words (Linkerd takes `5xx` and `gateway-error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetryOn {
    #[serde(rename = "5xx")]
    FiveXx,
    GatewayError,
    Reset,
    ResetBeforeRequest,
    ConnectFailure,
    #[serde(rename = "retriable-4xx")]
    Retriable4xx,
    RefusedStream,
    RetriableStatusCodes,
    /// gRPC status codes: they match only a `grpc-status` in an answer's headers.
    Cancelled,
    DeadlineExceeded,
    Internal,
    ResourceExhausted,
    Unavailable,
}

impl RetryOn {
    /// The word as a scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            RetryOn::FiveXx => "5xx",
            RetryOn::GatewayError => "gateway-error",
            RetryOn::Reset => "reset",
            RetryOn::ResetBeforeRequest => "reset-before-request",
            RetryOn::ConnectFailure => "connect-failure",
            RetryOn::Retriable4xx => "retriable-4xx",
            RetryOn::RefusedStream => "refused-stream",
            RetryOn::RetriableStatusCodes => "retriable-status-codes",
            RetryOn::Cancelled => "cancelled",
            RetryOn::DeadlineExceeded => "deadline-exceeded",
            RetryOn::Internal => "internal",
            RetryOn::ResourceExhausted => "resource-exhausted",
            RetryOn::Unavailable => "unavailable",
        }
    }

    /// Whether this is one of gRPC's status names, which never match an HTTP answer.
    pub fn is_grpc(self) -> bool {
        matches!(
            self,
            RetryOn::Cancelled
                | RetryOn::DeadlineExceeded
                | RetryOn::Internal
                | RetryOn::ResourceExhausted
                | RetryOn::Unavailable
        )
    }
}

/// `[mesh.SERVICE.outlier_detection]`: Envoy's passive health checking (Istio's
/// `DestinationRule` `outlierDetection`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutlierDetection {
    pub consecutive_5xx: Option<u32>,
    pub consecutive_gateway_failure: Option<u32>,
    pub split_external_local_origin_errors: Option<bool>,
    pub consecutive_local_origin_failure: Option<u32>,
    pub interval: Option<Duration>,
    pub base_ejection_time: Option<Duration>,
    pub max_ejection_time: Option<Duration>,
    pub max_ejection_percent: Option<Real>,
    pub always_eject_one_host: Option<bool>,
    /// The healthy share below which the balancer ignores health (Istio's `minHealthPercent`,
    /// Envoy's `healthy_panic_threshold`).
    pub min_health_percent: Option<Real>,
    pub success_rate_stdev_factor: Option<Real>,
    pub success_rate_minimum_hosts: Option<u32>,
    pub success_rate_request_volume: Option<u32>,
    pub failure_percentage_threshold: Option<Real>,
    pub failure_percentage_minimum_hosts: Option<u32>,
    pub failure_percentage_request_volume: Option<u32>,
    /// Envoy's `enforcing_*` percentages, 0 or 100.
    pub enforcing_consecutive_5xx: Option<u32>,
    pub enforcing_consecutive_gateway_failure: Option<u32>,
    pub enforcing_consecutive_local_origin_failure: Option<u32>,
    pub enforcing_success_rate: Option<u32>,
    pub enforcing_failure_percentage: Option<u32>,
}

/// `[mesh.SERVICE.failure_accrual]`: Linkerd's consecutive-failure circuit breaking.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FailureAccrual {
    pub consecutive_failures: Option<u32>,
    pub min_penalty: Option<Duration>,
    pub max_penalty: Option<Duration>,
    pub jitter_ratio: Option<Real>,
}

/// `[mesh.SERVICE.circuit_breaker]`: the application's breaker around its calls (opossum, with
/// resilience4j's slow-call rule). Its defaults are the libraries', whatever the mesh.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    pub timeout: Option<Duration>,
    pub error_threshold_percent: Option<Real>,
    pub volume_threshold: Option<u32>,
    pub window: Option<Duration>,
    pub buckets: Option<u32>,
    pub reset_timeout: Option<Duration>,
    /// The status the fallback answers with; without it an open breaker answers 503.
    pub fallback_status: Option<u16>,
    /// resilience4j's slow-call rule: a call slower than this counts as slow. Off unless set.
    pub slow_call_duration: Option<Duration>,
    pub slow_call_rate_percent: Option<Real>,
    /// resilience4j's `minimumNumberOfCalls`: the slow-call rule judges no window with fewer.
    pub slow_call_minimum_calls: Option<u32>,
}

/// `[[mesh.SERVICE.route]]`: first match wins; weights are over the service's versions.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(rename = "match")]
    pub matches: Option<RouteMatch>,
    pub weights: IndexMap<String, Real>,
    /// The route's own policy, over the service's (`docs/mesh.md`, per route).
    pub timeout: Option<Duration>,
    pub retries: Option<Retries>,
    pub fault: Option<FaultInjection>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteMatch {
    #[serde(default)]
    pub headers: IndexMap<String, HeaderMatch>,
    /// The callee endpoint's path and method (its name's two words): Istio's `uri`, `method`.
    pub uri: Option<HeaderMatchHow>,
    pub method: Option<HeaderMatchHow>,
}

/// A header condition: a plain string matches exactly; a table says how.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum HeaderMatch {
    Exact(String),
    How(HeaderMatchHow),
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderMatchHow {
    pub exact: Option<String>,
    pub prefix: Option<String>,
    pub regex: Option<String>,
}

/// `[[workload]]`: a client host sending requests to an exposed service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    pub target: String,
    pub endpoint: String,
    pub arrival: Arrival,
    /// Header name to value to probability; each request draws one value per header.
    #[serde(default)]
    pub headers: IndexMap<String, IndexMap<String, Real>>,
    /// The client gives up after this; without it, it waits as long as it takes.
    pub timeout: Option<Duration>,
}

/// `[[fault]]`: something that goes wrong at `at`, for `duration` (or to the end).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub at: Duration,
    pub duration: Option<Duration>,
    pub kind: FaultKind,
    /// For network faults: two services or instances (`"payment/1"`); one-way: from, to.
    pub between: Option<Vec<String>>,
    /// For crash and pause: a service (all its instances) or an instance.
    pub target: Option<String>,
    /// For crash: how long until the process is started again; omitted, it stays down.
    pub restart_after: Option<Duration>,
    /// For latency: added to every hop's one-way latency.
    pub add: Option<Duration>,
    /// For loss: the probability that a message is dropped.
    pub loss: Option<Real>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    Partition,
    PartitionOneway,
    Latency,
    Loss,
    Crash,
    Pause,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::PartitionOneway => "partition_oneway",
            FaultKind::Latency => "latency",
            FaultKind::Loss => "loss",
            FaultKind::Crash => "crash",
            FaultKind::Pause => "pause",
        }
    }
}

/// `[[rollout]]`: a controller moving traffic from one version to another.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    pub service: String,
    /// The old and the new version of `service`; a strangler moves between services instead.
    pub from: Option<String>,
    pub to: Option<String>,
    pub strategy: Strategy,
    #[serde(default)]
    pub start: Duration,
    /// Flagger's analysis interval, 60 s by default.
    #[serde(default = "default_rollout_interval")]
    pub interval: Duration,
    pub step_weight: Option<Real>,
    pub step_weights: Option<Vec<Real>>,
    pub max_weight: Option<Real>,
    /// Failed checks before rollback; Flagger's default is 1.
    #[serde(default = "default_rollout_threshold")]
    pub threshold: u32,
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Rolling: instances added above the desired count during the update.
    pub max_surge: Option<u32>,
    /// Rolling: instances that may be unavailable during the update.
    pub max_unavailable: Option<u32>,
    /// Rolling: how long a new instance takes before it is ready.
    pub readiness_delay: Option<Duration>,
    pub failure_action: Option<FailureAction>,
    /// Strangler: the service the traffic moves away from.
    pub monolith: Option<String>,
    /// Blue/green: intervals of analysis on test traffic before the switch (Flagger's
    /// `iterations`; 10 when omitted, Flagger's own default for blue/green).
    pub iterations: Option<u32>,
}

fn default_rollout_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_rollout_threshold() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Canary,
    BlueGreen,
    Rolling,
    Strangler,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureAction {
    Rollback,
    Pause,
    Continue,
}

/// A rollout check on a metric of the new version over the last interval.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub metric: String,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
}

/// `[[expect]]`: checked at the end of the run; any failure makes the run exit 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub metric: String,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    pub equals: Option<Bound>,
}
