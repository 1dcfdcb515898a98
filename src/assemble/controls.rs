//! The fault timeline: each `[[fault]]` as the controls that start and end it, in the file's
//! order, those after the end of the run left out.

use meshsim_sim::{Control, ControlAction, Selector, SimTime};
use meshsim_sim::{Effect, Rule};

use super::lay_out::{node_name, nodes_of, selector};
use crate::layout::Layout;
use crate::scenario::resolved::{self, Host, Resolved};
use crate::scenario::schema::{Fault, FaultKind};

pub(super) fn controls(scenario: Resolved<'_>, layout: &Layout) -> Vec<Control> {
    let mut timeline = Timeline {
        end_ns: scenario.scenario.duration.as_nanos(),
        controls: Vec::new(),
    };
    let faults = scenario.faults.iter().zip(&scenario.resolution.faults);
    for (index, (fault, resolved)) in faults.enumerate() {
        let rule_id = index as u32;
        let network = |between: Option<[Host; 2]>, effect: Effect, detail: String| NetworkFault {
            between,
            both_ways: fault.kind != FaultKind::PartitionOneway,
            effect,
            detail,
        };
        match *resolved {
            resolved::Fault::Partition { between, .. } => {
                let fault_effect =
                    network(Some(between), Effect::Block, "messages dropped".to_owned());
                network_fault(&mut timeline, layout, fault, &fault_effect, rule_id);
            }
            resolved::Fault::Latency { between, add } => {
                let effect = Effect::AddLatency {
                    add_ns: add.as_nanos(),
                };
                let fault_effect = network(Some(between), effect, format!("+{add} per hop"));
                network_fault(&mut timeline, layout, fault, &fault_effect, rule_id);
            }
            resolved::Fault::Loss { between, loss } => {
                let loss = loss.get();
                let effect = Effect::Loss { probability: loss };
                let detail = format!("drops {:.1}% of messages", loss * 100.0);
                network_fault(
                    &mut timeline,
                    layout,
                    fault,
                    &network(between, effect, detail),
                    rule_id,
                );
            }
            resolved::Fault::Crash { target, .. } | resolved::Fault::Pause { target } => {
                host_fault(&mut timeline, layout, fault, target);
            }
        }
    }
    timeline.controls
}

/// A network fault's rule, but for its id.
struct NetworkFault {
    /// The two hosts; everywhere without them.
    between: Option<[Host; 2]>,
    both_ways: bool,
    effect: Effect,
    detail: String,
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
/// stop. The subject names the hosts as the file wrote them.
fn network_fault(
    timeline: &mut Timeline,
    layout: &Layout,
    fault: &Fault,
    network: &NetworkFault,
    rule_id: u32,
) {
    let (from, to) = match network.between {
        Some([a, b]) => (selector(layout, a), selector(layout, b)),
        None => (Selector::Any, Selector::Any),
    };
    let subject = match fault.between.as_deref() {
        Some([a, b]) => {
            let arrow = if network.both_ways { "<->" } else { "->" };
            format!("{a}{arrow}{b}")
        }
        _ => "everywhere".to_owned(),
    };
    let rule = Rule {
        id: rule_id,
        from,
        to,
        both_ways: network.both_ways,
        effect: network.effect,
    };
    timeline.push(
        start_of(fault),
        ControlAction::Apply(rule),
        fault.kind.name(),
        &subject,
        network.detail.clone(),
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
fn host_fault(timeline: &mut Timeline, layout: &Layout, fault: &Fault, target: Host) {
    let start = start_of(fault);
    for node in nodes_of(layout, target) {
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
