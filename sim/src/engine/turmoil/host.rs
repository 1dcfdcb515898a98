//! A host running a model (and perhaps a task beside it): its process state, what is due at
//! it, and its loop.

use std::collections::BinaryHeap;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::datagram::{Due, FAR_FUTURE, Local, PORT, decode, encode_onto, envelope};
use super::link::Link;
use super::shared::{HostControl, Shared};
use crate::engine::lifecycle::Lifecycle;
use crate::model::{Action, Input, Loopback, NodeId, Outbox, Wire};
use crate::network::Transit;
use crate::time::SimTime;

/// One host's process: the model, its state, and what waits for it.
pub(super) struct Host<M: Loopback> {
    node: NodeId,
    model: M,
    lifecycle: Lifecycle<M::Message>,
    due: BinaryHeap<Due<M::Message>>,
    sequence: u64,
    outbox: Outbox<M::Message, M::Record>,
    /// Datagrams to send once the current input is handled: each one's host and end in
    /// `outgoing_bytes`, where they lie one after another (one buffer, kept, not one a datagram).
    outgoing: Vec<(NodeId, usize)>,
    outgoing_bytes: Vec<u8>,
    shared: Rc<Shared<M::Record>>,
    /// The loopback to the task beside the model, on a paired host.
    link: Option<Rc<TaskLink<M>>>,
}

/// A paired host's loopback, as the host holds it.
type TaskLink<M> = Link<<M as Loopback>::FromTask, <M as Loopback>::ToTask>;

/// A paired host's task, as the host holds it: the loopback and the task's handle.
pub(super) type PairedRun<M> = (Rc<TaskLink<M>>, JoinHandle<turmoil::Result>);

