//! A durable store: the stock, the payment ledger or the order table a saga's steps act on.
//!
//! A store speaks the same messages as a service, so the mesh applies to it unchanged: an
//! **operation** is a request whose endpoint is the operation's index for the store's kind
//! ([`StoreKind::operations`]), and the order it concerns is the request's trace (a workload
//! request is one order). The answer is 200 when the operation applied (or had nothing to do),
//! 409 when the state forbids it, 404 for a query of nothing.
//!
//! Like a database behind a connection pool, the store serves `workers` operations at once and
//! queues the rest in FIFO order. Each operation takes a draw of `service_time`, and is applied
//! and answered when that time ends: one engine timer per operation, as a service's work.
//!
//! With idempotency keys the store remembers the first answer of each (operation, order) and
//! answers a repeat with it without applying anything, so a retried charge charges once.
//! Queries read and change nothing, so they are always answered from the current state.
//!
//! The state is on disk: a crash loses the operations in progress and waiting (unapplied; each
//! caller's connection is reset), and keeps everything applied, the remembered answers included.

use std::collections::BTreeSet;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use meshsim_record::{Gauge, Reason, ReasonKind, Record, ServedResult, SpanKind, VersionKey};
use meshsim_sim::{Distribution, GroupId, Input, NodeId, SimRng, SimTime};

use crate::key_value::{KEY_VALUE_OPERATIONS, KeyValueState};
use crate::message::{Message, Request, Response};
pub use crate::order_id::OrderId;
use crate::outbox::Outbox;
use crate::slab::{Slab, SlabKey};
use crate::timer::{TimerKind, decode, slab_timer};

/// A stock's operations, by endpoint index.
pub const STOCK_OPERATIONS: &[&str] = &["reserve", "release", "commit", "query", "read"];
/// A ledger's operations, by endpoint index.
pub const LEDGER_OPERATIONS: &[&str] = &["charge", "refund", "query"];
/// An order table's operations, by endpoint index.
pub const ORDERS_OPERATIONS: &[&str] = &["create", "confirm", "cancel", "query"];

/// What a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Stock per product: `products` products with `stock_per_product` units each at the start.
    Stock {
        products: u32,
        stock_per_product: u32,
    },
    /// A payment ledger.
    Ledger,
    /// An order table.
    Orders,
    /// A Redis-like key-value store: `keys` keys of Zipf popularity (skew in thousandths), set
    /// with a time to live, and one list.
    KeyValue {
        keys: u32,
        key_skew_thousandths: u32,
        ttl_ns: u64,
    },
}

impl StoreKind {
    /// The kind's operations: a request's endpoint is an index into these.
    pub fn operations(&self) -> &'static [&'static str] {
        match self {
            StoreKind::Stock { .. } => STOCK_OPERATIONS,
            StoreKind::Ledger => LEDGER_OPERATIONS,
            StoreKind::Orders => ORDERS_OPERATIONS,
            StoreKind::KeyValue { .. } => KEY_VALUE_OPERATIONS,
        }
    }

    /// The endpoint index of the operation called `name`, if the kind has one.
    pub fn operation_index(&self, name: &str) -> Option<u32> {
        self.operations()
            .iter()
            .position(|&operation| operation == name)
            .map(|index| index as u32)
    }

    /// The kind's name as a scenario spells it: `stock`, `ledger`, `orders`.
    pub fn name(&self) -> &'static str {
        match self {
            StoreKind::Stock { .. } => "stock",
            StoreKind::Ledger => "ledger",
            StoreKind::Orders => "orders",
            StoreKind::KeyValue { .. } => "redis",
        }
    }
}

/// A store as the scenario declares it.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub group: GroupId,
    pub kind: StoreKind,
    /// Operations served at once (a connection pool); the rest wait in FIFO order, unbounded
    /// but counted.
    pub workers: u32,
    pub service_time: Distribution,
    /// With idempotency keys (the default), repeating an operation for the same order returns
    /// the first answer without applying it again; without, a repeated charge charges twice.
    pub idempotent: bool,
    /// A SQL store's `SELECT … FOR UPDATE`: a stock write locks its product's row for its
    /// service time, and a second write to the row waits for the lock on its connection, so a
    /// hot product shows as latency. Without, writes to one row run side by side.
    pub row_locks: bool,
}

/// One operation, whatever the kind's index for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Reserve,
    Release,
    Commit,
    Charge,
    Refund,
    Create,
    Confirm,
    Cancel,
    Query,
    /// A stock's product row, read without a lock (`SELECT stock FROM products WHERE id = $1`):
    /// always found.
    Read,
}

impl Operation {
    fn of(kind: StoreKind, endpoint: u32) -> Option<Operation> {
        let operation = match (kind, endpoint) {
            (StoreKind::Stock { .. }, 0) => Operation::Reserve,
            (StoreKind::Stock { .. }, 1) => Operation::Release,
            (StoreKind::Stock { .. }, 2) => Operation::Commit,
            (StoreKind::Stock { .. } | StoreKind::Orders, 3) | (StoreKind::Ledger, 2) => {
                Operation::Query
            }
            (StoreKind::Stock { .. }, 4) => Operation::Read,
            (StoreKind::Ledger, 0) => Operation::Charge,
            (StoreKind::Ledger, 1) => Operation::Refund,
            (StoreKind::Orders, 0) => Operation::Create,
            (StoreKind::Orders, 1) => Operation::Confirm,
            (StoreKind::Orders, 2) => Operation::Cancel,
            _ => return None,
        };
        Some(operation)
    }
}

const OK: u16 = 200;
const NOT_FOUND: u16 = 404;
const CONFLICT: u16 = 409;

/// One product's units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductStock {
    pub available: u32,
    pub reserved: u32,
    pub sold: u32,
}

