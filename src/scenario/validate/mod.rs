//! Checks what serde cannot: references between sections, ranges, sums, cycles and size limits.
//!
//! serde has already checked the shape of the file (keys, types, durations). What is left is the
//! meaning: that a call names a service and an endpoint that exist, that route weights sum to
//! 100, that a fault has the keys its kind needs, that no synchronous calls go round in a cycle.
//! Every check names the path of what it looks at, and the [`Locator`] turns the path into a
//! span, so each problem points at the most precise text there is. Checks never stop at the first
//! problem: a user fixing a file wants all of them at once.

mod mesh;

use std::ops::Range;

use indexmap::{IndexMap, IndexSet};

use super::diagnostic::{Diagnostic, quote, suggestion};
use super::duration::Duration;
use super::limits;
use super::locate::{DocPath, Locator};
use super::metric::{self, RolloutOutcome, ValueKind};
use super::number::{Bound, Real};
use super::schema::{
    Arrival, Call, Distribution, Endpoint, Expectation, Fault, FaultKind, Rollout, Scenario,
    Service, StoreKind, Strategy, Workload,
};

/// What validation found: errors stop the load, warnings do not.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Checks `scenario`, parsed from the text `locator` holds; diagnostics name `file`.
pub fn validate(scenario: &Scenario, file: &str, locator: &Locator<'_>) -> Findings {
    let mut checker = Checker {
        scenario,
        file,
        locator,
        names: Names::collect(scenario),
        graph: CallGraph::default(),
        published: IndexMap::new(),
        findings: Findings::default(),
    };
    checker.check_header();
    checker.check_network();
    checker.check_services();
    checker.check_brokers();
    checker.check_stores();
    checker.check_sagas();
    checker.check_subscriptions();
    checker.check_mesh();
    checker.check_workloads();
    checker.check_faults();
    checker.check_rollouts();
    checker.check_dependencies();
    checker.check_expectations();
    checker.check_call_cycles();
    checker.findings
}

/// Probabilities that should sum to 1 and weights that should sum to 100 are compared with this
/// slack, so `0.1 + 0.2 + 0.7` passes despite binary floating point.
const SUM_TOLERANCE: f64 = 1e-9;

/// Past this many errors, "did you mean" hints are no longer computed: each compares a name with
/// every declared one, and a file with thousands of broken references would otherwise take
/// seconds. Only the first errors are shown anyway.
const HINTED_ERRORS_MAX: usize = 200;

/// Cycles reported at most; one is enough to act on, a few show whether they share a call.
const CYCLES_REPORTED_MAX: usize = 10;

/// The names every section can refer to, indexed once.
struct Names<'s> {
    /// Service name to the index of its first declaration.
    services: IndexMap<&'s str, usize>,
    /// Per service index: endpoint name to the index of its first declaration.
    endpoints: Vec<IndexMap<&'s str, usize>>,
    /// Per service index: its versions, "v1" first, then `[[service.version]]` in order.
    versions: Vec<IndexSet<&'s str>>,
    /// Per service index: instances over all its versions.
    instances: Vec<u64>,
    workloads: IndexMap<&'s str, usize>,
    brokers: IndexMap<&'s str, usize>,
    stores: IndexMap<&'s str, usize>,
    /// Topic to the index of the first broker declaring it.
    topics: IndexMap<&'s str, usize>,
    /// Services with a `[[rollout]]`.
    rollouts: IndexSet<&'s str>,
}

/// The name of a service's own version, the one its top-level keys describe.
const BASE_VERSION: &str = "v1";

impl<'s> Names<'s> {
    fn collect(scenario: &'s Scenario) -> Self {
        let mut names = Names {
            services: IndexMap::new(),
            endpoints: Vec::new(),
            versions: Vec::new(),
            instances: Vec::new(),
            workloads: IndexMap::new(),
            brokers: IndexMap::new(),
            stores: IndexMap::new(),
            topics: IndexMap::new(),
            rollouts: scenario
                .rollouts
                .iter()
                .map(|rollout| rollout.service.as_str())
                .collect(),
        };
        for (index, service) in scenario.services.iter().enumerate() {
            names.services.entry(service.name.as_str()).or_insert(index);
            let mut endpoints = IndexMap::new();
            for (endpoint_index, endpoint) in service.endpoints.iter().enumerate() {
                endpoints
                    .entry(endpoint.name.as_str())
                    .or_insert(endpoint_index);
            }
            names.endpoints.push(endpoints);
            let mut versions = IndexSet::from([BASE_VERSION]);
            for version in &service.versions {
                versions.insert(version.name.as_str());
            }
            names.versions.push(versions);
            let instances = service
                .versions
                .iter()
                .fold(u64::from(service.replicas), |sum, version| {
                    sum.saturating_add(u64::from(version.replicas))
                });
            names.instances.push(instances);
        }
        for (index, workload) in scenario.workloads.iter().enumerate() {
            names
                .workloads
                .entry(workload.name.as_str())
                .or_insert(index);
        }
        for (index, store) in scenario.stores.iter().enumerate() {
            names.stores.entry(store.name.as_str()).or_insert(index);
        }
        for (index, broker) in scenario.brokers.iter().enumerate() {
            names.brokers.entry(broker.name.as_str()).or_insert(index);
            for topic in &broker.topics {
                names.topics.entry(topic.as_str()).or_insert(index);
            }
        }
        names
    }

    fn service_names(&self) -> Vec<&'s str> {
        self.services.keys().copied().collect()
    }
}

/// Synchronous calls between endpoints, `(service index, endpoint index)` to the same, with the
/// path of each call so a cycle can point at the call that closes it.
#[derive(Default)]
struct CallGraph {
    edges: IndexMap<EndpointId, Vec<(EndpointId, DocPath)>>,
}

/// An endpoint as `(service index, endpoint index)`.
type EndpointId = (usize, usize);

/// A host a fault or a link can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Host {
    Service(usize),
    Instance(usize, u64),
    Workload(usize),
    Broker(usize),
    Store(usize),
}

struct Checker<'s, 'l> {
    scenario: &'s Scenario,
    file: &'s str,
    locator: &'l Locator<'l>,
    names: Names<'s>,
    graph: CallGraph,
    /// Topics that calls publish to, with the path of the first call doing so.
    published: IndexMap<&'s str, DocPath>,
    findings: Findings,
}

fn root(key: &str) -> DocPath {
    DocPath::root().key(key)
}

/// A number for a message: the shortest exact spelling, with float noise below 1e-9 removed so
/// that a sum of `0.1 + 0.2` reads `0.3`.
fn number(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let rounded = (value * 1e9).round() / 1e9;
    if rounded.is_finite() {
        rounded.to_string()
    } else {
        value.to_string()
    }
}

