//! `--check`: the same statistics computed from two sets of traces, the input's and the
//! simulated run's, side by side. Both sides are [`TraceStats`], built by the same code from
//! [`TraceFacts`], so a difference is the model's and never the measurement's.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::call_tree::{Target, TraceFacts};
use super::reservoir::Reservoir;

/// Latencies and a count, for one entry endpoint or one edge.
#[derive(Debug)]
pub(crate) struct LatencyCount {
    pub(crate) count: u64,
    pub(crate) latency: Reservoir,
}

impl LatencyCount {
    fn new(stream: &str) -> Self {
        LatencyCount {
            count: 0,
            latency: Reservoir::new(stream),
        }
    }

    fn add(&mut self, duration_ns: u64) {
        self.count += 1;
        self.latency.add(duration_ns);
    }
}

/// Per entry endpoint (`service: endpoint`), the entry SERVER span's duration; per edge
/// (`caller: endpoint → callee: endpoint`, or `→ topic T`), the client span's duration; and the
/// window the arrivals came over, to compare counts as rates.
#[derive(Debug, Default)]
pub(crate) struct TraceStats {
    pub(crate) entries: BTreeMap<String, LatencyCount>,
    pub(crate) edges: BTreeMap<String, LatencyCount>,
    pub(crate) first_arrival_ns: Option<i64>,
    pub(crate) last_arrival_ns: Option<i64>,
}

impl TraceStats {
    pub(crate) fn add(&mut self, facts: &TraceFacts) {
        let Some(entry) = &facts.entry else {
            return;
        };
        let label = format!("{}: {}", entry.service, entry.endpoint);
        self.entries
            .entry(label.clone())
            .or_insert_with(|| LatencyCount::new(&format!("check/entry/{label}")))
            .add(entry.duration_ns);
        self.first_arrival_ns = Some(
            self.first_arrival_ns
                .map_or(entry.arrival_ns, |t| t.min(entry.arrival_ns)),
        );
        self.last_arrival_ns = Some(
            self.last_arrival_ns
                .map_or(entry.arrival_ns, |t| t.max(entry.arrival_ns)),
        );
        for handler in &facts.handlers {
            for call in &handler.calls {
                let callee = match &call.target {
                    Target::Sync { service, endpoint } | Target::Leaf { service, endpoint } => {
                        format!("{service}: {endpoint}")
                    }
                    Target::Publish { topic } => format!("topic {topic}"),
                };
                let label = format!("{}: {} → {callee}", handler.service, handler.endpoint);
                self.edges
                    .entry(label.clone())
                    .or_insert_with(|| LatencyCount::new(&format!("check/edge/{label}")))
                    .add(call.duration_ns);
            }
        }
    }

    /// The arrivals' window in seconds (at least a nanosecond).
    fn window_s(&self) -> f64 {
        let entries: u64 = self.entries.values().map(|entry| entry.count).sum();
        match (self.first_arrival_ns, self.last_arrival_ns) {
            (Some(first), Some(last)) if entries >= 2 && last > first => {
                (last - first) as f64 / 1e9 * entries as f64 / (entries - 1) as f64
            }
            _ => 1e-9,
        }
    }
}

/// The bars `--check` holds the simulation to, in percent (the issue's: 5 % on an entry's p50
/// and p99, 2 % on an edge's count).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tolerances {
    pub(crate) latency_percent: f64,
    pub(crate) count_percent: f64,
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) entry: bool,
    pub(crate) label: String,
    /// p50, p90, p99 in milliseconds and the count, per side (`None` where a side has none).
    pub(crate) traces: Option<([f64; 3], u64)>,
    pub(crate) simulated: Option<([f64; 3], u64)>,
    /// Differences in percent of the traces': p50, p90, p99, and the count's as a rate.
    pub(crate) differences: Option<[f64; 4]>,
    pub(crate) within: bool,
}

fn figures(stats: &LatencyCount) -> ([f64; 3], u64) {
    let quantile = |q| stats.latency.quantile(q).unwrap_or(0) as f64 / 1e6;
    ([quantile(0.5), quantile(0.9), quantile(0.99)], stats.count)
}

fn percent(simulated: f64, traces: f64) -> f64 {
    if traces == 0.0 {
        if simulated == 0.0 { 0.0 } else { 100.0 }
    } else {
        (simulated - traces) / traces * 100.0
    }
}

/// Compares the simulation's statistics with the traces'. An entry endpoint is within the bar
/// when its p50 and p99 are; an edge when its count, as a rate over each side's window, is. A
/// row one side lacks is outside it.
pub(crate) fn compare(
    traces: &TraceStats,
    simulated: &TraceStats,
    tolerances: Tolerances,
) -> Vec<Row> {
    let rate_scale = traces.window_s() / simulated.window_s();
    let mut rows = Vec::new();
    for (entry, (ours, theirs)) in [
        (true, (&traces.entries, &simulated.entries)),
        (false, (&traces.edges, &simulated.edges)),
    ] {
        let mut labels: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
        labels.sort();
        labels.dedup();
        for label in labels {
            let traces_side = ours.get(label).map(figures);
            let simulated_side = theirs.get(label).map(figures);
            let differences = traces_side.zip(simulated_side).map(|((t, tc), (s, sc))| {
                [
                    percent(s[0], t[0]),
                    percent(s[1], t[1]),
                    percent(s[2], t[2]),
                    percent(sc as f64 * rate_scale, tc as f64),
                ]
            });
            let within = differences.is_some_and(|d| {
                if entry {
                    d[0].abs() <= tolerances.latency_percent
                        && d[2].abs() <= tolerances.latency_percent
                } else {
                    d[3].abs() <= tolerances.count_percent
                }
            });
            rows.push(Row {
                entry,
                label: label.clone(),
                traces: traces_side,
                simulated: simulated_side,
                differences,
                within,
            });
        }
    }
    rows
}

/// The comparison as a table: per row the traces' and the simulation's p50, p90, p99 (ms) and
/// count, and the differences in percent; `✘` marks a row outside the bar.
pub(crate) fn render(rows: &[Row], tolerances: Tolerances) -> String {
    let mut out = String::new();
    let failed = rows.iter().filter(|row| !row.within).count();
    let _ = writeln!(
        out,
        "check: the simulation against the traces (entries: p50 and p99 within {}%; edges: count within {}%)",
        tolerances.latency_percent, tolerances.count_percent
    );
    for (entry, title) in [(true, "entry endpoint"), (false, "edge")] {
        let _ = writeln!(
            out,
            "\n  {title}\n        traces p50/p90/p99 ms, count   simulated p50/p90/p99 ms, count   difference p50/p90/p99/count"
        );
        for row in rows.iter().filter(|row| row.entry == entry) {
            let side = |side: Option<([f64; 3], u64)>| {
                side.map_or_else(
                    || "—".to_owned(),
                    |(q, count)| format!("{:.1}/{:.1}/{:.1}, {count}", q[0], q[1], q[2]),
                )
            };
            let differences = row.differences.map_or_else(
                || "—".to_owned(),
                |d| format!("{:+.1}%/{:+.1}%/{:+.1}%/{:+.1}%", d[0], d[1], d[2], d[3]),
            );
            let mark = if row.within { "✔" } else { "✘" };
            let _ = writeln!(out, "  {mark} {}", row.label);
            let _ = writeln!(
                out,
                "        {:<32} {:<33} {differences}",
                side(row.traces),
                side(row.simulated)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n  {}",
        if failed == 0 {
            "✔ the simulation reproduces the traces".to_owned()
        } else {
            format!("✘ {failed} of {} rows outside the bar", rows.len())
        }
    );
    out
}
