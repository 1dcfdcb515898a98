//! Each store's model: its kind's operations, its workers, queue and service time.

use std::sync::Arc;

use meshsim_models::{Node, Store, StoreConfig, StoreKind};
use meshsim_sim::{Distribution, Seeder};

use super::distribution::distribution;
use crate::layout::Layout;
use crate::scenario::{Duration, Real};
use crate::scenario::{resolved, schema};

/// Store `index`'s model, on the node laid out for it.
pub(super) fn store_model(
    store: &schema::Store,
    kind: resolved::StoreKind,
    layout: &Layout,
    index: usize,
    seeder: Seeder,
) -> Node {
    let config = StoreConfig {
        group: layout.stores[index].group,
        kind: store_kind(store, kind),
        workers: store.workers,
        queue: store.queue,
        service_time: store
            .service_time
            .as_ref()
            .map_or(Distribution::ZERO, distribution),
        idempotent: store.idempotent,
        row_locks: store.row_locks,
    };
    let rng = seeder.stream(&format!("store/{}", store.name));
    Node::Store(Box::new(Store::new(
        layout.stores[index].node,
        Arc::new(config),
        rng,
    )))
}

/// The model's kind of `store`, resolved as `kind`, with a Redis store's defaults filled in.
pub(super) fn store_kind(store: &schema::Store, kind: resolved::StoreKind) -> StoreKind {
    match kind {
        resolved::StoreKind::Stock {
            products,
            stock_per_product,
        } => StoreKind::Stock {
            products,
            stock_per_product,
        },
        resolved::StoreKind::Ledger => StoreKind::Ledger,
        resolved::StoreKind::Orders => StoreKind::Orders,
        resolved::StoreKind::Redis => StoreKind::KeyValue {
            keys: store.keys.unwrap_or(REDIS_KEYS_DEFAULT),
            key_skew_thousandths: (store.key_skew.map_or(1.0, Real::get) * 1000.0).round() as u32,
            ttl_ns: store.ttl.map_or(REDIS_TTL_DEFAULT_NS, Duration::as_nanos),
        },
    }
}

/// Keys a Redis store's requests spread over when `keys` is omitted.
const REDIS_KEYS_DEFAULT: u32 = 1_000;

/// The time to live of a Redis store's `SETEX` when `ttl` is omitted: a minute.
const REDIS_TTL_DEFAULT_NS: u64 = 60_000_000_000;