impl<'s> Checker<'s, '_> {
    // ----- Recording diagnostics -----

    fn error(&mut self, path: &DocPath, message: impl Into<String>) -> &mut Diagnostic {
        let span = self.locator.value_span(path.parts());
        self.push(Diagnostic::error(self.file, message).with_span(span))
    }

    /// An error about a key itself (unknown, misplaced) rather than its value.
    fn error_at_key(&mut self, path: &DocPath, message: impl Into<String>) -> &mut Diagnostic {
        let span = self.locator.key_span(path.parts());
        self.push(Diagnostic::error(self.file, message).with_span(span))
    }

    fn warning(&mut self, path: &DocPath, message: impl Into<String>) -> &mut Diagnostic {
        let span = self.locator.value_span(path.parts());
        let diagnostic = Diagnostic::warning(self.file, message).with_span(span);
        self.findings.warnings.push(diagnostic);
        self.findings
            .warnings
            .last_mut()
            .expect("a warning was just pushed")
    }

    fn push(&mut self, diagnostic: Diagnostic) -> &mut Diagnostic {
        self.findings.errors.push(diagnostic);
        self.findings
            .errors
            .last_mut()
            .expect("an error was just pushed")
    }

    /// A "did you mean" hint over the names `names` lists, or `when_none` when it lists none;
    /// `None` once so many errors were found that hints stopped mattering. `names` is only
    /// called when a hint is made, so a flood of errors costs no list building either.
    fn suggest<'n>(
        &self,
        wanted: &str,
        label: &str,
        names: impl FnOnce() -> Vec<&'n str>,
        when_none: &str,
    ) -> Option<String> {
        if self.findings.errors.len() > HINTED_ERRORS_MAX {
            return None;
        }
        Some(suggestion(wanted, label, &names()).unwrap_or_else(|| when_none.to_owned()))
    }

    fn line_of(&self, path: &DocPath) -> Option<usize> {
        let span: Range<usize> = self.locator.value_span(path.parts())?;
        Some(self.locator.line_of(&span))
    }

    // ----- Reusable checks of one value -----

    /// A collection (array, or table of entries) at `path` holds at most `max` entries; the
    /// error points at the first entry past the limit where it can.
    fn count_limit(&mut self, path: &DocPath, count: usize, max: usize, what: &str) {
        if count > max {
            self.error(
                &path.index(max),
                format!("too many {what}: {count}, the limit is {max}"),
            );
        }
    }

    fn probability(&mut self, path: &DocPath, value: f64) {
        if (0.0..=1.0).contains(&value) {
            return;
        }
        let key = path.last_key().to_owned();
        let diagnostic = self.error(
            path,
            format!(
                "`{key}` is a probability from 0 to 1, not {}",
                number(value)
            ),
        );
        if value > 1.0 && value <= 100.0 {
            diagnostic.set_hint(format!(
                "probabilities are fractions: write {key} = {} for {}%",
                number(value / 100.0),
                number(value)
            ));
        }
    }

    fn percent(&mut self, path: &DocPath, value: f64) {
        if !(0.0..=100.0).contains(&value) {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!(
                    "`{key}` is a percentage from 0 to 100, not {}",
                    number(value)
                ),
            );
        }
    }

    /// A percentage that must be above zero to make progress (a step, a maximum weight).
    fn positive_percent(&mut self, path: &DocPath, value: f64) {
        if !(value > 0.0 && value <= 100.0) {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!(
                    "`{key}` is a percentage above 0 and at most 100, not {}",
                    number(value)
                ),
            );
        }
    }

    fn positive_duration(&mut self, path: &DocPath, duration: Duration) {
        if duration.is_zero() {
            let key = path.last_key().to_owned();
            self.error(path, format!("`{key}` must be longer than 0s"));
        }
    }

    fn whole_at_least(&mut self, path: &DocPath, value: u64, min: u64) {
        if value < min {
            let key = path.last_key().to_owned();
            self.error(path, format!("`{key}` must be at least {min}, not {value}"));
        }
    }

    fn whole_at_most(&mut self, path: &DocPath, value: u64, max: u64, why: &str) {
        if value > max {
            let key = path.last_key().to_owned();
            self.error(
                path,
                format!("`{key}` is {value}, above the limit of {max} {why}"),
            );
        }
    }

    /// Names of hosts and versions: they become CSV cells, metric names (`service.NAME.x`, where
    /// a dot would be ambiguous) and instance names (`NAME/0`, where a slash would be).
    fn name(&mut self, path: &DocPath, name: &str, what: &str) {
        if name.is_empty() {
            self.error(path, format!("empty {what}"));
            return;
        }
        let length = name.chars().count();
        if length > limits::NAME_CHARS_MAX {
            self.error(
                path,
                format!(
                    "{what} {} is {length} characters long, the limit is {}",
                    quote(name),
                    limits::NAME_CHARS_MAX
                ),
            );
            return;
        }
        if let Some(bad) = name.chars().find(|character| {
            !(character.is_ascii_alphanumeric() || *character == '-' || *character == '_')
        }) {
            let diagnostic = self.error(
                path,
                format!(
                    "invalid {what} {}: only letters, digits, `-` and `_` are allowed",
                    quote(name)
                ),
            );
            let fixed: String = name
                .chars()
                .map(|character| {
                    if character.is_ascii_alphanumeric() || character == '_' {
                        character
                    } else {
                        '-'
                    }
                })
                .collect();
            let why = match bad {
                '/' => " (`/` names an instance, as in `payment/0`)",
                '.' => {
                    " (`.` separates the parts of metric names, as in `service.payment.success_rate`)"
                }
                _ => "",
            };
            diagnostic.set_hint(format!("try {}{why}", quote(&fixed)));
        }
    }

    /// Free-form labels (endpoint, topic and header names): any text but empty, control
    /// characters and very long ones.
    fn label(&mut self, path: &DocPath, label: &str, what: &str, chars_max: usize) {
        let length = label.chars().count();
        if label.trim().is_empty() {
            self.error(path, format!("empty {what}"));
        } else if length > chars_max {
            self.error(
                path,
                format!(
                    "{what} {} is {length} characters long, the limit is {chars_max}",
                    quote(label)
                ),
            );
        } else if label.chars().any(char::is_control) {
            self.error(
                path,
                format!("{what} {} holds a control character", quote(label)),
            );
        }
    }

    /// Records `name` as seen at `path`; a second sighting is an error pointing back at the first.
    fn unique<'n>(
        &mut self,
        seen: &mut IndexMap<&'n str, DocPath>,
        name: &'n str,
        path: &DocPath,
        what: &str,
    ) {
        if let Some(first) = seen.get(name) {
            let first_line = self.line_of(first);
            let diagnostic = self.error(path, format!("duplicate {what} {}", quote(name)));
            match first_line {
                Some(line) => diagnostic.set_hint(format!(
                    "the first is on line {line}; {what}s must be unique"
                )),
                None => diagnostic.set_hint(format!("{what}s must be unique")),
            };
        } else {
            seen.insert(name, path.clone());
        }
    }

    fn distribution(&mut self, path: &DocPath, distribution: &Distribution) {
        match distribution {
            Distribution::Const { .. } | Distribution::Normal { .. } => {}
            Distribution::Uniform { min, max } => {
                if min > max {
                    self.error(
                        &path.key("max"),
                        format!("uniform `max` {max} is below `min` {min}"),
                    );
                }
            }
            Distribution::Exp { mean } => {
                if mean.is_zero() {
                    self.error(
                        &path.key("mean"),
                        "an exponential distribution needs a `mean` above 0s",
                    )
                    .set_hint("for no time at all, write { dist = \"const\", value = \"0s\" }");
                }
            }
            Distribution::Lognormal { median, p99 } => {
                if median.is_zero() {
                    self.error(
                        &path.key("median"),
                        "a lognormal distribution needs a `median` above 0s",
                    )
                    .set_hint("for no time at all, write { dist = \"const\", value = \"0s\" }");
                } else if p99 < median {
                    self.error(
                        &path.key("p99"),
                        format!("`p99` {p99} is below `median` {median}"),
                    )
                    .set_hint(
                        "the 99th percentile is at least the median; equal values make a constant",
                    );
                }
            }
        }
    }

    // ----- References -----

    fn service_ref(&mut self, path: &DocPath, name: &str, context: &str) -> Option<usize> {
        if let Some(index) = self.names.services.get(name) {
            return Some(*index);
        }
        let hint = self.suggest(
            name,
            "services here",
            || self.names.service_names(),
            "no [[service]] is declared",
        );
        self.error(
            path,
            format!("unknown service {} in `{context}`", quote(name)),
        )
        .set_optional_hint(hint);
        None
    }

    fn endpoint_ref(&mut self, path: &DocPath, service: usize, name: &str) -> Option<usize> {
        if let Some(index) = self.names.endpoints[service].get(name) {
            return Some(*index);
        }
        let service_name = self.scenario.services[service].name.as_str();
        let label = format!("endpoints of {}", quote(service_name));
        let hint = self.suggest(
            name,
            &label,
            || self.names.endpoints[service].keys().copied().collect(),
            &format!("{} declares no [[service.endpoint]]", quote(service_name)),
        );
        self.error(
            path,
            format!(
                "service {} has no endpoint {}",
                quote(service_name),
                quote(name)
            ),
        )
        .set_optional_hint(hint);
        None
    }

    fn topic_ref(&mut self, path: &DocPath, topic: &str) -> bool {
        if self.names.topics.contains_key(topic) {
            return true;
        }
        let hint = self.suggest(
            topic,
            "topics here",
            || self.names.topics.keys().copied().collect(),
            "declare it in a [[broker]]'s `topics`",
        );
        self.error(
            path,
            format!("unknown topic {}: no [[broker]] declares it", quote(topic)),
        )
        .set_optional_hint(hint);
        false
    }

    /// Whether `version` is one of the service's; `at_key` points an error at the key (route
    /// weights name versions by key) rather than at the value (a rollout's `from` and `to`).
    fn version_ref(&mut self, path: &DocPath, service: usize, version: &str, at_key: bool) -> bool {
        if self.names.versions[service].contains(&version) {
            return true;
        }
        let service_name = self.scenario.services[service].name.as_str();
        let label = format!("versions of {}", quote(service_name));
        let hint = self.suggest(
            version,
            &label,
            || self.names.versions[service].iter().copied().collect(),
            "",
        );
        let message = format!(
            "{} is not a version of {}",
            quote(version),
            quote(service_name)
        );
        let diagnostic = if at_key {
            self.error_at_key(path, message)
        } else {
            self.error(path, message)
        };
        diagnostic.set_optional_hint(hint);
        false
    }

    /// A service (all its instances), an instance `service/N`, or a workload's client host.
    fn host_ref(&mut self, path: &DocPath, text: &str) -> Option<Host> {
        if let Some((service_name, number_text)) = text.split_once('/') {
            let service = self.service_ref(path, service_name, path.last_key())?;
            let count = self.names.instances[service];
            let number = if !number_text.is_empty()
                && number_text.bytes().all(|byte| byte.is_ascii_digit())
            {
                number_text.parse::<u64>().ok()
            } else {
                None
            };
            let range = if count == 0 {
                format!("{} has no instances", quote(service_name))
            } else if count == 1 {
                format!("{} has 1 instance, {service_name}/0", quote(service_name))
            } else {
                format!(
                    "{} has {count} instances, {service_name}/0 to {service_name}/{}",
                    quote(service_name),
                    count - 1
                )
            };
            return match number {
                Some(number) if number < count => Some(Host::Instance(service, number)),
                Some(_) => {
                    self.error(path, format!("unknown instance {}: {range}", quote(text)))
                        .set_hint("instances are numbered across versions: v1's first, then each [[service.version]]'s in order");
                    None
                }
                None => {
                    self.error(
                        path,
                        format!(
                            "{} is not an instance: write SERVICE/N, N a number",
                            quote(text)
                        ),
                    )
                    .set_hint(range);
                    None
                }
            };
        }
        if let Some(index) = self.names.services.get(text) {
            return Some(Host::Service(*index));
        }
        if let Some(index) = self.names.workloads.get(text) {
            return Some(Host::Workload(*index));
        }
        if let Some(index) = self.names.brokers.get(text) {
            return Some(Host::Broker(*index));
        }
        if let Some(index) = self.names.stores.get(text) {
            return Some(Host::Store(*index));
        }
        let hint = self.suggest(
            text,
            "services, workloads and brokers here",
            || {
                let mut hosts = self.names.service_names();
                hosts.extend(self.names.workloads.keys().copied());
                hosts.extend(self.names.brokers.keys().copied());
                hosts.extend(self.names.stores.keys().copied());
                hosts
            },
            "declare a [[service]], a [[workload]], a [[broker]] or a [[store]] first",
        );
        self.error(
            path,
            format!(
                "unknown service, instance or workload {} in `{}`",
                quote(text),
                path.last_key()
            ),
        )
        .set_optional_hint(hint);
        None
    }

    // ----- [scenario] and [network] -----

    fn check_header(&mut self) {
        let header = &self.scenario.scenario;
        let path = root("scenario");
        self.name(&path.key("name"), &header.name, "scenario name");
        let duration = header.duration;
        if duration.is_zero() {
            self.error(&path.key("duration"), "`duration` must be longer than 0s")
                .set_hint("it is the simulated time of the run, like duration = \"30m\"");
        } else if duration > limits::SCENARIO_DURATION_MAX {
            self.error(
                &path.key("duration"),
                format!(
                    "`duration` is {duration}, above the limit of {}",
                    limits::SCENARIO_DURATION_MAX
                ),
            );
        }
        let interval = header.metrics_interval;
        let interval_path = path.key("metrics_interval");
        if interval < limits::METRICS_INTERVAL_MIN {
            self.error(
                &interval_path,
                format!(
                    "`metrics_interval` is {interval}, below the minimum of {}",
                    limits::METRICS_INTERVAL_MIN
                ),
            );
        } else if interval > duration && !duration.is_zero() {
            self.error(
                &interval_path,
                format!("`metrics_interval` {interval} is longer than the scenario's `duration` {duration}"),
            )
            .set_hint("a metrics interval is one bucket of the time series; make it a fraction of the duration");
        } else if !duration.is_zero() && duration <= limits::SCENARIO_DURATION_MAX {
            let intervals = duration.as_nanos().div_ceil(interval.as_nanos());
            if intervals > limits::METRICS_INTERVALS_MAX {
                let narrowest =
                    round_interval(duration.as_nanos().div_ceil(limits::METRICS_INTERVALS_MAX));
                self.error(
                    &interval_path,
                    format!(
                        "`metrics_interval` {interval} cuts {duration} into {intervals} intervals, the limit is {}",
                        limits::METRICS_INTERVALS_MAX
                    ),
                )
                .set_hint(format!("use metrics_interval = \"{narrowest}\" or longer"));
            }
        }
    }

    fn check_network(&mut self) {
        let network = &self.scenario.network;
        let path = root("network");
        if let Some(latency) = &network.latency {
            self.distribution(&path.key("latency"), latency);
        }
        self.probability(&path.key("loss"), network.loss.get());
        self.count_limit(
            &path.key("link"),
            network.link.len(),
            limits::LINKS_MAX,
            "network links",
        );
        let mut pairs: IndexMap<(Host, Host), DocPath> = IndexMap::new();
        for (index, link) in network.link.iter().enumerate() {
            let link_path = path.key("link").index(index);
            let between_path = link_path.key("between");
            if link.between.len() == 2 {
                let first = self.link_end(&between_path.index(0), &link.between[0]);
                let second = self.link_end(&between_path.index(1), &link.between[1]);
                if let (Some(first), Some(second)) = (first, second) {
                    // Links apply both ways, so a pair is the same whichever end comes first.
                    let pair = (first.min(second), first.max(second));
                    if let Some(previous) = pairs.get(&pair) {
                        let line = self.line_of(previous);
                        let diagnostic = self.error(
                            &between_path,
                            format!(
                                "a second link between {} and {}",
                                quote(&link.between[0]),
                                quote(&link.between[1])
                            ),
                        );
                        if let Some(line) = line {
                            diagnostic
                                .set_hint(format!("the first is on line {line}; merge the two"));
                        }
                    } else {
                        pairs.insert(pair, between_path.clone());
                    }
                }
            } else {
                self.error(
                    &between_path,
                    format!(
                        "`between` of a link names exactly two services, not {}",
                        link.between.len()
                    ),
                )
                .set_hint("between = [\"order\", \"payment\"]");
            }
            if let Some(latency) = &link.latency {
                self.distribution(&link_path.key("latency"), latency);
            }
            if let Some(loss) = link.loss {
                self.probability(&link_path.key("loss"), loss.get());
            }
            if link.latency.is_none() && link.loss.is_none() {
                self.warning(
                    &link_path,
                    "this link changes nothing: it has neither `latency` nor `loss`",
                );
            }
        }
    }

    /// One end of a link: a service, or a workload's client host. Instances are not links' business.
    fn link_end(&mut self, path: &DocPath, text: &str) -> Option<Host> {
        if text.contains('/') {
            self.error(
                path,
                format!("a link joins services, not instances: {}", quote(text)),
            )
            .set_hint(format!(
                "write {}; a network fault can target one instance",
                quote(text.split('/').next().unwrap_or(text))
            ));
            return None;
        }
        self.host_ref(path, text)
    }

    // ----- [[service]] -----

    fn check_services(&mut self) {
        let services = &self.scenario.services;
        self.count_limit(
            &root("service"),
            services.len(),
            limits::SERVICES_MAX,
            "services",
        );
        let mut seen = IndexMap::new();
        let mut instances_total: u64 = 0;
        let mut total_reported = false;
        for (index, service) in services.iter().enumerate() {
            let path = root("service").index(index);
            self.name(&path.key("name"), &service.name, "service name");
            self.unique(&mut seen, &service.name, &path.key("name"), "service name");
            self.check_capacity(&path, service);
            self.check_gateway_keys(&path, service);
            self.count_limit(
                &path.key("endpoint"),
                service.endpoints.len(),
                limits::ENDPOINTS_PER_SERVICE_MAX,
                &format!("endpoints in {}", quote(&service.name)),
            );
            let mut endpoint_names = IndexMap::new();
            for (endpoint_index, endpoint) in service.endpoints.iter().enumerate() {
                let endpoint_path = path.key("endpoint").index(endpoint_index);
                self.unique(
                    &mut endpoint_names,
                    &endpoint.name,
                    &endpoint_path.key("name"),
                    "endpoint name",
                );
                self.check_endpoint(&endpoint_path, (index, endpoint_index), endpoint);
            }
            self.check_versions(&path, service);
            let instances = self.names.instances[index];
            if instances == 0 {
                let diagnostic = self.error(
                    &path.key("replicas"),
                    format!("service {} has no instances", quote(&service.name)),
                );
                if service.versions.is_empty() {
                    diagnostic.set_hint("set replicas to 1 or more");
                } else {
                    diagnostic.set_hint("give it or one of its versions replicas = 1 or more");
                }
            }
            instances_total = instances_total.saturating_add(instances);
            if instances_total > limits::INSTANCES_MAX && !total_reported {
                total_reported = true;
                self.error(
                    &path.key("replicas"),
                    format!(
                        "too many instances: {instances_total} up to service {}, the limit is {} in all",
                        quote(&service.name),
                        limits::INSTANCES_MAX
                    ),
                );
            }
        }
    }

    fn check_capacity(&mut self, path: &DocPath, service: &Service) {
        self.whole_at_most(
            &path.key("replicas"),
            u64::from(service.replicas),
            u64::from(limits::REPLICAS_PER_VERSION_MAX),
            "replicas per version",
        );
        let workers_path = path.key("workers");
        self.whole_at_least(&workers_path, u64::from(service.workers), 1);
        self.whole_at_most(
            &workers_path,
            u64::from(service.workers),
            u64::from(limits::WORKERS_PER_INSTANCE_MAX),
            "workers per instance",
        );
        self.whole_at_most(
            &path.key("queue"),
            u64::from(service.queue),
            u64::from(limits::QUEUE_MAX),
            "requests queued per instance",
        );
    }

    /// `refused_status`, `client_rate_limit` and each endpoint's `auth`.
    fn check_gateway_keys(&mut self, path: &DocPath, service: &Service) {
        if let Some(status) = service.refused_status
            && !(400..=599).contains(&status)
        {
            self.error(
                &path.key("refused_status"),
                format!("`refused_status` must be an error status, 400 to 599, not {status}"),
            )
            .set_hint(
                "the seed's gateway answers 503 (Service Unavailable) for a refused connection",
            );
        }
        if let Some(limit) = &service.client_rate_limit {
            let limit_path = path.key("client_rate_limit");
            self.whole_at_least(&limit_path.key("max"), u64::from(limit.max), 1);
            self.positive_duration(&limit_path.key("window"), limit.window);
        }
        for (index, endpoint) in service.endpoints.iter().enumerate() {
            let Some(header) = &endpoint.auth else {
                continue;
            };
            let auth_path = path.key("endpoint").index(index).key("auth");
            if header.is_empty() {
                self.error(&auth_path, "`auth` names no header")
                    .set_hint("auth = \"authorization\": requests without it are answered 401");
            } else if !self
                .scenario
                .workloads
                .iter()
                .any(|workload| workload.headers.contains_key(header.as_str()))
            {
                self.warning(
                    &auth_path,
                    format!("no workload sends the header {}: every request is answered 401", quote(header)),
                )
                .set_hint(format!(
                    "headers = {{ {header} = {{ \"Bearer token\" = 0.95, \"\" = 0.05 }} }} on a workload: an empty value is no header"
                ));
            }
        }
    }

    fn check_endpoint(&mut self, path: &DocPath, node: EndpointId, endpoint: &'s Endpoint) {
        self.label(
            &path.key("name"),
            &endpoint.name,
            "endpoint name",
            limits::ENDPOINT_NAME_CHARS_MAX,
        );
        if let Some(service_time) = &endpoint.service_time {
            self.distribution(&path.key("service_time"), service_time);
        }
        self.probability(&path.key("error_rate"), endpoint.error_rate.get());
        self.count_limit(
            &path.key("calls"),
            endpoint.calls.len(),
            limits::CALLS_PER_ENDPOINT_MAX,
            &format!("calls in endpoint {}", quote(&endpoint.name)),
        );
        let calls = endpoint
            .calls
            .iter()
            .enumerate()
            .map(|(index, call)| (path.key("calls").index(index), call))
            .chain(
                endpoint
                    .on_failure
                    .iter()
                    .enumerate()
                    .map(|(index, call)| (path.key("on_failure").index(index), call)),
            );
        for (call_path, call) in calls {
            if let Some(target) = self.check_call(&call_path, call) {
                self.graph
                    .edges
                    .entry(node)
                    .or_default()
                    .push((target, call_path));
            }
        }
        if let Some(cache) = &endpoint.cache {
            let cache_path = path.key("cache").key("store");
            match self
                .scenario
                .stores
                .iter()
                .find(|store| store.name == cache.store)
            {
                Some(store) if store.kind == StoreKind::Redis => {}
                Some(store) => {
                    self.error(
                        &cache_path,
                        format!(
                            "{} is a {} store, not redis",
                            quote(&store.name),
                            store_kind_name(store.kind)
                        ),
                    )
                    .set_hint("a cache is a [[store]] with kind = \"redis\"");
                }
                None => {
                    let names: Vec<&str> = self
                        .scenario
                        .stores
                        .iter()
                        .filter(|store| store.kind == StoreKind::Redis)
                        .map(|store| store.name.as_str())
                        .collect();
                    let hint = if names.is_empty() {
                        "declare a [[store]] with kind = \"redis\"".to_owned()
                    } else {
                        format!("redis stores: {}", names.join(", "))
                    };
                    self.error(
                        &cache_path,
                        format!("no store is named {}", quote(&cache.store)),
                    )
                    .set_hint(hint);
                }
            }
        }
    }

    /// Checks one call; returns the endpoint it calls synchronously, if it resolves.
    fn check_call(&mut self, path: &DocPath, call: &'s Call) -> Option<EndpointId> {
        const SHAPES: &str = "a call is { service = \"...\", endpoint = \"...\" }, which waits for the answer, { topic = \"...\" }, which publishes and goes on, or { store = \"...\", op = \"...\" }";
        if call.store.is_some() || call.op.is_some() {
            if call.service.is_some() || call.endpoint.is_some() || call.topic.is_some() {
                self.error(path, "a store operation `{ store, op }` names nothing else")
                    .set_hint(SHAPES);
                return None;
            }
            let (Some(store), Some(op)) = (&call.store, &call.op) else {
                self.error(path, "a store operation needs both `store` and `op`")
                    .set_hint(SHAPES);
                return None;
            };
            self.store_op_ref(path, store, op);
            return None;
        }
        match (&call.service, &call.endpoint, &call.topic) {
            (None, None, Some(topic)) => {
                if self.topic_ref(&path.key("topic"), topic) {
                    self.published
                        .entry(topic.as_str())
                        .or_insert_with(|| path.key("topic"));
                }
                None
            }
            (Some(service), Some(endpoint), None) => {
                let service = self.service_ref(&path.key("service"), service, "calls")?;
                let endpoint = self.endpoint_ref(&path.key("endpoint"), service, endpoint)?;
                Some((service, endpoint))
            }
            (Some(service), None, None) => {
                let hint = self.names.services.get(service.as_str()).map(|index| {
                    let endpoints = self.names.endpoints[*index].keys().copied();
                    format!(
                        "endpoints of {}: {}",
                        quote(service),
                        super::diagnostic::name_list(endpoints)
                    )
                });
                let diagnostic = self.error(
                    path,
                    format!("call to {} names no `endpoint`", quote(service)),
                );
                diagnostic.set_hint(hint.unwrap_or_else(|| SHAPES.to_owned()));
                None
            }
            (None, Some(endpoint), None) => {
                self.error(
                    path,
                    format!("call to endpoint {} names no `service`", quote(endpoint)),
                )
                .set_hint(SHAPES);
                None
            }
            (_, _, Some(_)) => {
                self.error(
                    path,
                    "a call has `service` and `endpoint`, or `topic`, not both",
                )
                .set_hint(format!("{SHAPES}; write two calls to do both"));
                None
            }
            (None, None, None) => {
                self.error(path, "empty call").set_hint(SHAPES);
                None
            }
        }
    }

    /// A metric's workload or broker `name` is one of `known` (of this `kind`).
    fn metric_subject_ref(&mut self, path: &DocPath, name: &str, known: &[&'s str], kind: &str) {
        if known.contains(&name) {
            return;
        }
        let hint = self.suggest(
            name,
            &format!("{kind}s here"),
            || known.to_vec(),
            &format!("no [[{kind}]] is declared"),
        );
        self.error(path, format!("unknown {kind} {} in `metric`", quote(name)))
            .set_optional_hint(hint);
    }

    /// Checks `{ store, op }`: the store exists and has the operation.
    fn store_op_ref(&mut self, path: &DocPath, store: &str, op: &str) {
        let Some(&index) = self.names.stores.get(store) else {
            let hint = self.suggest(
                store,
                "stores here",
                || self.names.stores.keys().copied().collect(),
                "declare a [[store]] first",
            );
            self.error(
                &path.key("store"),
                format!("unknown store {}", quote(store)),
            )
            .set_optional_hint(hint);
            return;
        };
        let kind = self.scenario.stores[index].kind;
        let operations = store_operations(kind);
        if !operations.contains(&op) {
            let hint = match super::diagnostic::did_you_mean(op, operations.iter().copied()) {
                Some(close) => format!(
                    "did you mean {}? a {} store has {}",
                    quote(close),
                    store_kind_name(kind),
                    operations.join(", ")
                ),
                None => format!(
                    "a {} store has {}",
                    store_kind_name(kind),
                    operations.join(", ")
                ),
            };
            self.error(
                &path.key("op"),
                format!("store {} has no operation {}", quote(store), quote(op)),
            )
            .set_hint(hint);
        }
    }

    fn check_stores(&mut self) {
        let mut seen = IndexMap::new();
        for (index, store) in self.scenario.stores.iter().enumerate() {
            let path = root("store").index(index);
            self.name(&path.key("name"), &store.name, "store name");
            self.unique(&mut seen, &store.name, &path.key("name"), "store name");
            self.host_name_clash(&path.key("name"), &store.name, "store");
            self.whole_at_least(&path.key("workers"), u64::from(store.workers), 1);
            self.whole_at_most(
                &path.key("workers"),
                u64::from(store.workers),
                u64::from(limits::WORKERS_PER_INSTANCE_MAX),
                "workers",
            );
            if let Some(service_time) = &store.service_time {
                self.distribution(&path.key("service_time"), service_time);
            }
            let stock = store.kind == StoreKind::Stock;
            for (key, value) in [
                ("products", store.products),
                ("stock_per_product", store.stock_per_product),
            ] {
                match (stock, value) {
                    (true, None) => {
                        self.error(&path, format!("a stock store needs `{key}`"))
                            .set_hint("products = 10 and stock_per_product = 100, say");
                    }
                    (true, Some(value)) => {
                        self.whole_at_least(&path.key(key), u64::from(value), 1);
                        self.whole_at_most(
                            &path.key(key),
                            u64::from(value),
                            u64::from(limits::STOCK_MAX),
                            key,
                        );
                    }
                    (false, Some(_)) => {
                        self.error_at_key(
                            &path.key(key),
                            format!("`{key}` is for stock stores only"),
                        );
                    }
                    (false, None) => {}
                }
            }
            let redis = store.kind == StoreKind::Redis;
            for (key, present) in [
                ("keys", store.keys.is_some()),
                ("key_skew", store.key_skew.is_some()),
                ("ttl", store.ttl.is_some()),
            ] {
                if present && !redis {
                    self.error_at_key(&path.key(key), format!("`{key}` is for redis stores only"));
                }
            }
            if let Some(keys) = store.keys {
                self.whole_at_least(&path.key("keys"), u64::from(keys), 1);
                self.whole_at_most(
                    &path.key("keys"),
                    u64::from(keys),
                    u64::from(limits::REDIS_KEYS_MAX),
                    "keys",
                );
            }
            if let Some(skew) = store.key_skew
                && !(0.0..=10.0).contains(&skew.get())
            {
                self.error(&path.key("key_skew"), "`key_skew` must be from 0 to 10")
                    .set_hint("0 spreads requests evenly over the keys; 1 is the classic Zipf law");
            }
            if store.row_locks && !stock {
                self.error_at_key(
                    &path.key("row_locks"),
                    "`row_locks` is for stock stores only",
                )
                .set_hint("row locks serialise writes to one product's stock row");
            }
        }
    }

    fn check_sagas(&mut self) {
        let mut seen: IndexMap<(usize, usize), DocPath> = IndexMap::new();
        for (index, saga) in self.scenario.sagas.iter().enumerate() {
            let path = root("saga").index(index);
            let Some(service) = self.service_ref(&path.key("service"), &saga.service, "service")
            else {
                continue;
            };
            let Some(endpoint) = self.endpoint_ref(&path.key("endpoint"), service, &saga.endpoint)
            else {
                continue;
            };
            if let Some(first) = seen.get(&(service, endpoint)) {
                let first = first.clone();
                self.error(&path.key("endpoint"), "this endpoint already runs a saga")
                    .set_hint(format!("see {first}"));
            }
            seen.insert((service, endpoint), path.clone());
            if !self.scenario.services[service].endpoints[endpoint]
                .calls
                .is_empty()
            {
                self.warning(
                    &path.key("endpoint"),
                    "the endpoint's own `calls` are not made: the saga's steps are",
                );
            }
            if saga.steps.is_empty() {
                self.error(&path.key("steps"), "a saga needs at least one step");
            }
            self.count_limit(
                &path.key("steps"),
                saga.steps.len(),
                limits::CALLS_PER_ENDPOINT_MAX,
                "saga steps",
            );
            self.whole_at_most(
                &path.key("step_retries"),
                u64::from(saga.step_retries),
                u64::from(limits::SAGA_STEP_RETRIES_MAX),
                "step retries",
            );
            let node = (service, endpoint);
            for (step_index, step) in saga.steps.iter().enumerate() {
                let step_path = path.key("steps").index(step_index);
                for (key, call) in std::iter::once(("action", &step.action)).chain(
                    step.compensation
                        .as_ref()
                        .map(|call| ("compensation", call)),
                ) {
                    let call_path = step_path.key(key);
                    // A publish is a step too: it succeeds when the broker confirms it. Nothing
                    // takes a message back, so it cannot be a compensation.
                    if call.topic.is_some() && key == "compensation" {
                        self.error(&call_path, "a compensation undoes a step: it calls a service or a store, not a topic")
                            .set_hint("a published message cannot be taken back: publish a compensating event from a service the compensation calls");
                        continue;
                    }
                    if let Some(target) = self.check_call(&call_path, call) {
                        self.graph
                            .edges
                            .entry(node)
                            .or_default()
                            .push((target, call_path));
                    }
                }
            }
        }
    }

    fn check_versions(&mut self, path: &DocPath, service: &Service) {
        let total = service.versions.len().saturating_add(1);
        if total > limits::VERSIONS_PER_SERVICE_MAX {
            self.error(
                &path
                    .key("version")
                    .index(limits::VERSIONS_PER_SERVICE_MAX - 1),
                format!(
                    "too many versions of {}: {total} with v1, the limit is {}",
                    quote(&service.name),
                    limits::VERSIONS_PER_SERVICE_MAX
                ),
            );
        }
        let mut seen = IndexMap::new();
        for (index, version) in service.versions.iter().enumerate() {
            let version_path = path.key("version").index(index);
            let name_path = version_path.key("name");
            if version.name == BASE_VERSION {
                self.error(&name_path, "a [[service.version]] may not be named \"v1\": that is the service's own version")
                    .set_hint("set v1's keys (replicas, workers, endpoints) on the [[service]] itself");
                continue;
            }
            self.name(&name_path, &version.name, "version name");
            self.unique(&mut seen, &version.name, &name_path, "version name");
            self.whole_at_most(
                &version_path.key("replicas"),
                u64::from(version.replicas),
                u64::from(limits::REPLICAS_PER_VERSION_MAX),
                "replicas per version",
            );
            if let Some(error_rate) = version.error_rate {
                self.probability(&version_path.key("error_rate"), error_rate.get());
            }
            if let Some(factor) = version.service_time_factor
                && factor.get() <= 0.0
            {
                self.error(
                    &version_path.key("service_time_factor"),
                    format!(
                        "`service_time_factor` must be above 0, not {}",
                        number(factor.get())
                    ),
                )
                .set_hint("1 keeps the endpoints' service times, 2 doubles them, 0.5 halves them");
            }
        }
    }
}

