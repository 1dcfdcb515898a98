//! One small scenario run kept whole for a conformance test to read: its summary, every row of
//! `requests.csv`, `events.csv` and `metrics.csv`. `tests/mesh.rs`, `tests/profiles.rs` and
//! `tests/linkerd.rs` write their scenarios as text and read them back through this.

use std::ops::Range;

use meshsim::scenario::load_str;
use meshsim::{EngineKind, simulate_on};
use meshsim_record::summary::MeshSummary;
use meshsim_record::{RecorderOutputs, RunSummary};

use super::SharedBuffer;

/// The one-service system the conformance tests probe: a workload `load` at `rate` constant
/// requests a second for `duration` into service `api` (endpoint `get`) under `mesh`, over 1 ms
/// hops, so that a request's latency is an exact sum. Its requests give up after `timeout`;
/// `network` adds lines to `[network]`, `api` to the service, `extra` tables at the end.
pub struct System<'a> {
    pub mesh: &'a str,
    pub duration: &'a str,
    pub rate: f64,
    pub timeout: &'a str,
    pub network: &'a str,
    pub api: &'a str,
    pub extra: &'a str,
}

impl System<'_> {
    pub fn text(&self) -> String {
        let System {
            mesh,
            duration,
            rate,
            timeout,
            network,
            api,
            extra,
        } = self;
        format!(
            r#"
[scenario]
name = "probe"
duration = "{duration}"
mesh = "{mesh}"

[network]
latency = {{ dist = "const", value = "1ms" }}
{network}

[[service]]
name = "api"
exposed = true
{api}

[[workload]]
name = "load"
target = "api"
endpoint = "get"
arrival = {{ kind = "constant", rate = {rate} }}
timeout = "{timeout}"
{extra}"#
        )
    }
}

/// The seed every probe runs from: the tests' numbers are exact or bounded for any seed, and one
/// fixed seed keeps a failure replayable.
const SEED: u64 = 11;

/// One request row of `requests.csv`.
#[derive(Debug)]
pub struct Row {
    pub sent_s: f64,
    pub done_s: f64,
    pub latency_ms: f64,
    pub outcome: String,
    pub status: u16,
    pub reason: String,
}

impl Row {
    /// Whether the request ended with `status` for `reason`.
    pub fn is(&self, status: u16, reason: &str) -> bool {
        self.status == status && self.reason == reason
    }
}

pub struct Run {
    pub summary: RunSummary,
    pub rows: Vec<Row>,
    pub events: String,
    pub metrics: String,
}

impl Run {
    pub fn success_rate(&self) -> f64 {
        self.summary.success_rate.unwrap_or(0.0)
    }

    pub fn mesh(&self, service: &str) -> MeshSummary {
        self.summary.services[service].mesh
    }

    pub fn received(&self, service: &str, version: &str) -> u64 {
        self.summary.services[service].versions[version]
            .requests
            .received
    }

    /// How many requests ended for `reason`.
    pub fn reasons(&self, reason: &str) -> usize {
        self.rows.iter().filter(|row| row.reason == reason).count()
    }

    /// The rows of the requests sent within `sent` seconds.
    pub fn sent_in(&self, sent: Range<f64>) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(move |row| sent.contains(&row.sent_s))
    }

    /// Time, subject and detail of every `events.csv` line of `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<(f64, String, String)> {
        csv::Reader::from_reader(self.events.as_bytes())
            .records()
            .map(Result::unwrap)
            .filter(|row| &row[1] == kind)
            .map(|row| {
                (
                    row[0].parse().unwrap(),
                    row[2].to_owned(),
                    row[3].to_owned(),
                )
            })
            .collect()
    }

    /// The largest value of a `metrics.csv` column over the rows of one service.
    pub fn metrics_max(&self, service: &str, column: &str) -> f64 {
        let mut reader = csv::Reader::from_reader(self.metrics.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let index = headers.iter().position(|name| name == column).unwrap();
        reader
            .records()
            .map(Result::unwrap)
            .filter(|row| &row[1] == "service" && &row[2] == service)
            .filter_map(|row| row[index].parse::<f64>().ok())
            .fold(0.0, f64::max)
    }
}

/// Loads `source` as a scenario named `label`, runs it on `engine`, checks that every request is
/// accounted for, and keeps what it wrote.
pub fn run_on(engine: EngineKind, label: &str, source: &str) -> Run {
    let loaded = load_str(label, source).unwrap_or_else(|error| panic!("{error}"));
    let [requests, events, metrics] = [(); 3].map(|()| SharedBuffer::default());
    let outputs = RecorderOutputs {
        requests: Some(Box::new(requests.clone())),
        events: Some(Box::new(events.clone())),
        metrics: Some(Box::new(metrics.clone())),
        trace: None,
        otlp: None,
        openmetrics: None,
    };
    let simulation = simulate_on(engine, loaded.resolved(), SEED, outputs, &mut |_, _| {})
        .unwrap_or_else(|error| panic!("{error}"));
    let summary = simulation.summary;
    assert!(summary.accounting.ok, "{:?}", summary.accounting.problems);
    let bytes = requests.bytes();
    let rows = csv::Reader::from_reader(bytes.as_slice())
        .records()
        .map(|row| {
            let row = row.unwrap();
            Row {
                sent_s: row[2].parse().unwrap(),
                done_s: row[3].parse().unwrap(),
                latency_ms: row[4].parse().unwrap(),
                outcome: row[5].to_owned(),
                status: row[6].parse().unwrap(),
                reason: row[7].to_owned(),
            }
        })
        .collect();
    Run {
        summary,
        rows,
        events: String::from_utf8(events.bytes()).unwrap(),
        metrics: String::from_utf8(metrics.bytes()).unwrap(),
    }
}
