//! A stock store's products and holdings: reserve, release, commit, query, read.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use super::operation::{CONFLICT, NOT_FOUND, OK, Operation};
use crate::order_id::OrderId;

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
    pub(crate) fn new(products: u32, stock_per_product: u32) -> StockState {
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

    pub(crate) fn apply(&mut self, operation: Operation, order: OrderId, idempotent: bool) -> u16 {
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
