//! A durable store: the stock, the payment ledger or the order table a saga's steps act on.
//!
//! A store speaks the same messages as a service, so the mesh applies to it unchanged: an
//! **operation** is a request whose endpoint is the operation's index for the store's kind
//! ([`StoreKind::operations`]), and the order it concerns is the request's trace (a workload
//! request is one order). The answer is 200 when the operation applied (or had nothing to do),
//! 409 when the state forbids it, 404 for a query of nothing.
//!
//! Like a database behind a connection pool, the store serves `workers` operations at once and
//! queues the rest in FIFO order, up to `queue`; beyond it an operation is shed with 503, as a
//! service's full queue sheds a request. Each operation takes a draw of `service_time`, and is
//! applied and answered when that time ends: one engine timer per operation, as a service's
//! work.
//!
//! With idempotency keys the store remembers the first answer of each (operation, order) and
//! answers a repeat with it without applying anything, so a retried charge charges once.
//! Queries read and change nothing, so they are always answered from the current state.
//!
//! The state is on disk: a crash loses the operations in progress and waiting (unapplied; each
//! caller's connection is reset), and keeps everything applied, the remembered answers included.

mod kind;
mod ledger;
mod operation;
mod orders;
mod state;
mod stock;
#[cfg(test)]
mod tests;
mod timer;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use meshsim_record::{Reason, ReasonKind, Record, ServedResult, SpanKind, VersionKey};
use meshsim_sim::{Input, NodeId, SimRng, SimTime};

use crate::arrival::Arrival;
use crate::message::{Message, Request, Response, SpanAt};
pub use crate::order_id::OrderId;
use crate::outbox::Outbox;
use crate::slab::{Slab, SlabKey};
use crate::timer::{TimerCode, expect_own};
use crate::worker_pool::{Admission, WorkerPool};
pub use kind::{LEDGER_OPERATIONS, ORDERS_OPERATIONS, STOCK_OPERATIONS, StoreConfig, StoreKind};
pub use ledger::{LedgerEntry, LedgerState};
use operation::{OK, Operation};
pub use orders::{OrderStatus, OrdersState};
pub use state::StoreState;
pub use stock::{Holding, ProductStock, StockState};
use timer::StoreTimer;

/// An operation on a worker.
struct Job {
    arrival: Arrival,
    /// When its own work began: on a worker, and with row locks once it holds its row.
    started_at: SimTime,
    /// The row it locks (or waits for), with row locks.
    row: Option<u32>,
}

pub struct Store {
    node: NodeId,
    config: Arc<StoreConfig>,
    rng: SimRng,
    state: StoreState,
    /// With idempotency keys: the first answer's status of each (endpoint, order), queries
    /// aside. Durable, like the state.
    answers: BTreeMap<(u32, OrderId), u16>,
    /// The running operations' state, keyed as their timers are; the pool counts them.
    jobs: Slab<Job>,
    /// The workers (connections) and the operations waiting for one.
    pool: WorkerPool<Arrival>,
    /// With row locks: each locked row, and the jobs waiting for it in arrival order. The
    /// locks are the database process's memory: a crash aborts every transaction.
    locks: BTreeMap<u32, VecDeque<SlabKey>>,
}

impl Store {
    pub fn new(node: NodeId, config: Arc<StoreConfig>, rng: SimRng) -> Store {
        let state = StoreState::new(config.kind);
        let pool = WorkerPool::new(version_key(&config), config.workers, config.queue);
        Store {
            node,
            config,
            rng,
            state,
            answers: BTreeMap::new(),
            jobs: Slab::default(),
            pool,
            locks: BTreeMap::new(),
        }
    }

    /// The row a request's operation locks, if the store locks rows and it writes one.
    fn row_of(&self, request: &Request) -> Option<u32> {
        if !self.config.row_locks {
            return None;
        }
        let StoreState::Stock(stock) = &self.state else {
            return None;
        };
        match Operation::of(self.config.kind, request.endpoint) {
            Some(Operation::Reserve | Operation::Release | Operation::Commit) => {
                Some(stock.product_of(OrderId::of(&request.context)))
            }
            _ => None,
        }
    }

    /// Starts a job's own work: its service time runs from now.
    fn work(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let work_ns = self.config.service_time.sample_ns(&mut self.rng);
        let job = self.jobs.get_mut(key).expect("a live job");
        job.started_at = now;
        out.set_timer(now + work_ns, StoreTimer::Work(key).encode());
    }

