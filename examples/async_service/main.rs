//! A service written as a plain hyper-style handler, without a framework, inside a scenario.
//!
//! The scenario `examples/async-service.toml` has a frontend (a model) calling an `inventory`
//! service with a 30 ms route timeout. Here `inventory` is a `tower::service_fn` over `http`
//! requests, as a hyper service is: it "queries a database" by sleeping on tokio's clock (which
//! the simulation drives), 4 ms mostly and 80 ms for one query in ten, and answers 503 to one
//! request in fifty. The run shows what the mesh does with it: the slow queries hit the
//! frontend's route timeout, and each 503 comes back as a failure.
//!
//! Run it with `cargo run --example async_service`. The service is in `inventory.rs`.

mod inventory;

use meshsim::MeshTest;

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/async-service.toml");
    let outcome = MeshTest::from_file(path)
        .unwrap_or_else(|error| panic!("{error}"))
        .with_service("inventory", "v1", inventory::inventory)
        .check();
    print!("{}", outcome.table());
}
