//! The event engine: a queue of (time, sequence) events, time jumping straight to the next one.
//!
//! The engine only moves messages and time. It hands each input to the node's model, carries
//! out the model's outbox (a send asks the network for the hop's fate; a timer is queued; a
//! record goes to the sink), and applies the fault timeline's controls. Idle time costs
//! nothing: a run of an hour with ten requests is ten requests' work.

use super::lifecycle::Lifecycle;
use crate::control::{Control, ControlAction};
use crate::model::{Action, Input, Model, NodeId, Outbox, TimerId};
use crate::network::{Network, NetworkCounts, Transit};
use crate::queue::EventQueue;
use crate::sink::Sink;
use crate::time::SimTime;

enum Event<M> {
    /// A message arrives at `to`.
    Deliver {
        from: NodeId,
        to: NodeId,
        message: M,
    },
    /// The refusal of a message `sender` sent to `refuser` arrives back at `sender`.
    Refused {
        sender: NodeId,
        refuser: NodeId,
        message: M,
    },
    Timer {
        node: NodeId,
        incarnation: u32,
        id: TimerId,
    },
    Control(usize),
    /// The control plane tells every node that `node` is up or down.
    Membership {
        node: NodeId,
        up: bool,
    },
}

/// The event engine, driving models `M` and feeding what they report to the sink `S`. Both are
/// type parameters, so every call monomorphises: the kernel pays nothing for not knowing them.
pub struct Engine<M: Model, S: Sink<Record = M::Record>> {
    now: SimTime,
    queue: EventQueue<Event<M::Message>>,
    models: Vec<M>,
    /// Per node, apart from its model: every message and timer asks its node's lifecycle first,
    /// and a dense array of them stays in the caches where a field beside each model would be
    /// one more miss an event at thousands of nodes.
    lifecycles: Vec<Lifecycle<M::Message>>,
    network: Network,
    sink: S,
    controls: Vec<Control>,
    outbox: Outbox<M::Message, M::Record>,
    counts: NetworkCounts,
    events_processed: u64,
    started: bool,
}

