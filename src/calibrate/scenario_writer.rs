//! Writes what was learnt as a scenario that `meshsim run` accepts as it is: the TOML text and
//! the sample files its empirical distributions and replayed arrivals read, each named by a
//! path relative to the scenario's folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::call_tree::Target;
use super::endpoint_stats::{CallKey, EndpointStats, VersionWork};
use super::reservoir::Reservoir;
use super::system::{ServiceStats, System, WorkloadKey};

/// Workers per instance, at least: meshsim's default (Tomcat's thread pool).
const WORKERS_MIN: u64 = 200;
const WORKERS_MAX: u64 = 100_000;
/// The scenario runs at least this long, so a handful of traces still gives a run.
const DURATION_NS_MIN: f64 = 5e9;
const RATE_MAX: f64 = 1e6;

/// How the written workloads send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Arrivals {
    /// A Poisson process at the rate the traces show.
    Rate,
    /// Every traced arrival replayed at its time, from a CSV file.
    Replay,
}

#[derive(Debug, Clone)]
pub(crate) struct WriteOptions {
    /// The scenario's name.
    pub(crate) name: String,
    /// The folder of sample files, relative to the scenario's folder (`NAME.samples`).
    pub(crate) samples_dir: String,
    pub(crate) arrivals: Arrivals,
    /// The share of requests the traces hold (head sampling); arrivals are scaled by its inverse.
    pub(crate) sample_rate: f64,
    /// Comment lines for the header: where the scenario came from.
    pub(crate) header: Vec<String>,
}

/// A written scenario: its text and its sample files (path relative to the scenario's folder,
/// contents).
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub(crate) toml: String,
    pub(crate) files: Vec<(String, String)>,
    /// The workloads' names with their rates (requests per second), for the summary.
    pub(crate) workloads: Vec<(String, String, String, f64)>,
    pub(crate) broker: Option<String>,
}

struct Writer<'a> {
    system: &'a System,
    options: &'a WriteOptions,
    out: String,
    files: Vec<(String, String)>,
    window_ns: f64,
}

pub(crate) fn write_scenario(system: &System, options: &WriteOptions) -> Written {
    let window_ns = system.window_ns();
    let mut writer = Writer {
        system,
        options,
        out: String::new(),
        files: Vec::new(),
        window_ns,
    };
    writer.header();
    for (index, (name, service)) in system.services.iter().enumerate() {
        writer.service(index, name, service);
    }
    let mut taken: BTreeSet<String> = system.services.keys().cloned().collect();
    // The broker is named as the publishes named it most often (ties: the first name), unless
    // that name is a service's.
    let named = system
        .broker_names
        .iter()
        .max_by(|one, other| one.1.cmp(other.1).then(other.0.cmp(one.0)))
        .map_or("broker", |(name, _)| name.as_str());
    let broker = (!system.topics.is_empty()).then(|| unique_name(named, &mut taken));
    if let Some(broker) = &broker {
        writer.broker(broker);
    }
    let workloads = workload_names(system, &mut taken);
    writer.links(broker.as_deref(), &workloads);
    let mut rates = Vec::new();
    for (index, (key, name)) in workloads.iter().enumerate() {
        let rate = writer.workload(index, key, name);
        rates.push((name.clone(), key.1.clone(), key.2.clone(), rate));
    }
    Written {
        toml: writer.out,
        files: writer.files,
        workloads: rates,
        broker,
    }
}

/// `name`, or `name-2`, `name-3`... the first not taken; takes it.
fn unique_name(base: &str, taken: &mut BTreeSet<String>) -> String {
    let base: String = base.chars().take(56).collect();
    let mut name = base.clone();
    let mut counter = 2;
    while taken.contains(&name) {
        name = format!("{base}-{counter}");
        counter += 1;
    }
    taken.insert(name.clone());
    name
}

