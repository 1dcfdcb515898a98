//! The turmoil engine: every node a turmoil host, messages in UDP datagrams over turmoil's
//! simulated network, time from turmoil's clock, the same sans-IO models inside each host.
//!
//! It is the cross-check of the event engine, so it shares the models, the network's latency
//! and loss draws (the same named streams), and the recorder, and replaces what an engine owns:
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
//! Records from the hosts of one step are sorted by time before they reach the recorder, so it
//! sees time in order. `tokio::select!` is always `biased;` and turmoil's seed and epoch are set
//! explicitly: the same seed gives the same bytes.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::control::{Control, ControlAction, Effect, Rule, Selector};
use crate::engine::event::NetworkCounts;
use crate::model::{Action, Input, Model, NodeId, Outbox, TimerId, Wire};
use crate::network::{Network, NodeState, Transit};
use crate::record::Record;
use crate::recorder::Recorder;
use crate::time::SimTime;

/// A wake-up time no run reaches: a century.
const FAR_FUTURE: Duration = Duration::from_hours(100 * 365 * 24);

/// The UDP port every host listens on.
const PORT: u16 = 7000;

/// The tick: turmoil steps whole milliseconds (a finer tick desynchronises host clocks).
pub const TICK: Duration = Duration::from_millis(1);

/// Datagrams waiting in one host's socket before turmoil drops more. Generous: a drop here
/// would be a difference from the event engine, which has no socket buffers.
const SOCKET_CAPACITY: usize = 1 << 20;

/// Inputs deferred at one paused host before the run fails loudly.
const DEFERRED_INPUTS_MAX: usize = 10_000_000;

/// What the driver tells a host between ticks.
#[derive(Debug, Clone, Copy)]
enum HostControl {
    Crash,
    Restart,
    Pause,
    Resume,
    Membership { node: NodeId, up: bool },
    Finish,
}

struct Inbox {
    queue: RefCell<VecDeque<HostControl>>,
    notify: Notify,
}

/// What every host and the driver share. turmoil runs every host on this one thread, in a
/// fixed order, so sharing through `RefCell` is deterministic.
struct Shared {
    network: RefCell<Network>,
    addresses: RefCell<Vec<IpAddr>>,
    inboxes: Vec<Inbox>,
    /// Records of the current step, with the host order as a tie-breaker.
    records: RefCell<Vec<(SimTime, u64, Record)>>,
    record_sequence: Cell<u64>,
    counts: Cell<NetworkCounts>,
    events: Cell<u64>,
    end: SimTime,
    /// Hosts whose socket is bound; no model starts before every host's is, so nothing sent at
    /// time zero (a readiness notice) reaches a host that cannot receive it yet.
    bound: Cell<usize>,
    all_bound: Notify,
}

impl Shared {
    /// Counts this host's socket as bound, then waits until every host's is.
    async fn bound_and_wait(&self) {
        self.bound.set(self.bound.get() + 1);
        self.all_bound.notify_waiters();
        while self.bound.get() < self.inboxes.len() {
            self.all_bound.notified().await;
        }
    }

    fn push_record(&self, time: SimTime, record: Record) {
        let sequence = self.record_sequence.get();
        self.record_sequence.set(sequence + 1);
        self.records.borrow_mut().push((time, sequence, record));
    }

    fn count(&self, change: impl FnOnce(&mut NetworkCounts)) {
        let mut counts = self.counts.get();
        change(&mut counts);
        self.counts.set(counts);
    }
}

/// A datagram: what it is, who sent it to whom, when it is due, and the message.
mod envelope {
    pub const MESSAGE: u8 = 0;
    pub const REFUSED: u8 = 1;
    pub const HEADER_BYTES: usize = 1 + 4 + 4 + 8;
}

fn encode<W: Wire>(kind: u8, from: NodeId, to: NodeId, due: SimTime, message: &W) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(envelope::HEADER_BYTES + 32);
    bytes.push(kind);
    bytes.extend_from_slice(&from.0.to_le_bytes());
    bytes.extend_from_slice(&to.0.to_le_bytes());
    bytes.extend_from_slice(&due.as_nanos().to_le_bytes());
    message.encode(&mut bytes);
    bytes
}

