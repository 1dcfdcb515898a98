//! A store's kind (stock, ledger, orders, key-value) and its operations, the one table that
//! validation and the store both read.

use meshsim_sim::{Distribution, GroupId};

use crate::key_value::KEY_VALUE_OPERATIONS;

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
    /// Operations served at once (a connection pool); the rest wait in FIFO order.
    pub workers: u32,
    /// Operations waiting for a worker at most; beyond, an operation is shed with 503.
    pub queue: u32,
    pub service_time: Distribution,
    /// With idempotency keys (the default), repeating an operation for the same order returns
    /// the first answer without applying it again; without, a repeated charge charges twice.
    pub idempotent: bool,
    /// A SQL store's `SELECT … FOR UPDATE`: a stock write locks its product's row for its
    /// service time, and a second write to the row waits for the lock on its connection, so a
    /// hot product shows as latency. Without, writes to one row run side by side.
    pub row_locks: bool,
}
