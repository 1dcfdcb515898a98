//! `[mesh.SERVICE]` and the scenario's profile resolved into the [`Effective`] policy: each key
//! the file sets, and the profile's default for each it leaves out, with its origin.
//!
//! Validation has already refused keys the profile's product lacks, so a key here is either set
//! and meaningful or left to its default. Values a profile has no key for but its product still
//! decides (Istio's fixed enforcement of consecutive 5xx, Linkerd's retry back-off) are resolved
//! too, with the reason as their origin, so `meshsim explain` shows everything that acts.

use crate::profile::{KeySpec, Profile};
use crate::scenario::schema::{self, LoadBalancer, MeshPolicy, RetryOn};
use crate::scenario::{DocPath, Duration, Locator, Real};

use super::effective::{
    Backoff, Breaker, Effective, FailureAccrual, Fault, Outlier, Pool, RateLimit, Retries,
    RetryLimit,
};
use super::sourced::{Origin, Sourced};

mod route;

/// Istio's default retry policy's `retryOn` (`retry.go`'s `defaultRetryOn`).
pub(crate) const ISTIO_DEFAULT_RETRY_ON: [RetryOn; 5] = [
    RetryOn::ConnectFailure,
    RetryOn::RefusedStream,
    RetryOn::Unavailable,
    RetryOn::Cancelled,
    RetryOn::RetriableStatusCodes,
];

/// Istio's default retry policy's `num_retries`.
const ISTIO_DEFAULT_ATTEMPTS: u32 = 2;

/// Istio's `HostSelectionRetryMaxAttempts` on every retry policy it writes.
const ISTIO_HOST_SELECTION_ATTEMPTS: u32 = 5;

/// A database client's query timeout, a publisher's wait for its confirm: meshsim's, since the
/// mesh sets none on TCP.
const TCP_CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Envoy's retry back-off: 25 ms base, and a maximum of ten times the base.
const ENVOY_BACKOFF_BASE: Duration = Duration::from_millis(25);
const ENVOY_BACKOFF_MAX_FACTOR: u64 = 10;

/// Resolves the policy on calls to the service (or store, or broker: `tcp`) at `path`
/// (`mesh.payment`); `locator` gives the file's lines when the text is at hand.
pub(crate) fn resolve(
    profile: Profile,
    policy: Option<&MeshPolicy>,
    tcp: bool,
    path: &DocPath,
    locator: Option<&Locator<'_>>,
) -> Effective {
    let empty = MeshPolicy::default();
    let policy = policy.unwrap_or(&empty);
    let at = At {
        profile,
        path: path.clone(),
        locator,
    };
    let pool = pool(&at, policy.connection_pool.as_ref());
    let (retries, retries_origin) = retries(&at, policy.retries.as_ref(), &pool, tcp);
    let mut effective = Effective {
        profile,
        tcp,
        timeout: timeout(&at, policy.timeout, tcp),
        load_balancer: at.value(
            "load_balancer",
            policy.load_balancer,
            balancer_default(profile),
        ),
        retries,
        retries_origin,
        pool,
        outlier: policy
            .outlier_detection
            .as_ref()
            .map(|outlier| self::outlier(&at.section("outlier_detection"), outlier)),
        failure_accrual: policy
            .failure_accrual
            .as_ref()
            .map(|accrual| failure_accrual(&at.section("failure_accrual"), accrual)),
        breaker: policy
            .circuit_breaker
            .as_ref()
            .map(|breaker| self::breaker(&at.section("circuit_breaker"), breaker)),
        fault: policy
            .fault
            .as_ref()
            .map(|fault| self::fault(&at.section("fault"), fault)),
        rate_limit: policy
            .rate_limit
            .as_ref()
            .map(|limit| rate_limit(&at.section("rate_limit"), limit)),
        allow_from: at.value("allow_from", policy.allow_from.clone().map(Some), None),
        routes: Vec::new(),
    };
    effective.routes = (policy.route.iter().enumerate())
        .map(|(index, set)| route::route_policy(&at, index, set, &effective, &effective.pool))
        .collect();
    effective
}

