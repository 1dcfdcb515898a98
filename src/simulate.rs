//! One run of a scenario from a seed: assemble, drive the event engine to the end, summarise.

use meshsim_reports::RunInfo;
use meshsim_sim::{RecorderOutputs, RunSummary, SimTime};

use crate::assemble::assemble;
use crate::scenario::Scenario;
use crate::scenario::schema::LoadBalancer;

/// What a finished run hands to the reports.
pub struct Simulation {
    pub info: RunInfo,
    pub summary: RunSummary,
}

/// How many slices a run is cut into for progress reports: enough for a smooth bar, few
/// enough that reporting costs nothing.
const PROGRESS_SLICES: u64 = 200;

/// Runs `scenario` with `seed`, streaming files to `outputs` and telling `progress` how far
/// simulated time has come.
pub fn simulate(
    scenario: &Scenario,
    seed: u64,
    outputs: RecorderOutputs,
    progress: &mut dyn FnMut(SimTime, SimTime),
) -> std::io::Result<Simulation> {
    let mut assembly = assemble(scenario, seed, outputs);
    let end = assembly.end;
    let slice_ns = (end.as_nanos() / PROGRESS_SLICES).max(1);
    let mut reached = SimTime::ZERO;
    loop {
        let next = SimTime::from_nanos(reached.as_nanos().saturating_add(slice_ns)).min(end);
        assembly.engine.run_until(next);
        reached = next;
        progress(reached, end);
        if reached >= end {
            break;
        }
    }
    let events = assembly.engine.events_processed();
    let network = assembly.engine.network_counts();
    let (recorder, _models) = assembly.engine.finish();
    let summary = recorder.finish(end)?;
    let info = RunInfo {
        scenario: scenario.scenario.name.clone(),
        description: scenario.scenario.description.clone(),
        seed,
        engine: "event".to_owned(),
        events,
        network,
        not_simulated: not_simulated(scenario),
    };
    Ok(Simulation { info, summary })
}

/// The parts of a scenario this build parses and validates but does not simulate yet, each
/// said plainly so nobody mistakes a silent key for a working one.
pub fn not_simulated(scenario: &Scenario) -> Vec<String> {
    let mut parts = Vec::new();
    if !scenario.brokers.is_empty() || !scenario.subscriptions.is_empty() {
        parts.push(
            "brokers and subscriptions: async messaging comes with the broker model".to_owned(),
        );
    }
    let publishes = scenario
        .services
        .iter()
        .flat_map(|service| &service.endpoints)
        .flat_map(|endpoint| &endpoint.calls)
        .filter(|call| call.topic.is_some())
        .count();
    if publishes > 0 {
        parts.push(format!(
            "{publishes} publish call(s) `{{ topic = ... }}`: skipped, nothing is published"
        ));
    }
    for (service, policy) in &scenario.mesh {
        let mut keys = Vec::new();
        let named = [
            ("retries", policy.retries.is_some()),
            ("connection_pool", policy.connection_pool.is_some()),
            ("outlier_detection", policy.outlier_detection.is_some()),
            ("circuit_breaker", policy.circuit_breaker.is_some()),
            ("fault", policy.fault.is_some()),
            ("rate_limit", policy.rate_limit.is_some()),
            ("allow_from", policy.allow_from.is_some()),
            ("route", !policy.route.is_empty()),
        ];
        keys.extend(
            named
                .iter()
                .filter(|(_, present)| *present)
                .map(|(key, _)| *key),
        );
        if !keys.is_empty() {
            parts.push(format!(
                "[mesh.{service}] {}: only `timeout` and `load_balancer` act so far",
                keys.join(", ")
            ));
        }
        if policy.load_balancer == LoadBalancer::PeakEwma {
            parts.push(format!(
                "[mesh.{service}] load_balancer = \"peak_ewma\": least_request stands in for it"
            ));
        }
    }
    if !scenario.rollouts.is_empty() {
        parts.push(
            "[[rollout]]: rollout controllers are not simulated; expectations on rollout.* fail"
                .to_owned(),
        );
    }
    parts
}