impl Checker<'_, '_> {
    // ----- [[broker]] and [[subscription]] -----

    fn check_brokers(&mut self) {
        let brokers = &self.scenario.brokers;
        self.count_limit(
            &root("broker"),
            brokers.len(),
            limits::BROKERS_MAX,
            "brokers",
        );
        self.count_limit(
            &root("broker"),
            self.names.topics.len(),
            limits::TOPICS_MAX,
            "topics",
        );
        let mut seen = IndexMap::new();
        let mut topics_seen: IndexMap<&str, DocPath> = IndexMap::new();
        for (index, broker) in brokers.iter().enumerate() {
            let path = root("broker").index(index);
            self.name(&path.key("name"), &broker.name, "broker name");
            self.unique(&mut seen, &broker.name, &path.key("name"), "broker name");
            self.host_name_clash(&path.key("name"), &broker.name, "broker");
            if broker.topics.is_empty() {
                self.warning(
                    &path.key("topics"),
                    format!("broker {} declares no topics", quote(&broker.name)),
                );
            }
            for (topic_index, topic) in broker.topics.iter().enumerate() {
                let topic_path = path.key("topics").index(topic_index);
                self.label(&topic_path, topic, "topic name", limits::LABEL_CHARS_MAX);
                self.unique(&mut topics_seen, topic, &topic_path, "topic");
            }
            self.positive_duration(&path.key("ack_timeout"), broker.ack_timeout);
            let deliveries_path = path.key("max_deliveries");
            self.whole_at_least(&deliveries_path, u64::from(broker.max_deliveries), 1);
            self.whole_at_most(
                &deliveries_path,
                u64::from(broker.max_deliveries),
                u64::from(limits::MAX_DELIVERIES_MAX),
                "deliveries per message",
            );
        }
    }

