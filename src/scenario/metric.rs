//! The names of metrics that `[[expect]]` and rollout `checks` compare against a bound.
//!
//! An expectation names a metric of the whole run: `success_rate` and `latency_p99` over all
//! workloads, `workload.shoppers.requests.timed_out`, `service.payment.requests.shed`,
//! `rollout.order.outcome`. A rollout check names a metric of the new version over the last
//! interval: `success_rate`, `error_rate`, `latency_p99`, `requests`. Both are parsed here into
//! typed values the run evaluates, and each metric says what kind of bound it takes.

use std::fmt;

use super::diagnostic::{did_you_mean, quote};

/// A metric of a whole run, as `[[expect]]` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricRef {
    /// All workloads together: `success_rate`, `requests.sent`.
    Global(Stat),
    /// One workload's requests: `workload.shoppers.latency_p99`.
    Workload { name: String, stat: Stat },
    /// Requests a service received, whoever sent them: `service.payment.requests.shed`.
    Service { name: String, stat: Stat },
    /// How a service's rollout went: `rollout.order.outcome`.
    Rollout {
        service: String,
        field: RolloutField,
    },
    /// A broker's messages, all its subscriptions together: `broker.events.dead_lettered`.
    Broker { name: String, stat: BrokerStat },
    /// How many things break an invariant checked at the end: `invariant.no_double_charge`.
    Invariant { name: String },
    /// A store's figures at the end: `store.cache.hit_ratio`.
    Store { name: String, stat: StoreStat },
}

/// What a store reports at the end of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreStat {
    /// A Redis store's `GET`s that found their key.
    Hits,
    Misses,
    /// Hits over `GET`s, 0 to 1.
    HitRatio,
    /// A Redis store's list: `LPUSH`es since its last crash.
    ListLength,
    /// A stock store's units: available, reserved and sold at the end.
    StockAvailable,
    StockReserved,
    StockSold,
}

pub(crate) const STORE_STATS: [(&str, StoreStat); 7] = [
    ("hits", StoreStat::Hits),
    ("misses", StoreStat::Misses),
    ("hit_ratio", StoreStat::HitRatio),
    ("list_length", StoreStat::ListLength),
    ("stock_available", StoreStat::StockAvailable),
    ("stock_reserved", StoreStat::StockReserved),
    ("stock_sold", StoreStat::StockSold),
];

impl StoreStat {
    pub fn name(self) -> &'static str {
        STORE_STATS
            .iter()
            .find(|(_, stat)| *stat == self)
            .map_or("store", |(name, _)| name)
    }
}

/// What a broker did with its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerStat {
    Enqueued,
    Delivered,
    Redelivered,
    Acked,
    Failed,
    DeadLettered,
    /// Waiting in queues at the end.
    Queued,
    /// Out at consumers at the end.
    InFlight,
    /// The longest a message waited before its delivery.
    MaxLag,
}

const BROKER_STATS: [(&str, BrokerStat); 9] = [
    ("enqueued", BrokerStat::Enqueued),
    ("delivered", BrokerStat::Delivered),
    ("redelivered", BrokerStat::Redelivered),
    ("acked", BrokerStat::Acked),
    ("failed", BrokerStat::Failed),
    ("dead_lettered", BrokerStat::DeadLettered),
    ("queued", BrokerStat::Queued),
    ("in_flight", BrokerStat::InFlight),
    ("max_lag", BrokerStat::MaxLag),
];

impl BrokerStat {
    pub fn name(self) -> &'static str {
        BROKER_STATS
            .iter()
            .find(|(_, stat)| *stat == self)
            .map_or("broker", |(name, _)| name)
    }
}

/// A statistic of a set of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// Succeeded over finished requests, 0 to 1.
    SuccessRate,
    /// Over succeeded requests, from the send to the receipt of the answer.
    Latency(LatencyStat),
    Requests(RequestCount),
    /// What the mesh did to calls into a service, from every caller: `mesh.retries`.
    Mesh(MeshStat),
}

/// Counts of the mesh's actions on calls into one service, and their retry amplification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeshStat {
    Calls,
    Attempts,
    /// Attempts per call.
    Amplification,
    Retries,
    BudgetDenials,
    Overflows,
    CircuitOpens,
    CircuitRejections,
    Fallbacks,
    Ejections,
    RateLimited,
    Denied,
    FaultAborts,
    FaultDelays,
}

