//! Checks what serde cannot: references between sections, ranges, sums, cycles and size limits.
//!
//! serde has already checked the shape of the file (keys, types, durations). What is left is the
//! meaning: that a call names a service and an endpoint that exist, that route weights sum to
//! 100, that a fault has the keys its kind needs, that no synchronous calls go round in a cycle.
//! Every check names the path of what it looks at, and the [`Locator`] turns the path into a
//! span, so each problem points at the most precise text there is. Checks never stop at the first
//! problem: a user fixing a file wants all of them at once.
//!
//! The checks live in one file per section of the scenario, each an `impl Checker` block;
//! `checker.rs` holds what they share (the state, and how a finding is recorded), `values.rs`
//! the checks of one value and `references.rs` those of a name. [`validate`] runs the sections
//! in a fixed order, and that order is the order in which findings are reported.

mod arrival_files;
mod autoscale;
mod bounds;
mod brokers;
mod call_behaviour;
mod calls;
mod checker;
mod concurrency;
mod cycles;
mod dependencies;
mod distributions;
mod expectations;
mod faults;
mod findings;
mod graph;
mod header;
mod host;
mod mesh;
mod names;
mod network;
mod policies;
mod references;
mod resolving;
mod rollouts;
mod sagas;
mod sample_file;
mod segments;
mod services;
mod stores;
#[cfg(test)]
mod tests;
mod values;
mod version_endpoints;
mod workloads;

use indexmap::IndexMap;

use self::checker::Checker;
use self::graph::CallGraph;
use self::names::Names;
use self::resolving::Resolving;
use super::locate::Locator;
use super::schema::Scenario;

pub use self::findings::Findings;

/// Checks `scenario`, parsed from the text `locator` holds; diagnostics name `file`. Without
/// errors, the findings hold the scenario's
/// [`Resolution`](super::resolved::Resolution).
pub fn validate(scenario: &Scenario, file: &str, locator: &Locator<'_>) -> Findings {
    let mut checker = Checker {
        scenario,
        file,
        locator,
        names: Names::collect(scenario),
        graph: CallGraph::default(),
        published: IndexMap::new(),
        findings: Findings::default(),
        resolving: Resolving::new(scenario),
    };
    checker.check_header();
    checker.check_network();
    checker.check_segments();
    checker.check_services();
    checker.check_autoscalers();
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
    let mut findings = checker.findings;
    if findings.errors.is_empty() {
        let policies = policies::effective_policies(scenario, locator);
        findings.resolution = checker.resolving.finish(policies);
    }
    findings
}