    /// Services, workloads and brokers are hosts: faults and links name them in one namespace.
    fn host_name_clash(&mut self, path: &DocPath, name: &str, kind: &str) {
        let clash = if self.names.services.contains_key(name) {
            Some("service")
        } else if kind != "workload" && self.names.workloads.contains_key(name) {
            Some("workload")
        } else if kind == "store" && self.names.brokers.contains_key(name) {
            Some("broker")
        } else {
            None
        };
        if let Some(other) = clash {
            self.error(path, format!("{kind} {} has the name of a {other}", quote(name)))
                .set_hint("services, workloads, brokers and stores are hosts, and faults and links name hosts: give each its own name");
        }
    }

    fn check_subscriptions(&mut self) {
        let subscriptions = &self.scenario.subscriptions;
        self.count_limit(
            &root("subscription"),
            subscriptions.len(),
            limits::SUBSCRIPTIONS_MAX,
            "subscriptions",
        );
        let mut seen: IndexMap<(&str, &str, &str), DocPath> = IndexMap::new();
        let mut subscribed: IndexSet<&str> = IndexSet::new();
        for (index, subscription) in subscriptions.iter().enumerate() {
            let path = root("subscription").index(index);
            self.topic_ref(&path.key("topic"), &subscription.topic);
            subscribed.insert(subscription.topic.as_str());
            if let Some(service) =
                self.service_ref(&path.key("service"), &subscription.service, "subscription")
            {
                self.endpoint_ref(&path.key("endpoint"), service, &subscription.endpoint);
            }
            let key = (
                subscription.topic.as_str(),
                subscription.service.as_str(),
                subscription.endpoint.as_str(),
            );
            if let Some(first) = seen.get(&key) {
                let line = self.line_of(first);
                let diagnostic = self.error(&path, "duplicate subscription");
                if let Some(line) = line {
                    diagnostic.set_hint(format!(
                        "the same topic, service and endpoint are subscribed on line {line}"
                    ));
                }
            } else {
                seen.insert(key, path);
            }
        }
        let unconsumed: Vec<(&str, DocPath)> = self
            .published
            .iter()
            .filter(|(topic, _)| !subscribed.contains(**topic))
            .map(|(topic, path)| (*topic, path.clone()))
            .collect();
        for (topic, path) in unconsumed {
            self.warning(&path, format!("nothing subscribes to topic {}: its messages are never consumed", quote(topic)))
                .set_hint(format!(
                    "add a [[subscription]] with topic = \"{topic}\", service = \"...\", endpoint = \"...\""
                ));
        }
    }
}