/// Where the keys being resolved sit: the profile, the table's path, and the text.
struct At<'a> {
    profile: Profile,
    /// `mesh.payment` or `mesh.payment.retries`.
    path: DocPath,
    locator: Option<&'a Locator<'a>>,
}

impl At<'_> {
    /// The same place, one table down.
    fn section(&self, name: &str) -> Self {
        At {
            profile: self.profile,
            path: self.path.key(name),
            locator: self.locator,
        }
    }

    /// The key path under `[mesh.SERVICE]`: `retries.attempts`.
    fn key_path(&self, key: &str) -> String {
        let parts = self.path.parts();
        // A route's keys are the service's keys of the same name (`route[0].timeout` is
        // `timeout`), so the route and its number are left out.
        let mut words: Vec<String> = parts
            .iter()
            .skip(2)
            .zip(parts.iter().skip(3).map(Some).chain([None]))
            .filter_map(|(part, next)| match (part, next) {
                (
                    crate::scenario::PathPart::Key(key),
                    Some(crate::scenario::PathPart::Index(_)),
                ) if key == "route" => None,
                (crate::scenario::PathPart::Key(key), _) => Some(key.clone()),
                (crate::scenario::PathPart::Index(_), _) => None,
            })
            .collect();
        if !key.is_empty() {
            words.push(key.to_owned());
        }
        words.join(".")
    }

    /// The profile's entry for `key`, or for this section when `key` is empty.
    fn spec(&self, key: &str) -> Option<&'static KeySpec> {
        self.profile.key(&self.key_path(key))
    }

    /// Where the file sets `key` (this section itself when `key` is empty).
    fn file(&self, key: &str) -> Origin {
        let path = if key.is_empty() {
            self.path.clone()
        } else {
            self.path.key(key)
        };
        if let Some(value) = self
            .locator
            .and_then(|locator| locator.included_place(path.parts()))
        {
            return Origin::Included {
                file: value.file_index,
                line: value.line,
            };
        }
        let line = self.locator.and_then(|locator| {
            let span = locator.value_span(path.parts())?;
            Some(locator.line_of(&span))
        });
        Origin::File { line }
    }

    /// The profile's default for `key`; keys the profile lacks (refused by validation) fall
    /// back to meshsim's reason.
    fn default(&self, key: &str) -> Origin {
        self.spec(key).map_or(
            Origin::Derived("not a setting of this mesh"),
            Origin::Default,
        )
    }

    /// `set` from the file, or `default` from the profile.
    fn value<T>(&self, key: &str, set: Option<T>, default: T) -> Sourced<T> {
        match set {
            Some(value) => Sourced::new(value, self.file(key)),
            None => Sourced::new(default, self.default(key)),
        }
    }

    /// Like [`At::value`] for a key the product has no field for: the product decides it.
    fn fixed<T>(&self, key: &str, set: Option<T>, value: T, reason: &'static str) -> Sourced<T> {
        match set {
            Some(set) => Sourced::new(set, self.file(key)),
            None => Sourced::new(value, Origin::Derived(reason)),
        }
    }
}

fn balancer_default(profile: Profile) -> LoadBalancer {
    match profile {
        Profile::Istio => LoadBalancer::LeastRequest,
        Profile::Envoy => LoadBalancer::RoundRobin,
        Profile::Linkerd => LoadBalancer::PeakEwma,
    }
}

fn timeout(at: &At<'_>, set: Option<Duration>, tcp: bool) -> Sourced<Option<Duration>> {
    if tcp && set.is_none() {
        // A TCP proxy has no route timeout; the client's own does the work.
        return Sourced::new(
            Some(TCP_CLIENT_TIMEOUT),
            Origin::Derived("the client's own timeout (meshsim's for a database or broker client)"),
        );
    }
    let default = match at.profile {
        Profile::Envoy => Some(Duration::from_secs(15)),
        Profile::Istio | Profile::Linkerd => None,
    };
    at.value("timeout", set.map(Some), default)
}