/// What one order holds of its product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holding {
    pub product: u32,
    pub reserved: u32,
    pub sold: u32,
}

/// A stock's state: units per product, and what each order holds.
#[derive(Debug, Clone)]
pub struct StockState {
    stock_per_product: u32,
    products: Vec<ProductStock>,
    /// Only orders that hold at least one unit, reserved or sold.
    holdings: BTreeMap<OrderId, Holding>,
    /// With idempotency keys: orders released before they reserved anything. A compensation
    /// can overtake its action (the action waited in a queue, the compensation went another
    /// way); the late action then finds the release and is refused instead of applying.
    released_early: BTreeSet<OrderId>,
}

impl StockState {
    fn new(products: u32, stock_per_product: u32) -> StockState {
        assert!(products > 0, "a stock has at least one product");
        let full = ProductStock {
            available: stock_per_product,
            reserved: 0,
            sold: 0,
        };
        StockState {
            stock_per_product,
            products: vec![full; products as usize],
            holdings: BTreeMap::new(),
            released_early: BTreeSet::new(),
        }
    }

    /// The product an order buys: a hash of its id modulo the number of products, so orders
    /// spread over the products the same way on every run and machine, drawing no randomness.
    pub fn product_of(&self, order: OrderId) -> u32 {
        // SplitMix64's finaliser, salted differently from trace sampling's so the two choices
        // are not correlated.
        let mut x = order.root ^ (u64::from(order.client.0) << 40) ^ 0x2545_f491_4f6c_dd1d;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        (x % self.products.len() as u64) as u32
    }

    /// Units at the start of the run.
    pub fn initial_total(&self) -> u64 {
        self.products.len() as u64 * u64::from(self.stock_per_product)
    }

    pub fn available_total(&self) -> u64 {
        self.products.iter().map(|p| u64::from(p.available)).sum()
    }

    pub fn reserved_total(&self) -> u64 {
        self.products.iter().map(|p| u64::from(p.reserved)).sum()
    }

    pub fn sold_total(&self) -> u64 {
        self.products.iter().map(|p| u64::from(p.sold)).sum()
    }

    /// Each product's units, by product index.
    pub fn products(&self) -> &[ProductStock] {
        &self.products
    }

    /// The orders that hold a reservation or a sale, and what they hold.
    pub fn holdings(&self) -> &BTreeMap<OrderId, Holding> {
        &self.holdings
    }

    fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
        let product = self.product_of(order);
        if idempotent && operation == Operation::Reserve && self.released_early.contains(&order) {
            return CONFLICT;
        }
        let held = self.holdings.get(&order).copied().unwrap_or(Holding {
            product,
            reserved: 0,
            sold: 0,
        });
        let stock = &mut self.products[product as usize];
        let (status, held) = match operation {
            Operation::Reserve if stock.available == 0 => (CONFLICT, held),
            Operation::Reserve => {
                stock.available -= 1;
                stock.reserved += 1;
                let reserved = held.reserved + 1;
                (OK, Holding { reserved, ..held })
            }
            // Releasing what was never reserved is a no-op: a compensation must be safe to run
            // for a step whose outcome is unknown.
            Operation::Release if held.reserved == 0 => (OK, held),
            Operation::Release => {
                stock.reserved -= 1;
                stock.available += 1;
                let reserved = held.reserved - 1;
                (OK, Holding { reserved, ..held })
            }
            Operation::Commit if held.reserved == 0 => (CONFLICT, held),
            Operation::Commit => {
                stock.reserved -= 1;
                stock.sold += 1;
                let reserved = held.reserved - 1;
                let sold = held.sold + 1;
                (
                    OK,
                    Holding {
                        reserved,
                        sold,
                        ..held
                    },
                )
            }
            Operation::Query if held.reserved + held.sold > 0 => (OK, held),
            Operation::Query => (NOT_FOUND, held),
            Operation::Read => (OK, held),
            _ => unreachable!("a stock has no {operation:?} operation"),
        };
        if idempotent && operation == Operation::Release {
            // Once released, the order's reservation is over: a reserve that comes later (a
            // late or repeated action) is refused rather than taking stock again.
            self.released_early.insert(order);
        }
        if held.reserved + held.sold > 0 {
            self.holdings.insert(order, held);
        } else {
            self.holdings.remove(&order);
        }
        status
    }
}

/// One order's charges in a ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Charges recorded for the order (more than one only without idempotency keys).
    pub charges: u32,
    /// How many of them a refund gave back: a refund gives back every charge made before it.
    pub refunded: u32,
}

impl LedgerEntry {
    /// Charges still held: made and not refunded.
    pub fn outstanding(&self) -> u32 {
        self.charges - self.refunded
    }
}

/// A ledger's state: the charges of every order ever charged.
#[derive(Debug, Clone, Default)]
pub struct LedgerState {
    entries: BTreeMap<OrderId, LedgerEntry>,
    /// With idempotency keys: orders refunded before any charge; a late charge is refused.
    refunded_early: BTreeSet<OrderId>,
}

impl LedgerState {
    /// Every order ever charged.
    pub fn entries(&self) -> &BTreeMap<OrderId, LedgerEntry> {
        &self.entries
    }

    /// Charges recorded for the order, refunded or not.
    pub fn charge_count(&self, order: OrderId) -> u32 {
        self.entries.get(&order).map_or(0, |entry| entry.charges)
    }