impl<M: Model, S: Sink<Record = M::Record>> Engine<M, S> {
    /// `models[i]` drives node `i` of the network; controls may come in any order.
    pub fn new(network: Network, models: Vec<M>, sink: S, controls: Vec<Control>) -> Self {
        assert_eq!(models.len(), network.node_count(), "one model per node");
        let lifecycles = (0..models.len())
            .map(|index| Lifecycle::new(NodeId(index as u32)))
            .collect();
        let mut queue = EventQueue::default();
        let mut order: Vec<usize> = (0..controls.len()).collect();
        order.sort_by_key(|&index| controls[index].at);
        for index in order {
            queue.push(controls[index].at, Event::Control(index));
        }
        Engine {
            now: SimTime::ZERO,
            queue,
            models,
            lifecycles,
            network,
            sink,
            controls,
            outbox: Outbox::default(),
            counts: NetworkCounts::default(),
            events_processed: 0,
            started: false,
        }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The sink (meshsim's recorder), for what it has counted so far.
    pub fn recorder(&self) -> &S {
        &self.sink
    }

    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    pub fn network_counts(&self) -> NetworkCounts {
        self.counts
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn model(&self, node: NodeId) -> &M {
        &self.models[node.index()]
    }

    /// Runs every event before `end`, then leaves the clock at `end`. A run of duration D covers
    /// the half-open span [0, D): a constant 100 per second for 10 s sends exactly 1,000.
    pub fn run_until(&mut self, end: SimTime) {
        if !self.started {
            self.started = true;
            for index in 0..self.models.len() {
                self.handle(NodeId(index as u32), Input::Start);
            }
        }
        while let Some(time) = self.queue.peek_time() {
            if time >= end {
                break;
            }
            let (time, event) = self.queue.pop().expect("peeked");
            debug_assert!(time >= self.now, "time never runs backwards");
            self.now = time;
            self.sink.advance(time);
            self.events_processed += 1;
            self.dispatch(event);
        }
        self.now = self.now.max(end);
        self.sink.advance(self.now);
    }

    /// Tells every live model the run is over and hands back the sink.
    pub fn finish(mut self) -> (S, Vec<M>) {
        for index in 0..self.models.len() {
            // Crashed and paused models answer too: each reports what it still holds.
            self.handle(NodeId(index as u32), Input::Finish);
        }
        (self.sink, self.models)
    }

    fn dispatch(&mut self, event: Event<M::Message>) {
        match event {
            Event::Deliver { from, to, message } => self.deliver(from, to, message),
            Event::Refused {
                sender,
                refuser,
                message,
            } => {
                self.offer(
                    sender,
                    Input::Refused {
                        to: refuser,
                        message,
                    },
                );
            }
            Event::Timer {
                node,
                incarnation,
                id,
            } => {
                let input = self.lifecycles[node.index()].admit_timer(incarnation, id);
                self.handle_some(node, input);
            }
            Event::Control(index) => self.control(index),
            Event::Membership { node, up } => {
                for index in 0..self.models.len() {
                    let target = NodeId(index as u32);
                    let input = self.lifecycles[index].admit_membership(node, up);
                    self.handle_some(target, input);
                }
            }
        }
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, message: M::Message) {
        let refused = self.network.refuses(from, to) || self.lifecycles[to.index()].is_crashed();
        if !refused {
            self.offer(to, Input::Message { from, message });
            return;
        }
        self.bounce(from, to, message);
    }

    /// `to` refuses a message from `from`: the kernel (or the isolation boundary) answers with a
    /// reset, which travels back like any message.
    fn bounce(&mut self, from: NodeId, to: NodeId, message: M::Message) {
        self.counts.refused += 1;
        match self.network.transit(to, from) {
            Transit::Arrives { latency_ns } => {
                let at = self.now + latency_ns;
                self.queue.push(
                    at,
                    Event::Refused {
                        sender: from,
                        refuser: to,
                        message,
                    },
                );
            }
            Transit::Partitioned => self.counts.partitioned += 1,
            Transit::Lost => self.counts.lost += 1,
        }
    }

    /// Hands an input to a node as its lifecycle allows: handled when up, kept when paused,
    /// dropped when crashed.
    fn offer(&mut self, node: NodeId, input: Input<M::Message>) {
        let input = self.lifecycles[node.index()].admit(input);
        self.handle_some(node, input);
    }

    /// Handles what the lifecycle admitted, if anything.
    fn handle_some(&mut self, node: NodeId, input: Option<Input<M::Message>>) {
        if let Some(input) = input {
            self.handle(node, input);
        }
    }

    fn handle(&mut self, node: NodeId, input: Input<M::Message>) {
        let mut outbox = std::mem::take(&mut self.outbox);
        debug_assert!(outbox.is_empty());
        self.models[node.index()].handle(self.now, input, &mut outbox);
        for action in outbox.drain() {
            match action {
                Action::Send { to, message } => self.send(node, to, message),
                Action::Timer { at, id } => {
                    assert!(at >= self.now, "a timer set in the past");
                    let incarnation = self.lifecycles[node.index()].incarnation();
                    self.queue.push(
                        at,
                        Event::Timer {
                            node,
                            incarnation,
                            id,
                        },
                    );
                }
                Action::Record(record) => self.sink.record(self.now, &record),
            }
        }
        self.outbox = outbox;
    }

    fn send(&mut self, from: NodeId, to: NodeId, message: M::Message) {
        self.counts.sent += 1;
        match self.network.transit(from, to) {
            Transit::Arrives { latency_ns } => {
                self.queue
                    .push(self.now + latency_ns, Event::Deliver { from, to, message });
            }
            Transit::Partitioned => self.counts.partitioned += 1,
            Transit::Lost => self.counts.lost += 1,
        }
    }

    fn control(&mut self, index: usize) {
        let control = self.controls[index].clone();
        self.sink.control(self.now, &control);
        match control.action {
            ControlAction::Apply(rule) => self.network.apply(rule),
            ControlAction::Repair { rule } => {
                self.network.repair(rule);
            }
            ControlAction::Crash(node) => self.crash(node),
            ControlAction::Restart(node) => self.restart(node),
            ControlAction::Pause(node) => {
                self.lifecycles[node.index()].pause();
            }
            ControlAction::Resume(node) => self.resume(node),
        }
    }

    fn crash(&mut self, node: NodeId) {
        if !self.lifecycles[node.index()].begin_crash() {
            return;
        }
        // The model speaks once more, as the kernel resetting the connections it held; then
        // the process is gone and everything it was waiting for is forgotten, but for the
        // messages in its sockets, which the kernel refuses.
        self.handle(node, Input::Crashed);
        let refused = self.lifecycles[node.index()].end_crash();
        for (from, message) in refused {
            self.bounce(from, node, message);
        }
        let at = self.now + self.network.discovery_delay_ns();
        self.queue.push(at, Event::Membership { node, up: false });
    }

    fn restart(&mut self, node: NodeId) {
        if !self.lifecycles[node.index()].restart() {
            return;
        }
        self.handle(node, Input::Restarted);
        let at = self.now + self.network.discovery_delay_ns();
        self.queue.push(at, Event::Membership { node, up: true });
    }

    fn resume(&mut self, node: NodeId) {
        let deferred = self.lifecycles[node.index()].resume();
        for input in deferred {
            self.handle(node, input);
        }
    }
}

#[cfg(test)]
mod tests;
