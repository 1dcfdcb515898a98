//! Retries in the code and in the mesh multiply: `examples/retry-amplification.toml` with
//! `checkout` as an axum app whose handler retries (`app.rs`).
//!
//! `cargo run --example retry_amplification` runs it and prints how many requests payment got
//! per order while the bank was down; `-- --model` runs the scenario's model of checkout on the
//! same engine instead (the mesh's retries only); `-- --out DIR` also writes the CSV files,
//! charts and report.

mod app;

use std::path::PathBuf;

use meshsim::{EngineKind, MeshTest};

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let model = arguments.iter().any(|argument| argument == "--model");
    let out = arguments
        .iter()
        .position(|argument| argument == "--out")
        .and_then(|place| arguments.get(place + 1))
        .map(PathBuf::from);
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/retry-amplification.toml");
    let mut test = MeshTest::from_file(file)
        .unwrap_or_else(|error| panic!("{error}"))
        .engine(EngineKind::Turmoil);
    if !model {
        test = test.with_service("checkout", "v1", app::checkout);
    }
    if let Some(out) = out {
        test = test.output(out);
    }
    let outcome = test.check();
    print!("{}", outcome.table());
    let summary = outcome.summary();
    let orders = &summary.workloads["orders"].requests;
    let payment = summary.services["payment"].requests.received;
    // An order that succeeded cost payment one request; one that failed, every try.
    let per_failed_order = (payment - orders.succeeded) as f64 / orders.failed.max(1) as f64;
    println!(
        "while the bank was down, each order cost payment {per_failed_order:.2} requests ({})",
        if model {
            "the mesh's 3 tries"
        } else {
            "the code's 3 tries x the mesh's 3"
        }
    );
}