/// Each workload's name: the load generator's service, or `SERVICE-clients` for a SERVER root.
fn workload_names(system: &System, taken: &mut BTreeSet<String>) -> Vec<(WorkloadKey, String)> {
    system
        .workloads
        .keys()
        .map(|key| {
            let base = match &key.0 {
                Some(source) => source.clone(),
                None => format!("{}-clients", key.1),
            };
            (key.clone(), unique_name(&base, taken))
        })
        .collect()
}

/// A TOML basic string.
pub(crate) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// A number as TOML writes it, with at most 6 decimals and no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// A sample file: a header and one duration in nanoseconds per row.
fn samples_csv(header: &str, samples: &[u64]) -> String {
    let mut text = format!("{header}\n");
    for sample in samples {
        let _ = writeln!(text, "{sample}ns");
    }
    text
}

impl Writer<'_> {
    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Registers a samples file and returns the distribution that reads it.
    fn empirical(&mut self, file: &str, header: &str, samples: &[u64]) -> String {
        let path = format!("{}/{file}", self.options.samples_dir);
        self.files
            .push((path.clone(), samples_csv(header, samples)));
        format!("{{ dist = \"empirical\", file = {} }}", quote(&path))
    }

    fn duration_ns(&self) -> f64 {
        self.window_ns.max(DURATION_NS_MIN)
    }

    /// The time the traces' requests came in over: their window, or the run's duration when
    /// fewer than two arrivals give none.
    fn rate_window_ns(&self) -> f64 {
        if self.window_ns > 0.0 {
            self.window_ns
        } else {
            self.duration_ns()
        }
    }

    fn header(&mut self) {
        for line in &self.options.header {
            let text = format!("# {line}");
            self.line(text.trim_end());
        }
        self.line("");
        self.line("[scenario]");
        let name = quote(&self.options.name);
        self.line(&format!("name = {name}"));
        self.line("description = \"built by meshsim calibrate from traces\"");
        // Whole milliseconds, rounded up: the run covers the traces' whole window.
        let millis = (self.duration_ns() / 1e6).ceil() as u64 + 1;
        self.line(&format!("duration = \"{millis}ms\""));
        self.line("");
    }

    /// Instances per version, the main version first: `v1` if the traces name one, else the
    /// version that handled most requests.
    fn versions(service: &ServiceStats) -> Vec<(String, u64)> {
        let mut requests: BTreeMap<&str, u64> = BTreeMap::new();
        for endpoint in service.endpoints.values() {
            for (version, work) in &endpoint.versions {
                *requests.entry(version.as_str()).or_default() += work.requests;
            }
        }
        let mut versions: Vec<(String, u64)> = service
            .instances
            .iter()
            .map(|(version, instances)| (version.clone(), (instances.len() as u64).max(1)))
            .collect();
        versions.sort_by(|a, b| {
            let main = |name: &str| (name == "v1", requests.get(name).copied().unwrap_or(0));
            main(&b.0).cmp(&main(&a.0)).then_with(|| a.0.cmp(&b.0))
        });
        versions
    }

    /// Workers: enough that the simulation queues nothing the traces did not. The traces' own
    /// work already holds any queueing inside the service; with as many workers as the
    /// traces' concurrency allows, a request never waits for one. Little's law gives the mean
    /// concurrency, L = busy time / window; the number busy at once in a system of unlimited
    /// servers is Poisson with mean L (Kleinrock, *Queueing Systems, Volume 1*, 1975, §2.1 and
    /// the M/G/∞ result), so 10 L per instance, and never fewer than 200, is never reached.
    fn workers(&self, service: &ServiceStats, replicas: u64) -> u64 {
        let concurrency = service.busy_ns as f64 / self.rate_window_ns();
        let per_instance = concurrency / replicas.max(1) as f64;
        ((10.0 * per_instance).ceil() as u64).clamp(WORKERS_MIN, WORKERS_MAX)
    }

    fn service(&mut self, index: usize, name: &str, service: &ServiceStats) {
        let versions = Self::versions(service);
        let main = versions.first().cloned().unwrap_or_default();
        let replicas = main.1.max(1);
        let total: u64 = versions.iter().map(|(_, count)| count).sum::<u64>().max(1);
        self.line("[[service]]");
        self.line(&format!("name = {}", quote(name)));
        if service.leaf {
            self.line(
                "# seen only behind client spans (a database, a cache, an uninstrumented service)",
            );
        }
        self.line(&format!("replicas = {replicas}"));
        let workers = self.workers(service, total);
        self.line(&format!("workers = {workers}"));
        if service.exposed {
            self.line("exposed = true");
        }
        self.line("");
        for (endpoint_index, (endpoint_name, endpoint)) in service.endpoints.iter().enumerate() {
            self.endpoint(index, endpoint_index, endpoint_name, endpoint, &main.0);
        }
        for (version, replicas) in versions.iter().skip(1) {
            self.version(index, service, version, *replicas);
        }
    }

    fn endpoint(
        &mut self,
        service_index: usize,
        endpoint_index: usize,
        name: &str,
        endpoint: &EndpointStats,
        main_version: &str,
    ) {
        // The endpoint's own figures are its main version's, or the first version's that has it.
        let Some((version, work)) = endpoint
            .versions
            .get_key_value(main_version)
            .or_else(|| endpoint.versions.iter().next())
        else {
            return;
        };
        self.line("[[service.endpoint]]");
        self.line(&format!("name = {}", quote(name)));
        let error_rate = self.own_work(service_index, endpoint_index, version, work);
        if error_rate > 0.0 {
            self.line(&format!("error_rate = {}", number(error_rate)));
        }
        let steps = endpoint.call_steps();
        if !steps.is_empty() {
            self.line("calls = [");
            for step in steps {
                if let [(key, probability)] = step.as_slice() {
                    self.line(&format!("  {},", call_entry(key, *probability)));
                } else {
                    self.line("  { parallel = [");
                    for (key, probability) in &step {
                        self.line(&format!("    {},", call_entry(key, *probability)));
                    }
                    self.line("  ] },");
                }
            }
            self.line("]");
        }
        self.line("");
    }

    /// Writes one version's own work of one endpoint as its samples file and `service_time`
    /// line; gives back its own error rate, which each caller writes as it needs.
    fn own_work(
        &mut self,
        service_index: usize,
        endpoint_index: usize,
        version: &str,
        work: &VersionWork,
    ) -> f64 {
        let file = format!(
            "work-{service_index}-{endpoint_index}-v{}.csv",
            slug(version)
        );
        let dist = self.empirical(&file, "own_work", work.work.samples());
        self.line(&format!("service_time = {dist}"));
        work.own_errors as f64 / work.requests.max(1) as f64
    }

    fn version(
        &mut self,
        service_index: usize,
        service: &ServiceStats,
        version: &str,
        replicas: u64,
    ) {
        self.line("[[service.version]]");
        // Spans that name no version, beside others that do, are a version of their own.
        let name = if version.is_empty() {
            "unversioned"
        } else {
            version
        };
        self.line(&format!("name = {}", quote(name)));
        self.line(&format!("replicas = {replicas}"));
        self.line("");
        for (endpoint_index, (name, endpoint)) in service.endpoints.iter().enumerate() {
            let Some(work) = endpoint.versions.get(version) else {
                continue;
            };
            self.line("[[service.version.endpoint]]");
            self.line(&format!("name = {}", quote(name)));
            let error_rate = self.own_work(service_index, endpoint_index, version, work);
            self.line(&format!("error_rate = {}", number(error_rate)));
            self.line("");
        }
    }

    fn broker(&mut self, broker: &str) {
        let system = self.system;
        self.line("[[broker]]");
        self.line(&format!("name = {}", quote(broker)));
        let topics: Vec<String> = system.topics.keys().map(|topic| quote(topic)).collect();
        self.line(&format!("topics = [{}]", topics.join(", ")));
        self.line("");
        for (topic, subscriptions) in &system.topics {
            for (service, endpoint) in subscriptions {
                self.line("[[subscription]]");
                self.line(&format!("topic = {}", quote(topic)));
                self.line(&format!("service = {}", quote(service)));
                self.line(&format!("endpoint = {}", quote(endpoint)));
                self.line("");
            }
        }
    }

    /// A link per pair of hosts with hop samples: a link applies both ways, so a pair seen
    /// both ways pools its samples.
    fn links(&mut self, broker: Option<&str>, workloads: &[(WorkloadKey, String)]) {
        let system = self.system;
        let mut pairs: BTreeMap<(String, String), Vec<&Reservoir>> = BTreeMap::new();
        for ((caller, callee), reservoir) in &system.hops {
            let Some(callee) = callee.as_deref().or(broker) else {
                continue;
            };
            let pair = if caller.as_str() <= callee {
                (caller.clone(), callee.to_owned())
            } else {
                (callee.to_owned(), caller.clone())
            };
            pairs.entry(pair).or_default().push(reservoir);
        }
        for (key, name) in workloads {
            if let Some(stats) = system.workloads.get(key)
                && stats.one_way.seen() > 0
            {
                pairs
                    .entry((name.clone(), key.1.clone()))
                    .or_default()
                    .push(&stats.one_way);
            }
        }
        for (index, ((a, b), reservoirs)) in pairs.iter().enumerate() {
            let samples: Vec<u64> = reservoirs
                .iter()
                .flat_map(|reservoir| reservoir.samples().iter().copied())
                .collect();
            self.line("[[network.link]]");
            self.line(&format!("between = [{}, {}]", quote(a), quote(b)));
            let dist = self.empirical(&format!("hop-{index}.csv"), "one_way", &samples);
            self.line(&format!("latency = {dist}"));
            self.line("");
        }
    }

    /// Writes one workload; returns its rate in requests per second.
    fn workload(&mut self, index: usize, key: &WorkloadKey, name: &str) -> f64 {
        let Some(stats) = self.system.workloads.get(key) else {
            return 0.0;
        };
        let rate =
            (stats.requests as f64 / (self.rate_window_ns() / 1e9) / self.options.sample_rate)
                .min(RATE_MAX);
        self.line("[[workload]]");
        self.line(&format!("name = {}", quote(name)));
        self.line(&format!("target = {}", quote(&key.1)));
        self.line(&format!("endpoint = {}", quote(&key.2)));
        match self.options.arrivals {
            Arrivals::Rate => {
                self.line(&format!(
                    "arrival = {{ kind = \"poisson\", rate = {} }}",
                    number(rate)
                ));
            }
            Arrivals::Replay => {
                let first = self.system.first_arrival_ns.unwrap_or(0);
                let mut times: Vec<i64> = stats.arrivals_ns.iter().map(|at| at - first).collect();
                times.sort_unstable();
                let mut csv = String::from("time\n");
                for time in times {
                    let _ = writeln!(csv, "{}.{:09}", time / 1_000_000_000, time % 1_000_000_000);
                }
                let path = format!("{}/arrivals-{index}.csv", self.options.samples_dir);
                self.files.push((path.clone(), csv));
                self.line(&format!(
                    "arrival = {{ kind = \"replay\", file = {} }}",
                    quote(&path)
                ));
            }
        }
        self.line("");
        rate
    }
}

/// A version's name in a file name: letters, digits, `.` and `-` kept.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(32)
        .collect()
}

fn call_entry((target, _): &CallKey, probability: f64) -> String {
    let mut entry = match target {
        Target::Sync { service, endpoint } | Target::Leaf { service, endpoint } => {
            format!(
                "{{ service = {}, endpoint = {}",
                quote(service),
                quote(endpoint)
            )
        }
        Target::Publish { topic } => format!("{{ topic = {}", quote(topic)),
    };
    // A probability written as 1 would be the default: left out.
    if probability < 0.9995 {
        let _ = write!(entry, ", probability = {}", number(probability.max(0.0001)));
    }
    entry.push_str(" }");
    entry
}