fn decode<W: Wire>(bytes: &[u8]) -> Option<(u8, NodeId, NodeId, SimTime, W)> {
    if bytes.len() < envelope::HEADER_BYTES {
        return None;
    }
    let from = NodeId(u32::from_le_bytes(bytes[1..5].try_into().ok()?));
    let to = NodeId(u32::from_le_bytes(bytes[5..9].try_into().ok()?));
    let due = SimTime::from_nanos(u64::from_le_bytes(bytes[9..17].try_into().ok()?));
    let message = W::decode(&bytes[envelope::HEADER_BYTES..])?;
    Some((bytes[0], from, to, due, message))
}

/// Something due at a host: its own timer, or a datagram whose latency has run out.
enum Local<M> {
    Timer { incarnation: u32, id: TimerId },
    Deliver { from: NodeId, message: M },
    Refused { refuser: NodeId, message: M },
}

struct Due<M> {
    time: SimTime,
    sequence: u64,
    local: Local<M>,
}

impl<M> PartialEq for Due<M> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.sequence) == (other.time, other.sequence)
    }
}
impl<M> Eq for Due<M> {}
impl<M> PartialOrd for Due<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Due<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.time, other.sequence).cmp(&(self.time, self.sequence))
    }
}

/// One host's process: the model, its state, and what waits for it.
struct Host<M: Model> {
    node: NodeId,
    model: M,
    state: NodeState,
    incarnation: u32,
    due: BinaryHeap<Due<M::Message>>,
    sequence: u64,
    deferred: Vec<Input<M::Message>>,
    outbox: Outbox<M::Message>,
    /// Datagrams to send once the current input is handled.
    outgoing: Vec<(NodeId, Vec<u8>)>,
    shared: Rc<Shared>,
}

impl<M: Model> Host<M>
where
    M::Message: Wire,
{
    fn schedule(&mut self, time: SimTime, local: Local<M::Message>) {
        self.sequence += 1;
        self.due.push(Due {
            time,
            sequence: self.sequence,
            local,
        });
    }

    fn next_due(&self) -> Option<SimTime> {
        self.due
            .peek()
            .map(|due| due.time)
            .filter(|time| *time < self.shared.end)
    }

    /// Hands `input` to the model if the process can take it now.
    fn offer(&mut self, now: SimTime, input: Input<M::Message>) {
        match self.state {
            NodeState::Up => self.handle(now, input),
            NodeState::Paused => {
                assert!(
                    self.deferred.len() < DEFERRED_INPUTS_MAX,
                    "too many inputs wait at a paused host"
                );
                self.deferred.push(input);
            }
            NodeState::Crashed => {}
        }
    }

    fn handle(&mut self, now: SimTime, input: Input<M::Message>) {
        self.shared.events.set(self.shared.events.get() + 1);
        self.model.handle(now, input, &mut self.outbox);
        let actions: Vec<_> = self.outbox.drain().collect();
        for action in actions {
            match action {
                Action::Send { to, message } => self.send(now, envelope::MESSAGE, to, &message),
                Action::Timer { at, id } => {
                    let incarnation = self.incarnation;
                    self.schedule(at.max(now), Local::Timer { incarnation, id });
                }
                Action::Record(record) => self.shared.push_record(now, record),
            }
        }
    }

    /// Draws the hop's latency and loss on the link's stream, as the event engine does.
    fn send(&mut self, now: SimTime, kind: u8, to: NodeId, message: &M::Message) {
        self.shared.count(|counts| counts.sent += 1);
        let transit = self.shared.network.borrow_mut().transit(self.node, to);
        match transit {
            Transit::Arrives { latency_ns } => {
                let bytes = encode(kind, self.node, to, now + latency_ns, message);
                self.outgoing.push((to, bytes));
            }
            Transit::Lost => self.shared.count(|counts| counts.lost += 1),
            Transit::Partitioned => unreachable!("partitions are turmoil's in this engine"),
        }
    }

    /// Turns a message away: the kernel's reset travels back to the sender.
    fn refuse(&mut self, now: SimTime, from: NodeId, message: &M::Message) {
        self.shared.count(|counts| counts.refused += 1);
        self.send(now, envelope::REFUSED, from, message);
    }

    fn run_local(&mut self, now: SimTime, local: Local<M::Message>) {
        match local {
            Local::Timer { incarnation, id } => {
                if incarnation == self.incarnation {
                    self.offer(now, Input::Timer(id));
                }
            }
            Local::Deliver { from, message } => {
                let refused = self.shared.network.borrow().refuses(from, self.node)
                    || self.state == NodeState::Crashed;
                if refused {
                    self.refuse(now, from, &message);
                } else {
                    self.offer(now, Input::Message { from, message });
                }
            }
            Local::Refused { refuser, message } => self.offer(
                now,
                Input::Refused {
                    to: refuser,
                    message,
                },
            ),
        }
    }

    /// Runs everything due by `now` (and before the end of the run), in (time, arrival) order.
    fn run_due(&mut self, now: SimTime) {
        while let Some(time) = self.next_due() {
            if time > now {
                break;
            }
            let due = self.due.pop().expect("peeked");
            self.run_local(now, due.local);
        }
    }

    fn control(&mut self, now: SimTime, control: HostControl) {
        match control {
            HostControl::Crash if self.state != NodeState::Crashed => {
                self.state = NodeState::Up;
                self.handle(now, Input::Crashed);
                self.state = NodeState::Crashed;
                self.incarnation += 1;
                for input in std::mem::take(&mut self.deferred) {
                    if let Input::Message { from, message } = input {
                        self.refuse(now, from, &message);
                    }
                }
            }
            HostControl::Restart if self.state == NodeState::Crashed => {
                self.state = NodeState::Up;
                self.handle(now, Input::Restarted);
            }
            HostControl::Pause if self.state == NodeState::Up => self.state = NodeState::Paused,
            HostControl::Resume if self.state == NodeState::Paused => {
                self.state = NodeState::Up;
                for input in std::mem::take(&mut self.deferred) {
                    self.handle(now, input);
                }
            }
            HostControl::Membership { node, up } => {
                if self.state == NodeState::Crashed {
                    self.handle(now, Input::Membership { node, up });
                } else {
                    self.offer(now, Input::Membership { node, up });
                }
            }
            HostControl::Finish => self.handle(now, Input::Finish),
            HostControl::Crash
            | HostControl::Restart
            | HostControl::Pause
            | HostControl::Resume => {}
        }
    }
}