impl MeshStat {
    pub fn name(self) -> &'static str {
        SERVICE_STATS
            .iter()
            .find(|(_, stat)| *stat == Stat::Mesh(self))
            .map_or("mesh", |(name, _)| name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyStat {
    Mean,
    P50,
    P90,
    P99,
    Max,
}

/// Counts of requests; workloads send, services receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestCount {
    Sent,
    Succeeded,
    Failed,
    TimedOut,
    Shed,
    InFlight,
    Received,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutField {
    /// `promoted`, `rolled_back` or `in_progress` at the end of the run.
    Outcome,
    /// Simulated time from the rollout's start to its promotion or rollback.
    Time,
    /// Requests the new version answered in the run, good or bad: how many met it.
    BlastRadius,
}

/// What a metric's bound is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A number from 0 to 1.
    Ratio,
    /// A duration string, `"500ms"`.
    Duration,
    /// A non-negative number.
    Count,
    /// One of a fixed set of words, compared with `equals` only.
    Text,
}

impl ValueKind {
    /// How the kind is described in messages.
    pub fn describe(self) -> &'static str {
        match self {
            ValueKind::Ratio => "a number from 0 to 1",
            ValueKind::Duration => "a duration string like \"500ms\"",
            ValueKind::Count => "a number of 0 or more",
            ValueKind::Text => "a text",
        }
    }
}

/// The outcomes `rollout.SERVICE.outcome` can equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RolloutOutcome {
    Promoted,
    RolledBack,
    InProgress,
}

impl RolloutOutcome {
    pub(crate) const ALL: [RolloutOutcome; 3] = [
        RolloutOutcome::Promoted,
        RolloutOutcome::RolledBack,
        RolloutOutcome::InProgress,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            RolloutOutcome::Promoted => "promoted",
            RolloutOutcome::RolledBack => "rolled_back",
            RolloutOutcome::InProgress => "in_progress",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        RolloutOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.name() == text)
    }
}

/// A metric a rollout checks on the new version over its last interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckMetric {
    SuccessRate,
    ErrorRate,
    Latency(LatencyStat),
    /// Requests the new version received; a minimum makes sure the analysis saw traffic.
    Requests,
}

/// Why a metric name did not parse, and what would: the hint lists the valid names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MetricError {
    pub message: String,
    pub hint: String,
}

impl fmt::Display for MetricError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}; {}", self.message, self.hint)
    }
}

impl std::error::Error for MetricError {}

const LATENCY_STATS: [(&str, LatencyStat); 5] = [
    ("latency_mean", LatencyStat::Mean),
    ("latency_p50", LatencyStat::P50),
    ("latency_p90", LatencyStat::P90),
    ("latency_p99", LatencyStat::P99),
    ("latency_max", LatencyStat::Max),
];

/// Statistics of requests a client sent: all workloads together, or one.
const CLIENT_STATS: [(&str, Stat); 12] = [
    ("success_rate", Stat::SuccessRate),
    ("latency_mean", Stat::Latency(LatencyStat::Mean)),
    ("latency_p50", Stat::Latency(LatencyStat::P50)),
    ("latency_p90", Stat::Latency(LatencyStat::P90)),
    ("latency_p99", Stat::Latency(LatencyStat::P99)),
    ("latency_max", Stat::Latency(LatencyStat::Max)),
    ("requests.sent", Stat::Requests(RequestCount::Sent)),
    (
        "requests.succeeded",
        Stat::Requests(RequestCount::Succeeded),
    ),
    ("requests.failed", Stat::Requests(RequestCount::Failed)),
    ("requests.timed_out", Stat::Requests(RequestCount::TimedOut)),
    ("requests.shed", Stat::Requests(RequestCount::Shed)),
    ("requests.in_flight", Stat::Requests(RequestCount::InFlight)),
];