    /// Orders a refund gave charges back to.
    pub fn refunded_orders(&self) -> impl Iterator<Item = OrderId> + '_ {
        self.entries
            .iter()
            .filter(|(_, entry)| entry.refunded > 0)
            .map(|(&order, _)| order)
    }

    fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
        match operation {
            Operation::Charge if idempotent && self.refunded_early.contains(&order) => CONFLICT,
            Operation::Charge => {
                self.entries.entry(order).or_default().charges += 1;
                OK
            }
            Operation::Refund => {
                // Refunding an order never charged is a no-op, like releasing stock; with
                // idempotency keys it is remembered, so a charge that comes later is refused.
                if let Some(entry) = self.entries.get_mut(&order) {
                    entry.refunded = entry.charges;
                }
                // Once refunded, the order is settled: a charge that comes later is refused.
                if idempotent {
                    self.refunded_early.insert(order);
                }
                OK
            }
            Operation::Query => {
                let charged = self
                    .entries
                    .get(&order)
                    .is_some_and(|entry| entry.outstanding() > 0);
                if charged { OK } else { NOT_FOUND }
            }
            _ => unreachable!("a ledger has no {operation:?} operation"),
        }
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Cancelled,
}

impl OrderStatus {
    pub fn name(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

/// An order table's state: every order created, with its status.
#[derive(Debug, Clone, Default)]
pub struct OrdersState {
    statuses: BTreeMap<OrderId, OrderStatus>,
}

impl OrdersState {
    pub fn statuses(&self) -> &BTreeMap<OrderId, OrderStatus> {
        &self.statuses
    }

    pub fn status(&self, order: OrderId) -> Option<OrderStatus> {
        self.statuses.get(&order).copied()
    }

    fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
        let status = self.statuses.get(&order).copied();
        let (answer, next) = match (operation, status) {
            // With idempotency keys, cancelling an order not created yet records the cancel, so
            // a create that comes later finds it cancelled.
            (Operation::Cancel, None) if idempotent => (OK, Some(OrderStatus::Cancelled)),
            (Operation::Create, None) => (OK, Some(OrderStatus::Pending)),
            // Creating an order that exists is a no-op: `create` is an insert if absent.
            (Operation::Create | Operation::Query, Some(_))
            | (Operation::Confirm, Some(OrderStatus::Confirmed))
            | (Operation::Cancel, None | Some(OrderStatus::Cancelled)) => (OK, status),
            (Operation::Confirm, Some(OrderStatus::Pending)) => (OK, Some(OrderStatus::Confirmed)),
            (Operation::Cancel, Some(OrderStatus::Pending)) => (OK, Some(OrderStatus::Cancelled)),
            (Operation::Confirm, None | Some(OrderStatus::Cancelled))
            | (Operation::Cancel, Some(OrderStatus::Confirmed)) => (CONFLICT, status),
            (Operation::Query, None) => (NOT_FOUND, status),
            _ => unreachable!("an order table has no {operation:?} operation"),
        };
        if let Some(next) = next {
            self.statuses.insert(order, next);
        }
        answer
    }
}

/// A store's durable state, for the invariants checked after a run.
#[derive(Debug, Clone)]
pub enum StoreState {
    Stock(StockState),
    Ledger(LedgerState),
    Orders(OrdersState),
    KeyValue(KeyValueState),
}

impl StoreState {
    fn new(kind: StoreKind) -> StoreState {
        match kind {
            StoreKind::Stock {
                products,
                stock_per_product,
            } => StoreState::Stock(StockState::new(products, stock_per_product)),
            StoreKind::Ledger => StoreState::Ledger(LedgerState::default()),
            StoreKind::Orders => StoreState::Orders(OrdersState::default()),
            StoreKind::KeyValue {
                keys,
                key_skew_thousandths,
                ttl_ns,
            } => StoreState::KeyValue(KeyValueState::new(
                keys,
                f64::from(key_skew_thousandths) / 1000.0,
                ttl_ns,
            )),
        }
    }

    pub fn stock(&self) -> Option<&StockState> {
        match self {
            StoreState::Stock(stock) => Some(stock),
            _ => None,
        }
    }

    pub fn ledger(&self) -> Option<&LedgerState> {
        match self {
            StoreState::Ledger(ledger) => Some(ledger),
            _ => None,
        }
    }

    pub fn orders(&self) -> Option<&OrdersState> {
        match self {
            StoreState::Orders(orders) => Some(orders),
            _ => None,
        }
    }

    fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
        match self {
            StoreState::Stock(stock) => stock.apply(operation, order, idempotent),
            StoreState::Ledger(ledger) => ledger.apply(operation, order, idempotent),
            StoreState::Orders(orders) => orders.apply(operation, order, idempotent),
            StoreState::KeyValue(_) => unreachable!("a key-value store applies by endpoint"),
        }
    }
}

/// An operation as it arrived.
struct Arrival {
    from: NodeId,
    request: Request,
    arrived_at: SimTime,
}

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
    jobs: Slab<Job>,
    waiting: VecDeque<Arrival>,
    /// With row locks: each locked row, and the jobs waiting for it in arrival order. The
    /// locks are the database process's memory: a crash aborts every transaction.
    locks: BTreeMap<u32, VecDeque<SlabKey>>,
}

