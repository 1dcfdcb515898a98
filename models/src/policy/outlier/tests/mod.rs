//! Citations are to Envoy v1.37.0; `cc#L…` is
//! `source/common/upstream/outlier_detection_impl.cc#L…` (see the module docs).

mod early_exit;
mod ejection_cap;
mod ejection_time;
mod failure_percentage;
mod local_origin;
mod membership;
mod streaks;
mod success_rate;

use super::attempt_outcome::{is_5xx, is_gateway_error};
use super::config::SECOND_NS;
use super::{
    AttemptOutcome, Ejection, EjectionReason, FailurePercentage, MembershipChange, OutlierConfig,
    OutlierDetector,
};
use meshsim_sim::SimTime;

const SUCCESS: AttemptOutcome = AttemptOutcome::HttpStatus(200);
const SERVER_ERROR: AttemptOutcome = AttemptOutcome::HttpStatus(500);
const GATEWAY_FAILURE: AttemptOutcome = AttemptOutcome::HttpStatus(503);
const CONNECTED: AttemptOutcome = AttemptOutcome::LocalOriginConnectSuccess;
const CONNECT_FAILURE: AttemptOutcome = AttemptOutcome::LocalOriginConnectFailure;
const TIMEOUT: AttemptOutcome = AttemptOutcome::LocalOriginTimeout;

fn secs(seconds: u64) -> SimTime {
    SimTime::from_nanos(seconds * SECOND_NS)
}

/// Envoy's defaults with success-rate ejection off, to test the streaks alone.
fn consecutive_only() -> OutlierConfig {
    OutlierConfig {
        success_rate_enabled: false,
        ..OutlierConfig::default()
    }
}

/// Split mode with the statistical checks off, to test the local-origin streak alone.
fn split_consecutive_only() -> OutlierConfig {
    OutlierConfig {
        split_external_local_origin_errors: true,
        local_origin_success_rate_enabled: false,
        ..consecutive_only()
    }
}

/// Success rate alone, with no cap, as Envoy's own tests set it.
fn success_rate_only() -> OutlierConfig {
    OutlierConfig {
        consecutive_5xx: 0,
        max_ejection_percent: 100,
        ..OutlierConfig::default()
    }
}

/// Failure percentage alone (Envoy's settings), with no cap.
fn failure_percentage_only() -> OutlierConfig {
    OutlierConfig {
        consecutive_5xx: 0,
        max_ejection_percent: 100,
        success_rate_enabled: false,
        failure_percentage: Some(FailurePercentage::default()),
        ..OutlierConfig::default()
    }
}

/// Records `count` outcomes; returns the first ejection they caused.
fn feed(
    detector: &mut OutlierDetector,
    now: SimTime,
    host: usize,
    outcome: AttemptOutcome,
    count: u32,
) -> Option<Ejection> {
    let mut first = None;
    for _ in 0..count {
        let ejection = detector.record(now, host, outcome);
        first = first.or(ejection);
    }
    first
}

/// Gives each host `requests` answers this interval, the first `failures[host]` of them
/// failing, spread so that no streak forms.
fn interval_traffic(
    detector: &mut OutlierDetector,
    now: SimTime,
    requests: &[u32],
    failures: &[u32],
) {
    interval_outcomes(detector, now, requests, failures, SUCCESS, SERVER_ERROR);
}

/// As [`interval_traffic`], with the given outcomes for a success and a failure.
fn interval_outcomes(
    detector: &mut OutlierDetector,
    now: SimTime,
    requests: &[u32],
    failures: &[u32],
    success: AttemptOutcome,
    failure: AttemptOutcome,
) {
    for (host, (&total, &failed)) in requests.iter().zip(failures).enumerate() {
        for i in 0..total {
            let outcome = if i % 2 == 0 && i / 2 < failed {
                failure
            } else {
                success
            };
            detector.record(now, host, outcome);
        }
    }
}

/// Runs interval ticks from `now` until `host` returns; the time it returned.
fn tick_until_returned(detector: &mut OutlierDetector, mut now: SimTime, host: usize) -> SimTime {
    for _ in 0..1_000 {
        now = now + detector.config().interval_ns;
        if detector
            .on_interval(now)
            .iter()
            .any(|change| change.host == host && !change.ejected)
        {
            return now;
        }
    }
    panic!("host {host} never returned");
}

/// The hosts ejected by one tick, in the order they were ejected.
fn ejected_at_tick(detector: &mut OutlierDetector, now: SimTime) -> Vec<usize> {
    detector
        .on_interval(now)
        .iter()
        .filter(|change| change.ejected)
        .map(|change| change.host)
        .collect()
}