fn host_now(base: Instant) -> SimTime {
    SimTime::from_nanos(
        u64::try_from(Instant::now().duration_since(base).as_nanos()).unwrap_or(u64::MAX),
    )
}

async fn flush<M: Model>(host: &mut Host<M>, socket: &turmoil::net::UdpSocket) -> turmoil::Result {
    for (to, bytes) in std::mem::take(&mut host.outgoing) {
        let address = SocketAddr::new(host.shared.addresses.borrow()[to.index()], PORT);
        socket.send_to(&bytes, address).await?;
    }
    Ok(())
}

/// The software of one host: its process, driven by datagrams, its timers and the driver.
async fn host_main<M>(node: NodeId, model: M, shared: Rc<Shared>) -> turmoil::Result
where
    M: Model,
    M::Message: Wire,
{
    let socket = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    // The host's clock starts at the run's start, before it waits for the others.
    let base = Instant::now();
    shared.bound_and_wait().await;
    let mut host = Host {
        node,
        model,
        state: NodeState::Up,
        incarnation: 0,
        due: BinaryHeap::new(),
        sequence: 0,
        deferred: Vec::new(),
        outbox: Outbox::default(),
        outgoing: Vec::new(),
        shared: Rc::clone(&shared),
    };
    host.handle(SimTime::ZERO, Input::Start);
    flush(&mut host, &socket).await?;
    let mut buffer = vec![0u8; 4096];
    let far_future = base + FAR_FUTURE;
    loop {
        let wake = host.next_due().map_or(far_future, |time| {
            base + Duration::from_nanos(time.as_nanos())
        });
        tokio::select! {
            biased;
            () = shared.inboxes[node.index()].notify.notified() => {
                let now = host_now(base);
                loop {
                    let control = shared.inboxes[node.index()].queue.borrow_mut().pop_front();
                    let Some(control) = control else { break };
                    host.control(now, control);
                    if matches!(control, HostControl::Finish) {
                        return Ok(());
                    }
                }
            }
            received = socket.recv_from(&mut buffer) => {
                let (length, _) = received?;
                let now = host_now(base);
                let (kind, from, to, due, message) = decode::<M::Message>(&buffer[..length])
                    .ok_or("a datagram that does not decode")?;
                debug_assert_eq!(to, node, "datagram for another host");
                let local = if kind == envelope::REFUSED {
                    Local::Refused { refuser: from, message }
                } else {
                    Local::Deliver { from, message }
                };
                host.schedule(due.max(now), local);
                host.run_due(now);
            }
            () = tokio::time::sleep_until(wake) => {
                host.run_due(host_now(base));
            }
        }
        flush(&mut host, &socket).await?;
    }
}

