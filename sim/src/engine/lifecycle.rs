//! A node's process lifecycle, one copy for both engines: whether the process is up, paused or
//! crashed, which incarnation it is in, and the inputs that wait while it is paused.
//!
//! The lifecycle decides what becomes of an input; the engine carries it out (hands it to the
//! model, refuses a message back to its sender). It owns no model and no clock, so either
//! engine keeps one per node: the event engine in an array beside its models, the turmoil
//! engine inside each host.

use crate::model::{Input, NodeId, TimerId};

/// A node's process state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    Up,
    /// The process is gone: messages to it are refused after one round trip.
    Crashed,
    /// The process is frozen: nothing it holds moves until it resumes.
    Paused,
}

/// A bound on inputs deferred at one paused node, so a long pause under heavy load fails loudly
/// instead of eating the machine.
pub(crate) const DEFERRED_INPUTS_MAX: usize = 10_000_000;

/// One node's process state and what waits for it.
pub(crate) struct Lifecycle<M> {
    /// The node, to name it when the bound on deferred inputs is broken.
    node: NodeId,
    state: NodeState,
    /// Bumped by every crash, so timers set before it never fire after it.
    incarnation: u32,
    /// Inputs that reached the node while it was paused, in arrival order.
    deferred: Vec<Input<M>>,
    deferred_max: usize,
}

impl<M> Lifecycle<M> {
    /// A process that is up, in its first incarnation.
    pub(crate) fn new(node: NodeId) -> Self {
        Self::with_deferred_max(node, DEFERRED_INPUTS_MAX)
    }

    /// Like [`Lifecycle::new`], with another bound on deferred inputs (a test's small one).
    pub(crate) fn with_deferred_max(node: NodeId, deferred_max: usize) -> Self {
        Lifecycle {
            node,
            state: NodeState::Up,
            incarnation: 0,
            deferred: Vec::new(),
            deferred_max,
        }
    }

    /// The engines ask narrower questions; the tests read the whole state.
    #[cfg(test)]
    pub(crate) fn state(&self) -> NodeState {
        self.state
    }

    pub(crate) fn is_crashed(&self) -> bool {
        self.state == NodeState::Crashed
    }

    /// The incarnation a timer set now belongs to.
    pub(crate) fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// An input reaches the process. Returned, to be handled now, when the process is up; kept
    /// until it resumes when it is paused; dropped when it has crashed.
    pub(crate) fn admit(&mut self, input: Input<M>) -> Option<Input<M>> {
        match self.state {
            NodeState::Up => Some(input),
            NodeState::Paused => {
                assert!(
                    self.deferred.len() < self.deferred_max,
                    "more than {} inputs wait at paused node {}",
                    self.deferred_max,
                    self.node.0
                );
                self.deferred.push(input);
                None
            }
            NodeState::Crashed => None,
        }
    }

    /// A timer set in `incarnation` fires: admitted as its input only if no crash came since.
    pub(crate) fn admit_timer(&mut self, incarnation: u32, id: TimerId) -> Option<Input<M>> {
        if incarnation == self.incarnation {
            self.admit(Input::Timer(id))
        } else {
            None
        }
    }

    /// The control plane's view of the upstreams changed. A crashed node learns it too (handed
    /// now), so it starts again with the current view; a paused one waits as for any input.
    pub(crate) fn admit_membership(&mut self, node: NodeId, up: bool) -> Option<Input<M>> {
        let input = Input::Membership { node, up };
        if self.is_crashed() {
            Some(input)
        } else {
            self.admit(input)
        }
    }

    /// Freezes an up process; false (and nothing changes) otherwise.
    pub(crate) fn pause(&mut self) -> bool {
        if self.state != NodeState::Up {
            return false;
        }
        self.state = NodeState::Paused;
        true
    }

    /// Thaws a paused process and hands back what waited, in arrival order, to be handled now
    /// (nothing when it was not paused). A crash cannot come in between: it is a control of
    /// its own, so the caller hands them all before anything else happens.
    pub(crate) fn resume(&mut self) -> Vec<Input<M>> {
        if self.state != NodeState::Paused {
            return Vec::new();
        }
        self.state = NodeState::Up;
        std::mem::take(&mut self.deferred)
    }

    /// The first half of a crash: false (and nothing changes) when the process has already
    /// crashed. Otherwise the process is up for one last input: the caller hands the model
    /// `Input::Crashed` (what it sends stands for the kernel resetting the connections it
    /// held, and a timer it sets belongs to the incarnation that ends), then calls
    /// [`Lifecycle::end_crash`].
    pub(crate) fn begin_crash(&mut self) -> bool {
        if self.is_crashed() {
            return false;
        }
        self.state = NodeState::Up;
        true
    }

    /// The second half of a crash: the process is gone and its incarnation ends. Returns the
    /// messages that reached it while it was paused, in arrival order, as (sender, message):
    /// they sat in its sockets, and the kernel refuses them now. Its own deferred timers and
    /// notices die with it.
    pub(crate) fn end_crash(&mut self) -> Vec<(NodeId, M)> {
        debug_assert_eq!(self.state, NodeState::Up, "end_crash follows begin_crash");
        self.state = NodeState::Crashed;
        self.incarnation += 1;
        std::mem::take(&mut self.deferred)
            .into_iter()
            .filter_map(|input| match input {
                Input::Message { from, message } => Some((from, message)),
                _ => None,
            })
            .collect()
    }

    /// Starts a crashed process again with fresh state; false (and nothing changes) otherwise.
    /// The caller hands the model `Input::Restarted`.
    pub(crate) fn restart(&mut self) -> bool {
        if !self.is_crashed() {
            return false;
        }
        self.state = NodeState::Up;
        true
    }
}

#[cfg(test)]
mod tests;