fn pool(at: &At<'_>, set: Option<&schema::ConnectionPool>) -> Pool {
    let at = at.section("connection_pool");
    let (connections, pending, requests, retries) = match at.profile {
        Profile::Envoy => (1024, 1024, 1024, 3),
        Profile::Istio | Profile::Linkerd => (u32::MAX, u32::MAX, u32::MAX, u32::MAX),
    };
    let limit = |key: &str, value: Option<u32>, default: u32| match at.profile {
        Profile::Linkerd => Sourced::new(u32::MAX, Origin::Derived("Linkerd has no such limit")),
        Profile::Istio | Profile::Envoy => at.value(key, value, default),
    };
    Pool {
        max_connections: limit(
            "max_connections",
            set.and_then(|pool| pool.max_connections),
            connections,
        ),
        max_pending_requests: limit(
            "max_pending_requests",
            set.and_then(|pool| pool.max_pending_requests),
            pending,
        ),
        max_requests: limit(
            "max_requests",
            set.and_then(|pool| pool.max_requests),
            requests,
        ),
        max_retries: limit(
            "max_retries",
            set.and_then(|pool| pool.max_retries),
            retries,
        ),
        max_requests_per_connection: limit(
            "max_requests_per_connection",
            set.and_then(|pool| pool.max_requests_per_connection),
            u32::MAX,
        ),
    }
}

/// The retry policy, or `None` with the reason there is none.
fn retries(
    at: &At<'_>,
    set: Option<&schema::Retries>,
    pool: &Pool,
    tcp: bool,
) -> (Option<Retries>, Origin) {
    let at = at.section("retries");
    match (set, at.profile) {
        (Some(block), Profile::Linkerd) if block.retry_budget.is_some() => {
            (Some(service_profile_retries(&at, block)), at.file(""))
        }
        (Some(block), _) => (Some(retry_block(&at, block, pool)), at.file("")),
        (None, Profile::Istio) if !tcp => {
            let spec = crate::profile::ISTIO_DEFAULT_RETRIES;
            (
                Some(istio_default_retries(spec, pool)),
                Origin::Section(spec),
            )
        }
        (None, _) if tcp => (
            None,
            Origin::Derived("a TCP client's calls: the mesh retries no request it cannot read"),
        ),
        (None, _) => (None, at.default("")),
    }
}

/// Istio's `DefaultPolicy`, on every HTTP route without a `retries` block.
fn istio_default_retries(spec: &'static KeySpec, pool: &Pool) -> Retries {
    let section = Origin::Section(spec);
    Retries {
        attempts: Sourced::new(ISTIO_DEFAULT_ATTEMPTS, section),
        per_try_timeout: Sourced::new(None, section),
        retry_on: Sourced::new(ISTIO_DEFAULT_RETRY_ON.to_vec(), section),
        retriable_status_codes: Sourced::new(Vec::new(), section),
        backoff: Backoff::Envoy {
            base: Sourced::new(ENVOY_BACKOFF_BASE, section),
            max: Sourced::new(
                Duration::from_nanos(ENVOY_BACKOFF_BASE.as_nanos() * ENVOY_BACKOFF_MAX_FACTOR),
                section,
            ),
        },
        limit: RetryLimit::Concurrent(pool.max_retries.clone()),
        host_reselections: Sourced::new(Some(ISTIO_HOST_SELECTION_ATTEMPTS), section),
    }
}

/// A `retries` block under Istio, Envoy or Linkerd's annotations.
fn retry_block(at: &At<'_>, block: &schema::Retries, pool: &Pool) -> Retries {
    let (attempts, retry_on) = match at.profile {
        Profile::Istio => (0, ISTIO_DEFAULT_RETRY_ON.to_vec()),
        Profile::Envoy | Profile::Linkerd => (1, Vec::new()),
    };
    Retries {
        attempts: at.value("attempts", block.attempts, attempts),
        per_try_timeout: at.value("per_try_timeout", block.per_try_timeout.map(Some), None),
        retry_on: at.value("retry_on", block.retry_on.clone(), retry_on),
        retriable_status_codes: at.value(
            "retriable_status_codes",
            block.retriable_status_codes.clone(),
            Vec::new(),
        ),
        backoff: backoff(at, block),
        limit: retry_limit(at, block, pool),
        host_reselections: host_reselections(at, block),
    }
}

