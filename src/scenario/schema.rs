//! The scenario file's schema, format 1, as fixed in `docs/scenario-format.md`.
//!
//! Every struct denies unknown keys, so a misspelt key is an error with its position rather than
//! a silently ignored setting. Defaults live here, each with the reason it has the value it has.
//! Only the shape is checked here; meaning (references, ranges, cycles) is checked in `validate`.

use indexmap::IndexMap;
use serde::Deserialize;

use super::duration::Duration;
use super::number::{Bound, Real};

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

/// A distribution of durations.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    Const {
        value: Duration,
    },
    Uniform {
        min: Duration,
        max: Duration,
    },
    Exp {
        mean: Duration,
    },
    /// Cut at zero.
    Normal {
        mean: Duration,
        stddev: Duration,
    },
    Lognormal {
        median: Duration,
        p99: Duration,
    },
}

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
    /// Calls made one after another, after the own work, while the worker is held.
    #[serde(default)]
    pub calls: Vec<Call>,
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

/// `[[service.version]]`: another version of the service with its own instances.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Version {
    pub name: String,
    #[serde(default = "default_replicas")]
    pub replicas: u32,
    /// Overrides every endpoint's error rate.
    pub error_rate: Option<Real>,
    /// Multiplies every endpoint's service time.
    pub service_time_factor: Option<Real>,
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshPolicy {
    /// The route timeout over the whole request, retries included. Off by default, as in Istio.
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub load_balancer: LoadBalancer,
    pub connection_pool: Option<ConnectionPool>,
    pub fault: Option<FaultInjection>,
    pub rate_limit: Option<RateLimit>,
    pub allow_from: Option<Vec<String>>,
    pub retries: Option<Retries>,
    pub outlier_detection: Option<OutlierDetection>,
    pub circuit_breaker: Option<CircuitBreaker>,
    #[serde(default)]
    pub route: Vec<Route>,
}

/// How a sidecar picks an instance. Envoy's default is round robin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalancer {
    #[default]
    RoundRobin,
    Random,
    LeastRequest,
    PeakEwma,
}

/// Envoy's cluster circuit-breaker thresholds; Istio's `connectionPool`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPool {
    pub max_connections: Option<u32>,
    pub max_pending_requests: Option<u32>,
    pub max_requests: Option<u32>,
    pub max_requests_per_connection: Option<u32>,
    pub max_retries: Option<u32>,
}

/// Istio's `fault`: delay and abort a percentage of requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultInjection {
    pub delay: Option<Duration>,
    pub delay_percent: Option<Real>,
    pub abort_status: Option<u16>,
    pub abort_percent: Option<Real>,
}

/// Envoy's local rate limit, a token bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub max_tokens: u32,
    #[serde(default = "default_tokens_per_fill")]
    pub tokens_per_fill: u32,
    pub fill_interval: Duration,
}

fn default_tokens_per_fill() -> u32 {
    1
}

/// `[mesh.SERVICE.retries]`, Envoy's retry policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retries {
    /// Retries after the first try; Envoy's `num_retries` is 1 when a policy exists.
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    pub per_try_timeout: Option<Duration>,
    #[serde(default = "default_retry_on")]
    pub retry_on: Vec<RetryOn>,
    #[serde(default = "default_backoff_base")]
    pub backoff_base: Duration,
    /// Envoy's default is ten times the base.
    pub backoff_max: Option<Duration>,
    pub budget_percent: Option<Real>,
    pub min_retry_concurrency: Option<u32>,
}

fn default_attempts() -> u32 {
    1
}

/// Istio's default `retryOn` amounts to connect failures, refused streams and 503s.
fn default_retry_on() -> Vec<RetryOn> {
    vec![
        RetryOn::ConnectFailure,
        RetryOn::RefusedStream,
        RetryOn::Unavailable,
    ]
}

fn default_backoff_base() -> Duration {
    Duration::from_millis(25)
}

/// What makes a try worth retrying, in Envoy's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetryOn {
    #[serde(rename = "5xx")]
    FiveXx,
    GatewayError,
    ConnectFailure,
    Reset,
    #[serde(rename = "retriable-4xx")]
    Retriable4xx,
    RefusedStream,
    Unavailable,
}

