//! A ledger store's charges and refunds.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use super::operation::{CONFLICT, NOT_FOUND, OK, Operation};
use crate::order_id::OrderId;

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

    pub(crate) fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
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