impl<M: Loopback> Host<M>
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
        let input = self.lifecycle.admit(input);
        self.handle_some(now, input);
    }

    /// Handles what the lifecycle admitted, if anything.
    fn handle_some(&mut self, now: SimTime, input: Option<Input<M::Message>>) {
        if let Some(input) = input {
            self.handle(now, input);
        }
    }

    fn handle(&mut self, now: SimTime, input: Input<M::Message>) {
        self.shared.events.set(self.shared.events.get() + 1);
        self.model.handle(now, input, &mut self.outbox);
        self.carry_out(now);
    }

    /// Hands the model what the task beside it sent. The process of a paired host is never
    /// crashed or paused (the code beside it cannot be), so nothing holds it back.
    fn on_task_message(&mut self, now: SimTime, message: M::FromTask) {
        self.shared.events.set(self.shared.events.get() + 1);
        self.model.on_task_message(now, message, &mut self.outbox);
        self.carry_out(now);
    }

    /// Hands the model everything the task beside it has sent.
    fn take_from_task(&mut self, now: SimTime) {
        let link = Rc::clone(self.link.as_ref().expect("a paired host"));
        while let Some(message) = link.take_from_task() {
            self.on_task_message(now, message);
        }
    }

    /// Carries out what the model asked for, and gives the task beside it what it said.
    fn carry_out(&mut self, now: SimTime) {
        // The outbox is lent out while its actions are carried out, and keeps its allocation.
        let mut outbox = std::mem::take(&mut self.outbox);
        for action in outbox.drain() {
            match action {
                Action::Send { to, message } => self.send(now, envelope::MESSAGE, to, &message),
                Action::Timer { at, id } => {
                    let incarnation = self.lifecycle.incarnation();
                    self.schedule(at.max(now), Local::Timer { incarnation, id });
                }
                Action::Record(record) => self.shared.push_record(now, record),
            }
        }
        self.outbox = outbox;
        if let Some(link) = &self.link {
            while let Some(message) = self.model.next_for_task() {
                link.give_to_task(message);
            }
        }
    }

    /// Draws the hop's latency and loss on the link's stream, as the event engine does.
    fn send(&mut self, now: SimTime, kind: u8, to: NodeId, message: &M::Message) {
        self.shared.count(|counts| counts.sent += 1);
        let transit = self.shared.network.borrow_mut().transit(self.node, to);
        match transit {
            Transit::Arrives { latency_ns } => {
                let due = now + latency_ns;
                encode_onto(&mut self.outgoing_bytes, kind, self.node, to, due, message);
                self.outgoing.push((to, self.outgoing_bytes.len()));
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
                let input = self.lifecycle.admit_timer(incarnation, id);
                self.handle_some(now, input);
            }
            Local::Deliver { from, message } => {
                let refused = self.shared.network.borrow().refuses(from, self.node)
                    || self.lifecycle.is_crashed();
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

    /// Takes a datagram in: it waits until its latency has run out, then with everything else
    /// due by `now`.
    fn receive(&mut self, now: SimTime, bytes: &[u8]) -> turmoil::Result {
        let (kind, from, to, due, message) =
            decode::<M::Message>(bytes).ok_or("a datagram that does not decode")?;
        debug_assert_eq!(to, self.node, "datagram for another host");
        let local = if kind == envelope::REFUSED {
            Local::Refused {
                refuser: from,
                message,
            }
        } else {
            Local::Deliver { from, message }
        };
        self.schedule(due.max(now), local);
        self.run_due(now);
        Ok(())
    }

    /// Carries out the driver's control; the lifecycle decides what it does to the process.
    fn control(&mut self, now: SimTime, control: HostControl) {
        match control {
            HostControl::Crash => {
                if self.lifecycle.begin_crash() {
                    self.handle(now, Input::Crashed);
                    for (from, message) in self.lifecycle.end_crash() {
                        self.refuse(now, from, &message);
                    }
                }
            }
            HostControl::Restart => {
                if self.lifecycle.restart() {
                    self.handle(now, Input::Restarted);
                }
            }
            HostControl::Pause => {
                self.lifecycle.pause();
            }
            HostControl::Resume => {
                for input in self.lifecycle.resume() {
                    self.handle(now, input);
                }
            }
            HostControl::Membership { node, up } => {
                let input = self.lifecycle.admit_membership(node, up);
                self.handle_some(now, input);
            }
            HostControl::Finish => self.handle(now, Input::Finish),
        }
    }
}

/// The next datagram waiting at `socket`, into `buffer`: its length, or none.
fn try_receive(
    socket: &turmoil::net::UdpSocket,
    buffer: &mut [u8],
) -> turmoil::Result<Option<usize>> {
    match socket.try_recv_from(buffer) {
        Ok((length, _)) => Ok(Some(length)),
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
        Err(error) => Err(error.into()),
    }
}

pub(super) fn host_now(base: Instant) -> SimTime {
    SimTime::from_nanos(
        u64::try_from(Instant::now().duration_since(base).as_nanos()).unwrap_or(u64::MAX),
    )
}

async fn flush<M: Loopback>(
    host: &mut Host<M>,
    socket: &turmoil::net::UdpSocket,
) -> turmoil::Result {
    let mut start = 0;
    for &(to, end) in &host.outgoing {
        let address = SocketAddr::new(host.shared.addresses.borrow()[to.index()], PORT);
        socket
            .send_to(&host.outgoing_bytes[start..end], address)
            .await?;
        start = end;
    }
    host.outgoing.clear();
    host.outgoing_bytes.clear();
    Ok(())
}

/// The software of one host: its process, driven by datagrams, its timers, the driver and,
/// on a paired host, the task beside it.
pub(super) async fn host_main<M>(
    node: NodeId,
    model: M,
    shared: Rc<Shared<M::Record>>,
    paired: Option<PairedRun<M>>,
) -> turmoil::Result
where
    M: Loopback,
    M::Message: Wire,
{
    let socket = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    // The host's clock starts at the run's start, before it waits for the others.
    let base = Instant::now();
    shared.bound_and_wait().await;
    let mut host = Host {
        node,
        model,
        lifecycle: Lifecycle::new(node),
        due: BinaryHeap::new(),
        sequence: 0,
        outbox: Outbox::default(),
        outgoing: Vec::new(),
        outgoing_bytes: Vec::new(),
        shared: Rc::clone(&shared),
        link: paired.as_ref().map(|(link, _)| Rc::clone(link)),
    };
    host.handle(SimTime::ZERO, Input::Start);
    flush(&mut host, &socket).await?;
    let mut buffer = vec![0u8; 4096];
    let far_future = base + FAR_FUTURE;
    let inbox = &shared.inboxes[node.index()];
    // The wake-up timer and the driver's notice live across turns of the loop: a new `Sleep` a
    // turn would take the timer wheel's lock twice (register, deregister) for every datagram and
    // every timer, mostly to set the same deadline again.
    let sleep = tokio::time::sleep_until(far_future);
    tokio::pin!(sleep);
    let notified = inbox.notify.notified();
    tokio::pin!(notified);
    // Readiness, not a receive: the socket's lock is taken once a wait, not once a turn.
    let readable = socket.readable();
    tokio::pin!(readable);
    // The task's wake-up and its end, on a paired host; a host without one never polls them.
    let unpaired = Notify::new();
    let (link, mut task) = match paired {
        Some((link, task)) => (Some(link), Some(task)),
        None => (None, None),
    };
    let task_wake = link.as_ref().map_or(&unpaired, |link| &link.host_wake);
    let task_sent = task_wake.notified();
    tokio::pin!(task_sent);
    loop {
        let wake = host.next_due().map_or(far_future, |time| {
            base + Duration::from_nanos(time.as_nanos())
        });
        // A fired timer would be ready at once: it is set again even to the same deadline.
        if sleep.deadline() != wake || sleep.is_elapsed() {
            sleep.as_mut().reset(wake);
        }
        tokio::select! {
            biased;
            () = &mut notified => {
                notified.set(inbox.notify.notified());
                let now = host_now(base);
                loop {
                    let control = inbox.queue.borrow_mut().pop_front();
                    let Some(control) = control else { break };
                    host.control(now, control);
                    if matches!(control, HostControl::Finish) {
                        return Ok(());
                    }
                }
            }
            ready = &mut readable => {
                ready?;
                readable.set(socket.readable());
                // Every datagram waiting now, one by one, as turns of the loop would take them:
                // the driver's notices cannot arrive in the middle of a step, and nothing is due
                // by now once a datagram has been handled. The socket's capacity bounds it.
                while let Some(length) = try_receive(&socket, &mut buffer)? {
                    host.receive(host_now(base), &buffer[..length])?;
                    flush(&mut host, &socket).await?;
                }
            }
            () = &mut task_sent, if link.is_some() => {
                task_sent.set(task_wake.notified());
                host.take_from_task(host_now(base));
            }
            ended = async { task.as_mut().expect("a running task").await }, if task.is_some() => {
                task = None;
                match ended {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => return Err(error),
                    Err(join) => return Err(format!("the code beside {node:?} failed: {join}").into()),
                }
            }
            () = &mut sleep => {
                host.run_due(host_now(base));
            }
        }
        flush(&mut host, &socket).await?;
    }
}