impl Checker<'_, '_> {
    // ----- [[workload]] -----

    fn check_workloads(&mut self) {
        let workloads = &self.scenario.workloads;
        self.count_limit(
            &root("workload"),
            workloads.len(),
            limits::WORKLOADS_MAX,
            "workloads",
        );
        let mut seen = IndexMap::new();
        for (index, workload) in workloads.iter().enumerate() {
            let path = root("workload").index(index);
            self.name(&path.key("name"), &workload.name, "workload name");
            self.unique(
                &mut seen,
                &workload.name,
                &path.key("name"),
                "workload name",
            );
            self.host_name_clash(&path.key("name"), &workload.name, "workload");
            if let Some(service) = self.service_ref(&path.key("target"), &workload.target, "target")
            {
                self.endpoint_ref(&path.key("endpoint"), service, &workload.endpoint);
                let target = &self.scenario.services[service];
                if !target.exposed {
                    self.warning(
                        &path.key("target"),
                        format!("service {} is not exposed, so it refuses this workload's requests", quote(&target.name)),
                    )
                    .set_hint(format!(
                        "only exposed services accept workload traffic: set exposed = true in the [[service]] named {}",
                        quote(&target.name)
                    ));
                }
            }
            self.check_arrival(&path.key("arrival"), &workload.arrival);
            self.check_headers(&path, workload);
            if let Some(timeout) = workload.timeout {
                self.positive_duration(&path.key("timeout"), timeout);
            }
        }
    }

    fn rate(&mut self, path: &DocPath, rate: Real, zero_allowed: bool) {
        let rate = rate.get();
        let key = path.last_key().to_owned();
        if rate < 0.0 || (rate == 0.0 && !zero_allowed) {
            let bound = if zero_allowed { "0 or more" } else { "above 0" };
            self.error(
                path,
                format!(
                    "`{key}` must be {bound} requests per second, not {}",
                    number(rate)
                ),
            );
        } else if rate > limits::WORKLOAD_RATE_MAX {
            self.error(
                path,
                format!(
                    "`{key}` is {} requests per second, above the limit of {}",
                    number(rate),
                    number(limits::WORKLOAD_RATE_MAX)
                ),
            );
        }
    }

    fn check_arrival(&mut self, path: &DocPath, arrival: &Arrival) {
        match arrival {
            Arrival::Constant { rate } | Arrival::Poisson { rate } => {
                self.rate(&path.key("rate"), *rate, false);
            }
            Arrival::Steps { steps } => self.check_steps(&path.key("steps"), steps),
            Arrival::Closed { users, think_time } => {
                let users_path = path.key("users");
                self.whole_at_least(&users_path, u64::from(*users), 1);
                self.whole_at_most(
                    &users_path,
                    u64::from(*users),
                    u64::from(limits::CLOSED_USERS_MAX),
                    "users",
                );
                self.distribution(&path.key("think_time"), think_time);
            }
        }
    }

    fn check_steps(&mut self, path: &DocPath, steps: &[(Duration, Real)]) {
        if steps.is_empty() {
            self.error(path, "`steps` is empty").set_hint(
                "steps = [[\"0s\", 50], [\"5m\", 400]]: from 0s, 50 per second; from 5m, 400",
            );
            return;
        }
        self.count_limit(
            path,
            steps.len(),
            limits::ARRIVAL_STEPS_MAX,
            "arrival steps",
        );
        let end = self.scenario.scenario.duration;
        let mut previous: Option<Duration> = None;
        for (index, (at, rate)) in steps.iter().enumerate() {
            let step_path = path.index(index);
            match previous {
                None if !at.is_zero() => {
                    self.error(&step_path.index(0), format!("the first step starts at {at}, not at 0s"))
                        .set_hint("the rate must be known from the start: add a step at \"0s\", with rate 0 for a late start");
                }
                Some(previous) if *at <= previous => {
                    self.error(
                        &step_path.index(0),
                        format!("step at {at} does not come after the step at {previous}"),
                    )
                    .set_hint("steps are [time, rate] pairs in increasing time");
                }
                _ => {
                    if *at >= end && !end.is_zero() {
                        self.warning(
                            &step_path.index(0),
                            format!("step at {at} starts after the scenario ends at {end}"),
                        );
                    }
                }
            }
            previous = Some(*at);
            self.rate(&step_path.index(1), *rate, true);
        }
        if steps.iter().all(|(_, rate)| rate.get() == 0.0) {
            self.warning(path, "every step's rate is 0: this workload sends nothing");
        }
    }

    fn check_headers(&mut self, path: &DocPath, workload: &Workload) {
        let headers_path = path.key("headers");
        self.count_limit(
            &headers_path,
            workload.headers.len(),
            limits::HEADERS_MAX,
            "headers",
        );
        for (header, values) in &workload.headers {
            let header_path = headers_path.key(header);
            self.label(&header_path, header, "header name", limits::LABEL_CHARS_MAX);
            self.count_limit(
                &header_path,
                values.len(),
                limits::HEADER_VALUES_MAX,
                "header values",
            );
            let mut sum = 0.0;
            for (value, probability) in values {
                let value_path = header_path.key(value);
                // The empty value stands for a request that does not carry the header (an
                // anonymous client, for `auth`).
                if !value.is_empty() {
                    self.label(&value_path, value, "header value", limits::LABEL_CHARS_MAX);
                }
                self.probability(&value_path, probability.get());
                sum += probability.get();
            }
            if (sum - 1.0).abs() > SUM_TOLERANCE {
                self.error(
                    &header_path,
                    format!("the probabilities of header {} add up to {}, not 1", quote(header), number(sum)),
                )
                .set_hint("each request draws one value per header, so the values' probabilities must sum to 1");
            }
        }
    }

    // ----- [[fault]] -----

    fn check_faults(&mut self) {
        let faults = &self.scenario.faults;
        self.count_limit(&root("fault"), faults.len(), limits::FAULTS_MAX, "faults");
        for (index, fault) in faults.iter().enumerate() {
            self.check_fault(&root("fault").index(index), fault);
        }
    }

    fn check_fault(&mut self, path: &DocPath, fault: &Fault) {
        let end = self.scenario.scenario.duration;
        if fault.at >= end && !end.is_zero() {
            self.error(
                &path.key("at"),
                format!(
                    "fault at {} starts after the scenario ends at {end}",
                    fault.at
                ),
            )
            .set_hint(
                "`at` is measured from the start of the run; [scenario] `duration` is when it ends",
            );
        }
        if let Some(duration) = fault.duration {
            self.positive_duration(&path.key("duration"), duration);
        }
        let kind = fault.kind;
        let (required, allowed): (&[&str], &[&str]) = match kind {
            FaultKind::Partition | FaultKind::PartitionOneway => {
                (&["between"], &["between", "duration"])
            }
            FaultKind::Latency => (&["between", "add"], &["between", "add", "duration"]),
            FaultKind::Loss => (&["loss"], &["loss", "between", "duration"]),
            FaultKind::Crash => (&["target"], &["target", "restart_after"]),
            FaultKind::Pause => (&["target"], &["target", "duration"]),
        };
        let present = [
            ("duration", fault.duration.is_some()),
            ("between", fault.between.is_some()),
            ("target", fault.target.is_some()),
            ("restart_after", fault.restart_after.is_some()),
            ("add", fault.add.is_some()),
            ("loss", fault.loss.is_some()),
        ];
        for (key, is_present) in present {
            if is_present && !allowed.contains(&key) {
                let hint = if kind == FaultKind::Crash && key == "duration" {
                    "a crashed process stays down until it restarts: use restart_after = \"20s\""
                        .to_owned()
                } else {
                    format!("a {} fault takes {}", kind.name(), key_list(allowed))
                };
                self.error_at_key(
                    &path.key(key),
                    format!("`{key}` does not apply to a {} fault", kind.name()),
                )
                .set_hint(hint);
            }
        }
        for key in required {
            let is_present = present
                .iter()
                .any(|(name, is_present)| name == key && *is_present);
            if !is_present {
                self.error(&path.key(key), format!("a {} fault needs `{key}`", kind.name()))
                    .set_hint(match *key {
                        "between" => "between = [\"order\", \"payment\"]: services, instances (\"payment/1\") or workloads",
                        "add" => "add = \"200ms\": added to every hop's one-way latency",
                        "loss" => "loss = 0.1: the probability that a message is dropped",
                        _ => "target = \"payment/0\": a service (all its instances), an instance or a workload",
                    });
            }
        }
        if let Some(between) = &fault.between
            && allowed.contains(&"between")
        {
            self.check_between(&path.key("between"), between, kind);
        }
        if let Some(target) = &fault.target
            && allowed.contains(&"target")
        {
            self.host_ref(&path.key("target"), target);
        }
        if let Some(add) = fault.add {
            self.positive_duration(&path.key("add"), add);
        }
        if let Some(loss) = fault.loss {
            self.probability(&path.key("loss"), loss.get());
        }
    }

