//! Scheduled changes to the world: the fault timeline as the engine sees it.
//!
//! The root crate turns a scenario's `[[fault]]` entries into controls; the engine applies each
//! at its time. Controls are verbs, as in turmoil: block, repair, crash, restart, pause, resume.

use crate::model::{GroupId, NodeId};
use crate::time::SimTime;

/// Which nodes a network rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Any,
    Group(GroupId),
    Node(NodeId),
}

/// What a network rule does to the messages it matches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// Dropped silently: a partition.
    Block,
    /// Arrive later by this many nanoseconds.
    AddLatency { add_ns: u64 },
    /// Dropped with this probability.
    Loss { probability: f64 },
}

/// A network rule, active between a start control and a repair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub id: u32,
    pub from: Selector,
    pub to: Selector,
    /// Applies from `to` to `from` as well.
    pub both_ways: bool,
    pub effect: Effect,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ControlAction {
    /// Start applying a network rule.
    Apply(Rule),
    /// Stop applying the rule with this id.
    Repair {
        rule: u32,
    },
    /// The process is gone: messages to it are refused, its timers never fire.
    Crash(NodeId),
    /// Start the process again with fresh state.
    Restart(NodeId),
    /// Freeze the process: messages and timers wait until it resumes.
    Pause(NodeId),
    Resume(NodeId),
}

/// A control at its time, with the line it writes to `events.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub at: SimTime,
    pub action: ControlAction,
    pub event_kind: &'static str,
    pub subject: String,
    pub detail: String,
}
