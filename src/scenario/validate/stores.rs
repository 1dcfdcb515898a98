//! `[[store]]`: each kind's keys and limits, and the operations each kind has.

use indexmap::IndexMap;
use meshsim_models::KEY_VALUE_OPERATIONS;
use meshsim_models::{
    LEDGER_OPERATIONS, ORDERS_OPERATIONS, STOCK_OPERATIONS, StoreKind as ModelStoreKind,
};

use super::checker::{Checker, root};
use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::number::Real;
use crate::scenario::schema::{Store, StoreKind};

impl Checker<'_, '_> {
    pub(super) fn check_stores(&mut self) {
        let mut seen = IndexMap::new();
        for (index, store) in self.scenario.stores.iter().enumerate() {
            let path = root("store").index(index);
            self.name(&path.key("name"), &store.name, "store name");
            self.unique(&mut seen, &store.name, &path.key("name"), "store name");
            self.host_name_clash(&path.key("name"), &store.name, "store");
            self.whole_at_least(&path.key("workers"), u64::from(store.workers), 1);
            self.whole_at_most(
                &path.key("workers"),
                u64::from(store.workers),
                u64::from(limits::WORKERS_PER_INSTANCE_MAX),
                "workers",
            );
            self.whole_at_most(
                &path.key("queue"),
                u64::from(store.queue),
                u64::from(limits::QUEUE_MAX),
                "operations queued",
            );
            if let Some(service_time) = &store.service_time {
                self.distribution(&path.key("service_time"), service_time);
            }
            self.resolving.stores[index] = resolved_kind(store);
            let stock = store.kind == StoreKind::Stock;
            for (key, value) in [
                ("products", store.products),
                ("stock_per_product", store.stock_per_product),
            ] {
                match (stock, value) {
                    (true, None) => {
                        self.error(&path, format!("a stock store needs `{key}`"))
                            .set_hint("products = 10 and stock_per_product = 100, say");
                    }
                    (true, Some(value)) => {
                        self.whole_at_least(&path.key(key), u64::from(value), 1);
                        self.whole_at_most(
                            &path.key(key),
                            u64::from(value),
                            u64::from(limits::STOCK_MAX),
                            key,
                        );
                    }
                    (false, Some(_)) => {
                        self.error_at_key(
                            &path.key(key),
                            format!("`{key}` is for stock stores only"),
                        );
                    }
                    (false, None) => {}
                }
            }
            let redis = store.kind == StoreKind::Redis;
            for (key, present) in [
                ("keys", store.keys.is_some()),
                ("key_skew", store.key_skew.is_some()),
                ("ttl", store.ttl.is_some()),
            ] {
                if present && !redis {
                    self.error_at_key(&path.key(key), format!("`{key}` is for redis stores only"));
                }
            }
            if let Some(keys) = store.keys {
                self.whole_at_least(&path.key("keys"), u64::from(keys), 1);
                self.whole_at_most(
                    &path.key("keys"),
                    u64::from(keys),
                    u64::from(limits::REDIS_KEYS_MAX),
                    "keys",
                );
            }
            if let Some(skew) = store.key_skew
                && !(0.0..=10.0).contains(&skew.get())
            {
                self.error(&path.key("key_skew"), "`key_skew` must be from 0 to 10")
                    .set_hint("0 spreads requests evenly over the keys; 1 is the classic Zipf law");
            }
            if store.row_locks && !stock {
                self.error_at_key(
                    &path.key("row_locks"),
                    "`row_locks` is for stock stores only",
                )
                .set_hint("row locks serialise writes to one product's stock row");
            }
        }
    }
}

/// The operations of a store kind, by index: the models' own tables, so that a call validation
/// accepts is one the store can serve.
pub(super) fn store_operations(kind: StoreKind) -> &'static [&'static str] {
    match kind {
        StoreKind::Stock => STOCK_OPERATIONS,
        StoreKind::Ledger => LEDGER_OPERATIONS,
        StoreKind::Orders => ORDERS_OPERATIONS,
        StoreKind::Redis => KEY_VALUE_OPERATIONS,
    }
}

pub(super) fn store_kind_name(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Stock => "stock",
        StoreKind::Ledger => "ledger",
        StoreKind::Orders => "orders",
        StoreKind::Redis => "redis",
    }
}

/// A store's kind as the store model takes it, when it has the keys its kind needs; a Redis
/// store's omitted keys take their defaults here, once.
fn resolved_kind(store: &Store) -> Option<ModelStoreKind> {
    Some(match store.kind {
        StoreKind::Stock => ModelStoreKind::Stock {
            products: store.products?,
            stock_per_product: store.stock_per_product?,
        },
        StoreKind::Ledger => ModelStoreKind::Ledger,
        StoreKind::Orders => ModelStoreKind::Orders,
        StoreKind::Redis => ModelStoreKind::KeyValue {
            keys: store.keys.unwrap_or(REDIS_KEYS_DEFAULT),
            key_skew_thousandths: (store.key_skew.map_or(1.0, Real::get) * 1000.0).round() as u32,
            ttl_ns: store.ttl.map_or(REDIS_TTL_DEFAULT_NS, Duration::as_nanos),
        },
    })
}

/// Keys a Redis store's requests spread over when `keys` is omitted.
const REDIS_KEYS_DEFAULT: u32 = 1_000;

/// The time to live of a Redis store's `SETEX` when `ttl` is omitted: a minute.
const REDIS_TTL_DEFAULT_NS: u64 = 60_000_000_000;
