//! The messages demo (`scenarios/messages.toml`) with its backend as real Rust: an axum app
//! (`app.rs`) in place of the Node.js model, behind Linkerd's proxy, calling Redis through it.
//! Redis crashes a minute in, for 15 s: the run shows what the app's users see meanwhile.
//!
//! `cargo run --example messages_backend` runs it twice (same seed, same digest, or it says
//! so) and prints the summary; `-- --model` runs the scenario's model of the backend on the
//! same engine instead; `-- --out DIR` also writes the CSV files, charts and report; `-- --once`
//! runs it once (to time it).

mod app;

use std::path::PathBuf;

use meshsim::{EngineKind, MeshTest};

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let model = arguments.iter().any(|argument| argument == "--model");
    let once = arguments.iter().any(|argument| argument == "--once");
    let out = arguments
        .iter()
        .position(|argument| argument == "--out")
        .and_then(|place| arguments.get(place + 1))
        .map(PathBuf::from);
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/messages.toml");
    let mut test = MeshTest::from_file(file)
        .unwrap_or_else(|error| panic!("{error}"))
        .engine(EngineKind::Turmoil);
    if !model {
        test = test
            .with_service("backend", "v1", app::backend)
            // What the writers post: `curl -X POST -d '{"message":"hello"}'`.
            .with_request_body(
                "backend",
                "POST /api/messages",
                "application/json",
                r#"{"message":"hello"}"#,
            );
    }
    if let Some(out) = out {
        test = test.output(out);
    }
    let outcome = if once {
        test.run().unwrap_or_else(|error| panic!("{error}"))
    } else {
        test.check()
    };
    print!("{}", outcome.table());
}
