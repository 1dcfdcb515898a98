//! `meshsim check FILE`: validates a scenario without running it, and counts what it holds.

use std::path::PathBuf;

use super::loading::{load_or_report, print_warnings};
use super::status::Status;
use crate::scenario::Scenario;

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The scenario file (TOML, format 1).
    pub file: PathBuf,
}

pub(crate) fn check(args: &CheckArgs) -> Status {
    let loaded = match load_or_report(&args.file) {
        Ok(loaded) => loaded,
        Err(status) => return status,
    };
    print_warnings(&loaded);
    println!(
        "ok: {} ({})",
        args.file.display(),
        census(loaded.scenario()).join(", ")
    );
    Status::Ok
}

/// What the scenario holds, counted: `3 services, 7 instances, 1 workload, ...`. Stores,
/// brokers and rollouts are named only when the scenario has them.
fn census(scenario: &Scenario) -> Vec<String> {
    let instances: u64 = scenario
        .services
        .iter()
        .map(crate::scenario::schema::Service::instances)
        .sum();
    let mut parts = vec![
        counted(scenario.services.len() as u64, "service"),
        counted(instances, "instance"),
    ];
    for (count, noun) in [
        (scenario.stores.len(), "store"),
        (scenario.brokers.len(), "broker"),
        (scenario.rollouts.len(), "rollout"),
    ] {
        if count > 0 {
            parts.push(counted(count as u64, noun));
        }
    }
    parts.push(counted(scenario.workloads.len() as u64, "workload"));
    parts.push(counted(scenario.faults.len() as u64, "fault"));
    parts.push(counted(scenario.expectations.len() as u64, "expectation"));
    parts
}

/// `1 fault`, `3 faults`.
fn counted(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