fn backoff(at: &At<'_>, block: &schema::Retries) -> Backoff {
    if at.profile == Profile::Linkerd {
        return Backoff::Linkerd(Origin::Derived(
            "Linkerd's controller sends 25 ms doubling to 250 ms, jitter 1.0 (policy-controller/grpc/src/outbound/http.rs#L562-L585)",
        ));
    }
    let base = at.value("backoff_base", block.backoff_base, ENVOY_BACKOFF_BASE);
    let tenfold = Duration::from_nanos(
        base.value
            .as_nanos()
            .saturating_mul(ENVOY_BACKOFF_MAX_FACTOR),
    );
    let max = match (block.backoff_max, base.is_set(), at.spec("backoff_max")) {
        (Some(max), _, _) => Sourced::new(max, at.file("backoff_max")),
        (None, false, Some(spec)) => Sourced::new(tenfold, Origin::Default(spec)),
        (None, _, _) => Sourced::new(tenfold, Origin::Derived("10 × backoff_base (Envoy)")),
    };
    Backoff::Envoy { base, max }
}

fn retry_limit(at: &At<'_>, block: &schema::Retries, pool: &Pool) -> RetryLimit {
    if at.profile == Profile::Linkerd {
        return RetryLimit::None(Origin::Derived(
            "Linkerd's annotated retries have no budget, only the limit",
        ));
    }
    if block.budget_percent.is_none() && block.min_retry_concurrency.is_none() {
        return RetryLimit::Concurrent(pool.max_retries.clone());
    }
    RetryLimit::Budget {
        percent: at.value("budget_percent", block.budget_percent.map(Real::get), 20.0),
        min_retry_concurrency: at.value("min_retry_concurrency", block.min_retry_concurrency, 3),
    }
}

fn host_reselections(at: &At<'_>, block: &schema::Retries) -> Sourced<Option<u32>> {
    match at.profile {
        Profile::Istio => {
            let ignore = at.value(
                "retry_ignore_previous_hosts",
                block.retry_ignore_previous_hosts,
                true,
            );
            Sourced::new(
                ignore.value.then_some(ISTIO_HOST_SELECTION_ATTEMPTS),
                ignore.origin,
            )
        }
        Profile::Envoy => {
            let ignore = at.value(
                "retry_ignore_previous_hosts",
                block.retry_ignore_previous_hosts,
                false,
            );
            let attempts = at.value(
                "host_selection_retry_max_attempts",
                block.host_selection_retry_max_attempts,
                1,
            );
            if ignore.value {
                Sourced::new(Some(attempts.value), attempts.origin)
            } else {
                Sourced::new(None, ignore.origin)
            }
        }
        Profile::Linkerd => Sourced::new(
            None,
            Origin::Derived("a Linkerd retry is balanced again, the host tried included"),
        ),
    }
}

