//! What every benchmark shares: the best wall time of a few tries, the process's peak memory,
//! and running each case in a child process of its own so that peak is the case's alone.

use std::process::Command;

use meshsim::scenario::load_str;
use meshsim::simulate;
use meshsim_record::RecorderOutputs;

/// The process's peak resident memory (`VmHWM`), in KiB; 0 where `/proc` does not say.
pub fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The best wall time of `tries` runs of `work` in seconds, and the last run's value.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
pub fn best_of<T>(tries: usize, mut work: impl FnMut() -> T) -> (f64, T) {
    // Benchmarks measure wall time by definition; the simulation itself never reads it.
    assert!(tries > 0);
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..tries {
        let start = std::time::Instant::now();
        let value = work();
        best = best.min(start.elapsed().as_secs_f64());
        last = Some(value);
    }
    (best, last.expect("ran at least once"))
}

/// The case's arguments when this process is a child running one case; none in the parent.
pub fn case_args() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect()
}

/// Runs each case in a child process of this benchmark and prints what each printed.
pub fn run_children(cases: &[&[&str]]) {
    let me = std::env::current_exe().expect("own path");
    for case in cases {
        let output = Command::new(&me).args(*case).output().expect("child runs");
        assert!(
            output.status.success(),
            "case {case:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
}

/// Runs a scenario text from `seed` with every output a real run writes (metrics, events) into
/// memory sinks, and checks the accounting: (requests sent, engine events).
#[allow(dead_code)] // Not every benchmark runs a scenario text.
pub fn run_text(label: &str, text: &str, seed: u64) -> (u64, u64) {
    let loaded = load_str(label, text).expect("a valid scenario");
    let outputs = RecorderOutputs {
        metrics: Some(Box::new(std::io::sink())),
        events: Some(Box::new(std::io::sink())),
        requests: None,
        trace: None,
        otlp: None,
        openmetrics: None,
    };
    let simulation = simulate(loaded.resolved(), seed, outputs, &mut |_, _| {}).expect("runs");
    assert!(simulation.summary.accounting.ok);
    (simulation.summary.requests.sent, simulation.info.events)
}