/// Statistics of requests a service received.
const SERVICE_STATS: [(&str, Stat); 24] = [
    ("mesh.calls", Stat::Mesh(MeshStat::Calls)),
    ("mesh.attempts", Stat::Mesh(MeshStat::Attempts)),
    ("mesh.amplification", Stat::Mesh(MeshStat::Amplification)),
    ("mesh.retries", Stat::Mesh(MeshStat::Retries)),
    ("mesh.budget_denials", Stat::Mesh(MeshStat::BudgetDenials)),
    ("mesh.overflows", Stat::Mesh(MeshStat::Overflows)),
    ("mesh.circuit_opens", Stat::Mesh(MeshStat::CircuitOpens)),
    (
        "mesh.circuit_rejections",
        Stat::Mesh(MeshStat::CircuitRejections),
    ),
    ("mesh.fallbacks", Stat::Mesh(MeshStat::Fallbacks)),
    ("mesh.ejections", Stat::Mesh(MeshStat::Ejections)),
    ("mesh.rate_limited", Stat::Mesh(MeshStat::RateLimited)),
    ("mesh.denied", Stat::Mesh(MeshStat::Denied)),
    ("mesh.fault_aborts", Stat::Mesh(MeshStat::FaultAborts)),
    ("mesh.fault_delays", Stat::Mesh(MeshStat::FaultDelays)),
    ("success_rate", Stat::SuccessRate),
    ("latency_mean", Stat::Latency(LatencyStat::Mean)),
    ("latency_p50", Stat::Latency(LatencyStat::P50)),
    ("latency_p90", Stat::Latency(LatencyStat::P90)),
    ("latency_p99", Stat::Latency(LatencyStat::P99)),
    ("latency_max", Stat::Latency(LatencyStat::Max)),
    ("requests.received", Stat::Requests(RequestCount::Received)),
    (
        "requests.succeeded",
        Stat::Requests(RequestCount::Succeeded),
    ),
    ("requests.failed", Stat::Requests(RequestCount::Failed)),
    ("requests.shed", Stat::Requests(RequestCount::Shed)),
];

const ROLLOUT_FIELDS: [(&str, RolloutField); 3] = [
    ("outcome", RolloutField::Outcome),
    ("time", RolloutField::Time),
    ("blast_radius", RolloutField::BlastRadius),
];

const CHECK_METRICS: [(&str, CheckMetric); 8] = [
    ("success_rate", CheckMetric::SuccessRate),
    ("error_rate", CheckMetric::ErrorRate),
    ("latency_mean", CheckMetric::Latency(LatencyStat::Mean)),
    ("latency_p50", CheckMetric::Latency(LatencyStat::P50)),
    ("latency_p90", CheckMetric::Latency(LatencyStat::P90)),
    ("latency_p99", CheckMetric::Latency(LatencyStat::P99)),
    ("latency_max", CheckMetric::Latency(LatencyStat::Max)),
    ("requests", CheckMetric::Requests),
];

/// Parses an expectation's metric name.
pub(crate) fn parse(text: &str) -> Result<MetricRef, MetricError> {
    if let Some(rest) = text.strip_prefix("workload.") {
        let (name, stat) = split_name(rest, "workload", "workload.NAME.STAT")?;
        let stat = lookup(&CLIENT_STATS, stat, "statistic of a workload")?;
        return Ok(MetricRef::Workload {
            name: name.to_owned(),
            stat,
        });
    }
    if let Some(rest) = text.strip_prefix("service.") {
        let (name, stat) = split_name(rest, "service", "service.NAME.STAT")?;
        let stat = lookup(&SERVICE_STATS, stat, "statistic of a service")?;
        return Ok(MetricRef::Service {
            name: name.to_owned(),
            stat,
        });
    }
    if let Some(name) = text.strip_prefix("invariant.") {
        let names = crate::invariants::NAMES;
        if let Some(name) = names.iter().find(|candidate| **candidate == name) {
            return Ok(MetricRef::Invariant {
                name: (*name).to_owned(),
            });
        }
        let valid = names.join(", ");
        let hint = match did_you_mean(name, names.iter().copied()) {
            Some(close) => format!("did you mean {}? valid: {valid}", quote(close)),
            None => format!("valid: {valid}"),
        };
        return Err(MetricError {
            message: format!("unknown invariant {}", quote(name)),
            hint,
        });
    }
    if let Some(rest) = text.strip_prefix("broker.") {
        let (name, stat) = split_name(rest, "broker", "broker.NAME.STAT")?;
        let stat = lookup(&BROKER_STATS, stat, "statistic of a broker")?;
        return Ok(MetricRef::Broker {
            name: name.to_owned(),
            stat,
        });
    }
    if let Some(rest) = text.strip_prefix("store.") {
        let (name, stat) = split_name(rest, "store", "store.NAME.STAT")?;
        let stat = lookup(&STORE_STATS, stat, "statistic of a store")?;
        return Ok(MetricRef::Store {
            name: name.to_owned(),
            stat,
        });
    }
    if let Some(rest) = text.strip_prefix("rollout.") {
        let (service, field) = split_name(rest, "rollout", "rollout.SERVICE.FIELD")?;
        let field = lookup(&ROLLOUT_FIELDS, field, "field of a rollout")?;
        return Ok(MetricRef::Rollout {
            service: service.to_owned(),
            field,
        });
    }
    if let Some((_, stat)) = CLIENT_STATS.iter().find(|(name, _)| *name == text) {
        return Ok(MetricRef::Global(*stat));
    }
    Err(unknown_metric(text))
}