/// A task host's software: handed its port, it runs until the end of the run.
pub type TaskSoftware<M> =
    Box<dyn FnOnce(Rc<Port<M>>) -> Pin<Box<dyn Future<Output = turmoil::Result>>>>;

/// What runs on a host: a model, as on the event engine, or a task of the user's own.
pub enum Software<M: Model> {
    Model(M),
    /// Real async code, handed the host's [`Port`]. turmoil's clock drives its sleeps.
    Task(TaskSoftware<M::Message>),
}

/// A task host's way to the network: messages with the same latency, loss, partitions and
/// refusals as a model's, and the recorder.
pub struct Port<M> {
    node: NodeId,
    socket: turmoil::net::UdpSocket,
    base: Instant,
    shared: Rc<Shared>,
    /// Messages whose latency has not run out yet.
    held: RefCell<BinaryHeap<Due<M>>>,
    sequence: Cell<u64>,
}

impl<M: Wire> Port<M> {
    async fn bind(node: NodeId, shared: Rc<Shared>) -> turmoil::Result<Self> {
        let socket = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
        let base = Instant::now();
        shared.bound_and_wait().await;
        Ok(Port {
            node,
            socket,
            base,
            shared,
            held: RefCell::new(BinaryHeap::new()),
            sequence: Cell::new(0),
        })
    }

    pub fn node(&self) -> NodeId {
        self.node
    }

    /// Simulated time on this host.
    pub fn now(&self) -> SimTime {
        host_now(self.base)
    }

    /// Reports a record, as a model's outbox would.
    pub fn record(&self, record: Record) {
        self.shared.push_record(self.now(), record);
    }

    /// Sends `message` to `to`, drawing its latency and loss on the link's stream.
    pub async fn send(&self, to: NodeId, message: &M) -> turmoil::Result {
        self.shared.count(|counts| counts.sent += 1);
        let transit = self.shared.network.borrow_mut().transit(self.node, to);
        if let Transit::Arrives { latency_ns } = transit {
            let bytes = encode(
                envelope::MESSAGE,
                self.node,
                to,
                self.now() + latency_ns,
                message,
            );
            let address = SocketAddr::new(self.shared.addresses.borrow()[to.index()], PORT);
            self.socket.send_to(&bytes, address).await?;
        } else {
            self.shared.count(|counts| counts.lost += 1);
        }
        Ok(())
    }