    fn check_between(&mut self, path: &DocPath, between: &[String], kind: FaultKind) {
        if between.len() != 2 {
            let shape = if kind == FaultKind::PartitionOneway {
                ", from and to"
            } else {
                ""
            };
            self.error(path, format!("`between` needs exactly two hosts{shape}, not {}", between.len()))
                .set_hint("between = [\"order\", \"payment\"]: services, instances (\"payment/1\") or workloads");
            return;
        }
        let first = self.host_ref(&path.index(0), &between[0]);
        let second = self.host_ref(&path.index(1), &between[1]);
        let (Some(first), Some(second)) = (first, second) else {
            return;
        };
        let overlap = match (first, second) {
            (Host::Service(a), Host::Instance(b, _)) | (Host::Instance(b, _), Host::Service(a)) => {
                a == b
            }
            _ => first == second,
        };
        if overlap {
            self.error(
                path,
                format!(
                    "the two sides of `between` overlap: {} and {}",
                    quote(&between[0]),
                    quote(&between[1])
                ),
            )
            .set_hint("a network fault acts on messages between two different hosts");
        }
    }
}

/// The first round interval (1, 2 or 5 of a unit, or a common fraction of a minute or an hour)
/// at least `nanos` long, for a hint users can copy.
fn round_interval(nanos: u64) -> Duration {
    const MILLIS: [u64; 25] = [
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000,
        120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
        86_400_000,
    ];
    MILLIS
        .iter()
        .map(|millis| Duration::from_millis(*millis))
        .find(|round| round.as_nanos() >= nanos)
        .unwrap_or(Duration::from_nanos(nanos))
}

fn key_list(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
    quoted.join(", ")
}

/// The bounds of an expectation or a check, by key.
struct Bounds<'b> {
    min: Option<&'b Bound>,
    max: Option<&'b Bound>,
    equals: Option<&'b Bound>,
}

impl Checker<'_, '_> {
    // ----- depends_on -----

    /// Every `depends_on` names something the service calls: its readiness probe can only see
    /// what its sidecar reaches.
    fn check_dependencies(&mut self) {
        for (index, service) in self.scenario.services.iter().enumerate() {
            let called = self.called_by(service);
            for (position, name) in service.depends_on.iter().enumerate() {
                let path = root("service")
                    .index(index)
                    .key("depends_on")
                    .index(position);
                if called.iter().any(|callee| callee == name) {
                    continue;
                }
                let known = self.scenario.services.iter().any(|s| s.name == *name)
                    || self.scenario.stores.iter().any(|s| s.name == *name)
                    || self.scenario.brokers.iter().any(|b| b.name == *name);
                let message = if known {
                    format!("{} does not call {}", quote(&service.name), quote(name))
                } else {
                    format!("no service, store or broker is named {}", quote(name))
                };
                let hint = if called.is_empty() {
                    "a service depends on what it calls; this one calls nothing".to_owned()
                } else {
                    format!("a service depends on what it calls: {}", called.join(", "))
                };
                self.error(&path, message).set_hint(hint);
            }
        }
    }

    /// The services, stores and brokers `service` calls, in first-call order.
    fn called_by(&self, service: &Service) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let sagas = self
            .scenario
            .sagas
            .iter()
            .filter(|saga| saga.service == service.name)
            .flat_map(|saga| {
                saga.steps
                    .iter()
                    .flat_map(|step| std::iter::once(&step.action).chain(&step.compensation))
            });
        let calls = service
            .endpoints
            .iter()
            .flat_map(|endpoint| endpoint.calls.iter().chain(&endpoint.on_failure))
            .chain(sagas);
        for cache in service.endpoints.iter().filter_map(|e| e.cache.as_ref()) {
            if !names.contains(&cache.store) {
                names.push(cache.store.clone());
            }
        }
        for call in calls {
            let name = if let Some(topic) = &call.topic {
                self.scenario
                    .brokers
                    .iter()
                    .find(|broker| broker.topics.contains(topic))
                    .map(|broker| broker.name.clone())
            } else {
                call.service.clone().or_else(|| call.store.clone())
            };
            if let Some(name) = name
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
        names
    }

    // ----- [[rollout]] -----

    fn check_rollouts(&mut self) {
        let mut seen: IndexMap<&str, DocPath> = IndexMap::new();
        for (index, rollout) in self.scenario.rollouts.iter().enumerate() {
            let path = root("rollout").index(index);
            let service_path = path.key("service");
            let service = self.service_ref(&service_path, &rollout.service, "rollout");
            if let Some(first) = seen.get(rollout.service.as_str()) {
                let line = self.line_of(first);
                let diagnostic = self.error(
                    &service_path,
                    format!("a second rollout of {}", quote(&rollout.service)),
                );
                if let Some(line) = line {
                    diagnostic.set_hint(format!(
                        "the first is on line {line}; a service has one rollout at most"
                    ));
                }
            } else {
                seen.insert(rollout.service.as_str(), service_path.clone());
            }
            if let Some(service) = service
                && rollout.strategy != Strategy::Strangler
            {
                self.check_rollout_versions(&path, service, rollout);
            }
            let end = self.scenario.scenario.duration;
            if rollout.start >= end && !end.is_zero() {
                self.error(
                    &path.key("start"),
                    format!(
                        "rollout starts at {}, after the scenario ends at {end}",
                        rollout.start
                    ),
                );
            }
            if rollout.interval.as_nanos() < limits::ROLLOUT_INTERVAL_MIN_S * 1_000_000_000 {
                self.error(
                    &path.key("interval"),
                    format!(
                        "`interval` must be at least {}s, not {}",
                        limits::ROLLOUT_INTERVAL_MIN_S,
                        rollout.interval
                    ),
                )
                .set_hint("the controller reads the counters it scraped 1 s before each interval; Flagger's default is 60s");
            }
            self.whole_at_least(&path.key("threshold"), u64::from(rollout.threshold), 1);
            if let Some(iterations) = rollout.iterations {
                self.whole_at_least(&path.key("iterations"), u64::from(iterations), 1);
            }
            self.check_strategy_keys(&path, rollout);
            self.count_limit(
                &path.key("checks"),
                rollout.checks.len(),
                limits::ROLLOUT_CHECKS_MAX,
                "checks",
            );
            for (check_index, check) in rollout.checks.iter().enumerate() {
                let check_path = path.key("checks").index(check_index);
                match metric::parse_check(&check.metric) {
                    Ok(metric) => {
                        let bounds = Bounds {
                            min: check.min.as_ref(),
                            max: check.max.as_ref(),
                            equals: None,
                        };
                        self.check_bounds(
                            &check_path,
                            metric.name(),
                            metric.value_kind(),
                            &bounds,
                            "a check",
                        );
                    }
                    Err(error) => {
                        self.error(&check_path.key("metric"), error.message)
                            .set_hint(error.hint);
                    }
                }
            }
        }
    }

    /// `from` and `to`: two different versions of the service.
    fn check_rollout_versions(&mut self, path: &DocPath, service: usize, rollout: &Rollout) {
        let mut versions = [None, None];
        for (slot, (key, value)) in [("from", &rollout.from), ("to", &rollout.to)]
            .into_iter()
            .enumerate()
        {
            match value {
                None => {
                    self.error(path, format!("a rollout needs `{key}`"))
                        .set_hint(format!(
                            "{key} = \"VERSION\": the version the traffic moves {}",
                            if key == "from" { "away from" } else { "to" }
                        ));
                }
                Some(version) => {
                    if self.version_ref(&path.key(key), service, version, false) {
                        versions[slot] = Some(version);
                    }
                }
            }
        }
        if let [Some(from), Some(to)] = versions
            && from == to
        {
            self.error(
                &path.key("to"),
                format!("`from` and `to` are both {}", quote(to)),
            )
            .set_hint("a rollout moves traffic from one version to another");
        }
        if rollout.strategy == Strategy::Rolling {
            let replicas = |name: &str| {
                let service = &self.scenario.services[service];
                if name == BASE_VERSION {
                    Some(service.replicas)
                } else {
                    service
                        .versions
                        .iter()
                        .find(|version| version.name == name)
                        .map(|version| version.replicas)
                }
            };
            if let Some(to) = versions[1]
                && replicas(to) == Some(0)
            {
                self.error(&path.key("to"), format!("{} has no replicas to roll to", quote(to)))
                    .set_hint("a rolling update replaces the old version's instances with the new one's: give it replicas");
            }
            return;
        }
        // A canary or blue/green moves the weights of the route that takes every request.
        let routes = self
            .scenario
            .mesh
            .get(&rollout.service)
            .map_or(&[][..], |policy| policy.route.as_slice());
        let catch_all = routes
            .iter()
            .any(|route| route.matches.as_ref().is_none_or(|m| m.headers.is_empty()));
        if !routes.is_empty() && !catch_all {
            self.error(
                &path.key("service"),
                format!(
                    "the routes of {} have no route that takes every request",
                    quote(&rollout.service)
                ),
            )
            .set_hint(format!(
                "add a last [[mesh.{}.route]] without `match`: the rollout moves its weights",
                rollout.service
            ));
        }
    }

