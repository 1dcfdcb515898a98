//! The fault timeline: each `[[fault]]` as the controls that start and end it, in the file's
//! order, those after the end of the run left out.

use meshsim_sim::control::{Effect, Rule};
use meshsim_sim::{Control, ControlAction, Selector, SimTime};

use super::lay_out::{node_name, nodes_named, selector};
use crate::layout::Layout;
use crate::scenario::schema::{Fault, FaultKind, Scenario};

pub(super) fn controls(scenario: &Scenario, layout: &Layout) -> Vec<Control> {
    let mut timeline = Timeline {
        end_ns: scenario.scenario.duration.as_nanos(),
        controls: Vec::new(),
    };
    for (index, fault) in scenario.faults.iter().enumerate() {
        let rule_id = index as u32;
        match fault.kind {
            FaultKind::Partition
            | FaultKind::PartitionOneway
            | FaultKind::Latency
            | FaultKind::Loss => network_fault(&mut timeline, layout, fault, rule_id),
            FaultKind::Crash | FaultKind::Pause => host_fault(&mut timeline, layout, fault),
        }
    }
    timeline.controls
}

/// The controls so far; a control after the end of the run is left out.
struct Timeline {
    end_ns: u64,
    controls: Vec<Control>,
}

impl Timeline {
    fn push(
        &mut self,
        at: SimTime,
        action: ControlAction,
        kind: &'static str,
        subject: &str,
        detail: String,
    ) {
        if at.as_nanos() <= self.end_ns {
            self.controls.push(Control {
                at,
                action,
                event_kind: kind,
                subject: subject.to_owned(),
                detail,
            });
        }
    }
}

fn start_of(fault: &Fault) -> SimTime {
    SimTime::from_nanos(fault.at.as_nanos())
}

fn stop_of(fault: &Fault) -> Option<SimTime> {
    fault
        .duration
        .map(|d| SimTime::from_nanos(fault.at.as_nanos().saturating_add(d.as_nanos())))
}

/// A partition, latency or loss: a network rule applied at the start and repaired at the
/// stop.
fn network_fault(timeline: &mut Timeline, layout: &Layout, fault: &Fault, rule_id: u32) {
    let both_ways = fault.kind != FaultKind::PartitionOneway;
    let (from, to, subject) = match fault.between.as_deref() {
        Some([a, b]) => {
            let arrow = if both_ways { "<->" } else { "->" };
            (
                selector(layout, a),
                selector(layout, b),
                format!("{a}{arrow}{b}"),
            )
        }
        _ => (Selector::Any, Selector::Any, "everywhere".to_owned()),
    };
    let (effect, detail) = match fault.kind {
        FaultKind::Latency => {
            let add = fault.add.expect("validated latency fault");
            (
                Effect::AddLatency {
                    add_ns: add.as_nanos(),
                },
                format!("+{add} per hop"),
            )
        }
        FaultKind::Loss => {
            let loss = fault.loss.expect("validated loss fault").get();
            (
                Effect::Loss { probability: loss },
                format!("drops {:.1}% of messages", loss * 100.0),
            )
        }
        _ => (Effect::Block, "messages dropped".to_owned()),
    };
    let rule = Rule {
        id: rule_id,
        from,
        to,
        both_ways,
        effect,
    };
    timeline.push(
        start_of(fault),
        ControlAction::Apply(rule),
        fault.kind.name(),
        &subject,
        detail,
    );
    if let Some(stop) = stop_of(fault) {
        timeline.push(
            stop,
            ControlAction::Repair { rule: rule_id },
            "repair",
            &subject,
            format!("{} ends", fault.kind.name()),
        );
    }
}

/// A crash or a pause: each node of the target crashed (and restarted) or paused (and
/// resumed).
fn host_fault(timeline: &mut Timeline, layout: &Layout, fault: &Fault) {
    let start = start_of(fault);
    let target = fault.target.as_deref().expect("validated target");
    for node in nodes_named(layout, target) {
        let subject = node_name(layout, node);
        if fault.kind == FaultKind::Crash {
            let detail = fault
                .restart_after
                .map_or("stays down".to_owned(), |d| format!("restarts after {d}"));
            timeline.push(start, ControlAction::Crash(node), "crash", &subject, detail);
            if let Some(after) = fault.restart_after {
                let at = start + after.as_nanos();
                let action = ControlAction::Restart(node);
                timeline.push(at, action, "restart", &subject, String::new());
            }
        } else {
            let detail = fault
                .duration
                .map_or("to the end".to_owned(), |d| format!("for {d}"));
            timeline.push(start, ControlAction::Pause(node), "pause", &subject, detail);
            if let Some(stop) = stop_of(fault) {
                let action = ControlAction::Resume(node);
                timeline.push(stop, action, "resume", &subject, String::new());
            }
        }
    }
}