/// `[mesh.SERVICE.outlier_detection]`, Envoy's passive health checking with Istio's defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlierDetection {
    #[serde(default = "default_consecutive_5xx")]
    pub consecutive_5xx: u32,
    pub consecutive_gateway_failure: Option<u32>,
    #[serde(default = "default_outlier_interval")]
    pub interval: Duration,
    #[serde(default = "default_base_ejection_time")]
    pub base_ejection_time: Duration,
    #[serde(default = "default_max_ejection_time")]
    pub max_ejection_time: Duration,
    #[serde(default = "default_max_ejection_percent")]
    pub max_ejection_percent: Real,
    /// Success-rate ejection: a host whose success rate falls below the mean minus this many
    /// standard deviations is ejected. Istio leaves it off (`EnforcingSuccessRate: 0`), so it is
    /// off unless this is set; Envoy's own default factor is 1.9.
    pub success_rate_stdev_factor: Option<Real>,
    /// Hosts with enough requests needed before success-rate ejection judges any. Envoy: 5.
    #[serde(default = "default_success_rate_minimum_hosts")]
    pub success_rate_minimum_hosts: u32,
    /// Requests a host needs in one interval to be judged by its success rate. Envoy: 100.
    #[serde(default = "default_success_rate_request_volume")]
    pub success_rate_request_volume: u32,
}

fn default_success_rate_minimum_hosts() -> u32 {
    5
}

fn default_success_rate_request_volume() -> u32 {
    100
}

fn default_consecutive_5xx() -> u32 {
    5
}

fn default_outlier_interval() -> Duration {
    Duration::from_secs(10)
}

fn default_base_ejection_time() -> Duration {
    Duration::from_secs(30)
}

fn default_max_ejection_time() -> Duration {
    Duration::from_secs(300)
}

fn default_max_ejection_percent() -> Real {
    Real(10.0)
}

/// `[mesh.SERVICE.circuit_breaker]`, the application-level breaker of the shop seed (opossum).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    /// A call slower than this counts as a failure; opossum's default is 10 s.
    #[serde(default = "default_breaker_timeout")]
    pub timeout: Duration,
    #[serde(default = "default_error_threshold_percent")]
    pub error_threshold_percent: Real,
    #[serde(default)]
    pub volume_threshold: u32,
    #[serde(default = "default_breaker_window")]
    pub window: Duration,
    #[serde(default = "default_breaker_buckets")]
    pub buckets: u32,
    #[serde(default = "default_reset_timeout")]
    pub reset_timeout: Duration,
    /// The status the fallback answers with; without it an open breaker answers 503.
    pub fallback_status: Option<u16>,
    /// resilience4j's slow-call rule: a call slower than this counts as slow. Off unless set.
    pub slow_call_duration: Option<Duration>,
    /// The share of slow calls in the window that opens the breaker; resilience4j's default is
    /// 100 when a slow-call duration is set.
    pub slow_call_rate_percent: Option<Real>,
}

fn default_breaker_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_error_threshold_percent() -> Real {
    Real(50.0)
}

fn default_breaker_window() -> Duration {
    Duration::from_secs(10)
}

fn default_breaker_buckets() -> u32 {
    10
}

fn default_reset_timeout() -> Duration {
    Duration::from_secs(30)
}

/// `[[mesh.SERVICE.route]]`: first match wins; weights are over the service's versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(rename = "match")]
    pub matches: Option<RouteMatch>,
    pub weights: IndexMap<String, Real>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteMatch {
    #[serde(default)]
    pub headers: IndexMap<String, HeaderMatch>,
}

/// A header condition: a plain string matches exactly; a table says how.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HeaderMatch {
    Exact(String),
    How(HeaderMatchHow),
}

#[derive(Debug, Clone, Deserialize)]
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

/// How a workload's requests arrive.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrival {
    /// Evenly spaced, `rate` per second.
    Constant { rate: Real },
    /// A Poisson process of `rate` per second.
    Poisson { rate: Real },
    /// A Poisson process whose rate changes at the given times: `[["0s", 50], ["5m", 400]]`.
    Steps { steps: Vec<(Duration, Real)> },
    /// A closed loop: `users` each send, wait for the answer, think, and send again.
    Closed {
        users: u32,
        think_time: Distribution,
    },
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
#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Canary,
    BlueGreen,
    Rolling,
    Strangler,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureAction {
    Rollback,
    Pause,
    Continue,
}

/// A rollout check on a metric of the new version over the last interval.
#[derive(Debug, Clone, Deserialize)]
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