    fn check_strategy_keys(&mut self, path: &DocPath, rollout: &Rollout) {
        let strategy = rollout.strategy;
        let strategy_name = match strategy {
            Strategy::Canary => "canary",
            Strategy::BlueGreen => "blue_green",
            Strategy::Rolling => "rolling",
            Strategy::Strangler => "strangler",
        };
        let weighted = matches!(strategy, Strategy::Canary | Strategy::Strangler);
        let keys: [(&str, bool, bool); 10] = [
            (
                "from",
                rollout.from.is_some(),
                strategy != Strategy::Strangler,
            ),
            ("to", rollout.to.is_some(), strategy != Strategy::Strangler),
            (
                "iterations",
                rollout.iterations.is_some(),
                strategy == Strategy::BlueGreen,
            ),
            ("step_weight", rollout.step_weight.is_some(), weighted),
            ("step_weights", rollout.step_weights.is_some(), weighted),
            ("max_weight", rollout.max_weight.is_some(), weighted),
            (
                "max_surge",
                rollout.max_surge.is_some(),
                strategy == Strategy::Rolling,
            ),
            (
                "max_unavailable",
                rollout.max_unavailable.is_some(),
                strategy == Strategy::Rolling,
            ),
            (
                "readiness_delay",
                rollout.readiness_delay.is_some(),
                strategy == Strategy::Rolling,
            ),
            (
                "monolith",
                rollout.monolith.is_some(),
                strategy == Strategy::Strangler,
            ),
        ];
        for (key, present, applies) in keys {
            if present && !applies {
                self.error_at_key(
                    &path.key(key),
                    format!("`{key}` does not apply to a {strategy_name} rollout"),
                );
            }
        }
        if weighted {
            self.check_weights(path, rollout, strategy_name);
        }
        if strategy == Strategy::Rolling
            && rollout.max_surge == Some(0)
            && rollout.max_unavailable == Some(0)
        {
            self.error(
                &path.key("max_unavailable"),
                "`max_surge` and `max_unavailable` are both 0",
            )
            .set_hint("the update could neither add an instance nor take one away: raise either");
        }
        if strategy == Strategy::Strangler {
            match &rollout.monolith {
                None => {
                    self.error(
                        &path.key("monolith"),
                        "a strangler rollout needs `monolith`",
                    )
                    .set_hint("monolith = \"NAME\": the service the traffic moves away from");
                }
                Some(monolith) => {
                    if let Some(monolith_index) =
                        self.service_ref(&path.key("monolith"), monolith, "monolith")
                    {
                        if *monolith == rollout.service {
                            self.error(
                                &path.key("monolith"),
                                format!("`monolith` and `service` are both {}", quote(monolith)),
                            );
                        } else {
                            self.check_strangled_endpoints(path, monolith_index, rollout);
                        }
                    }
                }
            }
        }
    }

    /// A strangler moves the calls to the monolith's endpoints that the new service also has:
    /// at least one must match by name.
    fn check_strangled_endpoints(&mut self, path: &DocPath, monolith: usize, rollout: &Rollout) {
        let Some(new_service) = self
            .scenario
            .services
            .iter()
            .find(|service| service.name == rollout.service)
        else {
            return;
        };
        let monolith = &self.scenario.services[monolith];
        let shared = monolith.endpoints.iter().any(|endpoint| {
            new_service
                .endpoints
                .iter()
                .any(|candidate| candidate.name == endpoint.name)
        });
        if !shared {
            self.error(
                &path.key("service"),
                format!(
                    "{} has none of the endpoints of {}",
                    quote(&rollout.service),
                    quote(&monolith.name)
                ),
            )
            .set_hint("a strangler moves the calls to the monolith's endpoints the new service also has, matched by name");
        }
    }

    fn check_weights(&mut self, path: &DocPath, rollout: &Rollout, strategy_name: &str) {
        match (&rollout.step_weight, &rollout.step_weights) {
            (Some(_), Some(_)) => {
                self.error_at_key(
                    &path.key("step_weights"),
                    "give `step_weight` or `step_weights`, not both",
                );
            }
            (None, None) if rollout.strategy == Strategy::Canary => {
                self.error(&path.key("step_weight"), format!("a {strategy_name} rollout needs `step_weight` or `step_weights`"))
                    .set_hint("step_weight = 10 sends 10% more of the traffic to the new version each interval");
            }
            _ => {}
        }
        if let Some(step) = rollout.step_weight {
            self.positive_percent(&path.key("step_weight"), step.get());
        }
        if let Some(max) = rollout.max_weight {
            self.positive_percent(&path.key("max_weight"), max.get());
            if let Some(step) = rollout.step_weight
                && step.get() > max.get()
            {
                self.error(
                    &path.key("step_weight"),
                    format!(
                        "`step_weight` {} is above `max_weight` {}",
                        number(step.get()),
                        number(max.get())
                    ),
                );
            }
            if rollout.step_weights.is_some() {
                self.warning(
                    &path.key("max_weight"),
                    "`max_weight` is ignored with `step_weights`",
                )
                .set_hint("the last of `step_weights` is the largest weight the new version gets");
            }
        }
        if let Some(steps) = &rollout.step_weights {
            let steps_path = path.key("step_weights");
            if steps.is_empty() {
                self.error(&steps_path, "`step_weights` is empty")
                    .set_hint("step_weights = [1, 5, 10, 25, 50]");
            }
            self.count_limit(
                &steps_path,
                steps.len(),
                limits::STEP_WEIGHTS_MAX,
                "step weights",
            );
            for (index, step) in steps.iter().enumerate() {
                self.positive_percent(&steps_path.index(index), step.get());
                if index > 0 && step.get() <= steps[index - 1].get() {
                    self.error(
                        &steps_path.index(index),
                        format!(
                            "step weight {} does not rise above the previous {}",
                            number(step.get()),
                            number(steps[index - 1].get())
                        ),
                    )
                    .set_hint(
                        "`step_weights` are the new version's successive weights, each larger",
                    );
                }
            }
        }
    }

    // ----- [[expect]] -----

    fn check_expectations(&mut self) {
        let expectations = &self.scenario.expectations;
        self.count_limit(
            &root("expect"),
            expectations.len(),
            limits::EXPECTATIONS_MAX,
            "expectations",
        );
        for (index, expectation) in expectations.iter().enumerate() {
            self.check_expectation(&root("expect").index(index), expectation);
        }
    }

    fn check_expectation(&mut self, path: &DocPath, expectation: &Expectation) {
        let metric_path = path.key("metric");
        let metric = match metric::parse(&expectation.metric) {
            Ok(metric) => metric,
            Err(error) => {
                self.error(&metric_path, error.message).set_hint(error.hint);
                return;
            }
        };
        match &metric {
            metric::MetricRef::Global(_) | metric::MetricRef::Invariant { .. } => {}
            metric::MetricRef::Workload { name, .. } => {
                let known: Vec<&str> = self.names.workloads.keys().copied().collect();
                self.metric_subject_ref(&metric_path, name, &known, "workload");
            }
            metric::MetricRef::Service { name, .. } => {
                self.service_ref(&metric_path, name, "metric");
            }
            metric::MetricRef::Broker { name, .. } => {
                let known: Vec<&str> = self.names.brokers.keys().copied().collect();
                self.metric_subject_ref(&metric_path, name, &known, "broker");
            }
            metric::MetricRef::Store { name, .. } => {
                let known: Vec<&str> = self.names.stores.keys().copied().collect();
                self.metric_subject_ref(&metric_path, name, &known, "store");
            }
            metric::MetricRef::Rollout { service, .. } => {
                if self.service_ref(&metric_path, service, "metric").is_some()
                    && !self.names.rollouts.contains(service.as_str())
                {
                    let hint = self.suggest(
                        service,
                        "services with a rollout",
                        || self.names.rollouts.iter().copied().collect(),
                        "no [[rollout]] is declared",
                    );
                    self.error(
                        &metric_path,
                        format!("service {} has no rollout", quote(service)),
                    )
                    .set_optional_hint(hint);
                }
            }
        }
        let bounds = Bounds {
            min: expectation.min.as_ref(),
            max: expectation.max.as_ref(),
            equals: expectation.equals.as_ref(),
        };
        self.check_bounds(
            path,
            &expectation.metric,
            metric.value_kind(),
            &bounds,
            "an expectation",
        );
    }

    fn check_bounds(
        &mut self,
        path: &DocPath,
        metric: &str,
        kind: ValueKind,
        bounds: &Bounds<'_>,
        what: &str,
    ) {
        let shown = quote(metric);
        if kind == ValueKind::Text {
            for (key, bound) in [("min", bounds.min), ("max", bounds.max)] {
                if bound.is_some() {
                    self.error_at_key(
                        &path.key(key),
                        format!("`{key}` does not apply to {shown}, a text: use `equals`"),
                    )
                    .set_hint(outcome_hint());
                }
            }
            match bounds.equals {
                None => {
                    self.error(
                        &path.key("equals"),
                        format!("{what} on {shown} needs `equals`"),
                    )
                    .set_hint(outcome_hint());
                }
                Some(Bound::Text(text)) => {
                    if RolloutOutcome::parse(text).is_none() {
                        let names: Vec<&str> = RolloutOutcome::ALL
                            .iter()
                            .map(|outcome| outcome.name())
                            .collect();
                        let hint = suggestion(text, "outcomes", &names).unwrap_or_default();
                        self.error(
                            &path.key("equals"),
                            format!("{} is not a rollout outcome", quote(text)),
                        )
                        .set_hint(hint);
                    }
                }
                Some(Bound::Number(value)) => {
                    self.error(
                        &path.key("equals"),
                        format!(
                            "`equals` of {shown} is a text, not the number {}",
                            number(*value)
                        ),
                    )
                    .set_hint(outcome_hint());
                }
            }
            return;
        }
        if bounds.min.is_none() && bounds.max.is_none() && bounds.equals.is_none() {
            self.error(
                path,
                format!("{what} on {shown} needs a bound: `min`, `max` or both"),
            )
            .set_hint(example_bound(metric, kind));
            return;
        }
        if let Some(equals) = bounds.equals {
            if kind != ValueKind::Count {
                self.error_at_key(
                    &path.key("equals"),
                    format!("`equals` does not apply to {shown}: use `min` and `max`"),
                )
                .set_hint(example_bound(metric, kind));
            } else if bounds.min.is_some() || bounds.max.is_some() {
                self.error_at_key(
                    &path.key("equals"),
                    "give `equals` or `min` and `max`, not both",
                );
            } else {
                self.bound_value(&path.key("equals"), metric, kind, equals);
            }
        }
        let min = bounds
            .min
            .and_then(|bound| self.bound_value(&path.key("min"), metric, kind, bound));
        let max = bounds
            .max
            .and_then(|bound| self.bound_value(&path.key("max"), metric, kind, bound));
        if let (Some((min, min_text)), Some((max, max_text))) = (min, max)
            && min > max
        {
            self.error(
                &path.key("max"),
                format!("`max` {max_text} is below `min` {min_text}: no value can pass"),
            );
        }
    }