    /// The next message due at this host, once its latency has run out. Messages from hosts this
    /// one refuses (a workload reaching an internal service) are refused here, as a model's
    /// host would.
    pub async fn recv(&self) -> turmoil::Result<(NodeId, M)> {
        let mut buffer = vec![0u8; 4096];
        loop {
            let now = self.now();
            let next = self.held.borrow().peek().map(|due| due.time);
            if let Some(time) = next.filter(|time| *time <= now) {
                let due = self.held.borrow_mut().pop().expect("peeked");
                debug_assert!(time <= now);
                if let Local::Deliver { from, message } = due.local {
                    if self.shared.network.borrow().refuses(from, self.node) {
                        self.shared.count(|counts| counts.refused += 1);
                        let bytes = encode(envelope::REFUSED, self.node, from, now, &message);
                        let address =
                            SocketAddr::new(self.shared.addresses.borrow()[from.index()], PORT);
                        self.socket.send_to(&bytes, address).await?;
                        continue;
                    }
                    return Ok((from, message));
                }
                continue;
            }
            let wake = next.map_or(self.base + FAR_FUTURE, |time| {
                self.base + Duration::from_nanos(time.as_nanos())
            });
            tokio::select! {
                biased;
                received = self.socket.recv_from(&mut buffer) => {
                    let (length, _) = received?;
                    let (kind, from, _, due, message) = decode::<M>(&buffer[..length])
                        .ok_or("a datagram that does not decode")?;
                    // A task host sends no requests, so nothing is ever refused back to it.
                    if kind == envelope::MESSAGE {
                        let sequence = self.sequence.get() + 1;
                        self.sequence.set(sequence);
                        let local = Local::Deliver { from, message };
                        self.held.borrow_mut().push(Due { time: due, sequence, local });
                    }
                }
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }
}

/// How a turmoil run is set up.
#[derive(Debug, Clone, Copy)]
pub struct TurmoilOptions {
    pub seed: u64,
    pub end: SimTime,
}

/// The driver: steps turmoil a tick at a time, applies the fault timeline between ticks, and
/// hands the hosts' records to the recorder in time order.
pub struct TurmoilEngine<'a> {
    sim: turmoil::Sim<'a>,
    shared: Rc<Shared>,
    recorder: Recorder,
    controls: Vec<Control>,
    next_control: usize,
    /// Membership notices waiting for the control plane's delay: (time, sequence) -> notice.
    notices: BTreeMap<(SimTime, u64), (NodeId, bool)>,
    notice_sequence: u64,
    /// Partition rules in force: id -> (pairs of hosts, both ways).
    partitions: BTreeMap<u32, (Vec<(IpAddr, IpAddr)>, bool)>,
    node_groups: Vec<crate::model::GroupId>,
    discovery_delay_ns: u64,
    finished: bool,
}

impl TurmoilEngine<'_> {
    pub fn new<M>(
        network: Network,
        models: Vec<M>,
        recorder: Recorder,
        controls: Vec<Control>,
        options: TurmoilOptions,
    ) -> Self
    where
        M: Model + 'static,
        M::Message: Wire,
    {
        let software = models.into_iter().map(Software::Model).collect();
        Self::with_software(network, software, recorder, controls, options)
    }

    /// Like [`TurmoilEngine::new`], with some hosts running a task of their own (real async code)
    /// in place of a model.
    pub fn with_software<M>(
        network: Network,
        models: Vec<Software<M>>,
        recorder: Recorder,
        mut controls: Vec<Control>,
        options: TurmoilOptions,
    ) -> Self
    where
        M: Model + 'static,
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
                    sim.client(host_name(node), host_main(node, model, Rc::clone(&shared)));
                }
                Software::Task(task) => {
                    let shared = Rc::clone(&shared);
                    sim.client(host_name(node), async move {
                        let port = Port::bind(node, shared).await?;
                        task(Rc::new(port)).await
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
            recorder,
            controls,
            next_control: 0,
            notices: BTreeMap::new(),
            notice_sequence: 0,
            partitions: BTreeMap::new(),
            node_groups,
            discovery_delay_ns,
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
        self.recorder.advance(now);
        self.recorder.record(
            now,
            &Record::Event {
                kind: control.event_kind,
                subject: control.subject.clone(),
                detail: control.detail.clone(),
            },
        );
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

    /// Moves the hosts' records of the last step to the recorder, in time order.
    fn drain_records(&mut self) {
        let mut records = std::mem::take(&mut *self.shared.records.borrow_mut());
        records.sort_by_key(|(time, sequence, _)| (*time, *sequence));
        let end = self.shared.end;
        for (time, _, record) in records {
            // What the last tick does, it does at the end of the run at the latest.
            let time = time.min(end);
            self.recorder.advance(time);
            self.recorder.record(time, &record);
        }
    }

    /// Steps until simulated time reaches `until` (rounded up to the tick).
    /// The recorder, for what it has counted so far.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

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
        self.recorder.advance(until);
        Ok(())
    }

    /// Tells every host the run is over, collects what they still hold, and hands back the
    /// recorder.
    pub fn finish(mut self) -> Result<Recorder, String> {
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
        Ok(self.recorder)
    }
}

fn host_name(node: NodeId) -> String {
    format!("node-{}", node.0)
}
