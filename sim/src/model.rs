//! The contract between the engines and the models: a model is handed inputs and writes what it
//! wants done into an outbox. It never reads a clock, sleeps, draws from a global generator or
//! owns a socket, so any engine can drive it.

pub use crate::ids::{GroupId, NodeId};
use crate::time::SimTime;

/// A timer a model set; the model gives it meaning. Timers are never cancelled: a model that
/// no longer cares ignores it when it fires, which is cheaper than searching the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub u64);

/// What a model can be handed.
#[derive(Debug)]
pub enum Input<M> {
    /// The run begins (time zero): set the first timers.
    Start,
    /// A message arrived from `from`.
    Message { from: NodeId, message: M },
    /// A message this node sent to `to` was refused: the process there is gone. It arrives one
    /// round trip after the send, like a TCP reset answering a SYN.
    Refused { to: NodeId, message: M },
    /// A timer this model set has fired.
    Timer(TimerId),
    /// The process crashed. The model drops its volatile state; what it sends now stands for
    /// what the kernel does on its behalf (resetting the connections it held).
    Crashed,
    /// The process was started again after a crash.
    Restarted,
    /// The control plane says `node` is now up (or down) for load balancing.
    Membership { node: NodeId, up: bool },
    /// The run ends: report what is still open.
    Finish,
}

/// What a model asks for; the engine carries it out after `handle` returns. `R` is the model's
/// record type, which the engine hands to its sink unread.
pub enum Action<M, R> {
    Send { to: NodeId, message: M },
    Timer { at: SimTime, id: TimerId },
    Record(R),
}

/// Collects a model's actions. The engine owns one and reuses it, so handling an input does not
/// allocate.
pub struct Outbox<M, R> {
    pub(crate) actions: Vec<Action<M, R>>,
}

impl<M, R> Default for Outbox<M, R> {
    fn default() -> Self {
        Outbox {
            actions: Vec::new(),
        }
    }
}

impl<M, R> Outbox<M, R> {
    pub fn send(&mut self, to: NodeId, message: M) {
        self.actions.push(Action::Send { to, message });
    }

    pub fn set_timer(&mut self, at: SimTime, id: TimerId) {
        self.actions.push(Action::Timer { at, id });
    }

    pub fn record(&mut self, record: R) {
        self.actions.push(Action::Record(record));
    }

    pub fn drain(&mut self) -> std::vec::Drain<'_, Action<M, R>> {
        self.actions.drain(..)
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// A message that can cross a real (simulated) wire: the turmoil engine sends it in a UDP
/// datagram. The encoding is the model crate's business; it must round-trip exactly.
pub trait Wire: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(bytes: &[u8]) -> Option<Self>;
}

/// A sans-IO state machine driven by an engine.
pub trait Model {
    /// What its nodes send each other.
    type Message;
    /// What it reports; the engine passes it to its [`Sink`](crate::Sink) unread.
    type Record;

    fn handle(
        &mut self,
        now: SimTime,
        input: Input<Self::Message>,
        out: &mut Outbox<Self::Message, Self::Record>,
    );
}

/// A model that may share its host with a task of real async code (the turmoil engine's
/// [`Software::Paired`](crate::Software)): the task hands it messages and takes the model's,
/// in order and with no time passing, as a process and its sidecar talk over a pod's loopback.
/// The engine hands the model every message the task sent before its next input, and takes
/// the model's after every input. A model that never shares a host neither takes nor gives any.
pub trait Loopback: Model {
    /// What the task hands the model.
    type FromTask;
    /// What the model hands the task.
    type ToTask;

    fn on_task_message(
        &mut self,
        now: SimTime,
        message: Self::FromTask,
        out: &mut Outbox<Self::Message, Self::Record>,
    );

    /// The model's next message for the task, if any.
    fn next_for_task(&mut self) -> Option<Self::ToTask>;
}