    /// The bound as a number in the metric's unit (nanoseconds for durations) and as written.
    fn bound_value(
        &mut self,
        path: &DocPath,
        metric: &str,
        kind: ValueKind,
        bound: &Bound,
    ) -> Option<(f64, String)> {
        let key = path.last_key().to_owned();
        let shown = quote(metric);
        match (kind, bound) {
            (ValueKind::Ratio, Bound::Number(value)) if (0.0..=1.0).contains(value) => {
                Some((*value, number(*value)))
            }
            (ValueKind::Ratio, Bound::Number(value)) => {
                let diagnostic = self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is a ratio from 0 to 1, not {}",
                        number(*value)
                    ),
                );
                if *value > 1.0 && *value <= 100.0 {
                    diagnostic.set_hint(format!(
                        "{shown} is a fraction: write {key} = {} for {}%",
                        number(value / 100.0),
                        number(*value)
                    ));
                }
                None
            }
            (ValueKind::Duration, Bound::Text(text)) => match Duration::parse(text) {
                Ok(duration) => Some((duration.as_nanos() as f64, duration.to_string())),
                Err(error) => {
                    self.error(
                        path,
                        format!("invalid duration for `{key}` of {shown}: {error}"),
                    );
                    None
                }
            },
            (ValueKind::Duration, Bound::Number(value)) => {
                let diagnostic = self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is a duration, not the number {}",
                        number(*value)
                    ),
                );
                if value.is_finite() && *value >= 0.0 {
                    diagnostic.set_hint(format!(
                        "write it as a string with a unit: {key} = \"{}ms\"",
                        number(*value)
                    ));
                }
                None
            }
            (ValueKind::Count, Bound::Number(value)) if value.is_finite() && *value >= 0.0 => {
                Some((*value, number(*value)))
            }
            (ValueKind::Count, Bound::Number(value)) => {
                self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is a count of 0 or more, not {}",
                        number(*value)
                    ),
                );
                None
            }
            (_, Bound::Text(text)) => {
                let diagnostic = self.error(
                    path,
                    format!(
                        "`{key}` of {shown} is {}, not the string {text:?}",
                        kind.describe()
                    ),
                );
                if let Some(percent) = text
                    .strip_suffix('%')
                    .and_then(|number_text| number_text.trim().parse::<f64>().ok())
                {
                    diagnostic.set_hint(format!(
                        "write {key} = {} for {}%",
                        number(percent / 100.0),
                        number(percent)
                    ));
                } else {
                    diagnostic.set_hint(format!(
                        "write it without quotes: {key} = {}",
                        example_number(kind)
                    ));
                }
                None
            }
            (ValueKind::Text, Bound::Number(_)) => None,
        }
    }

    // ----- Cycles of synchronous calls -----

    fn check_call_cycles(&mut self) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Unvisited,
            OnPath,
            Done,
        }
        let mut marks: IndexMap<EndpointId, Mark> = IndexMap::new();
        let mut cycles: Vec<(Vec<EndpointId>, DocPath)> = Vec::new();
        let starts: Vec<EndpointId> = self.graph.edges.keys().copied().collect();
        for start in starts {
            if marks.get(&start).copied().unwrap_or(Mark::Unvisited) != Mark::Unvisited {
                continue;
            }
            // Depth-first without recursion: a chain of thousands of endpoints must not overflow
            // the stack. Each frame is a node and the index of its next edge to follow.
            let mut stack: Vec<(EndpointId, usize)> = vec![(start, 0)];
            marks.insert(start, Mark::OnPath);
            while let Some(frame) = stack.last_mut() {
                let (node, next) = *frame;
                let edges = self.graph.edges.get(&node).map_or(&[][..], Vec::as_slice);
                if let Some((target, call_path)) = edges.get(next) {
                    frame.1 += 1;
                    match marks.get(target).copied().unwrap_or(Mark::Unvisited) {
                        Mark::Unvisited => {
                            marks.insert(*target, Mark::OnPath);
                            stack.push((*target, 0));
                        }
                        Mark::OnPath => {
                            if cycles.len() < CYCLES_REPORTED_MAX {
                                let from = stack
                                    .iter()
                                    .position(|(on_path, _)| on_path == target)
                                    .unwrap_or(0);
                                let mut cycle: Vec<EndpointId> =
                                    stack[from..].iter().map(|(node, _)| *node).collect();
                                cycle.push(*target);
                                cycles.push((cycle, call_path.clone()));
                            }
                        }
                        Mark::Done => {}
                    }
                } else {
                    marks.insert(node, Mark::Done);
                    stack.pop();
                }
            }
        }
        for (cycle, call_path) in cycles {
            let names: Vec<String> = cycle
                .iter()
                .map(|(service, endpoint)| {
                    let service = &self.scenario.services[*service];
                    format!("{}:{}", service.name, service.endpoints[*endpoint].name)
                })
                .collect();
            self.error(&call_path, format!("synchronous calls form a cycle: {}", names.join(" → ")))
                .set_hint("each call holds a worker while it waits, so a request on this cycle waits for itself until it times out: remove a call, or publish to a topic instead");
        }
    }
}

fn outcome_hint() -> String {
    let names: Vec<String> = RolloutOutcome::ALL
        .iter()
        .map(|outcome| format!("\"{}\"", outcome.name()))
        .collect();
    format!(
        "write equals = {}",
        names.join(", ").replacen(", \"in", " or \"in", 1)
    )
}

fn example_number(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Ratio => "0.99",
        _ => "100",
    }
}

fn example_bound(metric: &str, kind: ValueKind) -> String {
    match kind {
        ValueKind::Ratio => format!("for example min = 0.99: at least 99% for {metric}"),
        ValueKind::Duration => "for example max = \"500ms\"".to_owned(),
        ValueKind::Count => "for example min = 100, or equals = 0".to_owned(),
        ValueKind::Text => outcome_hint(),
    }
}

/// The operations of a store kind, by index: the model's own table.
pub fn store_operations(kind: StoreKind) -> &'static [&'static str] {
    match kind {
        StoreKind::Stock => &["reserve", "release", "commit", "query", "read"],
        StoreKind::Ledger => &["charge", "refund", "query"],
        StoreKind::Orders => &["create", "confirm", "cancel", "query"],
        StoreKind::Redis => &["GET", "SETEX", "DEL", "LPUSH", "LRANGE"],
    }
}

fn store_kind_name(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Stock => "stock",
        StoreKind::Ledger => "ledger",
        StoreKind::Orders => "orders",
        StoreKind::Redis => "redis",
    }
}

#[cfg(test)]
mod tests {
    use super::{Findings, validate};
    use crate::scenario::locate::Locator;
    use crate::scenario::schema::Scenario;

    fn findings(source: &str) -> Findings {
        let scenario: Scenario = toml::from_str(source).expect("the test scenario parses");
        validate(&scenario, "test.toml", &Locator::new(source))
    }

    fn messages(source: &str) -> Vec<String> {
        findings(source)
            .errors
            .into_iter()
            .map(|diagnostic| diagnostic.message)
            .collect()
    }

    const HEAD: &str = "[scenario]\nname = \"t\"\nduration = \"1m\"\n";

    #[test]
    fn accepts_a_small_valid_scenario() {
        let source = format!(
            "{HEAD}[[service]]\nname = \"a\"\nexposed = true\n[[service.endpoint]]\nname = \"GET /\"\n[[workload]]\nname = \"w\"\ntarget = \"a\"\nendpoint = \"GET /\"\narrival = {{ kind = \"poisson\", rate = 5 }}\n"
        );
        let found = findings(&source);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    }

    #[test]
    fn finds_a_self_call_cycle() {
        let source = format!(
            "{HEAD}[[service]]\nname = \"a\"\n[[service.endpoint]]\nname = \"x\"\ncalls = [{{ service = \"a\", endpoint = \"x\" }}]\n"
        );
        assert_eq!(
            messages(&source),
            ["synchronous calls form a cycle: a:x → a:x"]
        );
    }

    #[test]
    fn warns_when_the_target_is_not_exposed() {
        let source = format!(
            "{HEAD}[[service]]\nname = \"a\"\n[[service.endpoint]]\nname = \"e\"\n[[workload]]\nname = \"w\"\ntarget = \"a\"\nendpoint = \"e\"\narrival = {{ kind = \"constant\", rate = 1 }}\n"
        );
        let found = findings(&source);
        assert!(found.errors.is_empty());
        assert_eq!(found.warnings.len(), 1);
        assert!(found.warnings[0].message.contains("not exposed"));
    }

    #[test]
    fn numbers_instances_across_versions() {
        let source = format!(
            "{HEAD}[[service]]\nname = \"a\"\nreplicas = 0\n[[service.version]]\nname = \"v2\"\nreplicas = 2\n[[fault]]\nat = \"1s\"\nkind = \"crash\"\ntarget = \"a/1\"\n[[fault]]\nat = \"1s\"\nkind = \"pause\"\ntarget = \"a/2\"\n"
        );
        assert_eq!(
            messages(&source),
            ["unknown instance `a/2`: `a` has 2 instances, a/0 to a/1"]
        );
    }

    #[test]
    fn reports_a_count_past_its_limit_at_the_first_entry_beyond() {
        let calls = vec!["{ service = \"a\", endpoint = \"y\" }"; 65].join(",\n");
        let source = format!(
            "{HEAD}[[service]]\nname = \"a\"\n[[service.endpoint]]\nname = \"x\"\ncalls = [\n{calls}\n]\n[[service.endpoint]]\nname = \"y\"\n"
        );
        let found = findings(&source);
        assert_eq!(found.errors.len(), 1, "{:?}", found.errors);
        let error = &found.errors[0];
        assert_eq!(
            error.message,
            "too many calls in endpoint `x`: 65, the limit is 64"
        );
        // Line 9 holds calls[0], so calls[64], the first past the limit, is on line 73.
        assert_eq!(
            error.location(&source).map(|location| location.line),
            Some(73)
        );
    }

    #[test]
    fn checks_each_fault_kind_keys() {
        let source = format!(
            "{HEAD}[[service]]\nname = \"a\"\n[[service]]\nname = \"b\"\n[[fault]]\nat = \"1s\"\nduration = \"5s\"\nkind = \"crash\"\ntarget = \"a\"\n[[fault]]\nat = \"1s\"\nkind = \"latency\"\nbetween = [\"a\", \"a/0\"]\n"
        );
        assert_eq!(
            messages(&source),
            [
                "`duration` does not apply to a crash fault",
                "a latency fault needs `add`",
                "the two sides of `between` overlap: `a` and `a/0`",
            ]
        );
    }
}
