//! What `calibrate` prints: what it found (services, endpoints, edges, topics, workloads with
//! their rates) and what it could not use or corrected.

use std::fmt::Write as _;

use super::call_tree::Target;
use super::endpoint_stats::EndpointStats;
use super::read::ReadCounts;
use super::scenario_writer::Written;
use super::system::System;

pub(crate) fn render(system: &System, read: Option<&ReadCounts>, written: &Written) -> String {
    let mut out = String::new();
    let counts = &system.counts;
    let _ = writeln!(
        out,
        "calibrate: {} traces, {} used, over {:.3} s",
        counts.traces,
        counts.traces_used,
        system.window_ns() / 1e9
    );
    found(&mut out, system, written);
    not_used(&mut out, system, read);
    out
}

fn found(out: &mut String, system: &System, written: &Written) {
    let _ = writeln!(out, "\n  services");
    for (name, service) in &system.services {
        let instances: usize = service
            .instances
            .values()
            .map(std::collections::BTreeSet::len)
            .sum();
        let versions: Vec<&str> = service
            .instances
            .keys()
            .filter(|version| !version.is_empty())
            .map(String::as_str)
            .collect();
        let _ = writeln!(
            out,
            "  {name}{}: {} requests, {instances} instances seen{}",
            if service.leaf { " (leaf)" } else { "" },
            service.requests,
            if versions.is_empty() {
                String::new()
            } else {
                format!(", versions {}", versions.join(", "))
            },
        );
        for (endpoint_name, endpoint) in &service.endpoints {
            endpoint_lines(out, endpoint_name, endpoint);
        }
    }
    if !system.topics.is_empty() {
        let _ = writeln!(
            out,
            "\n  topics (broker {})",
            written.broker.as_deref().unwrap_or("-")
        );
        for (topic, subscriptions) in &system.topics {
            let consumers: Vec<String> = subscriptions
                .iter()
                .map(|(service, endpoint)| format!("{service}: {endpoint}"))
                .collect();
            let _ = writeln!(
                out,
                "  {topic} → {}",
                if consumers.is_empty() {
                    "no consumer seen".to_owned()
                } else {
                    consumers.join(", ")
                }
            );
        }
    }
    let _ = writeln!(out, "\n  hops (one way)");
    for ((caller, callee), hops) in &system.hops {
        let _ = writeln!(
            out,
            "  {caller} → {}: {} samples, mean {:.3} ms",
            callee.as_deref().unwrap_or("broker"),
            hops.seen(),
            hops.mean() / 1e6
        );
    }
    let _ = writeln!(out, "\n  workloads");
    for (name, service, endpoint, rate) in &written.workloads {
        let _ = writeln!(
            out,
            "  {name} → {service}: {endpoint} at {rate:.3} requests/s"
        );
    }
}

fn endpoint_lines(out: &mut String, endpoint_name: &str, endpoint: &EndpointStats) {
    let work: Vec<String> = endpoint
        .versions
        .values()
        .map(|version| format!("{:.3} ms", version.work.mean() / 1e6))
        .collect();
    let own_errors: u64 = endpoint
        .versions
        .values()
        .map(|version| version.own_errors)
        .sum();
    let _ = writeln!(
        out,
        "    {endpoint_name}: {} requests, own work mean {}, own errors {:.2}%",
        endpoint.requests,
        work.join(" / "),
        own_errors as f64 * 100.0 / endpoint.requests.max(1) as f64
    );
    for step in endpoint.call_steps() {
        let parallel = step.len() > 1;
        for ((target, occurrence), probability) in step {
            let callee = match target {
                Target::Sync { service, endpoint } | Target::Leaf { service, endpoint } => {
                    format!("{service}: {endpoint}")
                }
                Target::Publish { topic } => format!("publish {topic}"),
            };
            let _ = writeln!(
                out,
                "      → {callee}{} p = {probability:.3}{}",
                if occurrence > 0 {
                    format!(" (#{})", occurrence + 1)
                } else {
                    String::new()
                },
                if parallel { ", in parallel" } else { "" }
            );
        }
    }
}

fn not_used(out: &mut String, system: &System, read: Option<&ReadCounts>) {
    let counts = &system.counts;
    let _ = writeln!(out, "\n  not used or corrected");
    if let Some(read) = read {
        let _ = writeln!(
            out,
            "  {} spans without a service (dropped)",
            read.spans_without_service
        );
        let _ = writeln!(
            out,
            "  {} traces too large (dropped)",
            read.traces_too_large
        );
    }
    let lines = [
        (
            counts.traces_partial,
            "partial traces skipped (a parent missing, several roots or a repeated span id)",
        ),
        (counts.orphan_spans, "orphan spans in them"),
        (
            counts.traces_without_entry,
            "traces without an entry (a root neither a SERVER span nor a load generator's CLIENT span)",
        ),
        (
            counts.traces_over_limits,
            "traces past a scenario limit (services, endpoints, workloads, topics)",
        ),
        (counts.calls_over_limit, "calls past 64 per endpoint"),
        (counts.arrivals_dropped, "arrivals past the replay's limit"),
        (
            counts.skew_corrected_spans,
            "spans corrected for clock skew",
        ),
    ];
    for (count, what) in lines {
        let _ = writeln!(out, "  {count} {what}");
    }
}
