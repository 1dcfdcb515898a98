//! Fuzz target: scenario loading and validation, error rendering, and then the first simulated
//! moments of any scenario that loads. Whatever the bytes, meshsim must answer with a scenario
//! or a diagnostic, never a panic, a hang or a runaway allocation.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshsim::scenario::load_str;
use meshsim::simulate_briefly;

/// Loaded scenarios are run this long at most: enough to assemble every model and start every
/// workload, fault and controller, short enough to keep executions per second high.
const RUN_NANOS_MAX: u64 = 20_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match load_str("fuzz.toml", text) {
        Err(error) => {
            let rendered = error.render(false);
            assert!(
                rendered.contains("error"),
                "a load error says so: {rendered}"
            );
        }
        Ok(loaded) => {
            let _ = loaded.render_warnings(false);
            let simulation =
                simulate_briefly(loaded.resolved(), RUN_NANOS_MAX).expect("no output to fail");
            assert!(
                simulation.summary.accounting.ok,
                "{:?}",
                simulation.summary.accounting.problems
            );
        }
    }
});
