//! The turmoil engine: every node a turmoil host, messages in UDP datagrams over turmoil's
//! simulated network, time from turmoil's clock, the same sans-IO models inside each host.
//!
//! It is the cross-check of the event engine, so it shares the models, the network's latency
//! and loss draws (the same named streams), and the sink, and replaces what an engine owns:
//! transport, clock, timers and partitions.
//!
//! - **Transport: UDP.** turmoil's TCP does not retransmit, so one dropped segment would stall a
//!   connection forever after a partition heals; UDP keeps the event engine's datagram
//!   semantics (a dropped message is gone, the next one goes through).
//! - **Latency**: the sender draws each message's latency on the link's stream, as the event
//!   engine does, and writes the delivery time into the datagram; the receiver holds it until
//!   then. turmoil's own link latency is zero, so a hop takes its drawn latency rounded up to
//!   the tick (1 ms) at which the receiving host next runs.
//! - **Partitions** are turmoil's `partition`, `partition_oneway` and `repair`, applied between
//!   ticks. **Loss and added latency** are drawn by the sender, as in the event engine
//!   (turmoil's `fail_rate` flaps whole links rather than dropping single messages).
//! - **Crash and pause** are the process's state, kept inside its host as in the event engine:
//!   a crashed process's kernel still refuses what reaches it (turmoil's `crash` takes the whole
//!   host down, so over UDP it would be silent), and a paused process's own timers wait
//!   (turmoil's `hold` holds links, not timers).
//!
//! - **Paired hosts** run a task of real async code beside their model ([`Software::Paired`]):
//!   the model keeps the host's network, timers and process state, and the two hand each other
//!   messages over a [`Link`] (the model's side is the [`Loopback`] trait) that takes no
//!   simulated time, as a pod's loopback takes none worth measuring.
//!
//! Records from the hosts of one step are sorted by time before they reach the sink, so it
//! sees time in order. `tokio::select!` is always `biased;` and turmoil's seed and epoch are set
//! explicitly: the same seed gives the same bytes.

mod datagram;
mod host;
mod link;
mod shared;
mod software;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use tokio::sync::Notify;

use crate::control::{Control, ControlAction, Effect, Rule, Selector};
use crate::model::{GroupId, Loopback, NodeId, Wire};
use crate::network::{Network, NetworkCounts};
use crate::sink::Sink;
use crate::time::SimTime;
use host::host_main;
pub use link::Link;
use shared::{HostControl, Inbox, Shared};
pub use software::{PairedTask, Software};

/// The tick: turmoil steps whole milliseconds (a finer tick desynchronises host clocks).
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Datagrams waiting in one host's socket before turmoil drops more. Generous: a drop here
/// would be a difference from the event engine, which has no socket buffers.
const SOCKET_CAPACITY: usize = 1 << 20;

/// How a turmoil run is set up.
#[derive(Debug, Clone, Copy)]
pub struct TurmoilOptions {
    pub seed: u64,
    pub end: SimTime,
}

/// The driver: steps turmoil a tick at a time, applies the fault timeline between ticks, and
/// hands the hosts' records to the sink in time order.
pub struct TurmoilEngine<'a, S: Sink> {
    sim: turmoil::Sim<'a>,
    shared: Rc<Shared<S::Record>>,
    sink: S,
    controls: Vec<Control>,
    next_control: usize,
    /// Membership notices waiting for the control plane's delay: (time, sequence) -> notice.
    notices: BTreeMap<(SimTime, u64), (NodeId, bool)>,
    notice_sequence: u64,
    /// Partition rules in force: id -> (pairs of hosts, both ways).
    partitions: BTreeMap<u32, (Vec<(IpAddr, IpAddr)>, bool)>,
    node_groups: Vec<GroupId>,
    discovery_delay_ns: u64,
    /// The records buffer the hosts do not hold this step, kept for its allocation.
    spare_records: Vec<(SimTime, u64, S::Record)>,
    finished: bool,
}