/// Parses a rollout check's metric name.
pub(crate) fn parse_check(text: &str) -> Result<CheckMetric, MetricError> {
    if let Some((_, metric)) = CHECK_METRICS.iter().find(|(name, _)| *name == text) {
        return Ok(*metric);
    }
    let names: Vec<&str> = CHECK_METRICS.iter().map(|(name, _)| *name).collect();
    let valid = names.join(", ");
    let hint = match did_you_mean(text, names.iter().copied()) {
        Some(close) => format!(
            "did you mean {}? a check takes one of: {valid}",
            quote(close)
        ),
        None => format!("a check measures the new version over the last interval, one of: {valid}"),
    };
    Err(MetricError {
        message: format!("unknown rollout check metric {}", quote(text)),
        hint,
    })
}

/// Splits `NAME.STAT` after a prefix; names hold no dots, so the first dot ends the name.
fn split_name<'a>(
    rest: &'a str,
    prefix: &str,
    shape: &str,
) -> Result<(&'a str, &'a str), MetricError> {
    match rest.split_once('.') {
        Some((name, stat)) if !name.is_empty() && !stat.is_empty() => Ok((name, stat)),
        _ => Err(MetricError {
            message: format!("incomplete metric {}", quote(&format!("{prefix}.{rest}"))),
            hint: format!("write it as {shape}, like {}", example(prefix)),
        }),
    }
}

fn example(prefix: &str) -> &'static str {
    match prefix {
        "workload" => "workload.shoppers.success_rate",
        "service" => "service.payment.requests.shed",
        "broker" => "broker.events.dead_lettered",
        "store" => "store.cache.hit_ratio",
        _ => "rollout.order.outcome",
    }
}

fn lookup<T: Copy>(table: &[(&str, T)], wanted: &str, what: &str) -> Result<T, MetricError> {
    if let Some((_, value)) = table.iter().find(|(name, _)| *name == wanted) {
        return Ok(*value);
    }
    let names: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
    let valid = names.join(", ");
    let hint = match did_you_mean(wanted, names.iter().copied()) {
        Some(close) => format!("did you mean {}? valid: {valid}", quote(close)),
        None => format!("valid: {valid}"),
    };
    Err(MetricError {
        message: format!("unknown {what} {}", quote(wanted)),
        hint,
    })
}

