//! A host running a task of the user's own (real async code) in place of a model, and its way
//! to the network.

use std::cell::{Cell, RefCell};
use std::collections::BinaryHeap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::Instant;

use super::datagram::{Due, FAR_FUTURE, Local, PORT, decode, encode, envelope};
use super::host::host_now;
use super::shared::Shared;
use crate::model::{Model, NodeId, Wire};
use crate::network::Transit;
use crate::time::SimTime;

/// A task host's software: handed its port, it runs until the end of the run.
pub type TaskSoftware<M, R> =
    Box<dyn FnOnce(Rc<Port<M, R>>) -> Pin<Box<dyn Future<Output = turmoil::Result>>>>;

/// What runs on a host: a model, as on the event engine, or a task of the user's own.
pub enum Software<M: Model> {
    Model(M),
    /// Real async code, handed the host's [`Port`]. turmoil's clock drives its sleeps.
    Task(TaskSoftware<M::Message, M::Record>),
}

/// A task host's way to the network: messages with the same latency, loss, partitions and
/// refusals as a model's, and the sink (`R` is the record type).
pub struct Port<M, R> {
    node: NodeId,
    socket: turmoil::net::UdpSocket,
    base: Instant,
    shared: Rc<Shared<R>>,
    /// Messages whose latency has not run out yet.
    held: RefCell<BinaryHeap<Due<M>>>,
    sequence: Cell<u64>,
}

impl<M: Wire, R> Port<M, R> {
    pub(super) async fn bind(node: NodeId, shared: Rc<Shared<R>>) -> turmoil::Result<Self> {
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
    pub fn record(&self, record: R) {
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