/// Linkerd's ServiceProfile retries: 5xx answers, within the budget, at once, no limit.
fn service_profile_retries(at: &At<'_>, block: &schema::Retries) -> Retries {
    let budget = at.section("retry_budget");
    let set = block.retry_budget.as_ref();
    let fixed = |reason| Origin::Derived(reason);
    Retries {
        attempts: Sourced::new(
            u32::MAX,
            fixed("a ServiceProfile's retries have no limit but the budget"),
        ),
        per_try_timeout: Sourced::new(None, fixed("a ServiceProfile has no per-try timeout")),
        retry_on: Sourced::new(
            vec![RetryOn::FiveXx],
            fixed("a ServiceProfile's default response classes: 5xx is a failure"),
        ),
        retriable_status_codes: Sourced::new(Vec::new(), fixed("not with ServiceProfile retries")),
        backoff: Backoff::None(fixed("ServiceProfile retries go at once")),
        limit: RetryLimit::Tps {
            retry_ratio: budget.value(
                "retry_ratio",
                set.and_then(|budget| budget.retry_ratio).map(Real::get),
                0.2,
            ),
            min_retries_per_second: budget.value(
                "min_retries_per_second",
                set.and_then(|budget| budget.min_retries_per_second),
                10,
            ),
            ttl: budget.value(
                "ttl",
                set.and_then(|budget| budget.ttl),
                Duration::from_secs(10),
            ),
        },
        host_reselections: Sourced::new(
            None,
            fixed("a Linkerd retry is balanced again, the host tried included"),
        ),
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one default per field of Envoy's OutlierDetection, in the proto's order, each beside \
              its Istio override: held against the sources as one table, not as pieces"
)]
fn outlier(at: &At<'_>, set: &schema::OutlierDetection) -> Outlier {
    let istio = at.profile == Profile::Istio;
    let consecutive_5xx = at.value("consecutive_5xx", set.consecutive_5xx, 5);
    let enforcing_5xx = if istio {
        Sourced::new(
            if consecutive_5xx.value > 0 { 100 } else { 0 },
            Origin::Derived("istiod enforces it 100 % unless consecutive_5xx is 0"),
        )
    } else {
        at.value(
            "enforcing_consecutive_5xx",
            set.enforcing_consecutive_5xx,
            100,
        )
    };
    let gateway = if istio {
        at.value(
            "consecutive_gateway_failure",
            set.consecutive_gateway_failure.map(Some),
            None,
        )
    } else {
        at.value(
            "consecutive_gateway_failure",
            set.consecutive_gateway_failure.map(Some),
            Some(5),
        )
    };
    let enforcing_gateway = if istio {
        Sourced::new(
            if gateway.value.is_some_and(|n| n > 0) {
                100
            } else {
                0
            },
            Origin::Derived("istiod enforces it 100 % when consecutiveGatewayErrors is set"),
        )
    } else {
        at.value(
            "enforcing_consecutive_gateway_failure",
            set.enforcing_consecutive_gateway_failure,
            0,
        )
    };
    Outlier {
        consecutive_5xx,
        enforcing_consecutive_5xx: enforcing_5xx,
        consecutive_gateway_failure: gateway,
        enforcing_consecutive_gateway_failure: enforcing_gateway,
        split_external_local_origin_errors: at.value(
            "split_external_local_origin_errors",
            set.split_external_local_origin_errors,
            false,
        ),
        consecutive_local_origin_failure: at.value(
            "consecutive_local_origin_failure",
            set.consecutive_local_origin_failure,
            5,
        ),
        enforcing_consecutive_local_origin_failure: if istio {
            Sourced::new(
                100,
                Origin::Derived("istiod enforces it 100 % with split local-origin errors"),
            )
        } else {
            at.value(
                "enforcing_consecutive_local_origin_failure",
                set.enforcing_consecutive_local_origin_failure,
                100,
            )
        },
        interval: at.value("interval", set.interval, Duration::from_secs(10)),
        base_ejection_time: at.value(
            "base_ejection_time",
            set.base_ejection_time,
            Duration::from_secs(30),
        ),
        max_ejection_time: at.fixed(
            "max_ejection_time",
            set.max_ejection_time,
            Duration::from_secs(300),
            "Envoy's default; Istio has no such field",
        ),
        max_ejection_percent: at.value(
            "max_ejection_percent",
            set.max_ejection_percent.map(Real::get),
            10.0,
        ),
        always_eject_one_host: at.fixed(
            "always_eject_one_host",
            set.always_eject_one_host,
            false,
            "istiod never sets it; Envoy's default",
        ),
        min_health_percent: at.value(
            "min_health_percent",
            set.min_health_percent.map(Real::get),
            if istio { 0.0 } else { 50.0 },
        ),
        success_rate_stdev_factor: at.fixed(
            "success_rate_stdev_factor",
            set.success_rate_stdev_factor.map(Real::get),
            1.9,
            "Envoy's default",
        ),
        success_rate_minimum_hosts: at.fixed(
            "success_rate_minimum_hosts",
            set.success_rate_minimum_hosts,
            5,
            "Envoy's default",
        ),
        success_rate_request_volume: at.fixed(
            "success_rate_request_volume",
            set.success_rate_request_volume,
            100,
            "Envoy's default",
        ),
        enforcing_success_rate: if istio {
            Sourced::new(
                0,
                Origin::Derived("istiod sets enforcing_success_rate to 0"),
            )
        } else {
            at.value("enforcing_success_rate", set.enforcing_success_rate, 100)
        },
        failure_percentage_threshold: at.fixed(
            "failure_percentage_threshold",
            set.failure_percentage_threshold.map(Real::get),
            85.0,
            "Envoy's default",
        ),
        failure_percentage_minimum_hosts: at.fixed(
            "failure_percentage_minimum_hosts",
            set.failure_percentage_minimum_hosts,
            5,
            "Envoy's default",
        ),
        failure_percentage_request_volume: at.fixed(
            "failure_percentage_request_volume",
            set.failure_percentage_request_volume,
            50,
            "Envoy's default",
        ),
        enforcing_failure_percentage: at.fixed(
            "enforcing_failure_percentage",
            set.enforcing_failure_percentage,
            0,
            "Envoy's default; istiod never sets it",
        ),
    }
}