fn unknown_metric(text: &str) -> MetricError {
    let globals: Vec<&str> = CLIENT_STATS.iter().map(|(name, _)| *name).collect();
    // `workloads.x.success_rate` and `services.x...` are common slips for the prefixes.
    let first = text.split('.').next().unwrap_or(text);
    let prefix_names = [
        "workload",
        "service",
        "broker",
        "store",
        "invariant",
        "rollout",
    ];
    let close_prefix = did_you_mean(first, prefix_names).filter(|_| text.contains('.'));
    let hint = if text == "error_rate" {
        "expectations measure success_rate: for an error rate under 1%, write metric = \"success_rate\" with min = 0.99".to_owned()
    } else if text == "requests.received" {
        "services receive requests: write service.NAME.requests.received; over all workloads, requests.sent counts what was sent".to_owned()
    } else if let Some(prefix) = close_prefix {
        let rest = text.split_once('.').map_or("", |(_, rest)| rest);
        format!("did you mean {}?", quote(&format!("{prefix}.{rest}")))
    } else if let Some(close) = did_you_mean(text, globals.iter().copied()) {
        format!("did you mean {}?", quote(close))
    } else {
        format!(
            "over all workloads: {}; per workload: workload.NAME.STAT; per service: service.NAME.STAT; per broker: broker.NAME.STAT; per store: store.NAME.STAT; per rollout: rollout.SERVICE.outcome, .time or .blast_radius",
            globals.join(", ")
        )
    };
    MetricError {
        message: format!("unknown metric {}", quote(text)),
        hint,
    }
}

impl MetricRef {
    /// What a bound on this metric is written as.
    pub fn value_kind(&self) -> ValueKind {
        match self {
            MetricRef::Global(stat)
            | MetricRef::Workload { stat, .. }
            | MetricRef::Service { stat, .. } => stat.value_kind(),
            MetricRef::Invariant { .. } => ValueKind::Count,
            MetricRef::Broker { stat, .. } => match stat {
                BrokerStat::MaxLag => ValueKind::Duration,
                _ => ValueKind::Count,
            },
            MetricRef::Store { stat, .. } => match stat {
                StoreStat::HitRatio => ValueKind::Ratio,
                _ => ValueKind::Count,
            },
            MetricRef::Rollout { field, .. } => match field {
                RolloutField::Outcome => ValueKind::Text,
                RolloutField::Time => ValueKind::Duration,
                RolloutField::BlastRadius => ValueKind::Count,
            },
        }
    }
}

impl Stat {
    pub fn value_kind(self) -> ValueKind {
        match self {
            Stat::SuccessRate => ValueKind::Ratio,
            Stat::Latency(_) => ValueKind::Duration,
            Stat::Requests(_) | Stat::Mesh(_) => ValueKind::Count,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Stat::SuccessRate => "success_rate",
            Stat::Latency(latency) => latency.name(),
            Stat::Requests(count) => count.name(),
            Stat::Mesh(stat) => stat.name(),
        }
    }
}

impl LatencyStat {
    pub fn name(self) -> &'static str {
        LATENCY_STATS
            .iter()
            .find(|(_, stat)| *stat == self)
            .map_or("latency", |(name, _)| name)
    }
}

impl RequestCount {
    pub fn name(self) -> &'static str {
        match self {
            RequestCount::Sent => "requests.sent",
            RequestCount::Succeeded => "requests.succeeded",
            RequestCount::Failed => "requests.failed",
            RequestCount::TimedOut => "requests.timed_out",
            RequestCount::Shed => "requests.shed",
            RequestCount::InFlight => "requests.in_flight",
            RequestCount::Received => "requests.received",
        }
    }
}

impl RolloutField {
    pub fn name(self) -> &'static str {
        match self {
            RolloutField::Outcome => "outcome",
            RolloutField::Time => "time",
            RolloutField::BlastRadius => "blast_radius",
        }
    }
}

impl CheckMetric {
    pub fn value_kind(self) -> ValueKind {
        match self {
            CheckMetric::SuccessRate | CheckMetric::ErrorRate => ValueKind::Ratio,
            CheckMetric::Latency(_) => ValueKind::Duration,
            CheckMetric::Requests => ValueKind::Count,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CheckMetric::SuccessRate => "success_rate",
            CheckMetric::ErrorRate => "error_rate",
            CheckMetric::Latency(latency) => latency.name(),
            CheckMetric::Requests => "requests",
        }
    }
}

impl fmt::Display for MetricRef {
    /// The metric's name as written in a scenario; it parses back to the same value.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricRef::Global(stat) => formatter.write_str(stat.name()),
            MetricRef::Workload { name, stat } => {
                write!(formatter, "workload.{name}.{}", stat.name())
            }
            MetricRef::Service { name, stat } => {
                write!(formatter, "service.{name}.{}", stat.name())
            }
            MetricRef::Rollout { service, field } => {
                write!(formatter, "rollout.{service}.{}", field.name())
            }
            MetricRef::Broker { name, stat } => {
                write!(formatter, "broker.{name}.{}", stat.name())
            }
            MetricRef::Invariant { name } => write!(formatter, "invariant.{name}"),
            MetricRef::Store { name, stat } => write!(formatter, "store.{name}.{}", stat.name()),
        }
    }
}

