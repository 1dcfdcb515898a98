use std::sync::Arc;

use meshsim_record::{ClientId, Gauge, Reason, ReasonKind, Record, ServedResult};
use meshsim_sim::Action;
use meshsim_sim::{Distribution, GroupId, Input, NodeId, Seeder, SimTime, TimerId};

use super::{OrderId, OrderStatus, StockState, Store, StoreConfig, StoreKind, StoreState};
use crate::message::{Message, Request, RequestContext, Response};
use crate::outbox::Outbox;

const GROUP: GroupId = GroupId(5);
const MS: u64 = 1_000_000;
/// The queue of the tests' stores: deeper than any of them fills.
const QUEUE: u32 = 1_000;

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
        let config = StoreConfig {
            group: GROUP,
            row_locks,
            kind,
            workers,
            queue: QUEUE,
            service_time,
            idempotent,
        };
        Harness::of(config, seed)
    }

    /// A store of `config`, its service times drawn from `seed`.
    fn of(config: StoreConfig, seed: u64) -> Self {
        let rng = Seeder::new(seed).stream("store/test/0");
        Harness {
            store: Store::new(NodeId(9), Arc::new(config), rng),
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
            call: crate::message::CallKey(call),
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
        let answers: Vec<_> = self.answers.iter().filter(|a| a.2.call.0 == call).collect();
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
        let mut harness = Harness::configured(stock, 4, ten_ms.clone(), true, 1, row_locks);
        let writes: Vec<u64> = (1..=3).map(|root| harness.send(0, order(root))).collect();
        let query = harness.send(3, order(9));
        harness.advance(SimTime::from_nanos(100 * MS));
        let at = |call: u64| {
            harness
                .answers
                .iter()
                .find(|(_, _, response)| response.call.0 == call)
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
            call: crate::message::CallKey(call),
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
        .map(|a| (a.0.as_nanos() / MS, a.2.call.0))
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
        .map(|a| (a.0.as_nanos(), a.2.call.0, a.2.status))
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

#[test]
fn a_full_queue_sheds_with_503_as_a_service_does() {
    let config = StoreConfig {
        group: GROUP,
        kind: StoreKind::Orders,
        workers: 1,
        queue: 2,
        service_time: Distribution::Const { value_ns: 10 * MS },
        idempotent: true,
        row_locks: false,
    };
    let mut orders = Harness::of(config, 1);
    let calls: Vec<u64> = (0..5)
        .map(|root| orders.send(CREATE, order(root)))
        .collect();
    assert_eq!(
        (orders.store.busy_workers(), orders.store.queue_depth()),
        (1, 2)
    );
    // The two beyond the queue are answered at once, and counted served (shed).
    let answered: Vec<(u64, u32, Response)> = orders
        .answers
        .iter()
        .map(|a| (a.0.as_nanos(), a.1.0, a.2))
        .collect();
    let shed_reason = Reason {
        kind: ReasonKind::Shed,
        group: Some(GROUP),
    };
    let expected: Vec<(u64, u32, Response)> = calls[3..]
        .iter()
        .map(|&call| {
            let response = Response {
                call: crate::message::CallKey(call),
                status: 503,
                reason: shed_reason,
            };
            (0, 1, response)
        })
        .collect();
    assert_eq!(answered, expected);
    orders.settle();
    let results: Vec<ServedResult> = orders
        .records
        .iter()
        .filter_map(|record| match record {
            Record::Served { result, .. } => Some(*result),
            _ => None,
        })
        .collect();
    let (shed, succeeded) = (ServedResult::Shed, ServedResult::Succeeded);
    assert_eq!(results, [shed, shed, succeeded, succeeded, succeeded]);
    let state = orders.store.state().orders().expect("an order table");
    assert_eq!(
        state.status(order(3)),
        None,
        "a shed operation never applies"
    );
    assert_eq!(
        (
            orders.gauge(Gauge::InFlight),
            orders.gauge(Gauge::QueueDepth)
        ),
        (0, 0)
    );
    assert_eq!(orders.gauge_path(Gauge::QueueDepth).iter().max(), Some(&2));
}

#[test]
fn every_store_timer_round_trips_to_its_old_id() {
    use super::timer::StoreTimer;
    use crate::slab::SlabKey;

    crate::timer::testing::assert_codec(&[(
        StoreTimer::Work(SlabKey(2 << 32 | 8)),
        13 << 56 | 2 << 32 | 8,
    )]);
}
