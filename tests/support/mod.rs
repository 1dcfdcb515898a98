//! What several integration tests share.

use std::io::{self, Write};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

#[allow(dead_code)] // Not every test crate that compiles this module streams outputs.
/// A `Write` into a buffer the test keeps a handle to, for the recorder's streamed files.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    #[allow(dead_code)]
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs the `meshsim` binary with `args`, without colour.
#[allow(dead_code)] // Each test crate compiles this module; not all of them run the binary.
pub fn meshsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("meshsim runs")
}

/// Loads `source` as a scenario named `label`, runs it on `engine` from `seed` (the scenario's
/// own when `None`) into `outputs`, and checks that every request is accounted for.
#[allow(dead_code)] // Only the tests that simulate a scenario text use it.
pub fn simulate_source(
    engine: meshsim::EngineKind,
    label: &str,
    source: &str,
    seed: Option<u64>,
    outputs: meshsim_record::RecorderOutputs,
) -> (meshsim::scenario::Checked, meshsim_record::RunSummary) {
    let loaded =
        meshsim::scenario::load_str(label, source).unwrap_or_else(|error| panic!("{error}"));
    let seed = seed.unwrap_or(loaded.scenario().scenario.seed);
    let simulation = meshsim::simulate_on(engine, loaded.resolved(), seed, outputs, &mut |_, _| {})
        .expect("runs");
    assert!(
        simulation.summary.accounting.ok,
        "{label} on {engine:?}: {:?}",
        simulation.summary.accounting.problems
    );
    (loaded.into_checked(), simulation.summary)
}

/// Every file under `folder`, by its path below it, with its bytes: to compare two outputs.
#[allow(dead_code)] // Only the tests that compare whole outputs use it.
pub fn files(folder: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(folder).unwrap().display().to_string();
                found.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

#[allow(dead_code)] // Only the conformance tests read runs through it.
pub mod probe;
#[allow(dead_code)] // Only the calibration tests feed traces in three formats.
pub mod trace_formats;