impl Store {
    pub fn new(node: NodeId, config: Arc<StoreConfig>, rng: SimRng) -> Store {
        assert!(config.workers > 0, "a store has at least one worker");
        let state = StoreState::new(config.kind);
        Store {
            node,
            config,
            rng,
            state,
            answers: BTreeMap::new(),
            jobs: Slab::default(),
            waiting: VecDeque::new(),
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
        out.set_timer(now + work_ns, slab_timer(TimerKind::StoreWork, key));
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
        self.jobs.len()
    }

    /// Operations waiting for a worker now.
    pub fn queue_depth(&self) -> usize {
        self.waiting.len()
    }

    fn key(&self) -> VersionKey {
        VersionKey {
            group: self.config.group,
            version: 0,
        }
    }

    // Inputs are handed over by value, as the engine gives them up.
    #[allow(clippy::needless_pass_by_value)]
    pub fn handle(&mut self, now: SimTime, input: Input<Message>, out: &mut Outbox<Message>) {
        match input {
            Input::Message {
                from,
                message: Message::Request(request),
            } => self.on_request(now, from, request, out),
            Input::Timer(id) => match decode(id) {
                (Some(TimerKind::StoreWork), key) => self.after_work(now, SlabKey(key), out),
                (kind, _) => unreachable!("a store got a {kind:?} timer"),
            },
            Input::Crashed => self.crash(out),
            Input::Restarted => {
                debug_assert!(self.jobs.is_empty() && self.waiting.is_empty());
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
                message:
                    Message::Scrape { .. }
                    | Message::Scraped { .. }
                    | Message::Routes(_)
                    | Message::Endpoint { .. }
                    | Message::Ready { .. },
                ..
            }
            | Input::Refused {
                message:
                    Message::Scrape { .. }
                    | Message::Scraped { .. }
                    | Message::Routes(_)
                    | Message::Endpoint { .. }
                    | Message::Ready { .. },
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

    fn gauge(&self, gauge: Gauge, delta: i64, out: &mut Outbox<Message>) {
        out.record(Record::Gauge {
            key: self.key(),
            gauge,
            delta,
        });
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
        if self.jobs.len() < self.config.workers as usize {
            self.start(now, arrival, out);
        } else {
            self.waiting.push_back(arrival);
            self.gauge(Gauge::QueueDepth, 1, out);
        }
    }

    fn start(&mut self, now: SimTime, arrival: Arrival, out: &mut Outbox<Message>) {
        if now > arrival.arrived_at {
            self.span(
                &arrival.request,
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
        self.gauge(Gauge::InFlight, 1, out);
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
        self.span(&request, SpanKind::Work, job.started_at, now, 0, out);
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
        self.span(&request, SpanKind::Serve, arrived_at, now, status, out);
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
        self.gauge(Gauge::InFlight, -1, out);
        if let Some(next) = self.waiting.pop_front() {
            self.gauge(Gauge::QueueDepth, -1, out);
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

    /// Records a span of a sampled request at this store.
    fn span(
        &self,
        request: &Request,
        kind: SpanKind,
        start: SimTime,
        now: SimTime,
        status: u16,
        out: &mut Outbox<Message>,
    ) {
        request.record_span(
            self.node,
            self.config.group,
            kind,
            (start, now),
            status,
            out,
        );
    }

    /// The process dies; the database's files do not. The operations on workers and in the
    /// queue were never applied, and the kernel resets every connection the process held, so
    /// each caller learns at once (one hop later), as a service instance's callers do.
    fn crash(&mut self, out: &mut Outbox<Message>) {
        self.locks.clear();
        if let StoreState::KeyValue(state) = &mut self.state {
            state.lose_everything();
        }
        let jobs = self.jobs.drain();
        let job_count = jobs.len() as i64;
        let queued = self.waiting.len() as i64;
        let held = jobs
            .into_iter()
            .map(|job| job.arrival)
            .chain(self.waiting.drain(..));
        for arrival in held {
            let reset = Response::refusal(
                arrival.request.call,
                503,
                ReasonKind::Reset,
                self.config.group,
            );
            out.send(arrival.from, Message::Response(reset));
        }
        if job_count > 0 {
            self.gauge(Gauge::InFlight, -job_count, out);
        }
        if queued > 0 {
            self.gauge(Gauge::QueueDepth, -queued, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use meshsim_record::{ClientId, Gauge, Reason, ReasonKind, Record, ServedResult};
    use meshsim_sim::model::Action;
    use meshsim_sim::{Distribution, GroupId, Input, NodeId, Seeder, SimTime, TimerId};

    use super::{OrderId, OrderStatus, StockState, Store, StoreConfig, StoreKind, StoreState};
    use crate::message::{Message, Request, RequestContext, Response};
    use crate::outbox::Outbox;

    const GROUP: GroupId = GroupId(5);
    const MS: u64 = 1_000_000;

    fn order(root: u64) -> OrderId {
        OrderId {
            client: ClientId(0),
            root,
        }
    }

    /// A tiny engine around one store: it keeps the store's timers, fires them in order, and
    /// drops them when the store crashes, as the engines' incarnations do.
    struct Harness {
        store: Store,
        now: SimTime,
        /// Pending timers: (when, set order, id).
        timers: Vec<(SimTime, u64, TimerId)>,
        timers_set: u64,
        next_call: u64,
        /// Every answer sent: (when, to, answer).
        answers: Vec<(SimTime, NodeId, Response)>,
        records: Vec<Record>,
    }

    impl Harness {
        fn new(kind: StoreKind, workers: u32, service_time: Distribution, idem: bool) -> Self {
            Harness::seeded(kind, workers, service_time, idem, 1)
        }

        fn seeded(
            kind: StoreKind,
            workers: u32,
            service_time: Distribution,
            idempotent: bool,
            seed: u64,
        ) -> Self {
            Harness::configured(kind, workers, service_time, idempotent, seed, false)
        }

        fn configured(
            kind: StoreKind,
            workers: u32,
            service_time: Distribution,
            idempotent: bool,
            seed: u64,
            row_locks: bool,
        ) -> Self {
            let config = Arc::new(StoreConfig {
                group: GROUP,
                row_locks,
                kind,
                workers,
                service_time,
                idempotent,
            });
            let rng = Seeder::new(seed).stream("store/test/0");
            Harness {
                store: Store::new(NodeId(9), config, rng),
                now: SimTime::ZERO,
                timers: Vec::new(),
                timers_set: 0,
                next_call: 0,
                answers: Vec::new(),
                records: Vec::new(),
            }
        }

        fn input(&mut self, input: Input<Message>) {
            let mut out = Outbox::default();
            self.store.handle(self.now, input, &mut out);
            for action in out.drain() {
                match action {
                    Action::Send {
                        to,
                        message: Message::Response(response),
                    } => self.answers.push((self.now, to, response)),
                    Action::Send { .. } => panic!("a store sent a request"),
                    Action::Timer { at, id } => {
                        assert!(at >= self.now, "a timer in the past");
                        self.timers.push((at, self.timers_set, id));
                        self.timers_set += 1;
                    }
                    Action::Record(record) => self.records.push(record),
                }
            }
        }

        /// Sends operation `endpoint` for `order` from node 1; returns the call's key.
        fn send(&mut self, endpoint: u32, order: OrderId) -> u64 {
            let call = self.next_call;
            self.next_call += 1;
            let request = Request {
                call,
                endpoint,
                context: RequestContext {
                    root: order.root,
                    client: order.client.0,
                    headers: 0,
                    sampled: false,
                },
                caller: 1,
            };
            self.input(Input::Message {
                from: NodeId(1),
                message: Message::Request(request),
            });
            call
        }

        /// Fires the earliest timer due by `until`, if any, moving the clock to it.
        fn fire_next(&mut self, until: SimTime) -> bool {
            let Some(index) = (0..self.timers.len())
                .filter(|&index| self.timers[index].0 <= until)
                .min_by_key(|&index| (self.timers[index].0, self.timers[index].1))
            else {
                return false;
            };
            let (at, _, id) = self.timers.remove(index);
            self.now = at;
            self.input(Input::Timer(id));
            true
        }

        /// Fires every timer due by `until`, in order, and moves the clock there.
        fn advance(&mut self, until: SimTime) {
            while self.fire_next(until) {}
            self.now = until;
        }

        /// Fires every timer left; the clock stays at the last one.
        fn settle(&mut self) {
            while self.fire_next(SimTime::MAX) {}
        }

        fn crash(&mut self) {
            self.input(Input::Crashed);
            self.timers.clear();
        }

        /// The answer to call `call`.
        fn answer(&self, call: u64) -> Response {
            let answers: Vec<_> = self.answers.iter().filter(|a| a.2.call == call).collect();
            assert_eq!(answers.len(), 1, "call {call} answered once");
            answers[0].2
        }

        /// Sends one operation and waits for its answer.
        fn call(&mut self, endpoint: u32, order: OrderId) -> u16 {
            let call = self.send(endpoint, order);
            self.settle();
            self.answer(call).status
        }

        fn stock(&self) -> &StockState {
            self.store.state().stock().expect("a stock")
        }

        /// The gauge's value now: the sum of its moves.
        fn gauge(&self, wanted: Gauge) -> i64 {
            self.gauge_path(wanted).last().copied().unwrap_or(0)
        }

        fn gauge_path(&self, wanted: Gauge) -> Vec<i64> {
            let mut value = 0;
            let mut path = Vec::new();
            for record in &self.records {
                if let Record::Gauge { key, gauge, delta } = record {
                    assert_eq!((key.group, key.version), (GROUP, 0));
                    if *gauge == wanted {
                        value += delta;
                        path.push(value);
                    }
                }
            }
            path
        }
    }

    const STOCK_RESERVE: u32 = 0;
    const STOCK_RELEASE: u32 = 1;
    const STOCK_COMMIT: u32 = 2;
    const STOCK_QUERY: u32 = 3;
    const CHARGE: u32 = 0;
    const REFUND: u32 = 1;
    const LEDGER_QUERY: u32 = 2;
    const CREATE: u32 = 0;
    const CONFIRM: u32 = 1;
    const CANCEL: u32 = 2;
    const ORDERS_QUERY: u32 = 3;

    fn instant() -> Distribution {
        Distribution::Const { value_ns: MS }
    }

    fn assert_conserved(stock: &StockState) {
        let (available, reserved, sold) = (
            stock.available_total(),
            stock.reserved_total(),
            stock.sold_total(),
        );
        assert_eq!(stock.initial_total(), available + reserved + sold);
        let held_reserved: u64 = stock
            .holdings()
            .values()
            .map(|h| u64::from(h.reserved))
            .sum();
        let held_sold: u64 = stock.holdings().values().map(|h| u64::from(h.sold)).sum();
        assert_eq!((held_reserved, held_sold), (reserved, sold));
        for (&order, holding) in stock.holdings() {
            assert_eq!(holding.product, stock.product_of(order));
            assert!(
                holding.reserved + holding.sold > 0,
                "only holders are listed"
            );
        }
    }

    #[test]
    fn row_locks_serialise_writes_to_one_product_and_not_reads() {
        // One product: every order writes the same row. Three reserves and a query arrive
        // together on four connections; each write takes 10 ms.
        let stock = StoreKind::Stock {
            products: 1,
            stock_per_product: 10,
        };
        let ten_ms = Distribution::Const { value_ns: 10 * MS };
        for (row_locks, expected) in [(true, [10, 20, 30]), (false, [10, 10, 10])] {
            let mut harness = Harness::configured(stock, 4, ten_ms, true, 1, row_locks);
            let writes: Vec<u64> = (1..=3).map(|root| harness.send(0, order(root))).collect();
            let query = harness.send(3, order(9));
            harness.advance(SimTime::from_nanos(100 * MS));
            let at = |call: u64| {
                harness
                    .answers
                    .iter()
                    .find(|(_, _, response)| response.call == call)
                    .map(|(time, _, _)| time.as_nanos() / MS)
                    .expect("answered")
            };
            let times: Vec<u64> = writes.iter().map(|&call| at(call)).collect();
            assert_eq!(times, expected, "row locks {row_locks}");
            assert_eq!(at(query), 10, "a read takes no lock");
        }
    }

    #[test]
    fn operation_names_map_to_endpoints() {
        let stock = StoreKind::Stock {
            products: 1,
            stock_per_product: 1,
        };
        assert_eq!(
            stock.operations(),
            ["reserve", "release", "commit", "query", "read"]
        );
        assert_eq!(
            StoreKind::Ledger.operations(),
            ["charge", "refund", "query"]
        );
        assert_eq!(
            StoreKind::Orders.operations(),
            ["create", "confirm", "cancel", "query"]
        );
        assert_eq!(stock.operation_index("commit"), Some(STOCK_COMMIT));
        assert_eq!(
            StoreKind::Ledger.operation_index("query"),
            Some(LEDGER_QUERY)
        );
        assert_eq!(StoreKind::Orders.operation_index("cancel"), Some(CANCEL));
        assert_eq!(StoreKind::Ledger.operation_index("reserve"), None);
    }

    #[test]
    fn orders_spread_over_the_products_deterministically() {
        let stock = StockState::new(4, 1);
        let products: Vec<u32> = (0..400).map(|root| stock.product_of(order(root))).collect();
        let again: Vec<u32> = (0..400).map(|root| stock.product_of(order(root))).collect();
        assert_eq!(products, again);
        for product in 0..4 {
            let count = products.iter().filter(|&&p| p == product).count();
            assert!(
                (60..140).contains(&count),
                "product {product}: {count} of 400"
            );
        }
    }

    #[test]
    fn stock_is_conserved_under_any_sequence_of_operations() {
        // What the runs went through, so the test cannot pass by doing nothing.
        let (mut conflicts, mut ended_reserved, mut ended_sold) = (0, 0, 0);
        for idempotent in [true, false] {
            for seed in 0..20 {
                let kind = StoreKind::Stock {
                    products: 3,
                    stock_per_product: 4,
                };
                let service_time = Distribution::Uniform {
                    min_ns: MS,
                    max_ns: 5 * MS,
                };
                let mut harness = Harness::seeded(kind, 3, service_time, idempotent, seed);
                let mut script = Seeder::new(seed).stream("script");
                for _ in 0..300 {
                    let endpoint = script.below(4) as u32;
                    harness.send(endpoint, order(script.below(20)));
                    let until = harness.now + script.below(3 * MS);
                    harness.advance(until);
                    assert_conserved(harness.stock());
                    if script.chance(0.02) {
                        harness.crash();
                        harness.input(Input::Restarted);
                        assert_conserved(harness.stock());
                    }
                }
                harness.settle();
                let stock = harness.stock();
                assert_conserved(stock);
                conflicts += harness.answers.iter().filter(|a| a.2.status == 409).count();
                ended_reserved += stock.reserved_total();
                ended_sold += stock.sold_total();
            }
        }
        assert!(conflicts > 0 && ended_reserved > 0 && ended_sold > 0);
    }

    #[test]
    fn reserving_out_of_stock_is_a_conflict() {
        let kind = StoreKind::Stock {
            products: 1,
            stock_per_product: 2,
        };
        let mut harness = Harness::new(kind, 1, instant(), true);
        assert_eq!(harness.call(STOCK_RESERVE, order(1)), 200);
        assert_eq!(harness.call(STOCK_RESERVE, order(2)), 200);
        let call = harness.send(STOCK_RESERVE, order(3));
        harness.settle();
        let conflict = harness.answer(call);
        assert_eq!(conflict.status, 409);
        assert_eq!(
            conflict.reason,
            Reason {
                kind: ReasonKind::Error,
                group: Some(GROUP)
            }
        );
        assert_eq!(harness.stock().available_total(), 0);
        assert_eq!(harness.stock().reserved_total(), 2);
        // A commit of nothing reserved is a conflict too; a commit of a reservation sells it.
        assert_eq!(harness.call(STOCK_COMMIT, order(3)), 409);
        assert_eq!(harness.call(STOCK_COMMIT, order(1)), 200);
        assert_eq!(harness.call(STOCK_QUERY, order(1)), 200);
        assert_eq!(harness.call(STOCK_QUERY, order(3)), 404);
        // Released stock serves a new order; the refused order's key still has its first answer.
        assert_eq!(harness.call(STOCK_RELEASE, order(2)), 200);
        assert_eq!(harness.call(STOCK_QUERY, order(2)), 404);
        assert_eq!(harness.call(STOCK_RESERVE, order(3)), 409);
        assert_eq!(harness.call(STOCK_RESERVE, order(4)), 200);
        let stock = harness.stock();
        assert_eq!(
            (
                stock.available_total(),
                stock.reserved_total(),
                stock.sold_total()
            ),
            (0, 1, 1)
        );
        let holders: Vec<u64> = stock.holdings().keys().map(|order| order.root).collect();
        assert_eq!(holders, [1, 4]);
    }

    #[test]
    fn with_idempotency_keys_a_repeat_applies_once() {
        let mut ledger = Harness::new(StoreKind::Ledger, 2, instant(), true);
        // Two at once, as a retry racing the original: the first to finish applies.
        let first = ledger.send(CHARGE, order(7));
        let second = ledger.send(CHARGE, order(7));
        ledger.settle();
        assert_eq!(ledger.answer(first).status, 200);
        assert_eq!(ledger.answer(second).status, 200);
        assert_eq!(ledger.call(CHARGE, order(7)), 200);
        let state = ledger.store.state().ledger().expect("a ledger");
        assert_eq!(state.charge_count(order(7)), 1);

        let kind = StoreKind::Stock {
            products: 2,
            stock_per_product: 5,
        };
        let mut stock = Harness::new(kind, 1, instant(), true);
        assert_eq!(stock.call(STOCK_RESERVE, order(1)), 200);
        assert_eq!(stock.call(STOCK_RESERVE, order(1)), 200);
        assert_eq!(stock.stock().reserved_total(), 1);
        assert_eq!(stock.call(STOCK_RELEASE, order(1)), 200);
        assert_eq!(stock.call(STOCK_RELEASE, order(1)), 200);
        assert_eq!(stock.stock().available_total(), 10);

        // Queries are never remembered: they read the state as it is now.
        let mut orders = Harness::new(StoreKind::Orders, 1, instant(), true);
        assert_eq!(orders.call(ORDERS_QUERY, order(3)), 404);
        assert_eq!(orders.call(CREATE, order(3)), 200);
        assert_eq!(orders.call(ORDERS_QUERY, order(3)), 200);
    }

    #[test]
    fn without_idempotency_keys_a_repeat_applies_again() {
        let mut ledger = Harness::new(StoreKind::Ledger, 1, instant(), false);
        assert_eq!(ledger.call(CHARGE, order(7)), 200);
        assert_eq!(ledger.call(CHARGE, order(7)), 200);
        let state = ledger.store.state().ledger().expect("a ledger");
        assert_eq!(state.charge_count(order(7)), 2);
        assert_eq!(ledger.call(REFUND, order(7)), 200);
        assert_eq!(ledger.call(LEDGER_QUERY, order(7)), 404);
        let state = ledger.store.state().ledger().expect("a ledger");
        assert_eq!(state.entries()[&order(7)].outstanding(), 0);
        assert_eq!(state.refunded_orders().collect::<Vec<_>>(), [order(7)]);

        let kind = StoreKind::Stock {
            products: 1,
            stock_per_product: 5,
        };
        let mut stock = Harness::new(kind, 1, instant(), false);
        assert_eq!(stock.call(STOCK_RESERVE, order(1)), 200);
        assert_eq!(stock.call(STOCK_RESERVE, order(1)), 200);
        assert_eq!(stock.stock().reserved_total(), 2);
        // One release gives back one unit: the retried reservation leaks the other.
        assert_eq!(stock.call(STOCK_RELEASE, order(1)), 200);
        assert_eq!(stock.stock().reserved_total(), 1);
        assert_eq!(stock.stock().holdings()[&order(1)].reserved, 1);
    }

    #[test]
    fn compensating_what_never_happened_is_a_no_op() {
        let kind = StoreKind::Stock {
            products: 3,
            stock_per_product: 2,
        };
        for idempotent in [true, false] {
            let mut stock = Harness::new(kind, 1, instant(), idempotent);
            assert_eq!(stock.call(STOCK_RELEASE, order(1)), 200);
            assert_eq!(stock.stock().available_total(), 6);
            assert!(stock.stock().holdings().is_empty());

            let mut ledger = Harness::new(StoreKind::Ledger, 1, instant(), idempotent);
            assert_eq!(ledger.call(REFUND, order(1)), 200);
            let state = ledger.store.state().ledger().expect("a ledger");
            assert!(state.entries().is_empty());
            assert_eq!(state.refunded_orders().count(), 0);

            let mut orders = Harness::new(StoreKind::Orders, 1, instant(), idempotent);
            assert_eq!(orders.call(CANCEL, order(1)), 200);
            let state = orders.store.state().orders().expect("an order table");
            // With idempotency keys the cancel is remembered (see the next test).
            if idempotent {
                assert_eq!(state.status(order(1)), Some(OrderStatus::Cancelled));
            } else {
                assert!(state.statuses().is_empty());
            }
        }
    }

    #[test]
    fn a_compensation_that_overtakes_its_action_makes_the_late_action_refused() {
        // The compensation arrived first (the action waited in a queue elsewhere): with
        // idempotency keys, the late action is refused instead of applying for good.
        let kind = StoreKind::Stock {
            products: 1,
            stock_per_product: 2,
        };
        let mut stock = Harness::new(kind, 1, instant(), true);
        assert_eq!(stock.call(STOCK_RELEASE, order(1)), 200);
        assert_eq!(stock.call(STOCK_RESERVE, order(1)), 409);
        assert_eq!(stock.stock().available_total(), 2);
        let mut ledger = Harness::new(StoreKind::Ledger, 1, instant(), true);
        assert_eq!(ledger.call(REFUND, order(1)), 200);
        assert_eq!(ledger.call(CHARGE, order(1)), 409);
        let entries = ledger.store.state().ledger().expect("a ledger").entries();
        assert!(entries.is_empty());
        let mut orders = Harness::new(StoreKind::Orders, 1, instant(), true);
        assert_eq!(orders.call(CANCEL, order(1)), 200);
        assert_eq!(orders.call(CREATE, order(1)), 200);
        assert_eq!(orders.call(CONFIRM, order(1)), 409);
        // Without the keys the late action applies: the anomaly the invariants catch.
        let mut naive = Harness::new(StoreKind::Ledger, 1, instant(), false);
        assert_eq!(naive.call(REFUND, order(1)), 200);
        assert_eq!(naive.call(CHARGE, order(1)), 200);
    }

    #[test]
    fn orders_follow_their_lifecycle() {
        let mut orders = Harness::new(StoreKind::Orders, 1, instant(), false);
        assert_eq!(orders.call(CONFIRM, order(1)), 409);
        assert_eq!(orders.call(CREATE, order(1)), 200);
        assert_eq!(orders.call(CREATE, order(1)), 200);
        assert_eq!(orders.call(CONFIRM, order(1)), 200);
        assert_eq!(orders.call(CANCEL, order(1)), 409);
        assert_eq!(orders.call(CREATE, order(2)), 200);
        assert_eq!(orders.call(CANCEL, order(2)), 200);
        assert_eq!(orders.call(CONFIRM, order(2)), 409);
        assert_eq!(orders.call(CREATE, order(3)), 200);
        assert_eq!(orders.call(ORDERS_QUERY, order(3)), 200);
        assert_eq!(orders.call(ORDERS_QUERY, order(4)), 404);
        let state = orders.store.state().orders().expect("an order table");
        let statuses: Vec<&str> = state.statuses().values().map(|s| s.name()).collect();
        assert_eq!(statuses, ["confirmed", "cancelled", "pending"]);
        assert_eq!(state.status(order(2)), Some(OrderStatus::Cancelled));
    }

    #[test]
    fn a_crash_loses_operations_keeps_the_state_and_resets_the_callers() {
        let service_time = Distribution::Const { value_ns: 10 * MS };
        let mut ledger = Harness::new(StoreKind::Ledger, 1, service_time, true);
        assert_eq!(ledger.call(CHARGE, order(1)), 200);
        let calls: Vec<u64> = [2, 3, 4]
            .into_iter()
            .map(|root| ledger.send(CHARGE, order(root)))
            .collect();
        let until = ledger.now + 5 * MS;
        ledger.advance(until);
        assert_eq!(
            (ledger.store.busy_workers(), ledger.store.queue_depth()),
            (1, 2)
        );
        let answered = ledger.answers.len();
        ledger.crash();
        let resets: Vec<Response> = ledger.answers[answered..].iter().map(|a| a.2).collect();
        let reset = Reason {
            kind: ReasonKind::Reset,
            group: Some(GROUP),
        };
        let expected: Vec<Response> = calls
            .iter()
            .map(|&call| Response {
                call,
                status: 503,
                reason: reset,
            })
            .collect();
        assert_eq!(
            resets, expected,
            "the worker's caller first, then the queue's"
        );
        assert!(ledger.answers[answered..].iter().all(|a| a.1 == NodeId(1)));
        assert_eq!(
            (ledger.store.busy_workers(), ledger.store.queue_depth()),
            (0, 0)
        );
        assert_eq!(
            (
                ledger.gauge(Gauge::InFlight),
                ledger.gauge(Gauge::QueueDepth)
            ),
            (0, 0)
        );
        let state = ledger.store.state().ledger().expect("a ledger");
        let charged: Vec<_> = state.entries().keys().copied().collect();
        assert_eq!(
            charged,
            [order(1)],
            "nothing in progress applied; order 1 survived"
        );
        let served = ledger
            .records
            .iter()
            .filter(|r| matches!(r, Record::Served { .. }))
            .count();
        assert_eq!(served, 1, "a reset is not an answer served");

        ledger.input(Input::Restarted);
        // The remembered answers are durable too: a retry of order 1 does not charge again.
        assert_eq!(ledger.call(CHARGE, order(1)), 200);
        assert_eq!(ledger.call(CHARGE, order(2)), 200);
        let state = ledger.store.state().ledger().expect("a ledger");
        assert_eq!(state.charge_count(order(1)), 1);
        assert_eq!(state.charge_count(order(2)), 1);
    }

    #[test]
    fn operations_wait_in_fifo_order_for_one_of_the_workers() {
        let service_time = Distribution::Const { value_ns: 10 * MS };
        let mut orders = Harness::new(StoreKind::Orders, 2, service_time, true);
        let calls: Vec<u64> = (0..5)
            .map(|root| orders.send(CREATE, order(root)))
            .collect();
        assert_eq!(
            (orders.store.busy_workers(), orders.store.queue_depth()),
            (2, 3)
        );
        orders.settle();
        let answered: Vec<(u64, u64)> = orders
            .answers
            .iter()
            .map(|a| (a.0.as_nanos() / MS, a.2.call))
            .collect();
        let expected: Vec<(u64, u64)> = [10, 10, 20, 20, 30].into_iter().zip(calls).collect();
        assert_eq!(answered, expected);
        let latencies: Vec<u64> = orders
            .records
            .iter()
            .filter_map(|record| match record {
                Record::Served {
                    key,
                    node,
                    latency_ns,
                    result: ServedResult::Succeeded,
                } if key.group == GROUP && key.version == 0 && *node == NodeId(9) => {
                    Some(latency_ns / MS)
                }
                _ => None,
            })
            .collect();
        assert_eq!(latencies, [10, 10, 20, 20, 30]);
        let in_flight = orders.gauge_path(Gauge::InFlight);
        assert_eq!(in_flight.iter().max(), Some(&2));
        assert_eq!(in_flight.last(), Some(&0));
        let queue = orders.gauge_path(Gauge::QueueDepth);
        assert_eq!(queue.iter().max(), Some(&3));
        assert_eq!(queue.last(), Some(&0));
    }

    /// Runs a contended, non-idempotent stock with random service times; returns every answer.
    fn contended_run(seed: u64) -> (Vec<(u64, u64, u16)>, StoreState) {
        let kind = StoreKind::Stock {
            products: 2,
            stock_per_product: 3,
        };
        let service_time = Distribution::Exp {
            mean_ns: 2.0 * MS as f64,
        };
        let mut harness = Harness::seeded(kind, 2, service_time, false, seed);
        let mut script = Seeder::new(99).stream("script");
        for _ in 0..100 {
            let endpoint = script.below(4) as u32;
            harness.send(endpoint, order(script.below(8)));
            let until = harness.now + MS;
            harness.advance(until);
        }
        harness.settle();
        let answers = harness
            .answers
            .iter()
            .map(|a| (a.0.as_nanos(), a.2.call, a.2.status))
            .collect();
        (answers, harness.store.state().clone())
    }

    #[test]
    fn the_same_seed_gives_the_same_answers() {
        let (first, first_state) = contended_run(7);
        let (second, second_state) = contended_run(7);
        assert_eq!(first.len(), 100);
        assert_eq!(first, second);
        let holdings = |state: &StoreState| state.stock().expect("a stock").holdings().clone();
        assert_eq!(holdings(&first_state), holdings(&second_state));
        let (other, _) = contended_run(8);
        assert_ne!(first, other, "another seed draws other service times");
    }
}