fn failure_accrual(at: &At<'_>, set: &schema::FailureAccrual) -> FailureAccrual {
    FailureAccrual {
        consecutive_failures: at.value("consecutive_failures", set.consecutive_failures, 7),
        min_penalty: at.value("min_penalty", set.min_penalty, Duration::from_secs(1)),
        max_penalty: at.value("max_penalty", set.max_penalty, Duration::from_secs(60)),
        jitter_ratio: at.value("jitter_ratio", set.jitter_ratio.map(Real::get), 0.5),
    }
}

fn breaker(at: &At<'_>, set: &schema::CircuitBreaker) -> Breaker {
    Breaker {
        timeout: at.value("timeout", set.timeout, Duration::from_secs(10)),
        error_threshold_percent: at.value(
            "error_threshold_percent",
            set.error_threshold_percent.map(Real::get),
            50.0,
        ),
        volume_threshold: at.value("volume_threshold", set.volume_threshold, 0),
        window: at.value("window", set.window, Duration::from_secs(10)),
        buckets: at.value("buckets", set.buckets, 10),
        reset_timeout: at.value("reset_timeout", set.reset_timeout, Duration::from_secs(30)),
        fallback_status: at.value("fallback_status", set.fallback_status.map(Some), None),
        slow_call_duration: at.value("slow_call_duration", set.slow_call_duration.map(Some), None),
        slow_call_rate_percent: at.value(
            "slow_call_rate_percent",
            set.slow_call_rate_percent.map(Real::get),
            100.0,
        ),
        slow_call_minimum_calls: at.value(
            "slow_call_minimum_calls",
            set.slow_call_minimum_calls,
            100,
        ),
    }
}

fn fault(at: &At<'_>, set: &schema::FaultInjection) -> Fault {
    Fault {
        delay: at.value("delay", set.delay.map(Some), None),
        delay_percent: at.value("delay_percent", set.delay_percent.map(Real::get), 0.0),
        abort_status: at.value("abort_status", set.abort_status.map(Some), None),
        abort_percent: at.value("abort_percent", set.abort_percent.map(Real::get), 0.0),
    }
}

fn rate_limit(at: &At<'_>, set: &schema::RateLimit) -> RateLimit {
    if let Some(per_second) = set.requests_per_second {
        // Linkerd's GCRA with a burst of one second's requests is a token bucket of that depth,
        // refilled continuously at that rate.
        let origin = at.file("requests_per_second");
        return RateLimit {
            max_tokens: Sourced::new(per_second, origin),
            tokens_per_fill: Sourced::new(per_second, origin),
            fill_interval: Sourced::new(
                Duration::from_secs(1),
                Origin::Derived("requests_per_second: a second's requests, refilled continuously"),
            ),
        };
    }
    RateLimit {
        max_tokens: at.value("max_tokens", set.max_tokens, 1),
        tokens_per_fill: at.value("tokens_per_fill", set.tokens_per_fill, 1),
        fill_interval: at.value("fill_interval", set.fill_interval, Duration::from_secs(1)),
    }
}
