//! Each store's model: its kind's operations, its workers, queue and service time.

use std::sync::Arc;

use meshsim_models::{Node, Store, StoreConfig, StoreKind};
use meshsim_sim::{Distribution, Seeder};

use super::distribution::distribution;
use crate::layout::Layout;
use crate::scenario::schema;

/// Store `index`'s model, on the node laid out for it.
pub(super) fn store_model(
    store: &schema::Store,
    kind: StoreKind,
    layout: &Layout,
    index: usize,
    seeder: Seeder,
) -> Node {
    let config = StoreConfig {
        group: layout.stores[index].group,
        kind,
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
