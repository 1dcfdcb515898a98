//! A store's state, whichever its kind: what its operations change and the run reports.

use super::kind::StoreKind;
use super::ledger::LedgerState;
use super::operation::Operation;
use super::orders::OrdersState;
use super::stock::StockState;
use crate::key_value::KeyValueState;
use crate::order_id::OrderId;

/// A store's durable state, for the invariants checked after a run.
#[derive(Debug, Clone)]
pub enum StoreState {
    Stock(StockState),
    Ledger(LedgerState),
    Orders(OrdersState),
    KeyValue(KeyValueState),
}

impl StoreState {
    pub(crate) fn new(kind: StoreKind) -> StoreState {
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

    pub(crate) fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
        match self {
            StoreState::Stock(stock) => stock.apply(operation, order, idempotent),
            StoreState::Ledger(ledger) => ledger.apply(operation, order, idempotent),
            StoreState::Orders(orders) => orders.apply(operation, order, idempotent),
            StoreState::KeyValue(_) => unreachable!("a key-value store applies by endpoint"),
        }
    }
}
