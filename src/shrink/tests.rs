//! The search against a made-up oracle: which faults and values it keeps, and its bounds.

use super::{Bounds, Shrunk, Step, Verdict, fault_number, shrink_timeline};
use crate::fault_timeline::FaultSpec;
use crate::scenario::Duration;
use crate::scenario::schema::{Fault, FaultKind};

fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

fn fault(kind: FaultKind, at: u64, length: Option<u64>) -> Fault {
    let length = length.map(secs);
    Fault {
        at: secs(at),
        duration: if kind == FaultKind::Crash {
            None
        } else {
            length
        },
        kind,
        between: (kind == FaultKind::Latency).then(|| vec!["a".to_owned(), "b".to_owned()]),
        target: (kind != FaultKind::Latency).then(|| "b".to_owned()),
        restart_after: if kind == FaultKind::Crash {
            length
        } else {
            None
        },
        add: (kind == FaultKind::Latency).then(|| Duration::from_millis(5)),
        loss: None,
    }
}

/// Eight faults in a 100 s run; the fourth, a crash, is the only one that matters, and only
/// while it lasts at least 3 s and starts before 70 s.
fn timeline() -> Vec<FaultSpec> {
    (0..8)
        .map(|index| FaultSpec {
            origin: Some(index),
            fault: if index == 3 {
                fault(FaultKind::Crash, 10, Some(50))
            } else {
                fault(FaultKind::Latency, 5 * index as u64, Some(20))
            },
        })
        .collect()
}

fn oracle(faults: &[FaultSpec]) -> Verdict {
    let fails = faults.iter().any(|spec| {
        spec.origin == Some(3)
            && spec.length().is_none_or(|length| length >= secs(3))
            && spec.fault.at < secs(70)
    });
    if fails {
        Verdict::StillFails
    } else {
        Verdict::Passes
    }
}

fn shrink(max_runs: u32) -> (Shrunk, Vec<Step>) {
    let mut heard = Vec::new();
    let bounds = Bounds {
        run_end: secs(100),
        max_runs,
    };
    let shrunk = shrink_timeline(timeline(), bounds, &mut oracle, &mut |step| {
        heard.push(step.clone());
    });
    (shrunk, heard)
}

#[test]
fn keeps_the_one_fault_that_matters_shorter_and_later() {
    let (shrunk, heard) = shrink(300);
    assert_eq!(shrunk.faults.len(), 1);
    let left = &shrunk.faults[0];
    assert_eq!(fault_number(left, 0), 4);
    let length = left.length().unwrap();
    assert!(length >= secs(3) && length < secs(5), "{length}");
    assert!(
        left.fault.at > secs(60) && left.fault.at < secs(70),
        "{}",
        left.fault.at
    );
    assert!(!shrunk.budget_spent);
    assert_eq!(heard, shrunk.steps);
    assert!(
        matches!(&shrunk.steps[0], Step::Removed(faults) if faults.len() == 4),
        "{:?}",
        shrunk.steps[0]
    );
}

#[test]
fn the_same_input_takes_the_same_steps() {
    let (first, _) = shrink(300);
    let (second, _) = shrink(300);
    assert_eq!(first.steps, second.steps);
    assert_eq!(first.runs, second.runs);
}

#[test]
fn stops_at_the_budget_with_a_timeline_that_still_fails() {
    let (shrunk, _) = shrink(6);
    assert_eq!(shrunk.runs, 6);
    assert!(shrunk.budget_spent);
    assert_eq!(oracle(&shrunk.faults), Verdict::StillFails);
}

#[test]
fn removes_everything_when_no_fault_is_needed() {
    let mut always = |_: &[FaultSpec]| Verdict::StillFails;
    let bounds = Bounds {
        run_end: secs(100),
        max_runs: 300,
    };
    let shrunk = shrink_timeline(timeline(), bounds, &mut always, &mut |_| {});
    assert!(shrunk.faults.is_empty());
    assert_eq!(shrunk.steps, [Step::RemovedAll(8)]);
    assert_eq!(shrunk.runs, 1);
}

#[test]
fn invalid_candidates_cost_no_run_and_are_never_taken() {
    let mut invalid = |_: &[FaultSpec]| Verdict::Invalid;
    let bounds = Bounds {
        run_end: secs(100),
        max_runs: 300,
    };
    let shrunk = shrink_timeline(timeline(), bounds, &mut invalid, &mut |_| {});
    assert_eq!(shrunk.faults.len(), 8);
    assert_eq!(shrunk.runs, 0);
    assert!(shrunk.steps.is_empty());
}

#[test]
fn an_open_ended_fault_is_given_a_length() {
    let mut faults = timeline();
    faults[3] = faults[3].with_length(None);
    let bounds = Bounds {
        run_end: secs(100),
        max_runs: 300,
    };
    let shrunk = shrink_timeline(faults, bounds, &mut oracle, &mut |_| {});
    assert!(shrunk.steps.iter().any(|step| matches!(
        step,
        Step::Shortened {
            from: None,
            key: "restart_after",
            ..
        }
    )));
    assert!(shrunk.faults[0].length().is_some());
}