impl fmt::Display for CheckMetric {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::{
        CheckMetric, LatencyStat, MetricRef, RequestCount, RolloutField, RolloutOutcome, Stat,
        ValueKind, parse, parse_check,
    };

    #[test]
    fn parses_every_form() {
        assert_eq!(
            parse("success_rate"),
            Ok(MetricRef::Global(Stat::SuccessRate))
        );
        assert_eq!(
            parse("latency_p99"),
            Ok(MetricRef::Global(Stat::Latency(LatencyStat::P99)))
        );
        assert_eq!(
            parse("requests.timed_out"),
            Ok(MetricRef::Global(Stat::Requests(RequestCount::TimedOut)))
        );
        assert_eq!(
            parse("workload.shoppers.requests.in_flight"),
            Ok(MetricRef::Workload {
                name: "shoppers".into(),
                stat: Stat::Requests(RequestCount::InFlight)
            })
        );
        assert_eq!(
            parse("service.payment.requests.received"),
            Ok(MetricRef::Service {
                name: "payment".into(),
                stat: Stat::Requests(RequestCount::Received)
            })
        );
        assert_eq!(
            parse("rollout.order.blast_radius"),
            Ok(MetricRef::Rollout {
                service: "order".into(),
                field: RolloutField::BlastRadius
            })
        );
    }

    #[test]
    fn round_trips_through_display() {
        for text in [
            "success_rate",
            "latency_max",
            "requests.sent",
            "workload.w.latency_p50",
            "service.s.requests.shed",
            "rollout.r.time",
        ] {
            assert_eq!(parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn knows_the_kind_of_each_bound() {
        assert_eq!(
            parse("success_rate").unwrap().value_kind(),
            ValueKind::Ratio
        );
        assert_eq!(
            parse("workload.w.latency_mean").unwrap().value_kind(),
            ValueKind::Duration
        );
        assert_eq!(
            parse("service.s.requests.failed").unwrap().value_kind(),
            ValueKind::Count
        );
        assert_eq!(
            parse("rollout.s.outcome").unwrap().value_kind(),
            ValueKind::Text
        );
        assert_eq!(
            parse("rollout.s.time").unwrap().value_kind(),
            ValueKind::Duration
        );
        assert_eq!(
            RolloutOutcome::parse("rolled_back"),
            Some(RolloutOutcome::RolledBack)
        );
        assert_eq!(RolloutOutcome::parse("rolledback"), None);
    }

    #[test]
    fn rejects_with_the_valid_names() {
        let error = parse("succes_rate").unwrap_err();
        assert_eq!(error.message, "unknown metric `succes_rate`");
        assert!(
            error.hint.starts_with("did you mean `success_rate`?"),
            "{}",
            error.hint
        );
        // Services receive requests; they do not send them.
        let error = parse("service.payment.requests.sent").unwrap_err();
        assert!(error.hint.contains("requests.received"), "{}", error.hint);
        // Workloads send requests; `received` is a service's count.
        assert!(parse("workload.w.requests.received").is_err());
        assert!(parse("requests.received").is_err());
        let error = parse("workloads.w.success_rate").unwrap_err();
        assert_eq!(error.hint, "did you mean `workload.w.success_rate`?");
        assert!(parse("workload.shoppers").is_err());
        assert!(parse("workload..success_rate").is_err());
        assert!(parse("rollout.order.status").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn parses_rollout_checks() {
        assert_eq!(parse_check("error_rate"), Ok(CheckMetric::ErrorRate));
        assert_eq!(
            parse_check("latency_p90"),
            Ok(CheckMetric::Latency(LatencyStat::P90))
        );
        assert_eq!(
            parse_check("requests").unwrap().value_kind(),
            ValueKind::Count
        );
        let error = parse_check("request-success-rate").unwrap_err();
        assert!(
            error.hint.contains("success_rate, error_rate"),
            "{}",
            error.hint
        );
    }
}
