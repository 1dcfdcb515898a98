//! An orders store's orders and their status.

use std::collections::BTreeMap;

use super::operation::{CONFLICT, NOT_FOUND, OK, Operation};
use crate::order_id::OrderId;

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

    pub(crate) fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
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