    /// The durable state: at the end of a run, for invariants.
    /// The final state, as tallies and facts per order, for the invariants checked after the
    /// run on either engine.
    fn report(&self, out: &mut Outbox<Message>) {
        let group = self.config.group;
        let fact = |order: OrderId, fact: &'static str, count: u32, out: &mut Outbox<Message>| {
            if count > 0 {
                out.record(Record::OrderFact {
                    group,
                    order: (order.client, order.root),
                    fact,
                    count,
                });
            }
        };
        match self.state() {
            StoreState::Stock(stock) => {
                for (name, value) in [
                    ("stock_initial", stock.initial_total()),
                    ("stock_available", stock.available_total()),
                    ("stock_reserved", stock.reserved_total()),
                    ("stock_sold", stock.sold_total()),
                ] {
                    out.record(Record::Tally { group, name, value });
                }
                for (&order, holding) in stock.holdings() {
                    fact(order, "reserved", holding.reserved, out);
                    fact(order, "sold", holding.sold, out);
                }
            }
            StoreState::Ledger(ledger) => {
                for (&order, entry) in ledger.entries() {
                    fact(order, "charged", entry.charges, out);
                    fact(order, "refunded", entry.refunded, out);
                }
            }
            StoreState::Orders(orders) => {
                for (&order, status) in orders.statuses() {
                    fact(order, status.name(), 1, out);
                }
            }
            StoreState::KeyValue(state) => {
                for (name, value) in [
                    ("hits", state.hits()),
                    ("misses", state.misses()),
                    ("list_length", state.list_length()),
                ] {
                    out.record(Record::Tally { group, name, value });
                }
            }
        }
    }

    pub fn state(&self) -> &StoreState {
        &self.state
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Operations on a worker now.
    pub fn busy_workers(&self) -> usize {
        self.pool.busy_workers()
    }

    /// Operations waiting for a worker now.
    pub fn queue_depth(&self) -> usize {
        self.pool.queue_depth()
    }

    fn key(&self) -> VersionKey {
        version_key(&self.config)
    }

    // Inputs are handed over by value, as the engine gives them up.
    #[allow(clippy::needless_pass_by_value)]
    pub fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match input {
            Input::Message {
                from,
                message: Message::Request(request),
            } => self.on_request(now, from, request, out),
            Input::Timer(id) => match expect_own(id, "a store") {
                StoreTimer::Work(key) => self.after_work(now, key, out),
            },
            Input::Crashed => self.crash(out),
            Input::Restarted => {
                debug_assert!(self.jobs.is_empty() && self.pool.is_idle());
            }
            // An answer to a caller whose process is gone: nothing to undo, the operation
            // applied (or not) as it would have.
            Input::Refused {
                message: Message::Response(_),
                ..
            }
            | Input::Start
            | Input::Membership { .. }
            | Input::Message {
                message: Message::Control(_),
                ..
            }
            | Input::Refused {
                message: Message::Control(_),
                ..
            } => {}
            Input::Finish => self.report(out),
            Input::Message {
                message: Message::Response(_),
                ..
            }
            | Input::Refused {
                message: Message::Request(_),
                ..
            } => unreachable!("a store calls no one, so nothing answers it"),
        }
    }

    fn on_request(
        &mut self,
        now: SimTime,
        from: NodeId,
        request: Request,
        out: &mut Outbox<Message>,
    ) {
        assert!(
            (request.endpoint as usize) < self.config.kind.operations().len(),
            "a {} store has no operation {}",
            self.config.kind.name(),
            request.endpoint
        );
        let arrival = Arrival {
            from,
            request,
            arrived_at: now,
        };
        match self.pool.offer(arrival, out) {
            Admission::Started(arrival) => self.start(now, arrival, out),
            Admission::Queued => {}
            Admission::Full(arrival) => self.shed(now, &arrival, out),
        }
    }

    /// Answers an operation that found every worker busy and the queue full with 503 at once,
    /// and records it as a service records a request its full queue sheds.
    fn shed(&self, now: SimTime, arrival: &Arrival, out: &mut Outbox<Message>) {
        let request = &arrival.request;
        let shed = Response::refusal(request.call, 503, ReasonKind::Shed, self.config.group);
        out.send(arrival.from, Message::Response(shed));
        out.record(Record::Served {
            key: self.key(),
            node: self.node,
            latency_ns: 0,
            result: ServedResult::Shed,
        });
        self.span((arrival.from, request), SpanKind::Serve, now, now, 503, out);
    }

    fn start(&mut self, now: SimTime, arrival: Arrival, out: &mut Outbox<Message>) {
        if now > arrival.arrived_at {
            self.span(
                (arrival.from, &arrival.request),
                SpanKind::Queue,
                arrival.arrived_at,
                now,
                0,
                out,
            );
        }
        let row = self.row_of(&arrival.request);
        let key = self.jobs.insert(Job {
            arrival,
            started_at: now,
            row,
        });
        match row {
            // The row is held: wait for it on this connection.
            Some(row) if self.locks.contains_key(&row) => {
                self.locks.get_mut(&row).expect("held").push_back(key);
            }
            Some(row) => {
                self.locks.insert(row, VecDeque::new());
                self.work(now, key, out);
            }
            None => self.work(now, key, out),
        }
    }

    /// An operation's service time ended: apply it (or find its first answer) and answer.
    fn after_work(&mut self, now: SimTime, key: SlabKey, out: &mut Outbox<Message>) {
        let Some(job) = self.jobs.remove(key) else {
            unreachable!("a store's work timer outlived its job: crashes bump the incarnation")
        };
        let request = job.arrival.request;
        let from = job.arrival.from;
        self.span(
            (from, &request),
            SpanKind::Work,
            job.started_at,
            now,
            0,
            out,
        );
        if let Some(row) = job.row {
            // The transaction commits: the next writer of the row takes the lock.
            let next = self.locks.get_mut(&row).and_then(VecDeque::pop_front);
            match next {
                Some(next) => self.work(now, next, out),
                None => {
                    self.locks.remove(&row);
                }
            }
        }
        let status = self.apply(now, &request);
        let reason = if status == OK {
            Reason::OK
        } else {
            Reason {
                kind: ReasonKind::Error,
                group: Some(self.config.group),
            }
        };
        let response = Response::new(request.call, status, reason);
        out.send(job.arrival.from, Message::Response(response));
        let arrived_at = job.arrival.arrived_at;
        self.span(
            (from, &request),
            SpanKind::Serve,
            arrived_at,
            now,
            status,
            out,
        );
        // A cache's miss is an answer, not a failure of the store.
        let miss = status == 404 && matches!(self.state, StoreState::KeyValue(_));
        let result = if response.is_success() || miss {
            ServedResult::Succeeded
        } else {
            ServedResult::Failed
        };
        out.record(Record::Served {
            key: self.key(),
            node: self.node,
            latency_ns: now - arrived_at,
            result,
        });
        if let Some(next) = self.pool.finish(out) {
            self.start(now, next, out);
        }
    }

    /// Applies an operation, or with idempotency keys answers a repeat with its first answer.
    fn apply(&mut self, now: SimTime, request: &Request) -> u16 {
        if let StoreState::KeyValue(state) = &mut self.state {
            // A cache's operations are not keyed by order: nothing to remember.
            return state.apply(request.endpoint, OrderId::of(&request.context), now);
        }
        let operation =
            Operation::of(self.config.kind, request.endpoint).expect("checked on arrival");
        let order = OrderId::of(&request.context);
        if !self.config.idempotent || matches!(operation, Operation::Query | Operation::Read) {
            return self.state.apply(operation, order, self.config.idempotent);
        }
        let memory = (request.endpoint, order);
        if let Some(&status) = self.answers.get(&memory) {
            return status;
        }
        let status = self.state.apply(operation, order, true);
        self.answers.insert(memory, status);
        // A compensation ends the action's key: a repeat of the action must meet the undoing
        // (and be refused), not get the action's first answer back.
        // The action is each kind's operation 0: reserve, charge, create.
        if matches!(
            operation,
            Operation::Release | Operation::Refund | Operation::Cancel
        ) {
            self.answers.remove(&(0, order));
        }
        status
    }

    /// Records a span of a sampled request from `from` at this store. A store makes no calls,
    /// so its spans are keyed by the request alone.
    fn span(
        &self,
        (from, request): (NodeId, &Request),
        kind: SpanKind,
        start: SimTime,
        now: SimTime,
        status: u16,
        out: &mut Outbox<Message>,
    ) {
        let at = SpanAt {
            node: self.node,
            group: self.config.group,
            from,
            owner: None,
        };
        request.record_span(at, kind, (start, now), status, out);
    }

    /// The process dies; the database's files do not. The operations on workers and in the
    /// queue were never applied, and the kernel resets every connection the process held, so
    /// each caller learns at once (one hop later), as a service instance's callers do.
    fn crash(&mut self, out: &mut Outbox<Message>) {
        self.locks.clear();
        if let StoreState::KeyValue(state) = &mut self.state {
            state.lose_everything();
        }
        debug_assert_eq!(
            self.jobs.len(),
            self.pool.busy_workers(),
            "a job per busy worker"
        );
        let jobs = self.jobs.drain();
        // The pool's gauges go back to zero now; the resets below are sends, not records, so
        // the records keep the order they had when the gauges came after the resets.
        let waiting = self.pool.reset(out);
        let held = jobs.into_iter().map(|job| job.arrival).chain(waiting);
        for arrival in held {
            let reset = Response::refusal(
                arrival.request.call,
                503,
                ReasonKind::Reset,
                self.config.group,
            );
            out.send(arrival.from, Message::Response(reset));
        }
    }
}

/// The store's one version, which its records count under.
fn version_key(config: &StoreConfig) -> VersionKey {
    VersionKey {
        group: config.group,
        version: 0,
    }
}
