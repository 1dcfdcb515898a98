//! A service written in async Rust, inside a scenario.
//!
//! The scenario `examples/async-service.toml` has a frontend (a model) calling an `inventory`
//! service with a 30 ms route timeout. Here `inventory` is real async code: it "queries a
//! database" by sleeping on turmoil's clock, most queries fast and one in ten slow, and answers
//! 503 to one request in fifty. The run shows what the mesh does with it: the slow queries hit
//! the frontend's route timeout.
//!
//! Run it with `cargo run --example async_service`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use meshsim::scenario::load_file;
use meshsim::{AsyncService, IncomingRequest, ServiceCode, simulate_with_code};
use meshsim_record::RecorderOutputs;
use meshsim_reports::{RunData, TableOptions, summary_json, summary_table};

/// The user's service: any async Rust that runs on a single-threaded tokio runtime.
struct Inventory;

impl AsyncService for Inventory {
    fn call(&self, request: IncomingRequest) -> Pin<Box<dyn Future<Output = u16>>> {
        Box::pin(async move {
            // The trace id is deterministic per request, so this "randomness" replays exactly.
            let slow = request.trace.is_multiple_of(10);
            let query = if slow {
                Duration::from_millis(80)
            } else {
                Duration::from_millis(4)
            };
            tokio::time::sleep(query).await;
            if request.trace % 50 == 7 { 503 } else { 200 }
        })
    }
}

#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
fn main() {
    // The wall clock times the run for the summary line; the simulation never reads it.
    let wall_start = std::time::Instant::now();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/async-service.toml");
    let loaded = load_file(&path).unwrap_or_else(|error| panic!("{error}"));
    let code = ServiceCode::new().with("inventory", Inventory);
    let seed = loaded.scenario().scenario.seed;
    let simulation = simulate_with_code(
        loaded.resolved(),
        seed,
        RecorderOutputs::default(),
        &code,
        &mut |_, _| {},
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let options = TableOptions {
        color: false,
        wall_seconds: wall_start.elapsed().as_secs_f64(),
    };
    let json = summary_json(&simulation.info, &simulation.summary, &[]);
    let run = RunData::from_summary(&json).unwrap_or_else(|error| panic!("{error}"));
    print!(
        "{}",
        summary_table(&simulation.info, &simulation.summary, &run, options)
    );
}
