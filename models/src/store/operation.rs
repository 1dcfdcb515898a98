//! One operation of a store, whatever its kind's index for it, and the statuses it answers.

use super::kind::StoreKind;

/// One operation, whatever the kind's index for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
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
    pub(crate) fn of(kind: StoreKind, endpoint: u32) -> Option<Operation> {
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

pub(crate) const OK: u16 = 200;
pub(crate) const NOT_FOUND: u16 = 404;
pub(crate) const CONFLICT: u16 = 409;