impl<S: Sink> TurmoilEngine<'_, S>
where
    S::Record: 'static,
{
    pub fn new<M>(
        network: Network,
        models: Vec<M>,
        sink: S,
        controls: Vec<Control>,
        options: TurmoilOptions,
    ) -> Self
    where
        M: Loopback<Record = S::Record> + 'static,
        M::Message: Wire,
    {
        let software = models.into_iter().map(Software::Model).collect();
        Self::with_software(network, software, sink, controls, options)
    }

    /// Like [`TurmoilEngine::new`], with some hosts running a task of real async code beside
    /// their model.
    pub fn with_software<M>(
        network: Network,
        models: Vec<Software<M>>,
        sink: S,
        mut controls: Vec<Control>,
        options: TurmoilOptions,
    ) -> Self
    where
        M: Loopback<Record = S::Record> + 'static,
        M::Message: Wire,
    {
        assert_eq!(models.len(), network.node_count(), "one model per node");
        let mut sim = turmoil::Builder::new()
            // Explicit, never the defaults: turmoil's epoch is the wall clock and its seed the OS's.
            .epoch(UNIX_EPOCH)
            .rng_seed(options.seed)
            .tick_duration(TICK)
            .simulation_duration(
                Duration::from_nanos(options.end.as_nanos()) + Duration::from_hours(1),
            )
            .min_message_latency(Duration::ZERO)
            .max_message_latency(Duration::ZERO)
            .udp_capacity(SOCKET_CAPACITY)
            .build();
        let node_groups = (0..network.node_count())
            .map(|index| network.group_of(NodeId(index as u32)))
            .collect();
        let discovery_delay_ns = network.discovery_delay_ns();
        let inboxes = (0..models.len())
            .map(|_| Inbox {
                queue: RefCell::new(VecDeque::new()),
                notify: Notify::new(),
            })
            .collect();
        let shared = Rc::new(Shared {
            network: RefCell::new(network),
            addresses: RefCell::new(Vec::new()),
            inboxes,
            records: RefCell::new(Vec::new()),
            record_sequence: Cell::new(0),
            counts: Cell::new(NetworkCounts::default()),
            events: Cell::new(0),
            end: options.end,
            bound: Cell::new(0),
            all_bound: Notify::new(),
        });
        for (index, software) in models.into_iter().enumerate() {
            let node = NodeId(index as u32);
            match software {
                Software::Model(model) => {
                    let main = host_main(node, model, Rc::clone(&shared), None);
                    sim.client(host_name(node), main);
                }
                Software::Paired(model, task) => {
                    let shared = Rc::clone(&shared);
                    sim.client(host_name(node), async move {
                        let link = Rc::new(Link::new());
                        let task = tokio::task::spawn_local(task(Rc::clone(&link)));
                        host_main(node, model, shared, Some((link, task))).await
                    });
                }
            }
        }
        let addresses = (0..shared.inboxes.len())
            .map(|index| sim.lookup(host_name(NodeId(index as u32))))
            .collect();
        *shared.addresses.borrow_mut() = addresses;
        controls.sort_by_key(|control| control.at);
        TurmoilEngine {
            sim,
            shared,
            sink,
            controls,
            next_control: 0,
            notices: BTreeMap::new(),
            notice_sequence: 0,
            partitions: BTreeMap::new(),
            node_groups,
            discovery_delay_ns,
            spare_records: Vec::new(),
            finished: false,
        }
    }

    pub fn now(&self) -> SimTime {
        SimTime::from_nanos(u64::try_from(self.sim.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    pub fn events_processed(&self) -> u64 {
        self.shared.events.get()
    }

    pub fn network_counts(&self) -> NetworkCounts {
        self.shared.counts.get()
    }

    fn tell(&self, node: NodeId, control: HostControl) {
        let inbox = &self.shared.inboxes[node.index()];
        inbox.queue.borrow_mut().push_back(control);
        inbox.notify.notify_one();
    }

    fn nodes(&self, selector: Selector) -> Vec<NodeId> {
        (0..self.node_groups.len() as u32)
            .map(NodeId)
            .filter(|node| match selector {
                Selector::Any => true,
                Selector::Group(group) => self.node_groups[node.index()] == group,
                Selector::Node(selected) => selected == *node,
            })
            .collect()
    }

    fn apply(&mut self, now: SimTime, index: usize) {
        let control = self.controls[index].clone();
        self.sink.advance(now);
        self.sink.control(now, &control);
        match control.action {
            ControlAction::Apply(rule) if rule.effect == Effect::Block => self.partition(rule),
            ControlAction::Apply(rule) => self.shared.network.borrow_mut().apply(rule),
            ControlAction::Repair { rule } => {
                if let Some((pairs, both_ways)) = self.partitions.remove(&rule) {
                    for (a, b) in pairs {
                        if both_ways {
                            self.sim.repair(a, b);
                        } else {
                            self.sim.repair_oneway(a, b);
                        }
                    }
                } else {
                    self.shared.network.borrow_mut().repair(rule);
                }
            }
            ControlAction::Crash(node) => {
                self.tell(node, HostControl::Crash);
                self.notice(now, node, false);
            }
            ControlAction::Restart(node) => {
                self.tell(node, HostControl::Restart);
                self.notice(now, node, true);
            }
            ControlAction::Pause(node) => self.tell(node, HostControl::Pause),
            ControlAction::Resume(node) => self.tell(node, HostControl::Resume),
        }
    }

    /// A partition becomes turmoil's, host pair by host pair.
    fn partition(&mut self, rule: Rule) {
        let addresses = self.shared.addresses.borrow().clone();
        let mut pairs = Vec::new();
        for from in self.nodes(rule.from) {
            for to in self.nodes(rule.to) {
                if from == to {
                    continue;
                }
                let (a, b) = (addresses[from.index()], addresses[to.index()]);
                if rule.both_ways {
                    self.sim.partition(a, b);
                } else {
                    self.sim.partition_oneway(a, b);
                }
                pairs.push((a, b));
            }
        }
        self.partitions.insert(rule.id, (pairs, rule.both_ways));
    }

    fn notice(&mut self, now: SimTime, node: NodeId, up: bool) {
        self.notice_sequence += 1;
        self.notices.insert(
            (now + self.discovery_delay_ns, self.notice_sequence),
            (node, up),
        );
    }

    /// Moves the hosts' records of the last step to the sink, in time order.
    fn drain_records(&mut self) {
        // The hosts get last step's emptied buffer back, so a step allocates nothing.
        let spare = std::mem::take(&mut self.spare_records);
        let mut records = std::mem::replace(&mut *self.shared.records.borrow_mut(), spare);
        records.sort_by_key(|(time, sequence, _)| (*time, *sequence));
        let end = self.shared.end;
        for (time, _, record) in records.drain(..) {
            // What the last tick does, it does at the end of the run at the latest.
            let time = time.min(end);
            self.sink.advance(time);
            self.sink.record(time, &record);
        }
        self.spare_records = records;
    }

    /// The sink (meshsim's recorder), for what it has counted so far.
    pub fn recorder(&self) -> &S {
        &self.sink
    }

    /// Steps until simulated time reaches `until` (rounded up to the tick).
    pub fn run_until(&mut self, until: SimTime) -> Result<(), String> {
        assert!(!self.finished, "the run has finished");
        while self.now() < until {
            let now = self.now();
            while self.next_control < self.controls.len()
                && self.controls[self.next_control].at <= now
            {
                self.apply(now, self.next_control);
                self.next_control += 1;
            }
            while let Some((&(at, sequence), &(node, up))) = self.notices.iter().next() {
                if at > now {
                    break;
                }
                self.notices.remove(&(at, sequence));
                for index in 0..self.shared.inboxes.len() {
                    self.tell(NodeId(index as u32), HostControl::Membership { node, up });
                }
            }
            self.sim.step().map_err(|error| error.to_string())?;
            self.drain_records();
        }
        self.sink.advance(until);
        Ok(())
    }

    /// Tells every host the run is over, collects what they still hold, and hands back the
    /// sink.
    pub fn finish(mut self) -> Result<S, String> {
        // One more step: a timer or datagram due just before the end fires at the tick that ends
        // the run, and belongs to it (hosts run nothing due at or after the end).
        self.sim.step().map_err(|error| error.to_string())?;
        self.drain_records();
        for index in 0..self.shared.inboxes.len() {
            self.tell(NodeId(index as u32), HostControl::Finish);
        }
        self.finished = true;
        self.sim.step().map_err(|error| error.to_string())?;
        self.drain_records();
        Ok(self.sink)
    }
}

fn host_name(node: NodeId) -> String {
    format!("node-{}", node.0)
}
